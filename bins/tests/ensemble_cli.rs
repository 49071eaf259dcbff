//! `LocalEnsemble` and `zoorepl ensemble start|stop|status`: the layout is a zoo.cfg that io's
//! parser accepts, one member (which `zoorepld` runs standalone) starts, answers `srvr` and
//! stops, and the CLI reports bad input and idle directories cleanly.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::{ensemble_options as options, free_port};
use zoorepl::ensemble::{
    EnsembleOptions, LocalEnsemble, MemberKind, MemberState, PortChoice, StopOutcome,
};
use zoorepl_core::ids::ServerId;
use zoorepl_io::config::{PeerType, ServerConfig};

const S1: ServerId = ServerId(1);
const SERVE_TIMEOUT: Duration = Duration::from_secs(20);

fn key_value(key: &str, value: &str) -> (String, String) {
    (key.to_owned(), value.to_owned())
}

/// Runs `zoorepl ensemble <words>` (split at whitespace; temporary paths have none); returns
/// (exit code, stdout, stderr).
fn ensemble(words: &str) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_zoorepl"))
        .arg("ensemble")
        .args(words.split_whitespace())
        .output()
        .expect("zoorepl runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Stops whatever the CLI left running in a directory, even when an assertion failed.
struct StopOnDrop<'a>(&'a Path);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        if let Ok(ensemble) = LocalEnsemble::open(self.0) {
            let _ = ensemble.stop_all(Duration::from_secs(2));
        }
    }
}

#[test]
fn layout_is_a_zoo_cfg_that_io_parses_with_every_member() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ensemble = LocalEnsemble::create(dir.path(), &options(3, 1)).expect("layout");
    let members = ensemble.members().to_vec();
    assert_eq!(ensemble.ids(), [1, 2, 3, 4].map(ServerId));
    for m in &members {
        let (config, warnings) = ServerConfig::from_file(m.config_path()).expect("parses");
        assert!(warnings.is_empty(), "server {}: {warnings:?}", m.id.0);
        assert!(!config.is_standalone());
        assert_eq!(config.tick_ms, 200);
        assert_eq!(config.ensemble.init_limit, Some(10));
        assert_eq!(config.ensemble.sync_limit, Some(5));
        assert_eq!(config.data_dir, m.data_dir());
        assert_eq!(config.client_port, Some(m.client_port));
        assert_eq!(
            config.client_bind_address(),
            Some(format!("127.0.0.1:{}", m.client_port))
        );
        let own_type = match m.kind {
            MemberKind::Voter => PeerType::Participant,
            MemberKind::Observer => PeerType::Observer,
        };
        assert_eq!(config.ensemble.peer_type, own_type, "server {}", m.id.0);
        assert_eq!(config.ensemble.servers.len(), 4);
        for other in &members {
            let spec = &config.ensemble.servers[&other.id];
            assert_eq!(spec.host, "127.0.0.1");
            assert_eq!(spec.quorum_port, other.quorum_port);
            assert_eq!(spec.election_port, other.election_port);
            let kind = if other.id == ServerId(4) {
                PeerType::Observer
            } else {
                PeerType::Participant
            };
            assert_eq!(spec.peer_type, kind);
        }
        let myid = std::fs::read_to_string(m.data_dir().join("myid")).expect("myid");
        assert_eq!(myid.trim(), m.id.0.to_string());
    }
    let reopened = LocalEnsemble::open(dir.path()).expect("reads back");
    assert_eq!(reopened.members(), &members[..]);
    assert_eq!(reopened.connect_string().split(',').count(), 4);
    assert_eq!(
        ensemble.client_addr(ServerId(2)),
        Some(members[1].client_addr())
    );
}

#[test]
fn layout_ports_count_up_from_the_bases_by_server_id() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut opts = options(3, 2);
    opts.ports = PortChoice::Bases {
        client: 42181,
        quorum: 42888,
        election: 43888,
    };
    let ensemble = LocalEnsemble::create(dir.path(), &opts).expect("layout");
    for m in ensemble.members() {
        let offset = u16::try_from(m.id.0 - 1).expect("small");
        assert_eq!(m.client_port, 42181 + offset);
        assert_eq!(m.quorum_port, 42888 + offset);
        assert_eq!(m.election_port, 43888 + offset);
        let kind = if m.id.0 <= 3 {
            MemberKind::Voter
        } else {
            MemberKind::Observer
        };
        assert_eq!(m.kind, kind);
    }
    assert_eq!(
        ensemble.connect_string(),
        "127.0.0.1:42181,127.0.0.1:42182,127.0.0.1:42183,127.0.0.1:42184,127.0.0.1:42185"
    );
}

