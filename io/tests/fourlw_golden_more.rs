//! More Java 3.8.0 replies, captured by hand for cases the branch-`golden` captures lack: an IPv6
//! client, two sessions watching one path, expiry sets with several members, `tickTime` left to
//! its default, statistics after `srst`, `stmk` and the telnet close bytes.
//!
//! Captured from Debian's `zookeeper` 3.8.0 (`ZooKeeperServerMain`, OpenJDK 17) with
//! `dataDir=/tmp/cfgcheck/data`, `clientPort=26181`, `4lw.commands.whitelist=*`,
//! `admin.enableServer=false` and no `tickTime`; kazoo session 0x1000029c2ef0000 over `[::1]`
//! created `/a` and the ephemeral `/a/e`, session 0x1000029c2ef0001 over 127.0.0.1 created the
//! ephemeral `/b/e2`, both set a data watch on `/a`; the words were sent over `[::1]`.

use zoorepl_core::ids::{SessionId, Zxid};
use zoorepl_io::config::ServerConfig;
use zoorepl_io::fourlw::{
    render, ConnectionInfo, FourLetter, ServerSnapshot, SessionDetails, SessionExpiry, WatchSummary,
};

const CONS: &str = " /127.0.0.1:41228[1](queued=0,recved=7,sent=7,sid=0x1000029c2ef0001,lop=GETD,est=1795328322681,to=10000,lcxid=0x6,lzxid=0x7,lresp=2751200,llat=0,minlat=0,avglat=1,maxlat=4)\n /[0:0:0:0:0:0:0:1]:59884[0](queued=0,recved=1,sent=0)\n /[0:0:0:0:0:0:0:1]:59864[1](queued=0,recved=4,sent=4,sid=0x1000029c2ef0000,lop=GETD,est=1795328322659,to=10000,lcxid=0x3,lzxid=0x7,lresp=2751199,llat=2,minlat=0,avglat=6,maxlat=13)\n\n";
const WCHP: &str = "/a\n\t0x1000029c2ef0000\n\t0x1000029c2ef0001\n\n";
const WCHC: &str = "0x1000029c2ef0001\n\t/a\n0x1000029c2ef0000\n\t/a\n\n";
const WCHS: &str = "2 connections watching 1 paths\nTotal watches:2\n";
const DUMP: &str = "SessionTracker dump:\nSession Sets (1)/(2):\n2 expire at Sun Nov 22 06:18:54 UTC 2026:\n\t0x1000029c2ef0001\n\t0x1000029c2ef0000\nephemeral nodes dump:\nSessions with Ephemerals (2):\n0x1000029c2ef0000:\n\t/a/e\n0x1000029c2ef0001:\n\t/b/e2\nConnections dump:\nConnections Sets (1)/(3):\n3 expire at Sun Nov 22 06:19:01 UTC 2026:\n\tip: /127.0.0.1:41228 sessionId: 0x1000029c2ef0001\n\tip: /[0:0:0:0:0:0:0:1]:59864 sessionId: 0x1000029c2ef0000\n\tip: /[0:0:0:0:0:0:0:1]:59912 sessionId: 0x0\n";
const CONF: &str = "clientPort=26181\nsecureClientPort=-1\ndataDir=/tmp/cfgcheck/data/version-2\ndataDirSize=67109337\ndataLogDir=/tmp/cfgcheck/data/version-2\ndataLogSize=67109337\ntickTime=3000\nmaxClientCnxns=60\nminSessionTimeout=6000\nmaxSessionTimeout=60000\nclientPortListenBacklog=-1\nserverId=0\n";
const SRVR_AFTER_SRST: &str = "Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\nLatency min/avg/max: 0/0.0/0\nReceived: 1\nSent: 1\nConnections: 3\nOutstanding: 0\nZxid: 0x7\nMode: standalone\nNode count: 9\n";

const S0: SessionId = SessionId(0x0100_0029_c2ef_0000);
const S1: SessionId = SessionId(0x0100_0029_c2ef_0001);
const SESSIONS_EXPIRE_MS: i64 = 1_795_328_334_000;
const CONNECTIONS_EXPIRE_MS: i64 = 1_795_328_341_000;

fn session_connection(remote: &str, counts: (u64, u64), details: SessionDetails) -> ConnectionInfo {
    ConnectionInfo {
        remote: remote.parse().expect("socket address"),
        interest_ops: 1,
        queued: 0,
        received: counts.0,
        sent: counts.1,
        session: Some(details),
        expires_at_ms: CONNECTIONS_EXPIRE_MS,
    }
}

