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
    /// Write a snapshot at the last durable zxid, then purge keeping 3.
    Snapshot,
    /// `truncate_after` a zxid `back + 1` txns from the end (not below the newest snapshot,
    /// which ZAB never asks for).
    Truncate { back: u8 },
}

impl Arbitrary for Op {
    fn arbitrary(g: &mut Gen) -> Self {
        match u8::arbitrary(g) % 13 {
            10 | 11 => Self::Snapshot,
            12 => Self::Truncate {
                back: u8::arbitrary(g) % 8,
            },
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
    /// The snapshots kept, oldest first.
    snapshots: Vec<Zxid>,
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
    let snapshot = loaded.snapshot_bytes().expect("read").map(|(zxid, bytes)| {
        assert_eq!(bytes, zxid.to_string().into_bytes(), "snapshot bytes");
        zxid
    });
    if snapshot != model.snapshots.last().copied() {
        return Err(format!(
            "loaded snapshot {snapshot:?}, expected {:?}",
            model.snapshots.last()
        ));
    }
    let base = snapshot.unwrap_or(Zxid::ZERO);
    let skip = model.appended.iter().take_while(|t| t.zxid <= base).count();
    let got = skip + loaded.log.len();
    if got < model.durable || got > model.appended.len() {
        return Err(format!(
            "recovered {got} txns; durable {}, appended {}",
            model.durable,
            model.appended.len()
        ));
    }
    if loaded.log[..] != model.appended[skip..got] {
        return Err(format!(
            "recovered {got} txns that are not a prefix of the appended ones"
        ));
    }
    let last = model.appended[..got].last().map_or(Zxid::ZERO, |t| t.zxid);
    if storage.last_zxid() != last {
        return Err(format!(
            "last_zxid {} differs from the recovered log's {last}",
            storage.last_zxid()
        ));
    }
    model.appended.truncate(got);
    model.durable = got;
    model.synced_at = storage
        .current_segment()
        .map(|(p, size)| (p.to_path_buf(), size));
    Ok(storage)
}

fn snapshot(storage: &FileStorage, model: &mut Model) -> Result<(), String> {
    let Some(last) = model.durable.checked_sub(1) else {
        return Ok(());
    };
    let zxid = model.appended[last].zxid;
    let writer = storage.snapshot_writer();
    writer
        .write(zxid, zxid.to_string().as_bytes())
        .map_err(|e| e.to_string())?;
    if model.snapshots.last() != Some(&zxid) {
        model.snapshots.push(zxid);
    }
    writer.purge(3).map_err(|e| e.to_string())?;
    let excess = model.snapshots.len().saturating_sub(3);
    model.snapshots.drain(..excess);
    Ok(())
}

fn truncate(storage: &mut FileStorage, model: &mut Model, back: u8) -> Result<(), String> {
    let floor = model.snapshots.last().copied().unwrap_or(Zxid::ZERO);
    let keep = model.appended.len().saturating_sub(1 + usize::from(back));
    let zxid = keep
        .checked_sub(1)
        .map_or(Zxid::ZERO, |i| model.appended[i].zxid);
    if zxid < floor || keep == model.appended.len() {
        return Ok(());
    }
    storage.truncate_after(zxid).map_err(|e| e.to_string())?;
    model.appended.truncate(keep);
    model.durable = keep;
    model.synced_at = storage
        .current_segment()
        .map(|(p, size)| (p.to_path_buf(), size));
    Ok(())
}

fn run(scenario: Scenario) -> Result<(), String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = opts(dir.path(), scenario.segment_bytes, scenario.prealloc_bytes);
    let mut model = Model {
        appended: Vec::new(),
        durable: 0,
        synced_at: None,
        snapshots: Vec::new(),
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
            Op::Snapshot => snapshot(&storage, &mut model)?,
            Op::Truncate { back } => truncate(&mut storage, &mut model, *back)?,
            Op::Crash { cut, garbage } => {
                crash(storage, &model, *cut, garbage);
                storage = reopen_and_check(&opts, &mut model)?;
            }
        }
    }
    storage.sync().map_err(|e| e.to_string())?;
    model.durable = model.appended.len();
    drop(storage);
    drop(reopen_and_check(&opts, &mut model)?);
    // Every kept snapshot must still have the log it needs: damage them newest first (the
    // log before the oldest one may be purged).
    while model.snapshots.len() > 1 {
        let newest = model.snapshots.pop().expect("more than one");
        let name = format!("snapshot.{:016x}", newest.as_i64() as u64);
        flip_byte(&opts.snap_dir().join(name), 30);
        drop(reopen_and_check(&opts, &mut model)?);
    }
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
    // 100 cases by default; QUICKCHECK_TESTS=n for more.
    QuickCheck::new().quickcheck(prop as fn(Scenario) -> TestResult);
}
