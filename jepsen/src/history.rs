//! Histories: the JSON-lines event format, its writer and reader, and pairing of events into
//! operations.
//!
//! One line is one [`Event`]. Lines are written in real-time order: an `invoke` line is
//! written before the request is sent, a completion line after the reply is received. The
//! checker takes the order of the lines as the real-time order; `time_ns` is only shown in
//! reports. See the crate documentation for the field-by-field description.

use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What an event says about its operation.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum EventType {
    /// The call: the client is about to send the request.
    Invoke,
    /// The operation completed and `value` is its result.
    Ok,
    /// The operation completed and definitely did not take effect. For conditional operations
    /// the model reads this as "the condition did not hold" (see each model).
    Fail,
    /// The outcome is unknown: it may have taken effect at any time after the call, or never.
    Info,
}

/// One line of a history.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Event {
    /// The client (process) that issued the operation; at most one operation is outstanding
    /// per process.
    pub process: u64,
    /// Invocation or kind of completion.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// The operation name, such as `read`, `write`, `cas`, `create`.
    pub f: String,
    /// The object the operation is on (a znode path, a map key); histories are split by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Arguments on `invoke`, the result on `ok`, an optional error name on `fail`/`info`.
    #[serde(default)]
    pub value: Value,
    /// The zxid the reply carried, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zxid: Option<u64>,
    /// Nanoseconds since the start of the test, when known (only shown in reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_ns: Option<u64>,
}

impl Event {
    /// An invocation event.
    pub fn invoke(process: u64, f: &str, key: Option<&str>, value: Value) -> Self {
        Self {
            process,
            kind: EventType::Invoke,
            f: f.to_owned(),
            key: key.map(str::to_owned),
            value,
            zxid: None,
            time_ns: None,
        }
    }

    /// A completion event of the given kind.
    pub fn complete(
        process: u64,
        kind: EventType,
        f: &str,
        key: Option<&str>,
        value: Value,
    ) -> Self {
        assert!(
            kind != EventType::Invoke,
            "a completion cannot be an invoke"
        );
        Self {
            kind,
            ..Self::invoke(process, f, key, value)
        }
    }
}

/// Errors while reading or pairing a history.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// A line could not be read or parsed.
    #[error("line {line}: {message}")]
    Parse {
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        message: String,
    },
    /// The underlying reader failed.
    #[error("reading history: {0}")]
    Io(#[from] std::io::Error),
    /// A completion arrived for a process with no outstanding invocation.
    #[error("event {event}: completion for process {process} without an invocation")]
    Unmatched {
        /// 0-based event index.
        event: usize,
        /// The process.
        process: u64,
    },
    /// A process invoked while it already had an outstanding operation.
    #[error("event {event}: process {process} invoked while an operation was outstanding")]
    Overlap {
        /// 0-based event index.
        event: usize,
        /// The process.
        process: u64,
    },
    /// A completion names another operation than its invocation.
    #[error("event {event}: completion `{got}` does not match invocation `{want}`")]
    Mismatch {
        /// 0-based event index.
        event: usize,
        /// The invoked operation.
        want: String,
        /// The completed operation.
        got: String,
    },
}

/// Writes a history as JSON lines. Used by the simulator and the real-process harness.
#[derive(Debug)]
pub struct HistoryWriter<W: Write> {
    out: W,
    events: u64,
}

impl<W: Write> HistoryWriter<W> {
    /// A writer onto `out` (wrap files in a `BufWriter`).
    pub const fn new(out: W) -> Self {
        Self { out, events: 0 }
    }

    /// Appends one event as a line.
    pub fn write(&mut self, event: &Event) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.out, event)?;
        self.out.write_all(b"\n")?;
        self.events += 1;
        Ok(())
    }

    /// The number of events written so far.
    pub const fn events(&self) -> u64 {
        self.events
    }

    /// Flushes and returns the inner writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Reads a JSON-lines history. Blank lines are skipped.
pub fn read_jsonl(input: impl BufRead) -> Result<Vec<Event>, HistoryError> {
    let mut events = Vec::new();
    for (index, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let event = serde_json::from_str(&line).map_err(|e| HistoryError::Parse {
            line: index + 1,
            message: e.to_string(),
        })?;
        events.push(event);
    }
    Ok(events)
}

/// How an operation ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Completed with this result.
    Ok(Value),
    /// Completed without taking effect (value: the error, if any).
    Fail(Value),
    /// Unknown, or never completed within the history.
    Info,
}

/// An invocation paired with its completion.
#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    /// The process that issued it.
    pub process: u64,
    /// The operation name.
    pub f: String,
    /// The object it is on.
    pub key: Option<String>,
    /// The invocation's value (the arguments).
    pub args: Value,
    /// How it ended.
    pub outcome: Outcome,
    /// Index of the invocation event in the history.
    pub call: usize,
    /// Index of the completion event; `None` for `info` and never-completed operations,
    /// whose effect may come at any time after the call.
    pub ret: Option<usize>,
    /// Index of the event that ended it, including an `info` completion (for reports).
    pub end: Option<usize>,
    /// The zxid of the completion, when known.
    pub zxid: Option<u64>,
    /// Time of the invocation, when known.
    pub call_time_ns: Option<u64>,
    /// Time of the completion, when known.
    pub end_time_ns: Option<u64>,
}

