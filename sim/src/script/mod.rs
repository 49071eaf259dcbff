//! A small DSL for scripted scenarios (STYLE.md §8, after TigerBeetle `replica_test.zig`).
//!
//! A [`Cluster`] drives real [`Node`]s in ensemble mode on a virtual clock, with exact control
//! over every fault a scenario needs:
//!
//! - servers: `c.server(1).crash()`, `.restart()`, `.restart_with_empty_disk()`, `.observe()`;
//! - links (FIFO, one per ordered pair): `c.link(1, 2).hold()`, `.release()`, `.drop_all()`,
//!   `.cut()`, `.heal()`, and `c.isolate(1)` / `c.heal_all()`;
//! - disks: `c.server(2).disk().hold()` keeps every later write pending (issued but not
//!   durable); `.complete(n)` makes the oldest `n` durable; a crash loses what is pending;
//! - clients: `c.connect(client, server)`, `c.client(1).create("/a", "x")`, `c.read(1, "/a")`;
//! - time: `c.run_for(ms)`, `c.run_until(|c| ..)`, `c.settle()`.
//!
//! Every step checks each node's invariants and three cluster-wide properties: a zxid applied
//! anywhere always yields the same digest, a zxid durably logged anywhere is always the same
//! txn, and at most one server establishes each epoch. Scenarios add their own assertions with
//! [`Cluster::assert_converged`] and [`Cluster::assert_no_committed_lost`].
//!
//! Disk writes are durable in the order issued (`Output` docs: each disk output runs after
//! every earlier one), and only once completed; messages on a link arrive in order, 1 ms after
//! they are sent, unless held. Ties are broken by a fixed order (disks, then links, then ticks,
//! each by id): the same script always runs the same way.

mod client;
mod handles;
mod io;

use std::collections::{BTreeMap, BTreeSet};

use zoorepl_core::ids::{ServerId, Zxid};
use zoorepl_core::input::Input;
use zoorepl_core::node::{Node, NodeConfig};
use zoorepl_core::time::Instant;
use zoorepl_core::txn::Txn;
use zoorepl_core::zab::{ElectionConfig, EnsembleConfig, MemberKind, Observation, Role};

pub use client::{Client, ClientRef, Reply};
pub use handles::{DiskRef, LinkRef, ServerRef};
use io::{Disk, Link};
pub use io::{DiskOp, Durable};

/// Virtual milliseconds a message takes on a link, and a disk operation to complete.
pub const LATENCY_MS: u64 = 1;

/// How long `run_until` waits for its condition before failing the scenario.
pub const RUN_UNTIL_BUDGET_MS: u64 = 30_000;

/// One server: its process (absent while crashed), its configuration and its disk.
struct Server {
    node: Option<Node>,
    config: NodeConfig,
    disk: Disk,
    /// The last applied zxid seen, to find what each step applied.
    seen_applied: Zxid,
}

/// What the next step does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Due {
    Disk(u64),
    Link(u64, u64),
    Tick(u64),
}

/// A scripted ensemble.
pub struct Cluster {
    now: u64,
    servers: BTreeMap<u64, Server>,
    links: BTreeMap<(u64, u64), Link>,
    clients: BTreeMap<u64, Client>,
    next_conn: u64,
    /// Every txn ever applied by some server: each was committed.
    applied: BTreeMap<Zxid, Txn>,
    /// The digest every server had at each applied zxid.
    digests: BTreeMap<Zxid, (u64, u64)>,
    /// Every txn ever made durable in some log.
    logged: BTreeMap<Zxid, Txn>,
    /// Which server established each epoch.
    established: BTreeMap<u32, u64>,
    trace: bool,
}

impl Cluster {
    /// `voters` participants numbered from 1, with the harness timing of
    /// `core/tests/ensemble_support` (tick 100 ms, finalize wait 50 ms).
    #[must_use]
    pub fn new(voters: u64) -> Self {
        Self::with_config(voters, |_| {})
    }

