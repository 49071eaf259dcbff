//! Sessions: the table of live sessions, tick-bucket expiry and password derivation
//! (zookeeper-protocol.md §2, §10; `SessionTrackerImpl.java`, `ExpiryQueue.java`).
//!
//! A session dies between T and T + tick after its last frame: deadlines are rounded up to the
//! next multiple of the tick, and every session of a bucket expires together. Expiry itself is a
//! txn prepared by the node; this table only says who is due.

use std::collections::{BTreeMap, BTreeSet};

use sha1::{Digest, Sha1};

use crate::ids::{ConnId, ServerId, SessionId};
use crate::time::Instant;

/// Length of a session password on the wire (the C client has a fixed 16-byte slot).
pub const PASSWORD_LEN: usize = 16;

/// Upper bound on live sessions; creating more is refused (a config-independent safety limit).
pub const SESSIONS_MAX: usize = 1 << 20;

/// One live session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// Negotiated timeout, ms.
    pub timeout_ms: i32,
    /// The bucket (a tick multiple) in which it expires unless touched.
    pub expires_at: Instant,
    /// The connection that currently owns it, if any.
    pub conn: Option<ConnId>,
    /// A closeSession txn is on its way: further requests get SESSIONEXPIRED.
    pub closing: bool,
}

/// The session table.
#[derive(Clone, Debug)]
pub struct SessionTable {
    sessions: BTreeMap<SessionId, Session>,
    buckets: BTreeMap<Instant, BTreeSet<SessionId>>,
    tick_ms: u64,
    next_id: i64,
    secret: u64,
}

impl SessionTable {
    /// An empty table. `now_ms` seeds the id space the way Java does, so ids stay unique across
    /// restarts: `((now_ms << 24) >>> 8) | (server_id << 56)`, top bit clear.
    ///
    /// # Panics
    /// When `tick_ms` is zero or the server id does not fit in 7 bits (validated config).
    #[must_use]
    pub fn new(server_id: ServerId, tick_ms: u64, now_ms: u64, secret: u64) -> Self {
        assert!(tick_ms > 0, "tick must be positive");
        assert!(
            server_id.0 < 0x7f,
            "server id {} leaves no room for session ids",
            server_id.0
        );
        let base = ((now_ms << 24) >> 8) | (server_id.0 << 56);
        let next_id = i64::try_from(base).expect("top bit is clear").max(1);
        Self {
            sessions: BTreeMap::new(),
            buckets: BTreeMap::new(),
            tick_ms,
            next_id,
            secret,
        }
    }

    /// The next unused session id (not yet registered: `add` does that when the txn applies).
    pub fn allocate_id(&mut self) -> SessionId {
        while self.sessions.contains_key(&SessionId(self.next_id)) {
            self.next_id += 1;
        }
        let id = SessionId(self.next_id);
        self.next_id += 1;
        assert!(id.0 > 0, "session id {id} must be positive");
        id
    }

    /// The password of a session: the first 16 bytes of SHA-1(secret ‖ id). Every server that
    /// shares the secret derives the same password, so a session can move between them.
    #[must_use]
    pub fn password(&self, id: SessionId) -> [u8; PASSWORD_LEN] {
        let mut hasher = Sha1::new();
        hasher.update(self.secret.to_be_bytes());
        hasher.update(id.0.to_be_bytes());
        let digest = hasher.finalize();
        let mut out = [0u8; PASSWORD_LEN];
        out.copy_from_slice(&digest[..PASSWORD_LEN]);
        out
    }

    /// Whether `passwd` is the session's password (constant-time comparison is not needed: the
    /// password is not a secret against someone who can read the network).
    #[must_use]
    pub fn password_matches(&self, id: SessionId, passwd: &[u8]) -> bool {
        passwd == self.password(id)
    }

    fn bucket_of(&self, now: Instant, timeout_ms: i32) -> Instant {
        let timeout = u64::try_from(timeout_ms).expect("negotiated timeouts are positive");
        let deadline = now.as_millis() + timeout;
        Instant::from_millis(deadline.div_ceil(self.tick_ms) * self.tick_ms)
    }

    /// Registers a session (its createSession txn applied, or recovered from disk).
    pub fn add(&mut self, id: SessionId, timeout_ms: i32, now: Instant) {
        assert!(
            timeout_ms > 0,
            "session {id} timeout {timeout_ms} must be positive"
        );
        assert!(self.sessions.len() < SESSIONS_MAX, "session table full");
        let expires_at = self.bucket_of(now, timeout_ms);
        let session = Session {
            timeout_ms,
            expires_at,
            conn: None,
            closing: false,
        };
        let old = self.sessions.insert(id, session);
        assert!(old.is_none(), "session {id} added twice");
        self.buckets.entry(expires_at).or_default().insert(id);
        // Ids carry their server's id in the top byte; only ours move our counter, so a server
        // never allocates in another server's range.
        if id.0 >= self.next_id && id.0 >> 56 == self.next_id >> 56 {
            self.next_id = id.0 + 1;
        }
    }

