//! zoo.cfg parsing (zookeeper-protocol.md §12): values, Java's defaults, errors and warnings.

use std::collections::BTreeSet;
use std::path::PathBuf;

use zoorepl_core::ids::ServerId;
use zoorepl_io::config::{ConfigError, PeerType, ServerConfig};
use zoorepl_io::fourlw::{is_allowed, FourLetter, Whitelist};

fn parse_ok(text: &str) -> (ServerConfig, Vec<String>) {
    let (config, warnings) = ServerConfig::parse(text).expect("valid config");
    (config, warnings.iter().map(ToString::to_string).collect())
}

fn parse_err(text: &str) -> String {
    ServerConfig::parse(text)
        .expect_err("invalid config")
        .to_string()
}

#[test]
fn embedded_defaults_are_the_documented_standalone_values() {
    let c = ServerConfig::embedded_defaults();
    assert_eq!(c.client_bind_address().as_deref(), Some("127.0.0.1:2181"));
    assert_eq!(c.data_dir, PathBuf::from("./zoorepl-data"));
    assert_eq!(c.data_log_dir, c.data_dir);
    assert_eq!(c.tick_ms, 2000);
    assert_eq!(c.max_client_cnxns, 60);
    assert_eq!(c.snap_count, 100_000);
    assert_eq!(c.snap_retain_count, 3);
    assert_eq!(c.purge_interval_hours, 0);
    assert_eq!(c.jute_max_buffer, 0xfffff);
    assert_eq!(c.metrics_port, None);
    assert_eq!(c.session_timeout_range_ms(), (4000, 40000));
    assert!(c.is_standalone());
    assert!(is_allowed(FourLetter::Srvr, &c.four_letter_words));
    assert!(!is_allowed(FourLetter::Ruok, &c.four_letter_words));
    c.node_config(1)
        .validate()
        .expect("defaults pass the core's checks");
}

/// The zoo.cfg of the golden captures (scripts/golden/capture.sh on branch golden).
#[test]
fn golden_capture_config_parses_with_one_admin_free_result() {
    let text = "tickTime=2000\ndataDir=/tmp/zkgold/data\nclientPort=22181\n\
                clientPortAddress=127.0.0.1\n4lw.commands.whitelist=*\n\
                extendedTypesEnabled=true\nadmin.enableServer=false\n";
    let (c, warnings) = parse_ok(text);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(c.tick_ms, 2000);
    assert_eq!(c.data_dir, PathBuf::from("/tmp/zkgold/data"));
    assert_eq!(c.data_log_dir, PathBuf::from("/tmp/zkgold/data"));
    assert_eq!(c.client_bind_address().as_deref(), Some("127.0.0.1:22181"));
    assert_eq!(c.four_letter_words, Whitelist::All);
    assert!(c.extended_types);
    assert!(!c.admin.enable_server);
}

#[test]
fn every_standalone_key_reaches_its_field() {
    let text = "\
# a comment
! another
tickTime = 1000
dataDir=/var/zk
dataLogDir=/var/zklog
clientPort=2181
clientPortAddress=::1
minSessionTimeout=3000
maxSessionTimeout=90000
maxClientCnxns=0
maxCnxns=500
snapCount=5000
preAllocSize=1024
autopurge.snapRetainCount=5
autopurge.purgeInterval=24
4lw.commands.whitelist=ruok, stat ,mntr
metricsPort=9141
zookeeper.extendedTypesEnabled=TRUE
DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=
skipACL=yes
jute.maxbuffer=0x100000
znode.container.checkIntervalMs=5000
znode.container.maxPerMinute=100
znode.container.maxNeverUsedIntervalMs=60000
clientPortListenBacklog=128
";
    let (c, warnings) = parse_ok(text);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(c.tick_ms, 1000);
    assert_eq!(c.data_log_dir, PathBuf::from("/var/zklog"));
    assert_eq!(c.client_bind_address().as_deref(), Some("[::1]:2181"));
    assert_eq!(c.session_timeout_range_ms(), (3000, 90000));
    assert_eq!((c.max_client_cnxns, c.max_cnxns), (0, 500));
    assert_eq!((c.snap_count, c.prealloc_kb), (5000, 1024));
    assert_eq!((c.snap_retain_count, c.purge_interval_hours), (5, 24));
    let want: BTreeSet<_> = [
        FourLetter::Ruok,
        FourLetter::Stat,
        FourLetter::Mntr,
        FourLetter::Srvr,
    ]
    .into();
    assert_eq!(c.four_letter_words, Whitelist::Only(want));
    assert_eq!(c.metrics_port, Some(9141));
    assert_eq!(c.jute_max_buffer, 0x10_0000);
    assert_eq!(c.client_port_listen_backlog, 128);

    let node = c.node_config(42);
    assert_eq!(node.tick_ms, 1000);
    assert_eq!(node.session_secret, 42);
    assert_eq!(node.min_session_timeout_ms, Some(3000));
    assert_eq!(node.max_session_timeout_ms, Some(90000));
    assert_eq!(
        node.super_digest.as_deref(),
        Some("super:D/InIHSb7yEEbrWz8b9l71RjZJU=")
    );
    assert!(node.prep.extended_types && node.prep.skip_acl);
    assert_eq!(node.container_check_interval_ms, 5000);
    assert_eq!(node.container_max_per_minute, 100);
    assert_eq!(node.container_max_never_used_ms, Some(60000));
    assert_eq!(node.snap_count, 5000);
    let valid = node
        .validate()
        .expect("parsed config passes the core's checks");
    assert_eq!(valid.session_timeout_range_ms(), (3000, 90000));
}

