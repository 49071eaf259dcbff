//! The nemesis of the safety phase: each enabled fault kind fires at random intervals around
//! its mean (drawn per seed), on a random target.

use zoorepl_core::node::Node;

use super::server::Down;
use super::{Cluster, Event, Phase};
use crate::checker::Violation;
use crate::disk::CrashFate;
use crate::network::Endpoint;
use crate::trace::Target;
use crate::workload::ServerMsg;

/// A kind of fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    Crash,
    Pause,
    Partition,
    Clog,
    ClockJump,
    ConnDrop,
}

const ALL: [Fault; 6] = [
    Fault::Crash,
    Fault::Pause,
    Fault::Partition,
    Fault::Clog,
    Fault::ClockJump,
    Fault::ConnDrop,
];

impl Cluster {
    fn every_ms(&self, f: Fault) -> u64 {
        let multi = self.servers.len() > 1;
        match f {
            Fault::Crash => self.faults.crash_every_ms,
            Fault::Pause => self.faults.pause_every_ms,
            Fault::Partition if multi => self.faults.partition_every_ms,
            Fault::Clog if multi => self.faults.clog_every_ms,
            Fault::Partition | Fault::Clog => 0,
            Fault::ClockJump => self.faults.jump_every_ms,
            Fault::ConnDrop => self.faults.conn_drop_every_ms,
        }
    }

    pub(crate) fn schedule_faults(&mut self) {
        for f in ALL {
            self.schedule_fault(f);
        }
    }

    fn schedule_fault(&mut self, f: Fault) {
        let every = self.every_ms(f);
        if every == 0 {
            return;
        }
        let at = self.now + self.rng_faults.range(every / 2, every * 3 / 2).max(1);
        if at < self.safety_ms {
            self.queue.push(at, Event::Nemesis(f));
        }
    }

    fn world(&mut self, kind: u64, summary: u64, text: impl FnOnce() -> String) {
        self.trace
            .event(self.now, Target::World, kind, summary, text);
    }

    pub(crate) fn on_fault(&mut self, f: Fault) {
        if self.phase != Phase::Safety {
            return;
        }
        let up: Vec<usize> = (0..self.servers.len())
            .filter(|s| self.servers[*s].up())
            .collect();
        let n = self.servers.len();
        match f {
            Fault::Crash if !up.is_empty() => {
                let s = *self.rng_faults.pick(&up);
                self.crash(s, "nemesis");
            }
            Fault::Pause if !up.is_empty() => {
                let s = *self.rng_faults.pick(&up);
                if !self.servers[s].paused {
                    self.pause(s);
                }
            }
            Fault::Partition if !self.partitioned => {
                let how = self.net.partition(n, &mut self.rng_faults);
                self.partitioned = true;
                self.stats.partitions += 1;
                self.world(31, n as u64, || format!("partition {how:?}"));
                let d = self
                    .rng_faults
                    .range(1, self.faults.partition_ms_max.max(1));
                self.queue.push(self.now + d, Event::Heal);
            }
            Fault::Clog => {
                let (a, b) = (self.rng_faults.below(n), self.rng_faults.below(n));
                let until = self.now + self.rng_faults.range(1, self.faults.clog_ms_max.max(1));
                self.net.clog(a, b, until);
                self.stats.clogs += 1;
                self.world(32, (a * n + b) as u64, || {
                    format!("clog {a}->{b} until {until}")
                });
            }
            Fault::ClockJump => {
                let s = self.rng_faults.below(n);
                let ms = self.rng_faults.range(1, self.faults.jump_ms_max.max(1));
                self.servers[s].clock.jump(ms);
                self.stats.clock_jumps += 1;
                self.world(33, ms, || format!("clock of server {s} jumps {ms} ms"));
                self.reschedule_timer(s);
            }
            Fault::ConnDrop if !self.workload.is_empty() => {
                let c = self.rng_faults.below(self.workload.len());
                let actions = self.workload.drop_conn(self.now, c, &mut self.rng_clients);
                self.stats.conn_drops += u64::from(!actions.is_empty());
                self.world(34, c as u64, || format!("client {c} drops its connection"));
                self.apply_client_actions(c, actions);
            }
            _ => {}
        }
        self.schedule_fault(f);
    }

    pub(crate) fn on_heal(&mut self) {
        self.net.heal();
        self.partitioned = false;
        self.world(35, 0, || "partition healed".into());
    }

    fn pause(&mut self, s: usize) {
        let server = &mut self.servers[s];
        server.paused = true;
        let inc = server.incarnation;
        self.stats.pauses += 1;
        let d = self.rng_faults.range(1, self.faults.pause_ms_max.max(1));
        self.world(36, s as u64, || format!("server {s} paused for {d} ms"));
        self.queue
            .push(self.now + d, Event::Resume { server: s, inc });
    }

    pub(crate) fn on_resume(&mut self, s: usize, inc: u32) {
        let server = &mut self.servers[s];
        if server.incarnation != inc || !server.paused {
            return;
        }
        server.paused = false;
        let deferred = std::mem::take(&mut server.deferred);
        self.world(37, s as u64, || format!("server {s} resumed"));
        // Handled right here, in arrival order: re-queued, they would run after events that
        // arrive at this same millisecond and break the FIFO order of their links.
        for event in deferred {
            self.dispatch(event);
        }
        self.reschedule_timer(s);
    }

