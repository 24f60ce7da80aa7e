//! The serial medium on a pseudo-terminal: frames written by "the far end"
//! (the PTY's master) come out whole; frames sent come out on the master in
//! heartbeat's framing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::time::Duration;

use ha_transport::serial::SerialMedium;
use ha_transport::{Medium, MediumSpec, MessageFormat, MAX_DATAGRAM_LEN};

fn pty() -> (std::fs::File, String) {
    let pair = nix::pty::openpty(None, None).unwrap();
    let path = std::fs::read_link(format!("/proc/self/fd/{}", {
        use std::os::fd::AsRawFd;
        pair.slave.as_raw_fd()
    }))
    .unwrap();
    // The medium opens the slave by path; keep ours open so it stays.
    std::mem::forget(pair.slave);
    (std::fs::File::from(pair.master), path.display().to_string())
}

#[tokio::test]
async fn frames_cross_a_pty_both_ways() {
    let (mut master, path) = pty();
    let spec = MediumSpec::Serial {
        device: path.clone(),
        baud: 115_200,
    };
    let medium = SerialMedium::open_with_lock_dir(&spec, None).await.unwrap();
    assert_eq!(medium.message_format(), MessageFormat::Classic);
    assert_eq!(medium.describe(), format!("serial {path}"));

    master
        .write_all(b"noise\r\n>>>\r\nt=status\nsrc=beta\n<<<\n")
        .unwrap();
    let mut buf = vec![0; MAX_DATAGRAM_LEN];
    let (len, _) = tokio::time::timeout(Duration::from_secs(5), medium.recv(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..len], b">>>\nt=status\nsrc=beta\n<<<\n");

    let frame = b">>>\nt=status\nsrc=alpha\n<<<\n";
    medium.send(frame).await.unwrap();
    let mut got = vec![0; frame.len()];
    let reader = std::thread::spawn(move || {
        master.read_exact(&mut got).unwrap();
        got
    });
    assert_eq!(reader.join().unwrap(), frame);
    assert!(medium.link().is_up());

    let refused = medium.send(b"###\nnot classic").await.unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::InvalidInput);
}
