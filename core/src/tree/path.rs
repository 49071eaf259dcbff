//! Znode paths: validation (`PathUtils.validatePath`, zookeeper-protocol.md §7.4), parent and
//! basename, and the built-in nodes that can never be deleted (§7.5).

use crate::proto::ZkError;

/// The root.
pub const ROOT: &str = "/";
/// The built-in `/zookeeper` node.
pub const ZOOKEEPER: &str = "/zookeeper";
/// The built-in quota subtree root (§14.3).
pub const QUOTA: &str = "/zookeeper/quota";
/// The built-in dynamic-config node (§14.1).
pub const CONFIG: &str = "/zookeeper/config";

/// Checks a full path against every rule of §7.4; any failure is `BadArguments`.
///
/// Java walks UTF-16 code units, so a character outside the Basic Multilingual Plane (stored as
/// a surrogate pair, U+D800–U+DFFF) is rejected there; we reject it too.
///
/// # Errors
/// [`ZkError::BadArguments`] when the path breaks a rule.
pub fn validate(path: &str) -> Result<(), ZkError> {
    if !path.starts_with('/') {
        return Err(ZkError::BadArguments);
    }
    if path == ROOT {
        return Ok(());
    }
    if path.ends_with('/') {
        return Err(ZkError::BadArguments);
    }
    // Skip the leading '/': every segment then sits between two separators.
    for segment in path[1..].split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Err(ZkError::BadArguments);
        }
        if segment.chars().any(is_forbidden_char) {
            return Err(ZkError::BadArguments);
        }
    }
    Ok(())
}

/// Whether a character may not appear in a path (§7.4).
fn is_forbidden_char(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{e000}'..='\u{f8ff}'
        | '\u{fff0}'..='\u{ffff}')
        // Surrogates cannot occur in a `str`; characters above the BMP are surrogate pairs in
        // Java and fall in its forbidden U+D800–U+F8FF range.
        || u32::from(c) > 0xffff
}

/// The parent of a path: `/a/b` → `/a`, `/a` → `/`. The parent of `/` is `/` itself, so a walk up
/// the ancestors must stop at the root.
#[must_use]
pub fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => ROOT,
        Some(i) => &path[..i],
    }
}

/// The last segment of a path: `/a/b` → `b`; the root's basename is empty.
#[must_use]
pub fn basename(path: &str) -> &str {
    path.rfind('/').map_or(path, |i| &path[i + 1..])
}

/// The full path of `name` under `parent`.
#[must_use]
pub fn join(parent: &str, name: &str) -> String {
    if parent == ROOT {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}

/// Whether the path is one of the built-in nodes a delete must refuse (BADARGUMENTS, §4).
#[must_use]
pub fn is_reserved_undeletable(path: &str) -> bool {
    matches!(path, ROOT | ZOOKEEPER | QUOTA | CONFIG)
}

/// The names of a node's built-in children (never "created", so never counted by the stored
/// create counter): `/` has `zookeeper`, `/zookeeper` has `quota` and `config`.
#[must_use]
pub(crate) fn builtin_children(path: &str) -> &'static [&'static str] {
    match path {
        ROOT => &["zookeeper"],
        ZOOKEEPER => &["quota", "config"],
        _ => &[],
    }
}

/// Whether `path` is a built-in node below the root (`/zookeeper`, its `quota` and `config`).
#[must_use]
pub(crate) fn is_builtin(path: &str) -> bool {
    matches!(path, ZOOKEEPER | QUOTA | CONFIG)
}

/// The sequential suffix Java appends: the counter as `%010d` (a negative counter after overflow
/// prints its minus sign and 10 digits, as Java does, §7.2).
#[must_use]
pub fn sequential_suffix(counter: i32) -> String {
    format!("{counter:010}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_accepts_good_paths_section_7_4() {
        for p in [
            "/",
            "/a",
            "/a/b",
            "/zookeeper",
            "/a.b",
            "/...",
            "/.a",
            "/a..",
            "/ü",
            "/a b",
        ] {
            assert_eq!(validate(p), Ok(()), "{p:?}");
        }
    }

    #[test]
    fn validate_rejects_each_rule_section_7_4() {
        let bad = [
            ("", "empty"),
            ("a", "no leading slash"),
            ("a/b", "no leading slash"),
            ("/a/", "trailing slash"),
            ("//", "empty segment"),
            ("/a//b", "empty segment"),
            ("/.", "dot segment"),
            ("/a/./b", "dot segment"),
            ("/..", "dot-dot segment"),
            ("/a/..", "dot-dot segment"),
            ("/a\u{0}b", "NUL"),
            ("/a\u{1}", "control U+0001"),
            ("/a\u{1f}", "control U+001F"),
            ("/a\u{7f}", "DEL"),
            ("/a\u{9f}", "C1 control"),
            ("/a\u{e000}", "private use"),
            ("/a\u{f8ff}", "private use end"),
            ("/a\u{fff0}", "specials"),
            ("/a\u{ffff}", "non-character"),
            ("/a\u{1f600}", "above the BMP (a surrogate pair in Java)"),
        ];
        for (p, why) in bad {
            assert_eq!(validate(p), Err(ZkError::BadArguments), "{why}: {p:?}");
        }
        // Edges just outside the forbidden ranges are fine.
        for p in [
            "/a\u{20}",
            "/a\u{7e}",
            "/a\u{a0}",
            "/a\u{d7ff}",
            "/a\u{f900}",
            "/a\u{ffef}",
        ] {
            assert_eq!(validate(p), Ok(()), "{p:?}");
        }
    }

    #[test]
    fn parent_and_basename() {
        assert_eq!(parent("/a/b/c"), "/a/b");
        assert_eq!(parent("/a"), "/");
        assert_eq!(parent("/"), "/");
        assert_eq!(basename("/a/b"), "b");
        assert_eq!(basename("/a"), "a");
        assert_eq!(basename("/"), "");
        assert_eq!(join("/", "a"), "/a");
        assert_eq!(join("/a", "b"), "/a/b");
    }

    #[test]
    fn reserved_nodes_and_suffix() {
        for p in ["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"] {
            assert!(is_reserved_undeletable(p));
        }
        assert!(!is_reserved_undeletable("/zookeeper/quota/x"));
        assert!(!is_reserved_undeletable("/a"));
        assert_eq!(sequential_suffix(0), "0000000000");
        assert_eq!(sequential_suffix(42), "0000000042");
        assert_eq!(sequential_suffix(i32::MAX), "2147483647");
        assert_eq!(sequential_suffix(i32::MIN), "-2147483648");
    }
}
