//! `mntr` (Java's `MonitorCommand`) and the Prometheus text exposition of the same values.

use std::fmt::Write as _;

use super::javafmt::java_double;
use super::snapshot::ServerSnapshot;

/// A value in `mntr`: Java prints longs plainly and other numbers as `Double.toString`.
enum Value {
    Text(String),
    Int(i128),
    Double(f64),
}

/// The `mntr` entries zoorepl reports, in the order Java 3.8.0 printed them in the golden capture
/// (the order of Java's metric registry; keys we have no value for are left out).
fn mntr_values(s: &ServerSnapshot) -> Vec<(&'static str, Value)> {
    let (last_size, min_size, max_size) = s.client_response_size;
    vec![
        ("version", Value::Text(s.version.clone())),
        ("server_state", Value::Text(s.mode.as_str().to_owned())),
        ("ephemerals_count", Value::Int(s.ephemerals_count.into())),
        (
            "num_alive_connections",
            Value::Int(s.num_alive_connections.into()),
        ),
        ("avg_latency", Value::Double(s.latency.avg_ms())),
        (
            "outstanding_requests",
            Value::Int(s.outstanding_requests.into()),
        ),
        ("znode_count", Value::Int(s.node_count.into())),
        ("global_sessions", Value::Int(s.global_sessions.into())),
        ("last_client_response_size", Value::Int(last_size.into())),
        ("packets_sent", Value::Int(s.packets_sent.into())),
        ("packets_received", Value::Int(s.packets_received.into())),
        ("max_client_response_size", Value::Int(max_size.into())),
        ("connection_drop_probability", Value::Double(0.0)),
        ("watch_count", Value::Int(s.watch_count.into())),
        ("auth_failed_count", Value::Int(s.auth_failed_count.into())),
        ("min_latency", Value::Int(s.latency.min_ms.into())),
        (
            "max_file_descriptor_count",
            Value::Int(s.max_file_descriptors.into()),
        ),
        (
            "approximate_data_size",
            Value::Int(s.approximate_data_size.into()),
        ),
        (
            "open_file_descriptor_count",
            Value::Int(s.open_file_descriptors.into()),
        ),
        ("local_sessions", Value::Int(s.local_sessions.into())),
        ("uptime", Value::Int(s.uptime_ms.into())),
        ("max_latency", Value::Int(s.latency.max_ms.into())),
        ("min_client_response_size", Value::Int(min_size.into())),
    ]
}

/// `mntr`: one `zk_<key>\t<value>\n` line per entry.
pub(super) fn mntr(s: &ServerSnapshot) -> String {
    let mut out = String::new();
    for (key, value) in mntr_values(s) {
        let value = match value {
            Value::Text(text) => text,
            Value::Int(n) => n.to_string(),
            Value::Double(d) => java_double(d),
        };
        writeln!(out, "zk_{key}\t{value}").expect("write to String");
    }
    for (key, value) in &s.counters {
        writeln!(out, "zk_{key}\t{value}").expect("write to String");
    }
    for (name, summary) in &s.summaries {
        summary.mntr_lines(name, &mut out);
    }
    if let Some(q) = &s.quorum {
        super::quorum::mntr_lines(q, &mut out);
    }
    out
}

/// Builds exposition text: `# HELP` and `# TYPE` once per family, then its samples.
struct Exposition {
    out: String,
}

impl Exposition {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        writeln!(self.out, "# HELP {name} {help}").expect("write to String");
        writeln!(self.out, "# TYPE {name} {kind}").expect("write to String");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (key, raw)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                write!(self.out, "{key}=\"{}\"", escape_label(raw)).expect("write to String");
            }
            self.out.push('}');
        }
        writeln!(self.out, " {value}").expect("write to String");
    }

    fn single(&mut self, name: &str, kind: &str, help: &str, value: impl std::fmt::Display) {
        self.family(name, kind, help);
        self.sample(name, &[], value);
    }
}

