//! A register: a znode's data, with read, write and compare-and-set.

use serde_json::Value;

use crate::history::{Operation, Outcome};
use crate::model::{int, opt_int, Model, ModelError, ModelOp, Transition};

/// A register holding an integer, or nothing before the first write. Histories are split by
/// `key` (the znode path), so one history may hold many registers.
///
/// Operations (event `value` on invoke → on `ok`):
/// - `read`: `null` → the value (`null` when never written), or `{"value": v, "version": n}`
///   to also check the znode's data version. A failed or unknown read is dropped.
/// - `write`: `v` → anything. A failed write is dropped; an unknown one may have applied.
/// - `cas`: `[a, b]` (compare the value with `a`, as etcd does) or `{"version": n, "value": b}`
///   (ZooKeeper `setData` with an expected version) → anything. `ok` means it applied; `fail`
///   means the guard did not hold (`BadVersion`); `info` means either.
///
/// Versions start at 0 and every applied write or CAS adds 1, like a znode's data version.
/// They are tracked only when the model is built `with_versions` (or `for_history` sees
/// them), because tracking them splits states that are otherwise equal and slows the search.
#[derive(Clone, Copy, Debug, Default)]
pub struct Register {
    versions: bool,
}

/// A register operation's arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegisterInput {
    /// Read the value.
    Read,
    /// Set the value.
    Write(i64),
    /// Set the value to `new` if the guard holds.
    Cas {
        /// What must hold.
        guard: CasGuard,
        /// The value to set.
        new: i64,
    },
}

/// The condition of a compare-and-set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CasGuard {
    /// The register holds this value.
    Value(i64),
    /// The register's version is this.
    Version(u64),
}

/// A register operation's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegisterOutput {
    /// What a read returned; the version only when the history recorded it.
    Read {
        /// The value (`None`: never written).
        value: Option<i64>,
        /// The data version, when recorded.
        version: Option<u64>,
    },
    /// A write completed.
    Written,
    /// Whether a compare-and-set applied.
    Cas(bool),
}

/// The register's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RegisterState {
    /// The value (`None`: never written).
    pub value: Option<i64>,
    /// The data version (always 0 when versions are not tracked).
    pub version: u64,
}

impl Register {
    /// A register that compares values only.
    pub const fn new() -> Self {
        Self { versions: false }
    }

    /// A register that also tracks the data version.
    pub const fn with_versions() -> Self {
        Self { versions: true }
    }

    /// Tracks versions when any operation of the history mentions one.
    pub fn for_history(ops: &[Operation]) -> Self {
        let mentions = |v: &Value| v.get("version").is_some();
        let versions = ops
            .iter()
            .any(|op| mentions(&op.args) || matches!(&op.outcome, Outcome::Ok(v) if mentions(v)));
        Self { versions }
    }

    fn parse_read(self, op: &Operation) -> Result<Option<ModelOp<Self>>, String> {
        let Outcome::Ok(result) = &op.outcome else {
            return Ok(None);
        };
        let (value, version) = match result {
            Value::Object(fields) => {
                let value = opt_int(fields.get("value").unwrap_or(&Value::Null))?;
                let version = fields.get("version").map(version_of).transpose()?;
                (value, version)
            }
            v => (opt_int(v)?, None),
        };
        Ok(Some(self.op(
            op,
            RegisterInput::Read,
            Some(RegisterOutput::Read { value, version }),
        )))
    }

    fn parse_cas(self, op: &Operation) -> Result<Option<ModelOp<Self>>, String> {
        let input = match &op.args {
            Value::Array(pair) if pair.len() == 2 => RegisterInput::Cas {
                guard: CasGuard::Value(int(&pair[0])?),
                new: int(&pair[1])?,
            },
            Value::Object(fields) => {
                let version = version_of(fields.get("version").ok_or("cas needs `version`")?)?;
                if !self.versions {
                    return Err("a version guard needs a register built with versions".to_owned());
                }
                let new = int(fields.get("value").ok_or("cas needs `value`")?)?;
                RegisterInput::Cas {
                    guard: CasGuard::Version(version),
                    new,
                }
            }
            v => {
                return Err(format!(
                    "cas expects [from, to] or {{version, value}}, got {v}"
                ))
            }
        };
        let output = match op.outcome {
            Outcome::Ok(_) => Some(RegisterOutput::Cas(true)),
            Outcome::Fail(_) => Some(RegisterOutput::Cas(false)),
            Outcome::Info => None,
        };
        Ok(Some(self.op(op, input, output)))
    }

