//! One function per group of zoo.cfg keys, then the checks across keys.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;

use zoorepl_core::ids::ServerId;

use super::properties::Entry;
use super::{ConfigError, ConfigWarning, Origin, PeerType, ServerConfig, ServerSpec};
use crate::fourlw::Whitelist;

/// Keys Java knows that zoorepl accepts and ignores (TLS, SASL, multi-address, JVM tuning).
const IGNORED_JAVA_KEYS: &[&str] = &[
    "secureClientPortAddress",
    "observerMasterPort",
    "quorumListenOnAllIPs",
    "sslQuorum",
    "portUnification",
    "sslQuorumReloadCertFiles",
    "quorum.cnxn.threads.size",
    "oraclePath",
    "dynamicConfigFile",
    "connectToLearnerMasterLimit",
    "serverCnxnFactory",
    "clientCnxnSocket",
    "fsync.warningthresholdms",
    "admin.idleTimeout",
    "minClientPortAddress",
];

/// Key prefixes Java knows that zoorepl accepts and ignores.
const IGNORED_JAVA_PREFIXES: &[&str] = &[
    "quorum.auth.",
    "jvm.pause.",
    "multiAddress.",
    "ssl.",
    "authProvider.",
    "group.",
    "weight.",
];

/// The largest `tickTime`, ms (`NodeConfig::validate` in core checks the same bound).
const MAX_TICK_MS: u32 = 600_000;

pub(super) struct Builder {
    config: ServerConfig,
    warnings: Vec<ConfigWarning>,
    data_dir: Option<PathBuf>,
    data_log_dir: Option<PathBuf>,
    metrics_port_ours: bool,
    /// `metricsProvider.className` names Java's Prometheus provider (which listens on 7000).
    prometheus_class: bool,
    /// The line of the last occurrence of each key, for checks across keys.
    lines: BTreeMap<String, u32>,
}

/// An error about one entry.
fn bad(e: &Entry, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        origin: Origin {
            file: None,
            line: Some(e.line),
        },
        key: e.key.clone(),
        value: Some(e.value.clone()),
        problem: problem.into(),
    }
}

fn number<T: FromStr>(e: &Entry) -> Result<T, ConfigError> {
    e.value.parse().map_err(|_| bad(e, "is not an integer"))
}

fn at_least<T: TryFrom<i128>>(e: &Entry, min: i128) -> Result<T, ConfigError> {
    let n: i128 = e.value.parse().map_err(|_| bad(e, "is not an integer"))?;
    if n < min {
        return Err(bad(e, format!("must be at least {min}")));
    }
    T::try_from(n).map_err(|_| bad(e, "is too large"))
}

fn port(e: &Entry) -> Result<u16, ConfigError> {
    parse_port(&e.value).ok_or_else(|| bad(e, "is not a port number (1-65535)"))
}

fn parse_port(s: &str) -> Option<u16> {
    s.parse::<u16>().ok().filter(|&p| p != 0)
}

/// Java's `parseBoolean`: `true`/`false`, any case.
fn boolean(e: &Entry) -> Result<bool, ConfigError> {
    match e.value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(bad(e, "must be true or false")),
    }
}

fn yes_no(e: &Entry) -> Result<bool, ConfigError> {
    match e.value.to_ascii_lowercase().as_str() {
        "yes" | "true" => Ok(true),
        "no" | "false" => Ok(false),
        _ => Err(bad(e, "must be yes or no")),
    }
}

fn non_empty(e: &Entry) -> Result<String, ConfigError> {
    if e.value.is_empty() {
        return Err(bad(e, "must not be empty"));
    }
    Ok(e.value.clone())
}

impl Builder {
    pub(super) fn new() -> Self {
        let mut config = ServerConfig::embedded_defaults();
        config.tick_ms = super::JAVA_DEFAULT_TICK_MS;
        config.client_port = None;
        config.client_port_address = None;
        Self {
            config,
            warnings: Vec::new(),
            data_dir: None,
            data_log_dir: None,
            metrics_port_ours: false,
            prometheus_class: false,
            lines: BTreeMap::new(),
        }
    }

