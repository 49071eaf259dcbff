//! Every public history in `shared/testdata/porcupine/` gets the verdict its README states.

mod common;

use std::fs::File;
use std::io::BufReader;

use zoorepl_jepsen::formats::{read_etcd_log, read_porcupine_kv};
use zoorepl_jepsen::models::{KvMap, Register};
use zoorepl_jepsen::{check, pair, CheckOptions, Stop, Verdict};

fn verdict_of(path: &str) -> Verdict {
    let file =
        BufReader::new(File::open(common::porcupine_dir().join(path)).expect("history readable"));
    let options = CheckOptions::default();
    if path.starts_with("jepsen/") {
        let ops = pair(&read_etcd_log(file).expect("etcd log parses")).expect("pairs");
        check(&Register::new(), &ops, &options)
            .expect("register ops")
            .verdict
    } else {
        let ops = pair(&read_porcupine_kv(file).expect("kv log parses")).expect("pairs");
        check(&KvMap, &ops, &options).expect("kv ops").verdict
    }
}

#[test]
fn every_porcupine_history_gets_its_readme_verdict() {
    let expected = common::expected_verdicts();
    // The README's tables: 68 etcd logs and 3 kv logs, 19 linearizable.
    assert_eq!(expected.len(), 71);
    assert_eq!(expected.iter().filter(|(_, ok)| *ok).count(), 19);
    let mut wrong = Vec::new();
    for (path, linearizable) in &expected {
        let want = if *linearizable {
            Verdict::Linearizable
        } else {
            Verdict::NotLinearizable
        };
        let got = verdict_of(path);
        if got != want {
            wrong.push(format!("{path}: expected {want:?}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "wrong verdicts:\n{}", wrong.join("\n"));
}

#[test]
fn every_file_in_the_folder_has_a_verdict_except_the_empty_log() {
    let expected: Vec<String> = common::expected_verdicts()
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    let dir = common::porcupine_dir();
    for sub in ["jepsen", "kv"] {
        for entry in std::fs::read_dir(dir.join(sub)).expect("folder readable") {
            let name = format!(
                "{sub}/{}",
                entry.expect("entry").file_name().to_string_lossy()
            );
            if name == "jepsen/etcd_095.log" {
                // Empty: the run failed to start. An empty history is trivially linearizable.
                assert_eq!(verdict_of(&name), Verdict::Linearizable);
                continue;
            }
            assert!(
                expected.contains(&name),
                "{name} has no verdict in the README"
            );
        }
    }
}

#[test]
fn a_timeout_gives_unknown() {
    let path = common::porcupine_dir().join("jepsen/etcd_002.log");
    let text = std::fs::read(path).expect("etcd_002 readable");
    let ops = pair(&read_etcd_log(&text[..]).expect("parses")).expect("pairs");
    let options = CheckOptions {
        timeout: Some(std::time::Duration::ZERO),
        ..CheckOptions::default()
    };
    let result = check(&Register::new(), &ops, &options).expect("register ops");
    assert_eq!(result.verdict, Verdict::Unknown);
    assert_eq!(result.stopped, Some(Stop::Timeout));
    assert!(result.failure.is_none());
}

#[test]
fn a_memory_limit_gives_unknown() {
    let path = common::porcupine_dir().join("jepsen/etcd_002.log");
    let text = std::fs::read(path).expect("etcd_002 readable");
    let ops = pair(&read_etcd_log(&text[..]).expect("parses")).expect("pairs");
    let options = CheckOptions {
        memory_max_bytes: 1 << 16,
        ..CheckOptions::default()
    };
    let result = check(&Register::new(), &ops, &options).expect("register ops");
    assert_eq!(result.verdict, Verdict::Unknown);
    assert_eq!(result.stopped, Some(Stop::MemoryLimit));
}
