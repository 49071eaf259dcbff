//! What a run is asked to do ([`SimOptions`]) and the fault rates each seed draws for itself
//! ([`Faults`], swarm testing: every seed turns a random subset of the knobs on, at random rates,
//! so some seeds are quiet and others hammer one fault).

use crate::rand::Rng;

/// How hard the nemesis works.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultLevel {
    /// No faults: only delays and fsync latency.
    None,
    /// Each knob on for about half the seeds, at moderate rates.
    Default,
    /// Every knob on, at high rates.
    Heavy,
}

impl std::str::FromStr for FaultLevel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "none" => Ok(Self::None),
            "default" => Ok(Self::Default),
            "heavy" => Ok(Self::Heavy),
            other => Err(format!(
                "unknown fault level {other:?} (none|default|heavy)"
            )),
        }
    }
}

impl std::fmt::Display for FaultLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::None => "none",
            Self::Default => "default",
            Self::Heavy => "heavy",
        })
    }
}

/// What to simulate. `nodes == 1` runs one standalone server (`ensemble: None`); more runs an
/// ensemble of that many voters plus `observers` and `publishers`.
#[derive(Clone, Debug)]
pub struct SimOptions {
    /// Voting servers (1 = standalone).
    pub nodes: usize,
    /// Observers (ensemble only).
    pub observers: usize,
    /// Publishers (ensemble only): non-voters that join, sync and learn every commit (INFORM);
    /// the replication stream they will serve is not simulated yet.
    pub publishers: usize,
    /// Fault level.
    pub faults: FaultLevel,
    /// Simulated clients; drawn from the seed (2..=6) when `None`.
    pub clients: Option<usize>,
    /// Length of the safety phase in simulated ms; drawn (2–10 s) when `None`.
    pub safety_ms: Option<u64>,
    /// Bound of the liveness phase in simulated ms.
    pub liveness_ms: u64,
    /// Keep the text of every event (the `--trace` output).
    pub trace: bool,
    /// Keep the client history in the outcome.
    pub keep_history: bool,
    /// A bug planted on purpose, to show the checkers catch it.
    pub planted: Option<Planted>,
    /// A ZAB bug planted in every server (needs the `planted-bugs` feature to take effect).
    pub zab_bug: Option<zoorepl_core::zab::PlantedBug>,
    /// Run the zxid-witness checker on the committed log and the client history at the end
    /// of every converged run (`checker::witness`).
    pub witness: bool,
}

/// Bugs the simulator can plant in its own disk model, so tests can show that the checkers
/// notice (DESIGN.md §6, planted bugs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Planted {
    /// The disk answers `Persisted` without syncing: acknowledged writes are not durable.
    AckBeforeFsync,
    /// A crash also loses the newest synced log record: a lying disk.
    CrashLosesSynced,
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            nodes: 1,
            observers: 0,
            publishers: 0,
            faults: FaultLevel::Default,
            clients: None,
            safety_ms: None,
            liveness_ms: 60_000,
            trace: false,
            keep_history: false,
            planted: None,
            zab_bug: None,
            witness: true,
        }
    }
}

impl SimOptions {
    /// The command line that reruns `seed` with these options, tracing it.
    #[must_use]
    pub fn reproduce(&self, seed: u64) -> String {
        let mut cmd = format!("zoorepl sim --seed {seed}");
        if self.nodes != 1 {
            cmd += &format!(" --nodes {}", self.nodes);
        }
        if self.observers != 0 {
            cmd += &format!(" --observers {}", self.observers);
        }
        if self.publishers != 0 {
            cmd += &format!(" --publishers {}", self.publishers);
        }
        if self.faults != FaultLevel::Default {
            cmd += &format!(" --faults {}", self.faults);
        }
        if let Some(c) = self.clients {
            cmd += &format!(" --clients {c}");
        }
        if let Some(ms) = self.safety_ms {
            cmd += &format!(" --safety-ms {ms}");
        }
        if let Some(bug) = self.zab_bug {
            cmd += &format!(" --planted {}", bug.name());
        }
        if !self.witness {
            cmd += " --no-witness";
        }
        cmd + " --trace"
    }
}

/// The fault rates of one seed. Intervals are mean times between events (0 = off); rates are
/// parts per million.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    /// Minimum one-way delay of a message, ms.
    pub delay_min_ms: u64,
    /// Extra random delay, up to this, ms.
    pub delay_jitter_ms: u64,
    /// Chance that a peer message breaks its link (ppm).
    pub break_ppm: u32,
    /// Longest time a broken link stays down before it is re-established, ms.
    pub break_ms_max: u64,
    /// Chance that a peer message is delivered twice (ppm).
    pub dup_ppm: u32,
    /// Mean time between link clogs, ms.
    pub clog_every_ms: u64,
    /// Longest clog, ms.
    pub clog_ms_max: u64,
    /// Mean time between partitions, ms.
    pub partition_every_ms: u64,
    /// Longest partition, ms.
    pub partition_ms_max: u64,
    /// Mean time between server crashes, ms.
    pub crash_every_ms: u64,
    /// Longest downtime after a crash, ms.
    pub down_ms_max: u64,
    /// Mean time between pauses, ms.
    pub pause_every_ms: u64,
    /// Longest pause, ms.
    pub pause_ms_max: u64,
    /// Largest clock drift, ppm (each server draws its own in ±this).
    pub drift_ppm_max: u32,
    /// Mean time between forward clock jumps, ms.
    pub jump_every_ms: u64,
    /// Largest clock jump, ms.
    pub jump_ms_max: u64,
    /// Fastest and slowest fsync, ms.
    pub fsync_ms: (u64, u64),
    /// Chance that an fsync fails, which crashes the server (ppm).
    pub fsync_fail_ppm: u32,
    /// On a crash, how unsynced log records fare: weights of (lost, kept, torn).
    pub unsynced_fate: (u32, u32, u32),
    /// Chance that a restart reads a corrupted log record or snapshot (ppm).
    pub read_corrupt_ppm: u32,
    /// Mean time between client connection drops, ms.
    pub conn_drop_every_ms: u64,
}

