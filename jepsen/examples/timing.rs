//! A plain timing of the checker over the Porcupine histories (run with `--release`):
//! per-file times for the etcd logs (slowest first), totals, and `c50-ok`.
//! Usage: `cargo run --release -p zoorepl-jepsen --example timing [ZOOREPL_SHARED dir]`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use zoorepl_jepsen::formats::{read_etcd_log, read_porcupine_kv};
use zoorepl_jepsen::models::{KvMap, Register};
use zoorepl_jepsen::{check_prepared, pair, CheckOptions, Prepared};

const ROUNDS: u32 = 10;

fn main() {
    let shared = std::env::args().nth(1).map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
        PathBuf::from,
    );
    let dir = shared.join("testdata/porcupine");
    let options = CheckOptions::default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("jepsen"))
        .expect("etcd folder")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    let mut rows = Vec::new();
    let (mut total_check, mut total_all) = (Duration::ZERO, Duration::ZERO);
    for path in &files {
        let (mut check_time, mut all_time) = (Duration::MAX, Duration::MAX);
        let mut verdict = None;
        for _ in 0..ROUNDS {
            let start = Instant::now();
            let text = std::fs::read(path).expect("log");
            let ops = pair(&read_etcd_log(&text[..]).expect("parses")).expect("pairs");
            let parsed = Instant::now();
            let prepared = Prepared::new(&Register::new(), &ops).expect("register ops");
            let result = check_prepared(&Register::new(), &prepared, &options);
            let end = Instant::now();
            check_time = check_time.min(end - parsed);
            all_time = all_time.min(end - start);
            verdict = Some(result.verdict);
        }
        total_check += check_time;
        total_all += all_time;
        rows.push((
            check_time,
            all_time,
            path.file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned(),
            verdict,
        ));
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    for (check, all, name, verdict) in rows.iter().take(5) {
        println!("{name}: check {check:.2?}, with parsing {all:.2?}, {verdict:?}");
    }
    println!("etcd total ({} logs, best of {ROUNDS} each): check {total_check:.2?}, with parsing {total_all:.2?}", files.len());
    for threads in [1, options.threads] {
        let opts = CheckOptions {
            threads,
            ..CheckOptions::default()
        };
        let (mut check_time, mut all_time) = (Duration::MAX, Duration::MAX);
        for _ in 0..ROUNDS {
            let start = Instant::now();
            let text = std::fs::read(dir.join("kv/c50-ok.txt")).expect("c50-ok");
            let ops = pair(&read_porcupine_kv(&text[..]).expect("parses")).expect("pairs");
            let parsed = Instant::now();
            let prepared = Prepared::new(&KvMap, &ops).expect("kv ops");
            let result = check_prepared(&KvMap, &prepared, &opts);
            let end = Instant::now();
            assert!(result.failure.is_none());
            check_time = check_time.min(end - parsed);
            all_time = all_time.min(end - start);
        }
        println!("c50-ok ({threads} threads, best of {ROUNDS}): check {check_time:.2?}, with parsing {all_time:.2?}");
    }
}
