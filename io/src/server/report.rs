//! Builds the [`ServerSnapshot`] that four-letter words and the metrics endpoint render, from the
//! node (read-only getters) and the shell's own counters.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

use zoorepl_core::ids::{ConnId, SessionId, Zxid};
use zoorepl_core::node::Node;
use zoorepl_core::zab::{MemberKind, Role};

use super::node_task::ConnEntry;
use super::{ServerOptions, ServerStats};
use crate::fourlw::{
    dir_size_bytes, file_descriptor_counts, process_environment, ConnectionInfo, FourLetter,
    LearnerReport, QuorumReport, ServerMode, ServerSnapshot, SessionDetails, SessionExpiry,
    WatchSummary,
};

/// The costly parts of a snapshot that a command reads (see [`ServerSnapshot`]'s doc); the
/// snapshot is built on the node task, so a health check must not pay for a `dump`.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Need {
    /// Every connection with its session.
    connections: bool,
    /// Every session's expiry and every session's ephemerals.
    sessions: bool,
    /// Watch counts (a pass over every watch).
    watch_counts: bool,
    /// Watches listed by session and by path.
    watch_lists: bool,
    /// The process environment.
    environment: bool,
    /// Directory sizes and descriptor counts (file system and `/proc` reads).
    host: bool,
}

impl Need {
    /// What the metrics text reads.
    pub(super) const METRICS: Self = Self {
        connections: false,
        sessions: false,
        watch_counts: true,
        watch_lists: false,
        environment: false,
        host: true,
    };

    /// What a four-letter word reads.
    pub(super) fn of(cmd: FourLetter) -> Self {
        let mut need = Self::default();
        match cmd {
            FourLetter::Stat | FourLetter::Cons => need.connections = true,
            FourLetter::Dump => {
                need.connections = true;
                need.sessions = true;
            }
            FourLetter::Wchc | FourLetter::Wchp => need.watch_lists = true,
            FourLetter::Envi => need.environment = true,
            FourLetter::Wchs => need.watch_counts = true,
            FourLetter::Mntr => {
                need.watch_counts = true;
                need.host = true;
            }
            FourLetter::Conf | FourLetter::Dirs => need.host = true,
            _ => {}
        }
        need
    }
}

pub(super) fn snapshot(
    node: &Node,
    stats: &ServerStats,
    options: &ServerOptions,
    conns: &BTreeMap<ConnId, ConnEntry>,
    need: Need,
) -> ServerSnapshot {
    let seen = node.observe();
    let mode = match seen.role {
        Role::Leading => ServerMode::Leader,
        Role::Following => ServerMode::Follower,
        Role::Observing => ServerMode::Observer,
        Role::Looking | Role::Standalone => ServerMode::Standalone,
    };
    let mut s = ServerSnapshot {
        version: crate::fourlw::VERSION.to_owned(),
        serving: seen.serving,
        mode,
        latency: (&stats.latency).into(),
        packets_received: stats.packets_received,
        packets_sent: stats.packets_sent,
        num_alive_connections: conns.len() as u64,
        outstanding_requests: conns.values().map(|c| c.arrivals.len() as u64).sum(),
        last_zxid: node.last_applied(),
        node_count: node.tree().node_count() as u64,
        ephemerals_count: node.tree().ephemeral_count() as u64,
        global_sessions: node.sessions().len() as u64,
        local_sessions: 0,
        conf: options.conf.clone(),
        uptime_ms: super::stats::millis(stats.started.elapsed()),
        approximate_data_size: u64::try_from(node.tree().approximate_data_size()).unwrap_or(0),
        client_response_size: stats.response_size,
        counters: stats.counters(),
        summaries: stats.summaries(),
        auth_failed_count: 0,
        trace_mask: 0,
        digests: vec![(node.last_applied(), node.tree().digest() as i64)],
        ..ServerSnapshot::default()
    };
    s.quorum = quorum_report(node);
    add_details(&mut s, node, options, conns, need);
    s
}

/// An ensemble member's protocol state for `mntr` and metrics.
fn quorum_report(node: &Node) -> Option<QuorumReport> {
    let zab = node.protocol()?;
    let seen = node.observe();
    let phase = if seen.serving {
        "broadcast"
    } else {
        "synchronization"
    };
    let peer_state = match seen.role {
        Role::Leading => format!("leading - {phase}"),
        Role::Following => format!("following - {phase}"),
        Role::Observing => format!("observing - {phase}"),
        Role::Looking | Role::Standalone => "looking".to_owned(),
    };
    let learners = zab
        .learners()
        .into_iter()
        .map(|l| LearnerReport {
            id: l.id.0,
            kind: match l.kind {
                MemberKind::Participant => "participant",
                MemberKind::Observer => "observer",
                MemberKind::Publisher => "publisher",
            },
            synced: l.synced,
            lag: l.lag,
        })
        .collect();
    Some(QuorumReport {
        server_id: seen.id.0,
        peer_state,
        quorum_size: zab.quorum_size(),
        accepted_epoch: seen.accepted_epoch,
        current_epoch: seen.current_epoch,
        last_logged: seen.last_logged,
        committed: seen.committed,
        pending_proposals: zab.pending_proposals() as u64,
        learners,
    })
}