impl Faults {
    /// Draws the rates of one seed.
    pub fn draw(level: FaultLevel, rng: &mut Rng) -> Self {
        let base = Self {
            delay_min_ms: rng.range(0, 2),
            delay_jitter_ms: rng.range(0, 10),
            fsync_ms: (rng.range(0, 2), rng.range(2, 20)),
            unsynced_fate: (1, 1, 1),
            ..Self::default()
        };
        match level {
            FaultLevel::None => base,
            FaultLevel::Default => Self::draw_swarm(base, rng, 1),
            FaultLevel::Heavy => Self::draw_swarm(base, rng, 4),
        }
    }

    /// Each knob is on with probability 1/2 (always when `heavy > 1`); `heavy` scales rates up.
    fn draw_swarm(mut f: Self, rng: &mut Rng, heavy: u64) -> Self {
        let on = |rng: &mut Rng| heavy > 1 || rng.coin();
        if on(rng) {
            f.delay_jitter_ms = rng.range(10, 200);
        }
        if on(rng) {
            f.break_ppm = u32::try_from(rng.range(100, 20_000 * heavy)).expect("small");
            f.break_ms_max = rng.range(10, 2000);
        }
        if on(rng) {
            f.dup_ppm = u32::try_from(rng.range(100, 50_000 * heavy)).expect("small");
        }
        if on(rng) {
            f.clog_every_ms = rng.range(200, 5000) / heavy;
            f.clog_ms_max = rng.range(50, 3000);
        }
        if on(rng) {
            f.partition_every_ms = rng.range(500, 8000) / heavy;
            f.partition_ms_max = rng.range(100, 5000);
        }
        if on(rng) {
            f.crash_every_ms = rng.range(300, 6000) / heavy;
            f.down_ms_max = rng.range(10, 3000);
        }
        if on(rng) {
            f.pause_every_ms = rng.range(300, 6000) / heavy;
            f.pause_ms_max = rng.range(10, 3000);
        }
        if on(rng) {
            f.drift_ppm_max = u32::try_from(rng.range(10, 100_000)).expect("small");
        }
        if on(rng) {
            f.jump_every_ms = rng.range(500, 8000) / heavy;
            f.jump_ms_max = rng.range(10, 5000);
        }
        if on(rng) {
            f.fsync_ms = (rng.range(0, 20), rng.range(20, 200));
        }
        if on(rng) {
            f.fsync_fail_ppm = u32::try_from(rng.range(100, 5000 * heavy)).expect("small");
        }
        let weight = |rng: &mut Rng| u32::from(rng.coin()) * 3 + 1;
        f.unsynced_fate = (weight(rng), weight(rng), weight(rng));
        if on(rng) {
            f.read_corrupt_ppm = u32::try_from(rng.range(10_000, 200_000 * heavy)).expect("small");
        }
        if on(rng) {
            f.conn_drop_every_ms = rng.range(200, 5000) / heavy;
        }
        f
    }
}

impl std::fmt::Display for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "delay {}+{}ms break {}ppm/{}ms dup {}ppm clog 1/{}ms<{}ms partition 1/{}ms<{}ms \
             crash 1/{}ms down<{}ms pause 1/{}ms<{}ms drift ±{}ppm jump 1/{}ms<{}ms \
             fsync {}..{}ms fail {}ppm unsynced lost:kept:torn={}:{}:{} read-corrupt {}ppm \
             conn-drop 1/{}ms",
            self.delay_min_ms,
            self.delay_jitter_ms,
            self.break_ppm,
            self.break_ms_max,
            self.dup_ppm,
            self.clog_every_ms,
            self.clog_ms_max,
            self.partition_every_ms,
            self.partition_ms_max,
            self.crash_every_ms,
            self.down_ms_max,
            self.pause_every_ms,
            self.pause_ms_max,
            self.drift_ppm_max,
            self.jump_every_ms,
            self.jump_ms_max,
            self.fsync_ms.0,
            self.fsync_ms.1,
            self.fsync_fail_ppm,
            self.unsynced_fate.0,
            self.unsynced_fate.1,
            self.unsynced_fate.2,
            self.read_corrupt_ppm,
            self.conn_drop_every_ms,
        )
    }
}
