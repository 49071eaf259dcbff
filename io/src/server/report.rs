//! Builds the [`ServerSnapshot`] that four-letter words and the metrics endpoint render, from the
//! node (read-only getters) and the shell's own counters.

use std::collections::BTreeMap;

use zoorepl_core::ids::{ConnId, SessionId};
use zoorepl_core::node::Node;

use super::node_task::ConnEntry;
use super::{ServerOptions, ServerStats};
use crate::fourlw::{
    dir_size_bytes, file_descriptor_counts, process_environment, ConnectionInfo, Latency,
    ServerMode, ServerSnapshot, SessionDetails, SessionExpiry, WatchSummary,
};

pub(super) fn snapshot(
    node: &Node,
    stats: &ServerStats,
    options: &ServerOptions,
    conns: &BTreeMap<ConnId, ConnEntry>,
) -> ServerSnapshot {
    let sessions = node.sessions();
    let watches = node.watches();
    let (watching, paths, total) = watches.summary();
    let connections = conns
        .iter()
        .map(|(id, c)| connection_info(node, *id, c))
        .collect();
    let (open_fds, max_fds) = file_descriptor_counts();
    ServerSnapshot {
        version: crate::fourlw::VERSION.to_owned(),
        serving: true,
        mode: ServerMode::Standalone,
        latency: Latency {
            min_ms: stats.latency_min_ms,
            max_ms: stats.latency_max_ms,
            total_ms: stats.latency_sum_ms,
            count: stats.latency_count,
        },
        packets_received: stats.packets_received,
        packets_sent: stats.packets_sent,
        num_alive_connections: conns.len() as u64,
        connections,
        outstanding_requests: conns.values().map(|c| c.arrivals.len() as u64).sum(),
        last_zxid: node.last_applied(),
        node_count: node.tree().node_count() as u64,
        watch_count: total as u64,
        data_watches: WatchSummary {
            connections: watching as u64,
            paths: paths as u64,
            total: total as u64,
        },
        watches_by_session: watches_by_session(node, conns),
        watches_by_path: watches_by_path(node),
        ephemerals: ephemerals(node),
        ephemerals_count: node.tree().ephemeral_count() as u64,
        sessions: sessions
            .iter()
            .map(|(session_id, s)| SessionExpiry {
                session_id,
                expires_at_ms: i64::try_from(s.expires_at.as_millis()).unwrap_or(i64::MAX),
            })
            .collect(),
        global_sessions: sessions.len() as u64,
        local_sessions: 0,
        conf: options.conf.clone(),
        environment: process_environment(),
        uptime_ms: u64::try_from(stats.started.elapsed().as_millis()).unwrap_or(u64::MAX),
        approximate_data_size: u64::try_from(node.tree().approximate_data_size()).unwrap_or(0),
        open_file_descriptors: open_fds,
        max_file_descriptors: max_fds,
        data_dir_size: dir_size_bytes(std::path::Path::new(&options.conf.data_dir)),
        log_dir_size: dir_size_bytes(std::path::Path::new(&options.conf.data_log_dir)),
        client_response_size: (-1, -1, -1),
        auth_failed_count: 0,
        trace_mask: 0,
        digests: vec![(node.last_applied(), node.tree().digest() as i64)],
    }
}

fn connection_info(node: &Node, id: ConnId, c: &ConnEntry) -> ConnectionInfo {
    let session = node.session_of(id).and_then(|sid| {
        let s = node.sessions().get(sid)?;
        Some(SessionDetails {
            session_id: sid,
            last_op: "NA".into(),
            timeout_ms: s.timeout_ms,
            last_zxid: node.last_applied(),
            ..SessionDetails::default()
        })
    });
    let expires_at_ms = node
        .session_of(id)
        .and_then(|sid| node.sessions().get(sid))
        .map_or(0, |s| {
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
        paths.sort();
        paths.dedup();
    }
    out.into_iter().filter(|(_, p)| !p.is_empty()).collect()
}

fn watches_by_path(node: &Node) -> Vec<(String, Vec<SessionId>)> {
    let mut out: BTreeMap<String, Vec<SessionId>> = BTreeMap::new();
    for (path, conn) in node.watches().paths() {
        if let Some(sid) = node.session_of(*conn) {
            let sessions = out.entry(path.to_owned()).or_default();
            if !sessions.contains(&sid) {
                sessions.push(sid);
            }
        }
    }
    out.into_iter().collect()
}

fn ephemerals(node: &Node) -> Vec<(SessionId, Vec<String>)> {
    let mut out: BTreeMap<SessionId, Vec<String>> = BTreeMap::new();
    for (sid, path) in node.tree().all_ephemerals() {
        out.entry(sid).or_default().push(path.to_owned());
    }
    out.into_iter().collect()
}
