//! The load loops of `zoorepl bench`: one task per in-flight request slot, several tasks sharing
//! one session, plus the parallel create/delete used to prepare and clean up.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zoorepl_core::prng::Prng;

use hdrhistogram::Histogram;
use zookeeper_client::{Acls, Client, CreateMode, CreateOptions, Error};

use super::Op;

/// Counters shared by all workers, read once a second for the progress line.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    /// Operations completed (ok or failed), warmup included.
    pub(crate) done: AtomicU64,
    /// Failed operations, warmup included.
    pub(crate) errors: AtomicU64,
    /// Set on Ctrl-C: workers stop early and the run goes on to its report and cleanup.
    pub(crate) interrupted: AtomicBool,
}

/// When the run starts measuring and when it stops issuing requests.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub(crate) measure_from: Instant,
    pub(crate) stop_at: Instant,
}

/// The schedule of a paced worker (`--rate`): request `n` is due at `first + n * every`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pace {
    pub(crate) first: Instant,
    pub(crate) every: Duration,
}

/// Latencies of one session's workers, in nanoseconds. Shared per session rather than per
/// worker: a 3-digit histogram up to a minute is about 200 KB, too much for 512 workers.
pub(crate) type SharedHistogram = Arc<Mutex<Histogram<u64>>>;

/// What one worker saw inside the measured window.
pub(crate) struct WorkerStats {
    pub(crate) ops: u64,
    pub(crate) reads: u64,
    pub(crate) writes: u64,
    pub(crate) errors: u64,
    /// Sample of error texts, for the report.
    pub(crate) first_error: Option<String>,
    /// Number of `create` attempts (their paths are reconstructed for cleanup).
    pub(crate) creates_issued: u64,
}

/// Pause after a failed request.
const ERROR_BACKOFF: Duration = Duration::from_millis(10);

/// Latency bound: one minute in nanoseconds; slower requests are clamped to it.
const LATENCY_MAX_NS: u64 = 60_000_000_000;

pub(crate) fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, LATENCY_MAX_NS, 3).expect("static histogram bounds are valid")
}

/// Everything a worker needs, owned so it can be spawned.
pub(crate) struct Worker {
    pub(crate) client: Client,
    pub(crate) op: Op,
    pub(crate) read_percent: u8,
    pub(crate) keys: u64,
    pub(crate) root: Arc<str>,
    pub(crate) value: Arc<[u8]>,
    /// (session index, slot index): names this worker's created znodes and seeds its RNG.
    pub(crate) id: (usize, usize),
    pub(crate) counters: Arc<Counters>,
    pub(crate) window: Window,
    /// When each request is due (`None`: each as soon as the previous one is answered).
    pub(crate) pace: Option<Pace>,
    /// The session's latency histogram.
    pub(crate) latency_ns: SharedHistogram,
}

/// The path of pre-created key `index`.
pub(crate) fn key_path(root: &str, index: u64) -> String {
    format!("{root}/k{index:010}")
}

/// The path of the `n`th znode created by worker `(session, slot)` in a `create` run.
pub(crate) fn created_path(root: &str, id: (usize, usize), n: u64) -> String {
    format!("{root}/c-{}-{}-{n:010}", id.0, id.1)
}

const CREATE_OPTIONS: CreateOptions<'static> = CreateMode::Persistent.with_acls(Acls::anyone_all());

impl Worker {
    /// Issues one request at a time until the window closes; records what falls inside it.
    pub(crate) async fn run(self) -> WorkerStats {
        let seed = (self.id.0 as u64) << 32 | self.id.1 as u64;
        let mut rng = Prng::new(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x5EED);
        let mut stats = WorkerStats {
            ops: 0,
            reads: 0,
            writes: 0,
            errors: 0,
            first_error: None,
            creates_issued: 0,
        };
        let mut due = self.pace.map(|p| p.first);
        loop {
            // Paced, a request the previous one held up counts from when it was due, not from
            // when this slot got to send it (no coordinated omission); one that waited for its
            // time counts from when the timer woke the slot (the timer's own lateness, up to a
            // millisecond, is the client's, not the server's).
            // Nothing is sent after the window closes, even what fell due in it: a server that
            // falls behind shows a throughput below the offered rate.
            let started = match (due, self.pace) {
                (Some(at), Some(p)) => {
                    if at >= self.window.stop_at {
                        break;
                    }
                    due = Some(at + p.every);
                    if Instant::now() < at {
                        tokio::time::sleep_until(at.into()).await;
                        Instant::now()
                    } else {
                        at
                    }
                }
                _ => Instant::now(),
            };
            if Instant::now() >= self.window.stop_at
                || self.counters.interrupted.load(Ordering::Relaxed)
            {
                break;
            }
            let is_read = match self.op {
                Op::Get => true,
                Op::Create | Op::Set => false,
                Op::Mixed => rng.next_u64() % 100 < u64::from(self.read_percent),
            };
            let result = self
                .one_request(is_read, &mut rng, &mut stats.creates_issued)
                .await;
            let elapsed = started.elapsed();
            self.counters.done.fetch_add(1, Ordering::Relaxed);
            if result.is_err() {
                self.counters.errors.fetch_add(1, Ordering::Relaxed);
            }
            let failed = result.is_err();
            if started >= self.window.measure_from {
                stats.record(is_read, result);
                let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
                self.latency_ns
                    .lock()
                    .expect("histogram lock poisoned")
                    .saturating_record(nanos.clamp(1, LATENCY_MAX_NS));
            }
            if failed {
                // While the server is away every request fails at once; do not spin.
                tokio::time::sleep(ERROR_BACKOFF).await;
            }
        }
        stats
    }

