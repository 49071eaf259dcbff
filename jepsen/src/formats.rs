//! Readers for the public histories in `shared/testdata/porcupine/`: the Jepsen etcd logs and
//! Porcupine's key-value logs. Both are turned into [`Event`]s with the meanings of our
//! JSON-lines format, so every checker path is the same after reading.

use std::io::BufRead;

use serde_json::Value;

use crate::history::{Event, EventType, HistoryError};

/// Reads a Jepsen etcd log (`INFO jepsen.util - <process> <type> <f> <value>` per line).
///
/// `:fail :cas` becomes a `fail` completion, which the register model reads as "the register
/// did not hold the expected value"; `:info` stays `info`; `:fail :read` becomes a `fail`
/// completion of a read, which carries no information and is dropped by the model.
pub fn read_etcd_log(input: impl BufRead) -> Result<Vec<Event>, HistoryError> {
    let mut events = Vec::new();
    for (index, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |message: &str| HistoryError::Parse {
            line: index + 1,
            message: message.to_owned(),
        };
        let mut fields = line.split_whitespace();
        if fields.next() != Some("INFO")
            || fields.next() != Some("jepsen.util")
            || fields.next() != Some("-")
        {
            return Err(bad("expected `INFO jepsen.util -` prefix"));
        }
        let process = fields
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| bad("bad process"))?;
        let kind = fields
            .next()
            .and_then(keyword_type)
            .ok_or_else(|| bad("bad event type"))?;
        let f = fields
            .next()
            .and_then(|f| f.strip_prefix(':'))
            .ok_or_else(|| bad("bad operation"))?;
        let rest: Vec<&str> = fields.collect();
        let value = etcd_value(&rest.join(" ")).ok_or_else(|| bad("bad value"))?;
        events.push(Event {
            process,
            kind,
            f: f.to_owned(),
            key: None,
            value,
            zxid: None,
            time_ns: None,
        });
    }
    Ok(events)
}

fn keyword_type(word: &str) -> Option<EventType> {
    match word {
        ":invoke" => Some(EventType::Invoke),
        ":ok" => Some(EventType::Ok),
        ":fail" => Some(EventType::Fail),
        ":info" => Some(EventType::Info),
        _ => None,
    }
}

fn etcd_value(text: &str) -> Option<Value> {
    if text == "nil" {
        return Some(Value::Null);
    }
    if let Some(word) = text.strip_prefix(':') {
        return Some(Value::String(word.to_owned()));
    }
    if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        let items: Option<Vec<Value>> = inner.split_whitespace().map(etcd_value).collect();
        return items.map(Value::Array);
    }
    text.parse::<i64>().ok().map(Value::from)
}

/// Reads a Porcupine key-value log (`{:process P, :type T, :f F, :key "K", :value V}` per
/// line). Operation names lose their leading `:`.
pub fn read_porcupine_kv(input: impl BufRead) -> Result<Vec<Event>, HistoryError> {
    let mut events = Vec::new();
    for (index, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |message: String| HistoryError::Parse {
            line: index + 1,
            message,
        };
        let fields = edn_map(&line).map_err(bad)?;
        let mut event = Event::invoke(0, "", None, Value::Null);
        let mut seen = 0;
        for (name, value) in fields {
            match (name, value) {
                ("process", EdnValue::Int(p)) => event.process = p,
                ("type", EdnValue::Keyword(t)) => {
                    event.kind = keyword_type(&format!(":{t}"))
                        .ok_or_else(|| bad(format!("bad type :{t}")))?;
                }
                ("f", EdnValue::Keyword(f)) => event.f = f.to_owned(),
                ("key", EdnValue::Str(k)) => event.key = Some(k.to_owned()),
                ("value", EdnValue::Str(v)) => event.value = Value::String(v.to_owned()),
                ("value", EdnValue::Nil) => event.value = Value::Null,
                (name, _) => return Err(bad(format!("unexpected field :{name}"))),
            }
            seen += 1;
        }
        if seen != 5 || event.f.is_empty() {
            return Err(bad(
                "expected :process, :type, :f, :key and :value".to_owned()
            ));
        }
        events.push(event);
    }
    Ok(events)
}

