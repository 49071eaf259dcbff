//! A sequential queue: items are sequential creates under a parent, consumed by delete.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::history::{Operation, Outcome};
use crate::model::{Model, ModelError, ModelOp, Transition};

/// The items of a queue znode. `key` is the parent's path; the history is split by it.
///
/// ZooKeeper names a sequential child with the parent's count of child creates before it
/// (`zookeeper-protocol.md` §7.2), so the state is that counter (0 for a fresh parent, which
/// must hold only queue items) and the set of sequence numbers present.
///
/// Operations (invoke `value` → `ok` `value`); a sequence number is an integer or a name whose
/// last 10 characters are its digits, such as `"item-0000000003"`:
/// - `enqueue` (create with the sequential flag): anything → the number given. Legal only if it
///   equals the counter. A failed `enqueue` is dropped; an unknown one may have applied.
/// - `dequeue` (delete of one item): the number → anything. `ok`: it was present. `fail`
///   (`NoNode`): it was absent (taken by another consumer). `info`: removed if present.
/// - `children`: anything → a list of numbers or names (any order).
#[derive(Clone, Copy, Debug, Default)]
pub struct SequentialQueue;

/// A queue operation's arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueInput {
    /// Create the next item.
    Enqueue,
    /// Delete this item.
    Dequeue(u64),
    /// List the items.
    Children,
}

/// A queue operation's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueueOutput {
    /// The sequence number an enqueue got.
    Enqueued(u64),
    /// Whether a dequeue deleted the item.
    Dequeued(bool),
    /// The items listed.
    Children(BTreeSet<u64>),
}

/// The queue's state.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct QueueState {
    /// The parent's count of child creates: the next sequence number.
    pub counter: u64,
    /// The items present.
    pub items: BTreeSet<u64>,
}

fn sequence(value: &Value) -> Result<u64, String> {
    if let Some(n) = value.as_u64() {
        return Ok(n);
    }
    let name = value
        .as_str()
        .ok_or_else(|| format!("expected a sequence number or name, got {value}"))?;
    let digits = name.get(name.len().saturating_sub(10)..).unwrap_or("");
    if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "`{name}` does not end in a 10-digit sequence number"
        ));
    }
    digits.parse().map_err(|e| format!("`{name}`: {e}"))
}

impl SequentialQueue {
    fn parse_inner(op: &Operation) -> Result<Option<(QueueInput, Option<QueueOutput>)>, String> {
        Ok(Some(match (op.f.as_str(), &op.outcome) {
            ("enqueue", Outcome::Ok(v)) => (
                QueueInput::Enqueue,
                Some(QueueOutput::Enqueued(sequence(v)?)),
            ),
            ("enqueue", Outcome::Info) => (QueueInput::Enqueue, None),
            ("enqueue" | "children", _) => return Ok(None),
            ("dequeue", o) => {
                let output = match o {
                    Outcome::Ok(_) => Some(QueueOutput::Dequeued(true)),
                    Outcome::Fail(_) => Some(QueueOutput::Dequeued(false)),
                    Outcome::Info => None,
                };
                (QueueInput::Dequeue(sequence(&op.args)?), output)
            }
            (f, _) => {
                return Err(format!(
                    "unknown operation `{f}` (expected enqueue, dequeue or children)"
                ))
            }
        }))
    }
}

impl Model for SequentialQueue {
    type State = QueueState;
    type Input = QueueInput;
    type Output = QueueOutput;

    fn name(&self) -> &'static str {
        "queue"
    }

    fn init(&self) -> QueueState {
        QueueState::default()
    }

    fn step(
        &self,
        state: &QueueState,
        input: &QueueInput,
        output: Option<&QueueOutput>,
    ) -> Transition<QueueState> {
        match (input, output) {
            (QueueInput::Enqueue, Some(QueueOutput::Enqueued(n))) if *n != state.counter => {
                Transition::Impossible
            }
            (QueueInput::Enqueue, _) => {
                let mut next = state.clone();
                next.items.insert(state.counter);
                next.counter += 1;
                Transition::To(next)
            }
            (QueueInput::Dequeue(n), output) => {
                let present = state.items.contains(n);
                if output.is_some_and(|o| *o != QueueOutput::Dequeued(present)) {
                    return Transition::Impossible;
                }
                if !present {
                    return Transition::Same;
                }
                let mut next = state.clone();
                next.items.remove(n);
                Transition::To(next)
            }
            (QueueInput::Children, Some(QueueOutput::Children(listed)))
                if *listed != state.items =>
            {
                Transition::Impossible
            }
            (QueueInput::Children, _) => Transition::Same,
        }
    }

    fn read_only(&self, input: &QueueInput, output: Option<&QueueOutput>) -> bool {
        match input {
            QueueInput::Children => true,
            QueueInput::Enqueue => false,
            QueueInput::Dequeue(_) => output == Some(&QueueOutput::Dequeued(false)),
        }
    }

    fn parse(&self, op: &Operation) -> Result<Option<ModelOp<Self>>, ModelError> {
        let err = |m: String| ModelError::new(self.name(), op, m);
        let key = op
            .key
            .clone()
            .ok_or_else(|| err("queue operations need a `key` (the parent path)".to_owned()))?;
        if op.f == "children" {
            let Outcome::Ok(v) = &op.outcome else {
                return Ok(None);
            };
            let list = v
                .as_array()
                .ok_or_else(|| err(format!("expected a list, got {v}")))?;
            let items = list
                .iter()
                .map(sequence)
                .collect::<Result<_, _>>()
                .map_err(err)?;
            return Ok(Some(ModelOp {
                key,
                input: QueueInput::Children,
                output: Some(QueueOutput::Children(items)),
            }));
        }
        Ok(Self::parse_inner(op)
            .map_err(err)?
            .map(|(input, output)| ModelOp { key, input, output }))
    }

    fn describe_op(&self, input: &QueueInput, output: Option<&QueueOutput>) -> String {
        let call = match input {
            QueueInput::Enqueue => "enqueue()".to_owned(),
            QueueInput::Dequeue(n) => format!("dequeue({n})"),
            QueueInput::Children => "children()".to_owned(),
        };
        match output {
            None => format!("{call} -> ?"),
            Some(QueueOutput::Enqueued(n)) => format!("{call} -> {n}"),
            Some(QueueOutput::Dequeued(ok)) => {
                format!("{call} -> {}", if *ok { "ok" } else { "fail" })
            }
            Some(QueueOutput::Children(items)) => format!("{call} -> {items:?}"),
        }
    }

    fn describe_state(&self, state: &QueueState) -> String {
        format!("next {} items {:?}", state.counter, state.items)
    }
}
