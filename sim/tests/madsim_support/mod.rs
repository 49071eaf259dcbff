//! The madsim world of `madsim_ensemble.rs`: three server nodes, a client node, a nemesis, and
//! the end-of-run checks.

mod checks;
mod clients;
mod server;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use madsim::net::NetSim;
use madsim::runtime::{Handle, NodeHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zoorepl_core::ids::Zxid;
use zoorepl_core::tree::DataTree;
use zoorepl_sim::checker::witness;
use zoorepl_sim::rand::Rng;

use clients::Clients;
pub(crate) use server::SERVERS;
use server::{server_ip, SharedDisk, TxnStore, CLIENT_PORT};

/// The world of one seed.
pub(crate) struct World {
    pub(crate) seed: u64,
    handle: Handle,
    servers: Vec<NodeHandle>,
    disks: Vec<SharedDisk>,
    store: TxnStore,
    checks: checks::Checks,
    client_node: NodeHandle,
    clients: Arc<Mutex<Clients>>,
    rng: Mutex<Rng>,
    start: tokio::time::Instant,
}

/// What the settled ensemble looks like.
pub(crate) struct Settled {
    /// Every server's last zxid.
    pub(crate) zxid: u64,
    /// Their digest at it.
    pub(crate) digest: u64,
}

impl World {
    /// Starts the servers (each restarts from its disk when killed and restarted).
    pub(crate) async fn start() -> Self {
        let handle = Handle::current();
        let seed = handle.seed();
        let mut rng = Rng::new(seed);
        let disks: Vec<SharedDisk> = (0..SERVERS).map(|_| SharedDisk::default()).collect();
        let store = TxnStore::default();
        let checks = checks::new(disks.clone());
        let servers = (0..SERVERS)
            .map(|i| {
                let (disk, store, checks) = (disks[i].clone(), store.clone(), checks.clone());
                let starts = Arc::new(std::sync::atomic::AtomicU64::new(0));
                handle
                    .create_node()
                    .name(format!("server-{}", i + 1))
                    .ip(server_ip(i))
                    .init(move || {
                        let n = starts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let seed = seed ^ (n << 8 | i as u64);
                        server::run(i, disk.clone(), store.clone(), checks.clone(), seed)
                    })
                    .build()
            })
            .collect();
        let client_node = handle
            .create_node()
            .name("clients")
            .ip(IpAddr::V4(Ipv4Addr::new(10, 0, 1, 1)))
            .build();
        let n_clients = usize::try_from(rng.range(2, 6)).expect("small");
        let clients = Arc::new(Mutex::new(Clients::new(n_clients, &mut rng)));
        Self {
            seed,
            handle,
            servers,
            disks,
            store,
            checks,
            client_node,
            clients,
            rng: Mutex::new(rng),
            start: tokio::time::Instant::now(),
        }
    }

    pub(crate) fn start_clients(&self) {
        let (shared, start) = (self.clients.clone(), self.start);
        self.client_node.spawn(clients::drive(shared, start));
    }

    /// A value in `low..=high`.
    fn draw(&self, low: u64, high: u64) -> u64 {
        self.rng.lock().expect("not poisoned").range(low, high)
    }

    /// A server index.
    fn any_server(&self) -> usize {
        self.rng.lock().expect("not poisoned").below(SERVERS)
    }

    fn pause_for(&self, low_ms: u64, high_ms: u64) -> tokio::time::Sleep {
        tokio::time::sleep(Duration::from_millis(self.draw(low_ms, high_ms)))
    }

    /// Faults one at a time until `safety` has passed; returns how many.
    pub(crate) async fn nemesis(&self, safety: Duration) -> usize {
        let net = NetSim::current();
        let mut faults = 0;
        while self.start.elapsed() < safety {
            self.pause_for(200, 1500).await;
            faults += 1;
            match self.draw(0, 3) {
                0 | 1 => {
                    // Half the kills go to the leader, if there is one right now.
                    let leader = if self.draw(0, 1) == 0 {
                        self.leader().await
                    } else {
                        None
                    };
                    let victim = leader.unwrap_or_else(|| self.any_server());
                    println!("{:?}: kill server {}", self.start.elapsed(), victim + 1);
                    checks::on_kill(&self.checks, victim);
                    self.handle.kill(self.servers[victim].id());
                    self.pause_for(100, 3000).await;
                    self.handle.restart(self.servers[victim].id());
                }
                2 => {
                    let a = self.any_server();
                    let b = (a + 1 + self.draw(0, 1) as usize) % SERVERS;
                    let (a, b) = (self.servers[a].id(), self.servers[b].id());
                    println!("{:?}: clog the link {a} <-> {b}", self.start.elapsed());
                    net.clog_link(a, b);
                    net.clog_link(b, a);
                    self.pause_for(100, 3000).await;
                    net.unclog_link(a, b);
                    net.unclog_link(b, a);
                }
                _ => {
                    let victim = self.servers[self.any_server()].id();
                    println!("{:?}: pause {victim}", self.start.elapsed());
                    self.handle.pause(victim);
                    self.pause_for(100, 3000).await;
                    self.handle.resume(victim);
                }
            }
        }
        faults
    }

    /// Clients issue no new operations from now on.
    pub(crate) fn heal_and_quiesce(&self) {
        self.clients.lock().expect("not poisoned").workload.quiet = true;
    }

    /// Waits until the clients are done and the servers agree; panics after `limit`.
    pub(crate) async fn settle(&self, limit: Duration) -> Settled {
        let until = tokio::time::Instant::now() + limit;
        let mut last = String::new();
        while tokio::time::Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let clients_done = self
                .clients
                .lock()
                .expect("not poisoned")
                .workload
                .settled();
            let mut states = Vec::new();
            for i in 0..SERVERS {
                states.push(self.state(i).await);
            }
            last = format!("clients settled {clients_done}; servers {states:?}");
            let leaders = states
                .iter()
                .filter(|s| s.as_ref().is_some_and(|s| s.0))
                .count();
            let agreed = states
                .iter()
                .map(|s| s.as_ref().map(|s| (s.1, s.2)))
                .collect::<Option<Vec<_>>>()
                .filter(|v| v.windows(2).all(|w| w[0] == w[1]));
            if let (true, 1, Some(v)) = (clients_done, leaders, agreed) {
                let (zxid, digest) = v[0];
                return Settled { zxid, digest };
            }
        }
        panic!(
            "seed {}: not settled {limit:?} after healing: {last}; clients: {}",
            self.seed,
            self.clients
                .lock()
                .expect("not poisoned")
                .workload
                .unsettled()
        );
    }

    /// The clients' own checks and the zxid-witness on their history; panics on a violation.
    pub(crate) fn check(&self, settled: &Settled) -> String {
        let found = &self.checks.lock().expect("not poisoned").violations;
        assert!(
            found.is_empty(),
            "seed {}: per-step checks: {found:?}",
            self.seed
        );
        let clients = self.clients.lock().expect("not poisoned");
        assert!(
            clients.undecodable.is_empty() && clients.workload.violations.is_empty(),
            "seed {}: client checks: {:?} {:?}",
            self.seed,
            clients.undecodable,
            clients.workload.violations
        );
        let applied = Zxid::from_i64(i64::try_from(settled.zxid).expect("fits"));
        let Some(log) = server::durable_log(&self.disks, &self.store, applied) else {
            return "witness skipped: every server installed a SNAP, none holds the whole log"
                .to_owned();
        };
        let mut tree = DataTree::new();
        for txn in &log {
            let _ = tree.apply(txn);
        }
        assert_eq!(
            (tree.last_applied(), tree.digest()),
            (applied, settled.digest),
            "seed {}: the durable log ({} txns) does not replay to the settled state",
            self.seed,
            log.len()
        );
        let history = &clients.workload.history;
        let converted = witness::convert(&log, history);
        let (report, violations) = witness::check(&converted, history);
        assert!(
            violations.is_empty(),
            "seed {}: witness: {violations:?}",
            self.seed
        );
        format!("witness: {report:?}")
    }

    pub(crate) fn ops(&self) -> usize {
        self.clients
            .lock()
            .expect("not poisoned")
            .workload
            .history
            .ops
            .len()
    }

    pub(crate) fn ops_ok(&self) -> usize {
        let clients = self.clients.lock().expect("not poisoned");
        clients
            .workload
            .history
            .ops
            .iter()
            .filter(|o| matches!(o.outcome, zoorepl_sim::history::Outcome::Ok(_)))
            .count()
    }

    /// The server leading now, if any answers `srvr` as leader.
    async fn leader(&self) -> Option<usize> {
        for i in 0..SERVERS {
            if self.state(i).await.is_some_and(|s| s.0) {
                return Some(i);
            }
        }
        None
    }

    /// Server `i`'s (leads, last zxid, digest at it) from `srvr` and `hash`, asked from the
    /// client node; `None` while it does not serve.
    async fn state(&self, i: usize) -> Option<(bool, u64, u64)> {
        let srvr = self.four_letter(i, "srvr").await?;
        let leads = srvr.contains("Mode: leader");
        // `hash` prints `<applied zxid hex>: <digest as a signed decimal>`.
        let hash = self.four_letter(i, "hash").await?;
        let (zxid, digest) = hash.lines().last()?.split_once(": ")?;
        let zxid = u64::from_str_radix(zxid.trim(), 16).ok()?;
        let digest = digest.trim().parse::<i64>().ok()?;
        Some((leads, zxid, digest as u64))
    }

    async fn four_letter(&self, i: usize, word: &'static str) -> Option<String> {
        let addr = SocketAddr::new(server_ip(i), CLIENT_PORT);
        let ask = async move {
            let mut stream = TcpStream::connect(addr).await.ok()?;
            stream.write_all(word.as_bytes()).await.ok()?;
            // madsim holds writes until flushed.
            stream.flush().await.ok()?;
            let mut out = String::new();
            stream.read_to_string(&mut out).await.ok()?;
            Some(out)
        };
        let asked = self.client_node.spawn(async move {
            tokio::time::timeout(Duration::from_secs(1), ask)
                .await
                .ok()
                .flatten()
        });
        asked.await.ok().flatten()
    }
}
