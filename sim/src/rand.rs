//! Seeded randomness for the simulator. Every draw comes from one run seed through
//! [`zoorepl_core::prng::Prng`] (SplitMix64); separate streams (faults, network, disk, clients)
//! are forked from it so that a knob drawing more numbers in one area does not shift the others.

use zoorepl_core::prng::Prng;

/// A seeded generator with the helpers the simulator needs. Rates are integers (parts per
/// million) so that no float reaches a decision.
#[derive(Clone, Debug)]
pub struct Rng(Prng);

/// One million: the denominator of every `*_ppm` rate.
pub const PPM: u32 = 1_000_000;

impl Rng {
    /// A generator from a seed.
    #[must_use]
    pub const fn new(seed: u64) -> Self {
        Self(Prng::new(seed))
    }

    /// A new independent stream, seeded from this one.
    pub fn fork(&mut self) -> Self {
        Self::new(self.0.next_u64() ^ 0xa076_1d64_78bd_642f)
    }

    /// 64 random bits.
    pub fn u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A value in `low..=high`.
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        self.0.between(low, high)
    }

    /// An index below `n` (which must be positive).
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "below(0)");
        usize::try_from(self.0.between(0, n as u64 - 1)).expect("below n")
    }

    /// True with probability `ppm` / 1,000,000.
    pub fn chance(&mut self, ppm: u32) -> bool {
        ppm > 0 && (ppm >= PPM || self.0.between(0, u64::from(PPM) - 1) < u64::from(ppm))
    }

    /// True half of the time.
    pub fn coin(&mut self) -> bool {
        self.0.next_u64() & 1 == 1
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Shuffles in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chance_edges_and_forks_are_deterministic() {
        let mut a = Rng::new(3);
        assert!(!a.chance(0));
        assert!(a.chance(PPM));
        let (mut x, mut y) = (Rng::new(9).fork(), Rng::new(9).fork());
        assert_eq!(x.u64(), y.u64());
        let hits = (0..10_000).filter(|_| a.chance(PPM / 4)).count();
        assert!((2000..3000).contains(&hits), "{hits}");
    }
}
