//! Compressed messages against cluster-glue's own library (libplumb 1.0.12,
//! which heartbeat 3.0.6 links): its datagrams decode here, and ours decode
//! there.
//!
//! The fixtures in tests/data were written by tests/cluster_glue/
//! compress_helper.c (see tests/data/README.md). The tests that run the
//! helper build it first; where libplumb or a C compiler is missing they
//! say they skipped and why.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use ha_membership::auth::{AuthKeys, AuthMethod};
use ha_membership::wire::{
    decode, encode, encode_compressed, CompressMethod, Compression, WireError, WireMessage,
};

/// The helper's authkeys: `auth 1` / `1 sha1 lab-secret`.
const SECRET: &str = "lab-secret";

const LIBPLUMB: &str = "/usr/lib/libplumb.so.2";

fn keys() -> AuthKeys {
    AuthKeys::single(AuthMethod::Sha1, SECRET)
}

fn data(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(file)
}

/// The fields the fixtures were made from, as a message.
fn fixture_fields() -> WireMessage {
    let text = std::fs::read_to_string(data("cg-compressed-fields.txt")).unwrap();
    let mut msg = WireMessage::new();
    for line in text.lines() {
        let (name, value) = line.split_once('=').unwrap();
        msg.push_string(name, value).unwrap();
    }
    msg
}

#[test]
fn cluster_glue_compressed_datagrams_decode_to_their_fields() {
    let expected = fixture_fields();
    let plain = encode(&expected, &keys()).unwrap();
    for file in [
        "cg-compressed-bz2-classic.bin",
        "cg-compressed-zlib-classic.bin",
        "cg-compressed-bz2-netstring.bin",
        "cg-compressed-zlib-netstring.bin",
    ] {
        let datagram = std::fs::read(data(file)).unwrap();
        assert!(
            datagram.starts_with(b"###\n") && datagram.len() * 3 < plain.len(),
            "{file}: {} bytes",
            datagram.len()
        );
        // The inner auth field is heartbeat's, computed by libplumb's
        // classic rendering: decode checks it and drops it.
        assert_eq!(decode(&datagram, &keys()).unwrap(), expected, "{file}");
        // The trailer covers the compressed bytes.
        let mut tampered = datagram.clone();
        tampered[60] ^= 0x01;
        assert!(
            matches!(
                decode(&tampered, &keys()),
                Err(WireError::BadToken { .. } | WireError::Netstring { .. })
            ),
            "{file}"
        );
    }
}

/// The helper, built once per test run, or why it cannot be.
fn helper() -> Result<&'static Path, String> {
    static HELPER: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    HELPER
        .get_or_init(|| {
            if !Path::new(LIBPLUMB).exists() {
                return Err(format!(
                    "{LIBPLUMB} (cluster-glue's libplumb2) is not installed"
                ));
            }
            let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("compress_helper");
            let source =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cluster_glue/compress_helper.c");
            let built = Command::new("cc")
                .arg("-o")
                .arg(&out)
                .arg(&source)
                .args(["-l:libplumb.so.2", "-l:libglib-2.0.so.0"])
                .output()
                .map_err(|e| format!("no C compiler (cc): {e}"))?;
            if !built.status.success() {
                return Err(format!(
                    "cc could not build the helper against libplumb: {}",
                    String::from_utf8_lossy(&built.stderr)
                ));
            }
            Ok(out)
        })
        .as_deref()
        .map_err(Clone::clone)
}

