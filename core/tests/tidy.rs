//! Tidy: the core stays pure (STYLE.md §3). This test greps `core/src` for what the core must
//! never use: clocks, std hash maps and sets, unseeded randomness, threads, files, sockets, tokio.
//! clippy's `disallowed-types` catches most of these at compile time; this catches the rest
//! (paths written in full, macros, `use` lines clippy does not see through).

use std::path::{Path, PathBuf};

const BANNED: &[(&str, &str)] = &[
    ("std::time::Instant", "core takes time as an input"),
    ("std::time::SystemTime", "core takes time as an input"),
    ("SystemTime::now", "core takes time as an input"),
    ("Instant::now", "core takes time as an input"),
    ("std::collections::HashMap", "use BTreeMap or LookupMap"),
    ("std::collections::HashSet", "use BTreeSet"),
    ("thread_rng", "randomness comes from the seeded prng"),
    ("std::thread", "the core has no threads"),
    ("std::fs", "the core does no file I/O"),
    ("std::net", "the core opens no sockets"),
    ("tokio", "the core is runtime-free"),
    ("static mut", "the core has no global state"),
    ("thread_local!", "the core has no global state"),
];

/// Files allowed to name a banned token (none at present).
const ALLOWED: &[(&str, &str)] = &[];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("core/src is readable") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn violations(file: &Path, text: &str) -> Vec<String> {
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        for (token, why) in BANNED {
            let allowed = ALLOWED.iter().any(|(f, t)| *f == name && t == token);
            if code.contains(token) && !allowed {
                found.push(format!(
                    "{}:{}: `{token}`: {why}",
                    file.display(),
                    number + 1
                ));
            }
        }
    }
    found
}

#[test]
fn core_src_uses_nothing_banned() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(
        files.len() > 3,
        "found too few files under {}",
        root.display()
    );
    let found: Vec<String> = files
        .iter()
        .flat_map(|f| violations(f, &std::fs::read_to_string(f).expect("readable source")))
        .collect();
    assert!(found.is_empty(), "banned in core:\n{}", found.join("\n"));
}

#[test]
fn tidy_catches_a_planted_violation() {
    let planted = "fn f() { let _ = std::time::Instant::now(); }\n// tokio in a comment is fine\n";
    let found = violations(Path::new("x.rs"), planted);
    assert_eq!(found.len(), 2, "{found:?}");
    // LookupMap is built on imbl now, so no file may name the std hash map.
    let flagged = violations(Path::new("lookup.rs"), "use std::collections::HashMap;");
    assert_eq!(flagged.len(), 1, "{flagged:?}");
}
