//! `zoorepl sim`: runs the deterministic core simulator (`zoorepl-sim`) over a range of seeds
//! with a progress line, or one seed with its event trace.

use std::io::Write;
use std::ops::Range;
use std::time::Instant;

use anyhow::Context;
use zoorepl_core::zab::PlantedBug;
use zoorepl_jepsen::HistoryWriter;
use zoorepl_sim::{run_seed, FaultLevel, SeedOutcome, SimOptions};

/// Arguments of `zoorepl sim`.
#[derive(clap::Args, Debug)]
pub struct SimArgs {
    /// Seeds to run, `A..B` (B excluded).
    #[arg(long, value_parser = parse_range, conflicts_with = "seed")]
    pub seeds: Option<Range<u64>>,
    /// One seed to run (with `--trace`, print its events).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Voting servers (1 = one standalone server).
    #[arg(long, default_value_t = 1)]
    pub nodes: usize,
    /// Observers (ensemble only).
    #[arg(long, default_value_t = 0)]
    pub observers: usize,
    /// Publishers (ensemble only): non-voters that sync and learn every commit.
    #[arg(long, default_value_t = 0)]
    pub publishers: usize,
    /// Fault level: none, default or heavy.
    #[arg(long, default_value = "default")]
    pub faults: FaultLevel,
    /// Clients (drawn from the seed when absent).
    #[arg(long)]
    pub clients: Option<usize>,
    /// Length of the safety phase in simulated ms (drawn when absent).
    #[arg(long)]
    pub safety_ms: Option<u64>,
    /// Print every event of the run (one seed).
    #[arg(long)]
    pub trace: bool,
    /// Write the client history of the run as JSON lines (one seed).
    #[arg(long, value_name = "FILE")]
    pub history: Option<std::path::PathBuf>,
    /// Plant this ZAB bug in every server (needs a build with `--features planted-bugs`):
    /// ack-before-fsync, diff-without-trunc, apply-uncommitted-on-election,
    /// epoch-persisted-late, zxid-reuse, count-foreign-acks, local-sync, follower-expiry.
    #[arg(long, value_parser = parse_bug)]
    pub planted: Option<PlantedBug>,
    /// For each planted bug (or the one given with `--planted`), count the seeds needed to
    /// find it in several seed ranges and print the table (needs `--features planted-bugs`).
    #[arg(long)]
    pub hunt: bool,
    /// With `--hunt`: how many seed ranges (range k starts at k × 1,000,000).
    #[arg(long, default_value_t = 5)]
    pub hunt_ranges: u64,
    /// With `--hunt`: give up on a range after this many seeds.
    #[arg(long, default_value_t = 10_000)]
    pub hunt_max: u64,
    /// Skip the end-of-run zxid-witness check.
    #[arg(long)]
    pub no_witness: bool,
}

fn parse_bug(s: &str) -> Result<PlantedBug, String> {
    PlantedBug::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = PlantedBug::ALL.iter().map(|b| b.name()).collect();
        format!("unknown bug {s}; one of {}", names.join(", "))
    })
}

fn parse_range(s: &str) -> Result<Range<u64>, String> {
    let (a, b) = s.split_once("..").ok_or("expected A..B")?;
    let a: u64 = a.parse().map_err(|e| format!("{a}: {e}"))?;
    let b: u64 = b.parse().map_err(|e| format!("{b}: {e}"))?;
    if a >= b {
        return Err(format!("empty range {a}..{b}"));
    }
    Ok(a..b)
}

impl SimArgs {
    fn options(&self) -> SimOptions {
        SimOptions {
            nodes: self.nodes,
            observers: self.observers,
            publishers: self.publishers,
            faults: self.faults,
            clients: self.clients,
            safety_ms: self.safety_ms,
            trace: self.trace,
            keep_history: self.history.is_some(),
            zab_bug: self.planted,
            witness: !self.no_witness,
            ..SimOptions::default()
        }
    }
}

/// Runs the command; returns the number of failing seeds.
///
/// # Errors
/// When neither `--seed` nor `--seeds` is given, or the history cannot be written.
pub fn run(args: &SimArgs) -> anyhow::Result<usize> {
    let opts = args.options();
    if (args.planted.is_some() || args.hunt) && !cfg!(feature = "planted-bugs") {
        anyhow::bail!("planted bugs are compiled out: build with --features planted-bugs");
    }
    if args.hunt {
        anyhow::ensure!(
            args.nodes >= 3,
            "--hunt needs an ensemble: --nodes 3 or more"
        );
        return Ok(crate::sim_hunt::hunt(args, &opts));
    }
    if let Some(seed) = args.seed {
        let outcome = run_seed(seed, &opts);
        print_one(&outcome, args)?;
        return Ok(usize::from(!outcome.failures.is_empty()));
    }
    let range = args
        .seeds
        .clone()
        .context("give --seed S or --seeds A..B")?;
    Ok(run_range(range, &opts))
}

fn print_one(outcome: &SeedOutcome, args: &SimArgs) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    for line in &outcome.trace {
        writeln!(out, "{line}")?;
    }
    writeln!(out, "seed {} faults: {}", outcome.seed, outcome.faults)?;
    writeln!(out, "stats: {:?}", outcome.stats)?;
    if let Some(w) = &outcome.witness {
        let r = &w.report;
        writeln!(
            out,
            "witness: {} writes, {} reads, {} events checked, {} violations",
            r.writes_checked,
            r.reads_checked,
            r.events_checked,
            r.violations.len()
        )?;
    }
    for f in &outcome.failures {
        writeln!(out, "FAILED {f}")?;
    }
    writeln!(out, "trace hash: {:#018x}", outcome.trace_hash)?;
    if let (Some(path), Some(history)) = (&args.history, &outcome.history) {
        let file =
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let mut writer = HistoryWriter::new(std::io::BufWriter::new(file));
        for event in history.to_jepsen() {
            writer.write(&event)?;
        }
        writer.finish()?;
        writeln!(out, "history: {}", path.display())?;
    }
    Ok(())
}

fn run_range(range: Range<u64>, opts: &SimOptions) -> usize {
    let start = Instant::now();
    let total = range.end - range.start;
    let mut failed = 0usize;
    let mut last_progress = start;
    for (done, seed) in range.enumerate() {
        let outcome = run_seed(seed, opts);
        if !outcome.failures.is_empty() {
            failed += 1;
            eprintln!();
            println!("seed {seed} FAILED (faults: {})", outcome.faults);
            for f in &outcome.failures {
                println!("  {f}");
            }
        }
        if last_progress.elapsed().as_millis() >= 250 || done as u64 + 1 == total {
            last_progress = Instant::now();
            let secs = start.elapsed().as_secs_f64().max(1e-9);
            eprint!(
                "\rseeds {}/{total}  {:.1} seeds/s  failures {failed}   ",
                done + 1,
                (done + 1) as f64 / secs
            );
        }
    }
    eprintln!();
    failed
}
