//! Golden bytes: every frame captured between real clients (kazoo 2.8.0, zkCli 3.8.0) and Apache
//! ZooKeeper 3.8.0 must decode with our codec and re-encode to the very same bytes.
//!
//! The captures and their format are described in `tests/golden/README.md`; they are regenerated
//! by `scripts/golden/capture.sh` (needs Java; not run in CI). Per connection the first client
//! frame is a ConnectRequest and the first server frame a ConnectResponse; later server frames are
//! matched to requests by xid (-1 = notification). Every mismatch is collected, so one run lists
//! them all.

mod golden_support;

use golden_support::{hex, load_captures, Capture, Dir, Frame};
use std::collections::{BTreeMap, VecDeque};
use zoorepl_core::ids::Xid;
use zoorepl_core::proto::{
    decode_notification, decode_reply, decode_request, encode_notification, encode_reply,
    encode_request, split_frame, ConnectRequest, ConnectResponse, OpCode, ReplyHeader, Request,
    Response, MAX_FRAME_LEN,
};

/// What one connection of a capture has seen so far.
#[derive(Default)]
struct Conn {
    connect: Option<ConnectRequest>,
    connected: bool,
    /// Opcodes of requests awaiting a reply, per xid, oldest first (pings reuse xid -2).
    pending: BTreeMap<i32, VecDeque<i32>>,
}

/// Checks every frame of every capture; returns what went wrong and the number of frames checked.
fn check_all(captures: &[Capture]) -> (Vec<String>, usize) {
    let mut failures = Vec::new();
    let mut frames = 0;
    for capture in captures {
        let mut conns: BTreeMap<u32, Conn> = BTreeMap::new();
        for frame in &capture.frames {
            let conn = conns.entry(frame.conn).or_default();
            if let Err(why) = check_frame(conn, frame) {
                failures.push(format!("{}:{}: {why}", capture.name, frame.line));
            }
            frames += 1;
        }
        for (id, conn) in &conns {
            for (xid, ops) in &conn.pending {
                // Java 3.8.0 never answers a `check` sent outside a multi (README).
                if ops.iter().any(|&op| op != OpCode::Check.code()) {
                    failures.push(format!(
                        "{}: conn {id}: request xid {xid} ops {ops:?} never answered",
                        capture.name
                    ));
                }
            }
        }
    }
    (failures, frames)
}

fn check_frame(conn: &mut Conn, frame: &Frame) -> Result<(), String> {
    check_framing(&frame.payload)?;
    match frame.dir {
        Dir::ClientToServer if conn.connect.is_none() => check_connect_request(conn, frame),
        Dir::ServerToClient if !conn.connected => check_connect_response(conn, frame),
        Dir::ClientToServer => check_request(conn, frame),
        Dir::ServerToClient => check_reply(conn, frame),
    }
}

/// The length prefix we would read off the wire frames exactly this payload.
fn check_framing(payload: &[u8]) -> Result<(), String> {
    let len = u32::try_from(payload.len()).expect("captured frames are small");
    let mut wire = len.to_be_bytes().to_vec();
    wire.extend_from_slice(payload);
    match split_frame(&wire, MAX_FRAME_LEN) {
        Ok(Some((body, used))) if body == payload && used == wire.len() => Ok(()),
        other => Err(format!("split_frame on the captured frame gave {other:?}")),
    }
}

fn same_bytes(what: &str, expected: &[u8], got: &[u8]) -> Result<(), String> {
    if expected == got {
        return Ok(());
    }
    let at = expected
        .iter()
        .zip(got)
        .position(|(a, b)| a != b)
        .unwrap_or(expected.len().min(got.len()));
    Err(format!(
        "{what} re-encodes differently (first difference at byte {at}){}\n    expected {}\n    got      {}",
        hint(expected, got, at),
        hex(expected),
        hex(got)
    ))
}

/// Names the two known ways our encoding departs from Java's, to make a failure readable.
fn hint(expected: &[u8], got: &[u8], at: usize) -> &'static str {
    let null_then_empty = expected.get(at..at + 4) == Some(&[0xff; 4][..])
        && got.get(at..at + 4) == Some(&[0; 4][..]);
    let cesu8 = expected
        .windows(2)
        .any(|w| w[0] == 0xed && (0xa0..=0xbf).contains(&w[1]));
    if null_then_empty {
        ": the client sent a null ustring (-1), we re-encode it as \"\" (0)"
    } else if cesu8 {
        ": Java wrote a supplementary character as CESU-8 (two 3-byte surrogates), we write \
         4-byte UTF-8"
    } else {
        ""
    }
}

fn check_connect_request(conn: &mut Conn, frame: &Frame) -> Result<(), String> {
    let req = ConnectRequest::decode(&frame.payload)
        .map_err(|e| format!("ConnectRequest does not decode: {e}"))?;
    let mut out = Vec::new();
    req.encode(&mut out);
    conn.connect = Some(req);
    same_bytes("ConnectRequest", &frame.payload, &out)
}

