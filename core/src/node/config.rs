//! The node's configuration, validated once (STYLE.md §4).

use thiserror::Error;

use crate::ids::ServerId;
use crate::prep::PrepConfig;

/// Settings a standalone node needs. The shell fills it from `zoo.cfg`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeConfig {
    /// This server's id (0 standalone).
    pub server_id: ServerId,
    /// The base time unit, ms (`tickTime`).
    pub tick_ms: u64,
    /// Lower clamp for negotiated session timeouts, ms (default 2 × tick).
    pub min_session_timeout_ms: Option<i32>,
    /// Upper clamp for negotiated session timeouts, ms (default 20 × tick).
    pub max_session_timeout_ms: Option<i32>,
    /// Secret that session passwords are derived from; equal on every server of an ensemble.
    pub session_secret: u64,
    /// `user:BASE64(SHA1(user:password))` of the super user, if any
    /// (`zookeeper.DigestAuthenticationProvider.superDigest`).
    pub super_digest: Option<String>,
    /// TTL nodes and ACL skipping.
    pub prep: PrepConfig,
    /// How often containers and TTL nodes are checked, ms (`znode.container.checkIntervalMs`).
    pub container_check_interval_ms: u64,
    /// Most containers/TTL nodes reaped per check (`znode.container.maxPerMinute`, per minute).
    pub container_max_per_minute: u32,
    /// Reap never-used containers older than this, ms (`znode.container.maxNeverUsedIntervalMs`).
    pub container_max_never_used_ms: Option<i64>,
    /// Snapshot after a random number of txns in [snapCount/2 + 1, snapCount] (`snapCount`).
    pub snap_count: u64,
    /// The ensemble this server belongs to; `None` runs standalone.
    pub ensemble: Option<crate::zab::EnsembleConfig>,
    /// What an ensemble member shows in `/zookeeper/config`: its membership as Java writes it
    /// (`server.N=host:quorumPort:electionPort:role[;clientAddress:clientPort]` lines, then
    /// `version=<hex>`). The shell renders it from the `server.N` lines; unused standalone.
    pub membership: Option<String>,
    /// Checks every invariant after every step in release builds too, with the full walk of
    /// the data tree whenever it changed (debug builds always check). The simulator turns it
    /// on; a server leaves it off, since the walk is O(tree).
    pub full_checks: bool,
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            server_id: ServerId(0),
            tick_ms: 2000,
            min_session_timeout_ms: None,
            max_session_timeout_ms: None,
            session_secret: 0x5eed_2007_b341_5c00,
            super_digest: None,
            prep: PrepConfig::default(),
            container_check_interval_ms: 60_000,
            container_max_per_minute: 10_000,
            container_max_never_used_ms: None,
            snap_count: 100_000,
            ensemble: None,
            membership: None,
            full_checks: false,
        }
    }
}

/// A configuration that passed [`NodeConfig::validate`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidConfig {
    pub(crate) inner: NodeConfig,
    pub(crate) min_timeout_ms: i32,
    pub(crate) max_timeout_ms: i32,
}

impl ValidConfig {
    /// The validated settings.
    #[must_use]
    pub const fn config(&self) -> &NodeConfig {
        &self.inner
    }

    /// The effective session timeout clamp, ms.
    #[must_use]
    pub const fn session_timeout_range_ms(&self) -> (i32, i32) {
        (self.min_timeout_ms, self.max_timeout_ms)
    }
}

/// A configuration value that cannot work; names the zoo.cfg key.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// A value outside its range.
    #[error("{key}: {problem}")]
    Invalid {
        /// The zoo.cfg key.
        key: &'static str,
        /// What is wrong.
        problem: String,
    },
}

fn invalid(key: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key,
        problem: problem.into(),
    }
}

impl NodeConfig {
    /// Checks every value once.
    ///
    /// # Errors
    /// The first bad key and its problem.
    pub fn validate(self) -> Result<ValidConfig, ConfigError> {
        if self.tick_ms == 0 || self.tick_ms > 600_000 {
            return Err(invalid(
                "tickTime",
                format!("{} ms is outside 1..=600000", self.tick_ms),
            ));
        }
        if self.server_id.0 >= 0x7f {
            return Err(invalid(
                "myid",
                format!("{} must be below 127", self.server_id.0),
            ));
        }
        let tick = i32::try_from(self.tick_ms).expect("bounded above");
        let min = self.min_session_timeout_ms.unwrap_or(2 * tick);
        let max = self.max_session_timeout_ms.unwrap_or(20 * tick);
        if min <= 0 {
            return Err(invalid(
                "minSessionTimeout",
                format!("{min} must be positive"),
            ));
        }
        if max < min {
            return Err(invalid(
                "maxSessionTimeout",
                format!("{max} is below minSessionTimeout {min}"),
            ));
        }
        if self.snap_count < 2 {
            return Err(invalid(
                "snapCount",
                format!("{} must be at least 2", self.snap_count),
            ));
        }
        if self.container_check_interval_ms == 0 {
            return Err(invalid(
                "znode.container.checkIntervalMs",
                "must be positive",
            ));
        }
        if let Some(digest) = &self.super_digest {
            if digest.split(':').count() != 2 {
                return Err(invalid(
                    "DigestAuthenticationProvider.superDigest",
                    "expected super:<base64 sha1>",
                ));
            }
        }
        Ok(ValidConfig {
            inner: self,
            min_timeout_ms: min,
            max_timeout_ms: max,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_with_java_timeout_clamp() {
        let valid = NodeConfig::default()
            .validate()
            .expect("defaults are valid");
        assert_eq!(valid.session_timeout_range_ms(), (4000, 40000));
    }

    #[test]
    fn bad_values_name_their_key() {
        let err = NodeConfig {
            tick_ms: 0,
            ..NodeConfig::default()
        }
        .validate()
        .unwrap_err();
        assert!(err.to_string().starts_with("tickTime:"), "{err}");
        let cfg = NodeConfig {
            max_session_timeout_ms: Some(1000),
            ..NodeConfig::default()
        };
        let err = cfg.validate().unwrap_err();
        assert!(err.to_string().starts_with("maxSessionTimeout:"), "{err}");
        let cfg = NodeConfig {
            super_digest: Some("nocolon".into()),
            ..NodeConfig::default()
        };
        assert!(cfg.validate().is_err());
    }
}
