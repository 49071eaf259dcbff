//! `zoorepl bench`: a load generator speaking the ZooKeeper protocol through `zookeeper-client`,
//! so the same load runs against zoorepld and Apache ZooKeeper.
//!
//! `--clients` sessions each run `--outstanding` tasks that share the session's client and
//! issue one request at a time, so each session has that many requests in flight (the client
//! pipelines them on one connection). Latency is measured per request, from issue to reply,
//! into HDR histograms (3 significant digits). Requests issued during `--warmup` are not
//! counted. Everything is created under `--root` and deleted at the end.
//!
//! `zoorepl bench failover` instead kills the leader of an ensemble under a writer and times
//! the first write after it (see [`FailoverArgs`]).

mod failover;
mod failover_report;
mod process;
mod report;
mod srvr;
mod worker;

pub use failover::{run as run_failover, FailoverArgs};
pub use failover_report::{FailoverReport, RoundReport, Summary};
pub use report::{BenchReport, LatencyReport};

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use zookeeper_client::{Client, Error};

use worker::{
    created_path, for_each_path, key_path, new_histogram, Counters, Pace, PathOp, SharedHistogram,
    Window, Worker, WorkerStats,
};

/// The request mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    /// Create a new persistent znode per request.
    Create,
    /// `setData` on a random pre-created key.
    Set,
    /// `getData` on a random pre-created key.
    Get,
    /// `--read-percent` gets, the rest sets.
    Mixed,
}

/// `zoorepl bench`: a load run (the options of [`BenchArgs`]) or a subcommand.
#[derive(Debug, Clone, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BenchCommand {
    /// A measurement other than a load run.
    #[command(subcommand)]
    pub action: Option<BenchAction>,
    /// The load run's options.
    #[command(flatten)]
    pub load: BenchArgs,
}

/// The subcommands of `zoorepl bench`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum BenchAction {
    /// Kill -9 an ensemble's leader under a writer, round after round, and report the time
    /// from each kill to the first write after it.
    Failover(FailoverArgs),
}

/// Runs `zoorepl bench` or its subcommand, printing the report on stdout.
///
/// # Errors
/// As [`run`] or [`run_failover`].
pub async fn run_command(command: BenchCommand) -> anyhow::Result<()> {
    match command.action {
        Some(BenchAction::Failover(args)) => {
            let json = args.json;
            let report = run_failover(args).await?;
            if json {
                println!("{}", report.to_json());
            } else {
                report.print_text();
            }
        }
        None => drop(run_and_print(command.load).await?),
    }
    Ok(())
}

/// Options of `zoorepl bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Server to load, `host:port`.
    #[arg(long, default_value = crate::cli::DEFAULT_SERVER)]
    pub server: String,
    /// Request type.
    #[arg(long, value_enum, default_value = "mixed")]
    pub op: Op,
    /// Share of reads for `--op mixed`, in percent.
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub read_percent: u8,
    /// Number of sessions.
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
    /// Requests in flight per session.
    #[arg(long, default_value_t = 32)]
    pub outstanding: usize,
    /// Offered load in requests per second over all sessions, spread evenly over the
    /// in-flight slots (open loop: each request is due at a fixed time and its latency counts
    /// from then, so a server that falls behind is charged for the wait). 0: as fast as the
    /// server answers (closed loop).
    #[arg(long, default_value_t = 0.0)]
    pub rate: f64,
    /// Bytes per value written.
    #[arg(long, default_value_t = 100)]
    pub value_size: usize,
    /// Measured seconds (fractions allowed).
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds of load before measuring.
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// Key space for set/get/mixed (pre-created under the root).
    #[arg(long, default_value_t = 1000)]
    pub keys: u64,
    /// Parent znode of everything the bench creates; removed at the end if empty.
    #[arg(long, default_value = "/zoorepl-bench")]
    pub root: String,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Do not print the per-second progress line on stderr.
    #[arg(long)]
    pub quiet: bool,
    /// Leave every znode the bench made in place (to measure memory or restart time with them).
    #[arg(long)]
    pub keep: bool,
}

