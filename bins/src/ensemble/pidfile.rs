//! `zoorepld.pid`: which process runs a member, checked against the live process so that a
//! stale file, a zombie or a recycled pid does not count as a running server.

use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{bail, Context};

use super::{layout, Member};

/// The live server recorded in `member_dir/zoorepld.pid`, if any.
pub(super) fn running_pid(member_dir: &Path) -> Option<u32> {
    let text = std::fs::read_to_string(member_dir.join("zoorepld.pid")).ok()?;
    let pid: u32 = text.trim().parse().ok().filter(|&pid| pid > 1)?;
    alive(pid, &member_dir.join("zoo.cfg")).then_some(pid)
}

/// Whether `pid` is a live process started with `config` as an argument. Where `/proc` is
/// missing, `kill -0` decides (which cannot tell a recycled pid from ours).
fn alive(pid: u32, config: &Path) -> bool {
    let proc_root = Path::new("/proc");
    if !proc_root.join("self").exists() {
        return Command::new("kill")
            .arg("-0")
            .arg(pid.to_string())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    }
    let proc_dir = proc_root.join(pid.to_string());
    // A zombie (dead, not yet reaped) or dying process is gone for our purposes.
    let Ok(stat) = std::fs::read_to_string(proc_dir.join("stat")) else {
        return false;
    };
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.trim_start().chars().next());
    if matches!(state, None | Some('Z' | 'X' | 'x')) {
        return false;
    }
    let Ok(cmdline) = std::fs::read(proc_dir.join("cmdline")) else {
        return false;
    };
    // Right after spawn returns, the child may still be inside execve with no arguments mapped
    // yet: an empty command line of a live process is ours starting up.
    cmdline.is_empty()
        || cmdline
            .split(|&b| b == 0)
            .any(|arg| arg == config.as_os_str().as_bytes())
}

/// Refuses when any `server-N` under `dir` has a live server.
pub(super) fn refuse_if_running(dir: &Path) -> anyhow::Result<()> {
    for (id, member_dir) in layout::member_dirs(dir)? {
        if let Some(pid) = running_pid(&member_dir) {
            bail!(
                "{} holds a running ensemble (server {} is pid {pid}); stop it first with \
                 `zoorepl ensemble stop --dir {}`",
                dir.display(),
                id.0,
                dir.display()
            );
        }
    }
    Ok(())
}

pub(super) fn write_pid(m: &Member, pid: u32) -> anyhow::Result<()> {
    let path = m.pid_path();
    let tmp = path.with_extension("pid.tmp");
    std::fs::write(&tmp, format!("{pid}\n"))
        .and_then(|()| std::fs::rename(&tmp, &path))
        .with_context(|| format!("writing {}", path.display()))
}

pub(super) fn remove_pid(m: &Member) {
    // Missing is fine: the file only records a server that runs.
    let _ = std::fs::remove_file(m.pid_path());
}