fn check_connect_response(conn: &mut Conn, frame: &Frame) -> Result<(), String> {
    let resp = ConnectResponse::decode(&frame.payload)
        .map_err(|e| format!("ConnectResponse does not decode: {e}"))?;
    conn.connected = true;
    let req = conn
        .connect
        .as_ref()
        .ok_or("ConnectResponse before any ConnectRequest")?;
    if resp.read_only.is_some() != req.read_only.is_some() {
        return Err(format!(
            "readOnly present in request: {:?}, in response: {:?} (Java mirrors the request)",
            req.read_only, resp.read_only
        ));
    }
    let mut out = Vec::new();
    resp.encode(&mut out);
    same_bytes("ConnectResponse", &frame.payload, &out)
}

fn check_request(conn: &mut Conn, frame: &Frame) -> Result<(), String> {
    let (hdr, req) =
        decode_request(&frame.payload).map_err(|e| format!("request does not decode: {e}"))?;
    conn.pending.entry(hdr.xid.0).or_default().push_back(hdr.op);
    match &req {
        Request::Malformed { op } => return Err(format!("request op {op} decoded as Malformed")),
        Request::Unknown { op } if OpCode::from_code(*op).is_some() => {
            return Err(format!("request op {op} decoded as Unknown"));
        }
        _ => {}
    }
    let mut out = Vec::new();
    encode_request(hdr.xid, &req, &mut out);
    same_bytes(
        &format!("request op {} xid {}", hdr.op, hdr.xid.0),
        &frame.payload,
        &out,
    )
}

fn check_reply(conn: &mut Conn, frame: &Frame) -> Result<(), String> {
    let hdr = ReplyHeader::decode(&frame.payload)
        .map_err(|e| format!("reply header does not decode: {e}"))?;
    if hdr.xid == Xid::NOTIFICATION {
        return check_notification(frame);
    }
    let op = conn
        .pending
        .get_mut(&hdr.xid.0)
        .and_then(VecDeque::pop_front)
        .ok_or_else(|| format!("reply xid {} matches no request", hdr.xid.0))?;
    let (hdr, body) = match OpCode::from_code(op) {
        Some(code) => decode_reply(code, &frame.payload)
            .map_err(|e| format!("reply to op {op} does not decode: {e}"))?,
        // An opcode we do not know: Java answers with an error header only.
        None if hdr.err != 0 && frame.payload.len() == 16 => (hdr, Response::Empty),
        None => return Err(format!("reply to unknown op {op} has a body or err 0")),
    };
    let mut out = Vec::new();
    encode_reply(&hdr, &body, &mut out);
    same_bytes(
        &format!("reply to op {op} xid {} err {}", hdr.xid.0, hdr.err),
        &frame.payload,
        &out,
    )
}

fn check_notification(frame: &Frame) -> Result<(), String> {
    let (hdr, event) = decode_notification(&frame.payload)
        .map_err(|e| format!("notification does not decode: {e}"))?;
    if hdr.err != 0 {
        return Err(format!("notification with err {}", hdr.err));
    }
    let mut out = Vec::new();
    encode_notification(hdr.zxid, &event, &mut out);
    same_bytes("notification", &frame.payload, &out)
}

/// Frames where our bytes differ from Java's on purpose; each must still fail with exactly its
/// documented cause (checked through the hint), and no other frame may differ.
/// - kazoo sends an ACL id of `""` as a null ustring; we model ids as strings, so a re-encoded
///   request writes length 0. Only requests are affected, which the server never re-encodes.
/// - Java writes a supplementary character as CESU-8 (two 3-byte surrogates); we write standard
///   4-byte UTF-8, which Java's client decodes too and which kazoo and the Rust client need.
const KNOWN_DEPARTURES: &[(&str, &str)] = &[
    ("kazoo_auth.txt:12:", "null ustring"),
    ("kazoo_unicode.txt:23:", "CESU-8"),
    ("kazoo_unicode.txt:26:", "CESU-8"),
];

fn is_known_departure(failure: &str) -> bool {
    KNOWN_DEPARTURES
        .iter()
        .any(|(at, cause)| failure.starts_with(at) && failure.contains(cause))
}

#[test]
fn golden_frames_round_trip_through_the_codec() {
    let captures = load_captures();
    assert!(
        captures.len() >= 20,
        "expected the golden captures, found {} files",
        captures.len()
    );
    let (failures, frames) = check_all(&captures);
    assert!(frames >= 400, "only {frames} frames checked");
    let known = failures.iter().filter(|f| is_known_departure(f)).count();
    assert_eq!(
        known,
        KNOWN_DEPARTURES.len(),
        "a documented departure no longer shows: update KNOWN_DEPARTURES"
    );
    let failures: Vec<String> = failures
        .into_iter()
        .filter(|f| !is_known_departure(f))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {frames} golden frames fail the codec round trip:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_connection_starts_with_a_handshake() {
    for capture in load_captures() {
        let mut seen: BTreeMap<u32, (bool, bool)> = BTreeMap::new();
        for frame in &capture.frames {
            let (c2s, s2c) = seen.entry(frame.conn).or_default();
            match frame.dir {
                Dir::ClientToServer => *c2s = true,
                Dir::ServerToClient => {
                    assert!(*c2s, "{}:{}: server spoke first", capture.name, frame.line);
                    *s2c = true;
                }
            }
        }
        assert!(!seen.is_empty(), "{}: no frames", capture.name);
    }
}
