//! `zoo.cfg` parsing and validation (zookeeper-protocol.md §12).
//!
//! The reading rules follow Java's `QuorumPeerConfig.parseProperties` (3.8/3.9): the file is a
//! Java properties file ([`properties`]), keys and values are trimmed, the last occurrence of a
//! key wins. Keys Java's parser does not know become the system property `zookeeper.<key>` in
//! Java; we know the ones that matter for a standalone server (`4lw.commands.whitelist`,
//! `extendedTypesEnabled`, `skipACL`, `snapCount`, ...) and warn about every other key, saying
//! it is ignored. Ensemble keys (`server.N`, `initLimit`, ...) are parsed, checked and kept in
//! [`EnsembleConfig`] for the quorum work.
//!
//! Java behaviours kept: `tickTime` is 3000 when a file does not set it; `autopurge.snapRetainCount`
//! below 3 and `snapCount` below 2 are raised with a warning; a Prometheus
//! `metricsProvider.className` without `metricsProvider.httpPort` listens on 7000; a lone
//! `server.N` line's `;[addr:]port` part is the client listener; a file that is not UTF-8 is read
//! as ISO-8859-1 (Java reads every properties file that way).
//!
//! Differences from Java, on purpose:
//! - bad values of keys Java reads as system properties (`skipACL`, `extendedTypesEnabled`,
//!   `leaderServes`, ...) are errors here, where Java quietly takes the default;
//! - `secureClientPort`, the Jetty AdminServer and JMX-style metrics providers are not provided:
//!   the keys are accepted with a warning. `metricsPort` (ours) or `metricsProvider.httpPort`
//!   opens the Prometheus text endpoint.

mod ensemble;
mod error;
mod keys;
mod properties;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use zoorepl_core::ids::ServerId;
use zoorepl_core::node::NodeConfig;
use zoorepl_core::prep::PrepConfig;

pub use ensemble::host_port;
pub use error::{ConfigError, ConfigWarning, Origin};

use crate::fourlw::{ConfValues, Whitelist};

/// Java's `tickTime` when a file does not set it (`ZooKeeperServer.DEFAULT_TICK_TIME`).
pub const JAVA_DEFAULT_TICK_MS: u32 = 3000;

/// A standalone server's settings, with the ensemble keys kept for later.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// `tickTime`, ms.
    pub tick_ms: u32,
    /// `dataDir`: snapshots (and `myid`).
    pub data_dir: PathBuf,
    /// `dataLogDir`: transaction logs (defaults to `dataDir`).
    pub data_log_dir: PathBuf,
    /// `clientPort`; `None` only when every `server.N` line names the client port.
    pub client_port: Option<u16>,
    /// `clientPortAddress`; `None` listens on all interfaces.
    pub client_port_address: Option<String>,
    /// `clientPortListenBacklog` (-1: the system default), shown by `conf`.
    pub client_port_listen_backlog: i32,
    /// `minSessionTimeout`, ms; `None` is 2 × tick.
    pub min_session_timeout_ms: Option<i32>,
    /// `maxSessionTimeout`, ms; `None` is 20 × tick.
    pub max_session_timeout_ms: Option<i32>,
    /// `maxClientCnxns`: connections per client IP, 0 = unlimited.
    pub max_client_cnxns: u32,
    /// `maxCnxns`: connections in total, 0 = unlimited.
    pub max_cnxns: u32,
    /// `snapCount`: txns between snapshots (randomised in [n/2+1, n]).
    pub snap_count: u64,
    /// `preAllocSize`: log preallocation block, KB.
    pub prealloc_kb: u64,
    /// `autopurge.snapRetainCount` (at least 3).
    pub snap_retain_count: u32,
    /// `autopurge.purgeInterval`, hours; 0 = no purge.
    pub purge_interval_hours: u32,
    /// `4lw.commands.whitelist`.
    pub four_letter_words: Whitelist,
    /// `admin.*`: accepted for compatibility; no AdminServer is provided.
    pub admin: AdminConfig,
    /// `metricsPort` (ours) or `metricsProvider.httpPort`: the Prometheus text endpoint.
    pub metrics_port: Option<u16>,
    /// `extendedTypesEnabled`: TTL nodes.
    pub extended_types: bool,
    /// `DigestAuthenticationProvider.superDigest`: `super:<base64 sha1>`.
    pub super_digest: Option<String>,
    /// `skipACL=yes`.
    pub skip_acl: bool,
    /// `jute.maxbuffer`: the largest packet, bytes.
    pub jute_max_buffer: u32,
    /// `znode.container.checkIntervalMs`.
    pub container_check_interval_ms: u64,
    /// `znode.container.maxPerMinute`.
    pub container_max_per_minute: u32,
    /// `znode.container.maxNeverUsedIntervalMs`; `None` (0 in the file) never reaps by age.
    pub container_max_never_used_ms: Option<i64>,
    /// Quorum keys, parsed and kept.
    pub ensemble: EnsembleConfig,
}

