//! Edge cases of the codec: hostile counts, unknown opcodes, trailing bytes, Java strings, and the
//! small fixed-layout replies (addWatch, whoAmI, getAllChildrenNumber).

use super::*;
use crate::ids::Xid;

fn i32b(v: i32) -> [u8; 4] {
    v.to_be_bytes()
}

fn header(xid: i32, op: i32) -> Vec<u8> {
    [i32b(xid), i32b(op)].concat()
}

fn ok_reply(xid: i32, zxid: i64, body: &[u8]) -> Vec<u8> {
    [&i32b(xid)[..], &zxid.to_be_bytes(), &i32b(0), body].concat()
}

#[test]
fn huge_counts_in_small_frames_fail_at_once_section_1() {
    // setWatches: relativeZxid, then a data-watch count of 2^31 - 1 with 8 bytes behind it.
    let mut p = header(-8, 101);
    p.extend_from_slice(&0i64.to_be_bytes());
    p.extend_from_slice(&i32b(i32::MAX));
    p.extend_from_slice(&[0; 8]);
    assert_eq!(
        decode_request(&p).expect("hdr").1,
        Request::Malformed { op: 101 }
    );
    let err = decode_request_body(101, &p[8..]).expect_err("count too large");
    assert_eq!(err.field(), "SetWatches.dataWatches");
    assert_eq!(err.offset(), 12);

    // A getChildren reply promising 2^31 - 1 names in a 20-byte payload.
    let r = ok_reply(1, 0, &i32b(i32::MAX));
    assert_eq!(r.len(), 20);
    assert!(matches!(
        decode_reply(OpCode::GetChildren, &r),
        Err(DecodeError::Truncated {
            field: "GetChildrenResponse.children",
            ..
        })
    ));
    // Same for an ACL list and a data buffer.
    let r = ok_reply(1, 0, &i32b(0x7fff_0000));
    assert!(decode_reply(OpCode::GetAcl, &r).is_err());
    assert!(decode_reply(OpCode::GetData, &r).is_err());
}

#[test]
fn non_request_opcodes_are_unknown_and_check_alone_decodes_section_4() {
    for op in [0, 10, 20, -10, -1, 23, 108, i32::MIN] {
        let (hdr, req) = decode_request(&header(5, op)).expect("hdr");
        assert_eq!(hdr.op, op);
        assert_eq!(req, Request::Unknown { op }, "op {op}");
    }
    let mut p = header(5, 13);
    p.extend_from_slice(&[&i32b(2)[..], b"/c", &i32b(4)].concat());
    assert_eq!(
        decode_request(&p).expect("hdr").1,
        Request::Check {
            path: "/c".into(),
            version: 4
        }
    );
    // Body-less ops ignore trailing bytes, as Java does; so do records.
    let mut ping = header(-2, 11);
    ping.extend_from_slice(b"junk");
    assert_eq!(decode_request(&ping).expect("hdr").1, Request::Ping);
    p.push(9);
    assert!(matches!(
        decode_request(&p).expect("hdr").1,
        Request::Check { .. }
    ));
    // A header cut short is the only request-level error.
    assert!(decode_request(&[0, 0, 0, 1, 0, 0, 0]).is_err());
}

#[test]
fn java_cesu8_strings_decode_and_bad_utf8_is_malformed_section_1() {
    // An ACL id holding U+1F600 the way Java's jute writer sends it.
    let id = [0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80];
    let mut p = header(3, 7);
    p.extend_from_slice(&[&i32b(2)[..], b"/n", &i32b(1), &i32b(31)].concat());
    p.extend_from_slice(&[&i32b(5)[..], b"world", &i32b(6), &id, &i32b(-1)].concat());
    let Request::SetAcl { acl, .. } = decode_request(&p).expect("hdr").1 else {
        panic!("not setACL");
    };
    assert_eq!(acl[0].id.id, "\u{1F600}");
    // A lone continuation byte is not a string.
    let mut bad = header(3, 3);
    bad.extend_from_slice(&[&i32b(1)[..], &[0x80], &[0]].concat());
    assert_eq!(
        decode_request(&bad).expect("hdr").1,
        Request::Malformed { op: 3 }
    );
    let err = decode_request_body(3, &bad[8..]).expect_err("bad utf8");
    assert_eq!(
        err,
        DecodeError::InvalidUtf8 {
            field: "ExistsRequest.path",
            offset: 4
        }
    );
}

