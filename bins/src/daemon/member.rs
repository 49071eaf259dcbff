//! What only an ensemble member needs at startup: its id, the session secret every member
//! shares, and its peer listeners.

use zoorepl_core::ids::ServerId;
use zoorepl_io::config::{host_port, ServerConfig};
use zoorepl_io::peer::{PeerSpec, TransportConfig};
use zoorepl_io::server::Peers;

use super::{bind, fatal, Fatal, EXIT_CONFIG};

/// `None` for a standalone server; else this member's id from `<dataDir>/myid`.
pub(super) fn identity(config: &ServerConfig) -> Result<Option<ServerId>, Fatal> {
    if config.is_standalone() {
        return Ok(None);
    }
    let id = config
        .read_myid()
        .map_err(|e| fatal(EXIT_CONFIG, e.to_string()))?;
    tracing::info!(
        "ensemble member {} of {} servers",
        id.0,
        config.ensemble.servers.len()
    );
    Ok(Some(id))
}

/// The secret session passwords derive from. A session may move to any member, so every
/// member must derive the same password: the secret is a hash of the `server.N` lines, which
/// all members share (ZooKeeper itself uses one fixed constant for every ensemble).
pub(super) fn session_secret(config: &ServerConfig) -> u64 {
    // FNV-1a: stable across builds and platforms, unlike std's hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (id, s) in &config.ensemble.servers {
        let line = format!(
            "server.{}={}:{}:{}:{:?};",
            id.0, s.host, s.quorum_port, s.election_port, s.peer_type
        );
        for b in line.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// Binds this member's election and quorum ports (on the host of its `server.N` line) and
/// describes the others for the transport.
pub(super) async fn peers(config: &ServerConfig, myid: ServerId) -> Result<Peers, Fatal> {
    let me = config
        .ensemble
        .servers
        .get(&myid)
        .ok_or_else(|| fatal(EXIT_CONFIG, format!("server.{}: missing", myid.0)))?;
    let election = bind(&host_port(&me.host, me.election_port)).await?;
    let quorum = bind(&host_port(&me.host, me.quorum_port)).await?;
    let others = config
        .peers_of(myid)
        .into_iter()
        .map(|(id, s)| {
            let spec = PeerSpec {
                host: s.host,
                quorum_port: s.quorum_port,
                election_port: s.election_port,
            };
            (id, spec)
        })
        .collect();
    Ok(Peers {
        transport: TransportConfig::new(myid, others),
        election,
        quorum,
    })
}
