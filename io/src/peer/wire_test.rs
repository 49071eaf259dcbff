use bytes::Bytes;
use zoorepl_core::ids::{ServerId, SessionId, Xid, Zxid};
use zoorepl_core::node::{Forwarded, PeerMsg, Refusal};
use zoorepl_core::zab::{Notification, PeerState, Vote, ZabMsg};

use super::{encode_frame, read_frame, Hello, LinkError, LinkKind, Wire};

const MAX: usize = 1 << 20;

/// One of every variant but `Snapshot` (a variant added after it would not round-trip).
fn messages() -> Vec<PeerMsg> {
    vec![
        PeerMsg::Election(Notification {
            state: PeerState::Following,
            vote: Vote {
                epoch: 2,
                zxid: Zxid::new(2, 7),
                leader: ServerId(1),
            },
            round: 4,
        }),
        PeerMsg::Zab(ZabMsg::Commit {
            epoch: 3,
            upto: Zxid::new(3, 9),
        }),
        PeerMsg::Forward {
            epoch: 3,
            session: SessionId(0x55),
            cxid: Xid(7),
            seen: Zxid::new(3, 8),
            what: Forwarded::CreateSession { timeout_ms: 4000 },
        },
        PeerMsg::Refused {
            epoch: 3,
            session: SessionId(0x55),
            cxid: Xid(8),
            refusal: Refusal::Multi(vec![-101, -2]),
            after: Zxid::new(3, 4),
        },
        PeerMsg::Synced {
            epoch: 3,
            session: SessionId(1),
            cxid: Xid(9),
            zxid: Zxid::new(3, 5),
        },
        PeerMsg::Touch {
            epoch: 3,
            sessions: vec![SessionId(1), SessionId(2)],
        },
        PeerMsg::Forward {
            epoch: 3,
            session: SessionId(0x56),
            cxid: Xid(0),
            seen: Zxid::new(3, 9),
            what: Forwarded::Resume,
        },
        PeerMsg::Revalidated {
            epoch: 3,
            session: SessionId(0x56),
            valid: true,
            after: Zxid::new(3, 6),
        },
    ]
}

async fn decode_all(mut bytes: &[u8]) -> Vec<Wire> {
    let mut out = Vec::new();
    loop {
        match read_frame(&mut bytes, MAX).await {
            Ok(wire) => out.push(wire),
            Err(LinkError::Closed) => return out,
            Err(e) => panic!("decode: {e}"),
        }
    }
}

#[tokio::test]
async fn every_message_kind_round_trips_through_frames() {
    let mut out = Vec::new();
    for msg in messages() {
        let Ok(wire) = Wire::from_msg(msg) else {
            panic!("not a snapshot")
        };
        encode_frame(&wire, &mut out, MAX).expect("encodes");
    }
    encode_frame(&Wire::SnapChunk(Bytes::from_static(b"abc")), &mut out, MAX).expect("chunk");
    let back = decode_all(&out).await;
    let (msgs, rest) = back.split_at(messages().len());
    let msgs: Vec<PeerMsg> = msgs
        .iter()
        .map(|w| w.clone().into_msg().expect("a message"))
        .collect();
    assert_eq!(msgs, messages());
    assert_eq!(rest, [Wire::SnapChunk(Bytes::from_static(b"abc"))]);
}

#[test]
fn oversized_message_is_refused_and_leaves_the_buffer() {
    let mut out = vec![1, 2, 3];
    let big = Wire::SnapChunk(Bytes::from(vec![7; 100]));
    let err = encode_frame(&big, &mut out, 50).expect_err("too long");
    assert!(matches!(err, LinkError::FrameTooLong { max: 50, .. }));
    assert_eq!(out, [1, 2, 3]);
}

#[tokio::test]
async fn length_prefix_over_the_limit_is_bad_input() {
    let bytes = [0x00, 0x20, 0x00, 0x00, 1, 2, 3];
    let err = read_frame(&mut &bytes[..], MAX)
        .await
        .expect_err("too long");
    assert!(matches!(
        err,
        LinkError::FrameTooLong {
            len: 0x0020_0000,
            ..
        }
    ));
    assert!(err.is_bad_input());
}

#[tokio::test]
async fn garbage_payload_and_cut_frame_are_errors() {
    let garbage = [0, 0, 0, 3, 0xff, 0xff, 0xff];
    let err = read_frame(&mut &garbage[..], MAX)
        .await
        .expect_err("garbage");
    assert!(matches!(err, LinkError::Decode(_)));
    let cut = [0, 0, 0, 9, 1];
    let err = read_frame(&mut &cut[..], MAX).await.expect_err("cut");
    assert!(matches!(err, LinkError::Io(_)));
}

#[tokio::test]
async fn hello_round_trips_and_bad_ones_are_refused() {
    let hello = Hello {
        kind: LinkKind::Quorum,
        from: ServerId(42),
    };
    let bytes = hello.encode();
    assert_eq!(bytes.len(), 19);
    assert_eq!(&bytes[4..8], b"ZRPR");
    assert_eq!(Hello::read(&mut &bytes[..]).await.expect("reads"), hello);

    let mut wrong_magic = bytes.to_vec();
    wrong_magic[4] = b'X';
    let mut wrong_version = bytes.to_vec();
    wrong_version[9] = 99;
    let mut wrong_kind = bytes.to_vec();
    wrong_kind[10] = 7;
    for bad in [wrong_magic, wrong_version, wrong_kind] {
        let err = Hello::read(&mut &bad[..]).await.expect_err("refused");
        assert!(matches!(err, LinkError::BadHello(_)), "{err}");
    }
    let long = [0, 0, 0, 16];
    let err = Hello::read(&mut &long[..]).await.expect_err("refused");
    assert!(matches!(err, LinkError::BadHello(_)));
}
