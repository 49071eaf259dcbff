//! Four-letter words rendered from a snapshot holding the values Apache ZooKeeper 3.8.0 showed in
//! the golden captures must equal the captured bytes (zookeeper-protocol.md §13.1).

use std::net::SocketAddr;
use std::path::PathBuf;

use zoorepl_core::ids::{SessionId, Zxid};
use zoorepl_io::fourlw::{
    is_allowed, refusal, render, ConfValues, ConnectionInfo, FourLetter, Latency, ServerMode,
    ServerSnapshot, SessionDetails, SessionExpiry, WatchSummary, Whitelist,
};
use zoorepl_io::server::{ServerStats, StartupFigures};

/// Raw replies of Apache ZooKeeper 3.8.0 (`<name>` → bytes), copied from branch `golden`,
/// `core/tests/golden/4lw/<name>.txt` at commit 47aa4bf.
const CAPTURES: &[(&str, &str)] = &[
    ("ruok", "imok"),
    ("isro", "rw"),
    ("gtmk", "306"),
    ("srvr", "Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\nLatency min/avg/max: 2/10.6/36\nReceived: 12\nSent: 11\nConnections: 2\nOutstanding: 0\nZxid: 0x3\nMode: standalone\nNode count: 7\n"),
    ("stat", "Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\nClients:\n /127.0.0.1:57066[0](queued=0,recved=1,sent=0)\n /127.0.0.1:57034[1](queued=0,recved=5,sent=5)\n\nLatency min/avg/max: 2/10.6/36\nReceived: 13\nSent: 12\nConnections: 2\nOutstanding: 0\nZxid: 0x3\nMode: standalone\nNode count: 7\n"),
    ("cons", " /127.0.0.1:57034[1](queued=0,recved=5,sent=5,sid=0x100001b45590000,lop=GETC,est=1795327360035,to=30000,lcxid=0x4,lzxid=0x3,lresp=1788610,llat=2,minlat=0,avglat=10,maxlat=36)\n /127.0.0.1:57106[0](queued=0,recved=1,sent=0)\n\n"),
    ("conf", "clientPort=22181\nsecureClientPort=-1\ndataDir=/tmp/zkgold/data/version-2\ndataDirSize=67109337\ndataLogDir=/tmp/zkgold/data/version-2\ndataLogSize=67109337\ntickTime=2000\nmaxClientCnxns=60\nminSessionTimeout=4000\nmaxSessionTimeout=40000\nclientPortListenBacklog=-1\nserverId=0\n"),
    ("dirs", "datadir_size: 67109337\nlogdir_size: 67109337\n"),
    ("envi", "Environment:\nzookeeper.version=3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\nhost.name=localhost\njava.version=17.0.15\njava.vendor=Debian\njava.home=/usr/lib/jvm/java-17-openjdk-amd64\njava.class.path=/etc/zookeeper/conf:/usr/share/java/zookeeper.jar\njava.library.path=/usr/java/packages/lib:/usr/lib/x86_64-linux-gnu/jni:/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:/usr/lib/jni:/lib:/usr/lib\njava.io.tmpdir=/tmp\njava.compiler=<NA>\nos.name=Linux\nos.arch=amd64\nos.version=6.18.44-fc-v769\nuser.name=root\nuser.home=/root\nuser.dir=/work/wt/golden\nos.memory.free=369MB\nos.memory.max=6028MB\nos.memory.total=388MB\n"),
    ("wchs", "1 connections watching 1 paths\nTotal watches:1\n"),
    ("wchc", "0x100001b45590000\n\t/4lw\n\n"),
    ("wchp", "/4lw\n\t0x100001b45590000\n\n"),
    ("dump", "SessionTracker dump:\nSession Sets (1)/(1):\n1 expire at Sun Nov 22 06:03:11 UTC 2026:\n\t0x100001b45590000\nephemeral nodes dump:\nSessions with Ephemerals (1):\n0x100001b45590000:\n\t/4lw/e\nConnections dump:\nConnections Sets (2)/(2):\n1 expire at Sun Nov 22 06:02:51 UTC 2026:\n\tip: /127.0.0.1:57150 sessionId: 0x0\n1 expire at Sun Nov 22 06:03:11 UTC 2026:\n\tip: /127.0.0.1:57034 sessionId: 0x100001b45590000\n"),
    ("not_whitelisted_ruok", "ruok is not executed because it is not in the whitelist.\n"),
    ("not_whitelisted_stat", "stat is not executed because it is not in the whitelist.\n"),
];

