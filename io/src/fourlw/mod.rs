//! Four-letter words and the Prometheus metrics text (zookeeper-protocol.md §13).
//!
//! On a fresh client connection the shell reads four bytes; [`FourLetter::parse`] says whether
//! they are a command. If so, [`is_allowed`] checks `4lw.commands.whitelist` (a refused command
//! gets [`refusal`]), the shell fills a [`ServerSnapshot`], writes [`render`]'s text and closes
//! the connection. `stmk` reads 8 more bytes (the mask) first.
//!
//! Which Java output each format follows (Apache ZooKeeper 3.8, `server/command/*.java`; the
//! golden captures of 3.8.0 on branch `golden`, `core/tests/golden/4lw/`, confirm them):
//!
//! | cmd | Java source | notes |
//! |---|---|---|
//! | `ruok` | `RuokCommand` | `imok`, no newline |
//! | `srvr`, `stat` | `StatCommand`, `ServerStats.toString`, `ServerCnxn.dumpConnectionInfo(brief)` | avg latency as `Double.toString` |
//! | `cons` | `ConsCommand`, `dumpConnectionInfo(full)` | `lcxid` only when ≥ 0 |
//! | `conf` | `ZooKeeperServer.dumpConf` | standalone keys only |
//! | `envi` | `EnvCommand` | our keys: no JVM, so no `java.*` |
//! | `mntr` | `MonitorCommand` | `zk_<key>\t<value>`; key order as the 3.8.0 capture; only keys we measure |
//! | `wchs`, `wchc`, `wchp` | `WatchCommand`, `WatchManager` | data watches only, as Java |
//! | `dump` | `DumpCommand`, `ExpiryQueue.dump`, `DataTree.dumpEphemerals` | dates as `Date.toString` in UTC |
//! | `dirs` | `DirsCommand` | |
//! | `isro` | `IsroCommand` | `null` when not serving |
//! | `gtmk`, `stmk` | `TraceMaskCommand`, `SetTraceMaskCommand` | decimal, no newline |
//! | `crst`, `srst` | `CnxnStatResetCommand`, `StatResetCommand` | |
//! | `hash` | `DigestCommand` | `<zxid hex>: <digest>` per line |
//! | refused | `NIOServerCnxn.checkFourLetterWord`, `NopCommand` | |
//!
//! [`render_metrics`] is the Prometheus text format with the names Java's Prometheus provider uses.
//!
//! ```
//! use zoorepl_io::fourlw::{is_allowed, refusal, render, FourLetter, ServerSnapshot, Whitelist};
//!
//! let first4 = *b"ruok";
//! let cmd = FourLetter::parse(first4).expect("a four-letter word, not a frame length");
//! let snapshot = ServerSnapshot { serving: true, ..ServerSnapshot::default() };
//! let reply = if is_allowed(cmd, &Whitelist::All) {
//!     render(cmd, &snapshot)
//! } else {
//!     refusal(cmd)
//! };
//! assert_eq!(reply, "imok");
//! assert_eq!(refusal(cmd), "ruok is not executed because it is not in the whitelist.\n");
//! ```

mod host;
mod javafmt;
mod metrics;
mod quorum;
mod render;
mod snapshot;
mod summary;

use std::collections::BTreeSet;

pub use host::{dir_size_bytes, file_descriptor_counts, process_environment};
pub use javafmt::{java_date_utc, java_double, java_socket_addr};
pub use metrics::render_metrics;
pub use quorum::{LearnerReport, QuorumReport};
pub use render::{render, NOT_SERVING};
pub use snapshot::{
    ConfValues, ConnectionInfo, Latency, ServerMode, ServerSnapshot, SessionDetails, SessionExpiry,
    WatchSummary,
};
pub use summary::Summary;

/// The version line zoorepl reports (`Zookeeper version: ...`, `zk_version`). It starts with the
/// ZooKeeper version whose behaviour we follow, because tools parse that prefix.
pub const VERSION: &str = concat!(
    "3.8.0-zoorepl-",
    env!("CARGO_PKG_VERSION"),
    ", built on unknown"
);

/// A four-letter word Java 3.8 knows (`FourLetterCommands`), recognised from the first four
/// bytes of a fresh client connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FourLetter {
    /// `conf`: the server's configuration.
    Conf,
    /// `cons`: full details of every connection.
    Cons,
    /// `crst`: reset connection statistics.
    Crst,
    /// `dirs`: data and log directory sizes.
    Dirs,
    /// `dump`: sessions, ephemerals and connection expiry.
    Dump,
    /// `envi`: the process environment.
    Envi,
    /// `gtmk`: the trace mask, in decimal.
    Gtmk,
    /// `ruok`: `imok` when the process is up.
    Ruok,
    /// `stmk`: set the trace mask (8 more bytes follow on the wire).
    Stmk,
    /// `srst`: reset server statistics.
    Srst,
    /// `srvr`: server summary (always allowed: `zkServer.sh status` needs it).
    Srvr,
    /// `stat`: `srvr` plus the list of clients.
    Stat,
    /// `wchc`: data watches by session.
    Wchc,
    /// `wchp`: data watches by path.
    Wchp,
    /// `wchs`: data watch summary.
    Wchs,
    /// `mntr`: `zk_<key>\t<value>` monitoring lines.
    Mntr,
    /// `isro`: `ro` or `rw`.
    Isro,
    /// `hash`: recent tree digests.
    Hash,
    /// The bytes telnet sends when it closes (0xfff4fffd); Java knows it so the log stays clean.
    TelnetClose,
}

