//! A daemon's control socket: a Unix stream socket, mode 0600, on which a
//! client writes one request line and reads one JSON document back.
//!
//! The daemon side: [`listen`] (refusing a socket another daemon still
//! answers on, replacing a stale one) and [`serve`], which hands each
//! request line to the binary's own answer function. The client side:
//! [`request`] and [`parse_reply`]. The request verbs and the JSON types
//! are the binary's; [`error_reply`] is the shape of a refusal, and
//! [`print_report`] prints a report as JSON or as text.

use std::future::Future;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

/// The longest request line read; the rest is ignored.
const MAX_REQUEST: u64 = 256;

/// How a binary speaks of the daemon behind its socket in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Naming {
    /// Why [`listen`] refuses a socket a daemon answers on, e.g. `another
    /// node is running on this socket`.
    pub running: &'static str,
    /// What a client says before the path when no daemon answers, e.g.
    /// `cannot reach a running node at`.
    pub unreachable: &'static str,
}

/// Errors of the control socket.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// The socket could not be created.
    #[error("cannot listen on {}: {source}", path.display())]
    Listen {
        /// The socket path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// No daemon answers on the socket.
    #[error("{unreachable} {}: {source}", path.display())]
    Connect {
        /// The socket path.
        path: PathBuf,
        /// [`Naming::unreachable`].
        unreachable: &'static str,
        /// The cause.
        source: std::io::Error,
    },
    /// The daemon answered something unexpected.
    #[error("unexpected answer from {}: {message}", path.display())]
    Protocol {
        /// The socket path.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
}

impl ControlError {
    /// Whether no daemon runs there (no socket, or nobody listening).
    pub fn not_running(&self) -> bool {
        matches!(self, ControlError::Connect { source, .. }
            if matches!(source.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused))
    }
}

/// Binds the control socket at `path` with mode 0600, creating its
/// directory. A socket a daemon still answers on is refused with
/// `naming.running`; a stale one is replaced.
pub fn listen(path: &Path, naming: &Naming) -> Result<UnixListener, ControlError> {
    let error = |source| ControlError::Listen {
        path: path.to_path_buf(),
        source,
    };
    if std::os::unix::net::UnixStream::connect(path).is_ok() {
        return Err(error(std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            naming.running,
        )));
    }
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(error(e)),
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(error)?;
    }
    let listener = UnixListener::bind(path).map_err(error)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(error)?;
    Ok(listener)
}

/// Answers clients for ever, each in a task of its own: reads one request
/// line (at most 256 bytes), calls `answer` with it trimmed, and writes
/// the answer back with a newline. A client that goes away is logged at
/// debug level.
pub async fn serve<F, Fut>(listener: UnixListener, answer: F)
where
    F: Fn(String) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = String> + Send + 'static,
{
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let answer = answer.clone();
        tokio::spawn(async move {
            if let Err(error) = exchange(stream, answer).await {
                log::debug!("control socket: {error}");
            }
        });
    }
}

/// One client's request and its answer.
async fn exchange<F, Fut>(stream: UnixStream, answer: F) -> std::io::Result<()>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = String>,
{
    let (reader, mut writer) = stream.into_split();
    let mut request = String::new();
    BufReader::new(reader.take(MAX_REQUEST))
        .read_line(&mut request)
        .await?;
    let reply = answer(request.trim().to_string()).await;
    writer.write_all(reply.as_bytes()).await?;
    writer.write_all(b"\n").await?;
    writer.shutdown().await
}

/// `{"error":"MESSAGE"}`: the answer to a request that cannot be served.
pub fn error_reply(message: &str) -> String {
    serde_json::json!({ "error": message }).to_string()
}

/// The answer to a request line no verb matches.
pub fn unknown_request(request: &str) -> String {
    error_reply(&format!("unknown request '{request}'"))
}

/// Sends the line `request` to the daemon at `path` and returns everything
/// it answers.
pub async fn request(path: &Path, request: &str, naming: &Naming) -> Result<String, ControlError> {
    let mut stream = UnixStream::connect(path)
        .await
        .map_err(|source| ControlError::Connect {
            path: path.to_path_buf(),
            unreachable: naming.unreachable,
            source,
        })?;
    let protocol = |message: String| ControlError::Protocol {
        path: path.to_path_buf(),
        message,
    };
    stream
        .write_all(format!("{request}\n").as_bytes())
        .await
        .map_err(|e| protocol(e.to_string()))?;
    let mut reply = String::new();
    stream
        .read_to_string(&mut reply)
        .await
        .map_err(|e| protocol(e.to_string()))?;
    Ok(reply)
}

