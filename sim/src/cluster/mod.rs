//! The single-threaded event loop on a virtual clock: servers (core `Node`s with a disk, a
//! disk queue and a clock each), the network, the clients and the nemesis, all driven from one
//! queue ordered by (time, sequence number).
//!
//! - `step.rs`: stepping a node and routing its outputs (network, disk queue, clients).
//! - `disk_io.rs`: the per-server disk queue (emission order, fsync latency, completions).
//! - `nemesis.rs`: faults — crash/restart, pause, partitions, clogs, clock jumps, drops.
//! - `clients.rs`: the glue between the workload and the servers' connections.
//! - `phases.rs`: the safety → liveness switch and the end-of-run checks.
//! - `server.rs`: one server's state.

mod clients;
mod disk_io;
mod nemesis;
mod phases;
mod server;
mod step;
mod witness; // witness hook: the end-of-run zxid-witness check.

use std::collections::BTreeMap;

use bytes::Bytes;
use zoorepl_core::ids::{ConnId, ServerId, Zxid};
use zoorepl_core::node::{NodeConfig, PeerMsg, Recovered};
use zoorepl_core::zab::{ElectionConfig, EnsembleConfig, MemberKind};

use crate::checker::{Checkers, Violation};
use crate::clock::Clock;
use crate::events::Queue;
use crate::network::Network;
use crate::options::{Faults, SimOptions};
use crate::rand::Rng;
use crate::trace::{fnv64, Trace};
use crate::workload::{ServerMsg, Workload};
use crate::Stats;
pub(crate) use nemesis::Fault;
use server::Server;

/// Most events one seed may process (a runaway guard far above any real run).
const EVENTS_MAX: u64 = 5_000_000;
/// The base time unit of every simulated node, ms.
const TICK_MS: u64 = 100;

/// Something that happens at a virtual time.
#[derive(Debug)]
pub(crate) enum Event {
    /// A peer message; `to_inc` is the receiver's incarnation when it was sent (a message on
    /// a connection to a process that has since restarted is lost with that connection).
    Peer {
        to: usize,
        to_inc: u32,
        from: usize,
        msg: PeerMsg,
    },
    /// The connection from `server` to `peer` broke: a message on it was lost (a break, a
    /// partition, or nobody listening). Both ends notice, as with a TCP reset.
    Disconnect {
        server: usize,
        inc: u32,
        peer: usize,
    },
    Tick {
        server: usize,
        gen: u64,
    },
    DiskDone {
        server: usize,
        inc: u32,
    },
    SnapshotDone {
        server: usize,
        inc: u32,
        zxid: Zxid,
        bytes: Vec<u8>,
    },
    ToServer {
        server: usize,
        conn: ConnId,
        what: ToServer,
    },
    ToClient {
        client: usize,
        conn: ConnId,
        msg: ServerMsg,
    },
    ClientWake {
        client: usize,
    },
    Nemesis(Fault),
    Restart {
        server: usize,
        inc: u32,
    },
    Resume {
        server: usize,
        inc: u32,
    },
    Heal,
    Liveness,
    Quiet,
    Check,
}

impl Event {
    /// The server an event is delivered to (held back while that server is paused).
    const fn server(&self) -> Option<usize> {
        match self {
            Self::Peer { to: server, .. }
            | Self::Disconnect { server, .. }
            | Self::Tick { server, .. }
            | Self::DiskDone { server, .. }
            | Self::SnapshotDone { server, .. }
            | Self::ToServer { server, .. } => Some(*server),
            _ => None,
        }
    }
}

/// What a client connection carries to a server.
#[derive(Debug)]
pub(crate) enum ToServer {
    Open,
    Frame(Bytes),
    Closed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Safety,
    Liveness { deadline_ms: u64 },
}

