//! Four-letter word cases the golden captures do not show (zookeeper-protocol.md §13.1), and the
//! Prometheus text exposition format.

use std::collections::BTreeMap;

use zoorepl_core::ids::{SessionId, Zxid};
use zoorepl_io::config::ServerConfig;
use zoorepl_io::fourlw::{
    is_allowed, process_environment, refusal, render, render_metrics, ConnectionInfo, FourLetter,
    Latency, ServerMode, ServerSnapshot, SessionDetails, SessionExpiry, Whitelist, NOT_SERVING,
    VERSION,
};

fn serving() -> ServerSnapshot {
    ServerSnapshot {
        version: VERSION.into(),
        serving: true,
        ..ServerSnapshot::default()
    }
}

fn connection(remote: &str, session: Option<SessionDetails>, expires_at_ms: i64) -> ConnectionInfo {
    ConnectionInfo {
        remote: remote.parse().expect("socket address"),
        interest_ops: 5,
        queued: 1,
        received: 2,
        sent: 3,
        session,
        expires_at_ms,
    }
}

#[test]
fn commands_print_java_not_serving_replies() {
    let s = ServerSnapshot::default();
    for cmd in FourLetter::ALL {
        let got = render(cmd, &s);
        let want = match cmd {
            FourLetter::Ruok => "imok".to_owned(),
            FourLetter::Envi => "Environment:\n".to_owned(),
            FourLetter::Gtmk | FourLetter::Stmk => "0".to_owned(),
            FourLetter::Isro => "null".to_owned(),
            FourLetter::Hash => NOT_SERVING.to_owned(),
            FourLetter::TelnetClose => String::new(),
            _ => format!("{NOT_SERVING}\n"),
        };
        assert_eq!(got, want, "{cmd:?}");
    }
}

#[test]
fn read_only_mode_shows_in_srvr_and_isro() {
    let mut s = serving();
    assert_eq!(render(FourLetter::Isro, &s), "rw");
    s.mode = ServerMode::ReadOnly;
    assert_eq!(render(FourLetter::Isro, &s), "ro");
    let srvr = render(FourLetter::Srvr, &s);
    let lines: Vec<&str> = srvr.lines().collect();
    assert_eq!(lines[1], "READ-ONLY mode; serving only read-only clients");
    assert_eq!(lines[0], format!("Zookeeper version: {VERSION}"));
    assert!(lines.contains(&"Mode: read-only"), "{srvr}");
    assert!(lines.contains(&"Latency min/avg/max: 0/0.0/0"), "{srvr}");
}

#[test]
fn cons_omits_negative_cxid_and_sessionless_details() {
    let mut s = serving();
    let details = SessionDetails {
        session_id: SessionId(0x1234),
        last_op: "NA".into(),
        established_ms: 7,
        timeout_ms: 4000,
        last_cxid: -1,
        last_zxid: Zxid::new(1, 0x10),
        last_response_ms: 9,
        last_latency_ms: 1,
        min_latency_ms: 1,
        avg_latency_ms: 1,
        max_latency_ms: 1,
    };
    let zero = SessionDetails {
        session_id: SessionId(0),
        ..details.clone()
    };
    s.connections = vec![
        connection("[::1]:40000", Some(details), 0),
        connection("10.0.0.2:1", Some(zero), 0),
    ];
    let want = " /[0:0:0:0:0:0:0:1]:40000[5](queued=1,recved=2,sent=3,sid=0x1234,lop=NA,est=7,\
                to=4000,lzxid=0x100000010,lresp=9,llat=1,minlat=1,avglat=1,maxlat=1)\n \
                /10.0.0.2:1[5](queued=1,recved=2,sent=3)\n\n";
    assert_eq!(render(FourLetter::Cons, &s), want);
}

#[test]
fn dump_groups_expiry_by_time_in_ascending_order() {
    let mut s = serving();
    let at = |sec: i64| 1_795_327_391_000 + sec * 1000;
    s.sessions = vec![
        SessionExpiry {
            session_id: SessionId(3),
            expires_at_ms: at(2),
        },
        SessionExpiry {
            session_id: SessionId(1),
            expires_at_ms: at(0),
        },
        SessionExpiry {
            session_id: SessionId(2),
            expires_at_ms: at(2),
        },
    ];
    let got = render(FourLetter::Dump, &s);
    let want = "SessionTracker dump:\nSession Sets (2)/(3):\n\
                1 expire at Sun Nov 22 06:03:11 UTC 2026:\n\t0x1\n\
                2 expire at Sun Nov 22 06:03:13 UTC 2026:\n\t0x3\n\t0x2\n\
                ephemeral nodes dump:\nSessions with Ephemerals (0):\n\
                Connections dump:\nConnections Sets (0)/(0):\n";
    assert_eq!(got, want);
}

