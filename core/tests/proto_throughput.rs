//! Rough codec throughput, run by hand:
//! `cargo test -p zoorepl-core --release --test proto_throughput -- --ignored --nocapture`.
//! It only prints figures; the assertions check that the work was really done.
#![allow(clippy::disallowed_types)] // wall-clock timing is the point of this harness, outside core/src

use std::time::Instant;

use bytes::Bytes;
use zoorepl_core::ids::Xid;
use zoorepl_core::proto::{
    decode_reply, decode_request, encode_reply, encode_request, frame_into, split_frame, Acl,
    CreateRequest, MultiOp, OpCode, ReplyHeader, Request, Response, Stat, MAX_FRAME_LEN,
};

const ROUNDS: usize = 200_000;

fn time(name: &str, bytes_per_round: usize, mut f: impl FnMut() -> usize) {
    let start = Instant::now();
    let mut sink = 0usize;
    for _ in 0..ROUNDS {
        sink = sink.wrapping_add(f());
    }
    let secs = start.elapsed().as_secs_f64();
    assert!(sink > 0, "{name}: no work done");
    println!(
        "{name:<40} {:>8.0} ns/op {:>8.1} MB/s",
        secs * 1e9 / ROUNDS as f64,
        (bytes_per_round * ROUNDS) as f64 / secs / 1e6
    );
}

#[test]
#[ignore = "timing harness; run by hand"]
fn request_codec_throughput() {
    let get = Request::GetData {
        path: "/service/config/node-0000000042".into(),
        watch: true,
    };
    let create = Request::Create {
        op: OpCode::Create2,
        req: CreateRequest {
            path: "/service/locks/lock-".into(),
            data: Some(Bytes::from(vec![7u8; 100])),
            acl: vec![Acl::open_unsafe()],
            flags: 3,
        },
        ttl: None,
    };
    let multi = Request::Multi(
        (0..10)
            .map(|i| MultiOp::SetData {
                path: format!("/service/multi/{i}"),
                data: Some(Bytes::from(vec![1u8; 64])),
                version: -1,
            })
            .collect(),
    );
    let mut out = Vec::with_capacity(4096);
    for (name, req) in [
        ("getData", &get),
        ("create2 100B", &create),
        ("multi 10×setData", &multi),
    ] {
        out.clear();
        frame_into(&mut out, |o| encode_request(Xid(1), req, o));
        let n = out.len();
        time(&format!("encode+frame request {name}"), n, || {
            out.clear();
            frame_into(&mut out, |o| encode_request(Xid(1), req, o))
        });
        let frame = out.clone();
        time(&format!("split+decode request {name}"), n, || {
            let (payload, used) = split_frame(&frame, MAX_FRAME_LEN)
                .expect("ok")
                .expect("whole");
            let (_, r) = decode_request(payload).expect("decodes");
            assert!(!matches!(r, Request::Malformed { .. }));
            used
        });
    }
}

#[test]
#[ignore = "timing harness; run by hand"]
fn reply_codec_throughput() {
    let mut out = Vec::with_capacity(4096);
    let hdr = ReplyHeader {
        xid: Xid(1),
        zxid: 5,
        err: 0,
    };
    let data = Response::GetData {
        data: Some(Bytes::from(vec![3u8; 1024])),
        stat: Stat::default(),
    };
    let children = Response::GetChildren {
        children: (0..100).map(|i| format!("child-{i:010}")).collect(),
    };
    for (name, op, body) in [
        ("getData 1KiB", OpCode::GetData, &data),
        ("getChildren 100", OpCode::GetChildren, &children),
    ] {
        out.clear();
        encode_reply(&hdr, body, &mut out);
        let n = out.len();
        time(&format!("encode reply {name}"), n, || {
            out.clear();
            encode_reply(&hdr, body, &mut out);
            out.len()
        });
        let payload = out.clone();
        time(&format!("decode reply {name}"), n, || {
            let (h, _) = decode_reply(op, &payload).expect("decodes");
            usize::try_from(h.zxid).expect("positive")
        });
    }
}