#[test]
fn missing_keys_take_java_defaults() {
    let (c, _) = parse_ok("dataDir=/d\nclientPort=2181\n");
    assert_eq!(
        c.tick_ms, 3000,
        "Java's DEFAULT_TICK_TIME when tickTime is absent"
    );
    assert_eq!(c.session_timeout_range_ms(), (6000, 60000));
    assert_eq!(c.client_bind_address().as_deref(), Some("0.0.0.0:2181"));
    assert_eq!(c.four_letter_words, Whitelist::default());
    assert!(!c.extended_types && !c.skip_acl);
    assert_eq!(c.node_config(0).container_max_never_used_ms, None);
}

#[test]
fn bad_values_name_key_value_problem_and_line() {
    let base = "dataDir=/d\n";
    let cases = [
        (
            "clientPort=abc",
            r#"line 2: clientPort: "abc" is not a port number (1-65535)"#,
        ),
        (
            "clientPort=70000",
            r#"line 2: clientPort: "70000" is not a port number (1-65535)"#,
        ),
        (
            "clientPort=2181\ntickTime=0",
            r#"line 3: tickTime: "0" must be at least 1"#,
        ),
        (
            "clientPort=2181\nskipACL=true1",
            r#"line 3: skipACL: "true1" must be yes or no"#,
        ),
        (
            "clientPort=2181\nextendedTypesEnabled=1",
            r#"line 3: extendedTypesEnabled: "1" must be true or false"#,
        ),
        (
            "clientPort=2181\nelectionAlg=1",
            r#"line 3: electionAlg: "1" is not supported; only 3 (fast leader election) exists"#,
        ),
        (
            "clientPort=2181\nmaxClientCnxns=-5",
            r#"line 3: maxClientCnxns: "-5" must be at least 0"#,
        ),
        (
            "clientPort=2181\nmaxCnxns=4294967296",
            r#"line 3: maxCnxns: "4294967296" is too large"#,
        ),
        (
            "clientPort=2181\nsnapCount=lots",
            r#"line 3: snapCount: "lots" is not an integer"#,
        ),
        (
            "clientPort=2181\nminSessionTimeout=0",
            r#"line 3: minSessionTimeout: "0" must be a positive number of ms (or -1 for the default)"#,
        ),
        (
            "clientPort=2181\nDigestAuthenticationProvider.superDigest=nocolon",
            r#"line 3: DigestAuthenticationProvider.superDigest: "nocolon" must be <user>:<base64 of SHA-1 of user:password>"#,
        ),
        (
            "clientPort=2181\nserver.x=a:1:2",
            r#"line 3: server.x: "a:1:2" server id "x" is not a number below 127"#,
        ),
    ];
    for (tail, want) in cases {
        assert_eq!(parse_err(&format!("{base}{tail}")), want, "for {tail:?}");
    }
}

#[test]
fn checks_across_keys_follow_java() {
    assert_eq!(
        parse_err("clientPort=2181\n"),
        "dataDir: is not set (required)"
    );
    assert_eq!(
        parse_err("dataDir=/d\n"),
        "clientPort: is not set (required for a standalone server)"
    );
    assert_eq!(
        parse_err("dataDir=/d\nclientPortAddress=10.0.0.1\n"),
        r#"line 2: clientPortAddress: "10.0.0.1" is set but clientPort is not set"#
    );
    assert_eq!(
        parse_err("dataDir=/d\nclientPort=1\nminSessionTimeout=5000\nmaxSessionTimeout=4000\n"),
        r#"line 4: maxSessionTimeout: "4000" is below minSessionTimeout 5000"#
    );
    // Only the minimum set, above the default maximum of 20 ticks (60000 ms at 3000).
    assert_eq!(
        parse_err("dataDir=/d\nclientPort=1\nminSessionTimeout=70000\n"),
        r#"line 3: minSessionTimeout: "70000" is above maxSessionTimeout 60000"#
    );
}