/// Label values escape backslash, double quote and newline.
fn escape_label(raw: &str) -> String {
    raw.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The plain gauges: (name, help, value).
fn gauges(s: &ServerSnapshot) -> [(&'static str, &'static str, u64); 15] {
    [
        ("znode_count", "Znodes in the data tree.", s.node_count),
        ("watch_count", "Data and child watches.", s.watch_count),
        ("ephemerals_count", "Ephemeral znodes.", s.ephemerals_count),
        (
            "approximate_data_size",
            "Bytes of paths and data in the tree.",
            s.approximate_data_size,
        ),
        (
            "num_alive_connections",
            "Open client connections.",
            s.num_alive_connections,
        ),
        (
            "outstanding_requests",
            "Requests queued in the server.",
            s.outstanding_requests,
        ),
        ("global_sessions", "Global sessions.", s.global_sessions),
        ("local_sessions", "Local sessions.", s.local_sessions),
        (
            "open_file_descriptor_count",
            "Open file descriptors.",
            s.open_file_descriptors,
        ),
        (
            "max_file_descriptor_count",
            "File descriptor limit.",
            s.max_file_descriptors,
        ),
        (
            "uptime",
            "Milliseconds since the server started.",
            s.uptime_ms,
        ),
        (
            "min_latency",
            "Smallest request latency since the last reset, ms.",
            s.latency.min_ms,
        ),
        (
            "max_latency",
            "Largest request latency since the last reset, ms.",
            s.latency.max_ms,
        ),
        (
            "data_dir_size",
            "Bytes in the snapshot directory.",
            s.data_dir_size,
        ),
        (
            "log_dir_size",
            "Bytes in the transaction log directory.",
            s.log_dir_size,
        ),
    ]
}

/// The Prometheus text exposition format (version 0.0.4) of the server's values, named as Java's
/// Prometheus metrics provider names them (`znode_count`, `packets_received`, ...), served on
/// `metricsPort`.
#[must_use]
pub fn render_metrics(s: &ServerSnapshot) -> String {
    let mut e = Exposition { out: String::new() };
    e.family(
        "server_info",
        "gauge",
        "Version and mode of this server (always 1).",
    );
    e.sample(
        "server_info",
        &[("version", &s.version), ("state", s.mode.as_str())],
        1,
    );
    for (name, help, value) in gauges(s) {
        e.single(name, "gauge", help, value);
    }
    e.single(
        "avg_latency",
        "gauge",
        "Average request latency since the last reset, ms.",
        java_double(s.latency.avg_ms()),
    );
    e.single(
        "packets_received",
        "counter",
        "Packets received from clients.",
        s.packets_received,
    );
    e.single(
        "packets_sent",
        "counter",
        "Packets sent to clients.",
        s.packets_sent,
    );
    e.single(
        "auth_failed_count",
        "counter",
        "Failed authentications.",
        s.auth_failed_count,
    );
    e.family(
        "request_latency_ms",
        "summary",
        "Request latency since the last reset, ms.",
    );
    e.sample("request_latency_ms_sum", &[], s.latency.total_ms);
    e.sample("request_latency_ms_count", &[], s.latency.count);
    for (name, value) in &s.counters {
        e.single(name, "counter", "As the mntr key of this name.", value);
    }
    for (name, summary) in &s.summaries {
        e.family(name, "summary", "As the mntr keys of this name.");
        if summary.histogram.is_some() {
            for (_, q) in super::summary::PERCENTILES {
                let q_text = q.to_string();
                e.sample(name, &[("quantile", &q_text)], summary.quantile(q));
            }
        }
        e.sample(&format!("{name}_sum"), &[], summary.sum);
        e.sample(&format!("{name}_count"), &[], summary.count);
    }
    if let Some(q) = &s.quorum {
        super::quorum::metric_lines(q, &mut e.out);
    }
    e.out
}
