//! Jute primitives (zookeeper-protocol.md §1): a bounds-checked reader over one frame's payload,
//! writers that append to a caller's `Vec<u8>`, and [`DecodeError`].
//!
//! Every length and count is checked against the bytes left BEFORE anything is allocated, so a
//! hostile count (2^31 elements in a 20-byte frame) fails at once.

use bytes::Bytes;

use super::records::{Acl, Id, Stat};

/// Why a payload could not be decoded. `offset` is the byte offset inside the payload (the frame
/// without its 4-byte length) where the failing field starts; `field` names it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input ended inside a field (or a count promises more elements than bytes remain).
    #[error("{field} at offset {offset}: needs {needed} bytes, only {available} left")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Where it starts.
        offset: usize,
        /// Bytes it needs at least.
        needed: u64,
        /// Bytes left in the payload.
        available: usize,
    },
    /// A string, buffer or vector length below -1 (-1 is null).
    #[error("{field} at offset {offset}: invalid length {length}")]
    InvalidLength {
        /// The field being read.
        field: &'static str,
        /// Where its length starts.
        offset: usize,
        /// The length read.
        length: i32,
    },
    /// A `ustring` that is neither UTF-8 nor Java's CESU-8 surrogate-pair form.
    #[error("{field} at offset {offset}: invalid UTF-8")]
    InvalidUtf8 {
        /// The field being read.
        field: &'static str,
        /// Where its bytes start.
        offset: usize,
    },
    /// A well-formed value that this field never takes (an unknown event type, a multi op type
    /// not allowed here, ...).
    #[error("{field} at offset {offset}: unexpected value {value}")]
    InvalidValue {
        /// The field being read.
        field: &'static str,
        /// Where it starts.
        offset: usize,
        /// The value read.
        value: i64,
    },
    /// Bytes left over after a record that must end the payload.
    #[error("{count} trailing bytes at offset {offset} after {field}")]
    TrailingBytes {
        /// The record that should have ended the payload.
        field: &'static str,
        /// Where the extra bytes start.
        offset: usize,
        /// How many there are.
        count: usize,
    },
}

impl DecodeError {
    /// The name of the field that failed.
    #[must_use]
    pub const fn field(&self) -> &'static str {
        match self {
            Self::Truncated { field, .. }
            | Self::InvalidLength { field, .. }
            | Self::InvalidUtf8 { field, .. }
            | Self::InvalidValue { field, .. }
            | Self::TrailingBytes { field, .. } => field,
        }
    }

    /// The payload offset where the failing field starts.
    #[must_use]
    pub const fn offset(&self) -> usize {
        match self {
            Self::Truncated { offset, .. }
            | Self::InvalidLength { offset, .. }
            | Self::InvalidUtf8 { offset, .. }
            | Self::InvalidValue { offset, .. }
            | Self::TrailingBytes { offset, .. } => *offset,
        }
    }
}

/// Wire size of a [`Stat`].
pub const STAT_LEN: usize = 68;

/// Minimum wire size of one ACL entry: perms + two empty strings.
const ACL_MIN_LEN: usize = 12;
/// Minimum wire size of a `ustring`: its length.
pub(super) const USTRING_MIN_LEN: usize = 4;

