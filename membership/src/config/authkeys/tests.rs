//! Tests of authkeys: every rule with its message, the seed files, permissions
//! on real files, and rendering round trips.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use proptest::prelude::*;

use super::*;

const SEED_001: &str = include_str!("../testdata/seed001_authkeys");
const SEED_002: &str = include_str!("../testdata/seed002_authkeys");

fn parse(text: &str) -> Result<AuthKeys, ConfigErrors> {
    parse_authkeys(&Source::new("/etc/ha.d/authkeys", text))
}

fn keys(text: &str) -> AuthKeys {
    match parse(text) {
        Ok(keys) => keys,
        Err(errors) => panic!("unexpected errors:\n{errors}"),
    }
}

fn errors(text: &str) -> Vec<String> {
    match parse(text) {
        Ok(keys) => panic!("accepted: {keys:?}"),
        Err(errors) => errors.errors().iter().map(|e| e.to_string()).collect(),
    }
}

fn error(text: &str) -> String {
    let all = errors(text);
    assert_eq!(all.len(), 1, "{all:#?}");
    all.into_iter().next().unwrap_or_default()
}

fn key(method: AuthMethod, secret: &str) -> AuthKey {
    AuthKey {
        method,
        secret: secret.as_bytes().to_vec(),
    }
}

#[test]
fn the_seed_files_parse() {
    assert_eq!(
        keys(SEED_002),
        AuthKeys {
            active: 3,
            keys: BTreeMap::from([(3, key(AuthMethod::Md5, "Hello!"))]),
        }
    );
    assert_eq!(
        keys(SEED_001),
        AuthKeys {
            active: 1,
            keys: BTreeMap::from([(1, key(AuthMethod::Crc, ""))]),
        }
    );
}

#[test]
fn every_method_and_index_range() {
    let keys = keys("auth 15\n0 crc\n1 md5 a\n2 sha1 b\n15 sha256 c\n");
    assert_eq!(keys.active, 15);
    assert_eq!(
        keys.keys,
        BTreeMap::from([
            (0, key(AuthMethod::Crc, "")),
            (1, key(AuthMethod::Md5, "a")),
            (2, key(AuthMethod::Sha1, "b")),
            (15, key(AuthMethod::Sha256, "c")),
        ])
    );
}

#[test]
fn comments_and_layout() {
    let keys =
        keys("# keys\n\n  auth 2 # the second\n\t2 sha1 s3cret # rotate yearly\r\n1 crc # old\n");
    assert_eq!(keys.active, 2);
    assert_eq!(keys.keys.get(&2), Some(&key(AuthMethod::Sha1, "s3cret")));
    assert_eq!(keys.keys.get(&1), Some(&key(AuthMethod::Crc, "")));
}

#[test]
fn a_secret_is_taken_literally_even_with_a_hash() {
    let keys = keys("auth 1\n1 md5 #not-a-comment\n");
    assert_eq!(
        keys.keys.get(&1),
        Some(&key(AuthMethod::Md5, "#not-a-comment"))
    );
}

#[test]
fn the_auth_line_may_follow_its_key() {
    assert_eq!(keys("1 sha1 x\nauth 1\n").active, 1);
}

#[test]
fn the_auth_line_is_required_and_must_name_a_key() {
    assert_eq!(
        error("1 md5 x\n"),
        "/etc/ha.d/authkeys: no 'auth N' line: name the key that signs outgoing messages"
    );
    assert_eq!(
        error("auth 2\n1 md5 x\n3 sha1 y\n"),
        "/etc/ha.d/authkeys:1: auth 2: key 2 is not defined in this file (defined: 1, 3)"
    );
    assert_eq!(
        error("auth 2\n"),
        "/etc/ha.d/authkeys:1: auth 2: key 2 is not defined in this file (no key is defined)"
    );
    assert_eq!(
        error("auth 1\n1 md5 x\nauth 1\n"),
        "/etc/ha.d/authkeys:3: auth is already set at line 1"
    );
}

