//! Hand-built byte vectors for the codec (zookeeper-protocol.md §1–8). The expected bytes are
//! written out field by field here, never produced by the encoder under test.

use bytes::Bytes;

use super::*;
use crate::ids::Xid;

fn i32b(v: i32) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

fn i64b(v: i64) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

fn strb(s: &str) -> Vec<u8> {
    let mut v = i32b(i32::try_from(s.len()).expect("short"));
    v.extend_from_slice(s.as_bytes());
    v
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

#[rustfmt::skip]
const CONNECT_RO: [u8; 45] = [
    0, 0, 0, 0,                                     // protocolVersion
    0, 0, 0, 0, 0, 0, 0x01, 0x02,                   // lastZxidSeen 0x102
    0, 0, 0x75, 0x30,                               // timeOut 30000
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, // sessionId
    0, 0, 0, 16,                                    // passwd length
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    1,                                              // readOnly
];

#[test]
fn connect_request_with_and_without_read_only_section_2() {
    let req = ConnectRequest::decode(&CONNECT_RO).expect("45-byte connect");
    assert_eq!(
        req,
        ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: 0x102,
            timeout_ms: 30_000,
            session_id: 0x0123_4567_89ab_cdef,
            passwd: (1..=16).collect(),
            read_only: Some(true),
        }
    );
    let mut out = Vec::new();
    req.encode(&mut out);
    assert_eq!(out, CONNECT_RO);

    let old = ConnectRequest::decode(&CONNECT_RO[..44]).expect("44-byte connect");
    assert_eq!(old.read_only, None);
    assert_eq!(old.passwd, req.passwd);
    out.clear();
    old.encode(&mut out);
    assert_eq!(out, CONNECT_RO[..44]);

    // Java reads any non-zero boolean as true.
    let mut seven = CONNECT_RO;
    seven[44] = 7;
    assert_eq!(
        ConnectRequest::decode(&seven).expect("ok").read_only,
        Some(true)
    );
    for cut in 0..44 {
        assert!(
            ConnectRequest::decode(&CONNECT_RO[..cut]).is_err(),
            "cut {cut}"
        );
    }
}

#[test]
fn connect_response_is_37_bytes_with_read_only_and_36_without_section_2() {
    let resp = ConnectResponse {
        protocol_version: 0,
        timeout_ms: 4000,
        session_id: 0x0100_0000_0000_0001,
        passwd: vec![0xAA; 16],
        read_only: Some(false),
    };
    let expected = cat(&[
        &i32b(0),
        &i32b(4000),
        &[1, 0, 0, 0, 0, 0, 0, 1],
        &i32b(16),
        &[0xAA; 16],
        &[0],
    ]);
    let mut out = Vec::new();
    resp.encode(&mut out);
    assert_eq!(out.len(), 37);
    assert_eq!(out, expected);
    assert_eq!(ConnectResponse::decode(&out), Ok(resp.clone()));

    let old = ConnectResponse {
        read_only: None,
        ..resp
    };
    out.clear();
    old.encode(&mut out);
    assert_eq!(out.len(), 36);
    assert_eq!(out, expected[..36]);
    assert_eq!(ConnectResponse::decode(&out), Ok(old));
}

#[test]
fn create_request_decodes_field_by_field_section_4() {
    let payload = cat(&[
        &i32b(7), // xid
        &i32b(1), // create
        &strb("/a/b"),
        &i32b(3),
        b"xyz",
        &i32b(1), // one ACL
        &i32b(31),
        &strb("world"),
        &strb("anyone"),
        &i32b(3), // EPHEMERAL_SEQUENTIAL
    ]);
    let (hdr, req) = decode_request(&payload).expect("header");
    assert_eq!(hdr, RequestHeader { xid: Xid(7), op: 1 });
    let want = Request::Create {
        op: OpCode::Create,
        req: CreateRequest {
            path: "/a/b".into(),
            data: Some(Bytes::from_static(b"xyz")),
            acl: vec![Acl::open_unsafe()],
            flags: 3,
        },
        ttl: None,
    };
    assert_eq!(req, want);
    let mut out = Vec::new();
    encode_request(Xid(7), &want, &mut out);
    assert_eq!(out, payload);

    // createTTL carries a trailing long; without it the record is malformed.
    let mut ttl = payload.clone();
    ttl[4..8].copy_from_slice(&i32b(21));
    assert_eq!(
        decode_request(&ttl).expect("hdr").1,
        Request::Malformed { op: 21 }
    );
    ttl.extend_from_slice(&i64b(5000));
    let Request::Create { op, ttl: t, .. } = decode_request(&ttl).expect("hdr").1 else {
        panic!("not a create");
    };
    assert_eq!((op, t), (OpCode::CreateTtl, Some(5000)));
}