/// The whole simulated world of one seed.
pub(crate) struct Cluster {
    pub(crate) now: u64,
    queue: Queue<Event>,
    pub(crate) servers: Vec<Server>,
    net: Network,
    pub(crate) workload: Workload,
    think_ms: Vec<u64>,
    /// Open client connections: conn → (client, server).
    conns: BTreeMap<ConnId, (usize, usize)>,
    pub(crate) checkers: Checkers,
    pub(crate) trace: Trace,
    pub(crate) faults: Faults,
    rng_net: Rng,
    rng_faults: Rng,
    rng_disk: Rng,
    rng_clients: Rng,
    seed: u64,
    phase: Phase,
    safety_ms: u64,
    liveness_ms: u64,
    pub(crate) stats: Stats,
    pub(crate) violations: Vec<(u64, Violation)>,
    partitioned: bool,
    done: bool,
    planted: Option<crate::options::Planted>,
}

/// A node's seed for one incarnation, derived from the run seed.
fn node_seed(seed: u64, server: usize, incarnation: u32) -> u64 {
    let mut bytes = [0u8; 20];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8..16].copy_from_slice(&(server as u64).to_le_bytes());
    bytes[16..].copy_from_slice(&incarnation.to_le_bytes());
    fnv64(&bytes)
}

/// The ensemble of a run with `opts`: voters, then observers, then publishers, ids from 1, with
/// the simulator's limits; `None` for one standalone server. The madsim tests use it too.
#[must_use]
pub fn ensemble_config(opts: &SimOptions) -> Option<EnsembleConfig> {
    if opts.nodes <= 1 && opts.observers == 0 && opts.publishers == 0 {
        return None;
    }
    let members = (0..opts.nodes + opts.observers + opts.publishers)
        .map(|i| {
            let kind = if i < opts.nodes {
                MemberKind::Participant
            } else if i < opts.nodes + opts.observers {
                MemberKind::Observer
            } else {
                MemberKind::Publisher
            };
            (ServerId(i as u64 + 1), kind)
        })
        .collect();
    Some(EnsembleConfig {
        members,
        init_limit: 10,
        sync_limit: 5,
        // Java's 60 s cap on the resend backoff would let one LOOKING server that lost every
        // notification during a partition sleep through most of the liveness phase.
        election: ElectionConfig {
            resend_max_ms: 2_000,
            ..ElectionConfig::default()
        },
        committed_log_max: 64,
        planted: opts.zab_bug,
    })
}

impl Cluster {
    /// Builds the world of `seed`: draws fault rates, starts every server on an empty disk,
    /// schedules the clients, the nemesis and the liveness phase.
    pub(crate) fn new(seed: u64, opts: &SimOptions) -> Self {
        let mut root = Rng::new(seed);
        let mut rng_faults = root.fork();
        let faults = Faults::draw(opts.faults, &mut rng_faults);
        let mut rng_clients = root.fork();
        let ensemble = ensemble_config(opts);
        let total = ensemble.as_ref().map_or(1, |e| e.members.len());
        let snap_count = rng_faults.range(4, 120);
        let servers = (0..total)
            .map(|i| {
                let id = ServerId(if ensemble.is_some() { i as u64 + 1 } else { 0 });
                let config = NodeConfig {
                    server_id: id,
                    tick_ms: TICK_MS,
                    snap_count,
                    container_check_interval_ms: 2000,
                    ensemble: ensemble.clone(),
                    full_checks: true,
                    ..NodeConfig::default()
                }
                .validate()
                .expect("the simulator's config is valid");
                let max = i64::from(faults.drift_ppm_max);
                let drift = rng_faults.range(0, 2 * max as u64) as i64 - max;
                Server::new(id, config, i < opts.nodes, Clock::new(drift))
            })
            .collect();
        let n_clients = opts
            .clients
            .unwrap_or_else(|| usize::try_from(rng_clients.range(2, 6)).expect("small"));
        let workload = Workload::new(n_clients, total, &mut rng_clients);
        let think_ms = (0..n_clients).map(|_| rng_clients.range(2, 60)).collect();
        let safety_ms = opts
            .safety_ms
            .unwrap_or_else(|| rng_faults.range(2000, 10_000));
        let mut cluster = Self {
            now: 0,
            queue: Queue::new(),
            servers,
            net: Network::new(&faults),
            workload,
            think_ms,
            conns: BTreeMap::new(),
            checkers: Checkers::new(total),
            trace: Trace::new(opts.trace),
            faults,
            rng_net: root.fork(),
            rng_faults,
            rng_disk: root.fork(),
            rng_clients,
            seed,
            phase: Phase::Safety,
            safety_ms,
            liveness_ms: opts.liveness_ms,
            stats: Stats::default(),
            violations: Vec::new(),
            partitioned: false,
            done: false,
            planted: opts.planted,
        };
        cluster.start();
        cluster
    }

