//! Starting, signalling and stopping the members' `zoorepld` processes.
//!
//! Signals go through the `kill` command, so this crate needs neither `libc` nor `unsafe`.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write as _;
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use zoorepl_core::ids::ServerId;

use super::pidfile::{remove_pid, running_pid, write_pid};
use super::{layout, LocalEnsemble, Member};

/// How long [`LocalEnsemble::stop`] waits after SIGTERM before it sends SIGKILL.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a process may take to vanish after SIGKILL before we call it stuck.
const KILL_WAIT: Duration = Duration::from_secs(5);
/// How often a waiting loop looks again.
const POLL: Duration = Duration::from_millis(50);

/// Servers being waited for, each with its pid.
type Pids = Vec<(ServerId, u32)>;

/// What stopping one server did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopOutcome {
    /// No server was running.
    NotRunning,
    /// The server exited after SIGTERM.
    Terminated {
        /// Its pid.
        pid: u32,
    },
    /// The server outlived the SIGTERM timeout and was killed with SIGKILL.
    Killed {
        /// Its pid.
        pid: u32,
    },
}

impl LocalEnsemble {
    /// Starts every member that is not running, after checking that all their ports are free.
    /// Returns the started members and their pids.
    ///
    /// # Errors
    /// A port in use, no `zoorepld` binary, or a process that cannot be spawned.
    pub fn start_all(&self) -> anyhow::Result<Vec<(ServerId, u32)>> {
        let stopped: Vec<ServerId> = self
            .members
            .iter()
            .filter(|m| !self.is_running(m.id))
            .map(|m| m.id)
            .collect();
        for &id in &stopped {
            check_ports_free(self.member_or_err(id)?)?;
        }
        stopped
            .into_iter()
            .map(|id| self.start(id).map(|pid| (id, pid)))
            .collect()
    }

