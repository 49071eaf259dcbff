//! A reader for Java `.properties` text, following the rules of `java.util.Properties.load`:
//! `#` and `!` comment lines, `=`, `:` or whitespace between key and value, a trailing odd
//! backslash continues the line, and the escapes `\t`, `\n`, `\r`, `\f`, `\uXXXX` (any other
//! escaped character stands for itself). ZooKeeper then trims key and value, and so do we.

/// One `key=value` pair and the line where it starts (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) key: String,
    pub(crate) value: String,
    pub(crate) line: u32,
}

/// A line that Java's reader refuses (only a malformed `\u` escape).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub(crate) line: u32,
    pub(crate) problem: String,
}

/// Splits `text` into entries in file order (a repeated key appears twice; the caller decides).
pub(crate) fn entries(text: &str) -> Result<Vec<Entry>, SyntaxError> {
    let mut out = Vec::new();
    let mut lines = text.split('\n').enumerate().peekable();
    while let Some((index, raw)) = lines.next() {
        let line = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let first = raw
            .strip_suffix('\r')
            .unwrap_or(raw)
            .trim_start_matches(is_blank);
        if first.is_empty() || first.starts_with('#') || first.starts_with('!') {
            continue;
        }
        let mut logical = String::from(first);
        while ends_with_odd_backslash(&logical) {
            logical.pop();
            let Some((_, next)) = lines.next() else { break };
            let next = next.strip_suffix('\r').unwrap_or(next);
            logical.push_str(next.trim_start_matches(is_blank));
        }
        let (key, value) = split_key_value(&logical);
        let key = unescape(key).map_err(|problem| SyntaxError { line, problem })?;
        let value = unescape(value).map_err(|problem| SyntaxError { line, problem })?;
        out.push(Entry {
            key: key.trim().to_owned(),
            value: value.trim().to_owned(),
            line,
        });
    }
    Ok(out)
}

const fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\x0c')
}

fn ends_with_odd_backslash(s: &str) -> bool {
    s.bytes().rev().take_while(|&b| b == b'\\').count() % 2 == 1
}

/// Splits a logical line at the first unescaped `=`, `:` or blank (Java's separator rule).
fn split_key_value(line: &str) -> (&str, &str) {
    let mut escaped = false;
    let mut key_end = line.len();
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '=' || c == ':' || is_blank(c) {
            key_end = i;
            break;
        }
    }
    let key = &line[..key_end];
    let mut rest = &line[key_end..];
    let had_separator = rest.starts_with(['=', ':']);
    if had_separator {
        rest = &rest[1..];
    }
    rest = rest.trim_start_matches(is_blank);
    if !had_separator && rest.starts_with(['=', ':']) {
        rest = rest[1..].trim_start_matches(is_blank);
    }
    (key, rest)
}

fn unescape(s: &str) -> Result<String, String> {
    if !s.contains('\\') {
        return Ok(s.to_owned());
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\x0c'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                let unit = (hex.len() == 4)
                    .then(|| u32::from_str_radix(&hex, 16).ok())
                    .flatten()
                    .and_then(char::from_u32)
                    .ok_or_else(|| format!("malformed \\uxxxx escape \"\\u{hex}\""))?;
                out.push(unit);
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, String, u32)> {
        entries(text)
            .expect("valid")
            .into_iter()
            .map(|e| (e.key, e.value, e.line))
            .collect()
    }

    #[test]
    fn separators_comments_and_whitespace_follow_java_properties() {
        let text = "# comment\n! also\n\n  a = 1  \nb:2\nc 3\nd\t=\t4\ne\nf=x=y\r\n";
        let got = pairs(text);
        let want = [
            ("a", "1", 4),
            ("b", "2", 5),
            ("c", "3", 6),
            ("d", "4", 7),
            ("e", "", 8),
            ("f", "x=y", 9),
        ];
        let want: Vec<_> = want
            .iter()
            .map(|(k, v, l)| ((*k).to_owned(), (*v).to_owned(), *l))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn continuation_and_escapes_follow_java_properties() {
        let got = pairs("list=a,\\\n    b\nk\\=ey=v\\u0041\\\\\nz=\\q");
        assert_eq!(got[0], ("list".into(), "a,b".into(), 1));
        assert_eq!(got[1], ("k=ey".into(), "vA\\".into(), 3));
        assert_eq!(got[2], ("z".into(), "q".into(), 4));
        let err = entries("x=\\u12").unwrap_err();
        assert_eq!(err.line, 1);
    }
}
