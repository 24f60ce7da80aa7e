//! The generic message: an ordered list of named, typed fields, stored in one
//! buffer so that decoding a datagram costs two allocations.
//!
//! heartbeat's field types (cluster-glue's `cl_netstring_type`) are 0 string,
//! 1 binary, 2 nested message, 3 list of strings, 4 and 5 compressed nested
//! messages. Strings, binaries and lists are carried; nested and compressed
//! nested fields are refused by the decoder (heartbeat 3.0.6's own receive
//! path cannot authenticate nested messages, and its resource protocol uses
//! neither; only Pacemaker's clients write types 4 and 5). A message
//! compressed whole travels as an ordinary binary field (see `compress`).
//! What a name or value must be to travel is in `rules`; every way into a
//! message checks it.

use std::fmt;

use super::error::WireError;
use super::netstring::{self, Reader};
use super::rules::{empty_problem, name_problem, string_problem};

/// The name of the field holding the classic-rendering token.
pub(crate) const AUTH: &str = "auth";

/// A field's wire type: the digit in `(TYPE)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldKind {
    /// Type 0: text.
    String,
    /// Type 1: raw bytes.
    Binary,
    /// Type 3: a list of strings, packed as netstrings.
    List,
}

impl FieldKind {
    /// The type digit on the wire.
    pub fn code(self) -> u8 {
        match self {
            FieldKind::String => 0,
            FieldKind::Binary => 1,
            FieldKind::List => 3,
        }
    }
}

/// A field's value, borrowed from its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    /// Type 0.
    String(&'a str),
    /// Type 1.
    Binary(&'a [u8]),
    /// Type 3.
    List(List<'a>),
}

impl<'a> Value<'a> {
    /// The wire type.
    pub fn kind(&self) -> FieldKind {
        match self {
            Value::String(_) => FieldKind::String,
            Value::Binary(_) => FieldKind::Binary,
            Value::List(_) => FieldKind::List,
        }
    }

    /// The value's bytes as carried in its netstring.
    pub(crate) fn raw(&self) -> &'a [u8] {
        match self {
            Value::String(text) => text.as_bytes(),
            Value::Binary(bytes) => bytes,
            Value::List(list) => list.packed,
        }
    }
}

/// A list of strings (type 3), packed as `LEN:ITEM,` netstrings.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct List<'a> {
    packed: &'a [u8],
}

impl<'a> List<'a> {
    /// The items, in order.
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + 'a {
        let packed = self.packed;
        let mut reader = Reader::new(packed, 0);
        std::iter::from_fn(move || {
            let range = reader.netstring().ok()?;
            std::str::from_utf8(packed.get(range)?).ok()
        })
    }
}

impl fmt::Debug for List<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// One field of a message, borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    /// The field's name.
    pub name: &'a str,
    /// The field's value.
    pub value: Value<'a>,
}

/// Where a field lies in the message's buffer: its name, one separator
/// byte, then its value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slot {
    pub(crate) kind: FieldKind,
    pub(crate) start: usize,
    pub(crate) name_len: usize,
    pub(crate) value_len: usize,
}

/// A heartbeat message: ordered fields, each a name and a typed value.
///
/// Names may repeat, as in heartbeat; lookups return the first occurrence,
/// as heartbeat's `ha_msg_value` does. The `auth` field is not part of the
/// content: [`super::decode`] verifies and drops it, [`super::encode`] adds it.
#[derive(Clone, Default)]
pub struct WireMessage {
    buf: Vec<u8>,
    slots: Vec<Slot>,
}

impl WireMessage {
    /// An empty message.
    pub fn new() -> Self {
        Self::default()
    }

