//! A tree as a sequence of self-contained chunks, for a SNAP sync: the leader encodes its tree
//! a chunk at a time as it walks it, and the learner inserts each chunk's nodes as the chunk
//! arrives, so neither end ever holds a second, encoded copy of the whole tree.
//!
//! A chunk is the postcard encoding of `{ index: u64, nodes: Vec<node record> }`: its position
//! in the sequence (from 0) and some nodes, in the tree's pre-order, as
//! [`super::record`] writes them. Chunks end between nodes, so each decodes alone. The digest
//! and the last applied zxid travel beside the chunks (the transport's business):
//! [`TreeBuilder::new`] takes the zxid, [`TreeBuilder::finish`] the digest.

use super::builder::TreeBuilder;
use super::record::{self, decode_error};
use super::{DataTree, SnapshotError};

impl DataTree {
    /// Walks the tree in pre-order and hands `emit` one encoded chunk at a time, in order.
    ///
    /// A chunk holds as many whole nodes as fit in `chunk_len` bytes (at least one: a node
    /// larger than `chunk_len` makes a chunk of its own), so a chunk is longer than `chunk_len`
    /// only when its one node is. Apart from the chunk being built, the walk holds one path per
    /// level of the tree. Returns false as soon as `emit` does (stop early), true once every
    /// chunk was emitted; a tree always makes at least one chunk (its root).
    pub fn snapshot_chunks(&self, chunk_len: usize, mut emit: impl FnMut(Vec<u8>) -> bool) -> bool {
        let mut body = Vec::new();
        let mut scratch = Vec::new();
        let mut count = 0u64;
        let mut index = 0u64;
        for (p, node) in self.iter_preorder() {
            scratch.clear();
            scratch = record::encode_node(scratch, &p, node);
            if count > 0 && body.len() + scratch.len() > chunk_len {
                if !emit(seal(index, count, &body)) {
                    return false;
                }
                index += 1;
                count = 0;
                body.clear();
            }
            body.extend_from_slice(&scratch);
            count += 1;
        }
        assert!(count > 0, "a tree has at least its root");
        emit(seal(index, count, &body))
    }
}

/// The chunk `index` holding `count` encoded records `body`.
fn seal(index: u64, count: u64, body: &[u8]) -> Vec<u8> {
    let mut out = postcard::to_allocvec(&(index, count)).expect("two integers serialize");
    out.extend_from_slice(body);
    out
}

impl TreeBuilder {
    /// Decodes one chunk of [`DataTree::snapshot_chunks`] and inserts its nodes, with the
    /// checks of snapshot restore (parents first, valid and unique paths, no child of an
    /// ephemeral, TTLs in range). The chunks must come in order, each once.
    ///
    /// # Errors
    /// [`SnapshotError::ChunkOrder`] for a chunk out of place, [`SnapshotError::Decode`] or
    /// [`SnapshotError::TrailingBytes`] for bytes that are not one chunk,
    /// [`SnapshotError::Invalid`] for an empty chunk or a node that does not fit; and, after any
    /// error, that error again.
    pub fn push_chunk(&mut self, bytes: &[u8]) -> Result<(), SnapshotError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let result = self.push_chunk_checked(bytes);
        if let Err(e) = &result {
            self.failed = Some(e.clone());
        }
        result
    }

    fn push_chunk_checked(&mut self, bytes: &[u8]) -> Result<(), SnapshotError> {
        let ((index, count), rest) =
            postcard::take_from_bytes::<(u64, u64)>(bytes).map_err(decode_error)?;
        if index != self.next_chunk {
            return Err(SnapshotError::ChunkOrder {
                expected: self.next_chunk,
                got: index,
            });
        }
        if count == 0 {
            return Err(SnapshotError::Invalid(format!(
                "chunk {index} holds no nodes"
            )));
        }
        let rest = record::decode_nodes(rest, count, |n| self.insert(n))?;
        if !rest.is_empty() {
            return Err(SnapshotError::TrailingBytes(rest.len()));
        }
        self.next_chunk += 1;
        Ok(())
    }
}

#[cfg(test)]
#[path = "stream_test.rs"]
mod tests;
