//! Facts about this process and its directories that `envi`, `mntr` and `dirs` report. Linux
//! `/proc` is read where Java asks the JVM's operating-system bean; elsewhere values are empty/0.

use std::path::Path;

use super::VERSION;

/// The `envi` entries zoorepl can state truthfully about its process, in Java's key order
/// (`zookeeper.version`, `host.name`, `os.*`, `user.*`; no `java.*`: there is no JVM).
#[must_use]
pub fn process_environment() -> Vec<(String, String)> {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| var("HOSTNAME"));
    let os_version = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|v| v.trim().to_owned())
        .unwrap_or_default();
    let cwd = std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    // The JVM takes both from the password entry of the process's uid, not the environment
    // (a daemon often has no USER).
    let account = passwd_entry(&read("/proc/self/status"), &read("/etc/passwd"))
        .unwrap_or_else(|| (var("USER"), var("HOME")));
    vec![
        ("zookeeper.version".into(), VERSION.into()),
        ("host.name".into(), host),
        ("os.name".into(), java_os_name()),
        ("os.arch".into(), java_os_arch()),
        ("os.version".into(), os_version),
        ("user.name".into(), account.0),
        ("user.home".into(), account.1),
        ("user.dir".into(), cwd),
    ]
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// (name, home) of the real uid in `status` (`/proc/self/status`) from `passwd` (`/etc/passwd`).
fn passwd_entry(status: &str, passwd: &str) -> Option<(String, String)> {
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() >= 7 && f[2] == uid).then(|| (f[0].to_owned(), f[5].to_owned()))
    })
}

/// `os.name` as the JVM spells it.
fn java_os_name() -> String {
    match std::env::consts::OS {
        "linux" => "Linux".into(),
        "macos" => "Mac OS X".into(),
        "windows" => "Windows".into(),
        other => other.into(),
    }
}

/// `os.arch` as the JVM spells it.
fn java_os_arch() -> String {
    match std::env::consts::ARCH {
        "x86_64" => "amd64".into(),
        other => other.into(),
    }
}

/// (open, maximum) file descriptors of this process, as Java's `UnixOperatingSystemMXBean`
/// reports them: the entries of `/proc/self/fd` and the soft `Max open files` limit. (0, 0) when
/// `/proc` is not there.
#[must_use]
pub fn file_descriptor_counts() -> (u64, u64) {
    let open = std::fs::read_dir("/proc/self/fd").map_or(0, |dir| dir.count() as u64);
    let max = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| {
            limits
                .lines()
                .find_map(|line| line.strip_prefix("Max open files"))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|soft| soft.parse().ok())
        })
        .unwrap_or(0);
    (open, max)
}

/// The bytes of every file under `path`, recursively (Java's `ZooKeeperServer.getDirSize`;
/// a plain file counts its own length, a missing path 0). Symlinks are not followed.
#[must_use]
pub fn dir_size_bytes(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    std::fs::read_dir(path).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .map(|entry| dir_size_bytes(&entry.path()))
            .sum()
    })
}

#[cfg(test)]
mod tests {
    use super::passwd_entry;

    #[test]
    fn user_comes_from_the_password_entry_of_the_real_uid() {
        let status = "Name:\tzoorepld\nUid:\t1001\t1001\t1001\t1001\n";
        let passwd = "root:x:0:0:root:/root:/bin/bash\nzk:x:1001:1001::/var/lib/zk:/bin/sh\n";
        assert_eq!(
            passwd_entry(status, passwd),
            Some(("zk".to_owned(), "/var/lib/zk".to_owned()))
        );
        assert_eq!(
            passwd_entry(status, "root:x:0:0:root:/root:/bin/bash\n"),
            None
        );
        assert_eq!(passwd_entry("", passwd), None);
    }
}