#[test]
fn layout_appends_extra_config_lines_to_every_member() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut opts = options(3, 0);
    opts.extra_config = vec![
        key_value("maxClientCnxns", "200"),
        key_value("extendedTypesEnabled", "true"),
        key_value("znode.container.checkIntervalMs", "1000"),
    ];
    let ensemble = LocalEnsemble::create(dir.path(), &opts).expect("layout");
    for m in ensemble.members() {
        let (config, warnings) = ServerConfig::from_file(m.config_path()).expect("parses");
        assert!(warnings.is_empty(), "server {}: {warnings:?}", m.id.0);
        assert_eq!(config.max_client_cnxns, 200);
        assert!(config.extended_types);
        assert_eq!(config.container_check_interval_ms, 1000);
        assert_eq!(config.ensemble.servers.len(), 3);
    }
}

#[test]
fn layout_refuses_bad_options_with_a_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let refuse = |opts: &EnsembleOptions, expected: &str| {
        let e = LocalEnsemble::create(dir.path(), opts).expect_err("refused");
        let text = format!("{e:#}");
        assert!(text.contains(expected), "{text}");
    };
    refuse(&options(0, 1), "at least one voting server");
    refuse(&options(100, 30), "at most 126");
    let mut overlapping = options(3, 0);
    overlapping.ports = PortChoice::Bases {
        client: 5000,
        quorum: 5002,
        election: 6000,
    };
    refuse(&overlapping, "port 5002 would be both");
    let mut overflowing = options(3, 0);
    overflowing.ports = PortChoice::Bases {
        client: 65534,
        quorum: 2888,
        election: 3888,
    };
    refuse(&overflowing, "runs past 65535");
    for (key, value, expected) in [
        ("tickTime", "100", "the layout writes tickTime itself"),
        (
            "server.9",
            "127.0.0.1:1:2",
            "the layout writes server.9 itself",
        ),
        ("max Client", "1", "not a zoo.cfg key"),
        ("#comment", "1", "not a zoo.cfg key"),
        ("maxClientCnxns", "1\nclientPort=1", "must be one line"),
    ] {
        let mut extra = options(3, 0);
        extra.extra_config = vec![key_value(key, value)];
        refuse(&extra, expected);
    }
    // An earlier layout with more members is not silently mixed with a smaller one.
    LocalEnsemble::create(dir.path(), &options(3, 0)).expect("first layout");
    refuse(&options(1, 0), "earlier layout with more members");
}

#[test]
fn one_member_runs_standalone_answers_srvr_and_stops() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ensemble = LocalEnsemble::create(dir.path(), &options(1, 0)).expect("layout");
    let started = ensemble.start_all().expect("start");
    let pid = started[0].1;
    assert_eq!(started, [(S1, pid)]);
    let pid_file = ensemble.members()[0].pid_path();
    let recorded = std::fs::read_to_string(&pid_file).expect("pid file");
    assert_eq!(recorded.trim(), pid.to_string());
    let modes = ensemble.wait_serving(SERVE_TIMEOUT).expect("serving");
    assert_eq!(modes.get(&S1).map(String::as_str), Some("standalone"));
    let srvr = ensemble.four_letter(S1, "srvr").expect("srvr");
    assert!(srvr.contains("Mode: standalone"), "{srvr}");
    assert_eq!(ensemble.mode(S1).as_deref(), Some("standalone"));
    assert_eq!(ensemble.leader(), None, "a standalone server is no leader");
    let again = ensemble.start(S1).expect_err("already running");
    assert!(
        format!("{again:#}").contains("already running"),
        "{again:#}"
    );

    assert_eq!(
        ensemble.stop(S1).expect("stop"),
        StopOutcome::Terminated { pid }
    );
    assert!(!ensemble.is_running(S1));
    assert_eq!(ensemble.state(S1), MemberState::Stopped);
    assert!(ensemble.four_letter(S1, "srvr").is_err());
    assert!(!pid_file.exists());
    assert_eq!(
        ensemble.stop(S1).expect("stop again"),
        StopOutcome::NotRunning
    );
    let log = std::fs::read_to_string(ensemble.members()[0].log_path()).expect("log");
    assert!(log.contains("SIGTERM"), "{log}");
}

