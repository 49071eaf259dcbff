//! The tree digest: an order-independent (wrapping) sum of per-node hashes, kept up to date on
//! every change (DESIGN.md §3.1). Equal histories give equal digests on every replica.
//!
//! The per-node hash is FNV-1a-64 over the path, a hash of the data (null distinct from empty)
//! and the stored stat fields. The data hash is computed once when the data is set and kept in
//! the node, so a child create does not rehash a parent's (possibly 1 MiB) data; it reads the
//! data eight bytes at a time ([`data_hash`]). ACLs are left out, as in ZooKeeper's digest. `/zookeeper/config` is left
//! out too: Java writes the quorum config there locally, outside any txn, so it may differ
//! between replicas that agree on every txn.

use super::node::Znode;
use super::path;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a, 64 bits: fixed, seedless, the same on every platform.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fnv64(u64);

impl Fnv64 {
    /// A fresh hasher.
    pub(crate) const fn new() -> Self {
        Self(FNV_OFFSET)
    }

    /// Mixes bytes in.
    pub(crate) fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(FNV_PRIME);
        }
    }

    /// Mixes a length-prefixed byte string in, so adjacent fields cannot run into each other.
    pub(crate) fn write_field(&mut self, bytes: &[u8]) {
        self.write(&(bytes.len() as u64).to_le_bytes());
        self.write(bytes);
    }

    /// Mixes an `i64` in.
    pub(crate) fn write_i64(&mut self, v: i64) {
        self.write(&v.to_le_bytes());
    }

    /// The hash.
    pub(crate) const fn finish(self) -> u64 {
        self.0
    }
}

/// Multiplier of the data hash's word step (the 64-bit golden ratio, odd).
const WORD_MUL: u64 = 0x9e37_79b9_7f4a_7c15;

/// A fixed hash of node data, eight little-endian bytes per step (FNV-1a's xor-multiply on
/// words, plus a shift that folds high bits down); `None` (null data) hashes apart from empty.
#[must_use]
pub(crate) fn data_hash(data: Option<&bytes::Bytes>) -> u64 {
    let Some(data) = data else {
        return 0;
    };
    let mut h = FNV_OFFSET ^ (data.len() as u64).wrapping_mul(WORD_MUL);
    let mut chunks = data.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("chunks of eight"));
        h = (h ^ word).wrapping_mul(WORD_MUL);
        h ^= h >> 29;
    }
    let mut tail = [0u8; 8];
    tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    h = (h ^ u64::from_le_bytes(tail)).wrapping_mul(WORD_MUL);
    // Never 0, so empty data differs from null.
    (h ^ (h >> 32)) | 1
}

/// Whether a node takes part in the digest.
pub(crate) fn is_digested(path: &str) -> bool {
    path != path::CONFIG
}

/// The node's contribution to the tree digest (0 for nodes left out).
pub(crate) fn node_hash(path: &str, node: &Znode) -> u64 {
    if !is_digested(path) {
        return 0;
    }
    let mut h = Fnv64::new();
    h.write_field(path.as_bytes());
    h.write(&node.data_hash.to_le_bytes());
    h.write_i64(node.czxid().as_i64());
    h.write_i64(node.mzxid().as_i64());
    h.write_i64(node.pzxid().as_i64());
    h.write_i64(node.ctime());
    h.write_i64(node.mtime());
    h.write_i64(i64::from(node.version()));
    h.write_i64(i64::from(node.create_counter()));
    h.write_i64(i64::from(node.aversion()));
    h.write_i64(node.stored_ephemeral_owner());
    h.finish()
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::{data_hash, Fnv64};

    #[test]
    fn data_hash_separates_null_empty_and_content() {
        let mut seen = std::collections::BTreeSet::new();
        assert!(seen.insert(data_hash(None)));
        assert!(seen.insert(data_hash(Some(&Bytes::new()))));
        // Every length 1..=17 of zeros, and a flip of every byte of a 17-byte buffer.
        for len in 1..=17 {
            assert!(
                seen.insert(data_hash(Some(&Bytes::from(vec![0u8; len])))),
                "{len}"
            );
        }
        for i in 0..17 {
            let mut v = vec![0u8; 17];
            v[i] = 1;
            assert!(seen.insert(data_hash(Some(&Bytes::from(v)))), "flip {i}");
        }
        assert_eq!(
            data_hash(Some(&Bytes::from_static(b"abc"))),
            data_hash(Some(&Bytes::from(b"abc".to_vec())))
        );
    }

    #[test]
    fn fnv1a_64_known_vectors() {
        // Published FNV-1a-64 test vectors.
        let mut empty = Fnv64::new();
        empty.write(b"");
        assert_eq!(empty.finish(), 0xcbf2_9ce4_8422_2325);
        let mut a = Fnv64::new();
        a.write(b"a");
        assert_eq!(a.finish(), 0xaf63_dc4c_8601_ec8c);
        let mut foobar = Fnv64::new();
        foobar.write(b"foobar");
        assert_eq!(foobar.finish(), 0x8594_4171_f739_67e8);
    }
}