#[test]
fn auth_line_values_are_checked() {
    assert_eq!(
        error("auth\n1 crc\n"),
        "/etc/ha.d/authkeys:1: auth: expected the index of the key that signs outgoing \
         messages (0 to 15), found nothing"
    );
    assert_eq!(
        error("auth one\n1 crc\n"),
        "/etc/ha.d/authkeys:1: auth: expected a key index from 0 to 15, found 'one'"
    );
    assert_eq!(
        error("auth 16\n1 crc\n"),
        "/etc/ha.d/authkeys:1: auth: key index 16 is out of range: expected 0 to 15"
    );
    assert_eq!(
        error("auth 1 2\n1 crc\n"),
        "/etc/ha.d/authkeys:1: auth 1: unexpected '2' after the key index"
    );
}

#[test]
fn key_lines_are_checked() {
    let with = |line: &str| error(&format!("auth 1\n1 crc\n{line}\n"));
    assert_eq!(
        with("2 sha512 x"),
        "/etc/ha.d/authkeys:3: key 2: unknown method 'sha512'; expected crc, md5, sha1 or sha256"
    );
    assert_eq!(
        with("2 MD5 x"),
        "/etc/ha.d/authkeys:3: key 2: unknown method 'MD5'; expected crc, md5, sha1 or sha256 \
         (did you mean 'md5'?)"
    );
    assert_eq!(
        with("2 md5"),
        "/etc/ha.d/authkeys:3: key 2: md5 needs a secret"
    );
    assert_eq!(
        with("2 sha256"),
        "/etc/ha.d/authkeys:3: key 2: sha256 needs a secret"
    );
    assert_eq!(
        with("2 crc secret"),
        "/etc/ha.d/authkeys:3: key 2: crc takes no secret, found 'secret'"
    );
    assert_eq!(
        with("2"),
        "/etc/ha.d/authkeys:3: key 2: expected a method (crc, md5, sha1 or sha256) after the \
         index, found nothing"
    );
    assert_eq!(
        with("2 sha1 two words"),
        "/etc/ha.d/authkeys:3: key 2: a secret is one word without spaces, found 'two words' \
         (heartbeat would use only 'two')"
    );
    assert_eq!(
        with("1 sha1 x"),
        "/etc/ha.d/authkeys:3: key 1 is already defined at line 2"
    );
    assert_eq!(
        with("16 crc"),
        "/etc/ha.d/authkeys:3: key index 16 is out of range: expected 0 to 15"
    );
    assert_eq!(
        with("secret"),
        "/etc/ha.d/authkeys:3: expected 'auth N' or 'N METHOD [SECRET]', found 'secret'"
    );
}

#[test]
fn a_refused_active_key_is_reported_once() {
    assert_eq!(
        errors("auth 1\n1 md5\n"),
        ["/etc/ha.d/authkeys:2: key 1: md5 needs a secret"]
    );
}

#[test]
fn every_complaint_is_reported() {
    assert_eq!(
        errors("1 md5\n2 bogus\n3 crc\n3 crc\n"),
        [
            "/etc/ha.d/authkeys:1: key 1: md5 needs a secret",
            "/etc/ha.d/authkeys:2: key 2: unknown method 'bogus'; expected crc, md5, sha1 or sha256",
            "/etc/ha.d/authkeys:4: key 3 is already defined at line 3",
            "/etc/ha.d/authkeys: no 'auth N' line: name the key that signs outgoing messages",
        ]
    );
}

#[test]
fn render_writes_one_line_per_key() {
    let keys = keys("auth 2\n2 sha1 abc\n1 crc\n");
    assert_eq!(render_authkeys(&keys), "auth 2\n1 crc\n2 sha1 abc\n");
}

/// A file in a fresh directory, removed on drop.
struct TempFile {
    dir: PathBuf,
    path: PathBuf,
}

