//! Message authentication with the methods of authkeys.
//!
//! heartbeat signs every message twice with the active key: a trailer over the
//! netstring bytes and an `auth` field over the message's classic rendering
//! (see [`crate::wire`]). Here live the keys and the keyed hashes themselves.

/// A keyed hash method named in authkeys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthMethod {
    /// heartbeat's `crc`: a checksum with no secret; detects corruption only.
    Crc,
    /// HMAC-MD5, as heartbeat computes it.
    Md5,
    /// HMAC-SHA1, as heartbeat computes it.
    Sha1,
    /// HMAC-SHA256: our extension (`N sha256 SECRET`).
    Sha256,
}

impl AuthMethod {
    /// The name used in authkeys.
    pub fn name(self) -> &'static str {
        match self {
            AuthMethod::Crc => "crc",
            AuthMethod::Md5 => "md5",
            AuthMethod::Sha1 => "sha1",
            AuthMethod::Sha256 => "sha256",
        }
    }
}

/// One numbered key of authkeys.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthKey {
    /// The hash method.
    pub method: AuthMethod,
    /// The shared secret (empty for crc).
    pub secret: Vec<u8>,
}

impl std::fmt::Debug for AuthKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        f.debug_struct("AuthKey")
            .field("method", &self.method)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// The keys of authkeys: the one used to sign, and all that verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthKeys {
    /// The index named by `auth N`: outgoing messages are signed with it.
    pub active: u8,
    /// Every key by index; incoming messages may use any of them.
    pub keys: std::collections::BTreeMap<u8, AuthKey>,
}
