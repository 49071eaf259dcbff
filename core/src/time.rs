//! Time as the core sees it: an opaque millisecond count that only shells construct.
//!
//! The core never reads a clock (STYLE.md §3). `Instant`s from different nodes are never
//! compared. Wall-clock times that reach the data (a znode's ctime/mtime) travel inside txns.

use std::time::Duration;

/// A point in time, in milliseconds since an arbitrary epoch chosen by the shell.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(u64);

impl Instant {
    /// Builds an instant from milliseconds since the shell's epoch.
    #[must_use]
    pub const fn from_millis(ms: u64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the shell's epoch.
    #[must_use]
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// The time elapsed since `earlier`, or zero if `earlier` is later.
    #[must_use]
    pub fn saturating_since(self, earlier: Self) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

impl std::ops::Add<Duration> for Instant {
    type Output = Self;
    fn add(self, rhs: Duration) -> Self {
        let ms = u64::try_from(rhs.as_millis()).expect("duration fits in u64 milliseconds");
        Self(self.0.checked_add(ms).expect("instant overflow"))
    }
}
