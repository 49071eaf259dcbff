//! `zoorepl bench failover`: how long a client cannot write when the leader dies.
//!
//! Each round waits until every server of `--server` answers `srvr` with a mode and one of them
//! is the leader, runs a writer (one session over the whole connect string, creating znodes one
//! after another) for `--steady` seconds, then sends SIGKILL to the leader, whose pid is read
//! from the `--pid-file` template. The round's figure is the time from the kill (the moment
//! `kill -9` returned) to the success of the first create issued after it: a create in flight
//! at the kill may have reached the old leader, so it does not count. The writer's session is
//! the same one throughout unless the ensemble let it expire (then a new one is opened and the
//! round reports the session lost). Alongside, the surviving servers are polled with `srvr`
//! every 10 ms; the first `Mode: leader` among them gives the ensemble's part of the gap, free
//! of the client library's reconnect back-off. Then `--restart-cmd` brings the killed server
//! back, and the next round begins once all of them serve again.
//!
//! Nothing here depends on the implementation: the pid files and the restart command are the
//! only inputs that name one, so the same client code measures zoorepld and Apache ZooKeeper.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use tokio::sync::mpsc;
use zookeeper_client::{Acls, Client, CreateMode, Error};

use super::failover_report::{FailoverReport, RoundReport};
use super::worker::{for_each_path, PathOp};
use super::{process, srvr};

