//! Message authentication with the methods of authkeys.
//!
//! heartbeat signs every message twice with the active key: a trailer over the
//! netstring bytes and an `auth` field over the message's classic rendering
//! (see [`crate::wire`]). Here live the keys and the keyed hashes themselves.
//!
//! The tokens are exactly heartbeat 3.0.6's (checked against packets of the
//! real daemon):
//! - `crc`: CRC-32 with polynomial 0x04C11DB7, initial value 0, no bit
//!   reflection, the result inverted, written as lowercase hex *without*
//!   leading zeros (`printf("%lx")`). No secret.
//! - `md5`, `sha1`: standard HMAC (a secret longer than 64 bytes is hashed
//!   first), written as lowercase hex.
//! - `sha256`: HMAC-SHA256, our extension, lowercase hex.

use hmac::{Hmac, KeyInit, Mac};

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

impl AuthKey {
    /// Starts an incremental token computation: feed the data with
    /// [`Signer::update`], then take the token with [`Signer::finish`].
    pub fn signer(&self) -> Signer {
        Signer {
            state: match self.method {
                AuthMethod::Crc => State::Crc(0),
                AuthMethod::Md5 => State::Md5(keyed(&self.secret)),
                AuthMethod::Sha1 => State::Sha1(keyed(&self.secret)),
                AuthMethod::Sha256 => State::Sha256(keyed(&self.secret)),
            },
        }
    }

    /// The token heartbeat computes for `data` with this key.
    pub fn token(&self, data: &[u8]) -> Token {
        let mut signer = self.signer();
        signer.update(data);
        signer.finish()
    }
}

/// HMAC accepts keys of any length; `Hmac::new` hashes long ones itself.
fn keyed<D>(secret: &[u8]) -> Hmac<D>
where
    D: hmac::digest::block_api::EagerHash,
    Hmac<D>: KeyInit,
{
    // `new_from_slice` cannot fail for HMAC, but a zero-padded block key is
    // the same HMAC key as the secret when the secret fits in a block, and the
    // block-sized digest of it otherwise: build that key ourselves so no error
    // path is left.
    let mut key = hmac::digest::Key::<Hmac<D>>::default();
    if secret.len() <= key.len() {
        if let Some(prefix) = key.get_mut(..secret.len()) {
            prefix.copy_from_slice(secret);
        }
    } else {
        let digest = D::digest(secret);
        if let Some(prefix) = key.get_mut(..digest.len()) {
            prefix.copy_from_slice(&digest);
        }
    }
    <Hmac<D> as KeyInit>::new(&key)
}

/// An incremental token computation (see [`AuthKey::signer`]).
#[derive(Clone)]
pub struct Signer {
    state: State,
}

#[derive(Clone)]
enum State {
    Crc(u32),
    Md5(Hmac<md5::Md5>),
    Sha1(Hmac<sha1::Sha1>),
    Sha256(Hmac<sha2::Sha256>),
}

impl Signer {
    /// Adds `data` to what is signed.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.state {
            State::Crc(crc) => *crc = crc_update(*crc, data),
            State::Md5(mac) => mac.update(data),
            State::Sha1(mac) => mac.update(data),
            State::Sha256(mac) => mac.update(data),
        }
    }

    /// The token over everything added.
    pub fn finish(self) -> Token {
        match self.state {
            State::Crc(crc) => Token::crc(!crc),
            State::Md5(mac) => Token::hex(&mac.finalize().into_bytes()),
            State::Sha1(mac) => Token::hex(&mac.finalize().into_bytes()),
            State::Sha256(mac) => Token::hex(&mac.finalize().into_bytes()),
        }
    }
}

/// heartbeat's CRC table: polynomial 0x04C11DB7, most significant bit first.
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u32) << 24;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04C1_1DB7
            } else {
                crc << 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

fn crc_update(mut crc: u32, data: &[u8]) -> u32 {
    for &byte in data {
        let index = ((crc >> 24) as u8 ^ byte) as usize;
        crc = (crc << 8) ^ CRC_TABLE[index];
    }
    crc
}

/// The longest token: 32 bytes of HMAC-SHA256 in hex.
const TOKEN_MAX: usize = 64;

/// An authentication token as written on the wire: lowercase hex.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Token {
    bytes: [u8; TOKEN_MAX],
    len: usize,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl Token {
    fn hex(digest: &[u8]) -> Token {
        let mut token = Token {
            bytes: [0; TOKEN_MAX],
            len: 0,
        };
        for (&byte, pair) in digest.iter().zip(token.bytes.chunks_exact_mut(2)) {
            pair[0] = HEX[usize::from(byte >> 4)];
            pair[1] = HEX[usize::from(byte & 0xf)];
            token.len += 2;
        }
        token
    }

    /// `printf("%lx")`: no leading zeros.
    fn crc(value: u32) -> Token {
        let full = Token::hex(&value.to_be_bytes());
        let zeros = full.as_bytes().iter().take_while(|&&b| b == b'0').count();
        let keep = zeros.min(full.len - 1);
        let mut token = Token {
            bytes: [0; TOKEN_MAX],
            len: full.len - keep,
        };
        token.bytes[..token.len].copy_from_slice(&full.bytes[keep..full.len]);
        token
    }

    /// The token's characters.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// The token as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever written.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    /// Whether `received` is this token, compared in constant time.
    pub fn matches(&self, received: &[u8]) -> bool {
        tokens_match(self.as_bytes(), received)
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Token({})", self.as_str())
    }
}

impl std::fmt::Display for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Compares two tokens in time that depends only on their lengths.
pub fn tokens_match(expected: &[u8], received: &[u8]) -> bool {
    if expected.len() != received.len() {
        return false;
    }
    let diff = expected
        .iter()
        .zip(received)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    std::hint::black_box(diff) == 0
}

/// The keys of authkeys: the one used to sign, and all that verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthKeys {
    /// The index named by `auth N`: outgoing messages are signed with it.
    pub active: u8,
    /// Every key by index; incoming messages may use any of them.
    pub keys: std::collections::BTreeMap<u8, AuthKey>,
}

