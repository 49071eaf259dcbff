//! Server statistics the shell keeps for four-letter words and metrics: packet counts and
//! request latency (from a request's arrival to its reply).

use std::time::Instant;

use crate::fourlw::Latency;

/// Counters of one server.
#[derive(Clone, Debug)]
pub struct ServerStats {
    /// When the server started serving.
    pub started: Instant,
    /// Frames received from clients (requests, pings, handshakes).
    pub packets_received: u64,
    /// Frames sent to clients (replies, notifications, handshakes).
    pub packets_sent: u64,
    /// Request latency, ms (what `srvr`, `mntr` and the metrics print).
    pub latency: Latency,
}

impl ServerStats {
    pub(super) fn new() -> Self {
        Self {
            started: Instant::now(),
            packets_received: 0,
            packets_sent: 0,
            latency: Latency::default(),
        }
    }

    pub(super) fn record_latency(&mut self, ms: u64) {
        let l = &mut self.latency;
        if l.count == 0 || ms < l.min_ms {
            l.min_ms = ms;
        }
        l.max_ms = l.max_ms.max(ms);
        l.total_ms += ms;
        l.count += 1;
    }

    /// Resets the counters (`srst`).
    pub fn reset(&mut self) {
        *self = Self {
            started: self.started,
            ..Self::new()
        };
    }
}