/// The first 25 lines of `mntr.txt` (of 495): every key zoorepl reports is among them.
const MNTR_HEAD: &str = "zk_version\t3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\nzk_server_state\tstandalone\nzk_ephemerals_count\t1\nzk_num_alive_connections\t2\nzk_avg_latency\t10.6\nzk_outstanding_requests\t0\nzk_znode_count\t7\nzk_global_sessions\t1\nzk_non_mtls_remote_conn_count\t0\nzk_last_client_response_size\t25\nzk_packets_sent\t13\nzk_packets_received\t14\nzk_max_client_response_size\t92\nzk_connection_drop_probability\t0.0\nzk_watch_count\t2\nzk_auth_failed_count\t0\nzk_min_latency\t2\nzk_max_file_descriptor_count\t20000\nzk_approximate_data_size\t58\nzk_open_file_descriptor_count\t40\nzk_local_sessions\t0\nzk_uptime\t2153\nzk_max_latency\t36\nzk_outstanding_tls_handshake\t0\nzk_min_client_response_size\t24\n";

const VERSION_3_8_0: &str = "3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC";
const SESSION: SessionId = SessionId(0x0100_001b_4559_0000);

fn capture(name: &str) -> &'static str {
    CAPTURES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
        .expect("capture embedded")
}

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("socket address")
}

/// A connection without a session (the four-letter-word connection itself).
fn bare_connection(remote: &str, expires_at_ms: i64) -> ConnectionInfo {
    ConnectionInfo {
        remote: addr(remote),
        interest_ops: 0,
        queued: 0,
        received: 1,
        sent: 0,
        session: None,
        expires_at_ms,
    }
}

/// The kazoo connection of the capture, with its session.
fn kazoo_connection() -> ConnectionInfo {
    ConnectionInfo {
        remote: addr("127.0.0.1:57034"),
        interest_ops: 1,
        queued: 0,
        received: 5,
        sent: 5,
        session: Some(SessionDetails {
            session_id: SESSION,
            last_op: "GETC".into(),
            established_ms: 1_795_327_360_035,
            timeout_ms: 30000,
            last_cxid: 4,
            last_zxid: Zxid::new(0, 3),
            last_response_ms: 1_788_610,
            last_latency_ms: 2,
            min_latency_ms: 0,
            avg_latency_ms: 10,
            max_latency_ms: 36,
        }),
        expires_at_ms: 1_795_327_391_000,
    }
}

/// The server state the captures show (one kazoo session with `/4lw`, the ephemeral `/4lw/e`,
/// and a data plus a child watch on `/4lw`).
fn captured_state() -> ServerSnapshot {
    let conf = ConfValues {
        client_port: 22181,
        data_dir: "/tmp/zkgold/data/version-2".into(),
        data_log_dir: "/tmp/zkgold/data/version-2".into(),
        ..ConfValues::default()
    };
    ServerSnapshot {
        version: VERSION_3_8_0.into(),
        serving: true,
        mode: ServerMode::Standalone,
        // 53 ms over 5 requests: 10.6.
        latency: Latency {
            min_ms: 2,
            max_ms: 36,
            total_ms: 53,
            count: 5,
        },
        packets_received: 12,
        packets_sent: 11,
        num_alive_connections: 2,
        outstanding_requests: 0,
        last_zxid: Zxid::new(0, 3),
        node_count: 7,
        watch_count: 2,
        data_watches: WatchSummary {
            connections: 1,
            paths: 1,
            total: 1,
        },
        watches_by_session: vec![(SESSION, vec!["/4lw".into()])],
        watches_by_path: vec![("/4lw".into(), vec![SESSION])],
        ephemerals: vec![(SESSION, vec!["/4lw/e".into()])],
        ephemerals_count: 1,
        sessions: vec![SessionExpiry {
            session_id: SESSION,
            expires_at_ms: 1_795_327_391_000,
        }],
        global_sessions: 1,
        conf,
        uptime_ms: 2153,
        approximate_data_size: 58,
        open_file_descriptors: 40,
        max_file_descriptors: 20000,
        data_dir_size: 67_109_337,
        log_dir_size: 67_109_337,
        client_response_size: (25, 24, 92),
        trace_mask: 306,
        ..ServerSnapshot::default()
    }
}