/// Decodes the JSON answer `reply` from the daemon at `path`; one that does
/// not decode is a [`ControlError::Protocol`] quoting it.
pub fn parse_reply<T: DeserializeOwned>(path: &Path, reply: &str) -> Result<T, ControlError> {
    serde_json::from_str(reply).map_err(|e| ControlError::Protocol {
        path: path.to_path_buf(),
        message: format!("{e}: {}", reply.trim()),
    })
}

/// A report a `status` command prints: as JSON, or as text for people.
pub trait Report: Serialize {
    /// The human-readable form.
    fn to_text(&self) -> String;
}

/// Prints `report` to stdout: pretty JSON when `json`, else its text.
pub fn print_report(report: &impl Report, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(report).unwrap_or_default()
        );
    } else {
        print!("{}", report.to_text());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMING: Naming = Naming {
        running: "another test daemon is running on this socket",
        unreachable: "no test daemon answers on",
    };

    /// A directory of this test's own for its sockets (`listen` creates
    /// it), removed when dropped.
    struct TestDir(PathBuf);

    impl TestDir {
        fn new(test: &str) -> Self {
            let dir = std::env::temp_dir()
                .join(format!("ha-daemon-control-{}-{test}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            TestDir(dir)
        }

        fn path(&self, name: &str) -> PathBuf {
            self.0.join(name)
        }
    }

    impl Drop for TestDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    async fn echo(request: String) -> String {
        match request.as_str() {
            "ping" => r#"{"pong":true}"#.to_string(),
            other => unknown_request(other),
        }
    }

    #[tokio::test]
    async fn a_request_line_gets_its_answer_and_a_second_daemon_is_refused() {
        let dir = TestDir::new("serve");
        let path = dir.path("serve.sock");
        let listener = listen(&path, &NAMING).unwrap();
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let server = tokio::spawn(serve(listener, echo));

        let reply = request(&path, "ping", &NAMING).await.unwrap();
        assert_eq!(reply, "{\"pong\":true}\n");
        let value: serde_json::Value = parse_reply(&path, &reply).unwrap();
        assert_eq!(value["pong"], true);
        let reply = request(&path, "  what  ", &NAMING).await.unwrap();
        assert_eq!(reply, "{\"error\":\"unknown request 'what'\"}\n");

        let refused = listen(&path, &NAMING).unwrap_err();
        assert_eq!(
            refused.to_string(),
            format!(
                "cannot listen on {}: another test daemon is running on this socket",
                path.display()
            )
        );
        server.abort();
    }

    #[tokio::test]
    async fn a_stale_socket_is_replaced_and_a_missing_one_means_not_running() {
        let dir = TestDir::new("stale");
        let path = dir.path("stale.sock");
        drop(listen(&path, &NAMING).unwrap());
        assert!(path.exists(), "a socket nobody answers on");
        let error = request(&path, "ping", &NAMING).await.unwrap_err();
        assert!(error.not_running(), "{error}");
        let listener = listen(&path, &NAMING).unwrap();
        let server = tokio::spawn(serve(listener, echo));
        assert!(request(&path, "ping", &NAMING).await.is_ok());
        server.abort();

        let missing = dir.path("missing.sock");
        let error = request(&missing, "ping", &NAMING).await.unwrap_err();
        assert!(error.not_running());
        assert!(
            error.to_string().starts_with(&format!(
                "no test daemon answers on {}: ",
                missing.display()
            )),
            "{error}"
        );
    }

    #[test]
    fn a_reply_that_does_not_decode_is_quoted() {
        let error =
            parse_reply::<Vec<u8>>(Path::new("/run/x.sock"), "{\"error\":\"no\"}\n").unwrap_err();
        let text = error.to_string();
        assert!(
            text.starts_with("unexpected answer from /run/x.sock: "),
            "{text}"
        );
        assert!(text.ends_with(": {\"error\":\"no\"}"), "{text}");
        assert!(!error.not_running());
    }
}
