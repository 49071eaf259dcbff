//! The set of configurations (linearized operations, state) already explored.
//!
//! Open addressing with linear probing over a flat arena, so an insert allocates nothing
//! except when the table grows. The caller supplies the hash (Zobrist over the bit set, mixed
//! with the state id), and equality is always checked on the full bit set and state.

pub(crate) struct ConfigCache {
    words: usize,
    slots: Vec<u32>,
    hashes: Vec<u64>,
    states: Vec<u32>,
    bits: Vec<u64>,
    shift: u32,
}

const EMPTY: u32 = 0;
const CAPACITY_LOG2_MIN: u32 = 10;

impl ConfigCache {
    /// An empty cache for bit sets of `words` 64-bit words.
    pub(crate) fn new(words: usize) -> Self {
        assert!(words > 0, "a bit set has at least one word");
        Self {
            words,
            slots: vec![EMPTY; 1 << CAPACITY_LOG2_MIN],
            hashes: Vec::new(),
            states: Vec::new(),
            bits: Vec::new(),
            shift: 64 - CAPACITY_LOG2_MIN,
        }
    }

    /// The number of configurations held.
    pub(crate) fn len(&self) -> usize {
        self.states.len()
    }

    /// Inserts the configuration; returns false when it was already there.
    pub(crate) fn insert(&mut self, hash: u64, state: u32, bits: &[u64]) -> bool {
        debug_assert_eq!(bits.len(), self.words);
        if (self.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut slot = self.slot_of(hash);
        loop {
            let entry = self.slots[slot];
            if entry == EMPTY {
                self.slots[slot] = u32::try_from(self.len() + 1).expect("cache entries fit in u32");
                self.hashes.push(hash);
                self.states.push(state);
                self.bits.extend_from_slice(bits);
                return true;
            }
            let e = (entry - 1) as usize;
            if self.hashes[e] == hash
                && self.states[e] == state
                && self.bits[e * self.words..(e + 1) * self.words] == *bits
            {
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
        let capacity = self.slots.len() * 2;
        self.shift -= 1;
        self.slots = vec![EMPTY; capacity];
        let mask = capacity - 1;
        for (e, &hash) in self.hashes.iter().enumerate() {
            let mut slot = self.slot_of(hash);
            while self.slots[slot] != EMPTY {
                slot = (slot + 1) & mask;
            }
            self.slots[slot] = u32::try_from(e + 1).expect("cache entries fit in u32");
        }
        assert_eq!(self.slots.len(), 1 << (64 - self.shift));
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
        for i in 0..5000_u64 {
            assert!(cache.insert(i.wrapping_mul(31), 9, &[i, 1]));
        }
        for i in 0..5000_u64 {
            assert!(!cache.insert(i.wrapping_mul(31), 9, &[i, 1]));
        }
        assert_eq!(cache.len(), 5003);
    }
}