/// Pairs each invocation with the next completion of the same process. An invocation left
/// open at the end of the history becomes an `Info` operation.
pub fn pair(events: &[Event]) -> Result<Vec<Operation>, HistoryError> {
    let mut ops: Vec<Operation> = Vec::new();
    let mut open: rustc_hash::FxHashMap<u64, usize> = rustc_hash::FxHashMap::default();
    for (index, event) in events.iter().enumerate() {
        if event.kind == EventType::Invoke {
            if open.insert(event.process, ops.len()).is_some() {
                return Err(HistoryError::Overlap {
                    event: index,
                    process: event.process,
                });
            }
            ops.push(Operation {
                process: event.process,
                f: event.f.clone(),
                key: event.key.clone(),
                args: event.value.clone(),
                outcome: Outcome::Info,
                call: index,
                ret: None,
                end: None,
                zxid: None,
                call_time_ns: event.time_ns,
                end_time_ns: None,
            });
            continue;
        }
        let Some(at) = open.remove(&event.process) else {
            return Err(HistoryError::Unmatched {
                event: index,
                process: event.process,
            });
        };
        let op = &mut ops[at];
        if op.f != event.f {
            return Err(HistoryError::Mismatch {
                event: index,
                want: op.f.clone(),
                got: event.f.clone(),
            });
        }
        op.outcome = match event.kind {
            EventType::Ok => Outcome::Ok(event.value.clone()),
            EventType::Fail => Outcome::Fail(event.value.clone()),
            EventType::Info | EventType::Invoke => Outcome::Info,
        };
        op.ret = (event.kind != EventType::Info).then_some(index);
        op.end = Some(index);
        op.zxid = event.zxid;
        op.end_time_ns = event.time_ns;
    }
    Ok(ops)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn jsonl_round_trips_through_writer_and_reader() {
        let events = vec![
            Event::invoke(0, "write", Some("/r"), json!(3)),
            Event {
                zxid: Some(0x1_0000_0002),
                time_ns: Some(5),
                ..Event::complete(0, EventType::Ok, "write", Some("/r"), json!(3))
            },
        ];
        let mut writer = HistoryWriter::new(Vec::new());
        for e in &events {
            writer.write(e).expect("write to a Vec");
        }
        assert_eq!(writer.events(), 2);
        let bytes = writer.finish().expect("flush a Vec");
        let text = String::from_utf8(bytes).expect("json is utf-8");
        assert_eq!(text.lines().count(), 2);
        assert!(
            text.starts_with(r#"{"process":0,"type":"invoke","f":"write","key":"/r","value":3}"#)
        );
        assert_eq!(read_jsonl(text.as_bytes()).expect("valid"), events);
    }

    #[test]
    fn pair_matches_by_process_and_leaves_info_open() {
        let events = vec![
            Event::invoke(0, "write", None, json!(1)),
            Event::invoke(1, "read", None, json!(null)),
            Event::complete(0, EventType::Info, "write", None, json!("timeout")),
            Event::complete(1, EventType::Ok, "read", None, json!(1)),
            Event::invoke(2, "read", None, json!(null)),
        ];
        let ops = pair(&events).expect("well formed");
        assert_eq!(ops.len(), 3);
        assert_eq!((ops[0].call, ops[0].ret, ops[0].end), (0, None, Some(2)));
        assert_eq!(ops[1].outcome, Outcome::Ok(json!(1)));
        assert_eq!((ops[1].call, ops[1].ret), (1, Some(3)));
        assert_eq!(
            (ops[2].ret, ops[2].end, &ops[2].outcome),
            (None, None, &Outcome::Info)
        );
    }

    #[test]
    fn pair_rejects_malformed_histories() {
        let unmatched = [Event::complete(0, EventType::Ok, "read", None, json!(1))];
        assert!(matches!(
            pair(&unmatched),
            Err(HistoryError::Unmatched { .. })
        ));
        let overlap = [
            Event::invoke(0, "read", None, json!(null)),
            Event::invoke(0, "read", None, json!(null)),
        ];
        assert!(matches!(pair(&overlap), Err(HistoryError::Overlap { .. })));
        let mismatch = [
            Event::invoke(0, "read", None, json!(null)),
            Event::complete(0, EventType::Ok, "write", None, json!(1)),
        ];
        assert!(matches!(
            pair(&mismatch),
            Err(HistoryError::Mismatch { .. })
        ));
        assert!(matches!(
            read_jsonl("{nope".as_bytes()),
            Err(HistoryError::Parse { line: 1, .. })
        ));
    }
}
