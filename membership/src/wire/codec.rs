//! Datagrams to messages and back: the netstring layout and both tokens.
//!
//! ```text
//! ###\n  LEN:(TYPE)name=value,  …  LEN:(0)auth=N HEX,  %%%\n  LEN:N HEX,
//! ```
//!
//! The trailer is what heartbeat 3.0.6 checks on receipt (cluster-glue's
//! `netstring2msg`): the token of key N over the bytes from `###\n` through
//! `%%%\n`. The `auth` field holds the token of key N over the classic
//! rendering; heartbeat adds it to every message unless ha.cf says
//! `msgfmt netstring`, and never checks it on netstring input. So a message
//! without an `auth` field is accepted, as heartbeat accepts it, and one with
//! an `auth` field must carry a valid token.
//!
//! heartbeat verifies a trailer naming key N with N's hash method but the
//! *active* key's secret (its `hb_compute_authentication`); we use key N's
//! own secret, which agrees with it whenever authkeys has one key.

use super::classic;
use super::error::{AuthPart, WireError};
use super::fields::{FieldKind, Slot, WireMessage, AUTH};
use super::netstring::{self, Reader};
use super::rules;
use crate::auth::{AuthKey, AuthKeys};

const START: &[u8] = b"###\n";
const END: &[u8] = b"%%%\n";

/// A netstring message's fields, its `auth` field if any, and where the
/// part the trailer signs ends (just after `%%%\n`).
pub(super) struct Body<'a> {
    pub(super) msg: WireMessage,
    pub(super) auth: Option<&'a [u8]>,
    pub(super) end: usize,
}

/// Reads `###\n`, the fields and `%%%\n` at the start of `data`.
pub(super) fn read_body(data: &[u8]) -> Result<Body<'_>, WireError> {
    let mut reader = Reader::new(data, 0);
    if !reader.eat(START) {
        return Err(WireError::NotNetstring);
    }
    let mut slots = Vec::with_capacity(16);
    let mut auth = None;
    while !reader.eat(END) {
        if reader.is_done() {
            return Err(WireError::MissingEnd);
        }
        let offset = reader.offset();
        let content = reader.netstring()?;
        let field = parse_field(data, content.start, content.end, offset)?;
        if field.name == AUTH.as_bytes() {
            if auth.is_some() {
                return Err(WireError::DuplicateAuth);
            }
            if field.kind != FieldKind::String {
                return Err(WireError::BadAuthString {
                    part: AuthPart::Field,
                });
            }
            auth = Some(field.value);
            continue;
        }
        slots.push(Slot {
            kind: field.kind,
            start: field.name_start - START.len(),
            name_len: field.name.len(),
            value_len: field.value.len(),
        });
    }
    let end = reader.pos();
    let fields = data
        .get(START.len()..end.saturating_sub(END.len()))
        .unwrap_or_default();
    Ok(Body {
        msg: WireMessage::from_checked(fields.to_vec(), slots),
        auth,
        end,
    })
}

/// Parses and authenticates one netstring datagram.
///
/// The trailer must carry a valid token of a key in `keys`; the `auth` field,
/// if present, too (it is then dropped from the result). Every malformed
/// input yields an error saying what and where; none panics.
pub(super) fn decode_netstring(datagram: &[u8], keys: &AuthKeys) -> Result<WireMessage, WireError> {
    let body = read_body(datagram)?;
    let signed = datagram.get(..body.end).unwrap_or_default();
    let mut reader = Reader::new(datagram, 0);
    reader.skip(body.end);
    if reader.is_done() {
        return Err(WireError::MissingTrailer);
    }
    let trailer = reader.netstring()?;
    if !reader.is_done() {
        return Err(WireError::TrailingBytes {
            count: reader.rest().len(),
        });
    }
    let trailer = datagram.get(trailer).unwrap_or_default();
    let (index, key, token) = find_key(trailer, keys, AuthPart::Trailer)?;
    if !key.token(signed).matches(token) {
        return Err(WireError::BadToken {
            index,
            part: AuthPart::Trailer,
        });
    }
    if let Some(auth) = body.auth {
        check_field_auth(&body.msg, auth, keys)?;
    }
    Ok(body.msg)
}

