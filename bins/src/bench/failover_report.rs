//! What `zoorepl bench failover` reports: one line per round, then the median and the maximum.

use serde::Serialize;

/// One kill of the leader.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoundReport {
    /// From 1.
    pub round: u32,
    /// The killed leader's position in `--server`, from 1.
    pub killed_server: usize,
    /// Its client address.
    pub killed_addr: String,
    /// The pid that got SIGKILL.
    pub pid: u32,
    /// Successful writes in the steady phase before the kill.
    pub writes_before_kill: u64,
    /// From the kill to the success of the first create issued after it.
    pub write_gap_ms: f64,
    /// From the kill to the first `Mode: leader` among the survivors, if seen.
    pub leader_gap_ms: Option<f64>,
    /// Whether the writer kept its session (no expiry, no new session).
    pub session_kept: bool,
    /// Creates that failed after the kill (in flight at the kill, or refused while there was
    /// no leader).
    pub failed_writes: u64,
    /// From the start of the restart command to every server serving again.
    pub back_ms: f64,
}

impl RoundReport {
    /// `first write 812.3 ms after the kill (leader via srvr 420.1 ms), session kept, 1 failed`.
    #[must_use]
    pub fn describe(&self) -> String {
        let leader = self
            .leader_gap_ms
            .map_or_else(|| "not seen".to_owned(), |ms| format!("{ms:.1} ms"));
        let session = if self.session_kept { "kept" } else { "LOST" };
        format!(
            "first write {:.1} ms after the kill (leader via srvr {leader}), session {session}, \
             {} failed writes",
            self.write_gap_ms, self.failed_writes
        )
    }
}

/// Median and maximum of a figure over the rounds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    /// The middle value (the mean of the two middle ones for an even count).
    pub median: f64,
    /// The largest value.
    pub max: f64,
}

impl Summary {
    /// `None` for no values.
    #[must_use]
    pub fn of(values: &[f64]) -> Option<Self> {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = match n {
            0 => return None,
            _ if n % 2 == 1 => sorted[n / 2],
            _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
        };
        Some(Self {
            median,
            max: sorted[n - 1],
        })
    }
}

/// The whole run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailoverReport {
    /// The connect string.
    pub server: String,
    /// Every round, in order.
    pub rounds: Vec<RoundReport>,
    /// Over `write_gap_ms`.
    pub write_gap_ms: Summary,
    /// Over the rounds where a leader was seen.
    pub leader_gap_ms: Option<Summary>,
    /// Rounds where the writer kept its session.
    pub sessions_kept: usize,
}

impl FailoverReport {
    /// Summarises `rounds` (at least one).
    #[must_use]
    pub fn new(server: String, rounds: Vec<RoundReport>) -> Self {
        let gaps: Vec<f64> = rounds.iter().map(|r| r.write_gap_ms).collect();
        let leaders: Vec<f64> = rounds.iter().filter_map(|r| r.leader_gap_ms).collect();
        Self {
            server,
            write_gap_ms: Summary::of(&gaps).expect("a run has at least one round"),
            leader_gap_ms: Summary::of(&leaders),
            sessions_kept: rounds.iter().filter(|r| r.session_kept).count(),
            rounds,
        }
    }

    /// The report as one line of JSON.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a report serialises")
    }

    /// The report as a table and a summary, on stdout.
    pub fn print_text(&self) {
        println!("failover of the leader (kill -9) in {}", self.server);
        println!("round  killed  pid      write gap ms  leader gap ms  session  failed  back ms");
        for r in &self.rounds {
            let leader = r
                .leader_gap_ms
                .map_or_else(|| "-".to_owned(), |ms| format!("{ms:.1}"));
            println!(
                "{:>5}  {:>6}  {:<7}  {:>12.1}  {:>13}  {:<7}  {:>6}  {:>7.0}",
                r.round,
                r.killed_server,
                r.pid,
                r.write_gap_ms,
                leader,
                if r.session_kept { "kept" } else { "lost" },
                r.failed_writes,
                r.back_ms
            );
        }
        println!(
            "write gap (kill to first write issued after it succeeding): median {:.1} ms, max \
             {:.1} ms",
            self.write_gap_ms.median, self.write_gap_ms.max
        );
        if let Some(leader) = self.leader_gap_ms {
            println!(
                "leader gap (kill to first survivor answering srvr with Mode: leader): median \
                 {:.1} ms, max {:.1} ms",
                leader.median, leader.max
            );
        }
        println!(
            "sessions kept: {} of {}",
            self.sessions_kept,
            self.rounds.len()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::Summary;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(Summary::of(&[]), None);
        let odd = Summary::of(&[30.0, 10.0, 20.0]).expect("values");
        assert_eq!((odd.median, odd.max), (20.0, 30.0));
        let even = Summary::of(&[40.0, 10.0, 20.0, 30.0]).expect("values");
        assert_eq!((even.median, even.max), (25.0, 40.0));
    }
}
