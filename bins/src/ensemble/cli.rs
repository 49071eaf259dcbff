//! `zoorepl ensemble start|stop|status`: a local ensemble from the command line. Progress goes
//! to stderr; results (roles, the connect string, what was stopped) go to stdout.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use zoorepl_core::ids::ServerId;

use super::{EnsembleOptions, LocalEnsemble, MemberState, PortChoice, StopOutcome, STOP_TIMEOUT};

/// Arguments of `zoorepl ensemble`.
#[derive(clap::Args, Debug)]
pub struct EnsembleArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: EnsembleAction,
}

/// The `zoorepl ensemble` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum EnsembleAction {
    /// Lay out a local ensemble on 127.0.0.1, start every server, wait until it serves.
    Start(StartArgs),
    /// Stop every server of a local ensemble (SIGTERM, then SIGKILL after a timeout).
    Stop(StopArgs),
    /// Show each server's pid, whether it runs, and its mode.
    Status(StatusArgs),
    /// Start one stopped server of a laid-out ensemble (e.g. after a kill -9) and wait until
    /// every running server serves.
    StartOne(StartOneArgs),
}

/// Arguments of `zoorepl ensemble start`.
#[derive(clap::Args, Debug)]
pub struct StartArgs {
    /// Voting servers (ids 1..=N).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=126))]
    pub servers: u64,
    /// Observers (the ids after the voters).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=125))]
    pub observers: u64,
    /// The ensemble's directory (server-N/zoo.cfg, data, logs and pid files).
    #[arg(long, default_value = "./zoorepl-ensemble")]
    pub dir: PathBuf,
    /// Client port of server 1; server N uses this + N - 1.
    #[arg(long, default_value_t = 2181, value_parser = clap::value_parser!(u16).range(1..))]
    pub client_port: u16,
    /// Quorum port of server 1; server N uses this + N - 1.
    #[arg(long, default_value_t = 2888, value_parser = clap::value_parser!(u16).range(1..))]
    pub quorum_port: u16,
    /// Election port of server 1; server N uses this + N - 1.
    #[arg(long, default_value_t = 3888, value_parser = clap::value_parser!(u16).range(1..))]
    pub election_port: u16,
    /// `tickTime`, ms.
    #[arg(
        long,
        default_value_t = 2000,
        value_parser = clap::value_parser!(u32).range(1..=600_000)
    )]
    pub tick_ms: u32,
    /// Give up waiting for the ensemble to serve after this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub timeout: u64,
    /// The zoorepld binary (default: the one next to this zoorepl).
    #[arg(long, value_name = "PATH")]
    pub zoorepld: Option<PathBuf>,
    /// One more line for every server's zoo.cfg (repeatable), e.g. `maxClientCnxns=200`.
    #[arg(long, value_name = "KEY=VALUE", value_parser = super::extra_config::parse_key_value)]
    pub extra_config: Vec<(String, String)>,
}

/// Arguments of `zoorepl ensemble stop`.
#[derive(clap::Args, Debug)]
pub struct StopArgs {
    /// The ensemble's directory.
    #[arg(long, default_value = "./zoorepl-ensemble")]
    pub dir: PathBuf,
    /// Seconds between SIGTERM and SIGKILL.
    #[arg(long, value_name = "SECS", default_value_t = STOP_TIMEOUT.as_secs())]
    pub timeout: u64,
}

/// Arguments of `zoorepl ensemble status`.
#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// The ensemble's directory.
    #[arg(long, default_value = "./zoorepl-ensemble")]
    pub dir: PathBuf,
}

/// Arguments of `zoorepl ensemble start-one`.
#[derive(clap::Args, Debug)]
pub struct StartOneArgs {
    /// The ensemble's directory.
    #[arg(long, default_value = "./zoorepl-ensemble")]
    pub dir: PathBuf,
    /// The server's id (N of `server-N`).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=126))]
    pub id: u64,
    /// Give up waiting for the ensemble to serve after this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub timeout: u64,
    /// The zoorepld binary (default: the one next to this zoorepl).
    #[arg(long, value_name = "PATH")]
    pub zoorepld: Option<PathBuf>,
}

/// Runs one `zoorepl ensemble` subcommand.
///
/// # Errors
/// Bad input, a directory that cannot be used, servers that do not come up (with the end of
/// the log of one that exited).
pub fn run(args: &EnsembleArgs) -> anyhow::Result<()> {
    match &args.action {
        EnsembleAction::Start(start_args) => start(start_args),
        EnsembleAction::Stop(stop_args) => stop(stop_args),
        EnsembleAction::Status(status_args) => status(status_args),
        EnsembleAction::StartOne(one_args) => start_one(one_args),
    }
}

