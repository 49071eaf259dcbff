//! The text of each four-letter word, following Java 3.8's command classes line by line.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::javafmt::{java_date_utc, java_double, java_socket_addr};
use super::snapshot::{ConnectionInfo, ServerMode, ServerSnapshot};
use super::{metrics, FourLetter};

/// Java's `AbstractFourLetterCommand.ZK_NOT_SERVING`.
pub const NOT_SERVING: &str = "This ZooKeeper instance is not currently serving requests";

/// `write!` into a `String` cannot fail.
macro_rules! out {
    ($dst:expr, $($arg:tt)*) => {
        write!($dst, $($arg)*).expect("write to String")
    };
}

/// The reply to `cmd`, byte for byte as Java 3.8 writes it (the caller has checked the
/// whitelist). The server closes the connection after writing it. `crst` and `srst` only print
/// the confirmation: the shell resets the statistics itself. `stmk` prints `s.trace_mask`, which
/// the shell sets from the 8 bytes after the command. The telnet close bytes get no reply.
#[must_use]
pub fn render(cmd: FourLetter, s: &ServerSnapshot) -> String {
    match cmd {
        FourLetter::Ruok => return "imok".into(),
        FourLetter::Envi => return envi(s),
        FourLetter::Gtmk | FourLetter::Stmk => return s.trace_mask.to_string(),
        FourLetter::TelnetClose => return String::new(),
        FourLetter::Isro if !s.serving => return "null".into(),
        FourLetter::Hash if !s.serving => return NOT_SERVING.into(),
        _ if !s.serving => return format!("{NOT_SERVING}\n"),
        _ => {}
    }
    match cmd {
        FourLetter::Srvr => stat(s, false),
        FourLetter::Stat => stat(s, true),
        FourLetter::Cons => cons(s),
        FourLetter::Conf => conf(s),
        FourLetter::Dirs => format!(
            "datadir_size: {}\nlogdir_size: {}\n",
            s.data_dir_size, s.log_dir_size
        ),
        FourLetter::Dump => dump(s),
        FourLetter::Wchs => wchs(s),
        FourLetter::Wchc => wchc(s),
        FourLetter::Wchp => wchp(s),
        FourLetter::Mntr => metrics::mntr(s),
        FourLetter::Isro => if s.mode == ServerMode::ReadOnly {
            "ro"
        } else {
            "rw"
        }
        .into(),
        FourLetter::Hash => s
            .digests
            .iter()
            .map(|(zxid, digest)| format!("{:x}: {digest}\n", zxid.as_i64()))
            .collect(),
        FourLetter::Crst => "Connection stats reset.\n".into(),
        FourLetter::Srst => "Server stats reset.\n".into(),
        FourLetter::Ruok
        | FourLetter::Envi
        | FourLetter::Gtmk
        | FourLetter::Stmk
        | FourLetter::TelnetClose => unreachable!("answered above"),
    }
}

/// `srvr` and `stat` (Java's `StatCommand` and `ServerStats.toString`).
fn stat(s: &ServerSnapshot, with_clients: bool) -> String {
    let mut out = format!("Zookeeper version: {}\n", s.version);
    if s.mode == ServerMode::ReadOnly {
        out.push_str("READ-ONLY mode; serving only read-only clients\n");
    }
    if with_clients {
        out.push_str("Clients:\n");
        for c in &s.connections {
            connection_line(&mut out, c, true);
            out.push('\n');
        }
        out.push('\n');
    }
    out!(
        out,
        "Latency min/avg/max: {}/{}/{}\n",
        s.latency.min_ms,
        java_double(s.latency.avg_ms()),
        s.latency.max_ms
    );
    out!(out, "Received: {}\n", s.packets_received);
    out!(out, "Sent: {}\n", s.packets_sent);
    out!(out, "Connections: {}\n", s.num_alive_connections);
    out!(out, "Outstanding: {}\n", s.outstanding_requests);
    out!(out, "Zxid: {}\n", s.last_zxid);
    out!(out, "Mode: {}\n", s.mode.as_str());
    out!(out, "Node count: {}\n", s.node_count);
    out
}

