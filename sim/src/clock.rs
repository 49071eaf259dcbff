//! Each server's view of time: the virtual time scaled by a drift and moved by forward jumps,
//! never going back (the core asserts that `now` is monotonic per node, as a shell that reads
//! a monotonic clock guarantees).

use zoorepl_core::time::Instant;

/// Where every server's local clock starts (so that jumps and drift never reach zero).
const LOCAL_BASE_MS: u64 = 1_700_000_000_000;

/// One server's clock.
#[derive(Clone, Debug)]
pub struct Clock {
    /// Parts per million the clock runs fast (positive) or slow (negative).
    drift_ppm: i64,
    /// Forward jumps so far, ms.
    offset_ms: u64,
    /// The last local time handed out.
    last_ms: u64,
}

impl Clock {
    /// A clock with a drift in ppm (|drift| < 1,000,000).
    #[must_use]
    pub fn new(drift_ppm: i64) -> Self {
        assert!(drift_ppm.abs() < 1_000_000, "drift {drift_ppm} ppm");
        Self {
            drift_ppm,
            offset_ms: 0,
            last_ms: LOCAL_BASE_MS,
        }
    }

    fn raw(&self, global_ms: u64) -> u64 {
        let g = i128::from(global_ms);
        let scaled = g + g * i128::from(self.drift_ppm) / 1_000_000;
        let local = i128::from(LOCAL_BASE_MS) + scaled + i128::from(self.offset_ms);
        u64::try_from(local).expect("local time is positive")
    }

    /// The local time at virtual time `global_ms`; never earlier than the last one given.
    pub fn local(&mut self, global_ms: u64) -> Instant {
        self.last_ms = self.last_ms.max(self.raw(global_ms));
        Instant::from_millis(self.last_ms)
    }

    /// The earliest virtual time at or after `now_ms` when the local clock reads `deadline`.
    #[must_use]
    pub fn global_at(&self, deadline: Instant, now_ms: u64) -> u64 {
        let want = deadline.as_millis();
        if want <= self.last_ms.max(self.raw(now_ms)) {
            return now_ms;
        }
        let local_span = i128::from(want - self.raw(now_ms));
        let rate = 1_000_000 + i128::from(self.drift_ppm);
        let guess = now_ms + u64::try_from(local_span * 1_000_000 / rate).expect("positive");
        let mut g = guess.saturating_sub(2).max(now_ms);
        while self.raw(g) < want {
            g += 1;
        }
        g
    }

    /// Jumps the clock forward.
    pub fn jump(&mut self, ms: u64) {
        self.offset_ms += ms;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_time_is_monotonic_and_deadlines_are_reached() {
        for drift in [-90_000, -1, 0, 7, 90_000] {
            let mut c = Clock::new(drift);
            let mut prev = c.local(0);
            for g in (0..100_000).step_by(997) {
                let now = c.local(g);
                assert!(now >= prev);
                prev = now;
                let deadline = Instant::from_millis(now.as_millis() + 1234);
                let at = c.global_at(deadline, g);
                assert!(at >= g);
                assert!(c.clone().local(at) >= deadline, "drift {drift} g {g}");
                assert!(at == g || c.clone().local(at - 1) < deadline);
            }
            c.jump(5000);
            assert!(c.local(100_000) > prev);
        }
    }
}
