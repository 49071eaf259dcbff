//! The processes `zoorepl bench failover` deals with: the leader it kills (by pid, from a pid
//! file) and the restart command it runs. Signals go through the `kill` command, as in
//! `ensemble`, so this crate needs neither `libc` nor `unsafe`.

use std::time::Instant;

use anyhow::{bail, Context as _};

/// Runs `command` with `sh -c` (off the async threads); its output is shown only if it fails.
pub(crate) async fn run_shell(command: String) -> anyhow::Result<()> {
    let (command, out) = tokio::task::spawn_blocking(move || {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(&command)
            .stdin(std::process::Stdio::null())
            .output()
            .with_context(|| format!("running `{command}`"))
            .map(|out| (command, out))
    })
    .await
    .context("shell task panicked")??;
    if !out.status.success() {
        bail!(
            "`{command}` failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// The pid in `path`, checked to be a live process.
pub(crate) fn read_pid(path: &str) -> anyhow::Result<u32> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading pid file {path}"))?;
    let pid: u32 = text
        .trim()
        .parse()
        .with_context(|| format!("{path} holds no pid"))?;
    if pid <= 1 || !std::path::Path::new(&format!("/proc/{pid}")).exists() {
        bail!("{path} names pid {pid}, which is not running");
    }
    Ok(pid)
}

/// Sends SIGKILL through the `kill` command; returns the moment it returned, when the signal
/// has been delivered.
pub(crate) async fn kill9(pid: u32) -> anyhow::Result<Instant> {
    let status = tokio::task::spawn_blocking(move || {
        std::process::Command::new("kill")
            .arg("-9")
            .arg(pid.to_string())
            .status()
    })
    .await
    .context("kill task panicked")?
    .context("running `kill`")?;
    let at = Instant::now();
    if !status.success() {
        bail!("kill -9 {pid} failed ({status})");
    }
    Ok(at)
}
