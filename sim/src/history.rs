//! What the simulated clients did: every operation from invoke to completion, every watch
//! event and every session change, in a plain form that converts to `zoorepl-jepsen` events
//! (and, later, to the zxid-witness checker's input: session, op, path, args, outcome, reply
//! zxid and times are all here).

use serde_json::{json, Value};
use zoorepl_core::proto::{MultiResult, Request, Response, WatcherEvent};
use zoorepl_jepsen::{Event, EventType};

/// How an operation ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// No reply yet.
    Pending,
    /// The server answered with success and this body.
    Ok(Response),
    /// The server answered with this error code: the operation did not take effect.
    Fail(i32),
    /// The connection was lost first: it may or may not have taken effect.
    Info,
}

/// One client operation.
#[derive(Clone, Debug)]
pub struct OpRecord {
    /// The client that issued it.
    pub client: usize,
    /// A history process id: at most one operation of a process is outstanding at a time.
    pub process: u64,
    /// The session it was sent on.
    pub session: i64,
    /// The server it was sent to.
    pub server: usize,
    /// The request's xid.
    pub xid: i32,
    /// The request as sent.
    pub request: Request,
    /// Virtual time of the send, ms.
    pub invoke_ms: u64,
    /// Virtual time of the reply or of the connection loss, ms.
    pub complete_ms: Option<u64>,
    /// What happened.
    pub outcome: Outcome,
    /// The zxid in the reply header.
    pub zxid: Option<i64>,
}

/// One watch notification received.
#[derive(Clone, Debug)]
pub struct WatchRecord {
    /// The client.
    pub client: usize,
    /// Its session.
    pub session: i64,
    /// Virtual time of arrival, ms.
    pub time_ms: u64,
    /// The zxid in the notification header.
    pub zxid: i64,
    /// The connection it came on.
    pub conn: u64,
    /// The event.
    pub event: WatcherEvent,
}

/// A session-level change seen by a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionChange {
    /// A new session was established.
    Created(i64),
    /// The session was resumed on another connection.
    Resumed(i64),
    /// The server said the session is gone (expired or closed).
    Lost(i64),
}

/// A whole run's client history.
#[derive(Clone, Debug, Default)]
pub struct History {
    /// Operations, in invoke order.
    pub ops: Vec<OpRecord>,
    /// Watch events, in arrival order.
    pub watches: Vec<WatchRecord>,
    /// Session changes as (time ms, client, change).
    pub sessions: Vec<(u64, usize, SessionChange)>,
}

/// The name of an operation (the history's `f`).
#[must_use]
pub fn op_name(req: &Request) -> &'static str {
    match req {
        Request::Create { .. } => "create",
        Request::Delete { .. } => "delete",
        Request::SetData { .. } => "set",
        Request::GetData { .. } => "get",
        Request::Exists { .. } => "exists",
        Request::GetChildren { .. } | Request::GetChildren2 { .. } => "children",
        Request::Sync { .. } => "sync",
        Request::Multi(_) => "multi",
        Request::CloseSession => "close",
        _ => "other",
    }
}

fn args(req: &Request) -> Value {
    match req {
        Request::Create { req, .. } => {
            json!({"data": data(req.data.as_deref()), "flags": req.flags})
        }
        Request::SetData {
            data: d, version, ..
        } => {
            json!({"data": data(d.as_deref()), "version": version})
        }
        Request::Delete { version, .. } => json!({ "version": version }),
        Request::Multi(ops) => json!(ops
            .iter()
            .map(|o| format!("{:?}", o.op()))
            .collect::<Vec<_>>()),
        _ => Value::Null,
    }
}

fn data(d: Option<&[u8]>) -> Value {
    d.map_or(Value::Null, |b| {
        Value::String(String::from_utf8_lossy(b).into_owned())
    })
}

fn result(body: &Response) -> Value {
    match body {
        Response::Create { path } => json!({ "path": path }),
        Response::Create2 { path, stat } => json!({"path": path, "version": stat.version}),
        Response::GetData { data: d, stat } => {
            json!({"data": data(d.as_deref()), "version": stat.version, "mzxid": stat.mzxid})
        }
        Response::Exists { stat } | Response::SetData { stat } => json!({"version": stat.version}),
        Response::GetChildren { children } | Response::GetChildren2 { children, .. } => {
            json!(children)
        }
        Response::Multi(results) => json!(results
            .iter()
            .map(|r| matches!(r, MultiResult::Error { .. }))
            .collect::<Vec<_>>()),
        _ => Value::Null,
    }
}

impl History {
    /// Operations without an outcome yet.
    #[must_use]
    pub fn pending(&self) -> usize {
        self.ops
            .iter()
            .filter(|o| o.outcome == Outcome::Pending)
            .count()
    }

    /// The history as `zoorepl-jepsen` events, in real-time order (an operation still pending
    /// ends as `info` after everything else).
    #[must_use]
    pub fn to_jepsen(&self) -> Vec<Event> {
        let mut timed: Vec<(u64, usize, Event)> = Vec::with_capacity(self.ops.len() * 2);
        for (i, op) in self.ops.iter().enumerate() {
            let f = op_name(&op.request);
            let key = op.request.path();
            let mut invoke = Event::invoke(op.process, f, key, args(&op.request));
            invoke.time_ns = Some(op.invoke_ms * 1_000_000);
            timed.push((op.invoke_ms, 2 * i, invoke));
            let (kind, value) = match &op.outcome {
                Outcome::Ok(body) => (EventType::Ok, result(body)),
                Outcome::Fail(code) => (EventType::Fail, json!(code)),
                Outcome::Info | Outcome::Pending => (EventType::Info, Value::Null),
            };
            let mut done = Event::complete(op.process, kind, f, key, value);
            done.zxid = op.zxid.and_then(|z| u64::try_from(z).ok());
            let at = op.complete_ms.unwrap_or(u64::MAX);
            done.time_ns = op.complete_ms.map(|ms| ms * 1_000_000);
            timed.push((at, 2 * i + 1, done));
        }
        timed.sort_by_key(|(t, i, _)| (*t, *i));
        timed.into_iter().map(|(_, _, e)| e).collect()
    }
}
