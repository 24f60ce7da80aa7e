//! What can be wrong with a datagram, a field or a message on the wire.

use std::fmt;

/// Which of heartbeat's two authentication tokens an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthPart {
    /// The netstring after `%%%\n`, over the bytes from `###\n` through `%%%\n`.
    Trailer,
    /// The `auth` field, over the message's classic rendering.
    Field,
}

impl fmt::Display for AuthPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuthPart::Trailer => "trailer",
            AuthPart::Field => "auth field",
        })
    }
}

/// Why a datagram was refused, or a message could not be built or mapped.
///
/// Byte offsets count from the start of the datagram.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The datagram is not in heartbeat's netstring format.
    #[error("not a heartbeat netstring message: it does not begin with \"###\\n\"")]
    NotNetstring,
    /// A netstring's `LEN:` … `,` framing is broken.
    #[error("netstring at byte {offset}: {problem}")]
    Netstring {
        /// Where the netstring starts.
        offset: usize,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A field's `(TYPE)name=` header is broken.
    #[error("field at byte {offset}: {problem}")]
    FieldSyntax {
        /// Where the field's netstring starts.
        offset: usize,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A field name cannot be carried by heartbeat's format.
    #[error("field name {name:?}: {problem}")]
    FieldName {
        /// The name.
        name: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A field value is refused (empty, not UTF-8, an unsupported type…).
    #[error("field \"{name}\": {problem}")]
    FieldValue {
        /// The field's name.
        name: String,
        /// What is wrong with the value.
        problem: &'static str,
    },
    /// The datagram ends before the `%%%\n` end marker.
    #[error("no \"%%%\\n\" end marker: the datagram ends inside the message")]
    MissingEnd,
    /// Nothing follows `%%%\n`: heartbeat always signs its messages.
    #[error("no authentication trailer after \"%%%\\n\"")]
    MissingTrailer,
    /// Bytes follow the authentication trailer.
    #[error("{count} unexpected bytes after the authentication trailer")]
    TrailingBytes {
        /// How many.
        count: usize,
    },
    /// An authentication string is not `N HEX`.
    #[error("malformed authentication string in the {part}: expected \"N HEX\"")]
    BadAuthString {
        /// Which token.
        part: AuthPart,
    },
    /// The message names a key authkeys does not define.
    #[error("unknown authentication key {index} in the {part}: authkeys does not define it")]
    UnknownKey {
        /// The key index the message names.
        index: u32,
        /// Which token.
        part: AuthPart,
    },
    /// The token does not match: wrong key, or the message was altered.
    #[error("bad authentication token for key {index} in the {part}")]
    BadToken {
        /// The key index the message names.
        index: u8,
        /// Which token.
        part: AuthPart,
    },
    /// More than one `auth` field.
    #[error("more than one auth field")]
    DuplicateAuth,
    /// A classic text message does not end with its `<<<` line.
    #[error("no \"<<<\\n\" end line: the text message ends inside itself")]
    MissingTextEnd,
    /// A classic text message has a line that is no field.
    #[error("text line {line}: {problem}")]
    TextLine {
        /// The line's number, the `>>>` line being 1.
        line: usize,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A classic text message carries no `auth` field: heartbeat accepts
    /// none such.
    #[error("no auth field: a text message must be signed")]
    MissingAuth,
    /// authkeys' `auth N` names a key it does not define.
    #[error("cannot sign: authkeys names key {index} as active (\"auth {index}\") but does not define it")]
    NoActiveKey {
        /// The active index.
        index: u8,
    },
    /// A compressed message names a method this node does not have.
    #[error("compressed with '{name}', which this node cannot decompress (it knows zlib and bz2)")]
    UnknownCompression {
        /// The method named by `_compression_algorithm`.
        name: String,
    },
    /// A compressed payload does not decompress.
    #[error("{method} payload: {problem}")]
    BadCompressed {
        /// The method.
        method: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The decompressed message is itself compressed: heartbeat never
    /// compresses twice.
    #[error("a compressed message inside a compressed message")]
    NestedCompression,
    /// The message inside a compressed payload is malformed (offsets count
    /// from the start of the decompressed payload).
    #[error("in the decompressed payload: {0}")]
    InCompressed(Box<WireError>),
    /// A field the message type requires is absent.
    #[error("missing field \"{0}\"")]
    MissingField(&'static str),
    /// A field the message type uses is present but malformed.
    #[error("malformed field \"{name}\": {problem}")]
    BadField {
        /// The field.
        name: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
}
