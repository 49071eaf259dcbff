//! Criterion benchmarks over the public Porcupine histories: all etcd logs, the slowest etcd
//! log (`etcd_002`), and `c50-ok` split by key; each with parsing excluded and included.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use zoorepl_jepsen::formats::{read_etcd_log, read_porcupine_kv};
use zoorepl_jepsen::models::{KvMap, Register};
use zoorepl_jepsen::{check, check_prepared, pair, CheckOptions, Prepared, Verdict};

fn porcupine_dir() -> PathBuf {
    let shared = std::env::var_os("ZOOREPL_SHARED").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
        PathBuf::from,
    );
    shared.join("testdata/porcupine")
}

fn etcd_texts() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(porcupine_dir().join("jepsen"))
        .expect("etcd folder readable (set ZOOREPL_SHARED)")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read(&p).expect("log readable"),
            )
        })
        .collect()
}

fn check_etcd(text: &[u8], options: &CheckOptions<'_>) -> Verdict {
    let ops = pair(&read_etcd_log(text).expect("parses")).expect("pairs");
    check(&Register::new(), &ops, options)
        .expect("register ops")
        .verdict
}

fn check_kv(text: &[u8], options: &CheckOptions<'_>) -> Verdict {
    let ops = pair(&read_porcupine_kv(text).expect("parses")).expect("pairs");
    check(&KvMap, &ops, options).expect("kv ops").verdict
}

fn etcd(c: &mut Criterion) {
    let options = CheckOptions::default();
    let texts = etcd_texts();
    let prepared: Vec<Prepared<Register>> = texts
        .iter()
        .map(|(_, t)| {
            let ops = pair(&read_etcd_log(&t[..]).expect("parses")).expect("pairs");
            Prepared::new(&Register::new(), &ops).expect("register ops")
        })
        .collect();
    let mut group = c.benchmark_group("etcd");
    group.sample_size(20);
    group.bench_function("all_logs/check", |b| {
        b.iter(|| {
            prepared
                .iter()
                .filter(|p| {
                    check_prepared(&Register::new(), p, &options).verdict == Verdict::Linearizable
                })
                .count()
        });
    });
    group.bench_function("all_logs/parse_and_check", |b| {
        b.iter(|| {
            texts
                .iter()
                .filter(|(_, t)| check_etcd(black_box(t), &options) == Verdict::Linearizable)
                .count()
        });
    });
    let slowest = texts
        .iter()
        .position(|(p, _)| p.ends_with("etcd_002.log"))
        .expect("etcd_002 present");
    group.bench_function("etcd_002/check", |b| {
        b.iter(|| {
            check_prepared(&Register::new(), black_box(&prepared[slowest]), &options).verdict
        });
    });
    group.bench_function("etcd_002/parse_and_check", |b| {
        b.iter(|| check_etcd(black_box(&texts[slowest].1), &options))
    });
    group.finish();
}

fn kv(c: &mut Criterion) {
    let options = CheckOptions::default();
    let single = CheckOptions {
        threads: 1,
        ..CheckOptions::default()
    };
    let text = std::fs::read(porcupine_dir().join("kv/c50-ok.txt")).expect("c50-ok readable");
    let ops = pair(&read_porcupine_kv(&text[..]).expect("parses")).expect("pairs");
    let prepared = Prepared::new(&KvMap, &ops).expect("kv ops");
    let mut group = c.benchmark_group("kv_c50_ok");
    group.sample_size(20);
    group.bench_function("check", |b| {
        b.iter(|| check_prepared(&KvMap, black_box(&prepared), &options).verdict)
    });
    group.bench_function("check_one_thread", |b| {
        b.iter(|| check_prepared(&KvMap, &prepared, &single).verdict)
    });
    group.bench_function("parse_and_check", |b| {
        b.iter(|| check_kv(black_box(&text), &options))
    });
    group.finish();
}

criterion_group!(benches, etcd, kv);
criterion_main!(benches);