/// Checks a message's `auth` field (`INDEX TOKEN`) against its classic
/// text rendering, as heartbeat signs it.
pub(super) fn check_field_auth(
    msg: &WireMessage,
    auth: &[u8],
    keys: &AuthKeys,
) -> Result<(), WireError> {
    let (index, key, token) = find_key(auth, keys, AuthPart::Field)?;
    let mut signer = key.signer();
    classic::render(msg, &mut |piece| signer.update(piece));
    if signer.finish().matches(token) {
        Ok(())
    } else {
        Err(WireError::BadToken {
            index,
            part: AuthPart::Field,
        })
    }
}

/// Serializes `msg` signed with the active key of `keys`.
pub fn encode(msg: &WireMessage, keys: &AuthKeys) -> Result<Vec<u8>, WireError> {
    let key = keys
        .active_key()
        .ok_or(WireError::NoActiveKey { index: keys.active })?;
    Ok(encode_with(msg, keys.active, key))
}

/// Serializes `msg` signed with `key`, announced as index `index`: the fields,
/// then the `auth` field, `%%%\n` and the trailer.
pub fn encode_with(msg: &WireMessage, index: u8, key: &AuthKey) -> Vec<u8> {
    let mut out = unsigned_with_auth(msg, index, key);
    push_trailer(&mut out, index, key);
    out
}

/// `###\n`, the fields, the `auth` field and `%%%\n`: the message as
/// [`encode_with`] writes it, without its trailer.
pub(super) fn unsigned_with_auth(msg: &WireMessage, index: u8, key: &AuthKey) -> Vec<u8> {
    let mut signer = key.signer();
    classic::render(msg, &mut |piece| signer.update(piece));
    unsigned(msg, index, Some(signer.finish().as_bytes()))
}

/// Serializes `msg` signed by its trailer alone, without an `auth` field,
/// as cluster-glue writes the outer message of a compressed one.
pub(super) fn encode_trailer_only(msg: &WireMessage, index: u8, key: &AuthKey) -> Vec<u8> {
    let mut out = unsigned(msg, index, None);
    push_trailer(&mut out, index, key);
    out
}

/// `###\n`, the fields, the `auth` field holding `token` if given, and
/// `%%%\n`, with room for the trailer.
fn unsigned(msg: &WireMessage, index: u8, token: Option<&[u8]>) -> Vec<u8> {
    let index_len = netstring::decimal_len(usize::from(index));
    let auth_len = token.map(|token| index_len + 1 + token.len());
    let fields_len: usize = msg
        .fields()
        .map(|f| netstring::framed_len(field_len(f.name, f.value.raw())))
        .sum();
    let mut out = Vec::with_capacity(
        START.len()
            + fields_len
            + auth_len.map_or(0, |len| netstring::framed_len(field_len(AUTH, &[]) + len))
            + END.len()
            + netstring::framed_len(index_len + 1 + 64),
    );
    out.extend_from_slice(START);
    for field in msg.fields() {
        push_field(
            &mut out,
            field.value.kind().code(),
            field.name,
            field.value.raw(),
        );
    }
    if let (Some(token), Some(len)) = (token, auth_len) {
        netstring::push_header(&mut out, field_len(AUTH, &[]) + len);
        out.extend_from_slice(b"(0)auth=");
        push_auth_string(&mut out, index, token);
        out.push(b',');
    }
    out.extend_from_slice(END);
    out
}

/// Appends the trailer: the token of `key` over everything before it.
pub(super) fn push_trailer(out: &mut Vec<u8>, index: u8, key: &AuthKey) {
    let token = key.token(out);
    netstring::push_header(
        out,
        netstring::decimal_len(usize::from(index)) + 1 + token.as_bytes().len(),
    );
    push_auth_string(out, index, token.as_bytes());
    out.push(b',');
}