    /// Starts one member's `zoorepld` in its own process group, appending its output to
    /// `zoorepld.log` and writing `zoorepld.pid`. Returns the pid. It does not wait for the
    /// server to answer (see [`LocalEnsemble::wait_serving`]).
    ///
    /// # Errors
    /// An unknown id, a server already running, no `zoorepld` binary, or a spawn failure.
    pub fn start(&self, id: ServerId) -> anyhow::Result<u32> {
        let m = self.member_or_err(id)?;
        if let Some(pid) = self.pid(id) {
            bail!("server {} is already running (pid {pid})", id.0);
        }
        let binary = self.zoorepld_path()?;
        let log_path = m.log_path();
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .with_context(|| format!("opening {}", log_path.display()))?;
        writeln!(log, "--- zoorepl ensemble: starting server {} ---", id.0)
            .with_context(|| format!("writing {}", log_path.display()))?;
        let err_log = log.try_clone().context("duplicating the log file handle")?;
        let mut child = Command::new(&binary)
            .arg(m.config_path())
            .current_dir(&m.dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err_log)
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {} for server {}", binary.display(), id.0))?;
        let pid = child.id();
        if let Err(e) = write_pid(m, pid) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(e);
        }
        self.lock_children().insert(id, child);
        Ok(pid)
    }

    /// Stops a member ([`LocalEnsemble::stop`]) and starts it again.
    ///
    /// # Errors
    /// As [`LocalEnsemble::stop`] and [`LocalEnsemble::start`].
    pub fn restart(&self, id: ServerId) -> anyhow::Result<u32> {
        self.stop(id)?;
        self.start(id)
    }

    /// SIGTERM, then SIGKILL when the server is still there after [`STOP_TIMEOUT`].
    ///
    /// # Errors
    /// An unknown id, or a process that survives SIGKILL.
    pub fn stop(&self, id: ServerId) -> anyhow::Result<StopOutcome> {
        self.stop_with_timeout(id, STOP_TIMEOUT)
    }

    /// [`LocalEnsemble::stop`] with its own SIGTERM timeout.
    ///
    /// # Errors
    /// As [`LocalEnsemble::stop`].
    pub fn stop_with_timeout(
        &self,
        id: ServerId,
        timeout: Duration,
    ) -> anyhow::Result<StopOutcome> {
        let outcomes = self.terminate(&[id], timeout)?;
        Ok(outcomes
            .into_iter()
            .next()
            .map_or(StopOutcome::NotRunning, |(_, o)| o))
    }

    /// Stops every member at once: SIGTERM to all, SIGKILL to those left after `timeout`.
    ///
    /// # Errors
    /// A process that survives SIGKILL.
    pub fn stop_all(&self, timeout: Duration) -> anyhow::Result<Vec<(ServerId, StopOutcome)>> {
        self.terminate(&self.ids(), timeout)
    }

    fn terminate(
        &self,
        ids: &[ServerId],
        timeout: Duration,
    ) -> anyhow::Result<Vec<(ServerId, StopOutcome)>> {
        let mut outcomes = BTreeMap::new();
        let mut pending = Vec::new();
        for &id in ids {
            let m = self.member_or_err(id)?;
            match self.pid(id) {
                None => {
                    remove_pid(m);
                    outcomes.insert(id, StopOutcome::NotRunning);
                }
                Some(pid) => {
                    self.signal(id, pid, "TERM")?;
                    pending.push((id, pid));
                }
            }
        }
        let (exited, stubborn) = self.wait_gone(pending, timeout);
        for (id, pid) in exited {
            outcomes.insert(id, StopOutcome::Terminated { pid });
        }
        for &(id, pid) in &stubborn {
            self.signal(id, pid, "KILL")?;
            outcomes.insert(id, StopOutcome::Killed { pid });
        }
        let (_, stuck) = self.wait_gone(stubborn, KILL_WAIT);
        if let Some((id, pid)) = stuck.first() {
            bail!("server {} (pid {pid}) is still there after SIGKILL", id.0);
        }
        for &id in ids {
            remove_pid(self.member_or_err(id)?);
        }
        Ok(outcomes.into_iter().collect())
    }

    /// Waits up to `timeout` for the processes to go; returns (gone, still there).
    fn wait_gone(&self, mut pending: Pids, timeout: Duration) -> (Pids, Pids) {
        let deadline = Instant::now() + timeout;
        let mut gone = Vec::new();
        loop {
            let (now_gone, left): (Vec<_>, Vec<_>) = pending
                .into_iter()
                .partition(|&(id, _)| !self.is_running(id));
            gone.extend(now_gone);
            pending = left;
            if pending.is_empty() || Instant::now() >= deadline {
                return (gone, pending);
            }
            std::thread::sleep(POLL);
        }
    }

    /// SIGKILL: the server gets no chance to flush anything. Returns whether it was running.
    ///
    /// # Errors
    /// An unknown id, or a process that survives SIGKILL.
    pub fn kill9(&self, id: ServerId) -> anyhow::Result<bool> {
        let m = self.member_or_err(id)?;
        let Some(pid) = self.pid(id) else {
            return Ok(false);
        };
        self.signal(id, pid, "KILL")?;
        let (_, stuck) = self.wait_gone(vec![(id, pid)], KILL_WAIT);
        if !stuck.is_empty() {
            bail!("server {} (pid {pid}) is still there after SIGKILL", id.0);
        }
        remove_pid(m);
        Ok(true)
    }

    /// Deletes everything in a stopped member's data directory except `myid` (rewritten if it
    /// was missing), so the server comes back empty and must sync from the others.
    ///
    /// # Errors
    /// An unknown id, a running server, or a file that cannot be removed.
    pub fn wipe(&self, id: ServerId) -> anyhow::Result<()> {
        let m = self.member_or_err(id)?;
        if let Some(pid) = self.pid(id) {
            bail!(
                "server {} is running (pid {pid}); stop it before wiping its data",
                id.0
            );
        }
        let data = m.data_dir();
        std::fs::create_dir_all(&data).with_context(|| format!("creating {}", data.display()))?;
        let entries =
            std::fs::read_dir(&data).with_context(|| format!("listing {}", data.display()))?;
        for entry in entries {
            let path = entry
                .with_context(|| format!("listing {}", data.display()))?
                .path();
            if path.file_name().is_some_and(|n| n == "myid") {
                continue;
            }
            let is_dir = std::fs::symlink_metadata(&path).is_ok_and(|md| md.is_dir());
            if is_dir {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            }
            .with_context(|| format!("removing {}", path.display()))?;
        }
        layout::write_myid(m)
    }

    /// Whether the member's server process is alive.
    #[must_use]
    pub fn is_running(&self, id: ServerId) -> bool {
        self.pid(id).is_some()
    }

    /// The pid of the member's running server (from its pid file, checked against the live
    /// process), or `None`.
    #[must_use]
    pub fn pid(&self, id: ServerId) -> Option<u32> {
        let m = self.member(id)?;
        self.reap(id);
        running_pid(&m.dir)
    }

    /// Collects the exit status of a child of ours that has ended, so it leaves no zombie.
    fn reap(&self, id: ServerId) {
        let mut children = self.lock_children();
        if let Some(child) = children.get_mut(&id) {
            if !matches!(child.try_wait(), Ok(None)) {
                children.remove(&id);
            }
        }
    }

    /// Sends `SIGsig`; a process that is gone by then is not an error.
    fn signal(&self, id: ServerId, pid: u32, sig: &str) -> anyhow::Result<()> {
        assert!(pid > 1, "pid {pid} would signal a process group or init");
        let out = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(pid.to_string())
            .stdin(Stdio::null())
            .output()
            .context("running `kill`")?;
        if !out.status.success() && self.is_running(id) {
            bail!(
                "kill -{sig} {pid} (server {}) failed: {}",
                id.0,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    }

    /// The `zoorepld` to run: the one given, or the one next to the current executable.
    fn zoorepld_path(&self) -> anyhow::Result<PathBuf> {
        let path = match &self.zoorepld {
            Some(path) => path.clone(),
            None => std::env::current_exe()
                .context("finding the current executable")?
                .with_file_name("zoorepld"),
        };
        if !path.is_file() {
            bail!(
                "no zoorepld binary at {} (build it with `cargo build -p zoorepl`, or name \
                 another with --zoorepld)",
                path.display()
            );
        }
        // Absolute, because the server starts in its member directory.
        std::fs::canonicalize(&path).with_context(|| format!("resolving {}", path.display()))
    }
}

/// Fails naming the port and its use when one of the member's ports cannot be bound.
fn check_ports_free(m: &Member) -> anyhow::Result<()> {
    let uses = [
        (m.client_port, "client"),
        (m.quorum_port, "quorum"),
        (m.election_port, "election"),
    ];
    for (port, what) in uses {
        TcpListener::bind((Ipv4Addr::LOCALHOST, port)).with_context(|| {
            format!(
                "port {port} (the {what} port of server {}) is in use on 127.0.0.1",
                m.id.0
            )
        })?;
    }
    Ok(())
}