#[derive(Debug, PartialEq)]
enum EdnValue<'a> {
    Int(u64),
    Keyword(&'a str),
    Str(&'a str),
    Nil,
}

/// Splits `{:a 1, :b "x", :c :k}` into named values. Strings have no escapes in these logs.
fn edn_map(line: &str) -> Result<Vec<(&str, EdnValue<'_>)>, String> {
    let mut rest = line
        .trim()
        .strip_prefix('{')
        .and_then(|l| l.strip_suffix('}'))
        .ok_or("expected a {...} map")?;
    let mut fields = Vec::new();
    loop {
        rest = rest.trim_start_matches([',', ' ', '\t']);
        if rest.is_empty() {
            return Ok(fields);
        }
        let after_colon = rest.strip_prefix(':').ok_or("expected a :keyword name")?;
        let name_end = after_colon.find(' ').ok_or("a name without a value")?;
        let name = &after_colon[..name_end];
        let text = after_colon[name_end..].trim_start();
        let (value, tail) = edn_value(text)?;
        fields.push((name, value));
        rest = tail;
    }
}

fn edn_value(text: &str) -> Result<(EdnValue<'_>, &str), String> {
    if let Some(body) = text.strip_prefix('"') {
        let end = body.find('"').ok_or("unterminated string")?;
        if body[..end].contains('\\') {
            return Err("escapes in strings are not supported".to_owned());
        }
        return Ok((EdnValue::Str(&body[..end]), &body[end + 1..]));
    }
    let end = text.find([',', ' ']).unwrap_or(text.len());
    let (word, tail) = text.split_at(end);
    let value = match word {
        "nil" => EdnValue::Nil,
        w if w.starts_with(':') => EdnValue::Keyword(&w[1..]),
        w => EdnValue::Int(w.parse().map_err(|_| format!("bad value `{w}`"))?),
    };
    Ok((value, tail))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn etcd_lines_with_tabs_or_spaces_parse() {
        let log = "INFO  jepsen.util - 2\t:invoke\t:cas\t[2 4]\n\
                   INFO  jepsen.util - 4    :ok     :read   nil\n\
                   INFO  jepsen.util - 2\t:info\t:cas\t:timed-out\n\
                   INFO  jepsen.util - 7\t:ok\t:write\t3\n";
        let events = read_etcd_log(log.as_bytes()).expect("valid log");
        assert_eq!(events.len(), 4);
        assert_eq!(
            (events[0].process, events[0].kind, events[0].f.as_str()),
            (2, EventType::Invoke, "cas")
        );
        assert_eq!(events[0].value, json!([2, 4]));
        assert_eq!(events[1].value, Value::Null);
        assert_eq!(
            (events[2].kind, &events[2].value),
            (EventType::Info, &json!("timed-out"))
        );
        assert_eq!(events[3].value, json!(3));
        assert!(read_etcd_log("WARN x - 1 :ok :read nil".as_bytes()).is_err());
        assert!(read_etcd_log("INFO  jepsen.util - 1 :ok :read [1".as_bytes()).is_err());
    }

    #[test]
    fn porcupine_kv_lines_parse() {
        let log = "{:process 6, :type :invoke, :f :append, :key \"0\", :value \"x 6 0 y\"}\n\
                   {:process 6, :type :ok, :f :get, :key \"3\", :value \"\"}\n\
                   {:process 1, :type :invoke, :f :get, :key \"3\", :value nil}\n";
        let events = read_porcupine_kv(log.as_bytes()).expect("valid log");
        assert_eq!(
            events[0],
            Event::invoke(6, "append", Some("0"), json!("x 6 0 y"))
        );
        assert_eq!(events[1].value, json!(""));
        assert_eq!((events[2].process, &events[2].value), (1, &Value::Null));
        assert!(read_porcupine_kv("{:process 6}".as_bytes()).is_err());
        assert!(read_porcupine_kv(
            "{:process 6, :type :ok, :f :get, :key \"3, :value nil}".as_bytes()
        )
        .is_err());
    }
}
