//! Starting and stopping real `zoorepld` processes for tests.

#![allow(dead_code, reason = "each test file uses a different part")]

use std::io::Read;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `zoorepld` process on a free loopback port with its own data directory.
pub(crate) struct Server {
    pub(crate) child: Option<Child>,
    pub(crate) port: u16,
    pub(crate) dir: PathBuf,
    pub(crate) stderr_path: PathBuf,
}

pub(crate) fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    l.local_addr().expect("bound").port()
}

impl Server {
    /// Writes a zoo.cfg for `dir` and starts the server; waits until it answers `ruok`.
    pub(crate) fn start(dir: &Path, port: u16, extra: &str) -> Self {
        let cfg = dir.join("zoo.cfg");
        let text = format!(
            "tickTime=2000\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n\
             4lw.commands.whitelist=*\n{extra}",
            dir.join("data").display()
        );
        std::fs::write(&cfg, text).expect("write zoo.cfg");
        let mut server = Self {
            child: None,
            port,
            dir: dir.to_owned(),
            stderr_path: dir.join("stderr.log"),
        };
        server.spawn();
        server
    }

    pub(crate) fn spawn(&mut self) {
        let stderr = std::fs::File::create(&self.stderr_path).expect("stderr file");
        let child = Command::new(env!("CARGO_BIN_EXE_zoorepld"))
            .arg(self.dir.join("zoo.cfg"))
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("spawn zoorepld");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while four_letter(self.port, "ruok").as_deref() != Some("imok") {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("zoorepld exited with {status}: {}", self.stderr());
            }
            assert!(
                Instant::now() < deadline,
                "zoorepld did not start: {}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub(crate) fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub(crate) fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// SIGKILL: no chance to flush anything.
    pub(crate) fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Runs the server binary on this directory expecting it to refuse to start.
    pub(crate) fn expect_refusal(&self) -> (i32, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_zoorepld"))
            .arg(self.dir.join("zoo.cfg"))
            .output()
            .expect("run zoorepld");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Sends a four-letter word and returns the reply, or `None` if nobody answers.
pub(crate) fn four_letter(port: u16, cmd: &str) -> Option<String> {
    use std::io::Write;
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.write_all(cmd.as_bytes()).ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

/// A multi-threaded runtime for the client side of a test.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// A test ensemble's layout: free loopback ports, a 200 ms tick, this build's `zoorepld`.
pub(crate) fn ensemble_options(
    servers: usize,
    observers: usize,
) -> zoorepl::ensemble::EnsembleOptions {
    zoorepl::ensemble::EnsembleOptions {
        servers,
        observers,
        ports: zoorepl::ensemble::PortChoice::Ephemeral,
        tick_ms: 200,
        zoorepld: Some(env!("CARGO_BIN_EXE_zoorepld").into()),
        extra_config: Vec::new(),
    }
}

/// Lays out and starts an ensemble in `dir`; returns once it serves (a leader and every member
/// with its role).
pub(crate) fn start_ensemble(
    dir: &Path,
    servers: usize,
    observers: usize,
) -> zoorepl::ensemble::LocalEnsemble {
    let options = ensemble_options(servers, observers);
    let ensemble = zoorepl::ensemble::LocalEnsemble::create(dir, &options).expect("layout");
    ensemble.start_all().expect("start");
    ensemble
        .wait_serving(Duration::from_secs(30))
        .expect("serving");
    ensemble
}
