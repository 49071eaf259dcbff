//! `zoorepld`: load the configuration, recover from disk, serve until SIGTERM/SIGINT.
//!
//! Exit codes: 0 clean shutdown; 2 bad configuration or arguments; 3 the log could not be
//! written or synced (from the disk thread; never retried); 4 the data directory fails its
//! checks at startup (corrupt log or snapshot, named with file and offset); 5 the client,
//! metrics, election or quorum port cannot be bound; 6 an internal error (a bug).

mod member;
mod purge;

use std::path::{Path, PathBuf};

use zoorepl_core::ids::ServerId;
use zoorepl_core::node::{Node, Recovered};
use zoorepl_core::time::Instant;
use zoorepl_io::config::ServerConfig;
use zoorepl_io::server::{self, DiskError, ServerOptions, SnapshotSink, StartupFigures};
use zoorepl_io::storage::{tree_codec, FileStorage, SnapshotWriter, StorageOptions};

/// Exit code for a bad configuration.
pub const EXIT_CONFIG: i32 = 2;
/// Exit code for a data directory that fails its checks.
pub const EXIT_RECOVERY: i32 = 4;
/// Exit code for a port that cannot be bound.
pub const EXIT_BIND: i32 = 5;
/// Exit code for an internal error (a panic: a bug).
pub const EXIT_BUG: i32 = 6;

/// A failure that ends the process with a documented code.
#[derive(Debug)]
pub struct Fatal {
    /// The exit code.
    pub code: i32,
    /// What to print.
    pub message: String,
}

fn fatal(code: i32, message: impl Into<String>) -> Fatal {
    Fatal {
        code,
        message: message.into(),
    }
}

/// Loads `zoo.cfg` (or the embedded defaults when no path is given), printing each warning.
///
/// # Errors
/// A bad file, with the key and the problem.
pub fn load_config(path: Option<&Path>) -> Result<ServerConfig, Fatal> {
    let Some(path) = path else {
        return Ok(ServerConfig::embedded_defaults());
    };
    let (config, warnings) = ServerConfig::from_file(path)
        .map_err(|e| fatal(EXIT_CONFIG, format!("{}: {e}", path.display())))?;
    for w in warnings {
        tracing::warn!("{}: {w:?}", path.display());
    }
    Ok(config)
}

struct Snapshots {
    writer: SnapshotWriter,
}

impl SnapshotSink for Snapshots {
    fn write(
        &mut self,
        zxid: zoorepl_core::ids::Zxid,
        tree: &zoorepl_core::tree::DataTree,
        sessions: &[(zoorepl_core::ids::SessionId, i32)],
    ) -> Result<(), DiskError> {
        let to_err = |e: &dyn std::fmt::Display| DiskError {
            what: format!("snapshot at {zxid}"),
            source: std::io::Error::other(e.to_string()),
        };
        let fill = |out: &mut dyn std::io::Write| tree_codec::write_state(out, tree, sessions);
        self.writer.write_with(zxid, fill).map_err(|e| to_err(&e))?;
        Ok(())
    }
}

/// The secret that session passwords derive from, kept in the data directory so sessions
/// survive a restart (clients reconnect with their id and password).
fn session_secret(data_dir: &Path) -> Result<u64, Fatal> {
    let path = data_dir.join("zoorepl-secret");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return u64::from_str_radix(text.trim(), 16).map_err(|e| {
            fatal(
                EXIT_RECOVERY,
                format!("{}: not a hex secret: {e}", path.display()),
            )
        });
    }
    let secret = random_u64();
    zoorepl_io::storage::write_atomically(
        data_dir,
        "zoorepl-secret",
        format!("{secret:016x}\n").as_bytes(),
    )
    .map_err(|e| fatal(EXIT_RECOVERY, format!("{}: {e}", path.display())))?;
    Ok(secret)
}

/// 64 random bits from the OS (for the session secret and the node's seed).
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut bytes = [0u8; 8];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        use std::io::Read;
        if f.read_exact(&mut bytes).is_ok() {
            return u64::from_le_bytes(bytes);
        }
    }
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

fn wall_now() -> Instant {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    Instant::from_millis(u64::try_from(ms).unwrap_or(u64::MAX))
}