/// A cursor over one payload. Never panics: every read checks the bytes left.
#[derive(Debug)]
pub(super) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(super) const fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub(super) const fn offset(&self) -> usize {
        self.pos
    }

    pub(super) const fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Fails if any byte is left: for records that must end the payload.
    pub(super) const fn finish(&self, field: &'static str) -> Result<(), DecodeError> {
        if self.remaining() == 0 {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes {
                field,
                offset: self.pos,
                count: self.remaining(),
            })
        }
    }

    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], DecodeError> {
        let Some(bytes) = self.buf.get(self.pos..).and_then(|rest| rest.get(..n)) else {
            return Err(DecodeError::Truncated {
                field,
                offset: self.pos,
                needed: n as u64,
                available: self.remaining(),
            });
        };
        self.pos += n;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], DecodeError> {
        let bytes = self.take(N, field)?;
        Ok(bytes.try_into().expect("take returned exactly N bytes"))
    }

    pub(super) fn i32(&mut self, field: &'static str) -> Result<i32, DecodeError> {
        self.array(field).map(i32::from_be_bytes)
    }

    pub(super) fn i64(&mut self, field: &'static str) -> Result<i64, DecodeError> {
        self.array(field).map(i64::from_be_bytes)
    }

    /// A jute boolean: Java reads any non-zero byte as true.
    pub(super) fn bool(&mut self, field: &'static str) -> Result<bool, DecodeError> {
        self.array::<1>(field).map(|[b]| b != 0)
    }

    /// A length or count prefix: `None` for -1 (null). `min_elem` is the smallest wire size of
    /// one element; the whole minimum must fit in the bytes left after the prefix.
    fn length(
        &mut self,
        field: &'static str,
        min_elem: usize,
    ) -> Result<Option<usize>, DecodeError> {
        let offset = self.pos;
        let length = self.i32(field)?;
        if length == -1 {
            return Ok(None);
        }
        let Ok(count) = usize::try_from(length) else {
            return Err(DecodeError::InvalidLength {
                field,
                offset,
                length,
            });
        };
        let needed = (count as u64).saturating_mul(min_elem as u64);
        if needed > self.remaining() as u64 {
            return Err(DecodeError::Truncated {
                field,
                offset: self.pos,
                needed,
                available: self.remaining(),
            });
        }
        Ok(Some(count))
    }

    /// A jute `buffer`, borrowed; `None` is null (length -1).
    pub(super) fn buffer(&mut self, field: &'static str) -> Result<Option<&'a [u8]>, DecodeError> {
        match self.length(field, 1)? {
            None => Ok(None),
            Some(n) => self.take(n, field).map(Some),
        }
    }

    /// A jute `buffer` copied out; `None` is null, kept apart from empty.
    pub(super) fn opt_bytes(&mut self, field: &'static str) -> Result<Option<Bytes>, DecodeError> {
        Ok(self.buffer(field)?.map(Bytes::copy_from_slice))
    }

    /// A nullable `ustring`.
    pub(super) fn opt_ustring(
        &mut self,
        field: &'static str,
    ) -> Result<Option<String>, DecodeError> {
        let offset = self.pos + 4;
        match self.buffer(field)? {
            None => Ok(None),
            Some(bytes) => utf8(bytes)
                .map(Some)
                .ok_or(DecodeError::InvalidUtf8 { field, offset }),
        }
    }

    /// A `ustring` where the model has no null: null (-1) reads as `""`, which every path check
    /// rejects just as Java rejects a null path (see the module docs of `proto`).
    pub(super) fn ustring(&mut self, field: &'static str) -> Result<String, DecodeError> {
        Ok(self.opt_ustring(field)?.unwrap_or_default())
    }

    /// A `vector<T>`; null (-1) reads as empty. `min_elem` bounds the count before allocating.
    pub(super) fn vec<T>(
        &mut self,
        field: &'static str,
        min_elem: usize,
        mut elem: impl FnMut(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        debug_assert!(
            min_elem > 0,
            "a zero-size element would let counts run free"
        );
        let Some(count) = self.length(field, min_elem)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            out.push(elem(self)?);
        }
        Ok(out)
    }

    /// A `vector<ustring>`; null reads as empty and null elements as `""`.
    pub(super) fn strings(&mut self, field: &'static str) -> Result<Vec<String>, DecodeError> {
        self.vec(field, USTRING_MIN_LEN, |r| r.ustring(field))
    }

    pub(super) fn stat(&mut self) -> Result<Stat, DecodeError> {
        let b: [u8; STAT_LEN] = self.array("Stat")?;
        let l = |at: usize| i64::from_be_bytes(b[at..at + 8].try_into().expect("8 bytes"));
        let i = |at: usize| i32::from_be_bytes(b[at..at + 4].try_into().expect("4 bytes"));
        Ok(Stat {
            czxid: l(0),
            mzxid: l(8),
            ctime: l(16),
            mtime: l(24),
            version: i(32),
            cversion: i(36),
            aversion: i(40),
            ephemeral_owner: l(44),
            data_length: i(52),
            num_children: i(56),
            pzxid: l(60),
        })
    }

    pub(super) fn acl_list(&mut self, field: &'static str) -> Result<Vec<Acl>, DecodeError> {
        self.vec(field, ACL_MIN_LEN, |r| {
            Ok(Acl {
                perms: r.i32("ACL.perms")?,
                id: Id {
                    scheme: r.ustring("Id.scheme")?,
                    id: r.ustring("Id.id")?,
                },
            })
        })
    }
}

/// Decodes UTF-8, also accepting the CESU-8 form Java's jute writer uses for characters outside
/// the BMP (each UTF-16 surrogate as its own 3-byte sequence). Lone surrogates are rejected.
fn utf8(bytes: &[u8]) -> Option<String> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Some(s.to_owned()),
        Err(_) => cesu8(bytes),
    }
}

/// The slow path of [`utf8`].
fn cesu8(mut bytes: &[u8]) -> Option<String> {
    let mut out = String::with_capacity(bytes.len());
    loop {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                out.push_str(s);
                return Some(out);
            }
            Err(e) => {
                let (good, rest) = bytes.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(good).expect("valid up to here"));
                let (c, rest) = surrogate_pair(rest)?;
                out.push(c);
                bytes = rest;
            }
        }
    }
}