    /// A message over `buf`, whose fields the decoder has already checked.
    pub(crate) fn from_checked(buf: Vec<u8>, slots: Vec<Slot>) -> Self {
        WireMessage { buf, slots }
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The fields, in order.
    pub fn fields(&self) -> impl ExactSizeIterator<Item = Field<'_>> + DoubleEndedIterator + '_ {
        self.slots.iter().map(|slot| self.field(slot))
    }

    fn field(&self, slot: &Slot) -> Field<'_> {
        let name_end = slot.start + slot.name_len;
        let value_start = name_end + 1;
        let name = self.buf.get(slot.start..name_end).unwrap_or_default();
        let raw = self
            .buf
            .get(value_start..value_start + slot.value_len)
            .unwrap_or_default();
        // Names, strings and list items were checked to be UTF-8 on the way in.
        let text = |bytes| std::str::from_utf8(bytes).unwrap_or_default();
        Field {
            name: text(name),
            value: match slot.kind {
                FieldKind::String => Value::String(text(raw)),
                FieldKind::Binary => Value::Binary(raw),
                FieldKind::List => Value::List(List { packed: raw }),
            },
        }
    }

    /// The value of the first field called `name`.
    pub fn get(&self, name: &str) -> Option<Value<'_>> {
        self.fields().find(|f| f.name == name).map(|f| f.value)
    }

    /// The first field called `name`, if it is a string.
    pub fn string(&self, name: &str) -> Option<&str> {
        match self.get(name)? {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// The first field called `name`, if it is binary.
    pub fn binary(&self, name: &str) -> Option<&[u8]> {
        match self.get(name)? {
            Value::Binary(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// Appends a string field (type 0).
    pub fn push_string(&mut self, name: &str, value: &str) -> Result<(), WireError> {
        check_name(name)?;
        check_value(name, string_problem(value.as_bytes()))?;
        self.append(FieldKind::String, name, value.as_bytes());
        Ok(())
    }

    /// Appends a binary field (type 1).
    pub fn push_binary(&mut self, name: &str, value: &[u8]) -> Result<(), WireError> {
        check_name(name)?;
        check_value(name, empty_problem(value))?;
        self.append(FieldKind::Binary, name, value);
        Ok(())
    }

    /// Appends a list field (type 3).
    pub fn push_list<I, S>(&mut self, name: &str, items: I) -> Result<(), WireError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        check_name(name)?;
        let mut packed = Vec::new();
        for item in items {
            let item = item.as_ref().as_bytes();
            check_value(
                name,
                string_problem(item).map(|_| "a list item is empty or holds NUL"),
            )?;
            netstring::push_header(&mut packed, item.len());
            packed.extend_from_slice(item);
            packed.push(b',');
        }
        check_value(name, empty_problem(&packed).map(|_| "the list is empty"))?;
        self.append(FieldKind::List, name, &packed);
        Ok(())
    }

    /// Appends a copy of `field` (from this or another message).
    pub fn push(&mut self, field: Field<'_>) -> Result<(), WireError> {
        match field.value {
            Value::String(text) => self.push_string(field.name, text),
            Value::Binary(bytes) => self.push_binary(field.name, bytes),
            Value::List(list) => self.push_list(field.name, list.iter()),
        }
    }

    /// Removes every field called `name`; says whether there was one.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.slots.len();
        let buf = &self.buf;
        self.slots.retain(|slot| {
            buf.get(slot.start..slot.start + slot.name_len) != Some(name.as_bytes())
        });
        self.slots.len() != before
    }

    fn append(&mut self, kind: FieldKind, name: &str, value: &[u8]) {
        let start = self.buf.len();
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.push(b'=');
        self.buf.extend_from_slice(value);
        self.slots.push(Slot {
            kind,
            start,
            name_len: name.len(),
            value_len: value.len(),
        });
    }
}

impl PartialEq for WireMessage {
    fn eq(&self, other: &Self) -> bool {
        self.fields().eq(other.fields())
    }
}

impl Eq for WireMessage {}

impl fmt::Debug for WireMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.fields().map(|field| (field.name, field.value)))
            .finish()
    }
}

