//! Helpers for the CLI and bench tests that need a server: `ZOOREPL_TEST_SERVER=host:port`
//! names it; without it the tests print why and pass.

#![allow(dead_code, unreachable_pub)]

use std::time::{Duration, Instant};

use zoorepl::cli::{Captured, Console, Shell};

/// The server under test, or `None` (after printing a skip note) when the variable is unset.
pub fn server(test: &str) -> Option<String> {
    match std::env::var("ZOOREPL_TEST_SERVER") {
        Ok(server) if !server.trim().is_empty() => Some(server),
        _ => {
            eprintln!(
                "SKIPPED {test}: set ZOOREPL_TEST_SERVER=host:port to run it against a server"
            );
            None
        }
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
