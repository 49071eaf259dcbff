//! Throughput of append + sync on this disk (ignored; run by hand):
//!
//! ```text
//! cargo test -p zoorepl-io --release --test storage_bench -- --ignored --nocapture
//! ```
//!
//! Each round appends a batch of txns carrying 100 bytes of data and syncs it (one write and
//! one fdatasync), as the node task does for one group commit.

mod storage_util;

use std::time::{Duration, Instant};

use storage_util::*;
use zoorepl_core::ids::Zxid;
use zoorepl_io::storage::Storage;

fn measure(batch: u32, prealloc_bytes: u64, run_for: Duration) -> (f64, f64) {
    let dir = tempfile::tempdir_in(
        std::env::var_os("BENCH_DIR").map_or_else(std::env::temp_dir, Into::into),
    )
    .expect("tempdir");
    let opts = opts(dir.path(), 64 << 20, prealloc_bytes);
    let (mut storage, _) = open(&opts);
    let mut counter = 0u32;
    let mut syncs = 0u64;
    let start = Instant::now();
    while start.elapsed() < run_for {
        let txns: Vec<_> = (0..batch)
            .map(|_| {
                counter += 1;
                txn(Zxid::new(1, counter), 100)
            })
            .collect();
        storage.append(&txns).expect("append");
        storage.sync().expect("sync");
        syncs += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    (syncs as f64 / secs, f64::from(counter) / secs)
}

#[test]
#[ignore = "measures the disk; run by hand"]
fn append_sync_throughput() {
    let run_for = Duration::from_secs(
        std::env::var("BENCH_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(3),
    );
    println!("batch  prealloc      syncs/s     txns/s");
    for prealloc in [64 << 20, 0] {
        for batch in [1, 10, 100] {
            let (syncs, txns) = measure(batch, prealloc, run_for);
            println!("{batch:5}  {prealloc:>8}  {syncs:11.0}  {txns:9.0}");
        }
    }
}

#[test]
#[ignore = "measures the disk; run by hand"]
fn recovery_time_of_a_full_log() {
    let dir = tempfile::tempdir_in(
        std::env::var_os("BENCH_DIR").map_or_else(std::env::temp_dir, Into::into),
    )
    .expect("tempdir");
    let opts = opts(dir.path(), 64 << 20, 64 << 20);
    let (mut storage, _) = open(&opts);
    let count = 500_000u32;
    for chunk in 0..count / 1000 {
        let batch: Vec<_> = (1..=1000)
            .map(|i| txn(Zxid::new(1, chunk * 1000 + i), 100))
            .collect();
        storage.append(&batch).expect("append");
    }
    storage.sync().expect("sync");
    drop(storage);
    // A torn tail in the last, preallocated segment: the scan must cross its zeros.
    let last = segments(&opts).pop().expect("segment");
    let end = *record_offsets(&last).last().expect("records");
    truncate_file(&last, end + 50);
    truncate_file(&last, 64 << 20);
    let start = Instant::now();
    let (_, loaded) = open(&opts);
    let elapsed = start.elapsed();
    assert_eq!(loaded.log.len(), count as usize - 1);
    assert!(loaded.report.torn_tail.is_some());
    println!(
        "recovered {} txns from {} segments in {elapsed:?}",
        loaded.log.len(),
        segments(&opts).len()
    );
}
