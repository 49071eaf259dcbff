//! The connect handshake records (zookeeper-protocol.md §2). Neither has a header or an xid.
//!
//! Trailing bytes after the optional readOnly byte are ignored, as Java's server does.

use super::wire::{put_bool, put_buffer, put_i32, put_i64, DecodeError, Reader};

/// The first frame of every connection.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ConnectRequest {
    /// Always 0 in practice.
    pub protocol_version: i32,
    /// The highest zxid the client has seen (0 if new).
    pub last_zxid_seen: i64,
    /// Requested session timeout, ms.
    pub timeout_ms: i32,
    /// 0 for a new session, else the session to resume.
    pub session_id: i64,
    /// The session password (16 bytes from real clients; a null buffer reads as empty).
    pub passwd: Vec<u8>,
    /// Whether the client accepts a read-only server; `None` when the request ended after
    /// `passwd` (clients 3.3 and older), and then the response must omit its byte too.
    pub read_only: Option<bool>,
}

impl ConnectRequest {
    /// Reads a ConnectRequest payload.
    ///
    /// # Errors
    /// When a field is truncated or a length is invalid.
    pub fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(payload);
        Ok(Self {
            protocol_version: r.i32("ConnectRequest.protocolVersion")?,
            last_zxid_seen: r.i64("ConnectRequest.lastZxidSeen")?,
            timeout_ms: r.i32("ConnectRequest.timeOut")?,
            session_id: r.i64("ConnectRequest.sessionId")?,
            passwd: passwd(&mut r, "ConnectRequest.passwd")?,
            read_only: read_only(&mut r, "ConnectRequest.readOnly")?,
        })
    }

    /// Appends the payload (44 bytes + passwd beyond 16, + 1 with readOnly).
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_i32(out, self.protocol_version);
        put_i64(out, self.last_zxid_seen);
        put_i32(out, self.timeout_ms);
        put_i64(out, self.session_id);
        put_buffer(out, Some(&self.passwd));
        if let Some(ro) = self.read_only {
            put_bool(out, ro);
        }
    }
}

/// The server's answer to a [`ConnectRequest`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ConnectResponse {
    /// 0 (the Rust client rejects anything else).
    pub protocol_version: i32,
    /// The negotiated timeout, ms; 0 means the session is expired or invalid.
    pub timeout_ms: i32,
    /// The session id; 0 when invalid.
    pub session_id: i64,
    /// The password: exactly 16 bytes (zeros when invalid), which the C client requires.
    pub passwd: Vec<u8>,
    /// Whether the server is read-only; `None` omits the byte (only when the request had none).
    pub read_only: Option<bool>,
}

impl ConnectResponse {
    /// Reads a ConnectResponse payload.
    ///
    /// # Errors
    /// When a field is truncated or a length is invalid.
    pub fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(payload);
        Ok(Self {
            protocol_version: r.i32("ConnectResponse.protocolVersion")?,
            timeout_ms: r.i32("ConnectResponse.timeOut")?,
            session_id: r.i64("ConnectResponse.sessionId")?,
            passwd: passwd(&mut r, "ConnectResponse.passwd")?,
            read_only: read_only(&mut r, "ConnectResponse.readOnly")?,
        })
    }

    /// Appends the payload (36 bytes with a 16-byte passwd, 37 with readOnly).
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_i32(out, self.protocol_version);
        put_i32(out, self.timeout_ms);
        put_i64(out, self.session_id);
        put_buffer(out, Some(&self.passwd));
        if let Some(ro) = self.read_only {
            put_bool(out, ro);
        }
    }
}

fn passwd(r: &mut Reader<'_>, field: &'static str) -> Result<Vec<u8>, DecodeError> {
    Ok(r.buffer(field)?.map(<[u8]>::to_vec).unwrap_or_default())
}

fn read_only(r: &mut Reader<'_>, field: &'static str) -> Result<Option<bool>, DecodeError> {
    if r.remaining() == 0 {
        Ok(None)
    } else {
        r.bool(field).map(Some)
    }
}
