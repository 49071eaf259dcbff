//! quickcheck properties of the codec: round trips, canonical re-encoding, and that no input
//! (random, mutated or truncated) makes a decoder panic.

use quickcheck::{Gen, QuickCheck, TestResult};

use super::arbitrary::ReplyCase;
use super::*;
use crate::ids::Xid;

fn qc(tests: u64) -> QuickCheck {
    QuickCheck::new().tests(tests).rng(Gen::new(40))
}

/// quickcheck prints arguments only after a successful shrink, and these types do not shrink,
/// so every property names its input itself.
fn check(ok: bool, what: impl FnOnce() -> String) -> TestResult {
    if ok {
        TestResult::passed()
    } else {
        TestResult::error(what())
    }
}

fn request_bytes(xid: i32, req: &Request) -> Vec<u8> {
    let mut out = Vec::new();
    encode_request(Xid(xid), req, &mut out);
    out
}

/// Ops whose request has no record, so no prefix of one past the header is malformed.
fn has_body(req: &Request) -> bool {
    !matches!(
        req,
        Request::Ping
            | Request::WhoAmI
            | Request::CloseSession
            | Request::Unknown { .. }
            | Request::Malformed { .. }
    )
}

#[test]
fn every_request_round_trips() {
    fn prop(xid: i32, req: Request) -> TestResult {
        let bytes = request_bytes(xid, &req);
        let hdr = RequestHeader {
            xid: Xid(xid),
            op: req.op(),
        };
        let got = decode_request(&bytes);
        check(got == Ok((hdr, req.clone())), || {
            format!("{req:?} -> {bytes:?} -> {got:?}")
        })
    }
    qc(2000).quickcheck(prop as fn(i32, Request) -> TestResult);
}

#[test]
fn every_reply_round_trips_given_its_op() {
    fn prop(case: ReplyCase) -> TestResult {
        let mut out = Vec::new();
        encode_reply(&case.hdr, &case.body, &mut out);
        let want = if case.hdr.err == 0 {
            case.body.clone()
        } else {
            Response::Empty
        };
        let got = decode_reply(case.op, &out);
        check(got == Ok((case.hdr, want)), || {
            format!("{case:?} -> {out:?} -> {got:?}")
        })
    }
    qc(2000).quickcheck(prop as fn(ReplyCase) -> TestResult);
}

#[test]
fn notifications_and_connects_round_trip() {
    fn prop(
        zxid: i64,
        ev: WatcherEvent,
        creq: ConnectRequest,
        cresp: ConnectResponse,
    ) -> TestResult {
        let mut out = Vec::new();
        encode_notification(zxid, &ev, &mut out);
        let hdr = ReplyHeader {
            xid: Xid::NOTIFICATION,
            zxid,
            err: 0,
        };
        let notified = decode_notification(&out) == Ok((hdr, ev.clone()));
        out.clear();
        creq.encode(&mut out);
        let connected = ConnectRequest::decode(&out) == Ok(creq.clone());
        out.clear();
        cresp.encode(&mut out);
        let responded = ConnectResponse::decode(&out) == Ok(cresp.clone());
        check(notified && connected && responded, || {
            format!("{notified} {connected} {responded}: {ev:?} {creq:?} {cresp:?}")
        })
    }
    qc(1000)
        .quickcheck(prop as fn(i64, WatcherEvent, ConnectRequest, ConnectResponse) -> TestResult);
}

/// Runs every decoder on `bytes`, raw and behind a valid header for each opcode.
fn decode_everything(bytes: &[u8]) {
    let _ = decode_request(bytes);
    let _ = decode_notification(bytes);
    let _ = ConnectRequest::decode(bytes);
    let _ = ConnectResponse::decode(bytes);
    let _ = Stat::decode(bytes);
    let _ = ReplyHeader::decode(bytes);
    let _ = split_frame(bytes, MAX_FRAME_LEN);
    let _ = split_frame(bytes, 16);
    for op in OpCode::ALL {
        let _ = decode_reply(op, bytes);
        let mut req = vec![0, 0, 0, 1];
        req.extend_from_slice(&op.code().to_be_bytes());
        req.extend_from_slice(bytes);
        let _ = decode_request(&req);
        let mut reply = vec![0; 16];
        reply.extend_from_slice(bytes);
        let _ = decode_reply(op, &reply);
    }
}

#[test]
fn random_bytes_never_panic_any_decoder() {
    fn prop(bytes: Vec<u8>) -> bool {
        decode_everything(&bytes);
        true
    }
    QuickCheck::new()
        .tests(3000)
        .rng(Gen::new(200))
        .quickcheck(prop as fn(Vec<u8>) -> bool);
}