#[test]
fn warnings_name_the_key_and_say_what_happens() {
    let text = "dataDir=/d\nclientPort=2181\nsecureClientPort=2281\n\
                admin.serverPort=9090\nautopurge.snapRetainCount=2\nfoo.bar=1\n\
                4lw.commands.whitelist=ruok,nope\nsnapCount=1\nclientPort=2182\nsslQuorum=true\n\
                =orphan\n";
    let (c, warnings) = parse_ok(text);
    assert_eq!(c.snap_retain_count, 3, "Java clamps to 3");
    assert_eq!(c.snap_count, 2, "Java clamps to 2");
    assert_eq!(c.client_port, Some(2182), "the later value wins");
    assert_eq!(c.admin.server_port, 9090);
    let want = [
        "line 3: secureClientPort: TLS is not supported by zoorepl; the secure port is ignored",
        "line 4: admin.serverPort: accepted, but zoorepl provides no Jetty AdminServer; use the four-letter words or metricsPort",
        "line 5: autopurge.snapRetainCount: must be 3 or more; using 3 (as Java does)",
        "line 6: foo.bar: unknown key; ignored (Java would set the system property zookeeper.foo.bar)",
        "line 7: 4lw.commands.whitelist: \"nope\" is not a four-letter word; ignored",
        "line 8: snapCount: must be 2 or more; using 2 (as Java does)",
        "line 9: clientPort: also set on line 2; the later value wins",
        "line 10: sslQuorum: is not supported by zoorepl; ignored",
        "line 11: : a line without a key; ignored",
    ];
    assert_eq!(warnings, want);
}

#[test]
fn server_lines_are_parsed_and_kept() {
    let text = "dataDir=/d\nclientPort=2181\ninitLimit=10\nsyncLimit=5\n\
                server.1=zk1:2888:3888\n\
                server.2=zk2:2888:3888:observer;2182\n\
                server.3=[fe80::1]:2888:3888:publisher;0.0.0.0:2183\n\
                peerType=observer\npublisherPort=2990\nleaderServes=no\nlocalSessionsEnabled=true\n";
    let (c, warnings) = parse_ok(text);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(!c.is_standalone());
    let q = &c.ensemble;
    assert_eq!((q.init_limit, q.sync_limit), (Some(10), Some(5)));
    assert_eq!(q.peer_type, PeerType::Observer);
    assert_eq!(q.publisher_port, Some(2990));
    assert!(!q.leader_serves && q.local_sessions_enabled);
    let s1 = &q.servers[&ServerId(1)];
    assert_eq!(
        (s1.host.as_str(), s1.quorum_port, s1.election_port),
        ("zk1", 2888, 3888)
    );
    assert_eq!(
        (s1.peer_type, s1.client_port),
        (PeerType::Participant, None)
    );
    let s2 = &q.servers[&ServerId(2)];
    assert_eq!(
        (s2.peer_type, s2.client_address.as_deref(), s2.client_port),
        (PeerType::Observer, None, Some(2182))
    );
    let s3 = &q.servers[&ServerId(3)];
    assert_eq!(s3.host, "fe80::1");
    assert_eq!(s3.peer_type, PeerType::Publisher);
    assert_eq!(
        (s3.client_address.as_deref(), s3.client_port),
        (Some("0.0.0.0"), Some(2183))
    );
}

#[test]
fn membership_is_written_as_java_writes_zookeeper_config() {
    let text = "dataDir=/d\ninitLimit=10\nsyncLimit=5\n\
                server.1=zk1:2888:3888\n\
                server.2=zk2:2889:3889:observer;2182\n\
                server.3=127.0.0.1:2890:3890;10.1.1.1:2183\n\
                server.4=[fe80::1]:2891:3891:participant;2184\n";
    let (c, _) = parse_ok(text);
    // Java 3.8.0's `QuorumPeerConfig.parse(..).getQuorumVerifier().toString()` of this file.
    let java = "server.1=zk1:2888:3888:participant\n\
                server.2=zk2:2889:3889:observer;0.0.0.0:2182\n\
                server.3=127.0.0.1:2890:3890:participant;10.1.1.1:2183\n\
                server.4=[fe80:0:0:0:0:0:0:1]:2891:3891:participant;0.0.0.0:2184\n\
                version=0";
    assert_eq!(c.membership(), java);
    let node = c.member_node_config(ServerId(1), 7);
    assert_eq!(node.membership.as_deref(), Some(java));
    assert_eq!(
        c.node_config(7).membership,
        None,
        "standalone: empty /zookeeper/config"
    );
}

