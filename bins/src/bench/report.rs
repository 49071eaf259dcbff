//! The result of a bench run, printable as text or JSON.

use std::time::Duration;

use serde::Serialize;

use super::worker::{new_histogram, SharedHistogram, WorkerStats};
use super::{BenchArgs, Op};

/// Latency percentiles in microseconds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LatencyReport {
    /// Mean.
    pub mean_us: f64,
    /// Median.
    pub p50_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// 99.9th percentile.
    pub p999_us: f64,
    /// Slowest request.
    pub max_us: f64,
}

/// What `zoorepl bench` measured.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BenchReport {
    /// Server loaded.
    pub server: String,
    /// Request mix.
    pub op: Op,
    /// Share of reads, for `mixed`.
    pub read_percent: Option<u8>,
    /// Sessions.
    pub clients: usize,
    /// Requests in flight per session.
    pub outstanding: usize,
    /// Offered requests per second (`None`: closed loop).
    pub rate: Option<f64>,
    /// Bytes per written value.
    pub value_size: usize,
    /// Key space (0 for `create`).
    pub keys: u64,
    /// Length of the measured window, seconds.
    pub duration_secs: f64,
    /// Requests issued in the window and completed (ok or failed).
    pub ops: u64,
    /// Reads among `ops`.
    pub reads: u64,
    /// Writes among `ops`.
    pub writes: u64,
    /// Failed requests among `ops`.
    pub errors: u64,
    /// One error text, if any failed.
    pub first_error: Option<String>,
    /// `ops / duration_secs`.
    pub throughput_ops_per_sec: f64,
    /// Latency of the requests in the window (failed ones included).
    pub latency: LatencyReport,
    /// Znodes the cleanup could not delete.
    pub cleanup_failures: u64,
}

fn micros(nanos: u64) -> f64 {
    nanos as f64 / 1000.0
}

impl BenchReport {
    pub(crate) fn new<'a>(
        args: &BenchArgs,
        measured: Duration,
        stats: impl Iterator<Item = &'a WorkerStats>,
        histograms: &[SharedHistogram],
    ) -> Self {
        let mut latency = new_histogram();
        for histogram in histograms {
            latency
                .add(&*histogram.lock().expect("histogram lock poisoned"))
                .expect("histograms share bounds");
        }
        let (mut ops, mut reads, mut writes, mut errors, mut first_error) = (0, 0, 0, 0, None);
        for worker in stats {
            ops += worker.ops;
            reads += worker.reads;
            writes += worker.writes;
            errors += worker.errors;
            first_error = first_error.or_else(|| worker.first_error.clone());
        }
        let duration_secs = measured.as_secs_f64();
        let throughput = if duration_secs > 0.0 {
            ops as f64 / duration_secs
        } else {
            0.0
        };
        Self {
            server: args.server.clone(),
            op: args.op,
            read_percent: (args.op == Op::Mixed).then_some(args.read_percent),
            clients: args.clients,
            outstanding: args.outstanding,
            rate: (args.rate > 0.0).then_some(args.rate),
            value_size: args.value_size,
            keys: if args.op == Op::Create { 0 } else { args.keys },
            duration_secs,
            ops,
            reads,
            writes,
            errors,
            first_error,
            throughput_ops_per_sec: throughput,
            latency: LatencyReport {
                mean_us: latency.mean() / 1000.0,
                p50_us: micros(latency.value_at_quantile(0.5)),
                p99_us: micros(latency.value_at_quantile(0.99)),
                p999_us: micros(latency.value_at_quantile(0.999)),
                max_us: micros(latency.max()),
            },
            cleanup_failures: 0,
        }
    }

    /// The report as human-readable lines.
    pub fn to_text(&self) -> String {
        let mix = match self.read_percent {
            Some(percent) => format!("mixed ({percent}% reads)"),
            None => format!("{:?}", self.op).to_lowercase(),
        };
        let l = &self.latency;
        let mut text = format!(
            "bench {mix} on {}: {} sessions x {} outstanding, {} B values, {} keys\n\
             measured {:.2} s: {} ops ({} reads, {} writes), {} errors\n\
             throughput {:.0} ops/s\n\
             latency us: p50 {:.0}  p99 {:.0}  p99.9 {:.0}  max {:.0}  mean {:.0}\n",
            self.server,
            self.clients,
            self.outstanding,
            self.value_size,
            self.keys,
            self.duration_secs,
            self.ops,
            self.reads,
            self.writes,
            self.errors,
            self.throughput_ops_per_sec,
            l.p50_us,
            l.p99_us,
            l.p999_us,
            l.max_us,
            l.mean_us,
        );
        if let Some(rate) = self.rate {
            text.push_str(&format!(
                "offered {rate:.0} ops/s (open loop: a request held up by the previous one counts from its due time)\n"
            ));
        }
        if let Some(err) = &self.first_error {
            text.push_str(&format!("first error: {err}\n"));
        }
        if self.cleanup_failures > 0 {
            text.push_str(&format!("cleanup failures: {}\n", self.cleanup_failures));
        }
        text
    }

    /// Prints [`Self::to_text`] on stdout.
    pub fn print_text(&self) {
        print!("{}", self.to_text());
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serializes")
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: BenchArgs,
    }

    fn stats(latencies_us: &[u64], reads: u64, errors: u64) -> (WorkerStats, SharedHistogram) {
        let mut latency_ns = new_histogram();
        for us in latencies_us {
            latency_ns.record(us * 1000).expect("in range");
        }
        let ops = latencies_us.len() as u64;
        let stats = WorkerStats {
            ops,
            reads,
            writes: ops - reads,
            errors,
            first_error: (errors > 0).then(|| "connection to server has lost".to_string()),
            creates_issued: 0,
        };
        (
            stats,
            std::sync::Arc::new(std::sync::Mutex::new(latency_ns)),
        )
    }

    #[test]
    fn merges_workers_and_formats() {
        let args = Wrapper::parse_from(["bench", "--server", "h:1", "--read-percent", "50"]).args;
        let (a, a_latency) = stats(&(1..=100).collect::<Vec<_>>(), 50, 0);
        let (b, b_latency) = stats(&[1000; 100], 50, 2);
        let report = BenchReport::new(
            &args,
            Duration::from_secs(2),
            [&a, &b].into_iter(),
            &[a_latency, b_latency],
        );
        assert_eq!(
            (report.ops, report.reads, report.writes, report.errors),
            (200, 100, 100, 2)
        );
        assert!((report.throughput_ops_per_sec - 100.0).abs() < 1e-9);
        assert!(
            (report.latency.p50_us - 100.0).abs() < 0.1,
            "{:?}",
            report.latency
        );
        assert!(
            (report.latency.max_us - 1000.0).abs() < 1.0,
            "{:?}",
            report.latency
        );
        assert_eq!(report.read_percent, Some(50));
        let text = report.to_text();
        assert!(
            text.starts_with("bench mixed (50% reads) on h:1: 16 sessions x 32 outstanding"),
            "{text}"
        );
        assert!(text.contains("throughput 100 ops/s\n"), "{text}");
        assert!(
            text.contains("first error: connection to server has lost\n"),
            "{text}"
        );
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).expect("JSON");
        assert_eq!(json["op"], "mixed");
        assert_eq!(json["ops"], 200);
        assert!(json["latency"]["p99_us"].as_f64().expect("number") >= 999.0);
    }
}