/// Shows the first differing line, with tabs and line ends visible.
fn assert_same_text(cmd: &str, got: &str, want: &str) {
    if got == want {
        return;
    }
    let got_lines: Vec<_> = got.split_inclusive('\n').collect();
    let want_lines: Vec<_> = want.split_inclusive('\n').collect();
    for (i, (g, w)) in got_lines.iter().zip(&want_lines).enumerate() {
        assert_eq!(g, w, "{cmd}: line {} differs", i + 1);
    }
    panic!(
        "{cmd}: {} lines rendered, {} captured\ngot:  {got:?}\nwant: {want:?}",
        got_lines.len(),
        want_lines.len()
    );
}

fn check(cmd: FourLetter, s: &ServerSnapshot, capture_name: &str) {
    assert_same_text(capture_name, &render(cmd, s), capture(capture_name));
}

#[test]
fn fixed_replies_match_java() {
    let s = captured_state();
    check(FourLetter::Ruok, &s, "ruok");
    check(FourLetter::Isro, &s, "isro");
    check(FourLetter::Gtmk, &s, "gtmk");
}

#[test]
fn srvr_and_stat_match_java() {
    let mut s = captured_state();
    check(FourLetter::Srvr, &s, "srvr");
    // stat came one request later, from a new connection listed first.
    s.packets_received = 13;
    s.packets_sent = 12;
    s.connections = vec![bare_connection("127.0.0.1:57066", 0), kazoo_connection()];
    check(FourLetter::Stat, &s, "stat");
}

#[test]
fn cons_matches_java() {
    let mut s = captured_state();
    s.connections = vec![kazoo_connection(), bare_connection("127.0.0.1:57106", 0)];
    check(FourLetter::Cons, &s, "cons");
}

#[test]
fn conf_dirs_and_envi_match_java() {
    let mut s = captured_state();
    check(FourLetter::Conf, &s, "conf");
    check(FourLetter::Dirs, &s, "dirs");
    let envi = capture("envi");
    s.environment = envi
        .lines()
        .skip(1)
        .map(|line| {
            let (k, v) = line.split_once('=').expect("key=value");
            (k.to_owned(), v.to_owned())
        })
        .collect();
    check(FourLetter::Envi, &s, "envi");
}

#[test]
fn watch_commands_match_java() {
    let s = captured_state();
    check(FourLetter::Wchs, &s, "wchs");
    check(FourLetter::Wchc, &s, "wchc");
    check(FourLetter::Wchp, &s, "wchp");
}

#[test]
fn dump_matches_java() {
    let mut s = captured_state();
    // Expiry times carry milliseconds; Java's Date.toString drops them.
    s.sessions[0].expires_at_ms += 999;
    s.connections = vec![
        kazoo_connection(),
        bare_connection("127.0.0.1:57150", 1_795_327_371_000),
    ];
    check(FourLetter::Dump, &s, "dump");
}

