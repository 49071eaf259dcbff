//! An ensemble member's settings: its id from `<dataDir>/myid` (as ZooKeeper keeps it), the
//! core's membership and timing from the `server.N` lines, and the addresses of its peers.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use zoorepl_core::ids::ServerId;
use zoorepl_core::node::NodeConfig;
use zoorepl_core::zab::{EnsembleConfig as CoreEnsemble, MemberKind};

use super::{ConfigError, Origin, PeerType, ServerConfig, ServerSpec};

/// Java's `initLimit` and `syncLimit` defaults when the file sets neither (ticks).
const INIT_LIMIT_DEFAULT: u32 = 10;
const SYNC_LIMIT_DEFAULT: u32 = 5;

impl ServerConfig {
    /// Reads this server's id from `<dataDir>/myid` (a decimal number, surrounding blanks
    /// ignored), and checks that a `server.N` line names it.
    ///
    /// # Errors
    /// A missing or unreadable file, a bad number, or an id without a `server.N` line.
    pub fn read_myid(&self) -> Result<ServerId, ConfigError> {
        let path = self.data_dir.join("myid");
        let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::Read {
            path: path.clone(),
            message: format!("{e} (an ensemble member needs its id in dataDir/myid)"),
        })?;
        let invalid = |problem: String| ConfigError::Invalid {
            origin: Origin {
                file: Some(path.clone()),
                line: None,
            },
            key: "myid".to_owned(),
            value: Some(text.trim().to_owned()),
            problem,
        };
        let id: u64 = text
            .trim()
            .parse()
            .map_err(|e| invalid(format!("is not a server id: {e}")))?;
        if !self.ensemble.servers.contains_key(&ServerId(id)) {
            return Err(invalid(format!("has no server.{id} line in the config")));
        }
        Ok(ServerId(id))
    }

    /// The core's settings for ensemble member `myid`.
    #[must_use]
    pub fn member_node_config(&self, myid: ServerId, session_secret: u64) -> NodeConfig {
        let members = self
            .ensemble
            .servers
            .iter()
            .map(|(id, spec)| (*id, member_kind(spec.peer_type)))
            .collect();
        let mut ensemble = CoreEnsemble::new(members);
        ensemble.init_limit = self.ensemble.init_limit.unwrap_or(INIT_LIMIT_DEFAULT);
        ensemble.sync_limit = self.ensemble.sync_limit.unwrap_or(SYNC_LIMIT_DEFAULT);
        NodeConfig {
            server_id: myid,
            ensemble: Some(ensemble),
            membership: Some(self.membership()),
            ..self.node_config(session_secret)
        }
    }

    /// The membership as Java writes it into `/zookeeper/config` (`QuorumMaj.toString`): one
    /// `server.N=host:quorumPort:electionPort:role` line per member by id, with
    /// `;clientAddress:clientPort` when its line names a client port (address 0.0.0.0 when
    /// only the port is given), then `version=0`: a static config's version, no newline after.
    /// An IPv6 host is bracketed and written out in full, as Java's `InetAddress` prints it.
    #[must_use]
    pub fn membership(&self) -> String {
        let mut out = String::new();
        for (id, spec) in &self.ensemble.servers {
            let role = match spec.peer_type {
                PeerType::Observer => "observer",
                PeerType::Participant | PeerType::Publisher => "participant",
            };
            let quorum = host_port(&java_host(&spec.host), spec.quorum_port);
            let election = spec.election_port;
            write!(out, "server.{}={quorum}:{election}:{role}", id.0).expect("write to String");
            if let Some(port) = spec.client_port {
                let host = spec.client_address.as_deref().unwrap_or("0.0.0.0");
                write!(out, ";{}", host_port(&java_host(host), port)).expect("write to String");
            }
            out.push('\n');
        }
        out.push_str("version=0");
        out
    }

    /// Every other member's `server.N` line.
    #[must_use]
    pub fn peers_of(&self, myid: ServerId) -> BTreeMap<ServerId, ServerSpec> {
        self.ensemble
            .servers
            .iter()
            .filter(|(id, _)| **id != myid)
            .map(|(id, spec)| (*id, spec.clone()))
            .collect()
    }

    /// The client listener's address of member `myid`: `clientPort` (and
    /// `clientPortAddress`), or else the `;[addr:]port` part of its `server.N` line.
    #[must_use]
    pub fn member_client_address(&self, myid: ServerId) -> Option<String> {
        if let Some(addr) = self.client_bind_address() {
            return Some(addr);
        }
        let spec = self.ensemble.servers.get(&myid)?;
        let port = spec.client_port?;
        let host = spec.client_address.as_deref().unwrap_or("0.0.0.0");
        Some(host_port(host, port))
    }
}

/// `host:port`, with an IPv6 host in brackets, as `TcpListener::bind` takes it.
#[must_use]
pub fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// An IPv6 literal in Java's `Inet6Address.getHostAddress` form (every group, no `::`); any
/// other host as it is.
fn java_host(host: &str) -> String {
    match host.parse::<std::net::Ipv6Addr>() {
        Ok(v6) => {
            let groups: Vec<String> = v6.segments().iter().map(|g| format!("{g:x}")).collect();
            groups.join(":")
        }
        Err(_) => host.to_owned(),
    }
}

const fn member_kind(t: PeerType) -> MemberKind {
    match t {
        PeerType::Participant => MemberKind::Participant,
        PeerType::Observer => MemberKind::Observer,
        PeerType::Publisher => MemberKind::Publisher,
    }
}
