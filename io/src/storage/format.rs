//! Byte formats of log segments and snapshot files, as pure functions over byte slices.
//!
//! A segment is a 24-byte header followed by records:
//!
//! ```text
//! header:  b"ZRLG" | version u32 LE | first zxid u64 LE | crc32c(previous 16 bytes) u32 LE | 0u32
//! record:  payload_len u32 LE | crc32c(payload) u32 LE | payload = postcard(Txn)
//! ```
//!
//! Segments are preallocated with zeros, so a zero length field (followed only by zeros) marks
//! the end of the written records.
//!
//! A snapshot file is `b"ZRSN" | version u32 | zxid u64 | len u64 | bytes | crc32c u32`, the
//! checksum covering the header and the bytes.

use zoorepl_core::ids::Zxid;
use zoorepl_core::txn::Txn;

/// The magic at the start of every log segment.
pub(crate) const SEGMENT_MAGIC: [u8; 4] = *b"ZRLG";
/// The segment format version this code writes and reads.
pub(crate) const SEGMENT_VERSION: u32 = 1;
/// The size of a segment header.
pub(crate) const SEGMENT_HEADER_BYTES: usize = 24;
/// The size of a record's length and checksum fields.
pub(crate) const RECORD_HEADER_BYTES: usize = 8;
/// The largest payload a record may have. Larger lengths read back are damage, and a larger
/// txn appended is a bug (ZooKeeper requests are bounded by jute.maxbuffer, about 1 MiB).
pub(crate) const RECORD_PAYLOAD_MAX: usize = 64 << 20;

/// The magic at the start of every snapshot file.
pub(crate) const SNAPSHOT_MAGIC: [u8; 4] = *b"ZRSN";
/// The snapshot file format version this code writes and reads.
pub(crate) const SNAPSHOT_VERSION: u32 = 1;
/// The size of a snapshot file header.
pub(crate) const SNAPSHOT_HEADER_BYTES: usize = 24;
/// The size of a snapshot file's checksum trailer.
pub(crate) const SNAPSHOT_TRAILER_BYTES: usize = 4;

/// A zxid as the unsigned 64-bit number written in headers and file names.
pub(crate) fn zxid_to_u64(zxid: Zxid) -> u64 {
    u64::from(zxid.epoch) << 32 | u64::from(zxid.counter)
}

/// The inverse of [`zxid_to_u64`].
pub(crate) fn zxid_from_u64(raw: u64) -> Zxid {
    Zxid::new((raw >> 32) as u32, raw as u32)
}

fn u32_at(bytes: &[u8], offset: usize) -> u32 {
    let field: [u8; 4] = bytes[offset..offset + 4]
        .try_into()
        .expect("slice of length 4");
    u32::from_le_bytes(field)
}

fn u64_at(bytes: &[u8], offset: usize) -> u64 {
    let field: [u8; 8] = bytes[offset..offset + 8]
        .try_into()
        .expect("slice of length 8");
    u64::from_le_bytes(field)
}

/// Appends a segment header for a segment whose first record has zxid `first`.
pub(crate) fn encode_segment_header(first: Zxid, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&SEGMENT_MAGIC);
    out.extend_from_slice(&SEGMENT_VERSION.to_le_bytes());
    out.extend_from_slice(&zxid_to_u64(first).to_le_bytes());
    let crc = crc32c::crc32c(&out[start..]);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(out.len() - start, SEGMENT_HEADER_BYTES);
}

/// Reads a segment header: the first zxid, or why the header is not valid.
pub(crate) fn decode_segment_header(bytes: &[u8]) -> Result<Zxid, String> {
    if bytes.len() < SEGMENT_HEADER_BYTES {
        return Err(format!(
            "segment header incomplete: {} of {SEGMENT_HEADER_BYTES} bytes",
            bytes.len()
        ));
    }
    if bytes[0..4] != SEGMENT_MAGIC {
        return Err(format!("bad segment magic {:02x?}", &bytes[0..4]));
    }
    let crc = u32_at(bytes, 16);
    if crc32c::crc32c(&bytes[0..16]) != crc {
        return Err("segment header checksum mismatch".to_owned());
    }
    let version = u32_at(bytes, 4);
    if version != SEGMENT_VERSION {
        return Err(format!(
            "segment format version {version} is not supported (this build reads {SEGMENT_VERSION})"
        ));
    }
    Ok(zxid_from_u64(u64_at(bytes, 8)))
}

