//! The whole shell loop over a piped script, and one-shot exit codes (`ZOOREPL_TEST_SERVER`;
//! skipped when unset).

mod cli_support;

use cli_support::{server, unique_root};
use zoorepl::cli::{run_one_shot, run_shell_with, Command, Console};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_piped_script_runs_to_quit() {
    let Some(server) = server("cli_piped_script_runs_to_quit") else {
        return;
    };
    let root = unique_root("script");
    let _cleanup = cli_support::Cleanup {
        server: server.clone(),
        root: root.clone(),
    };
    let script = format!(
        "# a comment\n\ncreate {root} 'two words'\nget {root}\nget\nbogus\nset {root}\n\
         delete {root}\nquit\ncreate {root}/never\n"
    );
    let (console, captured) = Console::capture();
    run_shell_with(&server, script.as_bytes(), console, false)
        .await
        .expect("shell runs");
    let text = captured.take().replace(&root, "$R");
    let connected = "\nWATCHER::\n\nWatchedEvent state:SyncConnected type:None path:null\n";
    let closed = "\nWATCHER::\n\nWatchedEvent state:Closed type:None path:null\n";
    assert!(
        text.starts_with(&format!("Connecting to {server}\n")),
        "got:\n{text}"
    );
    assert!(text.contains(connected), "got:\n{text}");
    assert!(
        text.contains(
            "Created $R\ntwo words\nget [-s] [-w] path\nZooKeeper -server host:port cmd args\n"
        ),
        "got:\n{text}"
    );
    assert!(
        text.ends_with(&format!(
            "Command not found: Command not found bogus\nset [-s] [-v version] path data\n{closed}"
        )),
        "got:\n{text}"
    );
    assert!(
        !text.contains("never"),
        "lines after quit must not run:\n{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_one_shot_exit_codes() {
    let Some(server) = server("cli_one_shot_exit_codes") else {
        return;
    };
    let root = unique_root("oneshot");
    let _cleanup = cli_support::Cleanup {
        server: server.clone(),
        root: root.clone(),
    };
    let create = Command::Create {
        ephemeral: false,
        sequential: false,
        container: false,
        ttl: None,
        path: root.clone(),
        data: Some("v".into()),
        acl: None,
    };
    assert_eq!(
        run_one_shot(&server, create.clone())
            .await
            .expect("connects"),
        0
    );
    assert_eq!(
        run_one_shot(&server, create).await.expect("connects"),
        1,
        "second create must fail"
    );
    let get = Command::Get {
        stat: false,
        watch: false,
        path: root.clone(),
    };
    assert_eq!(run_one_shot(&server, get).await.expect("connects"), 0);
    let delete = Command::Delete {
        version: None,
        path: root.clone(),
    };
    assert_eq!(
        run_one_shot(&server, delete.clone())
            .await
            .expect("connects"),
        0
    );
    assert_eq!(
        run_one_shot(&server, delete).await.expect("connects"),
        1,
        "second delete must fail"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_connect_failure_is_an_error() {
    // Needs no server: port 1 on loopback refuses connections.
    let get = Command::Get {
        stat: false,
        watch: false,
        path: "/".into(),
    };
    assert!(run_one_shot("127.0.0.1:1", get).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_close_then_connect() {
    let Some(server) = server("cli_close_then_connect") else {
        return;
    };
    let root = unique_root("reconnect");
    let _cleanup = cli_support::Cleanup {
        server: server.clone(),
        root: root.clone(),
    };
    let (mut shell, captured) = cli_support::shell(&server).await;
    let text = cli_support::run(
        &mut shell,
        &captured,
        &root,
        "create -e $R x\nclose\nget $R",
    )
    .await;
    assert_eq!(
        text,
        "Created $R\n\nWATCHER::\n\nWatchedEvent state:Closed type:None path:null\n\
         KeeperErrorCode = ConnectionLoss for $R\n"
    );
    assert!(shell.prompt().contains("(CLOSED)"), "{}", shell.prompt());
    // The ephemeral went with the closed session.
    let text = cli_support::run(
        &mut shell,
        &captured,
        &root,
        &format!("connect {server}\nget $R"),
    )
    .await;
    assert_eq!(
        text,
        "\nWATCHER::\n\nWatchedEvent state:SyncConnected type:None path:null\nNode does not exist: $R\n"
    );
    assert!(shell.prompt().contains("(CONNECTED)"), "{}", shell.prompt());
    shell.disconnect();
}
