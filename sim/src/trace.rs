//! The trace of a run: a hash over every processed event, and optionally its text.
//!
//! A trace event is one event the loop processed: its virtual time, its target (a server or a
//! client), a kind code with a small summary (a zxid, a connection, a sender), and then one entry
//! per output the target produced. The hash is FNV-1a over those 64-bit words, so it is the same
//! on every platform and every run of the same seed; it never hashes whole trees or messages.

/// FNV-1a 64-bit offset basis.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
/// FNV-1a 64-bit prime.
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Hashes bytes with FNV-1a 64 (also used for txn identities).
#[must_use]
pub fn fnv64(bytes: &[u8]) -> u64 {
    let mut h = FNV_OFFSET;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// The running trace of one seed.
#[derive(Debug)]
pub struct Trace {
    hash: u64,
    events: u64,
    lines: Option<Vec<String>>,
}

impl Trace {
    /// A trace; `keep_lines` also keeps the text of every event (for `--trace`).
    #[must_use]
    pub fn new(keep_lines: bool) -> Self {
        Self {
            hash: FNV_OFFSET,
            events: 0,
            lines: keep_lines.then(Vec::new),
        }
    }

    fn word(&mut self, w: u64) {
        for b in w.to_le_bytes() {
            self.hash ^= u64::from(b);
            self.hash = self.hash.wrapping_mul(FNV_PRIME);
        }
    }

    /// Starts an event at `time_ms` on `target` (see [`Target`]) of `kind` with a summary word.
    /// `text` is only called when lines are kept.
    pub fn event(
        &mut self,
        time_ms: u64,
        target: Target,
        kind: u64,
        summary: u64,
        text: impl FnOnce() -> String,
    ) {
        self.events += 1;
        self.word(time_ms);
        self.word(target.word());
        self.word(kind);
        self.word(summary);
        if let Some(lines) = &mut self.lines {
            lines.push(format!("{time_ms:>8} {target} {}", text()));
        }
    }

    /// Adds one output of the current event.
    pub fn output(&mut self, kind: u64, summary: u64, text: impl FnOnce() -> String) {
        self.word(kind | 0x100);
        self.word(summary);
        if let Some(lines) = &mut self.lines {
            lines.push(format!("{:>8}   -> {}", "", text()));
        }
    }

    /// Whether text lines are kept (callers may skip building details otherwise).
    #[must_use]
    pub const fn keeps_lines(&self) -> bool {
        self.lines.is_some()
    }

    /// The hash so far.
    #[must_use]
    pub const fn hash(&self) -> u64 {
        self.hash
    }

    /// Events recorded so far.
    #[must_use]
    pub const fn events(&self) -> u64 {
        self.events
    }

    /// Takes the text lines (empty unless kept).
    pub fn take_lines(&mut self) -> Vec<String> {
        self.lines.take().unwrap_or_default()
    }
}

/// Who an event happened to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A server, by index.
    Server(usize),
    /// A client, by index.
    Client(usize),
    /// The simulator itself (faults, phases).
    World,
}

impl Target {
    fn word(self) -> u64 {
        match self {
            Self::Server(i) => 1 << 32 | i as u64,
            Self::Client(i) => 2 << 32 | i as u64,
            Self::World => 3 << 32,
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Server(i) => write!(f, "s{i:<3}"),
            Self::Client(i) => write!(f, "c{i:<3}"),
            Self::World => write!(f, "sim "),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_reference_and_hash_depends_on_order() {
        assert_eq!(fnv64(b""), FNV_OFFSET);
        assert_eq!(fnv64(b"a"), 0xaf63_dc4c_8601_ec8c);
        let mut a = Trace::new(false);
        a.event(1, Target::Server(0), 1, 0, String::new);
        a.event(2, Target::Client(0), 1, 0, String::new);
        let mut b = Trace::new(false);
        b.event(2, Target::Client(0), 1, 0, String::new);
        b.event(1, Target::Server(0), 1, 0, String::new);
        assert_ne!(a.hash(), b.hash());
    }
}
