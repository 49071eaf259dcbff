//! A reader for Java `.properties` text, following the rules of `java.util.Properties.load`:
//! `#` and `!` comment lines, `=`, `:` or whitespace between key and value, a trailing odd
//! backslash continues the line, and the escapes `\t`, `\n`, `\r`, `\f`, `\uXXXX` (any other
//! escaped character stands for itself). Lines end at `\n`, `\r` or `\r\n`. ZooKeeper then trims
//! key and value with `String.trim`, and so do we. Checked against OpenJDK 17's
//! `Properties.load` on 5,040 generated inputs (see the tests).

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
    for (line, logical) in logical_lines(text) {
        let (key, value) = split_key_value(&logical);
        let key = unescape(key).map_err(|problem| SyntaxError { line, problem })?;
        let value = unescape(value).map_err(|problem| SyntaxError { line, problem })?;
        out.push(Entry {
            key: java_trim(&key).to_owned(),
            value: java_trim(&value).to_owned(),
            line,
        });
    }
    Ok(out)
}

/// Java's `String.trim`: drops every char up to U+0020 at both ends (not Unicode spaces).
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

const fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\x0c')
}

/// The 1-based physical line of every char: `\n`, `\r` and `\r\n` each end one line.
fn line_numbers(chars: &[char]) -> Vec<u32> {
    let mut line = 1u32;
    let mut numbers = Vec::with_capacity(chars.len());
    for (i, &c) in chars.iter().enumerate() {
        numbers.push(line);
        let crlf_half = c == '\r' && chars.get(i + 1) == Some(&'\n');
        if (c == '\n' || c == '\r') && !crlf_half {
            line = line.saturating_add(1);
        }
    }
    numbers
}

/// Java's `Properties.LineReader`: logical lines with their first physical line. Leading blanks
/// and blank lines are skipped, a line whose first char is `#` or `!` is a comment (never
/// continued), and an odd run of backslashes before the end of a line joins the next line with
/// its leading blanks removed (a blank next line ends the logical line).
fn logical_lines(text: &str) -> Vec<(u32, String)> {
    let chars: Vec<char> = text.chars().collect();
    let numbers = line_numbers(&chars);
    let mut out = Vec::new();
    let mut buf = String::new();
    let mut first_line = 1;
    let (mut skip_blanks, mut joined, mut backslash) = (true, false, false);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        let eol = c == '\n' || c == '\r';
        if skip_blanks {
            if is_blank(c) || (!joined && eol) {
                continue;
            }
            skip_blanks = false;
            joined = false;
        }
        if buf.is_empty() && (c == '#' || c == '!') {
            while i < chars.len() && !matches!(chars[i - 1], '\n' | '\r') {
                i += 1;
            }
            skip_blanks = true;
            continue;
        }
        if !eol {
            if buf.is_empty() {
                first_line = numbers[i - 1];
            }
            buf.push(c);
            backslash = c == '\\' && !backslash;
            continue;
        }
        if buf.is_empty() {
            skip_blanks = true;
            continue;
        }
        if backslash {
            buf.pop();
            backslash = false;
            if i < chars.len() {
                skip_blanks = true;
                joined = true;
                if c == '\r' && chars.get(i) == Some(&'\n') {
                    i += 1;
                }
                continue;
            }
        }
        out.push((first_line, std::mem::take(&mut buf)));
        skip_blanks = true;
    }
    if !buf.is_empty() {
        // A lone trailing backslash still makes an (empty) entry, as in Java.
        if backslash {
            buf.pop();
        }
        out.push((first_line, buf));
    }
    out
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
    // Java builds UTF-16: two `\\u` escapes may form a surrogate pair. A lone surrogate, which
    // a Rust string cannot hold, becomes U+FFFD.
    let mut units: Vec<u16> = Vec::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut pair = [0u16; 2];
            units.extend_from_slice(c.encode_utf16(&mut pair));
            continue;
        }
        let escaped = match chars.next() {
            Some('t') => '\t',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('f') => '\x0c',
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                if hex.len() != 4 || !hex.chars().all(|h| h.is_ascii_hexdigit()) {
                    return Err(format!("malformed \\uxxxx escape \"\\u{hex}\""));
                }
                units.push(u16::from_str_radix(&hex, 16).expect("four hex digits"));
                continue;
            }
            Some(other) => other,
            None => continue,
        };
        let mut pair = [0u16; 2];
        units.extend_from_slice(escaped.encode_utf16(&mut pair));
    }
    Ok(char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect())
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
    fn line_numbers_count_crlf_cr_and_lf_once_each() {
        let got = pairs("a=1\r\nb=2\rc=3\n\nd=\\\r\n  4\ne=5\n# x\r\n\\\n");
        let lines: Vec<(&str, &str, u32)> = got
            .iter()
            .map(|(k, v, l)| (k.as_str(), v.as_str(), *l))
            .collect();
        assert_eq!(
            lines,
            [
                ("a", "1", 1),
                ("b", "2", 2),
                ("c", "3", 3),
                ("d", "4", 5),
                ("e", "5", 7),
                ("", "", 9)
            ]
        );
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

#[cfg(test)]
#[path = "properties_java_cases.rs"]
mod java_cases;
