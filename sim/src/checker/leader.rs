//! At most one established leader per epoch (ZAB's primary-order premise), and an epoch is
//! established only once a quorum of voters durably took it as their current epoch.

use std::collections::BTreeMap;

use zoorepl_core::ids::ServerId;
use zoorepl_core::zab::Observation;

use super::Violation;

/// Remembers who established each epoch.
#[derive(Debug, Default)]
pub struct OneLeaderPerEpoch {
    leaders: BTreeMap<u32, ServerId>,
}

/// Checks that when `leader` first shows `epoch` established, the voters whose durable current
/// epoch is at least `epoch` make a quorum (`durable_current` lists every voter's).
#[must_use]
pub fn check_establishment(
    leader: ServerId,
    epoch: u32,
    durable_current: &[u32],
) -> Option<Violation> {
    let have = durable_current.iter().filter(|c| **c >= epoch).count();
    (have * 2 <= durable_current.len()).then(|| {
        Violation::new(
            "established-by-quorum",
            format!(
                "{leader:?} established epoch {epoch} with {have} of {} voters holding it",
                durable_current.len()
            ),
        )
    })
}

impl OneLeaderPerEpoch {
    /// Whether `obs` shows an epoch established for the first time.
    #[must_use]
    pub fn is_new(&self, obs: &Observation) -> bool {
        obs.established_epoch
            .is_some_and(|e| !self.leaders.contains_key(&e))
    }

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
