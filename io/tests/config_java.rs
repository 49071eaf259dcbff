//! zoo.cfg acceptance and values against Java's own `QuorumPeerConfig.parse` (ZooKeeper 3.8.0 from
//! Debian, OpenJDK 17). Each case is (name, file, what Java said): `OK` with the values Java
//! derived, or `ERR` with its exception. A small Java program printed these; the file's
//! `dataDir` held a `myid` of 1 so that the ensemble cases could parse.

use zoorepl_io::config::ServerConfig;

const CASES: &[(&str, &str, &str)] = &[
    ("addr_and_port", "dataDir=/tmp/qp/d\nclientPort=2182\nclientPortAddress=127.0.0.1\n", "OK tick=3000 min=6000 max=60000 client=127.0.0.1:2182 logdir=/tmp/qp/d retain=3 purge=0 maxcnxns=60 servers=0 distributed=false"),
    ("addr_no_port", "dataDir=/tmp/qp/d\nclientPortAddress=127.0.0.1\n", "ERR ConfigException: Error processing /tmp/qp/cases/addr_no_port.cfg / clientPortAddress is set but clientPort is not set"),
    ("basic", "dataDir=/tmp/qp/d\nclientPort=2181\n", "OK tick=3000 min=6000 max=60000 client=0.0.0.0:2181 logdir=/tmp/qp/d retain=3 purge=0 maxcnxns=60 servers=0 distributed=false"),
    ("bool_bad", "dataDir=/tmp/qp/d\nclientPort=2181\nstandaloneEnabled=yes\n", "ERR ConfigException: Invalid option yes for standaloneEnabled. Choose 'true' or 'false.'"),
    ("bool_upper", "dataDir=/tmp/qp/d\nclientPort=2181\nlocalSessionsEnabled=TRUE\n", "OK tick=3000 min=6000 max=60000 client=0.0.0.0:2181 logdir=/tmp/qp/d retain=3 purge=0 maxcnxns=60 servers=0 distributed=false"),
    ("colon", "dataDir:/tmp/qp/d\nclientPort:2181\n", "OK tick=3000 min=6000 max=60000 client=0.0.0.0:2181 logdir=/tmp/qp/d retain=3 purge=0 maxcnxns=60 servers=0 distributed=false"),
    ("datalogdir", "dataDir=/tmp/qp/d\ndataLogDir=/tmp/qp/log\nclientPort=2181\n", "OK tick=3000 min=6000 max=60000 client=0.0.0.0:2181 logdir=/tmp/qp/log retain=3 purge=0 maxcnxns=60 servers=0 distributed=false"),
    ("electionalg_1", "dataDir=/tmp/qp/d\nclientPort=2181\nelectionAlg=1\n", "ERR ConfigException: Invalid electionAlg value. Only 3 is supported."),
    ("electionalg_3", "dataDir=/tmp/qp/d\nclientPort=2181\nelectionAlg=3\n", "OK tick=3000 min=6000 max=60000 client=0.0.0.0:2181 logdir=/tmp/qp/d retain=3 purge=0 maxcnxns=60 servers=0 distributed=false"),
    ("init_0", "dataDir=/tmp/qp/d\nclientPort=2181\ninitLimit=0\n", "OK tick=3000 min=6000 max=60000 client=0.0.0.0:2181 logdir=/tmp/qp/d retain=3 purge=0 maxcnxns=60 servers=0 distributed=false"),
    ("maxcnxns", "dataDir=/tmp/qp/d\nclientPort=2181\nmaxClientCnxns=0\n", "OK tick=3000 min=6000 max=60000 client=0.0.0.0:2181 logdir=/tmp/qp/d retain=3 purge=0 maxcnxns=0 servers=0 distributed=false"),
    ("min_above_default_max", "dataDir=/tmp/qp/d\nclientPort=2181\nminSessionTimeout=70000\n", "ERR ConfigException: Error processing /tmp/qp/cases/min_above_default_max.cfg / minSessionTimeout must not be larger than maxSessionTimeout"),
    ("min_gt_max", "dataDir=/tmp/qp/d\nclientPort=2181\nminSessionTimeout=5000\nmaxSessionTimeout=4000\n", "ERR ConfigException: Error processing /tmp/qp/cases/min_gt_max.cfg / minSessionTimeout must not be larger than maxSessionTimeout"),
    ("min_max_ok", "dataDir=/tmp/qp/d\nclientPort=2181\nminSessionTimeout=1000\nmaxSessionTimeout=100000\n", "OK tick=3000 min=1000 max=100000 client=0.0.0.0:2181 logdir=/tmp/qp/d retain=3 purge=0 maxcnxns=60 servers=0 distributed=false"),
    ("min_minus1", "dataDir=/tmp/qp/d\nclientPort=2181\nminSessionTimeout=-1\n", "OK tick=3000 min=6000 max=60000 client=0.0.0.0:2181 logdir=/tmp/qp/d retain=3 purge=0 maxcnxns=60 servers=0 distributed=false"),
    ("no_clientport", "dataDir=/tmp/qp/d\n", "OK tick=3000 min=6000 max=60000 client=none logdir=/tmp/qp/d retain=3 purge=0 maxcnxns=60 servers=0 distributed=false"),
    ("no_datadir", "clientPort=2181\n", "ERR ConfigException: Error processing /tmp/qp/cases/no_datadir.cfg / dataDir is not set"),
    ("one_server", "dataDir=/tmp/qp/d\nclientPort=2181\nserver.1=localhost:2888:3888\n", "OK tick=3000 min=6000 max=60000 client=0.0.0.0:2181 logdir=/tmp/qp/d retain=3 purge=0 maxcnxns=60 servers=1 distributed=false"),
    ("one_server_client", "dataDir=/tmp/qp/d\nserver.1=localhost:2888:3888;2185\n", "OK tick=3000 min=6000 max=60000 client=0.0.0.0:2185 logdir=/tmp/qp/d retain=3 purge=0 maxcnxns=60 servers=1 distributed=false"),
    ("peertype_bad", "dataDir=/tmp/qp/d\nclientPort=2181\npeerType=voter\n", "ERR ConfigException: Unrecognised peertype: voter"),
    ("peertype_obs", "dataDir=/tmp/qp/d\nclientPort=2181\npeerType=Observer\n", "OK tick=3000 min=6000 max=60000 client=0.0.0.0:2181 logdir=/tmp/qp/d retain=3 purge=0 maxcnxns=60 servers=0 distributed=false"),
    ("port_0", "dataDir=/tmp/qp/d\nclientPort=0\n", "OK tick=3000 min=6000 max=60000 client=none logdir=/tmp/qp/d retain=3 purge=0 maxcnxns=60 servers=0 distributed=false"),
    ("port_70000", "dataDir=/tmp/qp/d\nclientPort=70000\n", "ERR ConfigException: Error processing /tmp/qp/cases/port_70000.cfg / port out of range:70000"),
    ("port_abc", "dataDir=/tmp/qp/d\nclientPort=abc\n", "ERR ConfigException: Error processing /tmp/qp/cases/port_abc.cfg / For input string: \"abc\""),
    ("purge_24", "dataDir=/tmp/qp/d\nclientPort=2181\nautopurge.purgeInterval=24\n", "OK tick=3000 min=6000 max=60000 client=0.0.0.0:2181 logdir=/tmp/qp/d retain=3 purge=24 maxcnxns=60 servers=0 distributed=false"),
    ("retain_1", "dataDir=/tmp/qp/d\nclientPort=2181\nautopurge.snapRetainCount=1\n", "OK tick=3000 min=6000 max=60000 client=0.0.0.0:2181 logdir=/tmp/qp/d retain=3 purge=0 maxcnxns=60 servers=0 distributed=false"),
    ("retain_5", "dataDir=/tmp/qp/d\nclientPort=2181\nautopurge.snapRetainCount=5\n", "OK tick=3000 min=6000 max=60000 client=0.0.0.0:2181 logdir=/tmp/qp/d retain=5 purge=0 maxcnxns=60 servers=0 distributed=false"),
    ("server_bad_port", "dataDir=/tmp/qp/d\nclientPort=2181\nserver.1=localhost:x:3888\n", "ERR ConfigException: Address unresolved: localhost:x"),
    ("server_bad_type", "dataDir=/tmp/qp/d\nclientPort=2181\nserver.1=localhost:2888:3888:voter\n", "ERR ConfigException: Unrecognised peertype: voter"),
    ("server_observer", "dataDir=/tmp/qp/d\nclientPort=2181\ninitLimit=5\nsyncLimit=2\nserver.1=localhost:2888:3888\nserver.2=localhost:2889:3889\nserver.3=localhost:2890:3890:observer\n", "OK tick=3000 min=6000 max=60000 client=0.0.0.0:2181 logdir=/tmp/qp/d retain=3 purge=0 maxcnxns=60 servers=3 distributed=true"),
    ("server_one_port", "dataDir=/tmp/qp/d\nclientPort=2181\nserver.1=localhost:2888\n", "ERR ConfigException: localhost:2888 does not have the form server_config or server_config;client_config where server_config is the pipe separated list of host:port:port or host:port:port:type and client_config is port or host:port"),
    ("three_no_init", "dataDir=/tmp/qp/d\nclientPort=2181\nsyncLimit=2\nserver.1=localhost:2888:3888\nserver.2=localhost:2889:3889\nserver.3=localhost:2890:3890\n", "ERR ConfigException: Error processing /tmp/qp/cases/three_no_init.cfg / initLimit is not set"),
    ("three_servers", "dataDir=/tmp/qp/d\nclientPort=2181\ninitLimit=5\nsyncLimit=2\nserver.1=localhost:2888:3888\nserver.2=localhost:2889:3889\nserver.3=localhost:2890:3890\n", "OK tick=3000 min=6000 max=60000 client=0.0.0.0:2181 logdir=/tmp/qp/d retain=3 purge=0 maxcnxns=60 servers=3 distributed=true"),
    ("tick_0", "dataDir=/tmp/qp/d\nclientPort=2181\ntickTime=0\n", "ERR ConfigException: Error processing /tmp/qp/cases/tick_0.cfg / tickTime is not set"),
    ("tick_1000", "tickTime=1000\ndataDir=/tmp/qp/d\nclientPort=2181\n", "OK tick=1000 min=2000 max=20000 client=0.0.0.0:2181 logdir=/tmp/qp/d retain=3 purge=0 maxcnxns=60 servers=0 distributed=false"),
    ("tick_abc", "dataDir=/tmp/qp/d\nclientPort=2181\ntickTime=abc\n", "ERR ConfigException: Error processing /tmp/qp/cases/tick_abc.cfg / For input string: \"abc\""),
    ("tick_default", "dataDir=/tmp/qp/d\nclientPort=2181\n", "OK tick=3000 min=6000 max=60000 client=0.0.0.0:2181 logdir=/tmp/qp/d retain=3 purge=0 maxcnxns=60 servers=0 distributed=false"),
    ("unknown", "dataDir=/tmp/qp/d\nclientPort=2181\nfoo=bar\n", "OK tick=3000 min=6000 max=60000 client=0.0.0.0:2181 logdir=/tmp/qp/d retain=3 purge=0 maxcnxns=60 servers=0 distributed=false"),
    ("ws", "  dataDir =  /tmp/qp/d  \n\tclientPort\t2181\n", "OK tick=3000 min=6000 max=60000 client=0.0.0.0:2181 logdir=/tmp/qp/d retain=3 purge=0 maxcnxns=60 servers=0 distributed=false"),
];

