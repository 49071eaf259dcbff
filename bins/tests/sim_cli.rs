//! `zoorepl sim`: a seed range passes with a progress line, and one traced seed prints the
//! same trace hash every time.

use std::process::Command;

fn zoorepl(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_zoorepl"))
        .args(args)
        .output()
        .expect("zoorepl runs");
    (
        out.status.code().expect("exited"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn sim_range_passes_and_one_seed_traces_deterministically() {
    let (code, out, err) = zoorepl(&["sim", "--seeds", "0..8"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(err.contains("seeds 8/8"), "{err}");
    assert!(err.contains("failures 0"), "{err}");

    let traced = || {
        let (code, out, err) = zoorepl(&["sim", "--seed", "5", "--faults", "heavy", "--trace"]);
        assert_eq!(code, 0, "{err}");
        let hash = out
            .lines()
            .find(|l| l.starts_with("trace hash: 0x"))
            .expect("a trace hash line")
            .to_owned();
        assert!(out.lines().count() > 100, "{out}");
        hash
    };
    assert_eq!(traced(), traced());
}
