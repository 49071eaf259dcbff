//! A set of znodes: the children of one parent, with create, delete, exists and children.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::history::{Operation, Outcome};
use crate::model::{Model, ModelError, ModelOp, Transition};

/// The children of a parent znode, as a set of names, starting empty. `key` is the path the
/// ZooKeeper call was made on: the child's path for `create`, `delete` and `exists`, the
/// parent's for `children`. The history is split by parent.
///
/// Operations (invoke `value` → `ok` `value`):
/// - `create`: anything → anything. `ok`: the node was created (it was absent). `fail`
///   (`NodeExists`): it was present. `info`: created if absent.
/// - `delete`: anything → anything. `ok`: it was present and is gone. `fail` (`NoNode`): it
///   was absent. `info`: deleted if present.
/// - `exists`: anything → `true`/`false`. A failed or unknown `exists` is dropped.
/// - `children`: anything → a list of child names (any order). Dropped when failed or unknown.
#[derive(Clone, Copy, Debug, Default)]
pub struct ZnodeSet;

/// A set operation's arguments (the parent is the partition).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetInput {
    /// Create the child.
    Create(String),
    /// Delete the child.
    Delete(String),
    /// Ask whether the child exists.
    Exists(String),
    /// List the children.
    Children,
}

/// A set operation's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetOutput {
    /// Whether a create or delete applied (`false`: `NodeExists` / `NoNode`).
    Applied(bool),
    /// What `exists` answered.
    Exists(bool),
    /// What `children` listed.
    Children(BTreeSet<String>),
}

/// Splits `/a/b/c` into (`/a/b`, `c`) and `/c` into (`/`, `c`).
pub(crate) fn split_path(path: &str) -> Result<(&str, &str), String> {
    let cut = path
        .rfind('/')
        .ok_or_else(|| format!("`{path}` is not an absolute path"))?;
    let parent = if cut == 0 { "/" } else { &path[..cut] };
    let name = &path[cut + 1..];
    if name.is_empty() {
        return Err(format!("`{path}` has no child name"));
    }
    Ok((parent, name))
}

fn names(value: &Value) -> Result<BTreeSet<String>, String> {
    let list = value
        .as_array()
        .ok_or_else(|| format!("expected a list of names, got {value}"))?;
    list.iter()
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("expected a name, got {v}"))
        })
        .collect()
}

impl ZnodeSet {
    fn parse_inner(op: &Operation) -> Result<Option<ModelOp<Self>>, String> {
        let path = op
            .key
            .as_deref()
            .ok_or("set operations need a `key` (the znode path)")?;
        if op.f == "children" {
            let Outcome::Ok(v) = &op.outcome else {
                return Ok(None);
            };
            let output = Some(SetOutput::Children(names(v)?));
            return Ok(Some(ModelOp {
                key: path.to_owned(),
                input: SetInput::Children,
                output,
            }));
        }
        let (parent, name) = split_path(path)?;
        let name = name.to_owned();
        let (input, output) = match (op.f.as_str(), &op.outcome) {
            ("create", o) => (SetInput::Create(name), applied(o)),
            ("delete", o) => (SetInput::Delete(name), applied(o)),
            ("exists", Outcome::Ok(v)) => {
                let found = v
                    .as_bool()
                    .ok_or_else(|| format!("exists returns true or false, got {v}"))?;
                (SetInput::Exists(name), Some(SetOutput::Exists(found)))
            }
            ("exists", _) => return Ok(None),
            (f, _) => {
                return Err(format!(
                    "unknown operation `{f}` (expected create, delete, exists or children)"
                ))
            }
        };
        Ok(Some(ModelOp {
            key: parent.to_owned(),
            input,
            output,
        }))
    }
}

fn applied(outcome: &Outcome) -> Option<SetOutput> {
    match outcome {
        Outcome::Ok(_) => Some(SetOutput::Applied(true)),
        Outcome::Fail(_) => Some(SetOutput::Applied(false)),
        Outcome::Info => None,
    }
}

impl Model for ZnodeSet {
    type State = BTreeSet<String>;
    type Input = SetInput;
    type Output = SetOutput;

    fn name(&self) -> &'static str {
        "set"
    }

    fn init(&self) -> BTreeSet<String> {
        BTreeSet::new()
    }

    fn step(
        &self,
        state: &BTreeSet<String>,
        input: &SetInput,
        output: Option<&SetOutput>,
    ) -> Transition<BTreeSet<String>> {
        let expect = |ok: bool| match output {
            None => true,
            Some(o) => *o == SetOutput::Applied(ok),
        };
        match input {
            SetInput::Create(name) | SetInput::Delete(name) => {
                let present = state.contains(name);
                let applies = matches!(input, SetInput::Create(_)) != present;
                if !expect(applies) {
                    return Transition::Impossible;
                }
                if !applies {
                    return Transition::Same;
                }
                let mut next = state.clone();
                if present {
                    next.remove(name);
                } else {
                    next.insert(name.clone());
                }
                Transition::To(next)
            }
            SetInput::Exists(name) => match output {
                Some(SetOutput::Exists(found)) if *found != state.contains(name) => {
                    Transition::Impossible
                }
                _ => Transition::Same,
            },
            SetInput::Children => match output {
                Some(SetOutput::Children(listed)) if listed != state => Transition::Impossible,
                _ => Transition::Same,
            },
        }
    }

    fn read_only(&self, input: &SetInput, output: Option<&SetOutput>) -> bool {
        match input {
            SetInput::Exists(_) | SetInput::Children => true,
            SetInput::Create(_) | SetInput::Delete(_) => output == Some(&SetOutput::Applied(false)),
        }
    }

    fn parse(&self, op: &Operation) -> Result<Option<ModelOp<Self>>, ModelError> {
        Self::parse_inner(op).map_err(|m| ModelError::new(self.name(), op, m))
    }

    fn describe_op(&self, input: &SetInput, output: Option<&SetOutput>) -> String {
        let call = match input {
            SetInput::Create(n) => format!("create({n})"),
            SetInput::Delete(n) => format!("delete({n})"),
            SetInput::Exists(n) => format!("exists({n})"),
            SetInput::Children => "children()".to_owned(),
        };
        match output {
            None => format!("{call} -> ?"),
            Some(SetOutput::Applied(ok)) => {
                format!("{call} -> {}", if *ok { "ok" } else { "fail" })
            }
            Some(SetOutput::Exists(found)) => format!("{call} -> {found}"),
            Some(SetOutput::Children(names)) => format!("{call} -> {}", self.describe_state(names)),
        }
    }

    fn describe_state(&self, state: &BTreeSet<String>) -> String {
        format!(
            "{{{}}}",
            state
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}
