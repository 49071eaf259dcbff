//! Every acknowledgement is backed by the disk at the moment it leaves (DESIGN.md §3: anything
//! that needs durability first is emitted only after `Persisted` covers it): ACKEPOCH by a
//! durable accepted epoch, the ACK of NEWLEADER by a durable current epoch (saved after the sync's
//! txns on the ordered disk), an ACK by a durable log up to its zxid. (The sync's own txns are not
//! checked here: proposals that arrive after NEWLEADER are logged but not yet covered, and the
//! sender's log end at NEWLEADER is not visible from outside.)

use zoorepl_core::ids::Zxid;
use zoorepl_core::zab::ZabMsg;

use super::Violation;

/// What the sender's disk holds when the message leaves.
#[derive(Clone, Copy, Debug)]
pub struct Backing {
    /// Durable (accepted, current) epochs.
    pub epochs: (u32, u32),
    /// The newest durable zxid.
    pub durable: Zxid,
}

/// Checks one message sent by `server`.
#[must_use]
pub fn check(server: usize, msg: &ZabMsg, b: Backing) -> Option<Violation> {
    let problem = match *msg {
        ZabMsg::AckEpoch { epoch, .. } if b.epochs.0 < epoch => {
            format!(
                "ACKEPOCH {epoch} with accepted epoch {} on disk",
                b.epochs.0
            )
        }
        ZabMsg::AckNewLeader { epoch } if b.epochs.1 < epoch => {
            format!(
                "ACK of NEWLEADER {epoch} with current epoch {} on disk",
                b.epochs.1
            )
        }
        ZabMsg::Ack { upto, .. } if b.durable < upto => {
            format!("ACK of {upto} with its log durable to {}", b.durable)
        }
        _ => return None,
    };
    Some(Violation::new(
        "ack-durable",
        format!("server {server}: {problem}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backing(epochs: (u32, u32), durable: u32) -> Backing {
        Backing {
            epochs,
            durable: Zxid::new(1, durable),
        }
    }

    #[test]
    fn acks_need_their_disk_backing() {
        let epoch = ZabMsg::AckEpoch {
            epoch: 2,
            current_epoch: 1,
            last_zxid: Zxid::ZERO,
            epoch_ends: vec![],
        };
        assert!(check(0, &epoch, backing((1, 1), 1)).is_some());
        assert!(check(0, &epoch, backing((2, 1), 1)).is_none());
        let newleader = ZabMsg::AckNewLeader { epoch: 2 };
        assert!(check(0, &newleader, backing((2, 1), 3)).is_some());
        assert!(check(0, &newleader, backing((2, 2), 3)).is_none());
        let ack = ZabMsg::Ack {
            epoch: 1,
            upto: Zxid::new(1, 4),
        };
        assert!(check(0, &ack, backing((1, 1), 3)).is_some());
        assert!(check(0, &ack, backing((1, 1), 4)).is_none());
    }
}
