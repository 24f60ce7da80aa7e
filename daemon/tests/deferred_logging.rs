//! A thread that defers its log lines has them written by the logger's
//! writer thread, in order, and a flush waits for them; other threads
//! still write in place. A binary of its own: the logger is global.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use ha_daemon::logging::{self, LogSinks};
use log::Level;

/// Records each line with the name of the thread that wrote it.
struct Recorder(Arc<Mutex<Vec<(String, String)>>>);

impl LogSinks for Recorder {
    fn write(&self, _level: Level, message: &str) {
        let thread = std::thread::current().name().unwrap_or("?").to_string();
        self.0.lock().unwrap().push((thread, message.to_string()));
    }
}

#[test]
fn deferred_lines_are_written_by_the_writer_thread_in_order() {
    let lines = Arc::new(Mutex::new(Vec::new()));
    logging::init(Box::new(Recorder(lines.clone())));
    std::thread::Builder::new()
        .name("loop".into())
        .spawn(|| {
            logging::defer_this_thread();
            for n in 0..100 {
                log::info!("deferred {n}");
            }
        })
        .unwrap()
        .join()
        .unwrap();
    log::logger().flush();
    std::thread::Builder::new()
        .name("plain".into())
        .spawn(|| log::info!("in place"))
        .unwrap()
        .join()
        .unwrap();
    let lines = lines.lock().unwrap().clone();
    assert_eq!(lines.len(), 101, "{lines:?}");
    for (n, (thread, message)) in lines[..100].iter().enumerate() {
        assert_eq!(
            (thread.as_str(), message.as_str()),
            ("log-writer", format!("deferred {n}").as_str())
        );
    }
    assert_eq!(lines[100], ("plain".to_string(), "in place".to_string()));
}