#[test]
fn ensembles_need_init_and_sync_limits_and_good_server_lines() {
    let two = "dataDir=/d\nclientPort=2181\nserver.1=a:1:2\nserver.2=b:1:2\n";
    assert_eq!(
        parse_err(two),
        "initLimit: is not set (required for an ensemble)"
    );
    let bad = [
        ("server.1=a:1", "is not host:quorumPort"),
        ("server.1=a:0:2", "quorum port \"0\" is not a port number"),
        ("server.1=a:1:x", "election port \"x\" is not a port number"),
        (
            "server.1=a:1:2:voter",
            "peer type \"voter\" is not participant",
        ),
        (
            "server.1=a:1:2;nope",
            "client port \"nope\" is not a port number",
        ),
        ("server.1=a:1:2|b:1:2", "multiAddress"),
        (
            "server.200=a:1:2",
            "server id \"200\" is not a number below 127",
        ),
    ];
    for (line, want) in bad {
        let err = parse_err(&format!("dataDir=/d\nclientPort=1\n{line}\n"));
        assert!(err.starts_with("line 3: server."), "{err}");
        assert!(err.contains(want), "{line}: {err}");
    }
}

#[test]
fn from_file_reports_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("zoo.cfg");
    std::fs::write(&path, "dataDir=/d\nclientPort=abc\n").expect("write");
    let err = ServerConfig::from_file(&path).expect_err("bad port");
    assert_eq!(err.key(), Some("clientPort"));
    assert_eq!(
        err.to_string(),
        format!(
            "{}:2: clientPort: \"abc\" is not a port number (1-65535)",
            path.display()
        )
    );
    std::fs::write(&path, "dataDir=rel\nclientPort=2181\n").expect("write");
    let (c, warnings) = ServerConfig::from_file(&path).expect("valid");
    assert_eq!(c.data_dir, PathBuf::from("rel"));
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].to_string().starts_with(&format!(
        "{}:1: dataDir: is a relative path",
        path.display()
    )));
    let missing = dir.path().join("absent.cfg");
    let err = ServerConfig::from_file(&missing).expect_err("no file");
    assert!(matches!(err, ConfigError::Read { .. }), "{err}");
    assert!(err.to_string().starts_with("cannot read "), "{err}");
}

#[test]
fn whitelist_follows_java_rules() {
    let (all, unknown) = Whitelist::parse("ruok, *");
    assert_eq!(all, Whitelist::All);
    assert!(unknown.is_empty());
    assert!(is_allowed(FourLetter::Dump, &all));
    let (empty, _) = Whitelist::parse("");
    assert!(
        is_allowed(FourLetter::Srvr, &empty),
        "srvr is always enabled"
    );
    assert!(!is_allowed(FourLetter::Stat, &empty));
    let (some, unknown) = Whitelist::parse(" ,stat,,XXXX");
    assert!(is_allowed(FourLetter::Stat, &some));
    assert!(!is_allowed(FourLetter::Mntr, &some));
    assert_eq!(unknown, ["XXXX"]);
}

#[test]
fn java_compatibility_fallbacks() {
    // Java's Prometheus provider listens on 7000 unless metricsProvider.httpPort says otherwise.
    let prom = "dataDir=/d\nclientPort=1\n\
                metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider\n";
    let (c, warnings) = parse_ok(prom);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(c.metrics_port, Some(7000));
    let (c, _) = parse_ok(&format!("{prom}metricsProvider.httpPort=7001\n"));
    assert_eq!(c.metrics_port, Some(7001));
    let (c, _) = parse_ok(&format!(
        "{prom}metricsProvider.httpPort=7001\nmetricsPort=9000\n"
    ));
    assert_eq!(c.metrics_port, Some(9000), "ours wins");
    // A single server line's client part serves as clientPort.
    let (c, _) = parse_ok("dataDir=/d\nserver.1=h:1:2;10.1.1.1:2999\n");
    assert!(c.is_standalone());
    assert_eq!(c.client_bind_address().as_deref(), Some("10.1.1.1:2999"));
}

#[test]
fn non_utf8_files_are_read_as_latin1_like_java() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("zoo.cfg");
    std::fs::write(&path, b"dataDir=/d\xe9\nclientPort=2181\n").expect("write");
    let (c, _) = ServerConfig::from_file(&path).expect("valid");
    assert_eq!(c.data_dir, PathBuf::from("/d\u{e9}"));
}