impl TempFile {
    fn new(name: &str, text: &str, mode: u32) -> Self {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("authkeys-test-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        TempFile { dir, path }
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn load_errors(file: &TempFile) -> Vec<String> {
    match load_authkeys(&file.path) {
        Ok(keys) => panic!("accepted: {keys:?}"),
        Err(errors) => errors.errors().iter().map(|e| e.to_string()).collect(),
    }
}

#[test]
fn a_private_file_loads() {
    for mode in [0o600, 0o400, 0o700] {
        let file = TempFile::new("authkeys", SEED_002, mode);
        assert_eq!(load_authkeys(&file.path), Ok(keys(SEED_002)), "{mode:o}");
    }
}

#[test]
fn a_file_others_may_read_or_write_is_refused() {
    for mode in [0o644, 0o640, 0o604, 0o620, 0o602, 0o666] {
        let file = TempFile::new("authkeys", SEED_002, mode);
        let path = file.path.display();
        assert_eq!(
            load_errors(&file),
            [format!(
                "{path}: permissions {mode:04o} let group or others read or write the keys; \
                 `chmod 600 {path}` fixes it"
            )],
            "{mode:o}"
        );
    }
}

#[test]
fn a_loaded_file_reports_permissions_and_content_together() {
    let file = TempFile::new("authkeys", "auth 1\n1 md5\n", 0o644);
    let path = file.path.display();
    assert_eq!(
        load_errors(&file),
        [
            format!(
                "{path}: permissions 0644 let group or others read or write the keys; \
                 `chmod 600 {path}` fixes it"
            ),
            format!("{path}:2: key 1: md5 needs a secret"),
        ]
    );
}

#[test]
fn a_directory_is_not_an_authkeys_file() {
    let file = TempFile::new("authkeys", "", 0o600);
    assert_eq!(
        load_authkeys(&file.dir).expect_err("directory").to_string(),
        format!("{}: not a regular file", file.dir.display())
    );
}

#[test]
fn a_missing_file_is_a_located_error() {
    let errors = load_authkeys(std::path::Path::new("/nonexistent/authkeys"))
        .expect_err("missing")
        .to_string();
    assert!(
        errors.starts_with("/nonexistent/authkeys: cannot read:"),
        "{errors}"
    );
}

fn auth_keys() -> impl Strategy<Value = AuthKeys> {
    let method = prop_oneof![
        Just(AuthMethod::Crc),
        Just(AuthMethod::Md5),
        Just(AuthMethod::Sha1),
        Just(AuthMethod::Sha256),
    ];
    let key = (method, "[!-~]{1,40}").prop_map(|(method, secret)| AuthKey {
        method,
        secret: match method {
            AuthMethod::Crc => Vec::new(),
            _ => secret.into_bytes(),
        },
    });
    prop::collection::btree_map(0..=MAX_KEY_INDEX, key, 1..6).prop_flat_map(|keys| {
        let indexes: Vec<u8> = keys.keys().copied().collect();
        proptest::sample::select(indexes).prop_map(move |active| AuthKeys {
            active,
            keys: keys.clone(),
        })
    })
}

proptest! {
    #[test]
    fn rendered_keys_parse_back_equal(keys in auth_keys()) {
        prop_assert_eq!(parse(&render_authkeys(&keys)), Ok(keys));
    }

    #[test]
    fn arbitrary_text_never_panics(text in "(?s).{0,300}") {
        if let Ok(keys) = parse(&text) {
            prop_assert_eq!(parse(&render_authkeys(&keys)), Ok(keys));
        }
    }

    #[test]
    fn authkeys_words_never_panic(
        lines in prop::collection::vec(
            prop::collection::vec(
                proptest::sample::select(vec![
                    "auth", "1", "0", "15", "16", "crc", "md5", "sha1", "sha256", "x", "#",
                    "#c", "-1", "",
                ]),
                0..5,
            ),
            0..8,
        )
    ) {
        let text: Vec<String> = lines.iter().map(|words| words.join(" ")).collect();
        let text = text.join("\n");
        if let Ok(keys) = parse(&text) {
            prop_assert_eq!(parse(&render_authkeys(&keys)), Ok(keys));
        }
    }
}

#[test]
fn errors_come_in_line_order() {
    let found = errors("auth 2\n1 sha1 x\n3 sha512 y\n");
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].starts_with("/etc/ha.d/authkeys:1: "), "{found:?}");
    assert!(found[1].starts_with("/etc/ha.d/authkeys:3: "), "{found:?}");
}

#[test]
fn one_key_reads_as_single_keys() {
    assert_eq!(
        keys("auth 1\n1 sha1 lab-secret\n"),
        AuthKeys::single(AuthMethod::Sha1, "lab-secret")
    );
    assert_eq!(
        keys("auth 1\n1 md5 other\n"),
        AuthKeys::single(AuthMethod::Md5, b"other".to_vec())
    );
}