/// The content length of a field's netstring: `(T)name=value`.
fn field_len(name: &str, value: &[u8]) -> usize {
    3 + name.len() + 1 + value.len()
}

fn push_field(out: &mut Vec<u8>, code: u8, name: &str, value: &[u8]) {
    netstring::push_header(out, field_len(name, value));
    out.extend_from_slice(&[b'(', b'0' + code, b')']);
    out.extend_from_slice(name.as_bytes());
    out.push(b'=');
    out.extend_from_slice(value);
    out.push(b',');
}

fn push_auth_string(out: &mut Vec<u8>, index: u8, token: &[u8]) {
    netstring::push_decimal(out, usize::from(index));
    out.push(b' ');
    out.extend_from_slice(token);
}

/// A field's parts, as positions in the datagram.
struct RawField<'a> {
    kind: FieldKind,
    name_start: usize,
    name: &'a [u8],
    value: &'a [u8],
}

/// Parses `(TYPE)name=value` at `start..end` of the datagram.
fn parse_field(
    datagram: &[u8],
    start: usize,
    end: usize,
    offset: usize,
) -> Result<RawField<'_>, WireError> {
    let syntax = |problem| WireError::FieldSyntax { offset, problem };
    let content = datagram.get(start..end).unwrap_or_default();
    let [b'(', code, b')', rest @ ..] = content else {
        return Err(syntax("expected \"(TYPE)\" before the name"));
    };
    if !code.is_ascii_digit() {
        return Err(syntax("expected \"(TYPE)\" before the name"));
    }
    let equals = rest
        .iter()
        .position(|&b| b == b'=')
        .ok_or_else(|| syntax("no '=' after the name"))?;
    let (name, value) = rest.split_at(equals);
    let value = value.get(1..).unwrap_or_default();
    if let Some(problem) = rules::name_problem(name) {
        return Err(syntax(problem));
    }
    let text = std::str::from_utf8(name).map_err(|_| syntax("the name is not UTF-8"))?;
    let (kind, problem) = match code {
        b'0' => (FieldKind::String, rules::string_problem(value)),
        b'1' => (FieldKind::Binary, rules::empty_problem(value)),
        b'3' => (FieldKind::List, rules::list_problem(value)),
        b'2' => (
            FieldKind::Binary,
            Some("type 2 (a nested message) is not supported"),
        ),
        b'4' | b'5' => (
            FieldKind::Binary,
            Some("types 4 and 5 (compressed nested messages) are not supported"),
        ),
        _ => (
            FieldKind::Binary,
            Some("unknown field type (heartbeat defines 0 to 5)"),
        ),
    };
    if let Some(problem) = problem {
        return Err(WireError::FieldValue {
            name: text.to_owned(),
            problem,
        });
    }
    Ok(RawField {
        kind,
        name_start: start + 3,
        name,
        value,
    })
}

/// Splits `N HEX` and finds key N.
pub(super) fn find_key<'k, 'a>(
    auth: &'a [u8],
    keys: &'k AuthKeys,
    part: AuthPart,
) -> Result<(u8, &'k AuthKey, &'a [u8]), WireError> {
    let malformed = WireError::BadAuthString { part };
    let space = auth
        .iter()
        .position(|&b| b == b' ')
        .ok_or(malformed.clone())?;
    let (number, token) = auth.split_at(space);
    let token = token.get(1..).unwrap_or_default();
    if number.is_empty()
        || !number.iter().all(u8::is_ascii_digit)
        || token.is_empty()
        || !token.iter().all(u8::is_ascii_hexdigit)
    {
        return Err(malformed);
    }
    let index = netstring::parse_decimal(number).ok_or(malformed)?;
    let unknown = WireError::UnknownKey {
        index: u32::try_from(index).unwrap_or(u32::MAX),
        part,
    };
    let index = u8::try_from(index).map_err(|_| unknown.clone())?;
    let key = keys.get(index).ok_or(unknown)?;
    Ok((index, key, token))
}
