//! The end-of-run hook of the zxid-witness checker (`checker::witness`): only after a run that
//! reached the end of its liveness phase with every server converged and nothing broken.

use super::Cluster;
use crate::checker::witness::{self, WitnessOutcome};

impl Cluster {
    /// Runs the witness if the run converged without a failure; its violations are added to
    /// the run's. `None` when it did not run.
    pub(crate) fn run_witness(&mut self, keep_input: bool) -> Option<WitnessOutcome> {
        if !self.done || !self.violations.is_empty() {
            return None;
        }
        let store = self.checkers.txns.take()?;
        let live: Vec<_> = self
            .servers
            .iter()
            .filter_map(|s| s.node.as_ref().map(zoorepl_core::node::Node::observe))
            .collect();
        let first = live.first()?;
        assert!(
            live.iter()
                .all(|o| o.last_applied == first.last_applied && o.digest == first.digest),
            "the liveness phase ended with every live server converged"
        );
        let log = match witness::committed_log(
            &store,
            &self.checkers.ledger,
            first.last_applied,
            first.digest,
        ) {
            Ok(log) => log,
            Err(v) => {
                self.violate(v);
                return None;
            }
        };
        drop(store);
        let history = &self.workload.history;
        let converted = witness::convert(&log, history);
        let (report, found) = witness::check(&converted, history);
        for v in found {
            self.violate(v);
        }
        Some(WitnessOutcome {
            report,
            input: keep_input.then_some(converted.input),
        })
    }
}