/// Options of `zoorepl bench failover`.
#[derive(Debug, Clone, clap::Args)]
pub struct FailoverArgs {
    /// The whole ensemble: `host:port,host:port,...` (client ports, answering `srvr`).
    #[arg(long, default_value = crate::cli::DEFAULT_SERVER)]
    pub server: String,
    /// Pid file of a server; `{id}` stands for its position in `--server`, from 1 (e.g.
    /// `ens/server-{id}/zoorepld.pid`).
    #[arg(long, value_name = "TEMPLATE")]
    pub pid_file: String,
    /// Shell command (run with `sh -c`) that starts a killed server again; `{id}` as in
    /// `--pid-file`. It may return before the server serves: the next round waits for that.
    #[arg(long, value_name = "TEMPLATE")]
    pub restart_cmd: String,
    /// Number of kills.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub rounds: u32,
    /// Seconds of writes before each kill.
    #[arg(long, default_value_t = 1.0)]
    pub steady: f64,
    /// Seconds a round may wait for a write after the kill, and for the ensemble to serve
    /// again after the restart.
    #[arg(long, default_value_t = 60.0)]
    pub timeout: f64,
    /// Parent znode of the writer's znodes; removed at the end.
    #[arg(long, default_value = "/zoorepl-failover")]
    pub root: String,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

impl FailoverArgs {
    fn servers(&self) -> anyhow::Result<Vec<String>> {
        let servers: Vec<String> = self.server.split(',').map(str::to_owned).collect();
        if servers.len() < 2 || servers.iter().any(|s| !s.contains(':')) {
            bail!("--server must list every server of the ensemble as host:port,host:port,...");
        }
        if !self.pid_file.contains("{id}") {
            bail!("--pid-file must contain {{id}}: each server has its own pid file");
        }
        for (what, secs) in [("--steady", self.steady), ("--timeout", self.timeout)] {
            if !(secs.is_finite() && secs > 0.0) {
                bail!("{what} must be a positive number of seconds");
            }
        }
        if !self.root.starts_with('/') || self.root.len() < 2 || self.root.ends_with('/') {
            bail!("--root must be an absolute znode path other than /");
        }
        Ok(servers)
    }
}

/// What the writer reports for each create, and when it had to open a new session.
enum WriteEvent {
    Done {
        issued: Instant,
        done: Instant,
        ok: bool,
    },
    NewSession,
}

/// One session creating `root/wNNN...` one at a time; kept across rounds.
struct Writer {
    client: Client,
    connect: String,
    root: String,
    next: u64,
}

impl Writer {
    /// Writes until `stop`, reporting every create; returns itself for the next round.
    async fn run(
        mut self,
        stop: Arc<AtomicBool>,
        events: mpsc::UnboundedSender<WriteEvent>,
    ) -> Self {
        let options = CreateMode::Persistent.with_acls(Acls::anyone_all());
        while !stop.load(Ordering::Relaxed) {
            let path = format!("{}/w{:012}", self.root, self.next);
            self.next += 1;
            let issued = Instant::now();
            let result = self.client.create(&path, b"failover", &options).await;
            let done = Instant::now();
            let ok = result.is_ok();
            let _ = events.send(WriteEvent::Done { issued, done, ok });
            if ok {
                continue;
            }
            if self.client.state().is_terminated() {
                // Expired (or closed): this session is gone for good.
                self.reconnect(&stop).await;
                let _ = events.send(WriteEvent::NewSession);
            } else {
                // No spinning while every request fails at once.
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        self
    }

    async fn reconnect(&mut self, stop: &AtomicBool) {
        while !stop.load(Ordering::Relaxed) {
            match crate::cli::connect_client(&self.connect).await {
                Ok(client) => {
                    self.client = client;
                    return;
                }
                Err(err) => {
                    eprintln!("failover: new session failed ({err:#}); trying again");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
    }
}

/// How long the `srvr` poller may go on after the first write following a kill.
const LEADER_GRACE: Duration = Duration::from_secs(5);

/// The fixed inputs of every round.
struct Setup {
    args: FailoverArgs,
    servers: Vec<String>,
    timeout: Duration,
}

/// Runs every round and cleans up; returns the report. The tokio runtime must be running.
///
/// # Errors
/// Bad options, an ensemble that does not serve, a pid file that names no live process, a
/// restart command that fails, or no write within `--timeout` of a kill.
pub async fn run(args: FailoverArgs) -> anyhow::Result<FailoverReport> {
    let servers = args.servers()?;
    let setup = Setup {
        timeout: Duration::from_secs_f64(args.timeout),
        servers,
        args,
    };
    srvr::wait_ready(&setup.servers, setup.timeout).await?;
    let client = crate::cli::connect_client(&setup.args.server).await?;
    ensure_root(&client, &setup.args.root).await?;
    let mut writer = Writer {
        client,
        connect: setup.args.server.clone(),
        root: setup.args.root.clone(),
        next: 0,
    };
    let mut rounds = Vec::new();
    for round in 1..=setup.args.rounds {
        let (report, back) = one_round(&setup, round, writer).await?;
        writer = back;
        rounds.push(report);
    }
    cleanup(&writer.client, &setup.args.root).await;
    Ok(FailoverReport::new(setup.args.server.clone(), rounds))
}

async fn ensure_root(client: &Client, root: &str) -> anyhow::Result<()> {
    let options = CreateMode::Persistent.with_acls(Acls::anyone_all());
    let mut parent = String::new();
    for part in root.split('/').skip(1) {
        parent = format!("{parent}/{part}");
        match client.create(&parent, &[], &options).await {
            Ok(_) | Err(Error::NodeExists) => {}
            Err(err) => bail!("cannot create {parent}: {err}"),
        }
    }
    Ok(())
}

/// One kill and the restart after it.
async fn one_round(
    setup: &Setup,
    round: u32,
    writer: Writer,
) -> anyhow::Result<(RoundReport, Writer)> {
    let total = setup.args.rounds;
    let leader = srvr::wait_ready(&setup.servers, setup.timeout).await?;
    let n = leader + 1;
    let pid = process::read_pid(&setup.args.pid_file.replace("{id}", &n.to_string()))?;
    let addr = setup.servers[leader].clone();
    eprintln!("failover: round {round}/{total}: server {n} ({addr}, pid {pid}) leads; writing");
    let stop = Arc::new(AtomicBool::new(false));
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let writing = tokio::spawn(writer.run(stop.clone(), events_tx));
    let before = count_steady(&mut events, setup).await;
    let killed_at = process::kill9(pid).await?;
    eprintln!("failover: round {round}/{total}: kill -9 {pid} after {before} writes");
    let survivors: Vec<String> = (0..setup.servers.len())
        .filter(|&i| i != leader)
        .map(|i| setup.servers[i].clone())
        .collect();
    let mut poller = tokio::spawn(srvr::first_leader(survivors, killed_at + setup.timeout));
    let after = first_write_after(&mut events, killed_at, setup.timeout).await;
    stop.store(true, Ordering::Relaxed);
    let writer = writing.await.context("failover writer panicked")?;
    let (first_ok, failed, kept) = after?;
    // A write needs a leader, so the poller should have seen one by now; give it a little
    // longer (it asks every 10 ms) and then report none rather than wait out the timeout.
    let leader_at = match tokio::time::timeout(LEADER_GRACE, &mut poller).await {
        Ok(found) => found.context("srvr poller panicked")?,
        Err(_) => {
            poller.abort();
            None
        }
    };
    if srvr::mode(&addr).await.is_some() {
        bail!(
            "{addr} still answers after kill -9 of pid {pid}: does --pid-file name the right file?"
        );
    }
    let report = RoundReport {
        round,
        killed_server: n,
        killed_addr: addr,
        pid,
        writes_before_kill: before,
        write_gap_ms: ms(first_ok - killed_at),
        leader_gap_ms: leader_at.map(|at| ms(at.saturating_duration_since(killed_at))),
        session_kept: kept,
        failed_writes: failed,
        back_ms: 0.0,
    };
    eprintln!("failover: round {round}/{total}: {}", report.describe());
    let back_ms = restart(setup, n).await?;
    eprintln!(
        "failover: round {round}/{total}: all servers serve {back_ms:.0} ms after the restart"
    );
    Ok((RoundReport { back_ms, ..report }, writer))
}

/// Waits `--steady` seconds and at least one successful write; returns the successes.
async fn count_steady(events: &mut mpsc::UnboundedReceiver<WriteEvent>, setup: &Setup) -> u64 {
    let until = Instant::now() + Duration::from_secs_f64(setup.args.steady);
    let mut ok = 0;
    loop {
        let now = Instant::now();
        if now >= until && ok > 0 {
            return ok;
        }
        let wait = until
            .saturating_duration_since(now)
            .max(Duration::from_millis(10));
        match tokio::time::timeout(wait, events.recv()).await {
            Ok(Some(WriteEvent::Done { ok: true, .. })) => ok += 1,
            Ok(None) => return ok, // The writer is gone; the wait after the kill says so.
            _ => {}
        }
    }
}

/// The success of the first create issued at or after `killed_at`, the failures seen after the
/// kill, and whether the session was the same throughout.
async fn first_write_after(
    events: &mut mpsc::UnboundedReceiver<WriteEvent>,
    killed_at: Instant,
    timeout: Duration,
) -> anyhow::Result<(Instant, u64, bool)> {
    let deadline = tokio::time::Instant::from_std(killed_at + timeout);
    let (mut failed, mut kept) = (0, true);
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .with_context(|| format!("no write succeeded within {timeout:.0?} of the kill"))?
            .context("the writer stopped")?;
        match event {
            WriteEvent::Done {
                issued,
                done,
                ok: true,
            } if issued >= killed_at => {
                return Ok((done, failed, kept));
            }
            WriteEvent::Done {
                done, ok: false, ..
            } if done >= killed_at => failed += 1,
            WriteEvent::Done { .. } => {}
            WriteEvent::NewSession => kept = false,
        }
    }
}

/// Runs the restart command for server `n`, then waits until every server serves; returns the
/// milliseconds from the command's start to then.
async fn restart(setup: &Setup, n: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    process::run_shell(setup.args.restart_cmd.replace("{id}", &n.to_string())).await?;
    srvr::wait_ready(&setup.servers, setup.timeout).await?;
    Ok(ms(started.elapsed()))
}

/// Deletes the writer's znodes and the root; failures are reported, not fatal.
async fn cleanup(client: &Client, root: &str) {
    let children = match client.list_children(root).await {
        Ok(children) => children,
        Err(err) => {
            eprintln!("failover: cannot list {root} for cleanup: {err}");
            return;
        }
    };
    let paths: Vec<String> = children.iter().map(|c| format!("{root}/{c}")).collect();
    let (failed, first) = for_each_path(
        std::slice::from_ref(client),
        32,
        Arc::new(paths),
        PathOp::Delete,
    )
    .await;
    if let Some(first) = first {
        eprintln!("failover: cleanup failed for {failed} znodes, e.g. {first}");
    }
    if let Err(err) = client.delete(root, None).await {
        eprintln!("failover: cannot delete {root}: {err}");
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
