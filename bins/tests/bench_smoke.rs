//! `zoorepl bench` against a live server (`ZOOREPL_TEST_SERVER`; skipped when unset): every op
//! type completes requests without errors and leaves nothing behind.

mod cli_support;

use clap::Parser;
use cli_support::{server, unique_root};
use zookeeper_client::Client;
use zoorepl::bench::{run, BenchArgs, Op};

#[derive(Parser)]
struct Wrapper {
    #[command(flatten)]
    args: BenchArgs,
}

fn args(server: &str, root: &str, op: &str) -> BenchArgs {
    let words = [
        "bench",
        "--server",
        server,
        "--op",
        op,
        "--clients",
        "2",
        "--outstanding",
        "4",
        "--duration",
        "0.5",
        "--warmup",
        "0.2",
        "--keys",
        "20",
        "--value-size",
        "10",
        "--root",
        root,
        "--quiet",
    ];
    Wrapper::parse_from(words).args
}

#[test]
fn bench_args_defaults_match_the_brief() {
    let args = Wrapper::parse_from(["bench"]).args;
    assert_eq!(
        (args.clients, args.outstanding, args.value_size),
        (16, 32, 100)
    );
    assert_eq!(
        (args.op, args.read_percent, args.root.as_str()),
        (Op::Mixed, 90, "/zoorepl-bench")
    );
    assert!(Wrapper::try_parse_from(["bench", "--read-percent", "101"]).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_each_op_runs_and_cleans_up() {
    let Some(server) = server("bench_each_op_runs_and_cleans_up") else {
        return;
    };
    let root = unique_root("bench");
    let _cleanup = cli_support::Cleanup {
        server: server.clone(),
        root: root.clone(),
    };
    for op in ["create", "set", "get", "mixed"] {
        let report = run(args(&server, &root, op)).await.expect("bench runs");
        assert!(report.ops > 0, "{op}: no ops");
        assert_eq!(report.errors, 0, "{op}: {:?}", report.first_error);
        assert_eq!(report.cleanup_failures, 0, "{op}");
        assert_eq!(report.reads + report.writes, report.ops);
        assert!(report.latency.p50_us > 0.0 && report.latency.p50_us <= report.latency.max_us);
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).expect("valid JSON");
        assert_eq!(json["op"], op);
        let client = Client::connect(&server).await.expect("connect");
        assert_eq!(
            client.check_stat(&root).await.expect("exists"),
            None,
            "{op}: root left behind"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_rejects_bad_arguments() {
    let mut bad = args("127.0.0.1:1", "/x", "get");
    bad.clients = 0;
    assert!(run(bad).await.is_err());
    let bad_root = args("127.0.0.1:1", "/", "get");
    assert!(run(bad_root).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paced_bench_offers_its_rate_and_stops_with_its_window() {
    let Some(server) = server("a_paced_bench_offers_its_rate_and_stops_with_its_window") else {
        return;
    };
    let root = unique_root("paced");
    let _cleanup = cli_support::Cleanup {
        server: server.clone(),
        root: root.clone(),
    };
    let mut paced = args(&server, &root, "get");
    paced.rate = 200.0;
    paced.duration = 1.0;
    let started = std::time::Instant::now();
    let report = run(paced).await.expect("bench runs");
    assert_eq!(report.rate, Some(200.0));
    assert_eq!(report.errors, 0, "{:?}", report.first_error);
    // 8 slots, one request every 40 ms each: about 200 in the second, never more.
    assert!(
        (150..=201).contains(&report.ops),
        "{} ops in the paced second",
        report.ops
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "the run ends with its window"
    );
    let mut too_slow = args(&server, &root, "get");
    too_slow.rate = 0.5;
    assert!(run(too_slow).await.is_err(), "below 1 request per second");
}
