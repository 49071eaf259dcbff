//! `zoorepl bench failover` against a real 3-server zoorepld ensemble: one round kills the
//! leader found by `srvr`, sees a write succeed on the same session, brings the server back
//! with `zoorepl ensemble start-one`, and leaves no znode behind.

use std::path::Path;
use std::time::Duration;

mod support;

use clap::Parser;
use zoorepl::bench::{run_failover, FailoverArgs};
use zoorepl::ensemble::LocalEnsemble;

#[derive(Parser)]
struct Wrapper {
    #[command(flatten)]
    args: FailoverArgs,
}

/// Stops every server of the layout, also the one the CLI restarted (not this handle's child).
struct StopOnDrop<'a>(&'a LocalEnsemble);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self.0.stop_all(Duration::from_secs(2));
    }
}

fn start(dir: &Path) -> LocalEnsemble {
    support::start_ensemble(dir, 3, 0)
}

#[test]
fn one_round_kills_the_leader_and_brings_it_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ensemble = start(dir.path());
    let _stop = StopOnDrop(&ensemble);
    let leader = ensemble.leader().expect("a leader");
    let root = ensemble.dir().display().to_string();
    let pid_file = format!("{root}/server-{{id}}/zoorepld.pid");
    let restart = format!(
        "{} ensemble start-one --dir {root} --id {{id}} --zoorepld {}",
        env!("CARGO_BIN_EXE_zoorepl"),
        env!("CARGO_BIN_EXE_zoorepld")
    );
    let connect = ensemble.connect_string();
    let words = [
        "failover",
        "--server",
        &connect,
        "--pid-file",
        &pid_file,
        "--restart-cmd",
        &restart,
        "--rounds",
        "1",
        "--steady",
        "0.5",
        "--timeout",
        "30",
        "--root",
        "/failover-test",
    ];
    let args = Wrapper::parse_from(words).args;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let report = runtime.block_on(run_failover(args)).expect("failover run");
    assert_eq!(report.rounds.len(), 1);
    let round = &report.rounds[0];
    assert_eq!(
        round.killed_server as u64, leader.0,
        "the leader found by srvr"
    );
    assert!(round.writes_before_kill > 0);
    assert!(
        round.write_gap_ms > 0.0 && round.write_gap_ms < 30_000.0,
        "{round:?}"
    );
    assert!(round.leader_gap_ms.is_some(), "{round:?}");
    assert!(round.session_kept, "{round:?}");
    assert_eq!(report.write_gap_ms.median, round.write_gap_ms);
    // The killed server runs again (restarted by the CLI) and every member serves.
    let modes = ensemble
        .wait_serving(Duration::from_secs(10))
        .expect("all serve again");
    assert_eq!(modes.len(), 3, "{modes:?}");
    let left = runtime.block_on(async {
        let client = zookeeper_client::Client::connect(&connect)
            .await
            .expect("connect");
        client.list_children("/").await.expect("ls /")
    });
    assert!(!left.contains(&"failover-test".to_owned()), "{left:?}");
}

#[test]
fn options_are_checked_before_anything_runs() {
    let parse = |extra: &[&str]| {
        let mut words = vec!["failover", "--pid-file", "p-{id}", "--restart-cmd", "true"];
        words.extend_from_slice(extra);
        Wrapper::try_parse_from(words).map(|w| w.args)
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let one_server = parse(&["--server", "127.0.0.1:1"]).expect("parses");
    let err = runtime
        .block_on(run_failover(one_server))
        .expect_err("one server");
    assert!(err.to_string().contains("every server"), "{err}");
    let no_n = Wrapper::try_parse_from([
        "failover",
        "--server",
        "127.0.0.1:1,127.0.0.1:2",
        "--pid-file",
        "same.pid",
        "--restart-cmd",
        "true",
    ])
    .expect("parses")
    .args;
    let err = runtime.block_on(run_failover(no_n)).expect_err("no {id}");
    assert!(err.to_string().contains("{id}"), "{err}");
    assert!(parse(&["--rounds", "0"]).is_err());
}