    async fn one_request(
        &self,
        is_read: bool,
        rng: &mut Prng,
        creates: &mut u64,
    ) -> Result<(), Error> {
        if self.op == Op::Create {
            let path = created_path(&self.root, self.id, *creates);
            *creates += 1;
            return self
                .client
                .create(&path, &self.value, &CREATE_OPTIONS)
                .await
                .map(drop);
        }
        let path = key_path(&self.root, rng.next_u64() % self.keys);
        if is_read {
            self.client.get_data(&path).await.map(drop)
        } else {
            self.client
                .set_data(&path, &self.value, None)
                .await
                .map(drop)
        }
    }
}

impl WorkerStats {
    fn record(&mut self, is_read: bool, result: Result<(), Error>) {
        self.ops += 1;
        if is_read {
            self.reads += 1;
        } else {
            self.writes += 1;
        }
        if let Err(err) = result {
            self.errors += 1;
            self.first_error.get_or_insert_with(|| err.to_string());
        }
    }
}

/// What to do to each path in [`for_each_path`].
#[derive(Clone)]
pub(crate) enum PathOp {
    /// Create with this value; an existing znode gets the value set instead.
    Upsert(Arc<[u8]>),
    /// Delete; a missing znode counts as done.
    Delete,
}

/// Applies `op` to every path, `slots` requests in flight per session. Returns how many failed
/// and the first failure.
pub(crate) async fn for_each_path(
    clients: &[Client],
    slots: usize,
    paths: Arc<Vec<String>>,
    op: PathOp,
) -> (u64, Option<String>) {
    let stride = clients.len() * slots;
    let mut tasks = Vec::with_capacity(stride);
    for task_index in 0..stride {
        let client = clients[task_index % clients.len()].clone();
        let (paths, op) = (paths.clone(), op.clone());
        tasks.push(tokio::spawn(async move {
            let (mut failed, mut first) = (0_u64, None);
            for path in paths.iter().skip(task_index).step_by(stride) {
                if let Err(err) = apply(&client, path, &op).await {
                    failed += 1;
                    first.get_or_insert_with(|| format!("{path}: {err}"));
                }
            }
            (failed, first)
        }));
    }
    let (mut failed, mut first) = (0, None);
    for task in tasks {
        let (task_failed, task_first) = task.await.expect("bench path task panicked");
        failed += task_failed;
        first = first.or(task_first);
    }
    (failed, first)
}

async fn apply(client: &Client, path: &str, op: &PathOp) -> Result<(), Error> {
    match op {
        PathOp::Upsert(value) => match client.create(path, value, &CREATE_OPTIONS).await {
            Err(Error::NodeExists) => client.set_data(path, value, None).await.map(drop),
            other => other.map(drop),
        },
        PathOp::Delete => match client.delete(path, None).await {
            Err(Error::NoNode) => Ok(()),
            other => other,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_fixed_width_and_distinct() {
        assert_eq!(key_path("/r", 7), "/r/k0000000007");
        assert_eq!(created_path("/r", (2, 31), 5), "/r/c-2-31-0000000005");
        assert_ne!(
            created_path("/r", (1, 11), 0),
            created_path("/r", (11, 1), 0)
        );
    }

    #[test]
    fn splitmix_spreads_over_small_key_spaces() {
        let mut rng = Prng::new(1);
        let mut seen = [0_u32; 10];
        for _ in 0..10_000 {
            seen[usize::try_from(rng.next_u64() % 10).expect("small")] += 1;
        }
        assert!(seen.iter().all(|&n| (800..1200).contains(&n)), "{seen:?}");
    }
}
