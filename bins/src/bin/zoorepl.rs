//! The `zoorepl` command-line tool:
//! - with no subcommand: an interactive shell like zkCli (`zoorepl -s host:port`);
//! - zkCli's commands one-shot: `zoorepl -s host:port get /a` (exit 1 when the command fails);
//! - `bench`: a load generator over the ZooKeeper protocol; `bench failover` times a leader's
//!   kill -9 to the first write after it;
//! - `check`: checks a recorded history for linearizability (exit 0 linearizable,
//!   1 not linearizable, 2 unknown or error);
//! - `sim`: runs the deterministic simulator over seeds (exit 1 when a seed fails);
//! - `ensemble start|stop|status`: a local ensemble of `zoorepld` processes (exit 1 on error).

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use zoorepl_jepsen::formats::{read_etcd_log, read_porcupine_kv};
use zoorepl_jepsen::models::{KvMap, Register, SequentialQueue, ZnodeSet};
use zoorepl_jepsen::report::html_report;
use zoorepl_jepsen::{
    check, pair, read_jsonl, CheckOptions, Model, Operation, Progress, Stop, Verdict,
};

#[derive(Parser)]
#[command(name = "zoorepl", version, about = "zoorepl command-line tool")]
struct Cli {
    #[command(flatten)]
    shell: zoorepl::cli::ShellArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Check a history for linearizability. Exit code: 0 linearizable, 1 not, 2 unknown or error.
    Check(CheckArgs),
    /// Generate load over the ZooKeeper protocol and report throughput and latency.
    Bench(zoorepl::bench::BenchCommand),
    /// Run the deterministic simulator: `--seeds A..B`, or `--seed S --trace`.
    Sim(zoorepl::sim::SimArgs),
    /// Run a local ensemble of zoorepld processes: `ensemble start|stop|status`.
    Ensemble(zoorepl::ensemble::EnsembleArgs),
    #[command(flatten)]
    Shell(zoorepl::cli::Command),
}

#[derive(clap::Args)]
struct CheckArgs {
    /// The sequential model to check against.
    #[arg(long, value_enum)]
    model: ModelName,
    /// The history's format.
    #[arg(long, value_enum, default_value = "jsonl")]
    format: Format,
    /// Give up with "unknown" after this many seconds.
    #[arg(long, value_name = "SECS")]
    timeout: Option<f64>,
    /// Write an HTML report here.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Worker threads (default: the number of CPUs).
    #[arg(long)]
    threads: Option<usize>,
    /// The most memory the search may take, in MiB (then the verdict is unknown).
    #[arg(long, value_name = "MIB", default_value_t = 2048)]
    memory_max: usize,
    /// The history file.
    history: PathBuf,
}

