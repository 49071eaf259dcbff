//! A node's state (tree and sessions) as the body of a snapshot file, written and read a chunk
//! at a time, so neither a snapshot nor a recovery ever holds a second, encoded copy of the
//! whole tree (the body of a SNAP received from a leader goes the same way).
//!
//! ```text
//! body:   0x02 | head_len u32 LE | postcard(Head) | chunk* | 0u32 | chunk count u64 LE
//! chunk:  len u32 LE (> 0) | a chunk of `DataTree::snapshot_chunks`
//! ```
//!
//! The first byte tells it from the whole-record body of `zoorepl_core::node::encode_snapshot`
//! (a postcard record whose first field, its format, is 1), which [`read_state`] still reads.
//! The file around the body carries the checksum (`format.rs`), verified before reading.

use std::io::{self, Read, Write};

use serde::{Deserialize, Serialize};
use zoorepl_core::ids::{SessionId, Zxid};
use zoorepl_core::node::{decode_snapshot, Recovered};
use zoorepl_core::tree::{DataTree, TreeBuilder};

/// The first byte of a chunked body.
const CHUNKED: u8 = 2;
/// Bytes of tree per chunk, about.
const CHUNK_LEN: usize = 256 << 10;
/// The largest chunk or head accepted when reading (a chunk holds one node when the node is
/// bigger than `CHUNK_LEN`; a znode's data is bounded by jute.maxbuffer).
const PART_MAX: usize = 64 << 20;

#[derive(Serialize, Deserialize)]
struct Head {
    zxid: Zxid,
    digest: u64,
    sessions: Vec<(SessionId, i32)>,
}

/// Writes `tree` and `sessions` to `out` as a chunked body.
///
/// # Errors
/// The first write that fails.
pub fn write_state(
    out: &mut dyn Write,
    tree: &DataTree,
    sessions: &[(SessionId, i32)],
) -> io::Result<()> {
    let head = Head {
        zxid: tree.last_applied(),
        digest: tree.digest(),
        sessions: sessions.to_vec(),
    };
    let head = postcard::to_allocvec(&head).expect("in-memory serialization cannot fail");
    out.write_all(&[CHUNKED])?;
    write_part(out, &head)?;
    let mut failed = None;
    let mut chunks = 0u64;
    tree.snapshot_chunks(CHUNK_LEN, |chunk| match write_part(out, &chunk) {
        Ok(()) => {
            chunks += 1;
            true
        }
        Err(e) => {
            failed = Some(e);
            false
        }
    });
    if let Some(e) = failed {
        return Err(e);
    }
    out.write_all(&0u32.to_le_bytes())?;
    out.write_all(&chunks.to_le_bytes())
}

fn write_part(out: &mut dyn Write, bytes: &[u8]) -> io::Result<()> {
    let len =
        u32::try_from(bytes.len()).map_err(|_| io::Error::other("snapshot part over 4 GiB"))?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(bytes)
}

/// Reads a body written by [`write_state`], or a whole-record body of `encode_snapshot`, into
/// what `Node::recover` takes (with an empty log).
///
/// # Errors
/// A read that fails, or a body that is not a valid state (the message says where).
pub fn read_state(input: &mut dyn Read) -> Result<Recovered, String> {
    let mut first = [0u8; 1];
    input
        .read_exact(&mut first)
        .map_err(|e| format!("read: {e}"))?;
    if first[0] != CHUNKED {
        let mut bytes = first.to_vec();
        input
            .read_to_end(&mut bytes)
            .map_err(|e| format!("read: {e}"))?;
        return decode_snapshot(&bytes).map_err(|e| e.to_string());
    }
    let head = read_part(input)?.ok_or("no head")?;
    let head: Head = postcard::from_bytes(&head).map_err(|e| format!("head: {e}"))?;
    let mut builder = TreeBuilder::new(head.zxid);
    let mut chunks = 0u64;
    while let Some(chunk) = read_part(input)? {
        builder
            .push_chunk(&chunk)
            .map_err(|e| format!("chunk {chunks}: {e}"))?;
        chunks += 1;
    }
    let mut count = [0u8; 8];
    input
        .read_exact(&mut count)
        .map_err(|e| format!("read: {e}"))?;
    let count = u64::from_le_bytes(count);
    if chunks != count {
        return Err(format!("{chunks} chunks read, the body says {count}"));
    }
    let tree = builder.finish(head.digest).map_err(|e| e.to_string())?;
    Ok(Recovered {
        tree,
        sessions: head.sessions,
        ..Recovered::default()
    })
}

/// The next length-prefixed part; `None` at the end marker.
fn read_part(input: &mut dyn Read) -> Result<Option<Vec<u8>>, String> {
    let mut len = [0u8; 4];
    input
        .read_exact(&mut len)
        .map_err(|e| format!("read: {e}"))?;
    let len = u32::from_le_bytes(len) as usize;
    if len == 0 {
        return Ok(None);
    }
    if len > PART_MAX {
        return Err(format!("a part of {len} bytes"));
    }
    let mut part = vec![0u8; len];
    input
        .read_exact(&mut part)
        .map_err(|e| format!("read: {e}"))?;
    Ok(Some(part))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::tree;
    use zoorepl_core::node::encode_snapshot;

    #[test]
    fn a_state_reads_back_as_written() {
        let t = tree(3000);
        let sessions = vec![(SessionId(7), 4000), (SessionId(9), 6000)];
        let mut body = Vec::new();
        write_state(&mut body, &t, &sessions).expect("in memory");
        let back = read_state(&mut body.as_slice()).expect("reads");
        assert_eq!(back.tree.snapshot(), t.snapshot());
        assert_eq!(back.tree.digest(), t.digest());
        assert_eq!(back.sessions, sessions);
    }

    #[test]
    fn a_whole_record_body_still_reads() {
        let t = tree(10);
        let body = encode_snapshot(&t, vec![(SessionId(3), 5000)]);
        let back = read_state(&mut body.as_slice()).expect("reads");
        assert_eq!(back.tree.digest(), t.digest());
        assert_eq!(back.sessions, vec![(SessionId(3), 5000)]);
    }

    #[test]
    fn a_cut_or_altered_body_is_refused() {
        let t = tree(3000);
        let mut body = Vec::new();
        write_state(&mut body, &t, &[]).expect("in memory");
        let cut = &body[..body.len() / 2];
        assert!(read_state(&mut &cut[..]).is_err());
        let mut altered = body.clone();
        let last = altered.len() - 4;
        altered.truncate(last);
        altered.extend_from_slice(&[9, 0, 0, 0, 1, 2, 3]);
        assert!(read_state(&mut altered.as_slice()).is_err());
    }
}