#[test]
fn small_fixed_replies_section_4() {
    let mut out = Vec::new();
    let hdr = ReplyHeader {
        xid: Xid(8),
        zxid: 1,
        err: 0,
    };
    encode_reply(&hdr, &Response::AddWatch, &mut out);
    assert_eq!(out, ok_reply(8, 1, &i32b(0)));
    out.clear();
    encode_reply(&hdr, &Response::AllChildrenNumber { count: 7 }, &mut out);
    assert_eq!(out, ok_reply(8, 1, &i32b(7)));
    out.clear();
    let who = Response::WhoAmI {
        clients: vec![ClientInfo {
            auth_scheme: "ip".into(),
            user: "1.2.3.4".into(),
        }],
    };
    encode_reply(&hdr, &who, &mut out);
    let body = [&i32b(1)[..], &i32b(2), b"ip", &i32b(7), b"1.2.3.4"].concat();
    assert_eq!(out, ok_reply(8, 1, &body));
    assert_eq!(decode_reply(OpCode::WhoAmI, &out), Ok((hdr, who)));
    // Body-less replies: header only, and trailing bytes are an error when err == 0.
    out.clear();
    encode_reply(&hdr, &Response::Empty, &mut out);
    assert_eq!(out.len(), REPLY_HEADER_LEN);
    out.push(0);
    assert!(matches!(
        decode_reply(OpCode::Delete, &out),
        Err(DecodeError::TrailingBytes {
            offset: 16,
            count: 1,
            ..
        })
    ));
}

#[test]
fn set_watches2_carries_five_lists_section_8_4() {
    let w = SetWatches {
        op: OpCode::SetWatches2,
        relative_zxid: 0x55,
        data: vec!["/d".into()],
        exist: vec![],
        child: vec!["/c".into()],
        persistent: vec!["/p".into()],
        persistent_recursive: vec!["/r".into()],
    };
    let mut out = Vec::new();
    encode_request(Xid::SET_WATCHES, &Request::SetWatches(w.clone()), &mut out);
    let s = |x: &str| [&i32b(1)[..], &i32b(2), x.as_bytes()].concat();
    let expected = [
        header(-8, 105),
        0x55i64.to_be_bytes().to_vec(),
        s("/d"),
        i32b(0).to_vec(),
        s("/c"),
        s("/p"),
        s("/r"),
    ]
    .concat();
    assert_eq!(out, expected);
    assert_eq!(decode_request(&out).expect("hdr").1, Request::SetWatches(w));
    // The same bytes as op 101 stop after three lists (the rest is ignored trailing data).
    out[4..8].copy_from_slice(&i32b(101));
    let Request::SetWatches(old) = decode_request(&out).expect("hdr").1 else {
        panic!("not setWatches");
    };
    assert_eq!((old.op, old.persistent.len()), (OpCode::SetWatches, 0));
}

#[test]
fn reply_results_encode_errors_as_bare_headers_section_3() {
    let mut out = Vec::new();
    encode_reply_result(Xid(4), 9, &Err(ZkError::NodeExists), &mut out);
    assert_eq!(
        out,
        [&i32b(4)[..], &9i64.to_be_bytes(), &i32b(-110)].concat()
    );
    out.clear();
    encode_reply_result(
        Xid(4),
        9,
        &Ok(Response::AllChildrenNumber { count: 3 }),
        &mut out,
    );
    assert_eq!(out, ok_reply(4, 9, &i32b(3)));
}
