//! A local ensemble of `zoorepld` processes on 127.0.0.1, for people (`zoorepl ensemble
//! start|stop|status`) and for tests.
//!
//! [`LocalEnsemble`] lays out one directory per member under a root directory:
//!
//! ```text
//! DIR/server-N/zoo.cfg          an ordinary ZooKeeper zoo.cfg with a server.N line per member
//! DIR/server-N/data/myid        N
//! DIR/server-N/zoorepld.log     the server's stdout and stderr, appended across restarts
//! DIR/server-N/zoorepld.pid     the pid of the running server
//! ```
//!
//! Each server runs as its own process in its own process group, so it outlives the CLI that
//! started it and a Ctrl-C in the CLI's terminal does not reach it. Whether a server runs is
//! read from its pid file and checked against the process's command line (on Linux), so a
//! stale pid file or a recycled pid is not mistaken for a live server. A handle kills the
//! processes it started itself when it is dropped, unless [`LocalEnsemble::detach`] was called
//! (the CLI does; tests do not, so a failing test leaves no servers behind).

mod cli;
mod extra_config;
mod layout;
mod pidfile;
mod probe;
mod process;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::{Mutex, PoisonError};

use anyhow::Context;
use zoorepl_core::ids::ServerId;

pub use cli::{run, EnsembleAction, EnsembleArgs, StartArgs, StartOneArgs, StatusArgs, StopArgs};
pub use probe::MemberState;
pub use process::{StopOutcome, STOP_TIMEOUT};

/// `tickTime` of a new layout unless told otherwise, ms (the sample zoo.cfg's value).
pub const TICK_MS_DEFAULT: u32 = 2000;
/// `initLimit` written into every zoo.cfg, ticks.
pub const INIT_LIMIT_TICKS: u32 = 10;
/// `syncLimit` written into every zoo.cfg, ticks.
pub const SYNC_LIMIT_TICKS: u32 = 5;
/// The most members a layout may have: ids run from 1 and zoo.cfg ids must be below 127.
pub const MEMBERS_MAX: usize = 126;

/// Whether a member votes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberKind {
    /// A participant: votes in elections and in the ACK quorum.
    Voter,
    /// An observer: serves clients and follows the leader without voting.
    Observer,
}

impl MemberKind {
    /// The word used in listings: `voter` or `observer`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Voter => "voter",
            Self::Observer => "observer",
        }
    }
}

/// One member of a layout: its id, role, ports and directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// The server id (`server.N`, `myid`).
    pub id: ServerId,
    /// Voter or observer.
    pub kind: MemberKind,
    /// `clientPort`.
    pub client_port: u16,
    /// The quorum (ZAB) port of its `server.N` line.
    pub quorum_port: u16,
    /// The election port of its `server.N` line.
    pub election_port: u16,
    /// `DIR/server-N`.
    pub dir: PathBuf,
}

impl Member {
    /// `DIR/server-N/zoo.cfg`.
    #[must_use]
    pub fn config_path(&self) -> PathBuf {
        self.dir.join("zoo.cfg")
    }

    /// `DIR/server-N/data`: the `dataDir`, holding `myid`.
    #[must_use]
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// `DIR/server-N/zoorepld.log`.
    #[must_use]
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("zoorepld.log")
    }

    /// `DIR/server-N/zoorepld.pid`.
    #[must_use]
    pub fn pid_path(&self) -> PathBuf {
        self.dir.join("zoorepld.pid")
    }

    /// `127.0.0.1:clientPort`.
    #[must_use]
    pub fn client_addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.client_port))
    }
}

/// Where the members' ports come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortChoice {
    /// Server N uses `client + N - 1`, `quorum + N - 1` and `election + N - 1`.
    Bases {
        /// The first client port.
        client: u16,
        /// The first quorum port.
        quorum: u16,
        /// The first election port.
        election: u16,
    },
    /// Ports the OS hands out as free at layout time (for tests running side by side).
    Ephemeral,
}

impl Default for PortChoice {
    /// ZooKeeper's customary 2181, 2888 and 3888.
    fn default() -> Self {
        Self::Bases {
            client: 2181,
            quorum: 2888,
            election: 3888,
        }
    }
}

/// What [`LocalEnsemble::create`] lays out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnsembleOptions {
    /// Voting servers (ids 1..=servers).
    pub servers: usize,
    /// Observers (the ids after the voters).
    pub observers: usize,
    /// Port bases or free ports.
    pub ports: PortChoice,
    /// `tickTime`, ms.
    pub tick_ms: u32,
    /// The `zoorepld` binary; `None` looks next to the current executable.
    pub zoorepld: Option<PathBuf>,
    /// More `key=value` lines for every member's zoo.cfg, in this order (for settings the
    /// layout does not choose, e.g. `maxClientCnxns`). Keys the layout writes are refused.
    pub extra_config: Vec<(String, String)>,
}