#[test]
fn small_commands_match_java_sources() {
    let mut s = serving();
    s.digests = vec![(Zxid::new(0, 0x1f), 12345), (Zxid::new(2, 1), -7)];
    assert_eq!(render(FourLetter::Hash, &s), "1f: 12345\n200000001: -7\n");
    assert_eq!(render(FourLetter::Crst, &s), "Connection stats reset.\n");
    assert_eq!(render(FourLetter::Srst, &s), "Server stats reset.\n");
    s.trace_mask = 0x1f2;
    assert_eq!(render(FourLetter::Stmk, &s), "498");
    assert_eq!(render(FourLetter::TelnetClose, &s), "");
    assert_eq!(
        render(FourLetter::Wchs, &s),
        "0 connections watching 0 paths\nTotal watches:0\n"
    );
    assert_eq!(render(FourLetter::Wchc, &s), "\n");
}

#[test]
fn every_known_word_parses_and_the_whitelist_covers_it() {
    for cmd in FourLetter::ALL {
        let bytes: [u8; 4] = if cmd == FourLetter::TelnetClose {
            [0xff, 0xf4, 0xff, 0xfd]
        } else {
            cmd.name().as_bytes().try_into().expect("four letters")
        };
        assert_eq!(FourLetter::parse(bytes), Some(cmd));
        assert!(is_allowed(cmd, &Whitelist::All));
    }
    assert_eq!(FourLetter::parse([0, 0, 0, 44]), None, "a frame length");
    for cmd in FourLetter::ALL {
        let want = if cmd == FourLetter::Stmk { 8 } else { 0 };
        assert_eq!(cmd.argument_len(), want, "{cmd:?}");
    }
    assert_eq!(
        refusal(FourLetter::TelnetClose),
        "telnet close is not executed because it is not in the whitelist.\n"
    );
}

#[test]
fn envi_lists_process_entries_in_java_key_order() {
    let mut s = serving();
    s.environment = process_environment();
    let got = render(FourLetter::Envi, &s);
    let keys: Vec<&str> = got
        .lines()
        .skip(1)
        .map(|l| l.split_once('=').expect("key=value").0)
        .collect();
    assert_eq!(
        keys,
        [
            "zookeeper.version",
            "host.name",
            "os.name",
            "os.arch",
            "os.version",
            "user.name",
            "user.home",
            "user.dir"
        ]
    );
    assert!(got.starts_with(&format!("Environment:\nzookeeper.version={VERSION}\n")));
}

#[test]
fn conf_from_a_parsed_config() {
    let (config, _) =
        ServerConfig::parse("dataDir=/var/zk\nclientPort=2181\ntickTime=1000\n").expect("valid");
    let mut s = serving();
    s.conf = config.conf_values();
    s.data_dir_size = 10;
    s.log_dir_size = 20;
    let want = "clientPort=2181\nsecureClientPort=-1\ndataDir=/var/zk\ndataDirSize=10\n\
                dataLogDir=/var/zk\ndataLogSize=20\ntickTime=1000\nmaxClientCnxns=60\n\
                minSessionTimeout=2000\nmaxSessionTimeout=20000\nclientPortListenBacklog=-1\n\
                serverId=0\n";
    assert_eq!(render(FourLetter::Conf, &s), want);
}

#[test]
fn mntr_prints_java_doubles_and_integers() {
    let mut s = serving();
    s.latency = Latency {
        min_ms: 1,
        max_ms: 9,
        total_ms: 10,
        count: 3,
    };
    let got = render(FourLetter::Mntr, &s);
    assert!(got.contains("\nzk_avg_latency\t3.3333\n"), "{got}");
    assert!(got.contains("\nzk_min_latency\t1\n"), "{got}");
    assert!(
        got.contains("\nzk_connection_drop_probability\t0.0\n"),
        "{got}"
    );
    s.latency = Latency::default();
    assert!(render(FourLetter::Mntr, &s).contains("\nzk_avg_latency\t0.0\n"));
}