/// Runs the helper with `args`, feeding it `input`; its exit code and output.
fn run_helper(helper: &Path, args: &[&str], input: &[u8]) -> (i32, Vec<u8>, String) {
    let mut child = Command::new(helper)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

macro_rules! helper_or_skip {
    () => {
        match helper() {
            Ok(helper) => helper,
            Err(why) => {
                eprintln!("skipped: {why}");
                return;
            }
        }
    };
}

/// A status of node-a holding `groups` groups, with a binary field.
fn status(groups: usize) -> WireMessage {
    let mut msg = WireMessage::new();
    for (name, value) in [("t", "status"), ("st", "active"), ("src", "node-a")] {
        msg.push_string(name, value).unwrap();
    }
    msg.push_binary("srcuuid", &[0x5a, 0, 0xff, 0x10, 7, 7, 7, 7])
        .unwrap();
    for (name, value) in [("seq", "2a"), ("hg", "5f0e1c2d"), ("ts", "5f0e1c3a")] {
        msg.push_string(name, value).unwrap();
    }
    for n in 0..groups {
        msg.push_string(
            &format!("rsc_{n:03}"),
            &format!("group-{n:03} IPaddr::10.0.0.{n}"),
        )
        .unwrap();
    }
    msg
}

#[test]
fn cluster_glue_reads_what_we_compress() {
    let helper = helper_or_skip!();
    let msg = status(80);
    let expected = String::from_utf8(msg.classic_text()).unwrap();
    for method in CompressMethod::ALL {
        let compression = Compression {
            method,
            threshold: 1024,
            traditional: true,
        };
        let datagram = encode_compressed(&msg, &keys(), &compression).unwrap();
        let plain = encode(&msg, &keys()).unwrap();
        assert!(datagram.len() * 3 < plain.len(), "{method}");
        let (code, out, err) = run_helper(helper, &["decode", SECRET], &datagram);
        assert_eq!(code, 0, "{method}: {err}");
        let text = String::from_utf8(out).unwrap();
        // libplumb's classic rendering: every field of ours, in order, then
        // the auth field we put inside.
        let body = text
            .strip_prefix(">>>\n")
            .unwrap()
            .strip_suffix("<<<\n")
            .unwrap();
        let (fields, auth) = body.split_at(body.find("auth=1 ").unwrap());
        assert_eq!(fields, expected, "{method}");
        assert!(auth.ends_with('\n') && auth.lines().count() == 1, "{auth}");
    }
}

#[test]
fn cluster_glue_refuses_a_method_it_lacks_and_a_forged_payload() {
    let helper = helper_or_skip!();
    // The original as heartbeat puts it inside: the netstring form
    // without trailer.
    let plain = encode(&status(80), &keys()).unwrap();
    let end = plain.windows(4).position(|w| w == b"%%%\n").unwrap() + 4;
    let payload = CompressMethod::Zlib.compress(&plain[..end]);
    let mut inner_msg = WireMessage::new();
    inner_msg
        .push_binary("_compressed_payload", &payload)
        .unwrap();
    let mut lzo = inner_msg.clone();
    lzo.push_string("_compression_algorithm", "lzo").unwrap();
    let datagram = encode(&lzo, &keys()).unwrap();
    let (code, _, err) = run_helper(helper, &["decode", SECRET], &datagram);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("compress method(lzo) is not supported"),
        "{err}"
    );
    assert_eq!(
        decode(&datagram, &keys()),
        Err(WireError::UnknownCompression { name: "lzo".into() })
    );
    // The same payload under its own name decodes in both.
    let mut zlib = inner_msg;
    zlib.push_string("_compression_algorithm", "zlib").unwrap();
    let datagram = encode(&zlib, &keys()).unwrap();
    assert_eq!(run_helper(helper, &["decode", SECRET], &datagram).0, 0);
    assert_eq!(decode(&datagram, &keys()).unwrap(), status(80));
    // A byte of the payload changed: the trailer no longer matches, in
    // both.
    let mut forged = datagram;
    let at = forged.windows(2).position(|w| w == b"=x").unwrap() + 40;
    forged[at] ^= 0x20;
    let (code, _, err) = run_helper(helper, &["decode", SECRET], &forged);
    assert_eq!(code, 1, "{err}");
    assert!(matches!(
        decode(&forged, &keys()),
        Err(WireError::BadToken { index: 1, .. })
    ));
}

#[test]
fn cluster_glue_compresses_only_over_the_threshold_and_we_read_it() {
    let helper = helper_or_skip!();
    let fields = std::fs::read(data("cg-compressed-fields.txt")).unwrap();
    let expected = fixture_fields();
    for (method, format) in [
        ("bz2", "classic"),
        ("zlib", "classic"),
        ("bz2", "netstring"),
        ("zlib", "netstring"),
    ] {
        let (code, datagram, err) =
            run_helper(helper, &["encode", method, "1024", format, SECRET], &fields);
        assert_eq!(code, 0, "{err}");
        let shown = String::from_utf8_lossy(&datagram);
        assert!(
            shown.contains(&format!("(0)_compression_algorithm={method},%%%\n")),
            "{method}/{format}: {shown}"
        );
        assert_eq!(
            decode(&datagram, &keys()).unwrap(),
            expected,
            "{method}/{format}"
        );
        // Over a threshold the message does not reach, it goes as it is.
        let (code, datagram, err) = run_helper(
            helper,
            &["encode", method, "100000", format, SECRET],
            &fields,
        );
        assert_eq!(code, 0, "{err}");
        assert!(!String::from_utf8_lossy(&datagram).contains("_compressed_payload"));
        assert_eq!(
            decode(&datagram, &keys()).unwrap(),
            expected,
            "{method}/{format}"
        );
    }
}