fn connections(four_letter_port: u16) -> Vec<ConnectionInfo> {
    let v4 = SessionDetails {
        session_id: S1,
        last_op: "GETD".into(),
        established_ms: 1_795_328_322_681,
        timeout_ms: 10000,
        last_cxid: 6,
        last_zxid: Zxid::new(0, 7),
        last_response_ms: 2_751_200,
        last_latency_ms: 0,
        min_latency_ms: 0,
        avg_latency_ms: 1,
        max_latency_ms: 4,
    };
    let v6 = SessionDetails {
        session_id: S0,
        established_ms: 1_795_328_322_659,
        last_cxid: 3,
        last_response_ms: 2_751_199,
        last_latency_ms: 2,
        avg_latency_ms: 6,
        max_latency_ms: 13,
        ..v4.clone()
    };
    vec![
        session_connection("127.0.0.1:41228", (7, 7), v4),
        ConnectionInfo {
            remote: format!("[::1]:{four_letter_port}").parse().expect("addr"),
            interest_ops: 0,
            queued: 0,
            received: 1,
            sent: 0,
            session: None,
            expires_at_ms: CONNECTIONS_EXPIRE_MS,
        },
        session_connection("[::1]:59864", (4, 4), v6),
    ]
}

fn state() -> ServerSnapshot {
    let (config, _) = ServerConfig::parse(
        "dataDir=/tmp/cfgcheck/data\nclientPort=26181\n4lw.commands.whitelist=*\n\
         admin.enableServer=false\n",
    )
    .expect("the capture's zoo.cfg parses");
    let mut conf = config.conf_values();
    // Java prints its snapshot directory, which is dataDir/version-2.
    conf.data_dir.push_str("/version-2");
    conf.data_log_dir.push_str("/version-2");
    ServerSnapshot {
        version: "3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC".into(),
        serving: true,
        packets_received: 1,
        packets_sent: 1,
        num_alive_connections: 3,
        last_zxid: Zxid::new(0, 7),
        node_count: 9,
        data_watches: WatchSummary {
            connections: 2,
            paths: 1,
            total: 2,
        },
        watches_by_session: vec![(S1, vec!["/a".into()]), (S0, vec!["/a".into()])],
        watches_by_path: vec![("/a".into(), vec![S0, S1])],
        ephemerals: vec![(S0, vec!["/a/e".into()]), (S1, vec!["/b/e2".into()])],
        sessions: vec![
            SessionExpiry {
                session_id: S1,
                expires_at_ms: SESSIONS_EXPIRE_MS,
            },
            SessionExpiry {
                session_id: S0,
                expires_at_ms: SESSIONS_EXPIRE_MS,
            },
        ],
        conf,
        data_dir_size: 67_109_337,
        log_dir_size: 67_109_337,
        ..ServerSnapshot::default()
    }
}

#[test]
fn cons_with_an_ipv6_client_matches_java() {
    let mut s = state();
    s.connections = connections(59884);
    assert_eq!(render(FourLetter::Cons, &s), CONS);
}

#[test]
fn watches_of_two_sessions_match_java() {
    let s = state();
    assert_eq!(render(FourLetter::Wchp, &s), WCHP);
    assert_eq!(render(FourLetter::Wchc, &s), WCHC);
    assert_eq!(render(FourLetter::Wchs, &s), WCHS);
}

#[test]
fn dump_with_shared_expiry_times_matches_java() {
    let mut s = state();
    let mut conns = connections(59912);
    // Java's set iterates in its own order; the shell passes the order to print.
    conns.swap(1, 2);
    s.connections = conns;
    assert_eq!(render(FourLetter::Dump, &s), DUMP);
}

#[test]
fn conf_with_default_tick_matches_java() {
    assert_eq!(render(FourLetter::Conf, &state()), CONF);
}

#[test]
fn reset_and_trace_mask_replies_match_java() {
    let mut s = state();
    assert_eq!(render(FourLetter::Srvr, &s), SRVR_AFTER_SRST);
    assert_eq!(render(FourLetter::Crst, &s), "Connection stats reset.\n");
    assert_eq!(render(FourLetter::Srst, &s), "Server stats reset.\n");
    s.trace_mask = 498; // stmk sent 0x1f2 as 8 big-endian bytes
    assert_eq!(render(FourLetter::Stmk, &s), "498");
    assert_eq!(render(FourLetter::Gtmk, &s), "498");
    assert_eq!(render(FourLetter::TelnetClose, &s), "");
}