/// Checks the text exposition format 0.0.4: comment lines, TYPE before a family's samples and
/// only once, sample syntax, float values, no duplicate series. Returns series → value.
fn parse_exposition(text: &str) -> Result<BTreeMap<String, f64>, String> {
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    let mut samples = BTreeMap::new();
    if !text.ends_with('\n') {
        return Err("no final newline".into());
    }
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let (kind, name, arg) = (parts.next(), parts.next(), parts.next());
            let (Some(kind), Some(name), Some(arg)) = (kind, name, arg) else {
                return Err(format!("short comment: {line}"));
            };
            check_name(name)?;
            if kind == "TYPE" {
                let known = ["counter", "gauge", "summary", "histogram", "untyped"];
                if !known.contains(&arg) {
                    return Err(format!("bad type: {line}"));
                }
                if types.insert(name.to_owned(), arg.to_owned()).is_some() {
                    return Err(format!("TYPE twice: {line}"));
                }
                if samples
                    .keys()
                    .any(|s: &String| family_of(s, &types) == name)
                {
                    return Err(format!("TYPE after samples: {line}"));
                }
            } else if kind != "HELP" {
                return Err(format!("unknown comment: {line}"));
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').ok_or(format!("no value: {line}"))?;
        let value: f64 = value.parse().map_err(|_| format!("bad value: {line}"))?;
        let name = series.split('{').next().expect("split has a first part");
        check_name(name)?;
        if let Some(labels) = series.strip_prefix(name).filter(|l| !l.is_empty()) {
            check_labels(labels)?;
        }
        if !types.contains_key(family_of(series, &types)) {
            return Err(format!("sample before its TYPE: {line}"));
        }
        if samples.insert(series.to_owned(), value).is_some() {
            return Err(format!("duplicate series: {line}"));
        }
    }
    Ok(samples)
}

fn family_of<'a>(series: &'a str, types: &BTreeMap<String, String>) -> &'a str {
    let name = series.split('{').next().expect("first part");
    for suffix in ["_sum", "_count", "_bucket"] {
        if let Some(base) = name.strip_suffix(suffix) {
            if types
                .get(base)
                .is_some_and(|t| t == "summary" || t == "histogram")
            {
                return base;
            }
        }
    }
    name
}

fn check_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':');
    if first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
        Ok(())
    } else {
        Err(format!("bad metric name {name:?}"))
    }
}

fn check_labels(labels: &str) -> Result<(), String> {
    let inner = labels
        .strip_prefix('{')
        .and_then(|l| l.strip_suffix('}'))
        .ok_or(format!("bad label block {labels}"))?;
    let mut rest = inner;
    while !rest.is_empty() {
        let (key, after) = rest.split_once("=\"").ok_or(format!("bad label {rest}"))?;
        check_name(key)?;
        // Find the closing quote that is not escaped.
        let mut end = None;
        let mut escaped = false;
        for (i, c) in after.char_indices() {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => {
                    end = Some(i);
                    break;
                }
                (false, '\n') => return Err("raw newline in label".into()),
                _ => {}
            }
        }
        let end = end.ok_or(format!("unterminated label value in {labels}"))?;
        rest = &after[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
    Ok(())
}

#[test]
fn metrics_text_is_valid_exposition_format_with_java_names() {
    let mut s = serving();
    s.version = "3.8.0 \"quoted\" \\ back\nslash".into();
    s.node_count = 7;
    s.packets_received = 14;
    s.latency = Latency {
        min_ms: 2,
        max_ms: 36,
        total_ms: 53,
        count: 5,
    };
    let text = render_metrics(&s);
    let samples = parse_exposition(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(samples["znode_count"], 7.0);
    assert_eq!(samples["packets_received"], 14.0);
    assert_eq!(samples["avg_latency"], 10.6);
    assert_eq!(samples["request_latency_ms_sum"], 53.0);
    assert_eq!(samples["request_latency_ms_count"], 5.0);
    for name in [
        "num_alive_connections",
        "outstanding_requests",
        "packets_sent",
        "watch_count",
        "ephemerals_count",
        "approximate_data_size",
        "global_sessions",
        "local_sessions",
        "min_latency",
        "max_latency",
        "uptime",
    ] {
        assert!(samples.contains_key(name), "missing {name}");
    }
    let info = samples
        .keys()
        .find(|k| k.starts_with("server_info{"))
        .expect("server_info");
    assert!(
        info.contains(r#"version="3.8.0 \"quoted\" \\ back\nslash""#),
        "{info}"
    );
    assert!(info.contains(r#"state="standalone""#), "{info}");
}

#[test]
fn exposition_checker_rejects_broken_text() {
    let bad = [
        "znode_count 1\n",                       // no TYPE
        "# TYPE a gauge\na 1\n# TYPE a gauge\n", // TYPE twice
        "# TYPE a gauge\na one\n",               // bad value
        "# TYPE a gauge\na{x=\"1} 1\n",          // unterminated label
        "# TYPE a gauge\na 1\na 2\n",            // duplicate series
        "# TYPE a gauge\na 1",                   // no final newline
        "# TYPE 1a gauge\n",                     // bad name
    ];
    for text in bad {
        assert!(parse_exposition(text).is_err(), "accepted {text:?}");
    }
    assert!(parse_exposition("# HELP a x y\n# TYPE a gauge\na{b=\"c\"} 1.5\n").is_ok());
}
