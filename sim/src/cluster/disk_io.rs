//! The per-server disk queue. Disk outputs run one at a time in emission order; each
//! completes after a simulated fsync latency, and only then is its effect durable and its
//! completion input stepped. A failed fsync crashes the server (never retried, as in `io`).

use zoorepl_core::ids::Zxid;
use zoorepl_core::input::Input;

use super::server::DiskOp;
use super::{Cluster, Event};
use crate::options::Planted;
use crate::trace::Target;

impl Cluster {
    pub(crate) fn disk_enqueue(&mut self, s: usize, op: DiskOp) {
        self.servers[s].disk_queue.push_back(op);
        if self.servers[s].disk_busy.is_none() {
            self.disk_start(s);
        }
    }

    /// Starts the next queued operation: a Persist writes its records now (page cache) and
    /// syncs at completion; the others take effect atomically at completion.
    fn disk_start(&mut self, s: usize) {
        let server = &mut self.servers[s];
        let Some(mut op) = server.disk_queue.pop_front() else {
            return;
        };
        if let DiskOp::Persist { records, .. } = &mut op {
            server.disk.write(std::mem::take(records));
        }
        server.disk_busy = Some(op);
        let (lo, hi) = self.faults.fsync_ms;
        let at = self.now + self.rng_disk.range(lo, hi);
        let inc = server.incarnation;
        self.queue.push(at, Event::DiskDone { server: s, inc });
    }

    pub(crate) fn on_disk_done(&mut self, s: usize, inc: u32) {
        let server = &mut self.servers[s];
        if inc != server.incarnation || !server.up() {
            return;
        }
        let op = server
            .disk_busy
            .take()
            .expect("a disk operation in progress");
        let input = match op {
            DiskOp::Persist { upto, .. } => {
                if self.rng_disk.chance(self.faults.fsync_fail_ppm) {
                    self.stats.fsync_failures += 1;
                    self.crash(s, "fsync failed");
                    return;
                }
                if self.planted != Some(Planted::AckBeforeFsync) {
                    server.disk.sync();
                }
                Input::Persisted { upto }
            }
            DiskOp::SaveEpoch { accepted, current } => {
                server.disk.save_epochs(accepted, current);
                Input::EpochSaved {
                    accepted_epoch: accepted,
                    current_epoch: current,
                }
            }
            DiskOp::Truncate { after } => {
                server.disk.truncate_after(after);
                Input::Truncated { after }
            }
            DiskOp::Install { zxid, bytes } => {
                server.disk.install_snapshot(zxid, bytes);
                self.checkers.monotonic.on_image_durable(s);
                Input::SnapshotInstalled { zxid }
            }
        };
        self.step(s, input);
        if self.servers[s].up() && self.servers[s].disk_busy.is_none() {
            self.disk_start(s);
        }
    }

    pub(crate) fn on_snapshot_done(&mut self, s: usize, inc: u32, zxid: Zxid, bytes: Vec<u8>) {
        let server = &mut self.servers[s];
        if inc != server.incarnation {
            return;
        }
        server.snapshot_busy = false;
        server.disk.add_snapshot(zxid, bytes);
        self.stats.snapshots += 1;
        self.trace.event(
            self.now,
            Target::Server(s),
            20,
            zxid.as_i64() as u64,
            || format!("snapshot at {zxid} durable"),
        );
    }

    /// Whether every up server's disk is idle.
    pub(crate) fn disks_idle(&self) -> bool {
        self.servers
            .iter()
            .filter(|s| s.up())
            .all(|s| s.disk_busy.is_none() && s.disk_queue.is_empty())
    }
}
