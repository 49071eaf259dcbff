//! `zoorepl check` on public histories: verdict, exit code, report file.

use std::path::PathBuf;
use std::process::Command;

fn porcupine(path: &str) -> PathBuf {
    let shared = std::env::var_os("ZOOREPL_SHARED").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
        PathBuf::from,
    );
    shared.join("testdata/porcupine").join(path)
}

fn zoorepl(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_zoorepl"))
        .args(args)
        .output()
        .expect("zoorepl runs");
    (
        out.status.code().expect("exited"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn check_exit_codes_follow_the_verdict() {
    let ok = porcupine("jepsen/etcd_002.log");
    let (code, out) = zoorepl(&[
        "check",
        "--model",
        "register",
        "--format",
        "etcd",
        ok.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(": linearizable"), "{out}");

    let bad = porcupine("kv/c10-bad.txt");
    let report = std::env::temp_dir().join(format!("zoorepl-check-{}.html", std::process::id()));
    let args = [
        "check",
        "--model",
        "kv",
        "--format",
        "porcupine-kv",
        "--report",
        report.to_str().expect("utf-8"),
    ];
    let (code, out) = zoorepl(&[&args[..], &[bad.to_str().expect("utf-8")]].concat());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("NOT linearizable") && out.contains("cannot be linearized"),
        "{out}"
    );
    let html = std::fs::read_to_string(&report).expect("report written");
    assert!(html.contains("<svg"));
    std::fs::remove_file(report).expect("remove report");

    let (code, out) = zoorepl(&[
        "check",
        "--model",
        "register",
        "--format",
        "etcd",
        "--timeout",
        "0",
        ok.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("unknown"), "{out}");

    let (code, _) = zoorepl(&["check", "--model", "set", "/nonexistent/history.jsonl"]);
    assert_eq!(code, 2);
}
