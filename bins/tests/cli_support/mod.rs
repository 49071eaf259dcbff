//! Helpers for the CLI and bench tests that need a server: `ZOOREPL_TEST_SERVER=host:port`
//! names one (for example Apache ZooKeeper, to check the expected texts); without it each test
//! starts a `zoorepld` process of its own.

#![allow(dead_code, unreachable_pub)]

#[path = "../support.rs"]
mod support;

use std::time::{Duration, Instant};

use zoorepl::cli::{Captured, Console, Shell};

/// The server under test (always `Some`; the `Option` keeps the callers' early-return shape).
pub fn server(test: &str) -> Option<ServerGuard> {
    if let Ok(addr) = std::env::var("ZOOREPL_TEST_SERVER") {
        if !addr.trim().is_empty() {
            eprintln!("{test}: against ZOOREPL_TEST_SERVER={addr}");
            return Some(ServerGuard {
                addr,
                _process: None,
                _dir: None,
            });
        }
    }
    // No server given: start a zoorepld of our own, with TTL nodes enabled as the tests need.
    let dir = tempfile::tempdir().expect("tempdir");
    let process = support::Server::start(
        dir.path(),
        support::free_port(),
        "extendedTypesEnabled=true\n",
    );
    Some(ServerGuard {
        addr: process.addr(),
        _process: Some(process),
        _dir: Some(dir),
    })
}

/// A server address; when the test started the server itself, the process and its data
/// directory live as long as this guard.
pub struct ServerGuard {
    addr: String,
    _process: Option<support::Server>,
    _dir: Option<tempfile::TempDir>,
}

impl std::fmt::Display for ServerGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.addr)
    }
}

impl std::ops::Deref for ServerGuard {
    type Target = String;
    fn deref(&self) -> &String {
        &self.addr
    }
}

/// A unique top-level znode name for one test run.
pub fn unique_root(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .subsec_nanos();
    format!("/zoorepl-test-{test}-{}-{nanos}", std::process::id())
}

/// A shell whose output is captured.
pub async fn shell(server: &str) -> (Shell, Captured) {
    let (console, captured) = Console::capture();
    let shell = Shell::connect(server, console)
        .await
        .expect("connect to ZOOREPL_TEST_SERVER");
    (shell, captured)
}

/// Runs each line of `script` (`$R` stands for `root`) and returns the captured text.
pub async fn run(shell: &mut Shell, captured: &Captured, root: &str, script: &str) -> String {
    for line in script.lines() {
        shell.execute_line(&line.replace("$R", root)).await;
    }
    captured.take().replace(root, "$R")
}

/// Appends newly captured text (with `root` shown as `$R`) to `text` until it contains
/// `needle`, for up to five seconds; returns it.
pub async fn wait_for(captured: &Captured, root: &str, mut text: String, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        text.push_str(&captured.take().replace(root, "$R"));
        if text.contains(needle) || Instant::now() > deadline {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Masks what differs between runs: zxids, times, session ids, the client's address.
pub fn normalize(text: &str) -> String {
    text.lines()
        .map(|line| {
            for key in ["cZxid", "mZxid", "pZxid", "ctime", "mtime"] {
                if line.starts_with(&format!("{key} = ")) {
                    return format!("{key} = *");
                }
            }
            if line.starts_with("ip: ") {
                return "ip: <client address>".to_string();
            }
            if line.starts_with("ephemeralOwner = 0x") && line != "ephemeralOwner = 0x0" {
                return "ephemeralOwner = <session>".to_string();
            }
            line.to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Deletes a test's root when dropped, so a failing test leaves nothing on the server. Runs on
/// its own thread and runtime because `Drop` cannot await. Authenticates as the ACL test's
/// digest user so its protected znodes can be listed.
pub struct Cleanup {
    pub server: String,
    pub root: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let (server, root) = (self.server.clone(), self.root.clone());
        let cleaner = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("cleanup runtime");
            runtime.block_on(async {
                let (console, _captured) = Console::capture();
                if let Ok(mut shell) = Shell::connect(&server, console).await {
                    shell.execute_line("addauth digest alice:secret").await;
                    shell.execute_line(&format!("deleteall {root}")).await;
                    shell.disconnect();
                }
            });
        });
        let _ = cleaner.join();
    }
}