    /// Like [`Cluster::new`], letting the scenario adjust the ensemble configuration.
    #[must_use]
    pub fn with_config(voters: u64, adjust: impl FnOnce(&mut EnsembleConfig)) -> Self {
        let members: BTreeMap<ServerId, MemberKind> = (1..=voters)
            .map(|id| (ServerId(id), MemberKind::Participant))
            .collect();
        let mut ensemble = EnsembleConfig::new(members);
        ensemble.committed_log_max = 50;
        ensemble.election = ElectionConfig {
            finalize_wait_ms: 50,
            resend_min_ms: 50,
            resend_max_ms: 800,
        };
        adjust(&mut ensemble);
        let mut c = Self {
            now: 0,
            servers: BTreeMap::new(),
            links: BTreeMap::new(),
            clients: BTreeMap::new(),
            next_conn: 0,
            applied: BTreeMap::new(),
            digests: BTreeMap::new(),
            logged: BTreeMap::new(),
            established: BTreeMap::new(),
            trace: std::env::var_os("SCRIPT_TRACE").is_some(),
        };
        for id in 1..=voters {
            let config = NodeConfig {
                server_id: ServerId(id),
                tick_ms: 100,
                snap_count: 1000,
                ensemble: Some(ensemble.clone()),
                full_checks: true,
                ..NodeConfig::default()
            };
            let server = Server {
                node: None,
                config,
                disk: Disk::default(),
                seen_applied: Zxid::ZERO,
            };
            c.servers.insert(id, server);
            for other in 1..=voters {
                if other != id {
                    c.links.insert((id, other), Link::default());
                }
            }
        }
        for id in 1..=voters {
            c.start(id);
        }
        c
    }

    /// Virtual time now, in milliseconds.
    #[must_use]
    pub const fn now(&self) -> u64 {
        self.now
    }

    /// The server ids.
    #[must_use]
    pub fn ids(&self) -> Vec<u64> {
        self.servers.keys().copied().collect()
    }