/// Cases where zoorepl refuses what Java accepts, on purpose.
const STRICTER: &[(&str, &str)] = &[
    // Java parses it, then the standalone server has no client listener; ours says so at once.
    (
        "no_clientport",
        "clientPort: is not set (required for a standalone server)",
    ),
    // Java treats port 0 as "no client port"; 0 is not a port number to us.
    (
        "port_0",
        "line 2: clientPort: \"0\" is not a port number (1-65535)",
    ),
];

/// The value Java printed for `field` in an `OK` line.
fn field<'a>(java: &'a str, name: &str) -> &'a str {
    java.split(' ')
        .find_map(|kv| kv.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
        .unwrap_or_else(|| panic!("{name} in {java}"))
}

#[test]
fn acceptance_and_values_agree_with_java() {
    for (name, text, java) in CASES {
        let ours = ServerConfig::parse(text);
        if let Some((_, why)) = STRICTER.iter().find(|(n, _)| n == name) {
            let err = ours.expect_err(name);
            assert_eq!(err.to_string(), *why, "{name}");
            continue;
        }
        if java.starts_with("ERR") {
            assert!(ours.is_err(), "{name}: Java refused ({java}), we accepted");
            continue;
        }
        let (c, _) = ours.unwrap_or_else(|e| panic!("{name}: Java accepted, we said {e}"));
        let (min, max) = c.session_timeout_range_ms();
        let client = format!(
            "{}:{}",
            c.client_port_address.as_deref().unwrap_or("0.0.0.0"),
            c.client_port.expect("client port")
        );
        let want = [
            ("tick", c.tick_ms.to_string()),
            ("min", min.to_string()),
            ("max", max.to_string()),
            ("client", client),
            ("logdir", c.data_log_dir.display().to_string()),
            ("retain", c.snap_retain_count.to_string()),
            ("purge", c.purge_interval_hours.to_string()),
            ("maxcnxns", c.max_client_cnxns.to_string()),
            ("servers", c.ensemble.servers.len().to_string()),
            ("distributed", (!c.is_standalone()).to_string()),
        ];
        for (key, ours) in want {
            assert_eq!(ours, field(java, key), "{name}: {key}");
        }
    }
    assert_eq!(CASES.len(), 39);
}