/// Appends one record holding `txn`.
///
/// # Panics
/// When the txn encodes to more than [`RECORD_PAYLOAD_MAX`] bytes (the core never builds one).
pub(crate) fn encode_record(txn: &Txn, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&[0u8; RECORD_HEADER_BYTES]);
    let buf = std::mem::take(out);
    *out = postcard::to_extend(txn, buf).expect("in-memory serialization cannot fail");
    let payload_len = out.len() - start - RECORD_HEADER_BYTES;
    assert!(
        payload_len > 0 && payload_len <= RECORD_PAYLOAD_MAX,
        "txn {} encodes to {payload_len} bytes",
        txn.zxid
    );
    let crc = crc32c::crc32c(&out[start + RECORD_HEADER_BYTES..]);
    let len = u32::try_from(payload_len).expect("bounded by RECORD_PAYLOAD_MAX");
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
}

/// What is at an offset of a segment.
#[derive(Debug)]
pub(crate) enum At {
    /// A valid record, ending at `end`.
    Record { txn: Txn, end: usize },
    /// Only zeros (or nothing) from here to the end of the file.
    End,
    /// Something that is not a valid record.
    Bad(String),
}

/// Parses the record at `offset`.
pub(crate) fn record_at(bytes: &[u8], offset: usize) -> At {
    assert!(
        offset <= bytes.len(),
        "offset {offset} past {}",
        bytes.len()
    );
    let rest = &bytes[offset..];
    if rest.iter().all(|b| *b == 0) {
        return At::End;
    }
    if rest.len() < RECORD_HEADER_BYTES {
        return At::Bad(format!(
            "incomplete record header ({} bytes before end of file)",
            rest.len()
        ));
    }
    let len = u32_at(rest, 0) as usize;
    let crc = u32_at(rest, 4);
    if len == 0 {
        return At::Bad("zero record length followed by non-zero bytes".to_owned());
    }
    if len > RECORD_PAYLOAD_MAX {
        return At::Bad(format!("record length {len} exceeds {RECORD_PAYLOAD_MAX}"));
    }
    let Some(payload) = rest.get(RECORD_HEADER_BYTES..RECORD_HEADER_BYTES + len) else {
        return At::Bad(format!(
            "record length {len} runs past end of file ({} bytes left)",
            rest.len() - RECORD_HEADER_BYTES
        ));
    };
    let actual = crc32c::crc32c(payload);
    if actual != crc {
        return At::Bad(format!(
            "record checksum mismatch (stored {crc:#010x}, computed {actual:#010x})"
        ));
    }
    match postcard::take_from_bytes::<Txn>(payload) {
        Ok((txn, [])) => At::Record {
            txn,
            end: offset + RECORD_HEADER_BYTES + len,
        },
        Ok((_, left)) => At::Bad(format!("record payload has {} trailing bytes", left.len())),
        Err(e) => At::Bad(format!("record payload does not decode: {e}")),
    }
}

/// The offset of the first valid record starting anywhere in `bytes[from..]`, if any. Used to
/// tell a torn tail (nothing valid after the damage) from corruption (valid records after it).
pub(crate) fn next_valid_record(bytes: &[u8], from: usize) -> Option<usize> {
    let mut offset = from;
    while offset + RECORD_HEADER_BYTES < bytes.len() {
        if u32_at(bytes, offset) == 0 {
            // Skip runs of zeros quickly: a candidate's length field must hold a non-zero byte.
            let nonzero = bytes[offset..].iter().position(|b| *b != 0)?;
            offset = (offset + nonzero).saturating_sub(3).max(offset + 1);
            continue;
        }
        if let At::Record { .. } = record_at(bytes, offset) {
            return Some(offset);
        }
        offset += 1;
    }
    None
}

/// The records of one segment body, up to the first thing that is not a valid record.
#[derive(Debug)]
pub(crate) struct Scanned {
    /// Valid records as (offset, end, txn), in file order, zxids strictly increasing.
    pub(crate) records: Vec<(usize, usize, Txn)>,
    /// Where the valid records end.
    pub(crate) end: usize,
    /// The damage at `end`, if the segment does not end cleanly there.
    pub(crate) bad: Option<Bad>,
}

/// A record that could not be read.
#[derive(Debug)]
pub(crate) struct Bad {
    /// Why.
    pub(crate) reason: String,
    /// Damage that a crash cannot explain whatever follows it (a checksummed record out of
    /// zxid order).
    pub(crate) always_corrupt: bool,
}

