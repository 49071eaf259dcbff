//! Byte-exact round trip of every frame in the Apache ZooKeeper golden captures
//! (`core/tests/golden/*.txt`, branch `golden`): each client frame decodes (never `Malformed` or
//! `Unknown` unless the capture is about that) and re-encodes to the same bytes; each server frame
//! decodes with the opcode of the request it answers and re-encodes to the same bytes.
//!
//! Capture format: `conn N` starts a connection; `c2s HEX` / `s2c HEX` are frame payloads without
//! the 4-byte length; `#` lines are comments. The first frame each way is the handshake.
//!
//! The captures live on another branch until it is merged; while `core/tests/golden` is absent
//! (or `ZOOREPL_GOLDEN_DIR` points elsewhere) this test says so and checks nothing.

use std::collections::BTreeMap;
use std::path::PathBuf;

use zoorepl_core::proto::{
    decode_notification, decode_reply, decode_request, encode_notification, encode_reply,
    encode_request, ConnectRequest, ConnectResponse, OpCode, ReplyHeader, Request,
};

fn hex(s: &str) -> Vec<u8> {
    assert_eq!(s.len() % 2, 0, "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

#[derive(Default)]
struct Conn {
    client_frames: usize,
    server_frames: usize,
    pending: BTreeMap<i32, OpCode>,
    null_strings: usize,
}

impl Conn {
    fn client(&mut self, at: &str, p: &[u8]) {
        self.client_frames += 1;
        if self.client_frames == 1 {
            let c = ConnectRequest::decode(p).unwrap_or_else(|e| panic!("{at}: {e}"));
            let mut out = Vec::new();
            c.encode(&mut out);
            assert_eq!(out, p, "{at}: connect request re-encodes differently");
            return;
        }
        let (hdr, req) = decode_request(p).unwrap_or_else(|e| panic!("{at}: {e}"));
        assert!(!matches!(req, Request::Malformed { .. }), "{at}: {req:?}");
        if let Request::Unknown { op } = req {
            assert!(
                OpCode::from_code(op).is_none_or(|c| !c.is_client_request()),
                "{at}: {op} is a request opcode"
            );
        }
        let mut out = Vec::new();
        encode_request(hdr.xid, &req, &mut out);
        if out != p {
            // kazoo sends "" as a null string (-1); where the model holds a `String` that reads
            // as "" and re-encodes as length 0. Nothing else may differ.
            assert_eq!(out.len(), p.len(), "{at}: {req:?} re-encodes differently");
            let only_nulls = out
                .iter()
                .zip(p)
                .all(|(o, q)| o == q || (*o == 0 && *q == 0xff));
            assert!(
                only_nulls,
                "{at}: {req:?} re-encodes differently:\n{out:02x?}\n{p:02x?}"
            );
            self.null_strings += 1;
        }
        // An unknown opcode is answered with an error and no body, which decodes as Empty under
        // any opcode; Notification stands in for it.
        let op = OpCode::from_code(hdr.op).unwrap_or(OpCode::Notification);
        self.pending.insert(hdr.xid.0, op);
    }

    fn server(&mut self, at: &str, p: &[u8]) {
        self.server_frames += 1;
        let mut out = Vec::new();
        if self.server_frames == 1 {
            let c = ConnectResponse::decode(p).unwrap_or_else(|e| panic!("{at}: {e}"));
            c.encode(&mut out);
            assert_eq!(out, p, "{at}: connect response re-encodes differently");
            return;
        }
        let hdr = ReplyHeader::decode(p).unwrap_or_else(|e| panic!("{at}: {e}"));
        if hdr.xid.0 == -1 {
            let (h, ev) = decode_notification(p).unwrap_or_else(|e| panic!("{at}: {e}"));
            encode_notification(h.zxid, &ev, &mut out);
            assert_eq!(out, p, "{at}: {ev:?} re-encodes differently");
            return;
        }
        let op = self
            .pending
            .remove(&hdr.xid.0)
            .unwrap_or_else(|| panic!("{at}: reply to unknown xid {}", hdr.xid.0));
        let (h, body) = decode_reply(op, p).unwrap_or_else(|e| panic!("{at}: {op}: {e}"));
        encode_reply(&h, &body, &mut out);
        assert_eq!(out, p, "{at}: {op} {body:?} re-encodes differently");
    }
}

/// Checks one capture; returns the number of frames checked and of client frames that differ
/// only by null strings read as "".
fn check_capture(name: &str, text: &str) -> (usize, usize) {
    let mut conns: BTreeMap<String, Conn> = BTreeMap::new();
    let mut current = String::from("0");
    let mut frames = 0;
    for (n, line) in text.lines().enumerate() {
        let at = format!("{name}:{}", n + 1);
        if let Some(id) = line.strip_prefix("conn ") {
            current = id.trim().to_owned();
            continue;
        }
        let (dir, payload) = match line.split_once(' ') {
            Some((d @ ("c2s" | "s2c"), h)) => (d, hex(h.trim())),
            _ => continue,
        };
        let conn = conns.entry(current.clone()).or_default();
        if dir == "c2s" {
            conn.client(&at, &payload);
        } else {
            conn.server(&at, &payload);
        }
        frames += 1;
    }
    (frames, conns.values().map(|c| c.null_strings).sum())
}

#[test]
fn golden_frames_round_trip_byte_for_byte() {
    let dir = std::env::var_os("ZOOREPL_GOLDEN_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden"),
        PathBuf::from,
    );
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("no golden captures at {}: nothing checked", dir.display());
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "golden dir {} has no captures",
        dir.display()
    );
    let (mut total, mut nulls) = (0, 0);
    for f in &files {
        let text = std::fs::read_to_string(f).expect("readable capture");
        let name = f
            .file_name()
            .expect("file name")
            .to_string_lossy()
            .into_owned();
        let (frames, null_strings) = check_capture(&name, &text);
        total += frames;
        nulls += null_strings;
    }
    eprintln!(
        "{total} golden frames from {} captures round-tripped ({nulls} client frames differ only \
         by null strings re-encoded as \"\")",
        files.len()
    );
    assert!(total > 0, "captures held no frames");
}
