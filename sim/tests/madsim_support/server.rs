//! One ensemble member as `zoorepld` runs it (`zoorepl_io::server::serve` with its peer
//! transport), but recovered from and persisting to the simulator's disk, which outlives the
//! madsim node across kills.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;
use zoorepl_core::ids::{ServerId, SessionId, Zxid};
use zoorepl_core::node::{encode_snapshot, Node, NodeConfig, ValidConfig};
use zoorepl_core::time::Instant;
use zoorepl_core::tree::DataTree;
use zoorepl_core::txn::Txn;
use zoorepl_core::zab::PlantedBug;
use zoorepl_io::fourlw::Whitelist;
use zoorepl_io::peer::{PeerSpec, TransportConfig};
use zoorepl_io::server::{self, Disk, DiskError, Parts, Peers, ServerOptions, SnapshotSink};
use zoorepl_sim::disk::{self as simdisk, Record};
use zoorepl_sim::{ensemble_config, SimOptions};

use super::checks::{self, Checks};

/// Servers in the ensemble (all voters).
pub(crate) const SERVERS: usize = 3;
pub(crate) const CLIENT_PORT: u16 = 2181;
const QUORUM_PORT: u16 = 2888;
const ELECTION_PORT: u16 = 3888;
const TICK_MS: u64 = 100;

/// Server `index`'s address (10.0.0.1 for index 0).
pub(crate) fn server_ip(index: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(
        10,
        0,
        0,
        u8::try_from(index + 1).expect("few"),
    ))
}

/// A server's durable state, shared with the test so it survives kills.
pub(crate) type SharedDisk = Arc<Mutex<simdisk::Disk>>;

/// Every txn any server persisted, by (zxid, hash of its record): the committed log is looked
/// up here at the end, since a disk keeps only record hashes for what a snapshot covers.
pub(crate) type TxnStore = Arc<Mutex<BTreeMap<(Zxid, u64), Txn>>>;

/// The simulator's disk behind the shell's `Disk` trait. Writes are synced at once: the disk
/// task's simulated fsync delay comes before the call, so a kill loses a whole batch that was
/// never acknowledged, never part of one (torn tails are the core simulator's to test).
struct SimDisk {
    disk: SharedDisk,
    store: TxnStore,
    checks: Checks,
    index: usize,
}

impl SimDisk {
    fn disk(&self) -> std::sync::MutexGuard<'_, simdisk::Disk> {
        self.disk.lock().expect("not poisoned")
    }
}

impl Disk for SimDisk {
    fn persist(&mut self, txns: &[Txn]) -> Result<(), DiskError> {
        let records: Vec<Record> = txns.iter().map(Record::encode).collect();
        let mut store = self.store.lock().expect("not poisoned");
        for (txn, record) in txns.iter().zip(&records) {
            store
                .entry((txn.zxid, record.hash))
                .or_insert_with(|| txn.clone());
        }
        let mut disk = self.disk();
        disk.write(records);
        disk.sync();
        Ok(())
    }

    fn save_epochs(&mut self, accepted: u32, current: u32) -> Result<(), DiskError> {
        self.disk().save_epochs(accepted, current);
        Ok(())
    }

    fn truncate_after(&mut self, zxid: Zxid) -> Result<(), DiskError> {
        self.disk().truncate_after(zxid);
        Ok(())
    }

    fn install_snapshot(
        &mut self,
        zxid: Zxid,
        tree: &DataTree,
        sessions: &[(SessionId, i32)],
    ) -> Result<(), DiskError> {
        let bytes = encode_snapshot(tree, sessions.to_vec());
        self.disk().install_snapshot(zxid, bytes);
        checks::on_image_durable(&self.checks, self.index);
        Ok(())
    }
}

impl SnapshotSink for SimDisk {
    fn write(
        &mut self,
        zxid: Zxid,
        tree: &DataTree,
        sessions: &[(SessionId, i32)],
    ) -> Result<(), DiskError> {
        let bytes = encode_snapshot(tree, sessions.to_vec());
        self.disk().add_snapshot(zxid, bytes);
        Ok(())
    }
}

