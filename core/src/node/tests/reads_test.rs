//! Reads and watch management (zookeeper-protocol.md §4, §8).

use super::*;
use crate::proto::{
    perms, ClientInfo, EventType, Id, MultiReadResult, OpCode, ReadOp, WatcherEvent, ZkError,
    KEEPER_STATE_SYNC_CONNECTED,
};

fn event(conn: u64, zxid: i64, event_type: EventType, path: &str) -> Output {
    let event = WatcherEvent {
        event_type,
        state: KEEPER_STATE_SYNC_CONNECTED,
        path: path.into(),
    };
    Output::Notify {
        conn: ConnId(conn),
        zxid,
        event,
    }
}

#[test]
fn children_come_back_sorted_with_the_parent_stat() {
    let mut h = Harness::new();
    h.session(1);
    for (i, p) in ["/c", "/c/b", "/c/a", "/c/c"].iter().enumerate() {
        h.write(1, i32::try_from(i).expect("small") + 1, &create(p, b"", 0));
    }
    let out = h.send(
        1,
        9,
        &Request::GetChildren2 {
            path: "/c".into(),
            watch: false,
        },
    );
    let stat = h.node.tree().stat("/c").expect("exists");
    let children = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
    assert_eq!(
        out,
        vec![reply(
            1,
            9,
            h.zxid(),
            Response::GetChildren2 { children, stat }
        )]
    );
    assert_eq!((stat.num_children, stat.cversion), (3, 3));
}

#[test]
fn multi_read_answers_each_op_on_its_own() {
    let mut h = Harness::new();
    h.session(1);
    h.write(1, 1, &create("/r", b"d", 0));
    let ops = vec![
        ReadOp::GetData {
            path: "/r".into(),
            watch: false,
        },
        ReadOp::GetChildren {
            path: "/missing".into(),
            watch: false,
        },
        ReadOp::GetChildren {
            path: "/r".into(),
            watch: false,
        },
    ];
    let out = h.send(1, 2, &Request::MultiRead(ops));
    let stat = h.node.tree().stat("/r").expect("exists");
    let results = vec![
        MultiReadResult::GetData {
            data: Some(Bytes::from_static(b"d")),
            stat,
        },
        MultiReadResult::Error {
            err: ZkError::NoNode.code(),
        },
        MultiReadResult::GetChildren { children: vec![] },
    ];
    assert_eq!(
        out,
        vec![reply(1, 2, h.zxid(), Response::MultiRead(results))]
    );
}

#[test]
fn ephemerals_and_descendant_counts_are_per_session_and_per_subtree() {
    let mut h = Harness::new();
    h.session(1);
    h.session(2);
    h.write(1, 1, &create("/app", b"", 0));
    h.write(1, 2, &create("/app/e1", b"", 1));
    h.write(2, 1, &create("/app/e2", b"", 1));
    h.write(1, 3, &create("/other", b"", 1));
    let out = h.send(
        1,
        4,
        &Request::GetEphemerals {
            prefix: Some("/app".into()),
        },
    );
    let paths = vec!["/app/e1".to_owned()];
    assert_eq!(
        out,
        vec![reply(1, 4, h.zxid(), Response::GetEphemerals { paths })]
    );
    let out = h.send(
        1,
        5,
        &Request::GetEphemerals {
            prefix: Some("/".into()),
        },
    );
    let paths = vec!["/app/e1".to_owned(), "/other".to_owned()];
    assert_eq!(
        out,
        vec![reply(1, 5, h.zxid(), Response::GetEphemerals { paths })]
    );
    let out = h.send(1, 6, &Request::GetAllChildrenNumber { path: "/".into() });
    // /zookeeper, /zookeeper/quota, /zookeeper/config, /app, /app/e1, /app/e2, /other.
    assert_eq!(
        out,
        vec![reply(
            1,
            6,
            h.zxid(),
            Response::AllChildrenNumber { count: 7 }
        )]
    );
}

#[test]
fn get_acl_masks_digests_without_admin() {
    let mut h = Harness::new();
    h.session(1);
    h.session(2);
    let digest = Id::new("digest", "bob:hash=");
    let acl = vec![
        Acl {
            perms: perms::READ,
            id: Id::new("world", "anyone"),
        },
        Acl {
            perms: perms::ALL,
            id: digest,
        },
    ];
    let req = CreateRequest {
        path: "/m".into(),
        data: None,
        acl,
        flags: 0,
    };
    h.write(
        1,
        1,
        &Request::Create {
            op: OpCode::Create,
            req,
            ttl: None,
        },
    );
    let out = h.send(2, 1, &Request::GetAcl { path: "/m".into() });
    let [Output::Reply {
        body: Response::GetAcl { acl, .. },
        ..
    }] = out.as_slice()
    else {
        panic!("{out:?}")
    };
    assert_eq!(
        acl[1].id,
        Id::new("digest", "bob:x"),
        "READ without ADMIN masks digests"
    );
}