#[derive(Clone, Copy, ValueEnum)]
enum ModelName {
    /// A znode's data: read, write, compare-and-set (by value or version), per key.
    Register,
    /// A string map: get, put, append, per key.
    Kv,
    /// A parent's children: create, delete, exists, children.
    Set,
    /// A sequential queue: enqueue (sequential create), dequeue (delete), children.
    Queue,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// zoorepl's JSON-lines history (see the zoorepl-jepsen README).
    Jsonl,
    /// Jepsen etcd logs (`INFO jepsen.util - <process> <type> <f> <value>`).
    Etcd,
    /// Porcupine's key-value logs (`{:process P, :type T, :f F, :key K, :value V}`).
    PorcupineKv,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let args = match cli.command {
        Some(Command::Check(args)) => args,
        Some(Command::Sim(args)) => return run_sim(&args),
        Some(Command::Ensemble(args)) => return run_ensemble(&args),
        other => return run_client(&cli.shell.server, other),
    };
    match run_check(&args) {
        Ok(Verdict::Linearizable) => ExitCode::SUCCESS,
        Ok(Verdict::NotLinearizable) => ExitCode::from(1),
        Ok(Verdict::Unknown) => ExitCode::from(2),
        Err(e) => {
            eprintln!("zoorepl check: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// The shell, one-shot commands and bench: they talk to a server.
fn run_client(server: &str, command: Option<Command>) -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("starting the tokio runtime");
    let outcome = runtime.block_on(async {
        match command {
            None => zoorepl::cli::run_shell(server).await.map(|()| 0),
            Some(Command::Shell(cmd)) => zoorepl::cli::run_one_shot(server, cmd).await,
            Some(Command::Bench(command)) => zoorepl::bench::run_command(command).await.map(|()| 0),
            Some(Command::Check(_) | Command::Sim(_) | Command::Ensemble(_)) => {
                unreachable!("handled by the caller")
            }
        }
    });
    match outcome {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            eprintln!("zoorepl: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run_sim(args: &zoorepl::sim::SimArgs) -> ExitCode {
    match zoorepl::sim::run(args) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(e) => {
            eprintln!("zoorepl sim: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run_ensemble(args: &zoorepl::ensemble::EnsembleArgs) -> ExitCode {
    match zoorepl::ensemble::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("zoorepl ensemble: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run_check(args: &CheckArgs) -> anyhow::Result<Verdict> {
    let path = &args.history;
    let input =
        BufReader::new(File::open(path).with_context(|| format!("opening {}", path.display()))?);
    let events = match args.format {
        Format::Jsonl => read_jsonl(input),
        Format::Etcd => read_etcd_log(input),
        Format::PorcupineKv => read_porcupine_kv(input),
    }
    .with_context(|| format!("reading {}", path.display()))?;
    let ops = pair(&events).with_context(|| format!("pairing {}", path.display()))?;
    match args.model {
        ModelName::Register => check_with(&Register::for_history(&ops), &ops, args),
        ModelName::Kv => check_with(&KvMap, &ops, args),
        ModelName::Set => check_with(&ZnodeSet, &ops, args),
        ModelName::Queue => check_with(&SequentialQueue, &ops, args),
    }
}

fn show_progress(p: &Progress) {
    if p.elapsed >= Duration::from_secs(1) {
        eprint!(
            "\rchecking: {}/{} partitions done, {} search steps, {:.1?}   ",
            p.partitions_done, p.partitions, p.steps, p.elapsed
        );
    }
}

fn check_with<M: Model>(model: &M, ops: &[Operation], args: &CheckArgs) -> anyhow::Result<Verdict> {
    let timeout = args
        .timeout
        .map(Duration::try_from_secs_f64)
        .transpose()
        .context("--timeout")?;
    let mut options = CheckOptions {
        timeout,
        progress: Some(&show_progress),
        memory_max_bytes: args.memory_max.saturating_mul(1 << 20),
        ..CheckOptions::default()
    };
    if let Some(threads) = args.threads {
        options.threads = threads;
    }
    let result = check(model, ops, &options)?;
    if result.elapsed >= Duration::from_secs(1) {
        eprintln!();
    }
    let mut out = std::io::stdout().lock();
    let verdict = match result.verdict {
        Verdict::Linearizable => "linearizable",
        Verdict::NotLinearizable => "NOT linearizable",
        Verdict::Unknown if result.stopped == Some(Stop::MemoryLimit) => "unknown (memory limit)",
        Verdict::Unknown => "unknown (timed out)",
    };
    writeln!(
        out,
        "{}: {verdict} ({} operations, {} partitions, {} configurations, {:.1?})",
        args.history.display(),
        ops.len(),
        result.partitions,
        result.configurations,
        result.elapsed
    )?;
    if let Some(f) = &result.failure {
        writeln!(
            out,
            "partition {:?}: op #{} `{}` cannot be linearized",
            f.key, f.failing_op, f.failing_description
        )?;
        writeln!(
            out,
            "smallest non-linearizable prefix ends at event {}",
            f.prefix_end_event
        )?;
        let involved: Vec<String> = f
            .involved
            .iter()
            .map(|(i, d)| format!("#{i} {d}"))
            .collect();
        writeln!(out, "involved: {}", involved.join("; "))?;
    }
    if let Some(report) = &args.report {
        let title = args
            .history
            .file_name()
            .map_or_else(|| "history".into(), |n| n.to_string_lossy());
        std::fs::write(report, html_report(&title, model.name(), ops, &result))
            .with_context(|| format!("writing {}", report.display()))?;
        writeln!(out, "report: {}", report.display())?;
    }
    Ok(result.verdict)
}