/// The `admin.*` keys (Java's Jetty AdminServer, which zoorepl does not provide).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminConfig {
    /// `admin.enableServer` (Java default true).
    pub enable_server: bool,
    /// `admin.serverAddress`.
    pub server_address: String,
    /// `admin.serverPort`.
    pub server_port: u16,
    /// `admin.commandURL`.
    pub command_url: String,
}

impl Default for AdminConfig {
    fn default() -> Self {
        Self {
            enable_server: true,
            server_address: "0.0.0.0".into(),
            server_port: 8080,
            command_url: "/commands".into(),
        }
    }
}

/// What a member does in an ensemble (`peerType`, the `server.N` suffix).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PeerType {
    /// Votes (the default).
    #[default]
    Participant,
    /// Serves clients, does not vote.
    Observer,
    /// Ours: serves the replication stream, does not vote.
    Publisher,
}

/// One `server.N` line: `host:quorumPort:electionPort[:type][;[clientAddr:]clientPort]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerSpec {
    /// Host name or IP (IPv6 without brackets).
    pub host: String,
    /// Port for ZAB traffic.
    pub quorum_port: u16,
    /// Port for leader election.
    pub election_port: u16,
    /// Participant, observer or publisher.
    pub peer_type: PeerType,
    /// The client address after `;`, if given.
    pub client_address: Option<String>,
    /// The client port after `;`, if given.
    pub client_port: Option<u16>,
}

/// The quorum keys; a standalone server only checks them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnsembleConfig {
    /// `initLimit`, ticks.
    pub init_limit: Option<u32>,
    /// `syncLimit`, ticks.
    pub sync_limit: Option<u32>,
    /// `server.N` lines by id.
    pub servers: BTreeMap<ServerId, ServerSpec>,
    /// `peerType`.
    pub peer_type: PeerType,
    /// `standaloneEnabled` (default true).
    pub standalone_enabled: bool,
    /// `reconfigEnabled` (default false).
    pub reconfig_enabled: bool,
    /// `electionAlg` (only 3 exists).
    pub election_alg: u32,
    /// `globalOutstandingLimit` (default 1000).
    pub global_outstanding_limit: i32,
    /// `localSessionsEnabled`.
    pub local_sessions_enabled: bool,
    /// `localSessionsUpgradingEnabled`.
    pub local_sessions_upgrading_enabled: bool,
    /// `syncEnabled` (observers log and snapshot; default true).
    pub sync_enabled: bool,
    /// `leaderServes` (default yes).
    pub leader_serves: bool,
    /// `publisherPort` (ours): the replication stream of a publisher.
    pub publisher_port: Option<u16>,
}

impl Default for EnsembleConfig {
    fn default() -> Self {
        Self {
            init_limit: None,
            sync_limit: None,
            servers: BTreeMap::new(),
            peer_type: PeerType::Participant,
            standalone_enabled: true,
            reconfig_enabled: false,
            election_alg: 3,
            global_outstanding_limit: 1000,
            local_sessions_enabled: false,
            local_sessions_upgrading_enabled: false,
            sync_enabled: true,
            leader_serves: true,
            publisher_port: None,
        }
    }
}

impl ServerConfig {
    /// The settings `zoorepld` runs with when no file is given: standalone on
    /// `127.0.0.1:2181`, data in `./zoorepl-data`, `tickTime` 2000 (the sample zoo.cfg's value),
    /// `4lw` whitelist `srvr` only, no metrics endpoint.
    #[must_use]
    pub fn embedded_defaults() -> Self {
        Self {
            tick_ms: 2000,
            data_dir: PathBuf::from("./zoorepl-data"),
            data_log_dir: PathBuf::from("./zoorepl-data"),
            client_port: Some(2181),
            client_port_address: Some("127.0.0.1".into()),
            client_port_listen_backlog: -1,
            min_session_timeout_ms: None,
            max_session_timeout_ms: None,
            max_client_cnxns: 60,
            max_cnxns: 0,
            snap_count: 100_000,
            prealloc_kb: 65_536,
            snap_retain_count: 3,
            purge_interval_hours: 0,
            four_letter_words: Whitelist::default(),
            admin: AdminConfig::default(),
            metrics_port: None,
            extended_types: false,
            super_digest: None,
            skip_acl: false,
            jute_max_buffer: 0xfffff,
            container_check_interval_ms: 60_000,
            container_max_per_minute: 10_000,
            container_max_never_used_ms: None,
            ensemble: EnsembleConfig::default(),
        }
    }