fn start(args: &StartArgs) -> anyhow::Result<()> {
    let options = EnsembleOptions {
        servers: usize::try_from(args.servers).unwrap_or(usize::MAX),
        observers: usize::try_from(args.observers).unwrap_or(usize::MAX),
        ports: PortChoice::Bases {
            client: args.client_port,
            quorum: args.quorum_port,
            election: args.election_port,
        },
        tick_ms: args.tick_ms,
        zoorepld: args.zoorepld.clone(),
        extra_config: args.extra_config.clone(),
    };
    let ensemble = LocalEnsemble::create(&args.dir, &options)
        .with_context(|| format!("laying out an ensemble in {}", args.dir.display()))?;
    eprintln!(
        "zoorepl ensemble: {} and {} laid out in {}",
        count(options.servers, "voter"),
        count(options.observers, "observer"),
        ensemble.dir().display()
    );
    // On an error here the handle is dropped undetached, which kills what it started.
    for (id, pid) in ensemble.start_all()? {
        let log = ensemble
            .member(id)
            .map(|m| m.log_path().display().to_string())
            .unwrap_or_default();
        eprintln!("server {}: started, pid {pid} (log {log})", id.0);
    }
    let timeout = Duration::from_secs(args.timeout);
    eprintln!("waiting up to {}s for the ensemble to serve", args.timeout);
    let mut report = |id: ServerId, state: &MemberState| match state {
        MemberState::Starting => {}
        MemberState::Serving(mode) => eprintln!("server {}: up, {mode}", id.0),
        MemberState::Stopped => eprintln!("server {}: exited", id.0),
        other => eprintln!("server {}: {other}", id.0),
    };
    match ensemble.wait_serving_with(timeout, &mut report) {
        Ok(_) => {
            print_members(&ensemble)?;
            ensemble.detach();
            Ok(())
        }
        Err(e) => Err(start_failed(&ensemble, e)),
    }
}

/// `1 voter`, `3 voters`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// When a server exited, stops the rest (the ensemble cannot come up as laid out); on a plain
/// timeout, leaves them running for the user to inspect.
fn start_failed(ensemble: &LocalEnsemble, error: anyhow::Error) -> anyhow::Error {
    let dir = ensemble.dir().display();
    let exited = ensemble.ids().iter().any(|&id| !ensemble.is_running(id));
    if exited {
        return match ensemble.stop_all(STOP_TIMEOUT) {
            Ok(_) => error.context(format!(
                "the ensemble in {dir} did not come up; its other servers were stopped"
            )),
            Err(stop_error) => error.context(format!(
                "the ensemble in {dir} did not come up, and stopping the rest failed: \
                 {stop_error:#}"
            )),
        };
    }
    ensemble.detach();
    error.context(format!(
        "the servers in {dir} are still running: see `zoorepl ensemble status --dir {dir}`, \
         stop them with `zoorepl ensemble stop --dir {dir}`"
    ))
}

/// One line per member (id, kind, mode, client address, pid) and the connect string.
fn print_members(ensemble: &LocalEnsemble) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "ensemble in {}:", ensemble.dir().display())?;
    for m in ensemble.members() {
        let state = ensemble.state(m.id);
        let pid = ensemble
            .pid(m.id)
            .map_or_else(|| "-".to_owned(), |pid| pid.to_string());
        writeln!(
            out,
            "  server {:<3} {:<8}  {:<15}  pid {pid:<8}  {state}",
            m.id.0,
            m.kind.as_str(),
            m.client_addr().to_string(),
        )?;
    }
    writeln!(out, "connect string: {}", ensemble.connect_string())?;
    Ok(())
}

fn stop(args: &StopArgs) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if !LocalEnsemble::exists_in(&args.dir) {
        writeln!(
            out,
            "nothing to stop: {} holds no zoorepl ensemble",
            args.dir.display()
        )?;
        return Ok(());
    }
    let ensemble = LocalEnsemble::open(&args.dir)?;
    let outcomes = ensemble.stop_all(Duration::from_secs(args.timeout))?;
    for (id, outcome) in &outcomes {
        let what = match outcome {
            StopOutcome::NotRunning => "not running".to_owned(),
            StopOutcome::Terminated { pid } => format!("stopped (pid {pid})"),
            StopOutcome::Killed { pid } => format!(
                "killed with SIGKILL after ignoring SIGTERM for {}s (pid {pid})",
                args.timeout
            ),
        };
        writeln!(out, "server {}: {what}", id.0)?;
    }
    if outcomes.iter().all(|(_, o)| *o == StopOutcome::NotRunning) {
        writeln!(out, "no server of {} was running", ensemble.dir().display())?;
    }
    Ok(())
}

fn status(args: &StatusArgs) -> anyhow::Result<()> {
    let ensemble = LocalEnsemble::open(&args.dir)?;
    print_members(&ensemble)
}

fn start_one(args: &StartOneArgs) -> anyhow::Result<()> {
    let mut ensemble = LocalEnsemble::open(&args.dir)?;
    if let Some(path) = &args.zoorepld {
        ensemble.set_zoorepld(path.clone());
    }
    let id = ServerId(args.id);
    let pid = ensemble.start(id)?;
    eprintln!("server {}: started, pid {pid}", id.0);
    // Whatever happens next, the server stays up for the user to inspect or stop.
    ensemble.detach();
    ensemble
        .wait_serving(Duration::from_secs(args.timeout))
        .with_context(|| {
            let dir = ensemble.dir().display();
            format!(
                "server {} of {dir} did not serve (see `zoorepl ensemble status --dir {dir}`)",
                id.0
            )
        })?;
    print_members(&ensemble)
}