impl BenchArgs {
    fn validate(&self) -> anyhow::Result<()> {
        if self.clients == 0 || self.outstanding == 0 {
            bail!("--clients and --outstanding must be at least 1");
        }
        if !(self.duration.is_finite() && self.duration > 0.0) {
            bail!("--duration must be a positive number of seconds");
        }
        if !(self.rate.is_finite() && (self.rate == 0.0 || self.rate >= 1.0)) {
            bail!("--rate must be 0 (unpaced) or at least 1 request per second");
        }
        if !(self.warmup.is_finite() && self.warmup >= 0.0) {
            bail!("--warmup must be zero or more seconds");
        }
        if self.keys == 0 && self.op != Op::Create {
            bail!("--keys must be at least 1 for --op {:?}", self.op);
        }
        if !self.root.starts_with('/') || self.root.len() < 2 || self.root.ends_with('/') {
            bail!("--root must be an absolute znode path other than /");
        }
        Ok(())
    }
}

async fn connect_all(args: &BenchArgs) -> anyhow::Result<Vec<Client>> {
    let mut pending = Vec::with_capacity(args.clients);
    for _ in 0..args.clients {
        let server = args.server.clone();
        pending.push(tokio::spawn(async move {
            crate::cli::connect_client(&server).await
        }));
    }
    let mut clients = Vec::with_capacity(args.clients);
    for task in pending {
        clients.push(task.await.expect("connect task panicked")?);
    }
    Ok(clients)
}

/// Creates the root (and its parents) and, for key-based ops, the keys with their values.
async fn prepare(clients: &[Client], args: &BenchArgs, value: &Arc<[u8]>) -> anyhow::Result<()> {
    let mut parent = String::new();
    for part in args.root.split('/').skip(1) {
        parent = format!("{parent}/{part}");
        let options = zookeeper_client::CreateMode::Persistent
            .with_acls(zookeeper_client::Acls::anyone_all());
        match clients[0].create(&parent, &[], &options).await {
            Ok(_) | Err(Error::NodeExists) => {}
            Err(err) => bail!("cannot create {parent}: {err}"),
        }
    }
    if args.op != Op::Create {
        let keys: Vec<String> = (0..args.keys).map(|i| key_path(&args.root, i)).collect();
        let (failed, first) = for_each_path(
            clients,
            args.outstanding,
            Arc::new(keys),
            PathOp::Upsert(value.clone()),
        )
        .await;
        if failed > 0 {
            bail!(
                "{failed} keys could not be created, e.g. {}",
                first.unwrap_or_default()
            );
        }
    }
    Ok(())
}

/// Prints `[  3s] 12345 ops/s  errors 0` on stderr once a second until aborted.
fn spawn_progress(
    counters: Arc<Counters>,
    started: Instant,
    measure_from: Instant,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(Duration::from_secs(1));
        ticker.tick().await;
        let mut last = 0;
        loop {
            ticker.tick().await;
            let done = counters.done.load(Ordering::Relaxed);
            let errors = counters.errors.load(Ordering::Relaxed);
            // The second just ended counts as warmup if it began before measuring did.
            let phase = if Instant::now() < measure_from + Duration::from_secs(1) {
                " (warmup)"
            } else {
                ""
            };
            eprintln!(
                "[{:4.0}s] {:>9} ops/s  total {done}  errors {errors}{phase}",
                started.elapsed().as_secs_f64(),
                done - last
            );
            last = done;
        }
    })
}

/// On the first Ctrl-C, stops the workers so the run still reports and cleans up; a second
/// Ctrl-C exits at once (status 130).
fn spawn_interrupt_handler(counters: Arc<Counters>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_err() {
            return; // No signal handling here: Ctrl-C keeps its default effect.
        }
        eprintln!(
            "bench: interrupted; stopping, reporting and cleaning up (Ctrl-C again to quit now)"
        );
        counters.interrupted.store(true, Ordering::Relaxed);
        if tokio::signal::ctrl_c().await.is_ok() {
            std::process::exit(130);
        }
    })
}

