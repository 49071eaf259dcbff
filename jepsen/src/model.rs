//! The sequential specification a history is checked against.

use std::fmt::Debug;
use std::hash::Hash;

use serde_json::Value;

use crate::history::Operation;

/// A sequential specification: states, and which (input, output) steps are legal in each.
///
/// The checker interns states and remembers each `(state, operation)` step, so `step` runs
/// at most once per distinct pair and states may be large (strings, sets).
pub trait Model: Sync {
    /// The state of the object(s) in one partition.
    type State: Clone + Eq + Hash + Debug + Send + Sync;
    /// An operation's arguments.
    type Input: Debug + Send + Sync;
    /// An operation's result.
    type Output: Debug + Send + Sync;

    /// The name used on the command line and in reports.
    fn name(&self) -> &'static str;

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// What `input` producing `output` does in `state`. `output == None` means the result
    /// is unknown: then the operation applies with whatever result the state gives, and this
    /// must not return `Transition::Impossible`.
    fn step(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: Option<&Self::Output>,
    ) -> Transition<Self::State>;

    /// Whether the operation, with this result, leaves the state unchanged in every state
    /// where it is possible (a read; a CAS that failed). The checker then linearizes it as
    /// soon as it can, without trying other orders. `false` is always safe.
    fn read_only(&self, input: &Self::Input, output: Option<&Self::Output>) -> bool {
        let _ = (input, output);
        false
    }

    /// Converts a history operation. `Ok(None)` drops it: it neither changed nor observed
    /// the state (a failed write, a read with an unknown result).
    fn parse(&self, op: &Operation) -> Result<Option<ModelOp<Self>>, ModelError>;

    /// A short human description of one operation, for reports.
    fn describe_op(&self, input: &Self::Input, output: Option<&Self::Output>) -> String;

    /// A short human description of a state, for reports.
    fn describe_state(&self, state: &Self::State) -> String;
}

/// The effect of one step of a model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transition<S> {
    /// The output cannot happen in this state.
    Impossible,
    /// The output is possible and the state does not change (reads, failed conditions).
    Same,
    /// The output is possible and this is the new state.
    To(S),
}

/// One operation as a model sees it.
#[derive(Debug)]
pub struct ModelOp<M: Model + ?Sized> {
    /// The partition: operations with different keys are independent (P-compositionality).
    pub key: String,
    /// The arguments.
    pub input: M::Input,
    /// The result; `None` when unknown (`info`).
    pub output: Option<M::Output>,
}

/// An operation the model does not understand.
#[derive(Debug, thiserror::Error)]
#[error("{model} model: operation `{f}` invoked at event {call}: {message}")]
pub struct ModelError {
    /// The model's name.
    pub model: &'static str,
    /// The operation name.
    pub f: String,
    /// The invocation's event index.
    pub call: usize,
    /// What was wrong.
    pub message: String,
}

impl ModelError {
    /// An error about `op`.
    pub fn new(model: &'static str, op: &Operation, message: impl Into<String>) -> Self {
        Self {
            model,
            f: op.f.clone(),
            call: op.call,
            message: message.into(),
        }
    }
}

/// Reads an optional integer (`null` is `None`).
pub(crate) fn opt_int(value: &Value) -> Result<Option<i64>, String> {
    match value {
        Value::Null => Ok(None),
        v => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| format!("expected an integer or null, got {v}")),
    }
}

/// Reads an integer.
pub(crate) fn int(value: &Value) -> Result<i64, String> {
    value
        .as_i64()
        .ok_or_else(|| format!("expected an integer, got {value}"))
}

/// Reads a string.
pub(crate) fn string(value: &Value) -> Result<&str, String> {
    value
        .as_str()
        .ok_or_else(|| format!("expected a string, got {value}"))
}