#[test]
fn mntr_matches_the_captured_lines_for_every_key_we_report() {
    let mut s = captured_state();
    // mntr came after srvr and stat.
    s.packets_received = 14;
    s.packets_sent = 13;
    let got = render(FourLetter::Mntr, &s);
    let got_lines: Vec<&str> = got.lines().collect();
    let keys: Vec<&str> = got_lines
        .iter()
        .map(|l| l.split_once('\t').expect("zk_key<TAB>value").0)
        .collect();
    // Java's lines for the same keys, in Java's order, must be exactly ours.
    let java: Vec<&str> = MNTR_HEAD
        .lines()
        .filter(|l| keys.contains(&l.split_once('\t').expect("tab").0))
        .collect();
    assert_eq!(got_lines, java);
    assert!(got.ends_with('\n'));
    let required = [
        "zk_version",
        "zk_server_state",
        "zk_avg_latency",
        "zk_max_latency",
        "zk_min_latency",
        "zk_packets_received",
        "zk_packets_sent",
        "zk_num_alive_connections",
        "zk_outstanding_requests",
        "zk_znode_count",
        "zk_watch_count",
        "zk_ephemerals_count",
        "zk_approximate_data_size",
        "zk_open_file_descriptor_count",
        "zk_max_file_descriptor_count",
        "zk_uptime",
        "zk_global_sessions",
        "zk_local_sessions",
    ];
    for key in required {
        assert!(keys.contains(&key), "mntr lacks {key}");
    }
}

#[test]
fn refusal_matches_java() {
    let default = Whitelist::default();
    for (cmd, name) in [
        (FourLetter::Ruok, "not_whitelisted_ruok"),
        (FourLetter::Stat, "not_whitelisted_stat"),
    ] {
        assert!(!is_allowed(cmd, &default));
        assert_same_text(name, &refusal(cmd), capture(name));
    }
}

#[test]
fn unknown_words_are_frame_lengths() {
    // The capture of `xxxx` is empty: Java read it as a frame length and closed.
    assert_eq!(FourLetter::parse(*b"xxxx"), None);
    assert_eq!(
        FourLetter::parse(*b"RUOK"),
        None,
        "case-sensitive, as Java's int compare"
    );
    assert_eq!(FourLetter::parse(*b"ruok"), Some(FourLetter::Ruok));
}

/// After branch `golden` is merged, the embedded copies must equal the files in the tree.
#[test]
fn embedded_copies_equal_the_golden_files_when_present() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../core/tests/golden/4lw");
    if !dir.is_dir() {
        eprintln!(
            "{} absent (branch golden not merged); skipped",
            dir.display()
        );
        return;
    }
    for (name, text) in CAPTURES {
        let file = std::fs::read_to_string(dir.join(format!("{name}.txt"))).expect("capture file");
        assert_eq!(&file, text, "{name}.txt changed; recopy it");
    }
    let mntr = std::fs::read_to_string(dir.join("mntr.txt")).expect("mntr.txt");
    assert!(
        mntr.starts_with(MNTR_HEAD),
        "mntr.txt changed; recopy its head"
    );
}

/// Every key our `mntr` prints is one of Java's, in Java's order (the full 3.8.0 capture).
#[test]
fn mntr_keys_follow_the_order_of_the_full_capture() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../core/tests/golden/4lw/mntr.txt");
    let Ok(java) = std::fs::read_to_string(&path) else {
        eprintln!("{} absent; skipped", path.display());
        return;
    };
    let java_keys: Vec<&str> = java
        .lines()
        .map(|l| l.split_once('\t').expect("tab").0)
        .collect();
    let stats = ServerStats::new(StartupFigures::default());
    let mut s = captured_state();
    s.counters = stats.counters();
    s.summaries = stats.summaries();
    let ours = render(FourLetter::Mntr, &s);
    let positions: Vec<usize> = ours
        .lines()
        .map(|l| {
            let key = l.split_once('\t').expect("tab").0;
            java_keys
                .iter()
                .position(|k| *k == key)
                .unwrap_or_else(|| panic!("{key} is not a Java key"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "keys out of Java's order: {ours}"
    );
    assert!(ours.contains("zk_p999_readlatency\t0\n"));
}
