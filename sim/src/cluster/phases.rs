//! The liveness phase: every fault is healed, crashed servers restart, paused ones resume;
//! clients keep working for a while and then stop issuing operations. Within the bound, a
//! leader must be established, every request answered, and every server converged (and equal
//! to a fresh recovery from its own disk).

use zoorepl_core::zab::Observation;

use super::server::Down;
use super::{Cluster, Event, Phase};
use crate::checker::{liveness, Violation};
use crate::history::Outcome;
use crate::trace::Target;

/// How long clients keep working once the cluster is healed, ms.
const HEALTHY_WORK_MS: u64 = 1000;
/// How often the end condition is checked, ms.
const CHECK_EVERY_MS: u64 = 50;

impl Cluster {
    pub(crate) fn on_liveness(&mut self) {
        self.phase = Phase::Liveness {
            deadline_ms: self.now + self.liveness_ms,
        };
        self.trace.event(self.now, Target::World, 60, 0, || {
            "liveness phase: heal everything".into()
        });
        self.net.calm();
        self.partitioned = false;
        self.faults.fsync_fail_ppm = 0;
        for s in 0..self.servers.len() {
            let inc = self.servers[s].incarnation;
            self.on_resume(s, inc);
            self.restart(s, false);
        }
        self.queue.push(self.now + HEALTHY_WORK_MS, Event::Quiet);
        self.queue.push(self.now + HEALTHY_WORK_MS, Event::Check);
    }

    fn live_observations(&self) -> Vec<Observation> {
        self.servers
            .iter()
            .filter_map(|s| s.node.as_ref().map(zoorepl_core::node::Node::observe))
            .collect()
    }

    fn all_runnable_up(&self) -> bool {
        self.servers
            .iter()
            .all(|s| s.up() || matches!(s.down, Some(Down::DiskFailed(_))))
    }

    pub(crate) fn on_check(&mut self) {
        let Phase::Liveness { deadline_ms } = self.phase else {
            return;
        };
        let live = self.live_observations();
        let settled = self.workload.quiet
            && self.all_runnable_up()
            && self.disks_idle()
            && self.workload.settled()
            && self.workload.history.pending() == 0
            && liveness::leader_established(&live)
            && liveness::converged(&live);
        if settled {
            self.final_checks();
            self.done = true;
            return;
        }
        if self.now >= deadline_ms {
            let detail = self.stuck_detail(&live);
            self.violate(Violation::new("liveness", detail));
            return;
        }
        self.queue.push(self.now + CHECK_EVERY_MS, Event::Check);
    }

    fn stuck_detail(&self, live: &[Observation]) -> String {
        let pending = self.workload.history.pending();
        let views: Vec<String> = live
            .iter()
            .map(|o| {
                format!(
                    "{:?} {:?} applied {} digest {:#x}",
                    o.id, o.role, o.last_applied, o.digest
                )
            })
            .collect();
        format!(
            "not settled {} ms after healing: all up {}, disks idle {}, clients settled {}, \
             {pending} ops pending, leader {}, converged {}; servers [{}]; clients [{}]",
            self.liveness_ms,
            self.all_runnable_up(),
            self.disks_idle(),
            self.workload.settled(),
            liveness::leader_established(live),
            liveness::converged(live),
            views.join("; "),
            self.workload.unsettled()
        )
    }

    fn final_checks(&mut self) {
        let mut found = Vec::new();
        for (s, server) in self.servers.iter().enumerate() {
            if let Some(node) = &server.node {
                found.extend(liveness::matches_own_disk(
                    s,
                    node,
                    &server.disk,
                    server.config.clone(),
                ));
            }
        }
        found.extend(
            self.workload
                .violations
                .drain(..)
                .map(|v| Violation::new("client-promises", v)),
        );
        for v in found {
            self.violate(v);
        }
    }

    /// Fills the operation counters from the history.
    pub(crate) fn count_ops(&mut self) {
        let h = &self.workload.history;
        self.stats.ops = h.ops.len() as u64;
        for op in &h.ops {
            match op.outcome {
                Outcome::Ok(_) => self.stats.ops_ok += 1,
                Outcome::Fail(_) => self.stats.ops_fail += 1,
                Outcome::Info | Outcome::Pending => self.stats.ops_info += 1,
            }
        }
        self.stats.watch_events = h.watches.len() as u64;
    }
}
