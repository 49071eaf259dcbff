//! The set of linearized operations of a configuration, and its compact key.
//!
//! Operations with a known result sit in one bit set, in call order; those with an unknown
//! result in another. A search keeps the known ones linearized roughly in call order, so
//! their bit set is a run of full words, a short window, then zeros: the key drops the full
//! words (keeping their count) and the zeros. A key is then about as long as the history's
//! concurrency, not its length, and the configuration cache stays small for long histories.

pub(crate) struct LinearizedSet {
    /// Per operation: whether its result is unknown, and its bit in that set.
    slot: Vec<(bool, u32)>,
    definite: Vec<u64>,
    unknown: Vec<u64>,
    len: usize,
    /// Whether keys are compacted; small sets use their words as they are, which is cheaper.
    compact: bool,
}

/// Sets of at most this many words are keyed by their words as they are.
const RAW_KEY_WORDS_MAX: usize = 4;

impl LinearizedSet {
    /// An empty set over operations whose results are known (`false`) or not (`true`).
    pub(crate) fn new(unknown_result: impl Iterator<Item = bool>) -> Self {
        let (mut definite, mut unknown) = (0_u32, 0_u32);
        let slot: Vec<(bool, u32)> = unknown_result
            .map(|is_unknown| {
                let counter = if is_unknown {
                    &mut unknown
                } else {
                    &mut definite
                };
                *counter += 1;
                (is_unknown, *counter - 1)
            })
            .collect();
        let definite = vec![0; (definite as usize).div_ceil(64)];
        let unknown = vec![0; (unknown as usize).div_ceil(64)];
        let compact = definite.len() + unknown.len() > RAW_KEY_WORDS_MAX;
        Self {
            slot,
            definite,
            unknown,
            len: 0,
            compact,
        }
    }

    /// Adds `op` if absent, removes it if present.
    pub(crate) fn flip(&mut self, op: u32) {
        let (is_unknown, bit) = self.slot[op as usize];
        let words = if is_unknown {
            &mut self.unknown
        } else {
            &mut self.definite
        };
        let word = &mut words[bit as usize / 64];
        let mask = 1_u64 << (bit % 64);
        if *word & mask == 0 {
            self.len += 1;
        } else {
            self.len -= 1;
        }
        *word ^= mask;
    }

    /// The number of operations in the set.
    pub(crate) const fn len(&self) -> usize {
        self.len
    }

    /// Writes the set's key into `out`. A small set's key is its words with a zero header
    /// word (so it is never empty). Otherwise the key is a header (full leading words skipped, and the number of
    /// known-result words kept, in the high half), the known-result words from the first
    /// non-full one to the last non-zero one, then the unknown-result words up to the last
    /// non-zero one. Equal sets give equal keys and different sets different keys; a key
    /// longer than one word always ends in a non-zero word, so zero padding keeps keys apart.
    pub(crate) fn key(&self, out: &mut Vec<u64>) {
        out.clear();
        if !self.compact {
            // The key length is the same for every set of this search, so no trimming is
            // needed to keep keys apart.
            out.push(0);
            out.extend_from_slice(&self.definite);
            out.extend_from_slice(&self.unknown);
            return;
        }
        let skipped = self.definite.iter().take_while(|&&w| w == u64::MAX).count();
        let kept = trimmed(&self.definite[skipped..]);
        let unknown = trimmed(&self.unknown);
        out.push(skipped as u64 | ((kept.len() as u64) << 32));
        out.extend_from_slice(kept);
        out.extend_from_slice(unknown);
        debug_assert!(out.len() == 1 || out.last() != Some(&0));
        debug_assert!(self.compact);
    }
}

fn trimmed(words: &[u64]) -> &[u64] {
    let end = words.iter().rposition(|&w| w != 0).map_or(0, |i| i + 1);
    &words[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_sets_use_their_words() {
        let mut set = LinearizedSet::new((0..70).map(|i| i == 3));
        let mut key = Vec::new();
        set.key(&mut key);
        assert_eq!(key, vec![0, 0, 0, 0]);
        set.flip(3);
        set.flip(69);
        set.key(&mut key);
        // Op 69 is the 69th known-result op (bit 68); op 3 is the only unknown one.
        assert_eq!(key, vec![0, 0, 1 << 4, 1]);
    }

    #[test]
    fn keys_are_short_and_distinguish_sets() {
        // 300 known-result operations, then 3 unknown ones.
        let mut set = LinearizedSet::new((0..303).map(|i| i >= 300));
        let mut key = Vec::new();
        set.key(&mut key);
        assert_eq!(key, vec![0]);
        for op in 0..130 {
            set.flip(op);
        }
        set.flip(140);
        set.key(&mut key);
        // Two full words skipped; the third holds ops 128, 129 and 140.
        assert_eq!(key, vec![2 | (1 << 32), 0b11 | (1 << 12)]);
        set.flip(301);
        set.key(&mut key);
        assert_eq!(key, vec![2 | (1 << 32), 0b11 | (1 << 12), 0b10]);
        assert_eq!(set.len(), 132);
        set.flip(140);
        set.flip(301);
        set.key(&mut key);
        assert_eq!(key, vec![2 | (1 << 32), 0b11]);
        assert_eq!(set.len(), 130);
    }
}
