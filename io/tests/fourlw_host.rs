//! Process facts for `dirs`, `conf`, `mntr` and `envi`.

use zoorepl_io::fourlw::{dir_size_bytes, file_descriptor_counts};

#[test]
fn dir_size_sums_files_recursively_like_java() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::write(root.join("a"), [0u8; 100]).expect("write");
    std::fs::create_dir_all(root.join("version-2/sub")).expect("mkdir");
    std::fs::write(root.join("version-2/log.1"), [0u8; 4096]).expect("write");
    std::fs::write(root.join("version-2/sub/snap.0"), [0u8; 7]).expect("write");
    assert_eq!(dir_size_bytes(root), 100 + 4096 + 7);
    assert_eq!(dir_size_bytes(&root.join("version-2")), 4096 + 7);
    assert_eq!(
        dir_size_bytes(&root.join("a")),
        100,
        "a file counts its own length"
    );
    assert_eq!(dir_size_bytes(&root.join("absent")), 0);
}

#[cfg(target_os = "linux")]
#[test]
fn file_descriptor_counts_come_from_proc() {
    let (open_before, max) = file_descriptor_counts();
    assert!(
        open_before >= 3,
        "stdin/stdout/stderr at least: {open_before}"
    );
    assert!(max >= open_before, "limit {max} below open {open_before}");
    let dir = tempfile::tempdir().expect("tempdir");
    let files: Vec<_> = (0..8)
        .map(|i| std::fs::File::create(dir.path().join(i.to_string())).expect("create"))
        .collect();
    let (open_after, _) = file_descriptor_counts();
    // Other test threads may open or close files meanwhile; 8 more of ours dominate.
    assert!(
        open_after >= open_before + 4,
        "{open_before} -> {open_after}"
    );
    drop(files);
}
