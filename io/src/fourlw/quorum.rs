//! An ensemble member's protocol state as `mntr` and the metrics endpoint show it: its peer
//! state and epochs, and for a leader its learners, their lag and the proposals in flight.

use std::fmt::Write as _;

use zoorepl_core::ids::Zxid;

/// What an ensemble member reports of the protocol (absent on a standalone server).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QuorumReport {
    /// `myid`.
    pub server_id: u64,
    /// Java's `zk_peer_state` words: `leading - broadcast`, `following - broadcast`,
    /// `observing - broadcast`, `looking`, or `... - synchronization` while not yet serving.
    pub peer_state: String,
    /// Voters needed for a quorum.
    pub quorum_size: usize,
    /// The newest epoch accepted (durable).
    pub accepted_epoch: u32,
    /// The epoch of the leader last synced with (durable).
    pub current_epoch: u32,
    /// The last txn in this server's log.
    pub last_logged: Zxid,
    /// The last txn known committed.
    pub committed: Zxid,
    /// Proposals logged but not committed (a leader's pipeline).
    pub pending_proposals: u64,
    /// A leader's learners (empty on others).
    pub learners: Vec<LearnerReport>,
}

/// One learner as its leader sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LearnerReport {
    /// Its id.
    pub id: u64,
    /// `participant`, `observer` or `publisher`.
    pub kind: &'static str,
    /// Synced and serving.
    pub synced: bool,
    /// Proposals it has not acknowledged (voters only).
    pub lag: Option<u64>,
}

impl QuorumReport {
    fn synced(&self, kind: &str) -> usize {
        self.learners
            .iter()
            .filter(|l| l.synced && l.kind == kind)
            .count()
    }

    fn leading(&self) -> bool {
        self.peer_state.starts_with("leading")
    }
}

/// The `mntr` lines of an ensemble member, after the common ones.
pub(super) fn mntr_lines(q: &QuorumReport, out: &mut String) {
    let mut line = |key: &str, value: &dyn std::fmt::Display| {
        writeln!(out, "zk_{key}\t{value}").expect("write to String");
    };
    line("peer_state", &q.peer_state);
    line("quorum_size", &q.quorum_size);
    line("accepted_epoch", &q.accepted_epoch);
    line("current_epoch", &q.current_epoch);
    line(
        "last_logged_zxid",
        &format!("0x{:x}", q.last_logged.as_i64()),
    );
    line("committed_zxid", &format!("0x{:x}", q.committed.as_i64()));
    if !q.leading() {
        return;
    }
    line("learners", &q.learners.len());
    line("synced_followers", &q.synced("participant"));
    line("synced_non_voting_followers", &0);
    line("synced_observers", &q.synced("observer"));
    line(
        "pending_syncs",
        &q.learners.iter().filter(|l| !l.synced).count(),
    );
    line("pending_proposals", &q.pending_proposals);
    for l in &q.learners {
        if let Some(lag) = l.lag {
            line(&format!("learner_lag_sid_{}", l.id), &lag);
        }
    }
}

/// The metrics families of an ensemble member, in the exposition text format.
pub(super) fn metric_lines(q: &QuorumReport, out: &mut String) {
    let mut family = |name: &str, help: &str, samples: &[(String, u64)]| {
        writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge").expect("write to String");
        for (labels, value) in samples {
            writeln!(out, "{name}{labels} {value}").expect("write to String");
        }
    };
    let plain = |v: u64| vec![(String::new(), v)];
    family(
        "quorum_size",
        "Voters needed for a quorum.",
        &plain(q.quorum_size as u64),
    );
    family(
        "current_epoch",
        "The epoch of the leader this server last synced with.",
        &plain(u64::from(q.current_epoch)),
    );
    family(
        "leader",
        "1 on the leader, 0 on other members.",
        &plain(u64::from(q.leading())),
    );
    if !q.leading() {
        return;
    }
    family(
        "pending_proposals",
        "Proposals logged by the leader and not yet committed.",
        &plain(q.pending_proposals),
    );
    family(
        "synced_followers",
        "Voting followers synced with the leader.",
        &plain(q.synced("participant") as u64),
    );
    family(
        "synced_observers",
        "Observers synced with the leader.",
        &plain(q.synced("observer") as u64),
    );
    let lags: Vec<(String, u64)> = q
        .learners
        .iter()
        .filter_map(|l| l.lag.map(|lag| (format!("{{sid=\"{}\"}}", l.id), lag)))
        .collect();
    family(
        "learner_lag",
        "Proposals a voting learner has not acknowledged.",
        &lags,
    );
}