#[test]
fn killed_member_is_wiped_and_comes_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ensemble = LocalEnsemble::create(dir.path(), &options(1, 0)).expect("layout");
    ensemble.start(S1).expect("start");
    ensemble.wait_serving(SERVE_TIMEOUT).expect("serving");
    let e = ensemble.wipe(S1).expect_err("running");
    assert!(format!("{e:#}").contains("stop it before wiping"), "{e:#}");

    assert!(ensemble.kill9(S1).expect("kill -9"));
    assert!(!ensemble.is_running(S1));
    assert!(!ensemble.kill9(S1).expect("nothing to kill"));
    let data = ensemble.members()[0].data_dir();
    assert!(std::fs::read_dir(&data).expect("data").count() > 1);
    ensemble.wipe(S1).expect("wipe");
    let left: Vec<_> = std::fs::read_dir(&data)
        .expect("data")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left, ["myid"]);

    let first = ensemble.start(S1).expect("start again");
    ensemble.wait_serving(SERVE_TIMEOUT).expect("serving again");
    let second = ensemble.restart(S1).expect("restart");
    assert_ne!(first, second);
    ensemble
        .wait_serving(SERVE_TIMEOUT)
        .expect("serving after restart");
    // Dropping the handle kills what it started: nothing outlives the test.
    drop(ensemble);
    let reopened = LocalEnsemble::open(dir.path()).expect("open");
    assert!(!reopened.is_running(S1));
}

#[test]
fn cli_starts_reports_and_stops_a_one_member_ensemble() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("ens");
    let _cleanup = StopOnDrop(&dir);
    let d = dir.display();
    let [client, quorum, election] = [free_port(), free_port(), free_port()];
    let (code, out, err) = ensemble(&format!(
        "start --servers 1 --dir {d} --client-port {client} --quorum-port {quorum} \
         --election-port {election} --tick-ms 200 --timeout 20 \
         --extra-config maxClientCnxns=7 --extra-config extendedTypesEnabled=true"
    ));
    assert_eq!(code, 0, "{out}\n{err}");
    let cfg = std::fs::read_to_string(dir.join("server-1/zoo.cfg")).expect("zoo.cfg");
    assert!(
        cfg.contains("\nmaxClientCnxns=7\nextendedTypesEnabled=true\n"),
        "{cfg}"
    );
    assert!(err.contains("server 1: started, pid"), "{err}");
    assert!(err.contains("server 1: up, standalone"), "{err}");
    assert!(out.contains("mode standalone"), "{out}");
    let connect = format!("connect string: 127.0.0.1:{client}");
    assert!(out.contains(&connect), "{out}");

    // The server outlived the CLI that started it.
    let (code, out, err) = ensemble(&format!("status --dir {d}"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("running, mode standalone"), "{out}");

    let (code, _, err) = ensemble(&format!("start --servers 1 --dir {d}"));
    assert_eq!(code, 1);
    assert!(err.contains("holds a running ensemble"), "{err}");

    let (code, out, err) = ensemble(&format!("stop --dir {d}"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("server 1: stopped (pid"), "{out}");
    let (code, out, _) = ensemble(&format!("status --dir {d}"));
    assert_eq!(code, 0);
    assert!(out.contains("stopped"), "{out}");
}

#[test]
fn cli_stop_without_running_servers_says_so() {
    let root = tempfile::tempdir().expect("tempdir");
    let empty = root.path().join("never-used");
    let (code, out, err) = ensemble(&format!("stop --dir {}", empty.display()));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("nothing to stop"), "{out}");

    let laid_out = root.path().join("idle");
    LocalEnsemble::create(&laid_out, &options(3, 0)).expect("layout");
    let (code, out, err) = ensemble(&format!("stop --dir {}", laid_out.display()));
    assert_eq!(code, 0, "{err}");
    for n in 1..=3 {
        assert!(out.contains(&format!("server {n}: not running")), "{out}");
    }
    assert!(out.contains("was running"), "{out}");
    assert!(err.is_empty(), "{err}");
}

