//! The dns negotiate check (ldirectord's `check_dns`, through
//! Net::DNS): `request` is looked up on the real server — a PTR query
//! when it is an IP address, else an A query, recursion desired — over
//! UDP (retransmitted every two seconds, and retried over TCP when the
//! answer is truncated) or over TCP when the virtual service's protocol is
//! tcp. Up when an A record's address or a PTR record's name in the answer
//! matches `receive`; with no `receive` nothing matches (as in ldirectord).

use std::net::IpAddr;
use std::time::Duration;

use ha_net::rng::Rng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::datagram::Exchange;
use super::io::connect_tcp;
use super::outcome::{CheckError, CheckResult};
use super::spec::{CheckSpec, Protocol};

const TYPE_A: u16 = 1;
const TYPE_PTR: u16 = 12;
const CLASS_IN: u16 = 1;
/// UDP retransmission interval.
const RETRANSMIT: Duration = Duration::from_secs(2);

/// The question for `request`: its name in wire labels, and the type.
pub(crate) fn question(request: &str) -> Result<(String, u16), String> {
    let request = request.trim();
    match request.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => {
            let o = v4.octets();
            Ok((
                format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0]),
                TYPE_PTR,
            ))
        }
        Ok(IpAddr::V6(v6)) => {
            let mut name = String::new();
            for byte in v6.octets().iter().rev() {
                name.push_str(&format!("{:x}.{:x}.", byte & 0x0f, byte >> 4));
            }
            name.push_str("ip6.arpa");
            Ok((name, TYPE_PTR))
        }
        Err(_) if request.is_empty() => Err("no name to look up".to_string()),
        Err(_) => Ok((request.to_string(), TYPE_A)),
    }
}

/// A query message with `id` for `name` and `qtype`.
pub(crate) fn encode_query(id: u16, name: &str, qtype: u16) -> Result<Vec<u8>, String> {
    let mut msg = Vec::with_capacity(32 + name.len());
    msg.extend_from_slice(&id.to_be_bytes());
    msg.extend_from_slice(&[0x01, 0x00]); // RD
    msg.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]); // 1 question
    let mut total = 0usize;
    for label in name.trim_end_matches('.').split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(format!("{name:?} is not a valid domain name"));
        }
        total += label.len() + 1;
        msg.push(label.len() as u8);
        msg.extend_from_slice(label.as_bytes());
    }
    if total > 254 {
        return Err(format!("{name:?} is longer than 255 bytes"));
    }
    msg.push(0);
    msg.extend_from_slice(&qtype.to_be_bytes());
    msg.extend_from_slice(&CLASS_IN.to_be_bytes());
    Ok(msg)
}

/// What a response holds that the check cares about.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Response {
    /// Whether the TC bit is set.
    pub(crate) truncated: bool,
    /// The response code.
    pub(crate) rcode: u8,
    /// The A addresses and PTR names of the answer section, as text.
    pub(crate) answers: Vec<String>,
}

fn u16_at(msg: &[u8], at: usize) -> Result<u16, String> {
    match msg.get(at..at + 2) {
        Some([a, b]) => Ok(u16::from_be_bytes([*a, *b])),
        _ => Err("message ends inside a field".to_string()),
    }
}

/// Reads the (possibly compressed) name at `at`; returns it and the
/// offset after it in the original position.
fn read_name(msg: &[u8], mut at: usize) -> Result<(String, usize), String> {
    let mut name = String::new();
    let mut end = None;
    for _ in 0..128 {
        let len = *msg.get(at).ok_or("name runs past the message")?;
        match len {
            0 => return Ok((name, end.unwrap_or(at + 1))),
            l if l & 0xc0 == 0xc0 => {
                let pointer = usize::from(u16_at(msg, at)? & 0x3fff);
                end.get_or_insert(at + 2);
                at = pointer;
            }
            l if l & 0xc0 == 0 => {
                let label = msg
                    .get(at + 1..at + 1 + usize::from(l))
                    .ok_or("label runs past the message")?;
                if !name.is_empty() {
                    name.push('.');
                }
                name.push_str(&String::from_utf8_lossy(label));
                at += 1 + usize::from(l);
            }
            _ => return Err("unknown label type".to_string()),
        }
    }
    Err("name compression loops".to_string())
}

/// Decodes a response to query `id`; `Ok(None)` when it answers another query.
pub(crate) fn decode_response(msg: &[u8], id: u16) -> Result<Option<Response>, String> {
    if msg.len() < 12 {
        return Err("shorter than a DNS header".to_string());
    }
    let flags = u16_at(msg, 2)?;
    if u16_at(msg, 0)? != id || flags & 0x8000 == 0 {
        return Ok(None);
    }
    let questions = u16_at(msg, 4)?;
    let answers = u16_at(msg, 6)?;
    let mut at = 12;
    for _ in 0..questions {
        at = read_name(msg, at)?.1 + 4;
    }
    let mut found = Vec::new();
    for _ in 0..answers {
        let (_, after) = read_name(msg, at)?;
        let rtype = u16_at(msg, after)?;
        let rdlength = usize::from(u16_at(msg, after + 8)?);
        let rdata_at = after + 10;
        let rdata = msg
            .get(rdata_at..rdata_at + rdlength)
            .ok_or("record data runs past the message")?;
        match (rtype, rdata) {
            (TYPE_A, [a, b, c, d]) => found.push(format!("{a}.{b}.{c}.{d}")),
            (TYPE_PTR, _) => found.push(read_name(msg, rdata_at)?.0),
            _ => {}
        }
        at = rdata_at + rdlength;
    }
    Ok(Some(Response {
        truncated: flags & 0x0200 != 0,
        rcode: (flags & 0x000f) as u8,
        answers: found,
    }))
}

