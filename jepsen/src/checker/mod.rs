//! The linearizability checker: Wing–Gong–Lowe search with memoization of
//! (linearized set, state), one search per partition (P-compositionality), run on worker
//! threads.
//!
//! The verdict is deterministic: every partition is searched to its end (unless the timeout
//! stops the check), and a violation is reported for the first failing partition in key order.

mod cache;
mod linearized;
mod search;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::history::Operation;
use crate::model::{Model, ModelError};
use search::{Limits, Search, SearchEnd};

/// One operation of a partition, as the search sees it.
pub(crate) struct PartOp<M: Model> {
    input: M::Input,
    output: Option<M::Output>,
    call: usize,
    ret: Option<usize>,
    /// Index into the history's operations.
    origin: usize,
}

/// A history converted by a model and split by key, ready to check (parsing is done).
pub struct Prepared<M: Model> {
    partitions: Vec<(String, Vec<PartOp<M>>)>,
}

impl<M: Model> Prepared<M> {
    /// Converts and partitions `ops`.
    pub fn new(model: &M, ops: &[Operation]) -> Result<Self, ModelError> {
        let mut partitions: BTreeMap<String, Vec<PartOp<M>>> = BTreeMap::new();
        for (origin, op) in ops.iter().enumerate() {
            if let Some(parsed) = model.parse(op)? {
                partitions.entry(parsed.key).or_default().push(PartOp {
                    input: parsed.input,
                    ret: op.ret.filter(|_| parsed.output.is_some()),
                    output: parsed.output,
                    call: op.call,
                    origin,
                });
            }
        }
        Ok(Self {
            partitions: partitions.into_iter().collect(),
        })
    }

    /// The number of partitions (keys).
    pub fn partitions(&self) -> usize {
        self.partitions.len()
    }

    /// The number of operations kept by the model.
    pub fn kept(&self) -> usize {
        self.partitions.iter().map(|(_, p)| p.len()).sum()
    }
}

/// How to run a check.
pub struct CheckOptions<'a> {
    /// Give up (verdict `Unknown`) after this long.
    pub timeout: Option<Duration>,
    /// Worker threads (partitions are searched in parallel). At least 1.
    pub threads: usize,
    /// Called about every `progress_interval` while the check runs.
    pub progress: Option<&'a (dyn Fn(&Progress) + Sync)>,
    /// How often to call `progress`.
    pub progress_interval: Duration,
    /// The most memory the configuration caches may take, over all worker threads; a
    /// partition that needs more stops with `Verdict::Unknown`.
    pub memory_max_bytes: usize,
}

impl Default for CheckOptions<'_> {
    fn default() -> Self {
        Self {
            timeout: None,
            threads: std::thread::available_parallelism().map_or(1, usize::from),
            progress: None,
            progress_interval: Duration::from_millis(500),
            memory_max_bytes: 2 << 30,
        }
    }
}

/// Where a running check is.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Partitions finished.
    pub partitions_done: usize,
    /// Partitions in all.
    pub partitions: usize,
    /// Search steps taken so far (approximate).
    pub steps: u64,
    /// Time since the check started.
    pub elapsed: Duration,
}

/// The verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Some order of the operations explains every result.
    Linearizable,
    /// No order does.
    NotLinearizable,
    /// The timeout stopped the check first.
    Unknown,
}

/// Why a check stopped before its verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The timeout passed.
    Timeout,
    /// A partition's search needed more memory than allowed.
    MemoryLimit,
}

/// One step of a linearization: the operation (index into the history's operations), its
/// description, and the state after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinearizedStep {
    /// Index into the history's operations.
    pub op: usize,
    /// The operation as the model describes it.
    pub description: String,
    /// The state after it.
    pub state_after: String,
}

/// Why a history is not linearizable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The partition (key) that cannot be linearized.
    pub key: String,
    /// The operation (index into the history's operations) that cannot be linearized before
    /// its return, whatever order the earlier ones take.
    pub failing_op: usize,
    /// Its description.
    pub failing_description: String,
    /// The history event (0-based) of that return. This is the end of the smallest
    /// non-linearizable prefix: taking every operation's recorded result, and letting the
    /// operations still running at this event take effect or not, no order explains the
    /// returns up to this event, while some order explains every return before it.
    pub prefix_end_event: usize,
    /// One linearization that got furthest: it explains every return before `prefix_end_event`.
    pub linearization: Vec<LinearizedStep>,
    /// The operations involved, with their descriptions: those called before
    /// `prefix_end_event` but not in `linearization` (the failing one included), and those
    /// whose interval overlaps the failing operation's.
    pub involved: Vec<(usize, String)>,
    /// Every operation of the partition (indices into the history's operations), in call order.
    pub partition_ops: Vec<usize>,
}

/// The result of a check.
#[derive(Clone, Debug)]
pub struct CheckResult {
    /// The verdict.
    pub verdict: Verdict,
    /// The first failing partition in key order, when not linearizable.
    pub failure: Option<Failure>,
    /// Partitions searched.
    pub partitions: usize,
    /// Distinct configurations explored, over all partitions.
    pub configurations: u64,
    /// Wall time of the search.
    pub elapsed: Duration,
    /// Why some partition was not searched to its end (then the verdict is `Unknown`, unless
    /// another partition is not linearizable).
    pub stopped: Option<Stop>,
}