/// One CESU-8 surrogate pair `ED A0..AF xx ED B0..BF xx` at the start of `b`.
fn surrogate_pair(b: &[u8]) -> Option<(char, &[u8])> {
    let (pair, rest) = (b.get(..6)?, &b[6..]);
    let unit = |s: &[u8]| -> Option<u32> {
        let cont = |x: u8| (x & 0xC0 == 0x80).then_some(u32::from(x & 0x3F));
        (s[0] == 0xED).then_some(())?;
        Some(0xD000 | cont(s[1])? << 6 | cont(s[2])?)
    };
    let (high, low) = (unit(&pair[..3])?, unit(&pair[3..])?);
    if !(0xD800..0xDC00).contains(&high) || !(0xDC00..0xE000).contains(&low) {
        return None;
    }
    let c = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
    Some((char::from_u32(c)?, rest))
}

/// Converts a length to the wire's `int`. Records over 2 GiB are a caller bug: frames are
/// limited to [`super::MAX_FRAME_LEN`] long before that.
fn wire_len(len: usize) -> i32 {
    i32::try_from(len).expect("jute length exceeds i32::MAX")
}

pub(super) fn put_i32(out: &mut Vec<u8>, v: i32) {
    out.extend_from_slice(&v.to_be_bytes());
}

pub(super) fn put_i64(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Writes 0 or 1 (kazoo and the Rust client want exactly 1 for true).
pub(super) fn put_bool(out: &mut Vec<u8>, v: bool) {
    out.push(u8::from(v));
}

/// A nullable `buffer`: `None` is length -1.
pub(super) fn put_buffer(out: &mut Vec<u8>, v: Option<&[u8]>) {
    match v {
        None => put_i32(out, -1),
        Some(b) => {
            put_i32(out, wire_len(b.len()));
            out.extend_from_slice(b);
        }
    }
}

/// A `ustring` (never null; use [`put_opt_ustring`] for nullable fields).
pub(super) fn put_ustring(out: &mut Vec<u8>, s: &str) {
    put_buffer(out, Some(s.as_bytes()));
}

/// A nullable `ustring`.
pub(super) fn put_opt_ustring(out: &mut Vec<u8>, s: Option<&str>) {
    put_buffer(out, s.map(str::as_bytes));
}

/// A `vector<ustring>`.
pub(super) fn put_strings(out: &mut Vec<u8>, v: &[String]) {
    put_i32(out, wire_len(v.len()));
    for s in v {
        put_ustring(out, s);
    }
}

pub(super) fn put_stat(out: &mut Vec<u8>, s: &Stat) {
    put_i64(out, s.czxid);
    put_i64(out, s.mzxid);
    put_i64(out, s.ctime);
    put_i64(out, s.mtime);
    put_i32(out, s.version);
    put_i32(out, s.cversion);
    put_i32(out, s.aversion);
    put_i64(out, s.ephemeral_owner);
    put_i32(out, s.data_length);
    put_i32(out, s.num_children);
    put_i64(out, s.pzxid);
}

pub(super) fn put_acl_list(out: &mut Vec<u8>, v: &[Acl]) {
    put_i32(out, wire_len(v.len()));
    for a in v {
        put_i32(out, a.perms);
        put_ustring(out, &a.id.scheme);
        put_ustring(out, &a.id.id);
    }
}

impl Stat {
    /// Appends the 68-byte wire form.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_stat(out, self);
    }

    /// Reads a Stat that is exactly `bytes` (68 bytes).
    ///
    /// # Errors
    /// When `bytes` is shorter or longer than 68 bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let stat = r.stat()?;
        r.finish("Stat")?;
        Ok(stat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cesu8_surrogate_pair_decodes_to_one_char() {
        // U+1F600 as Java writes it: D83D DE00, each as 3 bytes.
        let java = [b'a', 0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80, b'b'];
        assert_eq!(utf8(&java).as_deref(), Some("a\u{1F600}b"));
        assert_eq!(
            utf8("a\u{1F600}b".as_bytes()).as_deref(),
            Some("a\u{1F600}b")
        );
        // A lone high surrogate and plain garbage are errors.
        assert_eq!(utf8(&[0xED, 0xA0, 0xBD, b'x']), None);
        assert_eq!(utf8(&[0xFF]), None);
        // A low surrogate first is not a pair.
        assert_eq!(utf8(&[0xED, 0xB8, 0x80, 0xED, 0xA0, 0xBD]), None);
    }

    #[test]
    fn huge_vector_count_fails_before_allocating() {
        let mut buf = Vec::new();
        put_i32(&mut buf, i32::MAX);
        buf.extend_from_slice(&[0; 16]);
        let err = Reader::new(&buf).strings("v").expect_err("count too large");
        assert!(matches!(
            err,
            DecodeError::Truncated {
                offset: 4,
                available: 16,
                ..
            }
        ));
    }

    #[test]
    fn negative_length_other_than_null_is_invalid() {
        let mut buf = Vec::new();
        put_i32(&mut buf, -2);
        let err = Reader::new(&buf)
            .opt_bytes("data")
            .expect_err("-2 is not a length");
        assert_eq!(
            err,
            DecodeError::InvalidLength {
                field: "data",
                offset: 0,
                length: -2
            }
        );
    }
}