/// Opens the data directory and rebuilds the node from the newest snapshot and the log
/// (for ensemble member `myid`, the log after the snapshot goes to ZAB, with the epochs).
fn recover(
    config: &ServerConfig,
    myid: Option<ServerId>,
    seed: u64,
) -> Result<(Node, FileStorage, StartupFigures), Fatal> {
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| fatal(EXIT_RECOVERY, format!("{}: {e}", config.data_dir.display())))?;
    let started = std::time::Instant::now();
    let mut opts = StorageOptions::new(&config.data_dir, &config.data_log_dir);
    opts.prealloc_bytes = config.prealloc_kb * 1024;
    let (storage, loaded) =
        FileStorage::open(opts).map_err(|e| fatal(EXIT_RECOVERY, e.to_string()))?;
    tracing::info!("recovery: {:?}", loaded.report);
    let mut recovered = match &loaded.snapshot {
        Some(snapshot) => snapshot
            .reader()
            .map_err(|e| e.to_string())
            .and_then(|mut r| tree_codec::read_state(&mut r))
            .map_err(|e| fatal(EXIT_RECOVERY, format!("snapshot at {}: {e}", snapshot.zxid)))?,
        None => Recovered::default(),
    };
    // Storage open (which also reads the log) and the snapshot's decode.
    let snap_loaded = started.elapsed();
    let txns_loaded = loaded.log.len() as u64;
    recovered.log = loaded.log;
    (recovered.accepted_epoch, recovered.current_epoch) = loaded.epochs;
    let node_config = match myid {
        None => config.node_config(session_secret(&config.data_dir)?),
        Some(id) => config.member_node_config(id, member::session_secret(config)),
    };
    let node_config = node_config
        .validate()
        .map_err(|e| fatal(EXIT_CONFIG, e.to_string()))?;
    let node = Node::recover(node_config, recovered, wall_now(), seed);
    let ms = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    let figures = StartupFigures {
        db_init_ms: ms(started.elapsed()),
        snap_load_ms: ms(snap_loaded),
        txns_load_ms: ms(started.elapsed().saturating_sub(snap_loaded)),
        txns_loaded,
    };
    tracing::info!(
        "recovered {} znodes up to zxid {} in {:?}",
        node.tree().znode_count(),
        node.last_applied(),
        started.elapsed()
    );
    Ok((node, storage, figures))
}

async fn bind(addr: &str) -> Result<tokio::net::TcpListener, Fatal> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| fatal(EXIT_BIND, format!("cannot listen on {addr}: {e}")))
}

/// Runs the server until a signal. Returns only on a clean shutdown.
///
/// # Errors
/// Any [`Fatal`] condition, with its exit code.
pub async fn run(config: ServerConfig) -> Result<(), Fatal> {
    let seed = random_u64();
    tracing::info!("node seed {seed:#x}");
    let myid = member::identity(&config)?;
    let (node, storage, startup) = recover(&config, myid, seed)?;
    let client_addr = match myid {
        None => config.client_bind_address(),
        Some(id) => config.member_client_address(id),
    }
    .ok_or_else(|| {
        fatal(
            EXIT_CONFIG,
            "clientPort: is not set, and this server's server.N line names no client port",
        )
    })?;
    let listener = bind(&client_addr).await?;
    let peers = match myid {
        None => None,
        Some(id) => Some(member::peers(&config, id).await?),
    };
    let metrics = match config.metrics_port {
        Some(port) => Some(bind(&format!("0.0.0.0:{port}")).await?),
        None => None,
    };
    let snapshots = Snapshots {
        writer: storage.snapshot_writer(),
    };
    purge::start(
        storage.snapshot_writer(),
        usize::try_from(config.snap_retain_count.max(3)).unwrap_or(3),
        config.purge_interval_hours,
    );
    let options = ServerOptions {
        max_client_cnxns_per_ip: usize::try_from(config.max_client_cnxns).unwrap_or(usize::MAX),
        max_frame_len: usize::try_from(config.jute_max_buffer).unwrap_or(usize::MAX),
        four_letter_whitelist: config.four_letter_words.clone(),
        conf: zoorepl_io::fourlw::ConfValues {
            server_id: myid.unwrap_or(ServerId(0)),
            ..config.conf_values()
        },
        startup,
        ..ServerOptions::default()
    };
    tracing::info!("serving clients on {client_addr}");
    eprintln!(
        "zoorepld: serving on {client_addr} (data in {})",
        config.data_dir.display()
    );
    let parts = server::Parts {
        listener,
        metrics,
        node,
        disk: Box::new(storage),
        snapshots: Box::new(snapshots),
        options,
        peers,
    };
    server::serve(parts, shutdown_signal())
        .await
        .map_err(|e| fatal(EXIT_BIND, format!("accept failed: {e}")))
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("installing the SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: shutting down"),
        _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
    }
}

/// The config path from the command line: `zoorepld [zoo.cfg]`.
#[must_use]
pub fn config_path_from_args(args: &[String]) -> Option<PathBuf> {
    args.iter()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map(PathBuf::from)
}