impl EnsembleOptions {
    /// `servers` voters, no observers, the customary ports, `tickTime` 2000.
    #[must_use]
    pub fn new(servers: usize) -> Self {
        Self {
            servers,
            observers: 0,
            ports: PortChoice::default(),
            tick_ms: TICK_MS_DEFAULT,
            zoorepld: None,
            extra_config: Vec::new(),
        }
    }
}

/// A local ensemble's layout and the servers this handle started (see the module doc).
#[derive(Debug)]
pub struct LocalEnsemble {
    dir: PathBuf,
    members: Vec<Member>,
    zoorepld: Option<PathBuf>,
    /// Processes this handle spawned, so they can be reaped (a dead child that nobody waited
    /// for stays a zombie) and killed on drop.
    children: Mutex<BTreeMap<ServerId, Child>>,
}

impl LocalEnsemble {
    /// Writes the layout of `options` under `dir` (created if needed) without starting anything.
    /// An earlier layout with the same member ids is rewritten and keeps its data.
    ///
    /// # Errors
    /// Bad options (no voter, too many members, ports out of range or repeated), a running
    /// server in `dir`, an earlier layout with other members, or a directory that cannot be
    /// written.
    pub fn create(dir: &Path, options: &EnsembleOptions) -> anyhow::Result<Self> {
        layout::check_options(options)?;
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating {} (is it writable?)", dir.display()))?;
        let dir =
            std::fs::canonicalize(dir).with_context(|| format!("resolving {}", dir.display()))?;
        pidfile::refuse_if_running(&dir)?;
        let members = layout::plan(&dir, options)?;
        layout::refuse_other_members(&dir, &members)?;
        layout::write(&members, options)?;
        Ok(Self::with_members(dir, members, options.zoorepld.clone()))
    }

    /// Reads the layout an earlier [`LocalEnsemble::create`] wrote under `dir` (by parsing each
    /// member's zoo.cfg), to start, stop or inspect its servers.
    ///
    /// # Errors
    /// `dir` holds no layout, or a member's zoo.cfg or myid does not parse.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        let dir = std::fs::canonicalize(dir)
            .with_context(|| format!("{} holds no zoorepl ensemble", dir.display()))?;
        let members = layout::read(&dir)?;
        Ok(Self::with_members(dir, members, None))
    }

    /// Whether `dir` holds a layout that [`LocalEnsemble::open`] can read.
    #[must_use]
    pub fn exists_in(dir: &Path) -> bool {
        layout::member_dirs(dir).is_ok_and(|dirs| !dirs.is_empty())
    }

    fn with_members(dir: PathBuf, members: Vec<Member>, zoorepld: Option<PathBuf>) -> Self {
        assert!(!members.is_empty(), "a layout has at least one member");
        Self {
            dir,
            members,
            zoorepld,
            children: Mutex::new(BTreeMap::new()),
        }
    }

    /// Uses this `zoorepld` binary for later starts.
    pub fn set_zoorepld(&mut self, path: PathBuf) {
        self.zoorepld = Some(path);
    }

    /// The root directory (absolute).
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every member, voters first, by id.
    #[must_use]
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// Every member id, in order.
    #[must_use]
    pub fn ids(&self) -> Vec<ServerId> {
        self.members.iter().map(|m| m.id).collect()
    }

    /// The member with this id.
    #[must_use]
    pub fn member(&self, id: ServerId) -> Option<&Member> {
        self.members.iter().find(|m| m.id == id)
    }

    fn member_or_err(&self, id: ServerId) -> anyhow::Result<&Member> {
        self.member(id).with_context(|| {
            format!(
                "no server {} in the ensemble at {}",
                id.0,
                self.dir.display()
            )
        })
    }

    /// A member's client address, `127.0.0.1:port`.
    #[must_use]
    pub fn client_addr(&self, id: ServerId) -> Option<SocketAddr> {
        self.member(id).map(Member::client_addr)
    }

    /// Every member's client address, comma-separated: a ZooKeeper connect string.
    #[must_use]
    pub fn connect_string(&self) -> String {
        let addrs: Vec<String> = self
            .members
            .iter()
            .map(|m| m.client_addr().to_string())
            .collect();
        addrs.join(",")
    }

    /// Lets the servers this handle started outlive it (dropping the handle no longer kills
    /// them). The CLI calls this before it exits.
    pub fn detach(&self) {
        self.lock_children().clear();
    }

    fn lock_children(&self) -> std::sync::MutexGuard<'_, BTreeMap<ServerId, Child>> {
        self.children.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for LocalEnsemble {
    /// Kills (SIGKILL) and reaps the servers this handle started and did not detach.
    fn drop(&mut self) {
        for (_, mut child) in std::mem::take(&mut *self.lock_children()) {
            // The child may have exited already; either way `wait` reaps it.
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