impl FourLetter {
    /// Every command, in the order Java registers them.
    pub const ALL: [Self; 19] = [
        Self::Conf,
        Self::Cons,
        Self::Crst,
        Self::Dirs,
        Self::Dump,
        Self::Envi,
        Self::Gtmk,
        Self::Ruok,
        Self::Stmk,
        Self::Srst,
        Self::Srvr,
        Self::Stat,
        Self::Wchc,
        Self::Wchp,
        Self::Wchs,
        Self::Mntr,
        Self::Isro,
        Self::TelnetClose,
        Self::Hash,
    ];

    /// The command's name as Java prints it (`telnet close` for the telnet bytes).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Conf => "conf",
            Self::Cons => "cons",
            Self::Crst => "crst",
            Self::Dirs => "dirs",
            Self::Dump => "dump",
            Self::Envi => "envi",
            Self::Gtmk => "gtmk",
            Self::Ruok => "ruok",
            Self::Stmk => "stmk",
            Self::Srst => "srst",
            Self::Srvr => "srvr",
            Self::Stat => "stat",
            Self::Wchc => "wchc",
            Self::Wchp => "wchp",
            Self::Wchs => "wchs",
            Self::Mntr => "mntr",
            Self::Isro => "isro",
            Self::Hash => "hash",
            Self::TelnetClose => "telnet close",
        }
    }

    /// Recognises the first four bytes of a connection (case-sensitive, as Java compares the
    /// big-endian int). `None` means: treat the bytes as a frame length.
    #[must_use]
    pub fn parse(first4: [u8; 4]) -> Option<Self> {
        if first4 == [0xff, 0xf4, 0xff, 0xfd] {
            return Some(Self::TelnetClose);
        }
        Self::ALL
            .into_iter()
            .find(|cmd| cmd.name().as_bytes() == first4.as_slice())
    }

    /// Bytes the command reads after its four letters: 8 for `stmk` (the big-endian trace mask,
    /// read only when the command is allowed, as Java does), 0 otherwise.
    #[must_use]
    pub const fn argument_len(self) -> usize {
        match self {
            Self::Stmk => 8,
            _ => 0,
        }
    }

    /// Looks a command up by name (`4lw.commands.whitelist` entries).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|cmd| cmd.name() == name)
    }
}

/// The commands `4lw.commands.whitelist` enables. `srvr` is always enabled, as in Java.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Whitelist {
    /// `*`: every known command.
    All,
    /// The listed commands (plus `srvr`).
    Only(BTreeSet<FourLetter>),
}

impl Default for Whitelist {
    /// Java's default: only `srvr`.
    fn default() -> Self {
        Self::Only(BTreeSet::from([FourLetter::Srvr]))
    }
}

impl Whitelist {
    /// Reads the comma list of `4lw.commands.whitelist` as Java does (entries trimmed, empty
    /// ones skipped, `*` anywhere means all). Returns the names it does not know, which Java
    /// silently keeps and never matches.
    #[must_use]
    pub fn parse(list: &str) -> (Self, Vec<String>) {
        let mut enabled = BTreeSet::from([FourLetter::Srvr]);
        let mut unknown = Vec::new();
        for name in list.split(',').map(str::trim) {
            if name == "*" {
                return (Self::All, unknown);
            }
            if name.is_empty() {
                continue;
            }
            match FourLetter::from_name(name) {
                Some(cmd) => {
                    enabled.insert(cmd);
                }
                None => unknown.push(name.to_owned()),
            }
        }
        (Self::Only(enabled), unknown)
    }
}

/// Whether `cmd` may run. `srvr` always may (Java adds it: `zkServer.sh status` depends on it).
#[must_use]
pub fn is_allowed(cmd: FourLetter, whitelist: &Whitelist) -> bool {
    match whitelist {
        Whitelist::All => true,
        Whitelist::Only(set) => cmd == FourLetter::Srvr || set.contains(&cmd),
    }
}

/// The reply to a command that is not whitelisted, byte for byte as Java's `NopCommand` prints
/// it (`println`, so one `\n`).
#[must_use]
pub fn refusal(cmd: FourLetter) -> String {
    format!(
        "{} is not executed because it is not in the whitelist.\n",
        cmd.name()
    )
}