#[test]
fn cli_refuses_bad_input_with_a_clear_error() {
    let root = tempfile::tempdir().expect("tempdir");
    let d = root.path().join("ens");
    let d = d.display();

    let (code, _, err) = ensemble(&format!("start --servers 0 --dir {d}"));
    assert_ne!(code, 0);
    assert!(err.contains("--servers"), "{err}");

    let (code, _, err) = ensemble(&format!("start --dir {d} --extra-config maxClientCnxns"));
    assert_ne!(code, 0);
    assert!(err.contains("expected KEY=VALUE"), "{err}");

    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let (quorum, election) = (free_port(), free_port());
    let (code, _, err) = ensemble(&format!(
        "start --servers 1 --dir {d} --client-port {port} --quorum-port {quorum} \
         --election-port {election}"
    ));
    assert_eq!(code, 1);
    let in_use = format!("port {port} (the client port of server 1) is in use");
    assert!(err.contains(&in_use), "{err}");

    let file = root.path().join("a-file");
    std::fs::write(&file, "").expect("file");
    let (code, _, err) = ensemble(&format!("start --dir {}", file.join("ens").display()));
    assert_eq!(code, 1);
    assert!(err.contains("is it writable?"), "{err}");

    let (code, _, err) = ensemble(&format!(
        "status --dir {}",
        root.path().join("no").display()
    ));
    assert_eq!(code, 1);
    assert!(err.contains("holds no zoorepl ensemble"), "{err}");
}

/// The end-to-end run of a real ensemble of processes: election, an observer, failover, a
/// wiped member catching up.
#[test]
fn three_voters_and_an_observer_elect_serve_and_recover() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ensemble = LocalEnsemble::create(dir.path(), &options(3, 1)).expect("layout");
    ensemble.start_all().expect("start");
    let modes = ensemble
        .wait_serving(Duration::from_secs(30))
        .expect("serving");
    let count = |mode: &str| modes.values().filter(|m| *m == mode).count();
    assert_eq!(
        (count("leader"), count("follower"), count("observer")),
        (1, 2, 1),
        "{modes:?}"
    );
    assert_eq!(ensemble.mode(ServerId(4)).as_deref(), Some("observer"));
    let leader = ensemble.leader().expect("a leader");

    let rt = support::runtime();
    rt.block_on(e2e::write(&ensemble.connect_string(), "/a"));
    for id in ensemble.ids() {
        rt.block_on(e2e::read(&ensemble, id, &["/a"]));
    }

    // The leader goes: the others elect another and keep taking writes.
    ensemble.stop(leader).expect("stop the leader");
    ensemble
        .wait_serving(Duration::from_secs(30))
        .expect("re-elected");
    let second = ensemble.leader().expect("a new leader");
    assert_ne!(second, leader);
    rt.block_on(e2e::write(&ensemble.connect_string(), "/b"));
    ensemble.start(leader).expect("old leader back");
    ensemble
        .wait_serving(Duration::from_secs(30))
        .expect("all four serving");
    rt.block_on(e2e::read(&ensemble, leader, &["/a", "/b"]));

    // A follower that lost its disk syncs everything back from the leader.
    let follower = ensemble
        .ids()
        .into_iter()
        .find(|&id| ensemble.mode(id).as_deref() == Some("follower"))
        .expect("a follower");
    ensemble.kill9(follower).expect("kill -9");
    ensemble.wipe(follower).expect("wipe");
    ensemble.start(follower).expect("start the wiped follower");
    ensemble
        .wait_serving(Duration::from_secs(30))
        .expect("all four serving");
    rt.block_on(e2e::read(&ensemble, follower, &["/a", "/b"]));

    for (id, outcome) in ensemble.stop_all(Duration::from_secs(10)).expect("stop") {
        assert!(
            matches!(outcome, StopOutcome::Terminated { .. }),
            "server {}: {outcome:?}",
            id.0
        );
    }
}

/// Client calls for the end-to-end test.
mod e2e {
    use zookeeper_client as zk;

    use super::{LocalEnsemble, ServerId};

    pub(super) async fn write(connect: &str, path: &str) {
        let client = zk::Client::connect(connect).await.expect("connect");
        let mode = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
        client
            .create(path, path.as_bytes(), &mode)
            .await
            .expect("create");
    }

    /// Reads through one member only, after a sync, so the data must be on that member.
    pub(super) async fn read(ensemble: &LocalEnsemble, id: ServerId, paths: &[&str]) {
        let addr = ensemble.client_addr(id).expect("member").to_string();
        let client = zk::Client::connect(&addr).await.expect("connect");
        for path in paths {
            client.sync(path).await.expect("sync");
            let (data, _) = client.get_data(path).await.expect("read");
            assert_eq!(data, path.as_bytes(), "server {} {path}", id.0);
        }
    }
}
