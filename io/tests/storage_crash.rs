//! A quickcheck property: under random appends, syncs, unsynced flushes and crashes that lose
//! unsynced bytes, reopening yields exactly a prefix of what was appended that holds every
//! synced txn.

mod storage_util;

use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult};
use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use storage_util::*;
use zoorepl_core::ids::Zxid;
use zoorepl_core::txn::Txn;
use zoorepl_io::storage::{FileStorage, Storage};

#[derive(Clone, Debug)]
enum Op {
    /// Append `count` txns with `data_len` bytes each, the first in a new epoch if asked.
    Append {
        count: u8,
        data_len: u16,
        new_epoch: bool,
    },
    /// fsync everything appended.
    Sync,
    /// Hand the buffered records to the OS without fsync (the kernel may keep any part).
    Flush,
    /// Drop the storage, cut the last segment at a random offset at or past the synced size
    /// (`cut` picks it), optionally leave garbage there, and reopen.
    Crash { cut: u32, garbage: Vec<u8> },
}

impl Arbitrary for Op {
    fn arbitrary(g: &mut Gen) -> Self {
        match u8::arbitrary(g) % 10 {
            0..=3 => Self::Append {
                count: 1 + u8::arbitrary(g) % 6,
                data_len: u16::arbitrary(g) % 300,
                new_epoch: u8::arbitrary(g) % 8 == 0,
            },
            4..=5 => Self::Sync,
            6..=7 => Self::Flush,
            _ => {
                let garbage_len = if bool::arbitrary(g) {
                    0
                } else {
                    usize::from(u8::arbitrary(g) % 20)
                };
                Self::Crash {
                    cut: u32::arbitrary(g),
                    garbage: (0..garbage_len).map(|_| u8::arbitrary(g)).collect(),
                }
            }
        }
    }
}

#[derive(Clone, Debug)]
struct Scenario {
    segment_bytes: u64,
    prealloc_bytes: u64,
    ops: Vec<Op>,
}

impl Arbitrary for Scenario {
    fn arbitrary(g: &mut Gen) -> Self {
        let len = usize::from(u8::arbitrary(g) % 40);
        Self {
            segment_bytes: *g.choose(&[150, 700, 4000, 1 << 20]).expect("nonempty"),
            prealloc_bytes: *g.choose(&[0, 64, 1000, 8192]).expect("nonempty"),
            ops: (0..len).map(|_| Op::arbitrary(g)).collect(),
        }
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        let base = self.clone();
        Box::new(self.ops.shrink().map(move |ops| Self {
            ops,
            ..base.clone()
        }))
    }
}

/// What the test knows about the log.
struct Model {
    /// Everything appended and not lost, in order.
    appended: Vec<Txn>,
    /// How many of them are durable (synced, or recovered and fsynced by open).
    durable: usize,
    /// The last segment and its size at the last successful sync.
    synced_at: Option<(PathBuf, u64)>,
}

impl Model {
    fn next_zxid(&self, new_epoch: bool) -> Zxid {
        let last = self.appended.last().map_or(Zxid::new(1, 0), |t| t.zxid);
        if new_epoch {
            Zxid::new(last.epoch + 1, 1)
        } else {
            last.next()
        }
    }
}

/// Cuts the last segment at or past what the last sync made durable, as a power loss might.
fn crash(storage: FileStorage, model: &Model, cut: u32, garbage: &[u8]) {
    let Some((path, _)) = storage.current_segment() else {
        return;
    };
    let path = path.to_path_buf();
    drop(storage);
    let lower = match &model.synced_at {
        Some((synced_path, size)) if *synced_path == path => *size,
        // Created since the last sync (by a roll): none of it is known durable.
        _ => 0,
    };
    let len = file_len(&path);
    assert!(lower <= len, "synced size {lower} past file length {len}");
    let at = lower + u64::from(cut) % (len - lower + 1);
    truncate_file(&path, at);
    if !garbage.is_empty() {
        let file = OpenOptions::new().write(true).open(&path).expect("open");
        file.write_all_at(garbage, at).expect("garbage");
    }
}

/// Reopens and checks the prefix property; updates the model to what was recovered.
fn reopen_and_check(
    opts: &zoorepl_io::storage::StorageOptions,
    model: &mut Model,
) -> Result<FileStorage, String> {
    let (storage, loaded) = FileStorage::open(opts.clone()).map_err(|e| format!("open: {e}"))?;
    let got = loaded.log.len();
    if got < model.durable || got > model.appended.len() {
        return Err(format!(
            "recovered {got} txns; durable {}, appended {}",
            model.durable,
            model.appended.len()
        ));
    }
    if loaded.log[..] != model.appended[..got] {
        return Err(format!(
            "recovered {got} txns that are not a prefix of the appended ones"
        ));
    }
    if storage.last_zxid() != loaded.log.last().map_or(Zxid::ZERO, |t| t.zxid) {
        return Err("last_zxid differs from the recovered log".to_owned());
    }
    model.appended.truncate(got);
    model.durable = got;
    model.synced_at = storage
        .current_segment()
        .map(|(p, size)| (p.to_path_buf(), size));
    Ok(storage)
}

fn run(scenario: Scenario) -> Result<(), String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = opts(dir.path(), scenario.segment_bytes, scenario.prealloc_bytes);
    let mut model = Model {
        appended: Vec::new(),
        durable: 0,
        synced_at: None,
    };
    let mut storage = reopen_and_check(&opts, &mut model)?;
    for op in &scenario.ops {
        match op {
            Op::Append {
                count,
                data_len,
                new_epoch,
            } => {
                let mut batch: Vec<Txn> = Vec::new();
                for i in 0..*count {
                    let prev_model = batch
                        .last()
                        .map_or(model.next_zxid(*new_epoch && i == 0), |t: &Txn| {
                            t.zxid.next()
                        });
                    batch.push(txn(prev_model, usize::from(*data_len)));
                }
                storage.append(&batch).map_err(|e| e.to_string())?;
                model.appended.extend(batch);
            }
            Op::Sync => {
                storage.sync().map_err(|e| e.to_string())?;
                model.durable = model.appended.len();
                model.synced_at = storage
                    .current_segment()
                    .map(|(p, size)| (p.to_path_buf(), size));
            }
            Op::Flush => storage.flush_unsynced().map_err(|e| e.to_string())?,
            Op::Crash { cut, garbage } => {
                crash(storage, &model, *cut, garbage);
                storage = reopen_and_check(&opts, &mut model)?;
            }
        }
    }
    storage.sync().map_err(|e| e.to_string())?;
    model.durable = model.appended.len();
    drop(storage);
    reopen_and_check(&opts, &mut model)?;
    Ok(())
}

#[test]
fn crash_recovery_yields_a_prefix_holding_every_synced_txn() {
    fn prop(scenario: Scenario) -> TestResult {
        match run(scenario) {
            Ok(()) => TestResult::passed(),
            Err(why) => TestResult::error(why),
        }
    }
    QuickCheck::new()
        .tests(100)
        .quickcheck(prop as fn(Scenario) -> TestResult);
}
