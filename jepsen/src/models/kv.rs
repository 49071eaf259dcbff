//! A key-value map of strings with get, put and append, checked one key at a time.

use crate::history::{Operation, Outcome};
use crate::model::{string, Model, ModelError, ModelOp, Transition};

/// A map from string keys to string values; a missing key reads as `""`. Operations on
/// different keys commute, so the checker splits the history by `key` and each partition's
/// state is one string.
///
/// Operations (invoke `value` → `ok` `value`): `get`: `null` → the string read;
/// `put`: `s` → anything; `append`: `s` → anything. A failed or unknown `get` and a failed
/// `put`/`append` are dropped; an unknown `put`/`append` may have applied.
#[derive(Clone, Copy, Debug, Default)]
pub struct KvMap;

/// A key-value operation's arguments (the key is the partition).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KvInput {
    /// Read the key's value.
    Get,
    /// Replace the value.
    Put(String),
    /// Concatenate onto the value.
    Append(String),
}

/// A key-value operation's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KvOutput {
    /// What a get returned.
    Value(String),
    /// A put or append completed.
    Done,
}

impl Model for KvMap {
    type State = String;
    type Input = KvInput;
    type Output = KvOutput;

    fn name(&self) -> &'static str {
        "kv"
    }

    fn init(&self) -> String {
        String::new()
    }

    fn step(
        &self,
        state: &String,
        input: &KvInput,
        output: Option<&KvOutput>,
    ) -> Transition<String> {
        match (input, output) {
            (KvInput::Get, Some(KvOutput::Value(v))) if v != state => Transition::Impossible,
            (KvInput::Get, _) => Transition::Same,
            (KvInput::Put(v), _) if v == state => Transition::Same,
            (KvInput::Put(v), _) => Transition::To(v.clone()),
            (KvInput::Append(v), _) if v.is_empty() => Transition::Same,
            (KvInput::Append(v), _) => {
                let mut next = String::with_capacity(state.len() + v.len());
                next.push_str(state);
                next.push_str(v);
                Transition::To(next)
            }
        }
    }

    fn read_only(&self, input: &KvInput, _output: Option<&KvOutput>) -> bool {
        *input == KvInput::Get
    }

    fn parse(&self, op: &Operation) -> Result<Option<ModelOp<Self>>, ModelError> {
        let err = |m: String| ModelError::new(self.name(), op, m);
        let key = op
            .key
            .clone()
            .ok_or_else(|| err("kv operations need a `key`".to_owned()))?;
        let (input, output) = match (op.f.as_str(), &op.outcome) {
            ("get", Outcome::Ok(v)) => (
                KvInput::Get,
                Some(KvOutput::Value(string(v).map_err(err)?.to_owned())),
            ),
            ("get", _) | ("put" | "append", Outcome::Fail(_)) => return Ok(None),
            ("put", o) => (
                KvInput::Put(string(&op.args).map_err(err)?.to_owned()),
                done(o),
            ),
            ("append", o) => (
                KvInput::Append(string(&op.args).map_err(err)?.to_owned()),
                done(o),
            ),
            (f, _) => {
                return Err(err(format!(
                    "unknown operation `{f}` (expected get, put or append)"
                )))
            }
        };
        Ok(Some(ModelOp { key, input, output }))
    }

    fn describe_op(&self, input: &KvInput, output: Option<&KvOutput>) -> String {
        let call = match input {
            KvInput::Get => "get()".to_owned(),
            KvInput::Put(v) => format!("put({v:?})"),
            KvInput::Append(v) => format!("append({v:?})"),
        };
        match output {
            None => format!("{call} -> ?"),
            Some(KvOutput::Value(v)) => format!("{call} -> {v:?}"),
            Some(KvOutput::Done) => call,
        }
    }

    fn describe_state(&self, state: &String) -> String {
        format!("{state:?}")
    }
}

fn done(outcome: &Outcome) -> Option<KvOutput> {
    matches!(outcome, Outcome::Ok(_)).then_some(KvOutput::Done)
}