async fn over_udp(spec: &CheckSpec, query: &[u8], id: u16) -> CheckResult<Response> {
    let mut exchange = Exchange::connect(spec.target).await?;
    loop {
        exchange.send(query, "sending the query").await?;
        let wait = tokio::time::sleep(RETRANSMIT);
        tokio::pin!(wait);
        loop {
            tokio::select! {
                _ = &mut wait => break,
                received = exchange.receive() => {
                    if let Ok(Some(response)) = decode_response(received?, id) {
                        return Ok(response);
                    }
                }
            }
        }
    }
}

async fn over_tcp(spec: &CheckSpec, query: &[u8], id: u16) -> CheckResult<Response> {
    let mut stream = connect_tcp(spec.target, spec.connect_timeout).await?;
    let mut framed = (query.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(query);
    stream
        .write_all(&framed)
        .await
        .map_err(CheckError::io("sending the query"))?;
    loop {
        let len = stream
            .read_u16()
            .await
            .map_err(CheckError::io("reading the answer"))?;
        let mut msg = vec![0u8; usize::from(len)];
        stream
            .read_exact(&mut msg)
            .await
            .map_err(CheckError::io("reading the answer"))?;
        if let Some(response) = decode_response(&msg, id).map_err(CheckError::Malformed)? {
            return Ok(response);
        }
    }
}

/// Runs the check.
pub(crate) async fn check(spec: &CheckSpec) -> CheckResult {
    let (name, qtype) = question(spec.request_body()).map_err(CheckError::Answer)?;
    let id = (Rng::new().next_u64() & 0xffff) as u16;
    let query = encode_query(id, &name, qtype).map_err(CheckError::Answer)?;
    let mut response = match spec.protocol {
        Protocol::Udp => over_udp(spec, &query, id).await?,
        Protocol::Tcp => over_tcp(spec, &query, id).await?,
    };
    if response.truncated && spec.protocol == Protocol::Udp {
        response = over_tcp(spec, &query, id).await?;
    }
    if response.rcode != 0 {
        return Err(CheckError::Answer(format!(
            "{name}: response code {}",
            response.rcode
        )));
    }
    if let Some(hit) = response
        .answers
        .iter()
        .find(|answer| spec.receive.find_in(answer.as_bytes()) == Some(true))
    {
        return Ok(format!("{name} -> {hit}"));
    }
    Err(CheckError::Answer(format!(
        "{name}: no answer matches {:?} (answers: {})",
        spec.receive.pattern(),
        response.answers.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_become_ptr_questions() {
        assert_eq!(
            question("10.1.2.3").unwrap(),
            ("3.2.1.10.in-addr.arpa".to_string(), TYPE_PTR)
        );
        let (v6, t) = question("2001:db8::1").unwrap();
        assert_eq!(t, TYPE_PTR);
        assert!(v6.starts_with("1.0.0.0.0.0.0.0."), "{v6}");
        assert!(v6.ends_with("8.b.d.0.1.0.0.2.ip6.arpa"), "{v6}");
        assert_eq!(question("www.example.com").unwrap().1, TYPE_A);
        assert!(question("").is_err());
    }

    #[test]
    fn queries_encode_and_bad_names_are_refused() {
        let q = encode_query(0xabcd, "a.bc", TYPE_A).unwrap();
        assert_eq!(&q[..4], &[0xab, 0xcd, 1, 0]);
        assert_eq!(&q[12..], &[1, b'a', 2, b'b', b'c', 0, 0, 1, 0, 1]);
        assert!(encode_query(1, "a..b", TYPE_A).is_err());
        assert!(encode_query(1, &"x".repeat(64), TYPE_A).is_err());
    }

    #[test]
    fn responses_decode_with_compression_and_garbage_is_an_error() {
        let mut msg = encode_query(7, "h.example", TYPE_A).unwrap();
        msg[2] = 0x81;
        msg[3] = 0x80;
        msg[7] = 2; // two answers
                    // A record pointing at the question name (offset 12).
        msg.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 9]);
        // PTR record whose data is "x" + pointer to offset 12.
        msg.extend_from_slice(&[0xc0, 12, 0, 12, 0, 1, 0, 0, 0, 60, 0, 4, 1, b'x', 0xc0, 12]);
        let r = decode_response(&msg, 7).unwrap().unwrap();
        assert_eq!(
            r.answers,
            vec!["10.0.0.9".to_string(), "x.h.example".to_string()]
        );
        assert_eq!(decode_response(&msg, 8).unwrap(), None);
        for cut in 0..msg.len() {
            let _ = decode_response(&msg[..cut], 7);
        }
        let looping = [0, 7, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12];
        assert!(decode_response(&looping, 7).is_err());
    }
}
