//! The set of configurations (linearized operations, state) already explored.
//!
//! Open addressing with linear probing; each slot holds the whole configuration inline
//! (hash, state id + 1, bit set words), so a probe usually touches one cache line. The caller
//! supplies the hash (Zobrist over the bit set, mixed with the state id); equality is always
//! checked on the full bit set and state.

pub(crate) struct ConfigCache {
    words: usize,
    stride: usize,
    table: Vec<u64>,
    len: usize,
    shift: u32,
}

const CAPACITY_LOG2_MIN: u32 = 10;

impl ConfigCache {
    /// An empty cache for bit sets of `words` 64-bit words.
    pub(crate) fn new(words: usize) -> Self {
        assert!(words > 0, "a bit set has at least one word");
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

    /// Inserts the configuration; returns false when it was already there.
    pub(crate) fn insert(&mut self, hash: u64, state: u32, bits: &[u64]) -> bool {
        debug_assert_eq!(bits.len(), self.words);
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
                entry[2..].copy_from_slice(bits);
                self.len += 1;
                return true;
            }
            if entry[0] == hash && entry[1] == tag && entry[2..] == *bits {
                return false;
            }
            slot = (slot + 1) & mask;
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