/// Edits a valid encoding: byte flips, interesting 4-byte ints (lengths and counts), cuts and
/// insertions.
fn mutate(buf: &mut Vec<u8>, edits: &[(u16, u8, i32)]) {
    const INTERESTING: [i32; 8] = [-1, -2, 0, 1, 2, i32::MAX, i32::MIN, 0xfffff];
    for &(pos, kind, val) in edits {
        if buf.is_empty() {
            return;
        }
        let at = usize::from(pos) % buf.len();
        match kind % 4 {
            0 => buf[at] = val.to_be_bytes()[3],
            1 => {
                let v = INTERESTING[usize::from(kind / 4) % INTERESTING.len()];
                for (i, b) in v.to_be_bytes().into_iter().enumerate() {
                    if let Some(slot) = buf.get_mut(at + i) {
                        *slot = b;
                    }
                }
            }
            2 => buf.truncate(at),
            _ => buf.insert(at, val.to_be_bytes()[3]),
        }
    }
}

#[test]
fn mutated_requests_decode_canonically_or_fail_cleanly() {
    fn prop(req: Request, edits: Vec<(u16, u8, i32)>) -> TestResult {
        let mut bytes = request_bytes(5, &req);
        mutate(&mut bytes, &edits);
        decode_everything(&bytes);
        match decode_request(&bytes) {
            Err(e) => check(bytes.len() < 8, || format!("{bytes:?}: {e}")),
            Ok((hdr, decoded)) => {
                // Whatever decodes re-encodes to something that decodes to the same value.
                let again = request_bytes(hdr.xid.0, &decoded);
                let got = decode_request(&again);
                check(got == Ok((hdr, decoded.clone())), || {
                    format!("{bytes:?} -> {decoded:?} -> {again:?} -> {got:?}")
                })
            }
        }
    }
    qc(3000).quickcheck(prop as fn(Request, Vec<(u16, u8, i32)>) -> TestResult);
}

#[test]
fn mutated_replies_never_panic() {
    fn prop(case: ReplyCase, edits: Vec<(u16, u8, i32)>) -> TestResult {
        let mut bytes = Vec::new();
        encode_reply(&case.hdr, &case.body, &mut bytes);
        mutate(&mut bytes, &edits);
        decode_everything(&bytes);
        match decode_reply(case.op, &bytes) {
            Err(_) => TestResult::passed(),
            // A reply that still decodes re-encodes to the same value.
            Ok((hdr, body)) => {
                let mut again = Vec::new();
                encode_reply(&hdr, &body, &mut again);
                let got = decode_reply(case.op, &again);
                check(got == Ok((hdr, body.clone())), || {
                    format!(
                        "{:?} {bytes:?} -> {body:?} -> {again:?} -> {got:?}",
                        case.op
                    )
                })
            }
        }
    }
    qc(3000).quickcheck(prop as fn(ReplyCase, Vec<(u16, u8, i32)>) -> TestResult);
}

#[test]
fn every_truncated_request_is_malformed_or_short() {
    fn prop(req: Request) -> TestResult {
        let bytes = request_bytes(9, &req);
        for cut in 0..bytes.len() {
            let got = decode_request(&bytes[..cut]);
            let ok = match got {
                Err(_) => cut < 8,
                Ok((_, Request::Malformed { op })) => cut >= 8 && op == req.op(),
                Ok(_) => false,
            };
            if !ok {
                return TestResult::error(format!("cut {cut} of {req:?}: {got:?}"));
            }
        }
        TestResult::from_bool(has_body(&req) == (bytes.len() > 8))
    }
    qc(1000).quickcheck(prop as fn(Request) -> TestResult);
}

#[test]
fn every_truncated_reply_fails() {
    fn prop(case: ReplyCase) -> TestResult {
        let mut bytes = Vec::new();
        encode_reply(&case.hdr, &case.body, &mut bytes);
        for cut in 0..bytes.len() {
            let got = decode_reply(case.op, &bytes[..cut]);
            if got.is_ok() {
                return TestResult::error(format!("cut {cut} of {case:?}: {got:?}"));
            }
            decode_everything(&bytes[..cut]);
        }
        TestResult::passed()
    }
    qc(1000).quickcheck(prop as fn(ReplyCase) -> TestResult);
}

#[test]
fn truncated_connects_and_notifications_fail() {
    fn prop(zxid: i64, ev: WatcherEvent, creq: ConnectRequest) -> TestResult {
        let mut out = Vec::new();
        encode_notification(zxid, &ev, &mut out);
        let notes = (0..out.len()).all(|cut| decode_notification(&out[..cut]).is_err());
        out.clear();
        creq.encode(&mut out);
        // Without readOnly the last byte is passwd's; with it, cutting it yields None.
        let full_len = out.len() - usize::from(creq.read_only.is_some());
        let connects = (0..full_len).all(|cut| ConnectRequest::decode(&out[..cut]).is_err());
        let old = ConnectRequest::decode(&out[..full_len]).map(|c| c.read_only);
        check(notes && connects && old == Ok(None), || {
            format!("{notes} {connects} {old:?}: {ev:?} {creq:?}")
        })
    }
    qc(500).quickcheck(prop as fn(i64, WatcherEvent, ConnectRequest) -> TestResult);
}
