//! Asking servers for their role with the `srvr` four-letter word, which zoorepld and Apache
//! ZooKeeper both answer on the client port (`Mode: leader`, `Mode: follower`, ...; a server
//! without a leader answers that it is not serving and gives no mode).

use std::time::{Duration, Instant};

use anyhow::bail;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// How long one `srvr` may take to connect and answer.
const SRVR_TIMEOUT: Duration = Duration::from_secs(1);
/// How often [`wait_ready`] asks again.
const READY_POLL: Duration = Duration::from_millis(50);
/// How often [`first_leader`] asks again: the resolution of the leader gap.
pub(crate) const LEADER_POLL: Duration = Duration::from_millis(10);

/// The `Mode:` that `addr` reports, or `None` when it does not answer or does not serve.
pub(crate) async fn mode(addr: &str) -> Option<String> {
    let ask = async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        stream.write_all(b"srvr").await.ok()?;
        let mut reply = String::new();
        stream.read_to_string(&mut reply).await.ok()?;
        Some(reply)
    };
    let reply = tokio::time::timeout(SRVR_TIMEOUT, ask).await.ok()??;
    reply
        .lines()
        .find_map(|line| line.strip_prefix("Mode: "))
        .map(|mode| mode.trim().to_owned())
}

/// The modes of all `servers`, in order (`None` for one that does not serve).
pub(crate) async fn modes(servers: &[String]) -> Vec<Option<String>> {
    let mut out = Vec::with_capacity(servers.len());
    for addr in servers {
        out.push(mode(addr).await);
    }
    out
}

/// Waits until every server serves and exactly one is the leader; returns the leader's index.
///
/// # Errors
/// Not so after `timeout`: the last modes seen are in the message.
pub(crate) async fn wait_ready(servers: &[String], timeout: Duration) -> anyhow::Result<usize> {
    let deadline = Instant::now() + timeout;
    loop {
        let seen = modes(servers).await;
        let all_serve = seen.iter().all(Option::is_some);
        let leaders: Vec<usize> = (0..seen.len())
            .filter(|&i| seen[i].as_deref() == Some("leader"))
            .collect();
        if all_serve && leaders.len() == 1 {
            return Ok(leaders[0]);
        }
        if Instant::now() >= deadline {
            let listing: Vec<String> = servers
                .iter()
                .zip(&seen)
                .map(|(addr, m)| format!("{addr}: {}", m.as_deref().unwrap_or("not serving")))
                .collect();
            bail!(
                "the servers did not all serve with one leader within {:.0?} ({})",
                timeout,
                listing.join(", ")
            );
        }
        tokio::time::sleep(READY_POLL).await;
    }
}

/// Polls `servers` every [`LEADER_POLL`] until one reports `Mode: leader`; returns when it
/// answered, or `None` at `until`.
pub(crate) async fn first_leader(servers: Vec<String>, until: Instant) -> Option<Instant> {
    while Instant::now() < until {
        for addr in &servers {
            if mode(addr).await.as_deref() == Some("leader") {
                return Some(Instant::now());
            }
        }
        tokio::time::sleep(LEADER_POLL).await;
    }
    None
}
