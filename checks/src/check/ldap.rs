//! The ldap and ldaps negotiate checks (ldirectord's `check_ldap`, through
//! Net::LDAP), with a minimal BER codec: an LDAPv3 simple bind — as
//! `login`/`passwd` when both are set, else anonymous — must succeed, then
//! a base-scope search of `request` (without its leading `/`) with the
//! filter `(objectClass=*)` must return exactly one entry, whose DN must
//! match `receive` when it is set. The whole check is bounded by
//! `checktimeout`, as ldirectord's alarm is.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use super::io::{excerpt, Stream};
use super::outcome::{CheckError, CheckResult};
use super::spec::CheckSpec;

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;
const ENUMERATED: u8 = 0x0a;
const BOOLEAN: u8 = 0x01;
const BIND_REQUEST: u8 = 0x60;
const BIND_RESPONSE: u8 = 0x61;
const UNBIND_REQUEST: u8 = 0x42;
const SEARCH_REQUEST: u8 = 0x63;
const SEARCH_ENTRY: u8 = 0x64;
const SEARCH_DONE: u8 = 0x65;
const SIMPLE_AUTH: u8 = 0x80;
const PRESENT_FILTER: u8 = 0x87;
/// The largest message accepted from a server.
const MAX_MESSAGE: usize = 1 << 20;

/// One BER element: tag, length, contents.
pub(crate) fn tlv(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = contents.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u32).to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(contents);
    out
}

fn integer(tag: u8, value: u32) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let mut skip = bytes.iter().take_while(|&&b| b == 0).count().min(3);
    // Keep a leading zero when the next byte's top bit would make it negative.
    if skip > 0 && bytes.get(skip).is_some_and(|b| b & 0x80 != 0) {
        skip -= 1;
    }
    tlv(tag, bytes.get(skip..).unwrap_or_default())
}

fn message(id: u32, op: Vec<u8>) -> Vec<u8> {
    let mut body = integer(INTEGER, id);
    body.extend(op);
    tlv(SEQUENCE, &body)
}

/// A simple bind request (LDAPv3).
pub(crate) fn bind_request(id: u32, name: &str, password: &str) -> Vec<u8> {
    let mut op = integer(INTEGER, 3);
    op.extend(tlv(OCTET_STRING, name.as_bytes()));
    op.extend(tlv(SIMPLE_AUTH, password.as_bytes()));
    message(id, tlv(BIND_REQUEST, &op))
}

/// A base-scope search of `base` for `(objectClass=*)`, all attributes.
pub(crate) fn search_request(id: u32, base: &str) -> Vec<u8> {
    let mut op = tlv(OCTET_STRING, base.as_bytes());
    op.extend(integer(ENUMERATED, 0)); // scope: base
    op.extend(integer(ENUMERATED, 0)); // never dereference aliases
    op.extend(integer(INTEGER, 0)); // no size limit
    op.extend(integer(INTEGER, 0)); // no time limit
    op.extend(tlv(BOOLEAN, &[0])); // types only: false
    op.extend(tlv(PRESENT_FILTER, b"objectClass"));
    op.extend(tlv(SEQUENCE, &[]));
    message(id, tlv(SEARCH_REQUEST, &op))
}

/// Splits the first BER element off `data`: `(tag, contents, rest)`.
pub(crate) fn split_tlv(data: &[u8]) -> Result<(u8, &[u8], &[u8]), String> {
    let (&tag, rest) = data.split_first().ok_or("missing element")?;
    let (&first, rest) = rest.split_first().ok_or("missing length")?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return Err("unsupported length form".to_string());
        }
        let bytes = rest.get(..count).ok_or("truncated length")?;
        let len = bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, rest.get(count..).unwrap_or_default())
    };
    let contents = rest.get(..len).ok_or("element runs past its message")?;
    Ok((tag, contents, rest.get(len..).unwrap_or_default()))
}

/// The protocol operation of one LDAPMessage: `(message id, op tag, op contents)`.
pub(crate) fn decode_message(data: &[u8]) -> Result<(u32, u8, &[u8]), String> {
    let (tag, body, _) = split_tlv(data)?;
    if tag != SEQUENCE {
        return Err("a message is not a SEQUENCE".to_string());
    }
    let (tag, id, rest) = split_tlv(body)?;
    if tag != INTEGER || id.len() > 4 {
        return Err("bad message id".to_string());
    }
    let id = id.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
    let (op, contents, _) = split_tlv(rest)?;
    Ok((id, op, contents))
}

/// The result code and diagnostic of an LDAPResult.
pub(crate) fn decode_result(contents: &[u8]) -> Result<(u32, String), String> {
    let (tag, code, rest) = split_tlv(contents)?;
    if tag != ENUMERATED || code.len() > 4 {
        return Err("bad result code".to_string());
    }
    let code = code.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
    let diagnostic = split_tlv(rest)
        .and_then(|(_, _, rest)| split_tlv(rest))
        .map(|(_, text, _)| String::from_utf8_lossy(text).into_owned())
        .unwrap_or_default();
    Ok((code, diagnostic))
}