    fn start(&mut self) {
        for s in 0..self.servers.len() {
            let server = &mut self.servers[s];
            let now = server.clock.local(0);
            let seed = node_seed(self.seed, s, 0);
            let node = zoorepl_core::node::Node::recover(
                server.config.clone(),
                Recovered::default(),
                now,
                seed,
            );
            server.node = Some(node);
            self.drain_outputs(s);
        }
        for c in 0..self.workload.len() {
            let at = self.rng_clients.range(0, 50);
            self.queue.push(at, Event::ClientWake { client: c });
        }
        self.schedule_faults();
        self.queue.push(self.safety_ms, Event::Liveness);
    }

    /// Runs until the liveness phase ends or a property breaks.
    pub(crate) fn run(&mut self) {
        while let Some((time_ms, event)) = self.queue.pop() {
            debug_assert!(time_ms >= self.now, "time went back");
            self.now = time_ms;
            self.stats.events += 1;
            self.stats.queue_max = self.stats.queue_max.max(self.queue.len() as u64);
            self.dispatch(event);
            if self.done || !self.violations.is_empty() {
                break;
            }
            if self.stats.events >= EVENTS_MAX {
                self.violate(Violation::new("bounded-run", "too many events"));
                break;
            }
        }
        self.stats.sim_ms = self.now;
    }

    pub(crate) fn violate(&mut self, v: Violation) {
        let now = self.now;
        self.trace
            .event(now, crate::trace::Target::World, 99, 0, || {
                format!("VIOLATION {v}")
            });
        self.violations.push((now, v));
    }

    pub(crate) fn dispatch(&mut self, event: Event) {
        if let Some(s) = event.server() {
            if self.servers[s].paused {
                self.servers[s].deferred.push(event);
                return;
            }
        }
        match event {
            Event::Peer {
                to,
                to_inc,
                from,
                msg,
            } => self.on_peer(to, to_inc, from, msg),
            Event::Disconnect { server, inc, peer } => self.on_disconnect(server, inc, peer),
            Event::Tick { server, gen } => self.on_tick(server, gen),
            Event::DiskDone { server, inc } => self.on_disk_done(server, inc),
            Event::SnapshotDone {
                server,
                inc,
                zxid,
                bytes,
            } => {
                self.on_snapshot_done(server, inc, zxid, bytes);
            }
            Event::ToServer { server, conn, what } => self.on_to_server(server, conn, what),
            Event::ToClient { client, conn, msg } => self.on_to_client(client, conn, msg),
            Event::ClientWake { client } => self.on_client_wake(client),
            Event::Nemesis(fault) => self.on_fault(fault),
            Event::Restart { server, inc } => self.on_restart(server, inc),
            Event::Resume { server, inc } => self.on_resume(server, inc),
            Event::Heal => self.on_heal(),
            Event::Liveness => self.on_liveness(),
            Event::Quiet => self.workload.quiet = true,
            Event::Check => self.on_check(),
        }
    }

    /// The index of a server id.
    fn index_of(&self, id: ServerId) -> Option<usize> {
        self.servers.iter().position(|s| s.id == id)
    }
}
