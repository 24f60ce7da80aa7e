//! The line-oriented negotiate checks against real servers in a lab:
//! smtp, pop, imap, nntp, ftp, sip, simpletcp and ldap, each healthy,
//! on a closed port, silent, answering wrongly, and slow just inside and
//! just outside the timeout.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use common::{six_cases, Behaviour};
use ha_checks::check::{Receive, Service};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Sends `text` (errors ignored: the client may be gone).
async fn say(writer: &mut (impl AsyncWriteExt + Unpin), text: &str) {
    let _ = writer.write_all(text.as_bytes()).await;
}

async fn smtp(stream: TcpStream, behaviour: Behaviour) {
    let (reader, mut writer) = stream.into_split();
    let mut lines = BufReader::new(reader).lines();
    if !behaviour.before_answer().await {
        return;
    }
    if behaviour == Behaviour::Wrong {
        return say(&mut writer, "554 no service here\r\n").await;
    }
    say(&mut writer, "220 mail.test ESMTP\r\n").await;
    while let Ok(Some(line)) = lines.next_line().await {
        match line.split(' ').next().unwrap_or("") {
            "EHLO" if line == "EHLO localhost.localdomain" => {
                say(&mut writer, "250-mail.test\r\n250 SIZE 1000\r\n").await
            }
            "QUIT" => return say(&mut writer, "221 bye\r\n").await,
            _ => say(&mut writer, "500 what?\r\n").await,
        }
    }
}

#[test]
fn smtp_check() {
    six_cases("smtp", Service::Smtp, smtp, |_| {}, "greeting \"554");
}

/// An SMTP server that refuses EHLO but accepts HELO, as old ones do.
async fn smtp_helo_only(stream: TcpStream, _: Behaviour) {
    let (reader, mut writer) = stream.into_split();
    let mut lines = BufReader::new(reader).lines();
    say(&mut writer, "220 old.test SMTP\r\n").await;
    while let Ok(Some(line)) = lines.next_line().await {
        if line.starts_with("EHLO") {
            say(&mut writer, "502 unknown\r\n").await;
        } else if line.starts_with("HELO") {
            say(&mut writer, "250 hello\r\n").await;
        } else {
            return say(&mut writer, "221 bye\r\n").await;
        }
    }
}

#[test]
fn smtp_falls_back_to_helo_only_after_a_permanent_refusal() {
    // 502 is a 5xx: HELO is tried and accepted. (A 4xx would fail.)
    six_cases(
        "smtphelo",
        Service::Submission,
        |stream, behaviour| async move {
            match behaviour {
                Behaviour::Healthy => smtp_helo_only(stream, behaviour).await,
                other => smtp(stream, other).await,
            }
        },
        |_| {},
        "greeting",
    );
}

async fn pop(stream: TcpStream, behaviour: Behaviour) {
    let (reader, mut writer) = stream.into_split();
    let mut lines = BufReader::new(reader).lines();
    if !behaviour.before_answer().await {
        return;
    }
    say(&mut writer, "+OK POP3 ready\r\n").await;
    while let Ok(Some(line)) = lines.next_line().await {
        let reply = match line.as_str() {
            "USER ldtest" => "+OK user\r\n",
            "PASS s3cret" if behaviour != Behaviour::Wrong => "+OK logged in\r\n",
            "QUIT" => return say(&mut writer, "+OK bye\r\n").await,
            _ => "-ERR denied\r\n",
        };
        say(&mut writer, reply).await;
    }
}

#[test]
fn pop_check_logs_in() {
    six_cases(
        "pop",
        Service::Pop,
        pop,
        |spec| {
            spec.login = "ldtest".into();
            spec.passwd = "s3cret".into();
        },
        "PASS refused",
    );
}

async fn imap(stream: TcpStream, behaviour: Behaviour) {
    imap_server(stream, behaviour, false).await
}

async fn imap_server(stream: TcpStream, behaviour: Behaviour, refuse_login: bool) {
    let (reader, mut writer) = stream.into_split();
    let mut lines = BufReader::new(reader).lines();
    if !behaviour.before_answer().await {
        return;
    }
    if behaviour == Behaviour::Wrong {
        return say(&mut writer, "* BYE overloaded\r\n").await;
    }
    say(&mut writer, "* OK IMAP4rev1 ready\r\n").await;
    while let Ok(Some(line)) = lines.next_line().await {
        match line.as_str() {
            r#"1 LOGIN ldtest "pa\"ss""# if !refuse_login => {
                say(&mut writer, "1 OK LOGIN completed\r\n").await
            }
            "2 LOGOUT" => return say(&mut writer, "* BYE\r\n2 OK LOGOUT\r\n").await,
            other => {
                let tag = other.split(' ').next().unwrap_or("*");
                say(&mut writer, &format!("{tag} NO denied\r\n")).await
            }
        }
    }
}

