//! Rough throughput and memory figures for the data tree (ignored by default; run with
//! `cargo test --release -p zoorepl-core --test tree_perf -- --ignored --nocapture`).
// A benchmark measures wall time; this test binary is outside the pure core.
#![allow(clippy::disallowed_types)]

use std::time::Instant;

use bytes::Bytes;
use zoorepl_core::ids::{SessionId, Xid, Zxid};
use zoorepl_core::proto::Acl;
use zoorepl_core::tree::DataTree;
use zoorepl_core::txn::{CreateTxn, NodeKind, Txn, TxnOp};

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

const PARENTS: u32 = 1000;
const CHILDREN: u32 = 1000;

/// Txns with increasing zxids.
struct Clock(u32);

impl Clock {
    fn txn(&mut self, op: TxnOp) -> Txn {
        self.0 += 1;
        Txn {
            zxid: Zxid::new(1, self.0),
            time_ms: i64::from(self.0),
            session: SessionId(1),
            cxid: Xid(1),
            op,
        }
    }
}

fn create(path: String, data: &Bytes, parent_cversion: i32) -> TxnOp {
    TxnOp::Create(CreateTxn {
        path,
        data: Some(data.clone()),
        acl: vec![Acl::open_unsafe()],
        kind: NodeKind::Persistent,
        parent_cversion,
    })
}

fn bench_creates(tree: &mut DataTree, clock: &mut Clock, data: &Bytes) {
    let rss_before = rss_kib();
    let start = Instant::now();
    for p in 0..PARENTS {
        let path = format!("/p{p:04}");
        let parent_cversion = tree.node("/").expect("root").create_counter() + 1;
        tree.apply(&clock.txn(create(path.clone(), data, parent_cversion)));
        for c in 0..CHILDREN {
            let parent_cversion = i32::try_from(c + 1).expect("small");
            let child = format!("{path}/child-{c:010}");
            tree.apply(&clock.txn(create(child, data, parent_cversion)));
        }
    }
    let creates = f64::from(PARENTS * (CHILDREN + 1));
    let secs = start.elapsed().as_secs_f64();
    let grown_kib = rss_kib() - rss_before;
    println!(
        "create: {creates} nodes in {secs:.2}s = {:.0}/s; RSS +{} MiB ({:.0} B/node, 100 B data shared)",
        creates / secs,
        grown_kib / 1024,
        grown_kib as f64 * 1024.0 / creates
    );
}

fn bench_set_data_and_reads(tree: &mut DataTree, clock: &mut Clock, data: &Bytes) {
    let n = 200_000u32;
    let start = Instant::now();
    for i in 0..n {
        let path = format!("/p{:04}/child-{:010}", i % PARENTS, i % CHILDREN);
        tree.apply(&clock.txn(TxnOp::SetData {
            path,
            data: Some(data.clone()),
            version: i32::try_from(i / (PARENTS * CHILDREN) + 1).expect("small"),
        }));
    }
    let secs = start.elapsed().as_secs_f64();
    println!("setData: {n} in {secs:.2}s = {:.0}/s", f64::from(n) / secs);

    let start = Instant::now();
    let mut found = 0u64;
    for i in 0..n {
        let path = format!("/p{:04}/child-{:010}", (i * 7) % PARENTS, i % CHILDREN);
        found += u64::from(tree.stat(&path).is_some());
    }
    let secs = start.elapsed().as_secs_f64();
    println!("stat: {found} in {secs:.2}s = {:.0}/s", f64::from(n) / secs);
}

#[test]
#[ignore = "benchmark; run in release with --ignored --nocapture"]
fn tree_throughput_and_memory() {
    let data = Bytes::from(vec![7u8; 100]);
    let mut tree = DataTree::new();
    let mut clock = Clock(0);
    bench_creates(&mut tree, &mut clock, &data);
    bench_set_data_and_reads(&mut tree, &mut clock, &data);

    let start = Instant::now();
    let bytes = tree.snapshot();
    let snap_secs = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let restored = DataTree::restore(&bytes).expect("restores");
    let restore_secs = start.elapsed().as_secs_f64();
    println!(
        "snapshot: {} MiB in {snap_secs:.2}s; restore (with full verify) {restore_secs:.2}s",
        bytes.len() >> 20
    );
    let start = Instant::now();
    let clone = tree.clone();
    println!("clone: {:.2}s", start.elapsed().as_secs_f64());
    assert_eq!(restored, tree);
    assert_eq!(clone, tree);
}
