//! Asking the members what they are doing: four-letter words over the client port.

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use anyhow::bail;
use zoorepl_core::ids::ServerId;
use zoorepl_io::fourlw::NOT_SERVING;

use super::LocalEnsemble;

/// How long a four-letter word may take to connect and to answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// How often [`LocalEnsemble::wait_serving`] asks again.
const POLL: Duration = Duration::from_millis(100);
/// Log lines quoted when a server exits while we wait for it.
const LOG_TAIL_LINES: usize = 8;

/// What a member is doing, as far as its process and its `srvr` answer tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemberState {
    /// No process.
    Stopped,
    /// A process whose client port does not answer `srvr` (yet).
    Starting,
    /// Answers that it is not currently serving requests (no leader yet).
    NotServing,
    /// Serves clients; the `Mode:` of `srvr` (`standalone`, `leader`, `follower`, `observer`,
    /// `read-only`).
    Serving(String),
}

impl std::fmt::Display for MemberState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Stopped => f.write_str("stopped"),
            Self::Starting => f.write_str("running, not answering yet"),
            Self::NotServing => f.write_str("running, not serving (no leader yet)"),
            Self::Serving(mode) => write!(f, "running, mode {mode}"),
        }
    }
}

impl LocalEnsemble {
    /// Sends a four-letter word (`srvr`, `ruok`, `mntr`, ...) to a member's client port and
    /// returns everything it writes until it closes the connection.
    ///
    /// # Errors
    /// An unknown id (`NotFound`), or the connection failing or timing out.
    pub fn four_letter(&self, id: ServerId, word: &str) -> std::io::Result<String> {
        let addr = self.client_addr(id).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("no server {} in this ensemble", id.0),
            )
        })?;
        let mut stream = TcpStream::connect_timeout(&addr, PROBE_TIMEOUT)?;
        stream.set_read_timeout(Some(PROBE_TIMEOUT))?;
        stream.set_write_timeout(Some(PROBE_TIMEOUT))?;
        stream.write_all(word.as_bytes())?;
        let mut reply = String::new();
        stream.read_to_string(&mut reply)?;
        Ok(reply)
    }

    /// The member's state: its process, then its answer to `srvr`.
    #[must_use]
    pub fn state(&self, id: ServerId) -> MemberState {
        if !self.is_running(id) {
            return MemberState::Stopped;
        }
        match self.four_letter(id, "srvr") {
            Ok(reply) if reply.contains(NOT_SERVING) => MemberState::NotServing,
            Ok(reply) => parse_mode(&reply).map_or(MemberState::Starting, MemberState::Serving),
            Err(_) => MemberState::Starting,
        }
    }

    /// The `Mode:` a member reports in `srvr`, or `None` when it is down or not serving.
    #[must_use]
    pub fn mode(&self, id: ServerId) -> Option<String> {
        match self.state(id) {
            MemberState::Serving(mode) => Some(mode),
            _ => None,
        }
    }

    /// The member that reports `Mode: leader`, if one does.
    #[must_use]
    pub fn leader(&self) -> Option<ServerId> {
        self.members
            .iter()
            .map(|m| m.id)
            .find(|&id| self.mode(id).as_deref() == Some("leader"))
    }

    /// Waits until every member running now serves (see [`LocalEnsemble::wait_serving_with`]).
    ///
    /// # Errors
    /// As [`LocalEnsemble::wait_serving_with`].
    pub fn wait_serving(&self, timeout: Duration) -> anyhow::Result<BTreeMap<ServerId, String>> {
        self.wait_serving_with(timeout, &mut |_, _| {})
    }

    /// Waits until every member that runs when the wait begins reports a `Mode:` and one of
    /// them is the leader; a one-member layout may instead report `standalone`. Calls
    /// `on_change` each time a member's state changes. Returns each waited-for member's mode.
    ///
    /// # Errors
    /// No member running; a member exiting during the wait (its log's last lines quoted); a
    /// member of a larger layout running standalone; or the timeout, with each member's state.
    pub fn wait_serving_with(
        &self,
        timeout: Duration,
        on_change: &mut dyn FnMut(ServerId, &MemberState),
    ) -> anyhow::Result<BTreeMap<ServerId, String>> {
        let watched: Vec<ServerId> = self
            .ids()
            .into_iter()
            .filter(|&id| self.is_running(id))
            .collect();
        if watched.is_empty() {
            let tails: Vec<String> = self
                .ids()
                .into_iter()
                .map(|id| format!("server {}:\n{}", id.0, self.log_tail(id)))
                .collect();
            bail!(
                "no server of {} is running; the end of each log:\n{}",
                self.dir.display(),
                tails.join("\n")
            );
        }
        let deadline = Instant::now() + timeout;
        let mut last: BTreeMap<ServerId, MemberState> = BTreeMap::new();
        loop {
            for &id in &watched {
                let state = self.state(id);
                if last.get(&id) != Some(&state) {
                    on_change(id, &state);
                    last.insert(id, state);
                }
            }
            if let Some(modes) = self.serving_modes(&last)? {
                return Ok(modes);
            }
            if Instant::now() >= deadline {
                let states: Vec<String> = last
                    .iter()
                    .map(|(id, s)| format!("server {}: {s}", id.0))
                    .collect();
                bail!("not serving after {timeout:?} ({})", states.join("; "));
            }
            std::thread::sleep(POLL);
        }
    }

    /// The modes when `states` show a serving ensemble, `None` while it may still get there.
    fn serving_modes(
        &self,
        states: &BTreeMap<ServerId, MemberState>,
    ) -> anyhow::Result<Option<BTreeMap<ServerId, String>>> {
        let mut modes = BTreeMap::new();
        for (&id, state) in states {
            match state {
                MemberState::Stopped => bail!(
                    "server {} exited; the end of its log:\n{}",
                    id.0,
                    self.log_tail(id)
                ),
                MemberState::Serving(mode) if mode == "standalone" && self.members.len() > 1 => {
                    bail!(
                        "server {} runs standalone although the layout has {} members (this \
                         zoorepld does not run ensembles)",
                        id.0,
                        self.members.len()
                    )
                }
                // Cut off from its quorum: not serving writes, so not there yet.
                MemberState::Serving(mode) if mode == "read-only" => return Ok(None),
                MemberState::Serving(mode) => {
                    modes.insert(id, mode.clone());
                }
                MemberState::Starting | MemberState::NotServing => return Ok(None),
            }
        }
        let standalone = self.members.len() == 1;
        let led = modes.values().any(|m| m == "leader");
        Ok((standalone || led).then_some(modes))
    }

    /// The last lines of a member's `zoorepld.log`, indented, for error messages.
    #[must_use]
    pub fn log_tail(&self, id: ServerId) -> String {
        let Some(m) = self.member(id) else {
            return String::new();
        };
        let text = std::fs::read_to_string(m.log_path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let start = lines.len().saturating_sub(LOG_TAIL_LINES);
        let mut tail: Vec<String> = lines[start..].iter().map(|l| format!("  {l}")).collect();
        tail.push(format!("  (full log: {})", m.log_path().display()));
        tail.join("\n")
    }
}

/// The word after `Mode: ` in a `srvr` or `stat` reply.
fn parse_mode(reply: &str) -> Option<String> {
    reply
        .lines()
        .find_map(|line| line.strip_prefix("Mode:"))
        .map(|mode| mode.trim().to_owned())
        .filter(|mode| !mode.is_empty())
}

#[cfg(test)]
mod tests {
    use super::parse_mode;

    #[test]
    fn parse_mode_reads_the_mode_line() {
        let reply = "Zookeeper version: 3.8.4\nZxid: 0x0\nMode: follower\nNode count: 5\n";
        assert_eq!(parse_mode(reply).as_deref(), Some("follower"));
        assert_eq!(
            parse_mode("Mode: standalone").as_deref(),
            Some("standalone")
        );
    }

    #[test]
    fn parse_mode_is_none_without_a_mode_line() {
        assert_eq!(parse_mode(""), None);
        assert_eq!(parse_mode("imok"), None);
        assert_eq!(parse_mode("Mode:   \n"), None);
    }
}
