//! Properties of zoo.cfg parsing over generated files (zookeeper-protocol.md §12): untrusted text
//! never panics, and whatever parses also passes the core's `NodeConfig::validate`.

use quickcheck::{Arbitrary, Gen, QuickCheck};
use zoorepl_io::config::{ConfigError, ServerConfig};

const KEYS: &[&str] = &[
    "tickTime",
    "dataDir",
    "dataLogDir",
    "clientPort",
    "clientPortAddress",
    "secureClientPort",
    "minSessionTimeout",
    "maxSessionTimeout",
    "maxClientCnxns",
    "maxCnxns",
    "snapCount",
    "preAllocSize",
    "autopurge.snapRetainCount",
    "autopurge.purgeInterval",
    "4lw.commands.whitelist",
    "admin.enableServer",
    "admin.serverPort",
    "metricsPort",
    "metricsProvider.httpPort",
    "metricsProvider.className",
    "extendedTypesEnabled",
    "DigestAuthenticationProvider.superDigest",
    "skipACL",
    "jute.maxbuffer",
    "znode.container.checkIntervalMs",
    "znode.container.maxPerMinute",
    "znode.container.maxNeverUsedIntervalMs",
    "initLimit",
    "syncLimit",
    "server.1",
    "server.2",
    "server.x",
    "peerType",
    "standaloneEnabled",
    "electionAlg",
    "leaderServes",
    "publisherPort",
    "unknown.key",
    "",
];

const VALUES: &[&str] = &[
    "",
    "0",
    "1",
    "-1",
    "2",
    "3",
    "2181",
    "65535",
    "65536",
    "600000",
    "600001",
    "2147483647",
    "2147483648",
    "-2147483648",
    "99999999999999999999",
    "abc",
    "true",
    "FALSE",
    "yes",
    "no",
    "/data",
    "rel/dir",
    "127.0.0.1",
    "::1",
    "[::1]",
    "*",
    "ruok,stat",
    "super:abc=",
    "a:b:c",
    "host:2888:3888",
    "h:1:2:observer;2181",
    "h:1:2:publisher;0.0.0.0:2182",
    "h:1:2|h:3:4",
    "0x100000",
    "0xzz",
    "\u{e9}\u{1f600}",
    "\\u00e9",
    "a\\",
    "observer",
];

const SEPARATORS: &[&str] = &["=", " = ", ":", " ", "\t", "=\\\n  "];

/// Values at and just past the key's limits; most are accepted, so many generated files parse.
fn boundary_value(key: &str, g: &mut Gen) -> &'static str {
    let options: &[&'static str] = match key {
        "tickTime" => &["1", "2000", "600000", "600001", "0"],
        "minSessionTimeout" | "maxSessionTimeout" => &["-1", "1", "4000", "2147483647", "0", "-2"],
        "clientPort"
        | "secureClientPort"
        | "admin.serverPort"
        | "metricsPort"
        | "metricsProvider.httpPort"
        | "publisherPort" => &["1", "2181", "65535"],
        "snapCount" | "autopurge.snapRetainCount" => &["-5", "0", "1", "2", "100000"],
        "extendedTypesEnabled" | "admin.enableServer" | "standaloneEnabled" => &["true", "False"],
        "skipACL" | "leaderServes" => &["yes", "no"],
        "DigestAuthenticationProvider.superDigest" => &["super:D/InIHSb7yEEbrWz8b9l71RjZJU="],
        "jute.maxbuffer" => &["1", "0xfffff", "1048576", "0", "0x80000000"],
        "electionAlg" => &["3"],
        "peerType" => &["participant", "observer", "publisher"],
        "server.1" | "server.2" => &["h:1:2", "[::1]:2888:3888:observer;2181"],
        "dataDir" | "dataLogDir" => &["/d", "rel"],
        "clientPortAddress" => &["127.0.0.1", "[::1]"],
        "4lw.commands.whitelist" => &["*", "ruok, stat", ""],
        _ => &["0", "1", "60000"],
    };
    g.choose(options).expect("non-empty")
}

/// A zoo.cfg built from known keys, tricky values and Java separators, with noise lines.
#[derive(Clone, Debug)]
struct Cfg(String);

impl Arbitrary for Cfg {
    fn arbitrary(g: &mut Gen) -> Self {
        let mut text = String::new();
        if u8::arbitrary(g) % 8 != 0 {
            text.push_str("dataDir=/d\n");
        }
        if u8::arbitrary(g) % 8 != 0 {
            text.push_str("clientPort=2181\n");
        }
        let lines = usize::arbitrary(g) % 12;
        for _ in 0..lines {
            match u8::arbitrary(g) % 10 {
                0 => text.push_str("# comment\n"),
                1 => text.push_str(&String::arbitrary(g)),
                _ => {
                    let key = g.choose(KEYS).expect("non-empty");
                    let sep = g.choose(SEPARATORS).expect("non-empty");
                    let value = if u8::arbitrary(g) % 10 < 6 {
                        boundary_value(key, g)
                    } else {
                        g.choose(VALUES).expect("non-empty")
                    };
                    text.push_str(&format!("{key}{sep}{value}\n"));
                }
            }
        }
        Self(text)
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        let lines: Vec<String> = self.0.lines().map(str::to_owned).collect();
        Box::new((0..lines.len()).map(move |skip| {
            let mut rest = lines.clone();
            rest.remove(skip);
            Self(rest.join("\n"))
        }))
    }
}

fn parsed_configs_pass_core_validation(cfg: Cfg) -> bool {
    match ServerConfig::parse(&cfg.0) {
        Ok((config, _)) => {
            let valid = config.node_config(7).validate().is_ok();
            let clamp_ok = {
                let (min, max) = config.session_timeout_range_ms();
                0 < min && min <= max
            };
            valid && clamp_ok && config.snap_retain_count >= 3 && config.snap_count >= 2
        }
        // Errors always name a key (`(syntax)` for a bad escape) and say something.
        Err(err @ ConfigError::Invalid { .. }) => {
            let text = err.to_string();
            err.key().is_some_and(|k| !k.is_empty()) && !text.is_empty()
        }
        Err(ConfigError::Read { .. }) => false,
    }
}

#[test]
fn generated_configs_never_panic_and_parse_only_to_valid_node_configs_quickcheck() {
    QuickCheck::new()
        .tests(3000)
        .quickcheck(parsed_configs_pass_core_validation as fn(Cfg) -> bool);
}

#[test]
fn arbitrary_text_never_panics_quickcheck() {
    fn prop(text: String) -> bool {
        let _ = ServerConfig::parse(&text);
        let _ = ServerConfig::parse(&format!("dataDir=/d\nclientPort=1\n{text}"));
        true
    }
    QuickCheck::new()
        .tests(2000)
        .quickcheck(prop as fn(String) -> bool);
}

/// The property above is only worth something if a fair share of generated files parse.
#[test]
fn generator_produces_both_valid_and_invalid_files() {
    let mut g = Gen::new(30);
    let total = 2000;
    let ok = (0..total)
        .filter(|_| ServerConfig::parse(&Cfg::arbitrary(&mut g).0).is_ok())
        .count();
    assert!(ok * 10 >= total, "only {ok} of {total} parse");
    assert!(
        ok * 10 <= total * 9,
        "{ok} of {total} parse: too few errors"
    );
}