    /// A handle on server `id`.
    ///
    /// # Panics
    /// When there is no such server.
    pub fn server(&mut self, id: u64) -> ServerRef<'_> {
        assert!(self.servers.contains_key(&id), "no server {id}");
        ServerRef { c: self, id }
    }

    /// A handle on the link carrying messages from `from` to `to`.
    ///
    /// # Panics
    /// When there is no such link.
    pub fn link(&mut self, from: u64, to: u64) -> LinkRef<'_> {
        assert!(self.links.contains_key(&(from, to)), "no link {from}->{to}");
        LinkRef { c: self, from, to }
    }

    /// Cuts every link to and from `id` (messages sent on them are lost).
    pub fn isolate(&mut self, id: u64) {
        for ((from, to), link) in &mut self.links {
            if *from == id || *to == id {
                link.cut = true;
                link.queue.clear();
            }
        }
    }

    /// Heals and releases every link.
    pub fn heal_all(&mut self) {
        for link in self.links.values_mut() {
            link.cut = false;
            link.held = false;
        }
    }

    /// What server `id` looks like now, or `None` while it is down.
    #[must_use]
    pub fn observe(&self, id: u64) -> Option<Observation> {
        self.servers[&id].node.as_ref().map(Node::observe)
    }

    /// The serving leader, if any.
    #[must_use]
    pub fn leader(&self) -> Option<u64> {
        self.servers.keys().copied().find(|id| {
            self.observe(*id)
                .is_some_and(|o| o.role == Role::Leading && o.serving)
        })
    }

    /// Whether every running server serves and all have applied the same txns.
    #[must_use]
    pub fn settled(&self) -> bool {
        let obs: Vec<Observation> = self
            .ids()
            .iter()
            .filter_map(|id| self.observe(*id))
            .collect();
        self.leader().is_some()
            && obs.iter().all(|o| o.serving)
            && obs
                .windows(2)
                .all(|w| w[0].last_applied == w[1].last_applied)
    }

    /// Runs until every running server serves the same state.
    pub fn settle(&mut self) {
        self.run_until(Self::settled);
    }

    /// Every txn some server applied so far (each was committed).
    #[must_use]
    pub const fn committed_txns(&self) -> &BTreeMap<Zxid, Txn> {
        &self.applied
    }

    /// The highest zxid any server applied so far.
    #[must_use]
    pub fn max_committed(&self) -> Zxid {
        self.applied
            .keys()
            .next_back()
            .copied()
            .unwrap_or(Zxid::ZERO)
    }

    /// Which server established each epoch so far.
    #[must_use]
    pub const fn established_epochs(&self) -> &BTreeMap<u32, u64> {
        &self.established
    }

    /// Runs `ms` milliseconds of virtual time.
    pub fn run_for(&mut self, ms: u64) {
        let until = self.now + ms;
        while self.step_before(until) {}
        self.now = until;
    }

    /// Runs until `done` holds (checked before each step).
    ///
    /// # Panics
    /// When it does not hold within [`RUN_UNTIL_BUDGET_MS`] of virtual time.
    pub fn run_until(&mut self, done: impl Fn(&Self) -> bool) {
        assert!(
            self.try_run_until(RUN_UNTIL_BUDGET_MS, done),
            "condition not reached within {RUN_UNTIL_BUDGET_MS} ms; state:\n{}",
            self.describe()
        );
    }

    /// Runs until `done` holds or `budget_ms` pass; returns whether it holds.
    pub fn try_run_until(&mut self, budget_ms: u64, done: impl Fn(&Self) -> bool) -> bool {
        let until = self.now + budget_ms;
        loop {
            if done(self) {
                return true;
            }
            if !self.step_before(until) {
                self.now = until;
                return done(self);
            }
        }
    }

    /// One line per server: its observation and disk queue.
    #[must_use]
    pub fn describe(&self) -> String {
        let mut out = format!("t={} ms\n", self.now);
        for (id, s) in &self.servers {
            let line = s
                .node
                .as_ref()
                .map_or_else(|| "down".to_owned(), |n| format!("{:?}", n.observe()));
            let pending = s.disk.pending.len();
            out.push_str(&format!("  {id}: {line} (disk pending {pending})\n"));
        }
        out
    }

    /// The next thing due, if any is due at or before `until`.
    fn next_due(&self, until: u64) -> Option<(u64, Due)> {
        let mut best: Option<(u64, Due)> = None;
        let mut offer = |at: u64, due: Due| {
            let at = at.max(self.now);
            if at <= until && best.is_none_or(|b| (at, due) < b) {
                best = Some((at, due));
            }
        };
        for (id, s) in &self.servers {
            if s.node.is_some() && !s.disk.held {
                if let Some((at, _)) = s.disk.pending.front() {
                    offer(*at, Due::Disk(*id));
                }
            }
        }
        for ((from, to), link) in &self.links {
            if !link.held {
                if let Some((at, _)) = link.queue.front() {
                    offer(*at, Due::Link(*from, *to));
                }
            }
        }
        for (id, s) in &self.servers {
            if let Some(d) = s.node.as_ref().and_then(Node::poll_deadline) {
                offer(d.as_millis(), Due::Tick(*id));
            }
        }
        best
    }

    /// Takes one step due at or before `until`; false when none is.
    fn step_before(&mut self, until: u64) -> bool {
        let Some((at, due)) = self.next_due(until) else {
            return false;
        };
        self.now = at;
        match due {
            Due::Disk(id) => self.complete_disk_op(id),
            Due::Link(from, to) => {
                let (_, msg) = self
                    .links
                    .get_mut(&(from, to))
                    .and_then(|l| l.queue.pop_front())
                    .expect("due");
                let input = Input::Peer {
                    from: ServerId(from),
                    msg,
                };
                self.input(to, input);
            }
            Due::Tick(id) => self.input(id, Input::Tick),
        }
        true
    }

    /// Steps server `id` with `input` (dropped while it is down), then executes its outputs and
    /// checks every property.
    pub fn input(&mut self, id: u64, input: Input) {
        let now = Instant::from_millis(self.now);
        if self.trace {
            eprintln!("{} {id} <- {input:?}", self.now);
        }
        let Some(node) = self.servers.get_mut(&id).and_then(|s| s.node.as_mut()) else {
            return;
        };
        node.step(now, input);
        node.check_invariants();
        self.drain(id);
        self.check(id);
    }

    fn start(&mut self, id: u64) {
        let s = self.servers.get_mut(&id).expect("server");
        let config = s.config.clone().validate().expect("a valid config");
        let recovered = s.disk.durable.recovered();
        s.seen_applied = recovered.tree.last_applied();
        let node = Node::recover(config, recovered, Instant::from_millis(self.now), id);
        s.node = Some(node);
        self.drain(id);
        self.check(id);
    }

    fn crash(&mut self, id: u64) {
        let s = self.servers.get_mut(&id).expect("server");
        s.node = None;
        s.disk.pending.clear();
        s.disk.held = false;
        for ((from, to), link) in &mut self.links {
            if *from == id || *to == id {
                link.queue.clear();
            }
        }
        for client in self.clients.values_mut() {
            if client.server == id {
                client.closed = true;
            }
        }
    }

    /// Checks the cluster-wide properties after server `id` stepped.
    fn check(&mut self, id: u64) {
        let Some(o) = self.observe(id) else { return };
        if let Some(epoch) = o.established_epoch {
            let first = *self.established.entry(epoch).or_insert(id);
            assert_eq!(first, id, "two leaders established epoch {epoch}");
        }
        let (digest, at) = *self.digests.entry(o.last_applied).or_insert((o.digest, id));
        assert_eq!(
            digest, o.digest,
            "divergence: server {id} at {} has digest {:x}, server {at} had {digest:x}",
            o.last_applied, o.digest
        );
        let s = self.servers.get_mut(&id).expect("server");
        let before = std::mem::replace(&mut s.seen_applied, o.last_applied);
        if o.last_applied <= before {
            return;
        }
        let newly: Vec<Txn> = s
            .disk
            .durable
            .log
            .iter()
            .filter(|t| t.zxid > before && t.zxid <= o.last_applied)
            .cloned()
            .collect();
        for txn in newly {
            let first = self.applied.entry(txn.zxid).or_insert_with(|| txn.clone());
            assert_eq!(*first, txn, "two different txns applied at {}", txn.zxid);
        }
    }

    /// Asserts every running server serves, follows one leader and holds the same state, and
    /// that this state includes every txn ever applied anywhere.
    ///
    /// # Panics
    /// When it does not hold.
    pub fn assert_converged(&self) {
        let leader = self.leader().expect("a serving leader");
        let lead = self.observe(leader).expect("up");
        for id in self.ids() {
            let Some(o) = self.observe(id) else { continue };
            assert!(o.serving, "server {id} does not serve: {o:?}");
            assert_eq!(
                o.leader,
                Some(ServerId(leader)),
                "server {id} follows another"
            );
            assert_eq!(o.last_applied, lead.last_applied, "server {id} lags: {o:?}");
            assert_eq!(o.digest, lead.digest, "server {id} diverged: {o:?}");
        }
        assert!(
            lead.last_applied >= self.max_committed(),
            "the state at {} is older than committed {}",
            lead.last_applied,
            self.max_committed()
        );
        self.assert_no_committed_lost();
    }

    /// Asserts that every running server durably holds every txn ever applied anywhere (in its
    /// log, or below its installed snapshot).
    ///
    /// # Panics
    /// When a committed txn is missing from a server.
    pub fn assert_no_committed_lost(&self) {
        for (id, s) in &self.servers {
            if s.node.is_none() {
                continue;
            }
            let base = s.disk.durable.snapshot_zxid();
            let log: BTreeSet<Zxid> = s.disk.durable.log.iter().map(|t| t.zxid).collect();
            for zxid in self.applied.keys() {
                assert!(
                    *zxid <= base || log.contains(zxid),
                    "server {id} lost committed txn {zxid} (snapshot {base}, log {log:?})"
                );
            }
        }
    }
}