    fn crash_fate(&mut self) -> CrashFate {
        let (lost, kept, torn) = self.faults.unsynced_fate;
        let r = u32::try_from(self.rng_disk.range(0, u64::from(lost + kept + torn - 1)))
            .expect("small");
        if r < lost {
            CrashFate::Lost
        } else if r < lost + kept {
            CrashFate::Kept
        } else {
            CrashFate::Torn
        }
    }

    /// Kills server `s`: its node, disk queue and connections are gone; unsynced log records
    /// meet their fate. In the safety phase it restarts after a random downtime.
    pub(crate) fn crash(&mut self, s: usize, why: &str) {
        let fate = self.crash_fate();
        let server = &mut self.servers[s];
        server.node = None;
        server.down = Some(Down::Crashed);
        server.incarnation += 1;
        server.disk_queue.clear();
        server.disk_busy = None;
        server.snapshot_busy = false;
        server.timer_gen += 1;
        server.timer_at = None;
        server.paused = false;
        let deferred = std::mem::take(&mut server.deferred);
        let unsynced = server.disk.unsynced();
        let mut damaged = server.disk.crash(fate, &mut self.rng_disk);
        if self.planted == Some(crate::options::Planted::CrashLosesSynced) {
            damaged += usize::from(server.disk.drop_newest_record());
        }
        let inc = server.incarnation;
        let mut conns = std::mem::take(&mut server.conns);
        // Connections still waiting in a paused server's backlog are reset too.
        for event in deferred {
            if let Event::ToServer { conn, .. } = event {
                if let Some(&(client, _)) = self.conns.get(&conn) {
                    conns.insert(conn, client);
                }
            }
        }
        self.stats.crashes += 1;
        self.checkers.monotonic.on_crash(s);
        self.world(40, s as u64, || {
            format!("server {s} crashes ({why}); {unsynced} unsynced records {fate:?}, {damaged} lost or torn")
        });
        for (conn, client) in conns {
            let at = self.net.send_conn(
                self.now,
                Endpoint::Server(s),
                Endpoint::Conn(conn.0),
                &mut self.rng_net,
            );
            self.queue.push(
                at,
                Event::ToClient {
                    client,
                    conn,
                    msg: ServerMsg::Closed,
                },
            );
        }
        if self.phase == Phase::Safety {
            let d = self.rng_faults.range(1, self.faults.down_ms_max.max(1));
            self.queue
                .push(self.now + d, Event::Restart { server: s, inc });
        }
    }

    pub(crate) fn on_restart(&mut self, s: usize, inc: u32) {
        if self.servers[s].incarnation == inc {
            self.restart(s, self.phase == Phase::Safety);
        }
    }

    /// Most servers whose disk may fail for good: a minority of the voters, so that a quorum
    /// can still make progress (none for a standalone server).
    fn disk_failure_budget(&self) -> usize {
        let voters = self.servers.iter().filter(|s| s.voter).count();
        let failed = self
            .servers
            .iter()
            .filter(|s| matches!(s.down, Some(Down::DiskFailed(_))))
            .count();
        ((voters - 1) / 2).saturating_sub(failed)
    }

    /// Brings server `s` back from its disk, maybe after bit rot (`faulty`).
    pub(crate) fn restart(&mut self, s: usize, faulty: bool) {
        if self.servers[s].down != Some(Down::Crashed) {
            return;
        }
        let fatal_ok = self.disk_failure_budget() > 0;
        let mut corrupted = None;
        if faulty && self.rng_disk.chance(self.faults.read_corrupt_ppm) {
            corrupted = self.servers[s]
                .disk
                .corrupt_for_read(fatal_ok, &mut self.rng_disk);
            self.stats.read_corruptions += u64::from(corrupted.is_some());
        }
        let recovery = match self.servers[s].disk.recover() {
            Ok(r) => r,
            Err(e) if corrupted.is_some() && fatal_ok => {
                self.stats.disk_failures += 1;
                self.world(41, s as u64, || {
                    format!("server {s} refuses to start: {}", e.0)
                });
                self.servers[s].down = Some(Down::DiskFailed(e.0));
                return;
            }
            Err(e) => {
                let v = Violation::new(
                    "disk-recovers",
                    format!("server {s}: {} ({corrupted:?})", e.0),
                );
                self.violate(v);
                return;
            }
        };
        self.stats.restarts += 1;
        self.stats.torn_tails += u64::from(recovery.torn_cut);
        self.stats.snapshots_skipped += recovery.snapshots_skipped as u64;
        let r = recovery.recovered;
        let durable = r.log.last().map_or(r.tree.last_applied(), |t| t.zxid);
        if let Some(v) = self.checkers.monotonic.on_restart(s, durable) {
            self.violate(v);
        }
        self.checkers.ledger.reset(s, &recovery.logged);
        self.checkers.prefix.on_restart(s);
        let server = &mut self.servers[s];
        let now = server.clock.local(self.now);
        let seed = super::node_seed(self.seed, s, server.incarnation);
        server.node = Some(Node::recover(server.config.clone(), r, now, seed));
        server.down = None;
        self.world(42, s as u64, || {
            format!("server {s} restarts from its disk at {durable}")
        });
        // A restarted ensemble member starts an election in `recover`: route it now.
        self.drain_outputs(s);
    }
}
