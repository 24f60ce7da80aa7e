//! authkeys: the numbered keys that sign and verify heartbeat messages.
//!
//! ```text
//! auth 2              # the key that signs outgoing messages
//! 1 crc               # a checksum, no secret
//! 2 sha1 SECRET       # HMAC-SHA1
//! 3 md5 SECRET        # HMAC-MD5
//! 4 sha256 SECRET     # HMAC-SHA256 (our extension)
//! ```
//!
//! As in heartbeat: a line whose first word starts with `#` is a comment;
//! key indexes run from 0 to 15 (heartbeat keeps 16 slots; its manual says
//! 1 to 15); the method name is case-sensitive; a secret is one word, taken
//! literally (it may even start with `#`); `crc` takes no secret and the
//! other methods need one; the file must not be readable by group or others
//! (we refuse group or other write permission too).
//!
//! Stricter than heartbeat, which silently takes the last of duplicates and
//! ignores extra words: a second `auth` line, a repeated index, and words
//! after the secret (unless they start with `#`) are refused, so that a
//! secret with a space in it is not quietly cut short. More lenient: the
//! `auth` line may come after the key it names (heartbeat needs it first).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use ha_conf::{ConfigError, ConfigErrors, Diagnostics, Line, Source};

use crate::auth::{AuthKey, AuthKeys, AuthMethod};
use crate::config::lexer::split_whitespace;

#[cfg(test)]
mod tests;

/// The highest key index heartbeat accepts.
pub const MAX_KEY_INDEX: u8 = 15;

/// The methods by their authkeys names.
const METHODS: &[(&str, AuthMethod)] = &[
    ("crc", AuthMethod::Crc),
    ("md5", AuthMethod::Md5),
    ("sha1", AuthMethod::Sha1),
    ("sha256", AuthMethod::Sha256),
];

/// Reads authkeys text (no permission check; see [`load_authkeys`]).
pub fn parse_authkeys(source: &Source) -> Result<AuthKeys, ConfigErrors> {
    let mut parser = Parser::default();
    for line in source.lines() {
        if let Err(error) = parser.line(line) {
            parser.diagnostics.push(error);
        }
    }
    parser.finish(source)
}

/// Reads an authkeys file: refuses it if group or others may read or write
/// it, then parses it. Every complaint is returned at once.
pub fn load_authkeys(path: &Path) -> Result<AuthKeys, ConfigErrors> {
    let cannot_read = |e: std::io::Error| ConfigError::file(path, format!("cannot read: {e}"));
    let mut file = std::fs::File::open(path).map_err(cannot_read)?;
    let metadata = file.metadata().map_err(cannot_read)?;
    if !metadata.is_file() {
        return Err(ConfigError::file(path, "not a regular file").into());
    }
    let mode = metadata.mode();
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(cannot_read)?;
    let text = String::from_utf8(bytes)
        .map_err(|e| ConfigError::file(path, format!("not valid UTF-8 text: {e}")))?;
    let parsed = parse_authkeys(&Source::new(path, text));
    match (check_mode(path, mode), parsed) {
        (Ok(()), parsed) => parsed,
        (Err(error), Ok(_)) => Err(error.into()),
        (Err(error), Err(more)) => {
            let mut errors = ConfigErrors::from(error);
            errors.extend(more);
            Err(errors)
        }
    }
}

/// Refuses a mode that lets group or others read or write the keys.
fn check_mode(path: &Path, mode: u32) -> Result<(), ConfigError> {
    if mode & 0o066 == 0 {
        return Ok(());
    }
    Err(ConfigError::file(
        path,
        format!(
            "permissions {:04o} let group or others read or write the keys; \
             `chmod 600 {}` fixes it",
            mode & 0o7777,
            path.display()
        ),
    ))
}

/// Writes keys as authkeys text that [`parse_authkeys`] reads back.
///
/// Secrets must be what the parser produces: one word of UTF-8 without
/// whitespace (anything else is written lossily and will not read back).
pub fn render_authkeys(keys: &AuthKeys) -> String {
    let mut text = format!("auth {}\n", keys.active);
    for (index, key) in &keys.keys {
        let method = key.method.name();
        if key.method == AuthMethod::Crc {
            text.push_str(&format!("{index} {method}\n"));
        } else {
            let secret = String::from_utf8_lossy(&key.secret);
            text.push_str(&format!("{index} {method} {secret}\n"));
        }
    }
    text
}

