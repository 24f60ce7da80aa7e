//! Netlink attributes: a writer that appends whole messages (headers,
//! attributes, nests) to a byte buffer, and a bounds-checked reader that never
//! panics whatever the bytes.
//!
//! Integers are in host byte order as netlink wants, except the fields
//! ip_vs.h declares `__be16`/`__be32` (ports, IPv4 netmask and multicast
//! group), which callers write and read with the `_be` helpers.

use super::{
    GENL_HDRLEN, IPVS_GENL_VERSION, NLA_F_NESTED, NLA_HDRLEN, NLA_TYPE_MASK, NLMSG_HDRLEN,
};
use crate::error::DecodeError;

/// Rounds a length up to netlink's 4-byte alignment.
pub(crate) fn align(len: usize) -> usize {
    (len + 3) & !3
}

/// Appends one generic-netlink message to a buffer; [`MessageWriter::finish`]
/// fills in its length.
pub(crate) struct MessageWriter<'a> {
    buf: &'a mut Vec<u8>,
    start: usize,
}

impl<'a> MessageWriter<'a> {
    /// Starts a message of `family` carrying `command`, appending its headers
    /// to `buf`.
    pub(crate) fn new(
        buf: &'a mut Vec<u8>,
        family: u16,
        flags: u16,
        seq: u32,
        command: u8,
    ) -> Self {
        let start = buf.len();
        buf.extend_from_slice(&0u32.to_ne_bytes()); // length, set by finish
        buf.extend_from_slice(&family.to_ne_bytes());
        buf.extend_from_slice(&flags.to_ne_bytes());
        buf.extend_from_slice(&seq.to_ne_bytes());
        buf.extend_from_slice(&0u32.to_ne_bytes()); // port id: the kernel fills it
        buf.extend_from_slice(&[command, IPVS_GENL_VERSION, 0, 0]);
        debug_assert_eq!(buf.len() - start, NLMSG_HDRLEN + GENL_HDRLEN);
        MessageWriter { buf, start }
    }

    /// Appends an attribute with a raw payload.
    pub(crate) fn put(&mut self, kind: u16, payload: &[u8]) {
        let len = NLA_HDRLEN + payload.len();
        self.buf.extend_from_slice(&(len as u16).to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        self.buf.extend_from_slice(payload);
        self.pad();
    }

    /// Appends a u8 attribute.
    pub(crate) fn put_u8(&mut self, kind: u16, value: u8) {
        self.put(kind, &[value]);
    }

    /// Appends a u16 attribute in host order.
    pub(crate) fn put_u16(&mut self, kind: u16, value: u16) {
        self.put(kind, &value.to_ne_bytes());
    }

    /// Appends a u16 attribute in network order.
    pub(crate) fn put_be16(&mut self, kind: u16, value: u16) {
        self.put(kind, &value.to_be_bytes());
    }

    /// Appends a u32 attribute in host order.
    pub(crate) fn put_u32(&mut self, kind: u16, value: u32) {
        self.put(kind, &value.to_ne_bytes());
    }

    /// Appends a NUL-terminated string attribute.
    pub(crate) fn put_str(&mut self, kind: u16, value: &str) {
        let mut payload = Vec::with_capacity(value.len() + 1);
        payload.extend_from_slice(value.as_bytes());
        payload.push(0);
        self.put(kind, &payload);
    }

    /// Opens a nested attribute; close it with [`MessageWriter::end_nest`].
    pub(crate) fn begin_nest(&mut self, kind: u16) -> usize {
        let at = self.buf.len();
        self.buf.extend_from_slice(&0u16.to_ne_bytes());
        self.buf
            .extend_from_slice(&(kind | NLA_F_NESTED).to_ne_bytes());
        at
    }

    /// Closes the nested attribute opened at `at`.
    pub(crate) fn end_nest(&mut self, at: usize) {
        let len = (self.buf.len() - at) as u16;
        self.buf[at..at + 2].copy_from_slice(&len.to_ne_bytes());
    }

    /// Sets the message length; the message is complete.
    pub(crate) fn finish(self) {
        let len = (self.buf.len() - self.start) as u32;
        self.buf[self.start..self.start + 4].copy_from_slice(&len.to_ne_bytes());
    }

    fn pad(&mut self) {
        let padded = self.start + align(self.buf.len() - self.start);
        self.buf.resize(padded, 0);
    }
}

/// One attribute read from a buffer: its type (flags stripped) and payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Attr<'a> {
    /// Attribute type, without `NLA_F_NESTED`/`NLA_F_NET_BYTEORDER`.
    pub kind: u16,
    /// The payload, without padding.
    pub payload: &'a [u8],
}