    /// Removes a session (its closeSession txn applied). Returns it if it existed.
    pub fn remove(&mut self, id: SessionId) -> Option<Session> {
        let session = self.sessions.remove(&id)?;
        self.unbucket(id, session.expires_at);
        Some(session)
    }

    fn unbucket(&mut self, id: SessionId, at: Instant) {
        let bucket = self
            .buckets
            .get_mut(&at)
            .expect("a live session sits in its bucket");
        let removed = bucket.remove(&id);
        assert!(removed, "session {id} missing from its bucket");
        if bucket.is_empty() {
            self.buckets.remove(&at);
        }
    }

    /// Refreshes a session's deadline. Returns false if it is unknown or closing.
    pub fn touch(&mut self, id: SessionId, now: Instant) -> bool {
        let Some(session) = self.sessions.get(&id) else {
            return false;
        };
        if session.closing {
            return false;
        }
        let (old, new) = (session.expires_at, self.bucket_of(now, session.timeout_ms));
        if new > old {
            self.unbucket(id, old);
            self.buckets.entry(new).or_default().insert(id);
            self.sessions
                .get_mut(&id)
                .expect("checked above")
                .expires_at = new;
        }
        true
    }

    /// Looks a session up.
    #[must_use]
    pub fn get(&self, id: SessionId) -> Option<&Session> {
        self.sessions.get(&id)
    }

    /// Binds a session to a connection, returning the connection that owned it before.
    ///
    /// # Panics
    /// When the session is unknown (the caller checked).
    pub fn bind(&mut self, id: SessionId, conn: ConnId) -> Option<ConnId> {
        let session = self.sessions.get_mut(&id).expect("bind a live session");
        session.conn.replace(conn).filter(|old| *old != conn)
    }

    /// Forgets the connection of a session if it is still `conn`.
    pub fn unbind(&mut self, id: SessionId, conn: ConnId) {
        if let Some(session) = self.sessions.get_mut(&id) {
            if session.conn == Some(conn) {
                session.conn = None;
            }
        }
    }

    /// Marks a session as closing: a closeSession txn for it has been prepared.
    pub fn mark_closing(&mut self, id: SessionId) {
        if let Some(session) = self.sessions.get_mut(&id) {
            session.closing = true;
        }
    }

    /// Forgets every pending close (a leader lost its role: those closeSession txns may never
    /// commit) and restarts every session's expiry from `now` (a new leader, as Java's does).
    pub fn restart_expiry(&mut self, now: Instant) {
        let ids: Vec<SessionId> = self.sessions.keys().copied().collect();
        for id in ids {
            self.sessions.get_mut(&id).expect("listed").closing = false;
            self.touch(id, now);
        }
    }

    /// Sessions whose bucket is due at `now`, not already closing, in id order.
    #[must_use]
    pub fn expired(&self, now: Instant) -> Vec<SessionId> {
        self.buckets
            .range(..=now)
            .flat_map(|(_, ids)| ids.iter().copied())
            .filter(|id| !self.sessions[id].closing)
            .collect()
    }

    /// The earliest bucket with a session that is not closing, for the expiry timer.
    #[must_use]
    pub fn next_expiry(&self) -> Option<Instant> {
        self.buckets
            .iter()
            .find(|(_, ids)| ids.iter().any(|id| !self.sessions[id].closing))
            .map(|(at, _)| *at)
    }

    /// Every live session with its timeout, in id order (snapshots, `dump`, `mntr`).
    pub fn iter(&self) -> impl Iterator<Item = (SessionId, &Session)> {
        self.sessions.iter().map(|(id, s)| (*id, s))
    }

    /// Number of live sessions.
    #[must_use]
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// Whether there is no session.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// Checks that buckets and sessions agree (O(n)).
    pub fn check_invariants(&self) {
        let bucketed: usize = self.buckets.values().map(BTreeSet::len).sum();
        assert_eq!(
            bucketed,
            self.sessions.len(),
            "every session sits in exactly one bucket"
        );
        for (at, ids) in &self.buckets {
            assert!(!ids.is_empty(), "empty bucket {at:?} kept");
            assert_eq!(
                at.as_millis() % self.tick_ms,
                0,
                "bucket {at:?} is not a tick multiple"
            );
            for id in ids {
                assert_eq!(
                    self.sessions[id].expires_at, *at,
                    "session {id} in the wrong bucket"
                );
            }
        }
        for id in self.sessions.keys() {
            assert!(id.0 > 0, "session id {id} is not positive");
            // Ids of our range are below the counter; other servers' ranges are theirs.
            if id.0 >> 56 == self.next_id >> 56 {
                assert!(
                    id.0 < self.next_id,
                    "session id {id} outside the allocated range"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests;