#[test]
fn whoami_lists_the_connection_ids() {
    let mut h = Harness::new();
    h.session(1);
    let auth = digest_auth(b"amy:pw");
    h.send(1, -4, &auth);
    let out = h.send(1, 1, &Request::WhoAmI);
    // As Java lists them (golden capture `kazoo_unicode`): authenticated ids first, a digest id
    // by its user name only, then the ip id.
    let clients = vec![
        ClientInfo {
            auth_scheme: "digest".into(),
            user: "amy".into(),
        },
        ClientInfo {
            auth_scheme: "ip".into(),
            user: "127.0.0.1".into(),
        },
    ];
    assert_eq!(
        out,
        vec![reply(1, 1, h.zxid(), Response::WhoAmI { clients })]
    );
}

#[test]
fn super_digest_passes_every_acl() {
    let config = NodeConfig {
        super_digest: Some(crate::tree::acl::digest_id("super:secret")),
        ..NodeConfig::default()
    };
    let mut h = Harness::with_config(config);
    h.session(1);
    h.session(2);
    let acl = vec![Acl {
        perms: perms::ALL,
        id: Id::new("digest", "nobody:abc="),
    }];
    let req = CreateRequest {
        path: "/locked".into(),
        data: None,
        acl,
        flags: 0,
    };
    h.write(
        1,
        1,
        &Request::Create {
            op: OpCode::Create,
            req,
            ttl: None,
        },
    );
    let auth = digest_auth(b"super:secret");
    h.send(2, -4, &auth);
    let out = h.send(
        2,
        1,
        &Request::GetData {
            path: "/locked".into(),
            watch: false,
        },
    );
    assert!(
        matches!(out.as_slice(), [Output::Reply { header, .. }] if header.err == 0),
        "{out:?}"
    );
}

#[test]
fn recursive_watch_sees_the_subtree_until_removed() {
    let mut h = Harness::new();
    h.session(1);
    h.session(2);
    let out = h.send(
        2,
        1,
        &Request::AddWatch {
            path: "/tree".into(),
            mode: 1,
        },
    );
    assert_eq!(out, vec![reply(2, 1, h.zxid(), Response::AddWatch)]);
    let out = h.write(1, 1, &create("/tree", b"", 0));
    let z = h.zxid();
    assert_eq!(out[0], event(2, z, EventType::NodeCreated, "/tree"));
    let out = h.write(1, 2, &create("/tree/a", b"", 0));
    let z = h.zxid();
    assert_eq!(
        out[0],
        event(2, z, EventType::NodeCreated, "/tree/a"),
        "no NodeChildrenChanged"
    );
    assert_eq!(out.len(), 2);
    let out = h.send(
        2,
        2,
        &Request::CheckWatches {
            path: "/tree".into(),
            kind: 5,
        },
    );
    assert_eq!(out, vec![reply(2, 2, h.zxid(), Response::Empty)]);
    let out = h.send(
        2,
        3,
        &Request::RemoveWatches {
            path: "/tree".into(),
            kind: 5,
        },
    );
    assert_eq!(out, vec![reply(2, 3, h.zxid(), Response::Empty)]);
    let out = h.send(
        2,
        4,
        &Request::RemoveWatches {
            path: "/tree".into(),
            kind: 3,
        },
    );
    assert_eq!(out, vec![error(2, 4, h.zxid(), ZkError::NoWatcher)]);
    let out = h.write(1, 3, &create("/tree/b", b"", 0));
    assert_eq!(out.len(), 1, "removed: {out:?}");
}

#[test]
fn reads_look_bad_paths_up_and_exists_rejects_nul() {
    // Java validates no read path on the server: a bad path is simply not found (golden capture
    // `kazoo_raw_ops`); only exists checks for NUL.
    let mut h = Harness::new();
    h.session(1);
    let out = h.send(
        1,
        1,
        &Request::GetData {
            path: "/a//b".into(),
            watch: false,
        },
    );
    assert_eq!(out, vec![error(1, 1, h.zxid(), ZkError::NoNode)]);
    let out = h.send(
        1,
        2,
        &Request::Exists {
            path: "/a\u{0}".into(),
            watch: true,
        },
    );
    assert_eq!(out, vec![error(1, 2, h.zxid(), ZkError::BadArguments)]);
    assert_eq!(
        h.node.watches().summary(),
        (0, 0, 0),
        "no watch on a bad path"
    );
}

#[test]
fn reconfig_is_disabled_and_keeps_the_connection() {
    let mut h = Harness::new();
    h.session(1);
    let req = Request::Reconfig {
        joining: None,
        leaving: None,
        new_members: None,
        cur_config_id: -1,
    };
    let out = h.send(1, 1, &req);
    assert_eq!(out, vec![error(1, 1, h.zxid(), ZkError::ReconfigDisabled)]);
    assert_eq!(h.node.connection_count(), 1);
}
