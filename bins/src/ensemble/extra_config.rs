//! `--extra-config KEY=VALUE`: more zoo.cfg lines for every member of a local ensemble.

use std::fmt::Write as _;

use anyhow::bail;

/// Keys the layout writes itself; a second line with one of them would fight the first.
const LAYOUT_KEYS: [&str; 8] = [
    "tickTime",
    "initLimit",
    "syncLimit",
    "dataDir",
    "clientPort",
    "clientPortAddress",
    "4lw.commands.whitelist",
    "peerType",
];

/// Splits `KEY=VALUE` at its first `=` (clap's value parser for `--extra-config`).
///
/// # Errors
/// No `=`, or an empty key.
pub(super) fn parse_key_value(arg: &str) -> Result<(String, String), String> {
    let Some((key, value)) = arg.split_once('=') else {
        return Err(format!("expected KEY=VALUE, got {arg:?}"));
    };
    let key = key.trim();
    if key.is_empty() {
        return Err(format!("expected KEY=VALUE with a key, got {arg:?}"));
    }
    Ok((key.to_owned(), value.trim().to_owned()))
}

/// Refuses keys the layout owns and text that would not stay one `key=value` line.
pub(super) fn check(extra: &[(String, String)]) -> anyhow::Result<()> {
    for (key, value) in extra {
        if LAYOUT_KEYS.contains(&key.as_str()) || key.starts_with("server.") {
            bail!("--extra-config {key}: the layout writes {key} itself");
        }
        let separator = |c: char| c.is_whitespace() || c == '=' || c == ':' || c.is_control();
        if key.is_empty() || key.contains(separator) || key.starts_with(['#', '!']) {
            bail!("--extra-config {key:?}: not a zoo.cfg key");
        }
        if value.contains(char::is_control) {
            bail!("--extra-config {key}: the value must be one line of text");
        }
    }
    Ok(())
}

/// Appends one `key=value` line per entry. zoo.cfg is a Java properties file, so a backslash
/// in a value is doubled to be read back as itself.
pub(super) fn append(text: &mut String, extra: &[(String, String)]) {
    for (key, value) in extra {
        let value = value.replace('\\', "\\\\");
        writeln!(text, "{key}={value}").expect("write to String");
    }
}
