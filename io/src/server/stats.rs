//! Server statistics the shell keeps for four-letter words and metrics: packet counts and
//! request latency (from a request's arrival to its reply).

use std::net::SocketAddr;
use std::time::Instant;

/// Counters of one server.
#[derive(Clone, Debug)]
pub struct ServerStats {
    /// Where clients connect.
    pub client_addr: SocketAddr,
    /// When the server started serving.
    pub started: Instant,
    /// Frames received from clients (requests, pings, handshakes).
    pub packets_received: u64,
    /// Frames sent to clients (replies, notifications, handshakes).
    pub packets_sent: u64,
    /// Request latency, ms: minimum, sum and count (for the average), maximum.
    pub latency_min_ms: u64,
    /// Sum of latencies, ms.
    pub latency_sum_ms: u64,
    /// Number of latencies recorded.
    pub latency_count: u64,
    /// Largest latency, ms.
    pub latency_max_ms: u64,
}

impl ServerStats {
    pub(super) fn new(client_addr: SocketAddr) -> Self {
        Self {
            client_addr,
            started: Instant::now(),
            packets_received: 0,
            packets_sent: 0,
            latency_min_ms: 0,
            latency_sum_ms: 0,
            latency_count: 0,
            latency_max_ms: 0,
        }
    }

    pub(super) fn record_latency(&mut self, ms: u64) {
        if self.latency_count == 0 || ms < self.latency_min_ms {
            self.latency_min_ms = ms;
        }
        self.latency_max_ms = self.latency_max_ms.max(ms);
        self.latency_sum_ms += ms;
        self.latency_count += 1;
    }

    /// Average latency, ms (0 when nothing was recorded).
    #[must_use]
    pub fn latency_avg_ms(&self) -> f64 {
        if self.latency_count == 0 {
            return 0.0;
        }
        #[allow(clippy::cast_precision_loss, reason = "an average for display")]
        let avg = self.latency_sum_ms as f64 / self.latency_count as f64;
        avg
    }

    /// Resets the counters (`srst`).
    pub fn reset(&mut self) {
        *self = Self {
            started: self.started,
            ..Self::new(self.client_addr)
        };
    }
}
