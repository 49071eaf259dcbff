//! Shared helpers for the integration tests: finding the public histories and reading them.

#![allow(dead_code, unreachable_pub)]

pub mod gen;

use std::path::PathBuf;

/// `shared/testdata/porcupine`: `$ZOOREPL_SHARED/testdata/porcupine` when set, else
/// `<repo>/../shared/testdata/porcupine` (the repository is cloned beside `shared/`).
pub fn porcupine_dir() -> PathBuf {
    let shared = std::env::var_os("ZOOREPL_SHARED").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
        PathBuf::from,
    );
    let dir = shared.join("testdata/porcupine");
    assert!(
        dir.join("README.md").is_file(),
        "no Porcupine histories at {} (set ZOOREPL_SHARED)",
        dir.display()
    );
    dir
}

/// The verdicts the folder's README states: (relative path, linearizable).
pub fn expected_verdicts() -> Vec<(String, bool)> {
    let readme =
        std::fs::read_to_string(porcupine_dir().join("README.md")).expect("README readable");
    readme
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let file = cells.get(1)?;
            if !(file.starts_with("jepsen/") || file.starts_with("kv/")) {
                return None;
            }
            match *cells.get(2)? {
                "true" => Some(((*file).to_owned(), true)),
                "false" => Some(((*file).to_owned(), false)),
                _ => None,
            }
        })
        .collect()
}
