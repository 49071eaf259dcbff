//! Text the CLI prints, in zkCli's formats: stats, dates, child lists, error messages, and the
//! tokenizer for shell lines.

use std::fmt::Write as _;

use zookeeper_client::{Error, Stat};

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Converts days since 1970-01-01 to a proleptic Gregorian (year, month 1..=12, day 1..=31).
/// Uses 400-year eras of 146097 days, with years counted from March so leap days fall last.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468; // days from 0000-03-01 to 1970-01-01
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097); // [0, 146096]
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153; // [0, 11], 0 = March
    let day = u32::try_from(day_of_year - (153 * month_from_march + 2) / 5 + 1).expect("1..=31");
    let month = u32::try_from(if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    })
    .expect("1..=12");
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Formats milliseconds since the epoch like Java's `Date.toString()` in UTC:
/// `Sun Nov 22 05:59:36 UTC 2026`.
pub fn java_date(millis: i64) -> String {
    let secs = millis.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sec_of_day = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let weekday = usize::try_from((days + 4).rem_euclid(7)).expect("0..7"); // 1970-01-01 = Thu
    let month_name = MONTHS[usize::try_from(month - 1).expect("month 1..=12")];
    format!(
        "{} {} {:02} {:02}:{:02}:{:02} UTC {}",
        WEEKDAYS[weekday],
        month_name,
        day,
        sec_of_day / 3600,
        sec_of_day % 3600 / 60,
        sec_of_day % 60,
        year
    )
}

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
    fn civil_round_trips_every_day_of_a_leap_cycle() {
        let mut expected = (1999_i64, 12_u32, 31_u32);
        for days in 10_957..10_957 + 366 * 4 + 2 {
            let got = civil_from_days(days);
            let (y, m, d) = expected;
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            let month_len = [
                31,
                if leap { 29 } else { 28 },
                31,
                30,
                31,
                30,
                31,
                31,
                30,
                31,
                30,
                31,
            ];
            let next = if d < month_len[(m - 1) as usize] {
                (y, m, d + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
            assert_eq!(got, next, "days {days}");
            expected = got;
        }
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
