//! zoorepl-jepsen: histories, models, the linearizability checker, reports, and the zxid-witness
//! checker (`witness`).
//! See `../shared/DESIGN.md` §7 and this crate's `README.md` for the history format.

pub mod checker;
pub mod formats;
pub mod history;
pub mod model;
pub mod models;
pub mod report;
pub mod witness;

pub use checker::{
    check, check_prepared, CheckOptions, CheckResult, Failure, LinearizedStep, Prepared, Progress,
    Stop, Verdict,
};
pub use history::{
    pair, read_jsonl, Event, EventType, HistoryError, HistoryWriter, Operation, Outcome,
};
pub use model::{Model, ModelError, ModelOp, Transition};
