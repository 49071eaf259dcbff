//! The CLI against a live server (`ZOOREPL_TEST_SERVER=host:port`; skipped when unset). The
//! expected texts are what Apache ZooKeeper 3.8's zkCli prints for the same lines.

mod cli_support;

use cli_support::{normalize, run, server, shell, unique_root, wait_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_basic_crud_and_errors() {
    let Some(server) = server("cli_basic_crud_and_errors") else {
        return;
    };
    let root = unique_root("crud");
    let _cleanup = cli_support::Cleanup {
        server: server.clone(),
        root: root.clone(),
    };
    let (mut shell, captured) = shell(&server).await;
    let text = run(&mut shell, &captured, &root, "create $R hello\ncreate $R again\ncreate $R/b\n\
        get $R\nget $R/b\nset $R world\nset -v 99 $R nope\nget -s $R\nls $R\nls -s $R/b\n\
        get $R/missing\ndelete $R\ndelete -v 7 $R/b\ndelete $R/b\ncreate $R/x/y\nstat $R\nls $R/missing\n\
        delete $R").await;
    let expected = "Created $R\nNode already exists: $R\nCreated $R/b\nhello\nnull\n\
        version No is not valid : $R\nworld\ncZxid = *\nctime = *\nmZxid = *\nmtime = *\npZxid = *\n\
        cversion = 1\ndataVersion = 1\naclVersion = 0\nephemeralOwner = 0x0\ndataLength = 5\nnumChildren = 1\n\
        [b]\n[]\ncZxid = *\nctime = *\nmZxid = *\nmtime = *\npZxid = *\ncversion = 0\ndataVersion = 0\n\
        aclVersion = 0\nephemeralOwner = 0x0\ndataLength = 0\nnumChildren = 0\n\
        Node does not exist: $R/missing\nNode not empty: $R\nversion No is not valid : $R/b\n\
        Node does not exist: $R/x/y\ncZxid = *\nctime = *\nmZxid = *\nmtime = *\npZxid = *\n\
        cversion = 2\ndataVersion = 1\naclVersion = 0\nephemeralOwner = 0x0\ndataLength = 5\nnumChildren = 0\n\
        Node does not exist: $R/missing\n";
    assert_eq!(normalize(&text), expected);
    shell.disconnect();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_create_modes_and_tree_commands() {
    let Some(server) = server("cli_create_modes_and_tree_commands") else {
        return;
    };
    let root = unique_root("modes");
    let _cleanup = cli_support::Cleanup {
        server: server.clone(),
        root: root.clone(),
    };
    let (mut shell, captured) = shell(&server).await;
    let text = run(
        &mut shell,
        &captured,
        &root,
        "create $R\ncreate -s $R/s- one\ncreate -s $R/s- two\n\
        create -e $R/e1 x\ncreate $R/e1/child\ncreate $R/a\ncreate $R/a/b\ngetEphemerals $R\n\
        getAllChildrenNumber $R\nls $R\nls -R $R\nstat $R/e1",
    )
    .await;
    let normalized = normalize(&text);
    let expected_head = "Created $R\nCreated $R/s-0000000000\nCreated $R/s-0000000001\nCreated $R/e1\n\
        Ephemerals cannot have children: $R/e1/child\nCreated $R/a\nCreated $R/a/b\n[$R/e1]\n5\n\
        [a, e1, s-0000000000, s-0000000001]\n$R\n$R/a\n$R/a/b\n$R/e1\n$R/s-0000000000\n$R/s-0000000001\n";
    assert!(normalized.starts_with(expected_head), "got:\n{normalized}");
    assert!(
        normalized.contains("ephemeralOwner = <session>\ndataLength = 1\n"),
        "got:\n{normalized}"
    );
    let text = run(&mut shell, &captured, &root, "deleteall $R\nls $R").await;
    assert_eq!(text, "Node does not exist: $R\n");
    shell.disconnect();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_ttl_and_container_nodes() {
    let Some(server) = server("cli_ttl_and_container_nodes") else {
        return;
    };
    let root = unique_root("ttl");
    let _cleanup = cli_support::Cleanup {
        server: server.clone(),
        root: root.clone(),
    };
    let (mut shell, captured) = shell(&server).await;
    let text = run(
        &mut shell,
        &captured,
        &root,
        "create -t 60000 $R t\ncreate -c $R/cont\n\
        create -t 60000 -s $R/ts- v\ncreate -e -t 100 $R/bad\nget $R\ndeleteall $R",
    )
    .await;
    let expected = "Created $R\nCreated $R/cont\nCreated $R/ts-0000000001\n";
    assert!(text.starts_with(expected), "got:\n{text}");
    assert!(text.ends_with("t\n"), "got:\n{text}");
    shell.disconnect();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_acls_auth_and_whoami() {
    let Some(server) = server("cli_acls_auth_and_whoami") else {
        return;
    };
    let root = unique_root("acl");
    let _cleanup = cli_support::Cleanup {
        server: server.clone(),
        root: root.clone(),
    };
    let (mut shell, captured) = shell(&server).await;
    let text = run(&mut shell, &captured, &root, "create $R\ncreate $R/r x\ngetAcl $R/r\n\
        setAcl $R/r world:anyone:r\ngetAcl -s $R/r\nset $R/r y\nsetAcl $R/r auth::cdrwa\nsetAcl $R/r foo\n\
        whoami").await;
    let expected = "Created $R\nCreated $R/r\n'world,'anyone\n: cdrwa\n'world,'anyone\n: r\n\
        cZxid = *\nctime = *\nmZxid = *\nmtime = *\npZxid = *\ncversion = 0\ndataVersion = 0\n\
        aclVersion = 1\nephemeralOwner = 0x0\ndataLength = 1\nnumChildren = 0\n\
        Insufficient permission : $R/r\nAcl is not valid : $R/r\n\
        foo does not have the form scheme:id:perm\nAcl is not valid : null\n\
        Auth scheme: User\nip: <client address>\n";
    assert_eq!(normalize(&text), expected);

    let (mut alice, alice_captured) = cli_support::shell(&server).await;
    let text = run(
        &mut alice,
        &alice_captured,
        &root,
        "addauth digest alice:secret\n\
        create $R/q x auth::cdrwa\nwhoami\ngetAcl $R/q\nget $R/q",
    )
    .await;
    // The server decides the order of the identities.
    let text = normalize(&text).replace(
        "ip: <client address>\ndigest: alice\n",
        "digest: alice\nip: <client address>\n",
    );
    assert_eq!(
        text,
        "Created $R/q\nAuth scheme: User\ndigest: alice\nip: <client address>\n\
        'digest,'alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=\n: cdrwa\nx\n"
    );
    // Without alice's credentials the node is unreadable; getAcl needs READ or ADMIN too.
    let text = run(&mut shell, &captured, &root, "get $R/q\ngetAcl $R/q").await;
    assert_eq!(
        text,
        "Insufficient permission : $R/q\nInsufficient permission : $R/q\n"
    );
    let text = run(&mut alice, &alice_captured, &root, "deleteall $R\nls $R").await;
    assert_eq!(text, "Node does not exist: $R\n");
    alice.disconnect();
    shell.disconnect();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_watches_print_events() {
    let Some(server) = server("cli_watches_print_events") else {
        return;
    };
    let root = unique_root("watch");
    let _cleanup = cli_support::Cleanup {
        server: server.clone(),
        root: root.clone(),
    };
    let (mut shell, captured) = shell(&server).await;
    run(&mut shell, &captured, &root, "create $R a\nget -w $R").await;
    let text = run(&mut shell, &captured, &root, "set $R b").await;
    let text = wait_for(&captured, &root, text, "NodeDataChanged").await;
    assert_eq!(
        text,
        "\nWATCHER::\n\nWatchedEvent state:SyncConnected type:NodeDataChanged path:$R\n"
    );
    // Apache ZooKeeper 3.8 drops the child event when the same session also has a persistent
    // recursive watch on that very path (ZOOKEEPER-4466), so the two watches sit on
    // different znodes here.
    run(
        &mut shell,
        &captured,
        &root,
        "create $R/tree\nls -w $R\nstat -w $R/later\n\
        addWatch -m PERSISTENT_RECURSIVE $R/tree",
    )
    .await;
    let text = run(&mut shell, &captured, &root, "create $R/later").await;
    let text = wait_for(&captured, &root, text, "type:NodeChildrenChanged").await;
    let text = wait_for(&captured, &root, text, "type:NodeCreated").await;
    assert_eq!(
        text.matches("type:NodeCreated path:$R/later\n").count(),
        1,
        "got:\n{text}"
    );
    assert_eq!(
        text.matches("type:NodeChildrenChanged path:$R\n").count(),
        1,
        "got:\n{text}"
    );
    let text = run(&mut shell, &captured, &root, "create $R/tree/x").await;
    let text = wait_for(&captured, &root, text, "type:NodeCreated").await;
    // The event may be printed before or after the reply.
    let event = "\nWATCHER::\n\nWatchedEvent state:SyncConnected type:NodeCreated path:$R/tree/x\n";
    assert_eq!(
        text.replace(event, ""),
        "Created $R/tree/x\n",
        "got:\n{text}"
    );
    assert_eq!(text.matches(event).count(), 1, "got:\n{text}");
    let text = run(&mut shell, &captured, &root, "deleteall $R").await;
    let text = wait_for(&captured, &root, text, "type:NodeDeleted path:$R/tree\n").await;
    assert!(
        text.contains("type:NodeDeleted path:$R/tree/x\n"),
        "got:\n{text}"
    );
    shell.disconnect();
}