    fn op(
        self,
        op: &Operation,
        input: RegisterInput,
        output: Option<RegisterOutput>,
    ) -> ModelOp<Self> {
        ModelOp {
            key: op.key.clone().unwrap_or_default(),
            input,
            output,
        }
    }
}

fn version_of(value: &Value) -> Result<u64, String> {
    value
        .as_u64()
        .ok_or_else(|| format!("expected a version, got {value}"))
}

impl Model for Register {
    type State = RegisterState;
    type Input = RegisterInput;
    type Output = RegisterOutput;

    fn name(&self) -> &'static str {
        "register"
    }

    fn init(&self) -> RegisterState {
        RegisterState {
            value: None,
            version: 0,
        }
    }

    fn step(
        &self,
        s: &RegisterState,
        input: &RegisterInput,
        output: Option<&RegisterOutput>,
    ) -> Transition<RegisterState> {
        let bump = u64::from(self.versions);
        let write = |value: i64| RegisterState {
            value: Some(value),
            version: s.version + bump,
        };
        match (input, output) {
            (RegisterInput::Read, Some(RegisterOutput::Read { value, version })) => {
                let version_ok = !self.versions || version.is_none_or(|v| v == s.version);
                if *value == s.value && version_ok {
                    Transition::Same
                } else {
                    Transition::Impossible
                }
            }
            (RegisterInput::Read, _) => Transition::Same,
            (RegisterInput::Write(v), _) => Transition::To(write(*v)),
            (RegisterInput::Cas { guard, new }, output) => {
                let holds = match guard {
                    CasGuard::Value(a) => s.value == Some(*a),
                    CasGuard::Version(n) => s.version == *n,
                };
                if output.is_some_and(|o| *o != RegisterOutput::Cas(holds)) {
                    Transition::Impossible
                } else if holds {
                    Transition::To(write(*new))
                } else {
                    Transition::Same
                }
            }
        }
    }

    fn read_only(&self, input: &RegisterInput, output: Option<&RegisterOutput>) -> bool {
        match input {
            RegisterInput::Read => true,
            RegisterInput::Write(_) => false,
            RegisterInput::Cas { .. } => output == Some(&RegisterOutput::Cas(false)),
        }
    }

    fn parse(&self, op: &Operation) -> Result<Option<ModelOp<Self>>, ModelError> {
        let parsed = match op.f.as_str() {
            "read" => self.parse_read(op),
            "write" => match op.outcome {
                Outcome::Fail(_) => Ok(None),
                Outcome::Ok(_) => int(&op.args).map(|v| {
                    Some(self.op(op, RegisterInput::Write(v), Some(RegisterOutput::Written)))
                }),
                Outcome::Info => {
                    int(&op.args).map(|v| Some(self.op(op, RegisterInput::Write(v), None)))
                }
            },
            "cas" => self.parse_cas(op),
            other => Err(format!(
                "unknown operation `{other}` (expected read, write or cas)"
            )),
        };
        parsed.map_err(|message| ModelError::new(self.name(), op, message))
    }

    fn describe_op(&self, input: &RegisterInput, output: Option<&RegisterOutput>) -> String {
        let show = |v: Option<i64>| v.map_or_else(|| "nil".to_owned(), |v| v.to_string());
        let call = match input {
            RegisterInput::Read => "read()".to_owned(),
            RegisterInput::Write(v) => format!("write({v})"),
            RegisterInput::Cas {
                guard: CasGuard::Value(a),
                new,
            } => format!("cas({a} -> {new})"),
            RegisterInput::Cas {
                guard: CasGuard::Version(n),
                new,
            } => format!("cas(v{n} -> {new})"),
        };
        match output {
            None => format!("{call} -> ?"),
            Some(RegisterOutput::Read {
                value,
                version: Some(n),
            }) => format!("{call} -> {} v{n}", show(*value)),
            Some(RegisterOutput::Read {
                value,
                version: None,
            }) => format!("{call} -> {}", show(*value)),
            Some(RegisterOutput::Written) => call,
            Some(RegisterOutput::Cas(ok)) => {
                format!("{call} -> {}", if *ok { "ok" } else { "fail" })
            }
        }
    }

    fn describe_state(&self, s: &RegisterState) -> String {
        let value = s.value.map_or_else(|| "nil".to_owned(), |v| v.to_string());
        if self.versions {
            format!("{value} (v{})", s.version)
        } else {
            value
        }
    }
}