/// One connection as `ServerCnxn.dumpConnectionInfo` prints it (no newline).
fn connection_line(out: &mut String, c: &ConnectionInfo, brief: bool) {
    out!(
        out,
        " {}[{:x}](queued={},recved={},sent={}",
        java_socket_addr(&c.remote),
        c.interest_ops,
        c.queued,
        c.received,
        c.sent
    );
    if let (false, Some(d)) = (brief, &c.session) {
        if d.session_id.0 != 0 {
            out!(
                out,
                ",sid={},lop={},est={},to={}",
                d.session_id,
                d.last_op,
                d.established_ms,
                d.timeout_ms
            );
            if d.last_cxid >= 0 {
                out!(out, ",lcxid=0x{:x}", d.last_cxid);
            }
            out!(
                out,
                ",lzxid={},lresp={},llat={},minlat={},avglat={},maxlat={}",
                d.last_zxid,
                d.last_response_ms,
                d.last_latency_ms,
                d.min_latency_ms,
                d.avg_latency_ms,
                d.max_latency_ms
            );
        }
    }
    out.push(')');
}

fn cons(s: &ServerSnapshot) -> String {
    let mut out = String::new();
    for c in &s.connections {
        connection_line(&mut out, c, false);
        out.push('\n');
    }
    out.push('\n');
    out
}

/// `ZooKeeperServer.dumpConf`, standalone part.
fn conf(s: &ServerSnapshot) -> String {
    let c = &s.conf;
    let mut out = String::new();
    out!(out, "clientPort={}\n", c.client_port);
    out!(out, "secureClientPort={}\n", c.secure_client_port);
    out!(out, "dataDir={}\n", c.data_dir);
    out!(out, "dataDirSize={}\n", s.data_dir_size);
    out!(out, "dataLogDir={}\n", c.data_log_dir);
    out!(out, "dataLogSize={}\n", s.log_dir_size);
    out!(out, "tickTime={}\n", c.tick_ms);
    out!(out, "maxClientCnxns={}\n", c.max_client_cnxns);
    out!(out, "minSessionTimeout={}\n", c.min_session_timeout_ms);
    out!(out, "maxSessionTimeout={}\n", c.max_session_timeout_ms);
    out!(
        out,
        "clientPortListenBacklog={}\n",
        c.client_port_listen_backlog
    );
    out!(out, "serverId={}\n", c.server_id.0);
    out
}

fn envi(s: &ServerSnapshot) -> String {
    let mut out = String::from("Environment:\n");
    for (key, value) in &s.environment {
        out!(out, "{key}={value}\n");
    }
    out
}

/// Java's `ExpiryQueue.dump`: groups by expiry time, ascending; `Sets (groups)/(elements):`.
fn expiry_sets(out: &mut String, entries: impl Iterator<Item = (i64, String)>) {
    let mut groups: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    let mut total = 0usize;
    for (at, text) in entries {
        groups.entry(at).or_default().push(text);
        total += 1;
    }
    out!(out, "Sets ({})/({total}):\n", groups.len());
    for (at, items) in &groups {
        out!(out, "{} expire at {}:\n", items.len(), java_date_utc(*at));
        for item in items {
            out!(out, "\t{item}\n");
        }
    }
}

/// `DumpCommand`: session expiry, ephemerals, connection expiry (times printed in UTC).
fn dump(s: &ServerSnapshot) -> String {
    let mut out = String::from("SessionTracker dump:\nSession ");
    let sessions = s
        .sessions
        .iter()
        .map(|e| (e.expires_at_ms, e.session_id.to_string()));
    expiry_sets(&mut out, sessions);
    out.push_str("ephemeral nodes dump:\n");
    out!(out, "Sessions with Ephemerals ({}):\n", s.ephemerals.len());
    for (session, paths) in &s.ephemerals {
        out!(out, "{session}:\n");
        for path in paths {
            out!(out, "\t{path}\n");
        }
    }
    out.push_str("Connections dump:\nConnections ");
    let connections = s.connections.iter().map(|c| {
        let sid = c.session.as_ref().map(|d| d.session_id).unwrap_or_default();
        let text = format!("ip: {} sessionId: {sid}", java_socket_addr(&c.remote));
        (c.expires_at_ms, text)
    });
    expiry_sets(&mut out, connections);
    out
}

/// `WatchManager.toString` plus the command's final newline. Counts data watches only, as Java.
fn wchs(s: &ServerSnapshot) -> String {
    let w = &s.data_watches;
    format!(
        "{} connections watching {} paths\nTotal watches:{}\n",
        w.connections, w.paths, w.total
    )
}

fn wchc(s: &ServerSnapshot) -> String {
    let mut out = String::new();
    for (session, paths) in &s.watches_by_session {
        out!(out, "{session}\n");
        for path in paths {
            out!(out, "\t{path}\n");
        }
    }
    out.push('\n');
    out
}

fn wchp(s: &ServerSnapshot) -> String {
    let mut out = String::new();
    for (path, sessions) in &s.watches_by_path {
        out!(out, "{path}\n");
        for session in sessions {
            out!(out, "\t{session}\n");
        }
    }
    out.push('\n');
    out
}