#[test]
fn imap_check_logs_in() {
    six_cases(
        "imap",
        Service::Imap,
        imap,
        |spec| {
            spec.login = "ldtest".into();
            spec.passwd = "pa\"ss".into();
        },
        "greeting \"* BYE",
    );
}

#[test]
fn imap_login_refused_is_down() {
    six_cases(
        "imapno",
        Service::Imap,
        |stream, behaviour| async move {
            match behaviour {
                Behaviour::Wrong => imap_server(stream, Behaviour::Healthy, true).await,
                other => imap(stream, other).await,
            }
        },
        |spec| {
            spec.login = "ldtest".into();
            spec.passwd = "pa\"ss".into();
        },
        "LOGIN refused",
    )
}

async fn nntp(mut stream: TcpStream, behaviour: Behaviour) {
    if !behaviour.before_answer().await {
        return;
    }
    let greeting = if behaviour == Behaviour::Wrong {
        "502 no permission\r\n"
    } else {
        "200 news.test ready\r\n"
    };
    say(&mut stream, greeting).await;
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest).await;
}

#[test]
fn nntp_check() {
    six_cases("nntp", Service::Nntp, nntp, |_| {}, "greeting \"502");
}

async fn sip(stream: TcpStream, behaviour: Behaviour) {
    let (reader, mut writer) = stream.into_split();
    let mut lines = BufReader::new(reader).lines();
    let mut request = Vec::new();
    while let Ok(Some(line)) = lines.next_line().await {
        if line.is_empty() {
            break;
        }
        request.push(line);
    }
    if !behaviour.before_answer().await {
        return;
    }
    let valid = request.first().map(String::as_str) == Some("OPTIONS sip:probe@test SIP/2.0")
        && request
            .iter()
            .any(|l| l.starts_with("Via: SIP/2.0/TCP 10.61.0.2:"));
    let status = if behaviour == Behaviour::Wrong || !valid {
        "SIP/2.0 404 Not Found"
    } else {
        "SIP/2.0 200 OK"
    };
    say(
        &mut writer,
        &format!("{status}\r\nContent-Length: 0\r\n\r\n"),
    )
    .await;
}

#[test]
fn sip_check() {
    six_cases(
        "sip",
        Service::Sip,
        sip,
        |spec| spec.login = "probe@test".into(),
        "404 Not Found",
    );
}

async fn simpletcp(stream: TcpStream, behaviour: Behaviour) {
    let (mut reader, mut writer) = stream.into_split();
    let mut request = Vec::new();
    let _ = reader.read_to_end(&mut request).await;
    if !behaviour.before_answer().await {
        return;
    }
    if request != b"PING\nME" || behaviour == Behaviour::Wrong {
        return say(&mut writer, "hello\nPANG\n").await;
    }
    say(&mut writer, "hello\nPONG 42\nmore\n").await;
}

#[test]
fn simpletcp_check_sends_the_request_and_matches_a_line() {
    six_cases(
        "simpletcp",
        Service::SimpleTcp,
        simpletcp,
        |spec| {
            spec.request = "/PING\\nME".into();
            spec.receive = Receive::new("^PONG \\d+$").unwrap();
        },
        "no line matched",
    );
}

/// An FTP server whose passive data listeners (opened in the server's
/// namespace beforehand) are found by the control connection's port.
fn ftp(
    data: Arc<Mutex<HashMap<u16, std::net::TcpListener>>>,
) -> impl Fn(TcpStream, Behaviour) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
       + Clone
       + Send
       + Sync
       + 'static {
    move |stream: TcpStream, behaviour: Behaviour| {
        let data = Arc::clone(&data);
        Box::pin(async move {
            let port = stream.local_addr().map(|a| a.port()).unwrap_or(0);
            let listener = data.lock().unwrap().remove(&port);
            let (reader, mut writer) = stream.into_split();
            let mut lines = BufReader::new(reader).lines();
            if !behaviour.before_answer().await {
                return;
            }
            say(&mut writer, "220 ftp.test ready\r\n").await;
            let mut passive = None;
            while let Ok(Some(line)) = lines.next_line().await {
                match line.as_str() {
                    "USER anonymous" => say(&mut writer, "331 password please\r\n").await,
                    "PASS probe@test" => say(&mut writer, "230 logged in\r\n").await,
                    "CWD /" => say(&mut writer, "250 ok\r\n").await,
                    "TYPE I" => say(&mut writer, "200 binary\r\n").await,
                    "PASV" => {
                        let Some(l) = listener.as_ref() else { return };
                        let p = l.local_addr().unwrap().port();
                        passive = Some(
                            tokio::net::TcpListener::from_std(l.try_clone().unwrap()).unwrap(),
                        );
                        say(
                            &mut writer,
                            &format!(
                                "227 Entering Passive Mode (10,61,0,1,{},{})\r\n",
                                p / 256,
                                p % 256
                            ),
                        )
                        .await;
                    }
                    "RETR /health.txt" => {
                        let Some(passive) = passive.take() else {
                            return;
                        };
                        let Ok((mut conn, _)) = passive.accept().await else {
                            return;
                        };
                        say(&mut writer, "150 here it comes\r\n").await;
                        let body = if behaviour == Behaviour::Wrong {
                            "status: broken\n"
                        } else {
                            "status: fine\n"
                        };
                        say(&mut conn, body).await;
                        drop(conn);
                        say(&mut writer, "226 done\r\n").await;
                    }
                    "QUIT" => return say(&mut writer, "221 bye\r\n").await,
                    _ => say(&mut writer, "550 no\r\n").await,
                }
            }
        })
    }
}