impl AuthKeys {
    /// Keys of one key, index 1, active: what authkeys reading `auth 1` and
    /// `1 METHOD SECRET` gives.
    pub fn single(method: AuthMethod, secret: impl Into<Vec<u8>>) -> Self {
        AuthKeys {
            active: 1,
            keys: std::collections::BTreeMap::from([(
                1,
                AuthKey {
                    method,
                    secret: secret.into(),
                },
            )]),
        }
    }

    /// The key outgoing messages are signed with, if authkeys defines it.
    pub fn active_key(&self) -> Option<&AuthKey> {
        self.keys.get(&self.active)
    }

    /// The key with this index, if any.
    pub fn get(&self, index: u8) -> Option<&AuthKey> {
        self.keys.get(&index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(method: AuthMethod, secret: &[u8]) -> AuthKey {
        AuthKey {
            method,
            secret: secret.to_vec(),
        }
    }

    #[test]
    fn hmac_tokens_match_rfc_2202_and_4231() {
        // RFC 2202 test case 2 (MD5 and SHA-1) and RFC 4231 test case 2.
        let data = b"what do ya want for nothing?";
        assert_eq!(
            key(AuthMethod::Md5, b"Jefe").token(data).as_str(),
            "750c783e6ab0b503eaa86e310a5db738"
        );
        assert_eq!(
            key(AuthMethod::Sha1, b"Jefe").token(data).as_str(),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
        assert_eq!(
            key(AuthMethod::Sha256, b"Jefe").token(data).as_str(),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn long_secrets_are_hashed_first() {
        // RFC 2202 test case 6: an 80-byte key.
        let secret = [0xaa; 80];
        let data = b"Test Using Larger Than Block-Size Key - Hash Key First";
        assert_eq!(
            key(AuthMethod::Sha1, &secret).token(data).as_str(),
            "aa4ae5e15272d00e95705637ce8a3b55ed402112"
        );
        assert_eq!(
            key(AuthMethod::Md5, &secret).token(data).as_str(),
            "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"
        );
    }

    #[test]
    fn crc_is_the_unreflected_inverted_crc32_without_leading_zeros() {
        // CRC-32/POSIX's check value is for "123456789" *with* its length
        // appended; heartbeat appends nothing, which is CRC-32/MPEG-2 inverted:
        // MPEG-2 starts from all ones, heartbeat from zero, so compare with a
        // bitwise reference instead.
        fn reference(data: &[u8]) -> u32 {
            let mut crc = 0u32;
            for &byte in data {
                crc ^= u32::from(byte) << 24;
                for _ in 0..8 {
                    crc = if crc & 0x8000_0000 != 0 {
                        (crc << 1) ^ 0x04C1_1DB7
                    } else {
                        crc << 1
                    };
                }
            }
            !crc
        }
        let crc = key(AuthMethod::Crc, b"");
        for data in [&b""[..], b"123456789", b"###\n%%%\n", &[0xff; 100]] {
            assert_eq!(
                crc.token(data).as_str(),
                format!("{:x}", reference(data)),
                "{data:?}"
            );
        }
        assert_eq!(crc.token(b"").as_str(), "ffffffff");
    }

    #[test]
    fn crc_tokens_drop_leading_zeros_but_keep_one_digit() {
        assert_eq!(Token::crc(0x0074_c512).as_str(), "74c512");
        assert_eq!(Token::crc(0).as_str(), "0");
        assert_eq!(Token::crc(0x1000_0000).as_str(), "10000000");
    }

    #[test]
    fn incremental_signing_equals_one_shot() {
        for method in [
            AuthMethod::Crc,
            AuthMethod::Md5,
            AuthMethod::Sha1,
            AuthMethod::Sha256,
        ] {
            let key = key(method, b"secret");
            let mut signer = key.signer();
            signer.update(b"hello ");
            signer.update(b"world");
            assert_eq!(signer.finish(), key.token(b"hello world"), "{method:?}");
        }
    }

    #[test]
    fn token_comparison() {
        let token = key(AuthMethod::Sha1, b"k").token(b"x");
        assert!(token.matches(token.as_bytes()));
        let mut flipped = token.as_bytes().to_vec();
        flipped[7] ^= 1;
        assert!(!token.matches(&flipped));
        assert!(!token.matches(&flipped[..10]));
        assert!(!tokens_match(b"", b"a"));
    }

    #[test]
    fn secrets_are_not_printed() {
        let shown = format!("{:?}", key(AuthMethod::Sha1, b"hunter2"));
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
