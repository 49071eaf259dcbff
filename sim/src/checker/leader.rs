//! At most one established leader per epoch (ZAB's primary-order premise).

use std::collections::BTreeMap;

use zoorepl_core::ids::ServerId;
use zoorepl_core::zab::Observation;

use super::Violation;

/// Remembers who established each epoch.
#[derive(Debug, Default)]
pub struct OneLeaderPerEpoch {
    leaders: BTreeMap<u32, ServerId>,
}

impl OneLeaderPerEpoch {
    /// Checks one observation.
    pub fn observe(&mut self, obs: &Observation) -> Option<Violation> {
        let epoch = obs.established_epoch?;
        let first = *self.leaders.entry(epoch).or_insert(obs.id);
        (first != obs.id).then(|| {
            Violation::new(
                "one-leader-per-epoch",
                format!("epoch {epoch} established by {first:?} and by {:?}", obs.id),
            )
        })
    }
}