/// Iterates over the attributes in a buffer; stops at the first malformed
/// one, reporting it.
pub(crate) struct AttrIter<'a> {
    rest: &'a [u8],
}

impl<'a> AttrIter<'a> {
    /// Attributes packed in `data`.
    pub(crate) fn new(data: &'a [u8]) -> Self {
        AttrIter { rest: data }
    }
}

impl<'a> Iterator for AttrIter<'a> {
    type Item = Result<Attr<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.len() < NLA_HDRLEN {
            // Trailing bytes shorter than a header are padding (nla_parse
            // ignores them too).
            return None;
        }
        let len = usize::from(u16::from_ne_bytes([self.rest[0], self.rest[1]]));
        let kind = u16::from_ne_bytes([self.rest[2], self.rest[3]]) & NLA_TYPE_MASK;
        if len < NLA_HDRLEN || len > self.rest.len() {
            self.rest = &[];
            return Some(Err(DecodeError::BadLength {
                what: "attribute",
                len,
            }));
        }
        let payload = &self.rest[NLA_HDRLEN..len];
        let next = align(len).min(self.rest.len());
        self.rest = &self.rest[next..];
        Some(Ok(Attr { kind, payload }))
    }
}

/// Attributes of one level indexed by type, as the kernel's `nla_parse`
/// gives them: types above the table's size are ignored, a repeated type
/// keeps its last value.
pub(crate) struct AttrTable<'a, const N: usize> {
    slots: [Option<&'a [u8]>; N],
}

impl<'a, const N: usize> AttrTable<'a, N> {
    /// Reads every attribute in `data`.
    pub(crate) fn parse(data: &'a [u8]) -> Result<Self, DecodeError> {
        let mut slots = [None; N];
        for attr in AttrIter::new(data) {
            let attr = attr?;
            if let Some(slot) = slots.get_mut(usize::from(attr.kind)) {
                *slot = Some(attr.payload);
            }
        }
        Ok(AttrTable { slots })
    }

    /// The payload of an attribute, if present.
    pub(crate) fn get(&self, kind: u16) -> Option<&'a [u8]> {
        self.slots.get(usize::from(kind)).copied().flatten()
    }

    /// The payload of a mandatory attribute.
    pub(crate) fn require(&self, kind: u16, name: &'static str) -> Result<&'a [u8], DecodeError> {
        self.get(kind).ok_or(DecodeError::Missing(name))
    }
}

/// Reads exactly `N` bytes (ignoring any extra the kernel may add).
fn fixed<const N: usize>(payload: &[u8], name: &'static str) -> Result<[u8; N], DecodeError> {
    payload
        .get(..N)
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or(DecodeError::BadLength {
            what: name,
            len: payload.len(),
        })
}

/// A u8 payload.
pub(crate) fn get_u8(payload: &[u8], name: &'static str) -> Result<u8, DecodeError> {
    Ok(fixed::<1>(payload, name)?[0])
}

/// A host-order u16 payload.
pub(crate) fn get_u16(payload: &[u8], name: &'static str) -> Result<u16, DecodeError> {
    Ok(u16::from_ne_bytes(fixed(payload, name)?))
}

/// A network-order u16 payload.
pub(crate) fn get_be16(payload: &[u8], name: &'static str) -> Result<u16, DecodeError> {
    Ok(u16::from_be_bytes(fixed(payload, name)?))
}

/// A host-order u32 payload.
pub(crate) fn get_u32(payload: &[u8], name: &'static str) -> Result<u32, DecodeError> {
    Ok(u32::from_ne_bytes(fixed(payload, name)?))
}

/// A host-order unsigned payload of 1, 2, 4 or 8 bytes, widened: counters
/// are u32 in `STATS` and u64 in `STATS64`.
pub(crate) fn get_uint(payload: &[u8], name: &'static str) -> Result<u64, DecodeError> {
    match payload.len() {
        1 => Ok(u64::from(payload[0])),
        2 => get_u16(payload, name).map(u64::from),
        4 => get_u32(payload, name).map(u64::from),
        8 => Ok(u64::from_ne_bytes(fixed(payload, name)?)),
        len => Err(DecodeError::BadLength { what: name, len }),
    }
}