    /// Parses zoo.cfg text. Keys not set take Java's defaults (so `tickTime` is 3000 when
    /// absent); `dataDir` is required and so is `clientPort` for a standalone server.
    ///
    /// # Errors
    /// The first bad value or missing key, naming the key, the value and the line.
    pub fn parse(text: &str) -> Result<(Self, Vec<ConfigWarning>), ConfigError> {
        let entries = properties::entries(text).map_err(|e| ConfigError::Invalid {
            origin: Origin {
                file: None,
                line: Some(e.line),
            },
            key: "(syntax)".into(),
            value: None,
            problem: e.problem,
        })?;
        keys::Builder::new().run(&entries)
    }

    /// Reads and parses a zoo.cfg file; errors and warnings carry the file name.
    ///
    /// # Errors
    /// The file cannot be read, or [`ServerConfig::parse`] fails.
    pub fn from_file(path: impl AsRef<Path>) -> Result<(Self, Vec<ConfigWarning>), ConfigError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| ConfigError::Read {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        // Java's `Properties.load(InputStream)` reads ISO-8859-1; we read UTF-8 and fall back to
        // Latin-1 (every byte one char, as Java) for files that are not UTF-8.
        let text = String::from_utf8(bytes)
            .unwrap_or_else(|e| e.into_bytes().iter().map(|&b| char::from(b)).collect());
        let (config, mut warnings) = Self::parse(&text).map_err(|e| e.in_file(path))?;
        for warning in &mut warnings {
            warning.origin.file = Some(path.to_owned());
        }
        Ok((config, warnings))
    }

    /// The effective session timeout clamp, ms (Java's 2 × tick and 20 × tick defaults).
    #[must_use]
    pub fn session_timeout_range_ms(&self) -> (i32, i32) {
        let tick = i32::try_from(self.tick_ms).unwrap_or(i32::MAX);
        (
            self.min_session_timeout_ms
                .unwrap_or_else(|| tick.saturating_mul(2)),
            self.max_session_timeout_ms
                .unwrap_or_else(|| tick.saturating_mul(20)),
        )
    }

    /// Whether this server runs alone: no `server.N` lines, or one and `standaloneEnabled`.
    #[must_use]
    pub fn is_standalone(&self) -> bool {
        let servers = self.ensemble.servers.len();
        servers == 0 || (servers == 1 && self.ensemble.standalone_enabled)
    }

    /// The client listener's address in a form `TcpListener::bind` accepts (`host:port`,
    /// IPv6 in brackets; all interfaces when `clientPortAddress` is unset).
    #[must_use]
    pub fn client_bind_address(&self) -> Option<String> {
        let port = self.client_port?;
        let host = self.client_port_address.as_deref().unwrap_or("0.0.0.0");
        Some(host_port(host, port))
    }

    /// The values `conf` prints (directories made absolute; sizes come from the snapshot).
    #[must_use]
    pub fn conf_values(&self) -> ConfValues {
        let absolute = |p: &Path| {
            std::path::absolute(p)
                .unwrap_or_else(|_| p.to_owned())
                .display()
                .to_string()
        };
        let (min, max) = self.session_timeout_range_ms();
        ConfValues {
            client_port: self.client_port.map_or(-1, i32::from),
            secure_client_port: -1,
            data_dir: absolute(&self.data_dir),
            data_log_dir: absolute(&self.data_log_dir),
            tick_ms: self.tick_ms,
            max_client_cnxns: self.max_client_cnxns,
            min_session_timeout_ms: min,
            max_session_timeout_ms: max,
            client_port_listen_backlog: self.client_port_listen_backlog,
            server_id: ServerId(0),
        }
    }

    /// The core's settings for a standalone node (server id 0).
    #[must_use]
    pub fn node_config(&self, session_secret: u64) -> NodeConfig {
        NodeConfig {
            server_id: ServerId(0),
            tick_ms: u64::from(self.tick_ms),
            min_session_timeout_ms: self.min_session_timeout_ms,
            max_session_timeout_ms: self.max_session_timeout_ms,
            session_secret,
            super_digest: self.super_digest.clone(),
            prep: PrepConfig {
                extended_types: self.extended_types,
                skip_acl: self.skip_acl,
            },
            container_check_interval_ms: self.container_check_interval_ms,
            container_max_per_minute: self.container_max_per_minute,
            container_max_never_used_ms: self.container_max_never_used_ms,
            snap_count: self.snap_count,
            ensemble: None,
            membership: None,
            full_checks: false,
        }
    }
}