/// Converts, partitions and checks `ops` against `model`.
pub fn check<M: Model>(
    model: &M,
    ops: &[Operation],
    options: &CheckOptions<'_>,
) -> Result<CheckResult, ModelError> {
    Ok(check_prepared(model, &Prepared::new(model, ops)?, options))
}

enum PartResult {
    Linearizable(u64),
    Violation(Failure, u64),
    Stopped(Stop, u64),
}

/// Checks a prepared history.
pub fn check_prepared<M: Model>(
    model: &M,
    prepared: &Prepared<M>,
    options: &CheckOptions<'_>,
) -> CheckResult {
    let start = Instant::now();
    let cancel = AtomicBool::new(false);
    let steps = AtomicU64::new(0);
    let threads = options.threads.max(1).min(prepared.partitions.len().max(1));
    let limits = Limits {
        deadline: options.timeout.map(|t| start + t),
        cache_bytes_max: options.memory_max_bytes / threads,
        cancel: &cancel,
        steps: &steps,
    };
    // Biggest partitions first, so that the last one to finish is short.
    let mut order: Vec<usize> = (0..prepared.partitions.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(prepared.partitions[i].1.len()));
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<PartResult>> = (0..order.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let (done_tx, done_rx) = mpsc::channel();
        for _ in 0..threads {
            let done_tx = done_tx.clone();
            let (order, next, limits) = (&order, &next, &limits);
            scope.spawn(move || {
                while let Some(&p) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let (key, ops) = &prepared.partitions[p];
                    let result = search_partition(model, key, ops, limits);
                    done_tx
                        .send((p, result))
                        .expect("the collector outlives the workers");
                }
            });
        }
        drop(done_tx);
        let mut done = 0;
        loop {
            match done_rx.recv_timeout(options.progress_interval) {
                Ok((p, result)) => {
                    results[p] = Some(result);
                    done += 1;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            if let Some(progress) = options.progress {
                let elapsed = start.elapsed();
                let steps = steps.load(Ordering::Relaxed);
                progress(&Progress {
                    partitions_done: done,
                    partitions: order.len(),
                    steps,
                    elapsed,
                });
            }
        }
    });
    summarize(results, start.elapsed())
}

fn summarize(results: Vec<Option<PartResult>>, elapsed: Duration) -> CheckResult {
    let partitions = results.len();
    let mut result = CheckResult {
        verdict: Verdict::Linearizable,
        failure: None,
        partitions,
        configurations: 0,
        elapsed,
        stopped: None,
    };
    for part in results {
        match part.expect("every partition reports") {
            PartResult::Linearizable(n) => result.configurations += n,
            PartResult::Violation(failure, n) => {
                result.configurations += n;
                result.verdict = Verdict::NotLinearizable;
                result.failure.get_or_insert(failure);
            }
            PartResult::Stopped(stop, n) => {
                result.configurations += n;
                if result.verdict == Verdict::Linearizable {
                    result.verdict = Verdict::Unknown;
                }
                if result.stopped != Some(Stop::Timeout) {
                    result.stopped = Some(stop);
                }
            }
        }
    }
    result
}

fn search_partition<M: Model>(
    model: &M,
    key: &str,
    ops: &[PartOp<M>],
    limits: &Limits<'_>,
) -> PartResult {
    let mut search = Search::new(model, ops);
    let end = search.run(limits);
    let configurations = search.configurations() as u64;
    match end {
        SearchEnd::Linearizable => PartResult::Linearizable(configurations),
        SearchEnd::Stopped(stop) => PartResult::Stopped(stop, configurations),
        SearchEnd::Violation(v) => {
            let describe = |i: usize| model.describe_op(&ops[i].input, ops[i].output.as_ref());
            let linearization: Vec<LinearizedStep> = v
                .linearization
                .iter()
                .map(|&(i, s)| LinearizedStep {
                    op: ops[i].origin,
                    description: describe(i),
                    state_after: model.describe_state(&search.states[s as usize]),
                })
                .collect();
            let mut linearized = vec![false; ops.len()];
            for &(i, _) in &v.linearization {
                linearized[i] = true;
            }
            let failing = &ops[v.failing];
            let overlaps =
                |o: &PartOp<M>| o.call < v.event && o.ret.is_none_or(|r| r > failing.call);
            let involved = (0..ops.len())
                .filter(|&i| (!linearized[i] && ops[i].call < v.event) || overlaps(&ops[i]))
                .map(|i| (ops[i].origin, describe(i)))
                .collect();
            let failure = Failure {
                key: key.to_owned(),
                failing_op: ops[v.failing].origin,
                failing_description: describe(v.failing),
                prefix_end_event: v.event,
                linearization,
                involved,
                partition_ops: ops.iter().map(|o| o.origin).collect(),
            };
            PartResult::Violation(failure, configurations)
        }
    }
}