/// Runs the benchmark described by `args` and returns its report (printing progress on stderr
/// unless `--quiet`). The tokio runtime must be running.
pub async fn run(args: BenchArgs) -> anyhow::Result<BenchReport> {
    args.validate()?;
    let value: Arc<[u8]> = vec![b'x'; args.value_size].into();
    let clients = connect_all(&args).await?;
    prepare(&clients, &args, &value).await?;
    let counters = Arc::new(Counters::default());
    let started = Instant::now();
    let measure_from = started + Duration::from_secs_f64(args.warmup);
    let window = Window {
        measure_from,
        stop_at: measure_from + Duration::from_secs_f64(args.duration),
    };
    let progress = (!args.quiet).then(|| spawn_progress(counters.clone(), started, measure_from));
    let interrupt = spawn_interrupt_handler(counters.clone());
    let root: Arc<str> = args.root.as_str().into();
    let mut tasks = Vec::new();
    let histograms: Vec<SharedHistogram> = clients
        .iter()
        .map(|_| Arc::new(Mutex::new(new_histogram())))
        .collect();
    let slots = args.clients * args.outstanding;
    // Each slot sends every `slots / rate` seconds, the slots evenly staggered.
    let interval = (args.rate > 0.0).then(|| Duration::from_secs_f64(slots as f64 / args.rate));
    for (session, client) in clients.iter().enumerate() {
        for slot in 0..args.outstanding {
            let index = session * args.outstanding + slot;
            let pace = interval.map(|every| Pace {
                first: started + every.mul_f64(index as f64 / slots as f64),
                every,
            });
            let worker = Worker {
                client: client.clone(),
                op: args.op,
                read_percent: args.read_percent,
                keys: args.keys,
                root: root.clone(),
                value: value.clone(),
                id: (session, slot),
                counters: counters.clone(),
                window,
                pace,
                latency_ns: histograms[session].clone(),
            };
            tasks.push(((session, slot), tokio::spawn(worker.run())));
        }
    }
    let mut results = Vec::with_capacity(tasks.len());
    for (id, task) in tasks {
        results.push((id, task.await.context("bench worker panicked")?));
    }
    let measured = Instant::now()
        .min(window.stop_at)
        .saturating_duration_since(measure_from);
    if let Some(progress) = progress {
        progress.abort();
    }
    let mut report = BenchReport::new(
        &args,
        measured,
        results.iter().map(|(_, stats)| stats),
        &histograms,
    );
    if !args.keep {
        report.cleanup_failures = cleanup(&clients, &args, &results).await;
    }
    interrupt.abort();
    Ok(report)
}

/// Deletes every znode the run created, then the root if it is empty. Returns the failures.
async fn cleanup(
    clients: &[Client],
    args: &BenchArgs,
    results: &[((usize, usize), WorkerStats)],
) -> u64 {
    let paths: Vec<String> = if args.op == Op::Create {
        results
            .iter()
            .flat_map(|(id, stats)| {
                (0..stats.creates_issued).map(|n| created_path(&args.root, *id, n))
            })
            .collect()
    } else {
        (0..args.keys).map(|i| key_path(&args.root, i)).collect()
    };
    let (mut failed, first) =
        for_each_path(clients, args.outstanding, Arc::new(paths), PathOp::Delete).await;
    if let Some(first) = first {
        eprintln!("bench: cleanup failed for {failed} znodes, e.g. {first}");
    }
    match clients[0].delete(&args.root, None).await {
        Ok(()) | Err(Error::NotEmpty | Error::NoNode) => {}
        Err(err) => {
            eprintln!("bench: cannot delete {}: {err}", args.root);
            failed += 1;
        }
    }
    failed
}

/// Runs the benchmark and prints the report on stdout, as JSON with `--json`, else as text.
pub async fn run_and_print(args: BenchArgs) -> anyhow::Result<BenchReport> {
    let json = args.json;
    let report = run(args).await?;
    if json {
        println!("{}", report.to_json());
    } else {
        report.print_text();
    }
    Ok(report)
}