#[test]
fn null_and_empty_buffers_stay_apart_section_1() {
    let base = |data: &[u8]| cat(&[&i32b(2), &i32b(5), &strb("/n"), data, &i32b(-1)]);
    let decode = |p: Vec<u8>| match decode_request(&p).expect("hdr").1 {
        Request::SetData { data, .. } => data,
        other => panic!("{other:?}"),
    };
    assert_eq!(decode(base(&i32b(-1))), None);
    assert_eq!(decode(base(&i32b(0))), Some(Bytes::new()));
    // Length -2 is neither null nor a length.
    assert_eq!(
        decode_request(&base(&i32b(-2))).expect("hdr").1,
        Request::Malformed { op: 5 }
    );

    let mut out = Vec::new();
    let hdr = ReplyHeader {
        xid: Xid(2),
        zxid: 9,
        err: 0,
    };
    let stat = Stat::default();
    encode_reply(&hdr, &Response::GetData { data: None, stat }, &mut out);
    assert_eq!(out[16..20], i32b(-1));
    assert_eq!(
        decode_reply(OpCode::GetData, &out).expect("ok").1,
        Response::GetData { data: None, stat }
    );
    out.clear();
    let empty = Response::GetData {
        data: Some(Bytes::new()),
        stat,
    };
    encode_reply(&hdr, &empty, &mut out);
    assert_eq!(out[16..20], i32b(0));
    assert_eq!(decode_reply(OpCode::GetData, &out).expect("ok").1, empty);

    // A null path reads as "" (then rejected by path validation); a null prefix stays None.
    let p = cat(&[&i32b(3), &i32b(3), &i32b(-1), &[1]]);
    assert_eq!(
        decode_request(&p).expect("hdr").1,
        Request::Exists {
            path: String::new(),
            watch: true
        }
    );
    let p = cat(&[&i32b(3), &i32b(103), &i32b(-1)]);
    assert_eq!(
        decode_request(&p).expect("hdr").1,
        Request::GetEphemerals { prefix: None }
    );
}

#[test]
fn error_reply_is_16_bytes_without_body_section_3() {
    let hdr = ReplyHeader {
        xid: Xid(12),
        zxid: 0x1_0000_0005,
        err: ZkError::NoNode.code(),
    };
    let mut out = Vec::new();
    // The body is dropped because err != 0.
    encode_reply(
        &hdr,
        &Response::Exists {
            stat: Stat::default(),
        },
        &mut out,
    );
    assert_eq!(out, cat(&[&i32b(12), &i64b(0x1_0000_0005), &i32b(-101)]));
    assert_eq!(
        decode_reply(OpCode::Exists, &out),
        Ok((hdr, Response::Empty))
    );
    // The same header with err 0 needs the 68-byte Stat.
    out[12..16].copy_from_slice(&i32b(0));
    assert!(matches!(
        decode_reply(OpCode::Exists, &out),
        Err(DecodeError::Truncated {
            field: "Stat",
            offset: 16,
            ..
        })
    ));
}

fn sample_stat() -> Stat {
    Stat {
        czxid: 0x0102_0304_0506_0708,
        mzxid: 2,
        ctime: 3,
        mtime: 4,
        version: 5,
        cversion: -1,
        aversion: 7,
        ephemeral_owner: 8,
        data_length: 9,
        num_children: 10,
        pzxid: -2,
    }
}

#[test]
fn stat_is_68_bytes_in_field_order_section_3() {
    let s = sample_stat();
    let expected = cat(&[
        &i64b(0x0102_0304_0506_0708),
        &i64b(2),
        &i64b(3),
        &i64b(4),
        &i32b(5),
        &i32b(-1),
        &i32b(7),
        &i64b(8),
        &i32b(9),
        &i32b(10),
        &i64b(-2),
    ]);
    let mut out = Vec::new();
    s.encode(&mut out);
    assert_eq!(out.len(), 68);
    assert_eq!(out, expected);
    assert_eq!(Stat::decode(&out), Ok(s));
    assert!(Stat::decode(&out[..67]).is_err());
    out.push(0);
    assert!(Stat::decode(&out).is_err());
}