/// A NUL-terminated (or unterminated) string payload.
pub(crate) fn get_str<'a>(payload: &'a [u8], name: &'static str) -> Result<&'a str, DecodeError> {
    let end = payload
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(payload.len());
    std::str::from_utf8(&payload[..end]).map_err(|_| DecodeError::NotUtf8(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writer_pads_attributes_and_sets_lengths() {
        let mut buf = Vec::new();
        let mut w = MessageWriter::new(&mut buf, 0x22, 5, 7, 4);
        w.put_u8(1, 0xab);
        let nest = w.begin_nest(2);
        w.put_str(3, "wlc");
        w.end_nest(nest);
        w.finish();
        let mut expected = Vec::new();
        expected.extend_from_slice(&40u32.to_ne_bytes());
        expected.extend_from_slice(&0x22u16.to_ne_bytes());
        expected.extend_from_slice(&5u16.to_ne_bytes());
        expected.extend_from_slice(&7u32.to_ne_bytes());
        expected.extend_from_slice(&0u32.to_ne_bytes());
        expected.extend_from_slice(&[4, 1, 0, 0]);
        expected.extend_from_slice(&5u16.to_ne_bytes());
        expected.extend_from_slice(&1u16.to_ne_bytes());
        expected.extend_from_slice(&[0xab, 0, 0, 0]);
        expected.extend_from_slice(&12u16.to_ne_bytes());
        expected.extend_from_slice(&(2u16 | 0x8000).to_ne_bytes());
        expected.extend_from_slice(&8u16.to_ne_bytes());
        expected.extend_from_slice(&3u16.to_ne_bytes());
        expected.extend_from_slice(b"wlc\0");
        assert_eq!(buf, expected);
    }

    #[test]
    fn reader_strips_flags_and_rejects_overlong_lengths() {
        let mut data = Vec::new();
        data.extend_from_slice(&6u16.to_ne_bytes());
        data.extend_from_slice(&(4u16 | 0x8000).to_ne_bytes());
        data.extend_from_slice(&[1, 2, 0, 0]);
        data.extend_from_slice(&40u16.to_ne_bytes());
        data.extend_from_slice(&5u16.to_ne_bytes());
        let attrs: Vec<_> = AttrIter::new(&data).collect();
        assert_eq!(
            attrs[0],
            Ok(Attr {
                kind: 4,
                payload: &[1, 2]
            })
        );
        assert_eq!(
            attrs[1],
            Err(DecodeError::BadLength {
                what: "attribute",
                len: 40
            })
        );
        assert_eq!(attrs.len(), 2);
    }

    #[test]
    fn table_keeps_the_last_value_and_ignores_unknown_types() {
        let mut buf = Vec::new();
        let mut w = MessageWriter::new(&mut buf, 1, 0, 0, 0);
        w.put_u32(1, 10);
        w.put_u32(1, 11);
        w.put_u32(9, 99);
        w.finish();
        let attrs = &buf[NLMSG_HDRLEN + GENL_HDRLEN..];
        let table = AttrTable::<3>::parse(attrs).unwrap();
        assert_eq!(get_u32(table.get(1).unwrap(), "x"), Ok(11));
        assert_eq!(table.get(2), None);
        assert_eq!(table.require(2, "two"), Err(DecodeError::Missing("two")));
    }

    #[test]
    fn integer_readers_check_lengths() {
        assert_eq!(
            get_u16(&[1], "port"),
            Err(DecodeError::BadLength {
                what: "port",
                len: 1
            })
        );
        assert_eq!(get_be16(&[1, 2], "port"), Ok(0x0102));
        assert_eq!(get_uint(&7u64.to_ne_bytes(), "conns"), Ok(7));
        assert_eq!(get_uint(&7u32.to_ne_bytes(), "conns"), Ok(7));
        assert!(get_uint(&[0; 3], "conns").is_err());
        assert_eq!(get_str(b"rr\0\0", "sched"), Ok("rr"));
        assert_eq!(get_str(b"rr", "sched"), Ok("rr"));
        assert_eq!(
            get_str(&[0xff, 0], "sched"),
            Err(DecodeError::NotUtf8("sched"))
        );
    }
}