/// What has been read of one authkeys file so far.
#[derive(Default)]
struct Parser<'s> {
    diagnostics: Diagnostics,
    active: Option<(Option<u8>, Line<'s>)>,
    keys: BTreeMap<u8, (AuthKey, Line<'s>)>,
    /// Indexes whose key line was refused: no second complaint about them.
    refused: BTreeSet<u8>,
}

impl<'s> Parser<'s> {
    /// Reads one line.
    fn line(&mut self, line: Line<'s>) -> Result<(), ConfigError> {
        let words: Vec<&str> = split_whitespace(line.text).collect();
        match words.as_slice() {
            [] => Ok(()),
            [first, ..] if first.starts_with('#') => Ok(()),
            ["auth", rest @ ..] => self.auth(line, rest),
            [index, rest @ ..] => self.key(line, index, rest),
        }
    }

    /// `auth N`.
    fn auth(&mut self, line: Line<'s>, rest: &[&str]) -> Result<(), ConfigError> {
        if let Some((_, first)) = self.active {
            return Err(line.error(format!("auth is already set at line {}", first.number)));
        }
        let outcome = auth_index(rest);
        self.active = Some((outcome.as_ref().ok().copied(), line));
        outcome.map(|_| ()).map_err(|message| line.error(message))
    }

    /// `N METHOD [SECRET]`.
    fn key(&mut self, line: Line<'s>, index: &str, rest: &[&str]) -> Result<(), ConfigError> {
        let index = key_index(index).map_err(|message| line.error(message))?;
        if let Some((_, first)) = self.keys.get(&index) {
            return Err(line.error(format!(
                "key {index} is already defined at line {}",
                first.number
            )));
        }
        match key(index, rest) {
            Ok(key) => {
                self.keys.insert(index, (key, line));
                Ok(())
            }
            Err(message) => {
                self.refused.insert(index);
                Err(line.error(message))
            }
        }
    }

    /// The keys, or every complaint.
    fn finish(mut self, source: &Source) -> Result<AuthKeys, ConfigErrors> {
        let active = match self.active {
            None => {
                self.diagnostics.push(
                    source.error("no 'auth N' line: name the key that signs outgoing messages"),
                );
                None
            }
            Some((None, _)) => None,
            Some((Some(index), line)) => self.check_active(index, line),
        };
        let keys = self
            .keys
            .into_iter()
            .map(|(i, (key, _))| (i, key))
            .collect();
        let keys = AuthKeys {
            active: active.unwrap_or_default(),
            keys,
        };
        self.diagnostics.finish(keys)
    }

    /// The index `auth` names, if it names a key of the file.
    fn check_active(&mut self, index: u8, line: Line<'s>) -> Option<u8> {
        if self.keys.contains_key(&index) {
            return Some(index);
        }
        if !self.refused.contains(&index) {
            let defined: Vec<String> = self.keys.keys().map(u8::to_string).collect();
            let defined = match defined.is_empty() {
                true => "no key is defined".to_owned(),
                false => format!("defined: {}", defined.join(", ")),
            };
            self.diagnostics.push(line.error(format!(
                "auth {index}: key {index} is not defined in this file ({defined})"
            )));
        }
        None
    }
}

/// Why a word is not a key index.
enum BadIndex {
    /// Not a decimal number.
    NotANumber,
    /// A number above [`MAX_KEY_INDEX`].
    OutOfRange,
}

/// A key index, 0 to 15.
fn index(text: &str) -> Result<u8, BadIndex> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(BadIndex::NotANumber);
    }
    match text.parse::<u8>() {
        Ok(index) if index <= MAX_KEY_INDEX => Ok(index),
        _ => Err(BadIndex::OutOfRange),
    }
}

/// The index of an `auth` line, followed by nothing or a comment.
fn auth_index(rest: &[&str]) -> Result<u8, String> {
    let Some(text) = rest.first() else {
        return Err(format!(
            "auth: expected the index of the key that signs outgoing messages \
             (0 to {MAX_KEY_INDEX}), found nothing"
        ));
    };
    let index = index(text).map_err(|bad| match bad {
        BadIndex::NotANumber => {
            format!("auth: expected a key index from 0 to {MAX_KEY_INDEX}, found '{text}'")
        }
        BadIndex::OutOfRange => {
            format!("auth: key index {text} is out of range: expected 0 to {MAX_KEY_INDEX}")
        }
    })?;
    match rest.get(1) {
        Some(extra) if !extra.starts_with('#') => Err(format!(
            "auth {index}: unexpected '{}' after the key index",
            rest[1..].join(" ")
        )),
        _ => Ok(index),
    }
}

/// The index that starts a key line.
fn key_index(text: &str) -> Result<u8, String> {
    index(text).map_err(|bad| match bad {
        BadIndex::NotANumber => {
            format!("expected 'auth N' or 'N METHOD [SECRET]', found '{text}'")
        }
        BadIndex::OutOfRange => {
            format!("key index {text} is out of range: expected 0 to {MAX_KEY_INDEX}")
        }
    })
}

/// The method and secret of key line `index`.
fn key(index: u8, rest: &[&str]) -> Result<AuthKey, String> {
    let expected = "crc, md5, sha1 or sha256";
    let Some(name) = rest.first() else {
        return Err(format!(
            "key {index}: expected a method ({expected}) after the index, found nothing"
        ));
    };
    let Some((_, method)) = METHODS.iter().find(|(n, _)| n == name) else {
        // Only a letter-case slip gets a hint: sha512 is not a typo of sha1.
        let hint = METHODS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(near, _)| format!(" (did you mean '{near}'?)"))
            .unwrap_or_default();
        return Err(format!(
            "key {index}: unknown method '{name}'; expected {expected}{hint}"
        ));
    };
    let secret = secret(index, *method, &rest[1..])?;
    Ok(AuthKey {
        method: *method,
        secret,
    })
}

/// The secret after the method: none for crc, exactly one word otherwise.
fn secret(index: u8, method: AuthMethod, rest: &[&str]) -> Result<Vec<u8>, String> {
    let name = method.name();
    if method == AuthMethod::Crc {
        return match rest.first() {
            Some(word) if !word.starts_with('#') => Err(format!(
                "key {index}: crc takes no secret, found '{}'",
                rest.join(" ")
            )),
            _ => Ok(Vec::new()),
        };
    }
    let Some(secret) = rest.first() else {
        return Err(format!("key {index}: {name} needs a secret"));
    };
    match rest.get(1) {
        Some(extra) if !extra.starts_with('#') => Err(format!(
            "key {index}: a secret is one word without spaces, found '{}' \
             (heartbeat would use only '{secret}')",
            rest.join(" ")
        )),
        _ => Ok(secret.as_bytes().to_vec()),
    }
}