#[test]
fn failed_multi_reports_every_op_as_an_error_result_section_5() {
    // create ok, setData fails with BADVERSION, delete after it.
    let results = vec![
        MultiResult::Error { err: 0 },
        MultiResult::Error { err: -103 },
        MultiResult::Error { err: -2 },
    ];
    let hdr = ReplyHeader {
        xid: Xid(3),
        zxid: 77,
        err: 0,
    };
    let mut out = Vec::new();
    encode_reply(&hdr, &Response::Multi(results.clone()), &mut out);
    let entry = |err: i32| cat(&[&i32b(-1), &[0], &i32b(err), &i32b(err)]);
    let expected = cat(&[
        &i32b(3),
        &i64b(77),
        &i32b(0),
        &entry(0),
        &entry(-103),
        &entry(-2),
        &i32b(-1),
        &[1],
        &i32b(-1),
    ]);
    assert_eq!(out, expected);
    assert_eq!(
        decode_reply(OpCode::Multi, &out),
        Ok((hdr, Response::Multi(results)))
    );
}

#[test]
#[rustfmt::skip]
fn multi_request_and_successful_results_section_5() {
    let payload = cat(&[
        &i32b(4),
        &i32b(14),
        &i32b(1), &[0], &i32b(-1),
        &strb("/p"), &i32b(-1), &i32b(1), &i32b(31), &strb("world"), &strb("anyone"), &i32b(0),
        &i32b(13), &[0], &i32b(-1),
        &strb("/p"), &i32b(-1),
        &i32b(-1), &[1], &i32b(-1),
    ]);
    let (_, req) = decode_request(&payload).expect("hdr");
    let want = Request::Multi(vec![
        MultiOp::Create {
            op: OpCode::Create,
            req: CreateRequest {
                path: "/p".into(),
                data: None,
                acl: vec![Acl::open_unsafe()],
                flags: 0,
            },
            ttl: None,
        },
        MultiOp::Check {
            path: "/p".into(),
            version: -1,
        },
    ]);
    assert_eq!(req, want);
    let mut out = Vec::new();
    encode_request(Xid(4), &want, &mut out);
    assert_eq!(out, payload);

    // A read op inside multi (14) is a marshalling error; so is a write inside multiRead (22).
    let mut read_in_multi = cat(&[&i32b(4), &i32b(14), &i32b(4), &[0], &i32b(-1)]);
    read_in_multi.extend(cat(&[&strb("/p"), &[0], &i32b(-1), &[1], &i32b(-1)]));
    assert_eq!(decode_request(&read_in_multi).expect("hdr").1, Request::Malformed { op: 14 });
    let mut write_in_read = read_in_multi.clone();
    write_in_read[4..8].copy_from_slice(&i32b(22));
    write_in_read[8..12].copy_from_slice(&i32b(2));
    assert_eq!(decode_request(&write_in_read).expect("hdr").1, Request::Malformed { op: 22 });

    let results = Response::Multi(vec![
        MultiResult::Create { path: "/p".into() },
        MultiResult::Check,
    ]);
    let mut out = Vec::new();
    let hdr = ReplyHeader { xid: Xid(4), zxid: 5, err: 0 };
    encode_reply(&hdr, &results, &mut out);
    let expected = cat(&[
        &i32b(4), &i64b(5), &i32b(0),
        &i32b(1), &[0], &i32b(0), &strb("/p"),
        &i32b(13), &[0], &i32b(0),
        &i32b(-1), &[1], &i32b(-1),
    ]);
    assert_eq!(out, expected);
    assert_eq!(decode_reply(OpCode::Multi, &out), Ok((hdr, results)));
}

#[test]
fn notification_layout_section_8() {
    let ev = WatcherEvent {
        event_type: EventType::NodeChildrenChanged,
        state: KEEPER_STATE_SYNC_CONNECTED,
        path: "/app".into(),
    };
    let mut out = Vec::new();
    encode_notification(0x200_0000_0003, &ev, &mut out);
    let expected = cat(&[
        &i32b(-1),
        &i64b(0x200_0000_0003),
        &i32b(0),
        &i32b(4),
        &i32b(3),
        &strb("/app"),
    ]);
    assert_eq!(out, expected);
    let (hdr, back) = decode_notification(&out).expect("valid");
    assert_eq!(hdr.xid, Xid::NOTIFICATION);
    assert_eq!(back, ev);
    // Client-only event types never come from a server.
    out[16..20].copy_from_slice(&i32b(5));
    assert!(matches!(
        decode_notification(&out),
        Err(DecodeError::InvalidValue {
            field: "WatcherEvent.type",
            offset: 16,
            value: 5
        })
    ));
}