    pub(super) fn run(
        mut self,
        entries: &[Entry],
    ) -> Result<(ServerConfig, Vec<ConfigWarning>), ConfigError> {
        for e in entries {
            if let Some(first) = self.lines.insert(e.key.clone(), e.line) {
                self.warn(e, format!("also set on line {first}; the later value wins"));
            }
            let handled = self.apply_server(e)?
                || self.apply_storage(e)?
                || self.apply_features(e)?
                || self.apply_ensemble(e)?;
            if !handled {
                self.apply_other(e);
            }
        }
        self.finish()?;
        Ok((self.config, self.warnings))
    }

    fn warn(&mut self, e: &Entry, message: impl Into<String>) {
        self.warnings.push(ConfigWarning {
            origin: Origin {
                file: None,
                line: Some(e.line),
            },
            key: e.key.clone(),
            message: message.into(),
        });
    }

    /// Listener, timing and connection keys.
    fn apply_server(&mut self, e: &Entry) -> Result<bool, ConfigError> {
        let c = &mut self.config;
        match e.key.as_str() {
            "tickTime" => {
                let tick = at_least(e, 1)?;
                if tick > MAX_TICK_MS {
                    return Err(bad(e, format!("must be at most {MAX_TICK_MS} ms")));
                }
                c.tick_ms = tick;
            }
            "clientPort" => c.client_port = Some(port(e)?),
            "clientPortAddress" => {
                let host = non_empty(e)?;
                let host = host.trim_start_matches('[').trim_end_matches(']');
                c.client_port_address = Some(host.to_owned());
            }
            "clientPortListenBacklog" => c.client_port_listen_backlog = number(e)?,
            "secureClientPort" => {
                port(e)?;
                self.warn(
                    e,
                    "TLS is not supported by zoorepl; the secure port is ignored",
                );
            }
            "minSessionTimeout" => c.min_session_timeout_ms = session_timeout(e)?,
            "maxSessionTimeout" => c.max_session_timeout_ms = session_timeout(e)?,
            "maxClientCnxns" => c.max_client_cnxns = at_least(e, 0)?,
            "maxCnxns" => c.max_cnxns = at_least(e, 0)?,
            "4lw.commands.whitelist" => {
                let (list, unknown) = Whitelist::parse(&e.value);
                c.four_letter_words = list;
                for name in unknown {
                    self.warn(e, format!("{name:?} is not a four-letter word; ignored"));
                }
            }
            "jute.maxbuffer" | "zookeeper.jute.maxbuffer" => {
                c.jute_max_buffer = jute_max_buffer(e)?
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Data directories, snapshots and purging.
    fn apply_storage(&mut self, e: &Entry) -> Result<bool, ConfigError> {
        match e.key.as_str() {
            "dataDir" | "dataLogDir" => {
                let dir = PathBuf::from(non_empty(e)?);
                if dir.is_relative() {
                    self.warn(
                        e,
                        "is a relative path; it is resolved against the working directory",
                    );
                }
                if e.key == "dataDir" {
                    self.data_dir = Some(dir);
                } else {
                    self.data_log_dir = Some(dir);
                }
            }
            "snapCount" => {
                let n: i64 = number(e)?;
                if n < 2 {
                    self.warn(e, "must be 2 or more; using 2 (as Java does)");
                }
                self.config.snap_count = u64::try_from(n.max(2)).expect("at least 2");
            }
            "preAllocSize" => self.config.prealloc_kb = at_least(e, 1)?,
            "autopurge.snapRetainCount" => {
                let n: i32 = number(e)?;
                if n < 3 {
                    self.warn(e, "must be 3 or more; using 3 (as Java does)");
                }
                self.config.snap_retain_count = u32::try_from(n.max(3)).expect("at least 3");
            }
            "autopurge.purgeInterval" => {
                let hours: i32 = number(e)?;
                self.config.purge_interval_hours = u32::try_from(hours).unwrap_or(0);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Znode features, ACLs, metrics and the AdminServer keys.
    fn apply_features(&mut self, e: &Entry) -> Result<bool, ConfigError> {
        let c = &mut self.config;
        match e.key.as_str() {
            "extendedTypesEnabled" | "zookeeper.extendedTypesEnabled" => {
                c.extended_types = boolean(e)?;
            }
            "DigestAuthenticationProvider.superDigest"
            | "zookeeper.DigestAuthenticationProvider.superDigest" => {
                c.super_digest = Some(super_digest(e)?);
            }
            "skipACL" | "zookeeper.skipACL" => c.skip_acl = yes_no(e)?,
            "znode.container.checkIntervalMs" => c.container_check_interval_ms = at_least(e, 1)?,
            "znode.container.maxPerMinute" => c.container_max_per_minute = at_least(e, 0)?,
            "znode.container.maxNeverUsedIntervalMs" => {
                let ms: i64 = at_least(e, 0)?;
                c.container_max_never_used_ms = (ms > 0).then_some(ms);
            }
            "metricsPort" => {
                c.metrics_port = Some(port(e)?);
                self.metrics_port_ours = true;
            }
            "metricsProvider.httpPort" => {
                let p = port(e)?;
                if !self.metrics_port_ours {
                    c.metrics_port = Some(p);
                }
            }
            "metricsProvider.className" => {
                self.prometheus_class = e.value.ends_with("PrometheusMetricsProvider");
                if !self.prometheus_class && !e.value.ends_with("DefaultMetricsProvider") {
                    self.warn(e, "ignored; zoorepl has one built-in metrics provider (Prometheus text on metricsPort)");
                }
            }
            key if key.starts_with("admin.") => self.apply_admin(e)?,
            key if key.starts_with("metricsProvider.") => {
                self.warn(e, "ignored; only metricsProvider.httpPort is used");
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn apply_admin(&mut self, e: &Entry) -> Result<(), ConfigError> {
        let admin = &mut self.config.admin;
        match e.key.as_str() {
            "admin.enableServer" => admin.enable_server = boolean(e)?,
            "admin.serverAddress" => admin.server_address = non_empty(e)?,
            "admin.serverPort" => admin.server_port = port(e)?,
            "admin.commandURL" => admin.command_url = non_empty(e)?,
            _ => {}
        }
        if e.key != "admin.enableServer" || admin.enable_server {
            self.warn(
                e,
                "accepted, but zoorepl provides no Jetty AdminServer; use the four-letter words or metricsPort",
            );
        }
        Ok(())
    }

    /// Quorum keys, kept for the ensemble work.
    fn apply_ensemble(&mut self, e: &Entry) -> Result<bool, ConfigError> {
        let q = &mut self.config.ensemble;
        match e.key.as_str() {
            // 0 means "not set" in Java; an ensemble then fails for lack of it.
            "initLimit" => q.init_limit = Some(at_least(e, 0)?).filter(|&n: &u32| n > 0),
            "syncLimit" => q.sync_limit = Some(at_least(e, 0)?).filter(|&n: &u32| n > 0),
            "peerType" => q.peer_type = peer_type(e, &e.value)?,
            "standaloneEnabled" => q.standalone_enabled = boolean(e)?,
            "reconfigEnabled" => q.reconfig_enabled = boolean(e)?,
            "electionAlg" => {
                if e.value != "3" {
                    return Err(bad(
                        e,
                        "is not supported; only 3 (fast leader election) exists",
                    ));
                }
                q.election_alg = 3;
            }
            "globalOutstandingLimit" => q.global_outstanding_limit = number(e)?,
            "localSessionsEnabled" => q.local_sessions_enabled = boolean(e)?,
            "localSessionsUpgradingEnabled" => q.local_sessions_upgrading_enabled = boolean(e)?,
            "syncEnabled" => q.sync_enabled = boolean(e)?,
            "leaderServes" => q.leader_serves = yes_no(e)?,
            "publisherPort" => q.publisher_port = Some(port(e)?),
            key if key.starts_with("server.") => {
                let id = server_id(e)?;
                let spec = server_spec(e)?;
                q.servers.insert(id, spec);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn apply_other(&mut self, e: &Entry) {
        let known = IGNORED_JAVA_KEYS.contains(&e.key.as_str())
            || IGNORED_JAVA_PREFIXES.iter().any(|p| e.key.starts_with(p));
        let message = if e.key.is_empty() {
            "a line without a key; ignored".to_owned()
        } else if known {
            "is not supported by zoorepl; ignored".to_owned()
        } else {
            format!(
                "unknown key; ignored (Java would set the system property zookeeper.{})",
                e.key
            )
        };
        self.warn(e, message);
    }

    fn missing(&self, key: &str, problem: &str) -> ConfigError {
        ConfigError::Invalid {
            origin: Origin::default(),
            key: key.to_owned(),
            value: None,
            problem: problem.to_owned(),
        }
    }

    fn invalid_at(&self, key: &str, value: String, problem: String) -> ConfigError {
        ConfigError::Invalid {
            origin: Origin {
                file: None,
                line: self.lines.get(key).copied(),
            },
            key: key.to_owned(),
            value: Some(value),
            problem,
        }
    }

    /// Checks that involve several keys, in Java's order.
    fn finish(&mut self) -> Result<(), ConfigError> {
        let data_dir = self
            .data_dir
            .take()
            .ok_or_else(|| self.missing("dataDir", "is not set (required)"))?;
        self.config.data_log_dir = self.data_log_dir.take().unwrap_or_else(|| data_dir.clone());
        self.config.data_dir = data_dir;
        if self.prometheus_class && self.config.metrics_port.is_none() {
            // Java's Prometheus provider default for metricsProvider.httpPort.
            self.config.metrics_port = Some(7000);
        }
        if self.config.client_port.is_none() && self.config.ensemble.servers.len() == 1 {
            // One `server.N` line: its `;clientPort` part is this server's (Java does the same).
            let only = self.config.ensemble.servers.values().next().expect("one");
            if let Some(port) = only.client_port {
                self.config.client_port = Some(port);
                if self.config.client_port_address.is_none() {
                    self.config
                        .client_port_address
                        .clone_from(&only.client_address);
                }
            }
        }
        let c = &self.config;
        if c.client_port.is_none() {
            if let Some(addr) = &c.client_port_address {
                let problem = "is set but clientPort is not set".to_owned();
                return Err(self.invalid_at("clientPortAddress", addr.clone(), problem));
            }
            if c.is_standalone() {
                return Err(self.missing(
                    "clientPort",
                    "is not set (required for a standalone server)",
                ));
            }
        }
        let (min, max) = c.session_timeout_range_ms();
        if min > max {
            let (key, value, other) = if c.max_session_timeout_ms.is_some() {
                (
                    "maxSessionTimeout",
                    max,
                    format!("is below minSessionTimeout {min}"),
                )
            } else {
                (
                    "minSessionTimeout",
                    min,
                    format!("is above maxSessionTimeout {max}"),
                )
            };
            return Err(self.invalid_at(key, value.to_string(), other));
        }
        if !c.is_standalone() {
            if c.ensemble.init_limit.is_none() {
                return Err(self.missing("initLimit", "is not set (required for an ensemble)"));
            }
            if c.ensemble.sync_limit.is_none() {
                return Err(self.missing("syncLimit", "is not set (required for an ensemble)"));
            }
        }
        Ok(())
    }
}

/// -1 means Java's default; anything else must be a positive number of ms.
fn session_timeout(e: &Entry) -> Result<Option<i32>, ConfigError> {
    let ms: i32 = number(e)?;
    match ms {
        -1 => Ok(None),
        ms if ms > 0 => Ok(Some(ms)),
        _ => Err(bad(
            e,
            "must be a positive number of ms (or -1 for the default)",
        )),
    }
}

/// Decimal or `0x` hex, as Java's `Integer.decode` reads the system property.
fn jute_max_buffer(e: &Entry) -> Result<u32, ConfigError> {
    let v = e.value.as_str();
    let parsed = match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => v.parse().ok(),
    };
    match parsed {
        Some(n) if n > 0 && n <= i32::MAX as u32 => Ok(n),
        _ => Err(bad(e, "is not a positive integer (decimal or 0x hex)")),
    }
}

fn super_digest(e: &Entry) -> Result<String, ConfigError> {
    match e.value.split_once(':') {
        Some((user, digest)) if !user.is_empty() && !digest.is_empty() && !digest.contains(':') => {
            Ok(e.value.clone())
        }
        _ => Err(bad(e, "must be <user>:<base64 of SHA-1 of user:password>")),
    }
}

fn peer_type(e: &Entry, word: &str) -> Result<PeerType, ConfigError> {
    match word.to_ascii_lowercase().as_str() {
        "participant" => Ok(PeerType::Participant),
        "observer" => Ok(PeerType::Observer),
        "publisher" => Ok(PeerType::Publisher),
        _ => Err(bad(
            e,
            format!("peer type {word:?} is not participant, observer or publisher"),
        )),
    }
}

fn server_id(e: &Entry) -> Result<ServerId, ConfigError> {
    let raw = &e.key["server.".len()..];
    match raw.parse::<u64>() {
        Ok(id) if id < 0x7f => Ok(ServerId(id)),
        _ => Err(bad(
            e,
            format!("server id {raw:?} is not a number below 127"),
        )),
    }
}

/// Splits `host:port` where host may be `[v6]`; returns the host without brackets.
fn split_host(s: &str) -> Option<(&str, &str)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return Some((host, after.strip_prefix(':').unwrap_or(after)));
    }
    s.split_once(':')
}

fn server_spec(e: &Entry) -> Result<ServerSpec, ConfigError> {
    if e.value.contains('|') {
        return Err(bad(
            e,
            "lists several addresses (multiAddress), which zoorepl does not support",
        ));
    }
    let (peer_part, client_part) = match e.value.split_once(';') {
        Some((p, c)) => (p.trim(), Some(c.trim())),
        None => (e.value.as_str(), None),
    };
    let expected = "is not host:quorumPort:electionPort[:participant|observer|publisher][;[clientAddress:]clientPort]";
    let (host, ports) = split_host(peer_part).ok_or_else(|| bad(e, expected))?;
    let fields: Vec<&str> = ports.split(':').collect();
    if host.is_empty() || !(2..=3).contains(&fields.len()) {
        return Err(bad(e, expected));
    }
    let quorum_port = parse_port(fields[0]).ok_or_else(|| {
        bad(
            e,
            format!("quorum port {:?} is not a port number (1-65535)", fields[0]),
        )
    })?;
    let election_port = parse_port(fields[1]).ok_or_else(|| {
        bad(
            e,
            format!(
                "election port {:?} is not a port number (1-65535)",
                fields[1]
            ),
        )
    })?;
    let peer_type = match fields.get(2) {
        Some(word) => peer_type(e, word)?,
        None => PeerType::Participant,
    };
    let (client_address, client_port) = match client_part {
        None => (None, None),
        Some(c) => {
            let (addr, p) = match split_host(c) {
                Some((a, p)) => (Some(a.to_owned()), p),
                None => (None, c),
            };
            let p = parse_port(p).ok_or_else(|| {
                bad(
                    e,
                    format!("client port {p:?} is not a port number (1-65535)"),
                )
            })?;
            (addr, Some(p))
        }
    };
    Ok(ServerSpec {
        host: host.to_owned(),
        quorum_port,
        election_port,
        peer_type,
        client_address,
        client_port,
    })
}
