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
    vec![
        ("zookeeper.version".into(), VERSION.into()),
        ("host.name".into(), host),
        ("os.name".into(), java_os_name()),
        ("os.arch".into(), java_os_arch()),
        ("os.version".into(), os_version),
        ("user.name".into(), var("USER")),
        ("user.home".into(), var("HOME")),
        ("user.dir".into(), cwd),
    ]
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