/// Reads one whole BER element from `reader`.
async fn read_element(reader: &mut (impl AsyncRead + Unpin)) -> CheckResult<Vec<u8>> {
    let mut head = [0u8; 2];
    reader
        .read_exact(&mut head)
        .await
        .map_err(CheckError::io("reading an LDAP message"))?;
    let mut element = head.to_vec();
    let len = if head[1] < 0x80 {
        usize::from(head[1])
    } else {
        let count = usize::from(head[1] & 0x7f);
        if count == 0 || count > 4 {
            return Err(CheckError::Malformed("LDAP length form".to_string()));
        }
        let mut bytes = vec![0u8; count];
        reader
            .read_exact(&mut bytes)
            .await
            .map_err(CheckError::io("reading an LDAP message"))?;
        element.extend_from_slice(&bytes);
        bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
    };
    if len > MAX_MESSAGE {
        return Err(CheckError::Malformed(format!(
            "an LDAP message of {len} bytes"
        )));
    }
    let start = element.len();
    element.resize(start + len, 0);
    reader
        .read_exact(element.get_mut(start..).unwrap_or_default())
        .await
        .map_err(CheckError::io("reading an LDAP message"))?;
    Ok(element)
}

/// Runs the check.
pub(crate) async fn check(spec: &CheckSpec, tls: bool) -> CheckResult {
    let mut stream = Stream::connect(spec.target, tls, None, spec.connect_timeout).await?;
    let (name, password) = if !spec.login.is_empty() && !spec.passwd.is_empty() {
        (spec.login.as_str(), spec.passwd.as_str())
    } else {
        ("", "")
    };
    stream
        .write_all(&bind_request(1, name, password))
        .await
        .map_err(CheckError::io("sending the bind"))?;
    loop {
        let element = read_element(&mut stream).await?;
        let (id, op, contents) = decode_message(&element).map_err(CheckError::Malformed)?;
        if id == 1 && op == BIND_RESPONSE {
            let (code, diagnostic) = decode_result(contents).map_err(CheckError::Malformed)?;
            if code != 0 {
                return Err(CheckError::Answer(format!(
                    "bind failed: result {code} {}",
                    excerpt(&diagnostic)
                )));
            }
            break;
        }
    }
    let base = spec.request_body();
    stream
        .write_all(&search_request(2, base))
        .await
        .map_err(CheckError::io("sending the search"))?;
    let mut entries = Vec::new();
    loop {
        let element = read_element(&mut stream).await?;
        let (id, op, contents) = decode_message(&element).map_err(CheckError::Malformed)?;
        match (id, op) {
            (2, SEARCH_ENTRY) => {
                let (_, dn, _) = split_tlv(contents).map_err(CheckError::Malformed)?;
                entries.push(String::from_utf8_lossy(dn).into_owned());
            }
            (2, SEARCH_DONE) => break,
            _ => {}
        }
    }
    let _ = stream
        .write_all(&message(3, tlv(UNBIND_REQUEST, &[])))
        .await;
    match entries.as_slice() {
        [dn] if spec.receive.matches_or_unset(dn.as_bytes()) => Ok(format!("found {dn:?}")),
        [dn] => Err(CheckError::Answer(format!(
            "entry {:?} does not match {:?}",
            excerpt(dn),
            spec.receive.pattern()
        ))),
        _ => Err(CheckError::Answer(format!(
            "search of {base:?} returned {} entries, not 1",
            entries.len()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_integers_encode_as_ber() {
        assert_eq!(tlv(0x04, b"ab"), vec![0x04, 2, b'a', b'b']);
        let long = tlv(0x04, &[0u8; 300]);
        assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2c]);
        assert_eq!(integer(INTEGER, 0), vec![2, 1, 0]);
        assert_eq!(integer(INTEGER, 128), vec![2, 2, 0, 128]);
        assert_eq!(integer(INTEGER, 3), vec![2, 1, 3]);
    }

    #[test]
    fn requests_decode_back() {
        let bind = bind_request(1, "cn=admin", "secret");
        let (id, op, contents) = decode_message(&bind).unwrap();
        assert_eq!((id, op), (1, BIND_REQUEST));
        let (_, version, rest) = split_tlv(contents).unwrap();
        assert_eq!(version, &[3]);
        let (_, name, rest) = split_tlv(rest).unwrap();
        assert_eq!(name, b"cn=admin");
        assert_eq!(
            split_tlv(rest).unwrap(),
            (SIMPLE_AUTH, &b"secret"[..], &[][..])
        );
        let search = search_request(2, "dc=example,dc=com");
        assert_eq!(decode_message(&search).unwrap().1, SEARCH_REQUEST);
    }

    #[test]
    fn truncated_and_odd_input_is_an_error_not_a_panic() {
        let done = message(
            2,
            tlv(
                SEARCH_DONE,
                &[ENUMERATED, 1, 32, 4, 0, 4, 3, b'b', b'a', b'd'],
            ),
        );
        let (_, op, contents) = decode_message(&done).unwrap();
        assert_eq!(op, SEARCH_DONE);
        assert_eq!(decode_result(contents).unwrap(), (32, "bad".to_string()));
        for cut in 0..done.len() {
            assert!(decode_message(&done[..cut]).is_err());
        }
        assert!(split_tlv(&[4, 0x85, 1, 1, 1, 1, 1]).is_err());
        assert!(decode_message(&[0x31, 0]).is_err());
    }
}
