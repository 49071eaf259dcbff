//! The set of configurations (linearized operations, state) already explored.
//!
//! Open addressing with linear probing; each slot holds the whole configuration inline
//! (hash, state id + 1, the linearized set's key padded with zeros), so a probe usually
//! touches one cache line. Slots widen when a longer key arrives. The caller supplies the hash
//! (Zobrist over the set, mixed with the state id); equality is always checked on the full
//! key and state.

pub(crate) struct ConfigCache {
    words: usize,
    stride: usize,
    table: Vec<u64>,
    len: usize,
    shift: u32,
}

const CAPACITY_LOG2_MIN: u32 = 10;

impl ConfigCache {
    /// An empty cache with room for keys of `words` 64-bit words.
    pub(crate) fn new(words: usize) -> Self {
        assert!(words > 0, "a key has at least one word");
        let stride = words + 2;
        Self {
            words,
            stride,
            table: vec![0; stride << CAPACITY_LOG2_MIN],
            len: 0,
            shift: 64 - CAPACITY_LOG2_MIN,
        }
    }

    /// The number of configurations held.
    pub(crate) const fn len(&self) -> usize {
        self.len
    }

    /// The bytes the table takes.
    pub(crate) fn bytes(&self) -> usize {
        self.table.len() * std::mem::size_of::<u64>()
    }

    fn capacity(&self) -> usize {
        self.table.len() / self.stride
    }

    /// Inserts the configuration; returns false when it was already there. `key` has no
    /// trailing zero words (except a lone header word).
    pub(crate) fn insert(&mut self, hash: u64, state: u32, key: &[u64]) -> bool {
        if key.len() > self.words {
            self.widen(key.len().max(self.words + self.words / 2));
        }
        if (self.len + 1) * 2 > self.capacity() {
            self.grow();
        }
        let tag = u64::from(state) + 1;
        let mask = self.capacity() - 1;
        let mut slot = self.slot_of(hash);
        loop {
            let base = slot * self.stride;
            let entry = &mut self.table[base..base + self.stride];
            if entry[1] == 0 {
                entry[0] = hash;
                entry[1] = tag;
                entry[2..2 + key.len()].copy_from_slice(key);
                self.len += 1;
                return true;
            }
            if entry[0] == hash
                && entry[1] == tag
                && entry[2..2 + key.len()] == *key
                && entry[2 + key.len()..].iter().all(|&w| w == 0)
            {
                return false;
            }
            slot = (slot + 1) & mask;
        }
    }

    /// Rebuilds the table with room for keys of `words` words.
    fn widen(&mut self, words: usize) {
        assert!(words > self.words, "widening grows the slots");
        let old_stride = self.stride;
        let old = std::mem::take(&mut self.table);
        self.words = words;
        self.stride = words + 2;
        self.table = vec![0; (old.len() / old_stride) * self.stride];
        for (slot, entry) in old.chunks_exact(old_stride).enumerate() {
            let base = slot * self.stride;
            self.table[base..base + old_stride].copy_from_slice(entry);
        }
    }

    fn slot_of(&self, hash: u64) -> usize {
        // Fibonacci hashing: the top bits of the product are well mixed for any input.
        (hash.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    fn grow(&mut self) {
        let old = std::mem::take(&mut self.table);
        self.shift -= 1;
        self.table = vec![0; old.len() * 2];
        let mask = self.capacity() - 1;
        for entry in old.chunks_exact(self.stride).filter(|e| e[1] != 0) {
            let mut slot = self.slot_of(entry[0]);
            while self.table[slot * self.stride + 1] != 0 {
                slot = (slot + 1) & mask;
            }
            self.table[slot * self.stride..(slot + 1) * self.stride].copy_from_slice(entry);
        }
        assert_eq!(self.capacity(), 1 << (64 - self.shift));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widening_keeps_entries_and_padding_keeps_keys_apart() {
        let mut cache = ConfigCache::new(1);
        assert!(cache.insert(1, 0, &[5]));
        assert!(cache.insert(2, 0, &[5, 6, 7]));
        assert!(!cache.insert(1, 0, &[5]));
        assert!(!cache.insert(2, 0, &[5, 6, 7]));
        assert!(cache.insert(2, 0, &[5, 6]));
        assert!(cache.insert(1, 0, &[5, 6, 7]));
        assert_eq!(cache.len(), 4);
    }

    #[test]
    fn insert_reports_duplicates_even_with_equal_hashes() {
        let mut cache = ConfigCache::new(2);
        assert!(cache.insert(7, 1, &[1, 0]));
        assert!(!cache.insert(7, 1, &[1, 0]));
        // Same hash, different bits or state: distinct configurations.
        assert!(cache.insert(7, 1, &[2, 0]));
        assert!(cache.insert(7, 2, &[1, 0]));
        assert!(cache.insert(7, 0, &[1, 0]));
        for i in 0..5000_u64 {
            assert!(cache.insert(i.wrapping_mul(31), 9, &[i, 1]));
        }
        for i in 0..5000_u64 {
            assert!(!cache.insert(i.wrapping_mul(31), 9, &[i, 1]));
        }
        assert_eq!(cache.len(), 5004);
    }
}
