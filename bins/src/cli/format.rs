//! Text the CLI prints, in zkCli's formats: stats, dates, child lists, error messages, and the
//! tokenizer for shell lines.

use std::fmt::Write as _;

use zookeeper_client::{Error, Stat};

/// Formats milliseconds since the epoch like Java's `Date.toString()` in UTC (zkCli's ctime and
/// mtime): the four-letter words' formatter.
pub use zoorepl_io::fourlw::java_date_utc as java_date;

/// Formats a stat as the eleven `name = value` lines zkCli prints.
pub fn format_stat(stat: &Stat) -> String {
    let mut out = String::new();
    let lines: [(&str, String); 11] = [
        ("cZxid", format!("{:#x}", stat.czxid)),
        ("ctime", java_date(stat.ctime)),
        ("mZxid", format!("{:#x}", stat.mzxid)),
        ("mtime", java_date(stat.mtime)),
        ("pZxid", format!("{:#x}", stat.pzxid)),
        ("cversion", stat.cversion.to_string()),
        ("dataVersion", stat.version.to_string()),
        ("aclVersion", stat.aversion.to_string()),
        ("ephemeralOwner", format!("{:#x}", stat.ephemeral_owner)),
        ("dataLength", stat.data_length.to_string()),
        ("numChildren", stat.num_children.to_string()),
    ];
    for (name, value) in lines {
        writeln!(out, "{name} = {value}").expect("writing to a String cannot fail");
    }
    out
}

/// Formats a list like Java's `List.toString()`: `[a, b, c]`.
pub fn format_list(items: &[String]) -> String {
    format!("[{}]", items.join(", "))
}

/// The message zkCli prints for a failed operation on `path`.
pub fn error_message(err: &Error, path: &str) -> String {
    let code = match err {
        Error::NoNode => return format!("Node does not exist: {path}"),
        Error::NodeExists => return format!("Node already exists: {path}"),
        Error::NotEmpty => return format!("Node not empty: {path}"),
        Error::BadVersion => return format!("version No is not valid : {path}"),
        Error::NoAuth => return format!("Insufficient permission : {path}"),
        Error::NoChildrenForEphemerals => {
            return format!("Ephemerals cannot have children: {path}")
        }
        Error::InvalidAcl => return format!("Acl is not valid : {path}"),
        Error::BadArguments(reason) => return bad_arguments(reason, path),
        Error::ConnectionLoss | Error::ClientClosed => "ConnectionLoss",
        Error::SessionExpired => "Session expired",
        Error::AuthFailed => "AuthFailed",
        Error::Timeout => "OperationTimeout",
        Error::Unimplemented => "Unimplemented",
        Error::NoWatcher => "NoWatcher",
        Error::SessionMoved => "Session moved",
        Error::NotReadOnly => "Not a read-only call",
        Error::QuotaExceeded => "Quota has exceeded",
        Error::Throttled => "Throttled",
        Error::MarshallingError => "MarshallingError",
        Error::ReconfigDisabled => "ReconfigDisabled",
        other => return format!("{other}: {path}"),
    };
    format!("KeeperErrorCode = {code} for {path}")
}

/// zkCli's wording for the path checks the client does before sending.
fn bad_arguments(reason: &str, path: &str) -> String {
    match reason {
        "path must start with '/'" => "Path must start with / character".to_string(),
        "path must not end with '/'" => "Path must not end with / character".to_string(),
        "path cannot be empty" => "Path length must be > 0".to_string(),
        _ if reason.contains("path") => {
            format!("Invalid path string \"{path}\" caused by {reason}")
        }
        _ => format!("Bad arguments: {reason}: {path}"),
    }
}

/// Splits a shell line into words: runs of non-blanks, or text in double or single quotes (the
/// quotes are dropped, blanks inside are kept).
pub fn tokenize(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(&ch) = chars.peek() {
        if ch.is_whitespace() {
            chars.next();
        } else if ch == '"' || ch == '\'' {
            chars.next();
            words.push(chars.by_ref().take_while(|c| *c != ch).collect());
        } else {
            let mut word = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                word.push(c);
                chars.next();
            }
            words.push(word);
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_date_matches_known_instants() {
        assert_eq!(java_date(0), "Thu Jan 01 00:00:00 UTC 1970");
        // Seen from Apache ZooKeeper's zkCli on this machine (TZ=UTC).
        assert_eq!(java_date(1_795_327_176_000), "Sun Nov 22 05:59:36 UTC 2026");
        assert_eq!(java_date(951_782_400_000), "Tue Feb 29 00:00:00 UTC 2000");
        assert_eq!(java_date(-1), "Wed Dec 31 23:59:59 UTC 1969");
    }

    #[test]
    fn stat_lines_match_zkcli() {
        let stat = Stat {
            czxid: 2,
            mzxid: 0xa,
            pzxid: 6,
            ctime: 1_795_327_176_000,
            mtime: 1_795_327_176_000,
            version: 2,
            cversion: 3,
            aversion: 0,
            ephemeral_owner: 0,
            data_length: 6,
            num_children: 3,
        };
        let expected = "cZxid = 0x2\nctime = Sun Nov 22 05:59:36 UTC 2026\nmZxid = 0xa\n\
            mtime = Sun Nov 22 05:59:36 UTC 2026\npZxid = 0x6\ncversion = 3\ndataVersion = 2\n\
            aclVersion = 0\nephemeralOwner = 0x0\ndataLength = 6\nnumChildren = 3\n";
        assert_eq!(format_stat(&stat), expected);
    }

    #[test]
    fn errors_use_zkcli_wording() {
        assert_eq!(
            error_message(&Error::NoNode, "/a"),
            "Node does not exist: /a"
        );
        assert_eq!(
            error_message(&Error::BadVersion, "/a"),
            "version No is not valid : /a"
        );
        assert_eq!(
            error_message(&Error::ConnectionLoss, "/a"),
            "KeeperErrorCode = ConnectionLoss for /a"
        );
        assert_eq!(
            error_message(&Error::BadArguments(&"path must start with '/'"), "a"),
            "Path must start with / character"
        );
        assert_eq!(
            error_message(
                &Error::BadArguments(&"empty node is not allowed in path"),
                "/a//b"
            ),
            "Invalid path string \"/a//b\" caused by empty node is not allowed in path"
        );
    }

    #[test]
    fn tokenizer_keeps_quoted_words() {
        assert_eq!(
            tokenize("  set /a  \"hello world\" "),
            vec!["set", "/a", "hello world"]
        );
        assert_eq!(
            tokenize("create /b 'x y' world:anyone:r"),
            vec!["create", "/b", "x y", "world:anyone:r"]
        );
        assert_eq!(tokenize("get ''"), vec!["get", ""]);
        assert!(tokenize("   ").is_empty());
        assert_eq!(format_list(&["a".into(), "b".into()]), "[a, b]");
        assert_eq!(format_list(&[]), "[]");
    }
}