/// Reads the records of a segment whose header has been checked, starting after the header.
pub(crate) fn scan_records(bytes: &[u8], first: Zxid) -> Scanned {
    let mut records: Vec<(usize, usize, Txn)> = Vec::new();
    let mut offset = SEGMENT_HEADER_BYTES.min(bytes.len());
    loop {
        match record_at(bytes, offset) {
            At::End => {
                return Scanned {
                    records,
                    end: offset,
                    bad: None,
                }
            }
            At::Bad(reason) => {
                let bad = Bad {
                    reason,
                    always_corrupt: false,
                };
                return Scanned {
                    records,
                    end: offset,
                    bad: Some(bad),
                };
            }
            At::Record { txn, end } => {
                let order = match records.last() {
                    None if txn.zxid != first => Some(format!(
                        "first record has zxid {} but the segment header says {first}",
                        txn.zxid
                    )),
                    Some((_, _, prev)) if txn.zxid <= prev.zxid => Some(format!(
                        "record zxid {} does not increase (previous {})",
                        txn.zxid, prev.zxid
                    )),
                    _ => None,
                };
                if let Some(reason) = order {
                    let bad = Bad {
                        reason,
                        always_corrupt: true,
                    };
                    return Scanned {
                        records,
                        end: offset,
                        bad: Some(bad),
                    };
                }
                records.push((offset, end, txn));
                offset = end;
            }
        }
    }
}

/// The header of a snapshot file holding `len` bytes at `zxid`.
pub(crate) fn snapshot_header(zxid: Zxid, len: usize) -> [u8; SNAPSHOT_HEADER_BYTES] {
    let mut header = [0u8; SNAPSHOT_HEADER_BYTES];
    header[0..4].copy_from_slice(&SNAPSHOT_MAGIC);
    header[4..8].copy_from_slice(&SNAPSHOT_VERSION.to_le_bytes());
    header[8..16].copy_from_slice(&zxid_to_u64(zxid).to_le_bytes());
    header[16..24].copy_from_slice(&(len as u64).to_le_bytes());
    header
}

/// Checks a snapshot file's header against the zxid its name gives and the file's size;
/// returns the length of the snapshot bytes, or why the file is not a valid snapshot. The
/// checksum over header and bytes is the caller's to check (it reads the bytes through).
pub(crate) fn check_snapshot_header(
    header: &[u8; SNAPSHOT_HEADER_BYTES],
    zxid: Zxid,
    file_len: u64,
) -> Result<u64, String> {
    if header[0..4] != SNAPSHOT_MAGIC {
        return Err(format!("bad snapshot magic {:02x?}", &header[0..4]));
    }
    let version = u32_at(header, 4);
    if version != SNAPSHOT_VERSION {
        return Err(format!("snapshot file version {version} is not supported"));
    }
    let header_zxid = zxid_from_u64(u64_at(header, 8));
    if header_zxid != zxid {
        return Err(format!(
            "header zxid {header_zxid} differs from the file name's"
        ));
    }
    let len = u64_at(header, 16);
    let expected = ((SNAPSHOT_HEADER_BYTES + SNAPSHOT_TRAILER_BYTES) as u64).checked_add(len);
    if expected != Some(file_len) {
        return Err(format!(
            "file is {file_len} bytes, header promises {} (torn write?)",
            expected.map_or_else(|| "more".to_owned(), |e| e.to_string())
        ));
    }
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zoorepl_core::ids::{SessionId, Xid};
    use zoorepl_core::txn::TxnOp;

    fn txn(counter: u32) -> Txn {
        Txn {
            zxid: Zxid::new(1, counter),
            time_ms: 7,
            session: SessionId(3),
            cxid: Xid(counter as i32),
            op: TxnOp::Delete {
                path: format!("/n{counter}"),
            },
        }
    }

    #[test]
    fn record_round_trip_and_damage_detection() {
        let mut bytes = Vec::new();
        encode_segment_header(Zxid::new(1, 1), &mut bytes);
        encode_record(&txn(1), &mut bytes);
        let second = bytes.len();
        encode_record(&txn(2), &mut bytes);
        bytes.extend_from_slice(&[0u8; 100]);
        assert_eq!(decode_segment_header(&bytes), Ok(Zxid::new(1, 1)));
        let scanned = scan_records(&bytes, Zxid::new(1, 1));
        assert_eq!(scanned.records.len(), 2);
        assert!(scanned.bad.is_none());
        assert_eq!(
            next_valid_record(&bytes, SEGMENT_HEADER_BYTES + 1),
            Some(second)
        );
        bytes[second + 9] ^= 0x40;
        let scanned = scan_records(&bytes, Zxid::new(1, 1));
        assert_eq!(scanned.records.len(), 1);
        assert_eq!(scanned.end, second);
        assert!(scanned.bad.expect("damaged").reason.contains("checksum"));
    }

    #[test]
    fn zxid_follows_within_and_across_epochs() {
        assert!(Zxid::new(1, 4).follows(Zxid::new(1, 5)));
        assert!(!Zxid::new(1, 4).follows(Zxid::new(1, 6)));
        assert!(Zxid::new(1, 4).follows(Zxid::new(3, 1)));
        assert!(!Zxid::new(1, 4).follows(Zxid::new(3, 2)));
        assert!(Zxid::ZERO.follows(Zxid::new(0, 1)));
        assert_eq!(zxid_from_u64(zxid_to_u64(Zxid::new(9, 8))), Zxid::new(9, 8));
    }
}
