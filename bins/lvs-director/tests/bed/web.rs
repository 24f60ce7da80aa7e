//! A tiny HTTP server for a real server's namespace: every request gets
//! `200 OK` and a fixed body; and a client GET from another namespace.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use ha_lab::Host;

/// A running server; stopped (its port closed) by [`Web::stop`] or drop.
pub struct Web {
    stopped: Arc<AtomicBool>,
    listener: Arc<TcpListener>,
    thread: Option<JoinHandle<()>>,
}

fn answer(mut stream: TcpStream, body: &str) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 16 * 1024 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(buf.get(..n).unwrap_or_default()),
        }
    }
    let reply = format!(
        "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(reply.as_bytes());
    let _ = stream.shutdown(Shutdown::Write);
}

impl Web {
    /// Serves `body` on `addr` inside `host`.
    pub fn start(host: &Host, addr: SocketAddr, body: &str) -> Web {
        let listener = host
            .run_in(|| TcpListener::bind(addr))
            .expect("enter the host")
            .unwrap_or_else(|e| panic!("bind {addr}: {e}"));
        let listener = Arc::new(listener);
        let stopped = Arc::new(AtomicBool::new(false));
        let (l, s, body) = (listener.clone(), stopped.clone(), body.to_string());
        let thread = std::thread::spawn(move || {
            for stream in l.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                match stream {
                    Ok(stream) => answer(stream, &body),
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Web {
            stopped,
            listener,
            thread: Some(thread),
        }
    }

    /// Stops serving and closes the port (connections are refused).
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        // Wakes the blocked accept(), which then fails.
        let _ =
            nix::sys::socket::shutdown(self.listener.as_raw_fd(), nix::sys::socket::Shutdown::Both);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Web {
    fn drop(&mut self) {
        self.halt();
    }
}

/// `GET path` to `target` from `host`; the body, or `None` on any failure.
pub fn http_get(host: &Host, target: SocketAddr, path: &str) -> Option<String> {
    let path = path.to_string();
    host.run_in(move || {
        let mut stream = TcpStream::connect_timeout(&target, Duration::from_secs(2)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        let request = format!("GET {path} HTTP/1.0\r\nHost: test\r\n\r\n");
        stream.write_all(request.as_bytes()).ok()?;
        let mut reply = String::new();
        stream.read_to_string(&mut reply).ok()?;
        let (head, body) = reply.split_once("\r\n\r\n")?;
        head.starts_with("HTTP/1.0 200").then(|| body.to_string())
    })
    .ok()
    .flatten()
}