fn check_name(name: &str) -> Result<(), WireError> {
    let problem = if name == AUTH {
        Some("is reserved for the authentication token, which encode adds")
    } else {
        name_problem(name.as_bytes())
    };
    match problem {
        Some(problem) => Err(WireError::FieldName {
            name: name.to_owned(),
            problem,
        }),
        None => Ok(()),
    }
}

fn check_value(name: &str, problem: Option<&'static str>) -> Result<(), WireError> {
    match problem {
        Some(problem) => Err(WireError::FieldValue {
            name: name.to_owned(),
            problem,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_reads_fields_in_order() {
        let mut msg = WireMessage::new();
        msg.push_string("t", "status").unwrap();
        msg.push_binary("srcuuid", &[0, 1, 2, 0xff]).unwrap();
        msg.push_list("groups", ["a", "b c", "d,e:f"]).unwrap();
        msg.push_string("t", "second").unwrap();
        assert_eq!(msg.len(), 4);
        assert_eq!(msg.string("t"), Some("status"));
        assert_eq!(msg.binary("srcuuid"), Some(&[0, 1, 2, 0xff][..]));
        assert_eq!(msg.string("srcuuid"), None);
        let Some(Value::List(list)) = msg.get("groups") else {
            panic!("no list in {msg:?}")
        };
        assert_eq!(list.iter().collect::<Vec<_>>(), ["a", "b c", "d,e:f"]);
        assert_eq!(list.packed, b"1:a,3:b c,5:d,e:f,");
        let names: Vec<_> = msg.fields().map(|f| f.name).collect();
        assert_eq!(names, ["t", "srcuuid", "groups", "t"]);
    }

    #[test]
    fn remove_drops_every_field_of_that_name() {
        let mut msg = WireMessage::new();
        msg.push_string("a", "1").unwrap();
        msg.push_string("b", "2").unwrap();
        msg.push_string("a", "3").unwrap();
        assert!(msg.remove("a"));
        assert!(!msg.remove("a"));
        assert_eq!(msg.len(), 1);
        assert_eq!(msg.string("b"), Some("2"));
    }

    #[test]
    fn equality_ignores_how_the_buffer_got_there() {
        let mut left = WireMessage::new();
        left.push_string("gone", "x").unwrap();
        left.push_string("a", "1").unwrap();
        left.remove("gone");
        let mut right = WireMessage::new();
        right.push_string("a", "1").unwrap();
        assert_eq!(left, right);
        right.push_binary("a", b"1").unwrap();
        assert_ne!(left, right);
    }

    #[test]
    fn refuses_what_heartbeat_refuses() {
        let mut msg = WireMessage::new();
        let name_err = |r: Result<(), WireError>| match r {
            Err(WireError::FieldName { problem, .. }) => problem,
            other => panic!("{other:?}"),
        };
        let value_err = |r: Result<(), WireError>| match r {
            Err(WireError::FieldValue { problem, .. }) => problem,
            other => panic!("{other:?}"),
        };
        assert!(name_err(msg.push_string("", "x")).contains("empty"));
        assert!(name_err(msg.push_string("a=b", "x")).contains("'='"));
        assert!(name_err(msg.push_string("a\0", "x")).contains("NUL"));
        assert!(name_err(msg.push_string("(1)x", "x")).contains("'('"));
        assert!(name_err(msg.push_string("auth", "1 00")).contains("reserved"));
        assert!(value_err(msg.push_string("a", "")).contains("empty"));
        assert!(value_err(msg.push_string("a", "x\0y")).contains("NUL"));
        assert!(value_err(msg.push_binary("a", b"")).contains("empty"));
        assert!(value_err(msg.push_list("a", Vec::<&str>::new())).contains("empty"));
        assert!(value_err(msg.push_list("a", ["x", ""])).contains("item"));
        assert!(msg.is_empty());
        // Values may hold '=' and newlines.
        msg.push_string("a", "b=c\nd").unwrap();
        assert_eq!(msg.string("a"), Some("b=c\nd"));
    }
}