/// Fills the parts of the snapshot that cost a pass over connections, sessions or watches, or a
/// read of the file system, only when the command reads them.
fn add_details(
    s: &mut ServerSnapshot,
    node: &Node,
    options: &ServerOptions,
    conns: &BTreeMap<ConnId, ConnEntry>,
    need: Need,
) {
    if need.connections {
        s.connections = conns
            .iter()
            .map(|(id, c)| connection_info(node, *id, c))
            .collect();
    }
    if need.sessions {
        s.sessions = session_expiries(node);
        s.ephemerals = ephemerals(node);
    }
    if need.watch_counts {
        let (watching, paths, total) = node.watches().summary();
        s.watch_count = total as u64;
        s.data_watches = WatchSummary {
            connections: watching as u64,
            paths: paths as u64,
            total: total as u64,
        };
    }
    if need.watch_lists {
        s.watches_by_session = watches_by_session(node, conns);
        s.watches_by_path = watches_by_path(node);
    }
    if need.environment {
        s.environment = process_environment();
    }
    if need.host {
        (s.open_file_descriptors, s.max_file_descriptors) = file_descriptor_counts();
        s.data_dir_size = dir_size_bytes(std::path::Path::new(&options.conf.data_dir));
        s.log_dir_size = dir_size_bytes(std::path::Path::new(&options.conf.data_log_dir));
    }
}

/// Java's server holds the connection a four-letter word came on like any other until it has
/// answered: `srvr`, `stat` and `mntr` count it, and `stat` and `cons` list it as a connection
/// that has received one packet and sent none (Java prints interest ops 0 for it).
pub(super) fn add_asking_connection(s: &mut ServerSnapshot, cmd: FourLetter, peer: SocketAddr) {
    s.num_alive_connections += 1;
    if matches!(cmd, FourLetter::Stat | FourLetter::Cons) {
        s.connections.push(ConnectionInfo {
            remote: peer,
            interest_ops: 0,
            queued: 0,
            received: 1,
            sent: 0,
            session: None,
            expires_at_ms: 0,
        });
    }
}

fn session_expiries(node: &Node) -> Vec<SessionExpiry> {
    node.sessions()
        .iter()
        .map(|(session_id, s)| SessionExpiry {
            session_id,
            expires_at_ms: i64::try_from(s.expires_at.as_millis()).unwrap_or(i64::MAX),
        })
        .collect()
}

fn connection_info(node: &Node, id: ConnId, c: &ConnEntry) -> ConnectionInfo {
    let live = node
        .session_of(id)
        .and_then(|sid| Some((sid, node.sessions().get(sid)?)));
    let st = &c.stats;
    let session = live.map(|(sid, s)| SessionDetails {
        session_id: sid,
        last_op: st.last_op.into(),
        established_ms: c.established_ms,
        timeout_ms: s.timeout_ms,
        last_cxid: st.last_cxid,
        last_zxid: Zxid::from_i64(st.last_zxid),
        last_response_ms: st.last_response_ms,
        last_latency_ms: st.last_latency_ms,
        min_latency_ms: st.latency.min,
        avg_latency_ms: st.avg_latency_ms(),
        max_latency_ms: st.latency.max,
    });
    let expires_at_ms = live.map_or(0, |(_, s)| {
        i64::try_from(s.expires_at.as_millis()).unwrap_or(i64::MAX)
    });
    ConnectionInfo {
        remote: c.peer,
        interest_ops: 1,
        queued: c.arrivals.len() as u64,
        received: c.received,
        sent: c.sent,
        session,
        expires_at_ms,
    }
}

fn watches_by_session(
    node: &Node,
    conns: &BTreeMap<ConnId, ConnEntry>,
) -> Vec<(SessionId, Vec<String>)> {
    let mut out: BTreeMap<SessionId, Vec<String>> = BTreeMap::new();
    for id in conns.keys() {
        let Some(sid) = node.session_of(*id) else {
            continue;
        };
        let paths = out.entry(sid).or_default();
        paths.extend(node.watches().watches_of(*id).map(|(_, p)| p.clone()));
    }
    out.into_iter()
        .filter(|(_, p)| !p.is_empty())
        .map(|(sid, mut paths)| {
            paths.sort();
            paths.dedup();
            (sid, paths)
        })
        .collect()
}

fn watches_by_path(node: &Node) -> Vec<(String, Vec<SessionId>)> {
    // Sessions in first-seen order per path; the set only answers "seen already?".
    let mut out: BTreeMap<String, (Vec<SessionId>, BTreeSet<SessionId>)> = BTreeMap::new();
    for (path, conn) in node.watches().paths() {
        if let Some(sid) = node.session_of(*conn) {
            let (sessions, seen) = out.entry(path.to_owned()).or_default();
            if seen.insert(sid) {
                sessions.push(sid);
            }
        }
    }
    out.into_iter()
        .map(|(p, (sessions, _))| (p, sessions))
        .collect()
}

fn ephemerals(node: &Node) -> Vec<(SessionId, Vec<String>)> {
    let mut out: BTreeMap<SessionId, Vec<String>> = BTreeMap::new();
    for (sid, path) in node.tree().all_ephemerals() {
        out.entry(sid).or_default().push(path.to_owned());
    }
    out.into_iter().collect()
}