fn config(index: usize) -> ValidConfig {
    let opts = SimOptions {
        nodes: SERVERS,
        zab_bug: planted(),
        ..SimOptions::default()
    };
    let ensemble = ensemble_config(&opts).expect("three voters are an ensemble");
    NodeConfig {
        server_id: ServerId(index as u64 + 1),
        tick_ms: TICK_MS,
        session_secret: 0x5eed,
        snap_count: 50,
        ensemble: Some(ensemble),
        full_checks: true,
        ..NodeConfig::default()
    }
    .validate()
    .expect("the test's config is valid")
}

/// The ZAB bug to plant in every server, by its `zoorepl sim --planted` name
/// (`ZOOREPL_MADSIM_PLANTED=zxid-reuse`, say): only in a build with `--features planted-bugs`,
/// to see the checks catch it.
fn planted() -> Option<PlantedBug> {
    let name = std::env::var("ZOOREPL_MADSIM_PLANTED").ok()?;
    let bug = PlantedBug::from_name(&name);
    Some(bug.unwrap_or_else(|| panic!("ZOOREPL_MADSIM_PLANTED={name}: no such planted bug")))
}

fn wall_now() -> Instant {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis();
    Instant::from_millis(u64::try_from(ms).expect("fits"))
}

async fn bind(ip: IpAddr, port: u16) -> TcpListener {
    TcpListener::bind(SocketAddr::new(ip, port))
        .await
        .expect("a simulated port is free")
}

/// Runs server `index` until it is killed: recovers from `disk`, binds its three ports and
/// serves. `seed` varies per start so a restarted node draws afresh.
pub(crate) async fn run(
    index: usize,
    disk: SharedDisk,
    store: TxnStore,
    checks: Checks,
    seed: u64,
) {
    let recovery = disk
        .lock()
        .expect("not poisoned")
        .recover()
        .unwrap_or_else(|e| panic!("server {index}: its disk does not recover: {}", e.0));
    let r = &recovery.recovered;
    let durable = r.log.last().map_or(r.tree.last_applied(), |t| t.zxid);
    checks::on_start(&checks, index, &recovery.logged, durable);
    let node = Node::recover(config(index), recovery.recovered, wall_now(), seed);
    let ip = server_ip(index);
    let others: BTreeMap<ServerId, PeerSpec> = (0..SERVERS)
        .filter(|i| *i != index)
        .map(|i| {
            let spec = PeerSpec {
                host: server_ip(i).to_string(),
                quorum_port: QUORUM_PORT,
                election_port: ELECTION_PORT,
            };
            (ServerId(i as u64 + 1), spec)
        })
        .collect();
    let peers = Peers {
        transport: TransportConfig::new(ServerId(index as u64 + 1), others),
        election: bind(ip, ELECTION_PORT).await,
        quorum: bind(ip, QUORUM_PORT).await,
    };
    let parts = Parts {
        listener: bind(ip, CLIENT_PORT).await,
        metrics: None,
        node,
        disk: Box::new(SimDisk {
            disk: disk.clone(),
            store: store.clone(),
            checks: checks.clone(),
            index,
        }),
        snapshots: Box::new(SimDisk {
            disk,
            store,
            checks: checks.clone(),
            index,
        }),
        options: ServerOptions {
            four_letter_whitelist: Whitelist::parse("*").0,
            observer: Some(checks::observer(&checks, index)),
            ..ServerOptions::default()
        },
        peers: Some(peers),
    };
    server::serve(parts, std::future::pending())
        .await
        .unwrap_or_else(|e| panic!("server {index}: accept failed: {e}"));
}

/// The committed log up to `applied`, from a settled server whose disk holds the whole log
/// (one that never installed a SNAP), looked up in `store`; `None` when every server did.
pub(crate) fn durable_log(
    disks: &[SharedDisk],
    store: &TxnStore,
    applied: Zxid,
) -> Option<Vec<Txn>> {
    let disk = disks
        .iter()
        .find(|d| d.lock().expect("not poisoned").log_base() == Zxid::ZERO)?;
    let recovery = disk
        .lock()
        .expect("not poisoned")
        .recover()
        .expect("a settled server's disk recovers");
    let store = store.lock().expect("not poisoned");
    let log = recovery
        .logged
        .into_iter()
        .filter(|(zxid, _)| *zxid <= applied)
        .map(|key| store[&key].clone())
        .collect();
    Some(log)
}