#[test]
fn ftp_check_retrieves_and_matches_the_file() {
    let data: Arc<Mutex<HashMap<u16, std::net::TcpListener>>> = Arc::default();
    common::six_cases_prepared(
        "ftp",
        Service::Ftp,
        ftp(Arc::clone(&data)),
        |spec| {
            spec.login = "anonymous".into();
            spec.passwd = "probe@test".into();
            spec.request = "/health.txt".into();
            spec.receive = Receive::new("status: fine").unwrap();
        },
        "does not match",
        |bed| {
            for control in 7001..=7005u16 {
                let listener = bed.listen_tcp(control + 100);
                data.lock().unwrap().insert(control, listener);
            }
        },
    );
}

/// Reads one BER element (short or long length form).
async fn read_ber(reader: &mut (impl AsyncReadExt + Unpin)) -> Option<Vec<u8>> {
    let mut head = [0u8; 2];
    reader.read_exact(&mut head).await.ok()?;
    let mut len = usize::from(head[1]);
    let mut element = head.to_vec();
    if head[1] & 0x80 != 0 {
        let mut bytes = vec![0u8; usize::from(head[1] & 0x7f)];
        reader.read_exact(&mut bytes).await.ok()?;
        len = bytes.iter().fold(0, |a, &b| (a << 8) | usize::from(b));
        element.extend(bytes);
    }
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).await.ok()?;
    element.extend(body);
    Some(element)
}

fn ber(tag: u8, contents: &[u8]) -> Vec<u8> {
    assert!(contents.len() < 128);
    let mut out = vec![tag, contents.len() as u8];
    out.extend_from_slice(contents);
    out
}

fn ldap_message(id: u8, op: Vec<u8>) -> Vec<u8> {
    let mut body = vec![0x02, 1, id];
    body.extend(op);
    ber(0x30, &body)
}

async fn ldap(mut stream: TcpStream, behaviour: Behaviour) {
    let Some(bind) = read_ber(&mut stream).await else {
        return;
    };
    if !behaviour.before_answer().await {
        return;
    }
    // The anonymous bind: version 3, empty name, empty simple password.
    let anonymous = bind.ends_with(&[0x02, 1, 3, 0x04, 0, 0x80, 0]);
    let code = if anonymous { 0 } else { 49 };
    say_bytes(
        &mut stream,
        &ldap_message(1, ber(0x61, &[0x0a, 1, code, 0x04, 0, 0x04, 0])),
    )
    .await;
    let Some(search) = read_ber(&mut stream).await else {
        return;
    };
    let wanted = search.windows(17).any(|w| w == b"dc=example,dc=org");
    let dn: &[u8] = if behaviour == Behaviour::Wrong || !wanted {
        b"dc=other"
    } else {
        b"dc=example,dc=org"
    };
    let mut entry = ber(0x04, dn);
    entry.extend(ber(0x30, &[]));
    say_bytes(&mut stream, &ldap_message(2, ber(0x64, &entry))).await;
    say_bytes(
        &mut stream,
        &ldap_message(2, ber(0x65, &[0x0a, 1, 0, 0x04, 0, 0x04, 0])),
    )
    .await;
    let _ = read_ber(&mut stream).await;
}

async fn say_bytes(writer: &mut (impl AsyncWriteExt + Unpin), bytes: &[u8]) {
    let _ = writer.write_all(bytes).await;
}

#[test]
fn ldap_check_binds_and_finds_one_entry() {
    six_cases(
        "ldap",
        Service::Ldap,
        ldap,
        |spec| {
            spec.request = "/dc=example,dc=org".into();
            spec.receive = Receive::new("^dc=example").unwrap();
        },
        "does not match",
    );
}
