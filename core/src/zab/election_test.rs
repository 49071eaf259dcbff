//! Fast leader election (zookeeper-protocol.md §16.1): exact actions for single inputs, and a
//! quickcheck property over a simulated ensemble.

use std::collections::{BTreeMap, VecDeque};

use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult};

use super::*;
use crate::prng::Prng;

const FINALIZE_MS: u64 = 200;
const RESEND_MIN_MS: u64 = 500;
const RESEND_MAX_MS: u64 = 3000;

fn config() -> ElectionConfig {
    ElectionConfig {
        finalize_wait_ms: FINALIZE_MS,
        resend_min_ms: RESEND_MIN_MS,
        resend_max_ms: RESEND_MAX_MS,
    }
}

fn sid(id: u64) -> ServerId {
    ServerId(id)
}

fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

/// A vote for `leader` with that epoch and last zxid `(epoch, counter)`.
fn vote(leader: u64, epoch: u32, counter: u32) -> Vote {
    Vote {
        epoch,
        zxid: Zxid::new(epoch, counter),
        leader: sid(leader),
    }
}

fn note(state: PeerState, vote: Vote, round: u64) -> Notification {
    Notification { state, vote, round }
}

fn looking(vote: Vote, round: u64) -> Notification {
    note(PeerState::Looking, vote, round)
}

/// Members `1..=voters` vote; the ids in `observers` observe.
fn members(voters: u64, observers: &[u64]) -> BTreeMap<ServerId, MemberKind> {
    let mut members: BTreeMap<_, _> = (1..=voters)
        .map(|id| (sid(id), MemberKind::Participant))
        .collect();
    for id in observers {
        members.insert(sid(*id), MemberKind::Observer);
    }
    members
}

fn drain(e: &mut Election) -> Vec<ElectionAction> {
    std::iter::from_fn(|| e.poll_action()).collect()
}

/// `notification` sent to each of `to`, in that order.
fn sends(to: &[u64], notification: Notification) -> Vec<ElectionAction> {
    to.iter()
        .map(|id| ElectionAction::Send {
            to: sid(*id),
            notification,
        })
        .collect()
}

/// Server `me` of `voters` voters (and `observers`), LOOKING at time 0 with `own`, the start
/// broadcast already drained.
fn started(me: u64, voters: u64, observers: &[u64], own: Vote) -> Election {
    let mut e = Election::new(sid(me), members(voters, observers), config());
    e.start(at(0), own);
    let _ = drain(&mut e);
    e
}

#[test]
fn start_broadcasts_own_vote_to_every_other_member() {
    let mut e = Election::new(sid(2), members(3, &[4]), config());
    assert_eq!(e.deadline(), None);
    assert!(!e.is_looking());
    e.start(at(10), vote(2, 1, 5));
    assert_eq!(drain(&mut e), sends(&[1, 3, 4], looking(vote(2, 1, 5), 1)));
    assert!(e.is_looking());
    assert_eq!(e.round(), 1);
    assert_eq!(e.deadline(), Some(at(10 + RESEND_MIN_MS)));
}

#[test]
fn three_voters_elect_the_highest_zxid() {
    let mut e = started(1, 3, &[], vote(1, 1, 5));
    e.on_notification(at(1), sid(2), looking(vote(2, 1, 7), 1));
    assert_eq!(drain(&mut e), sends(&[2, 3], looking(vote(2, 1, 7), 1)));
    // Server 3's vote (zxid 1.6) is lower than the proposal: nothing to say.
    e.on_notification(at(2), sid(3), looking(vote(3, 1, 6), 1));
    assert_eq!(drain(&mut e), vec![]);
    // Ourselves and server 2 agree on 2: a quorum, so the finalize wait runs from t=1.
    assert_eq!(e.deadline(), Some(at(1 + FINALIZE_MS)));
    e.on_tick(at(1 + FINALIZE_MS));
    let decided = vec![ElectionAction::Decided {
        vote: vote(2, 1, 7),
    }];
    assert_eq!(drain(&mut e), decided);
}

#[test]
fn equal_votes_are_broken_by_server_id() {
    let mut e = started(2, 3, &[], vote(2, 1, 5));
    // Server 1 has the same epoch and zxid but a lower id: ours stays.
    e.on_notification(at(1), sid(1), looking(vote(1, 1, 5), 1));
    assert_eq!(drain(&mut e), vec![]);
    e.on_notification(at(2), sid(3), looking(vote(3, 1, 5), 1));
    assert_eq!(drain(&mut e), sends(&[1, 3], looking(vote(3, 1, 5), 1)));
}

#[test]
fn epoch_dominates_zxid() {
    let own = Vote {
        epoch: 2,
        zxid: Zxid::new(2, 9),
        leader: sid(1),
    };
    let mut e = started(1, 3, &[], own);
    // A higher zxid under a lower epoch loses.
    let older = Vote {
        epoch: 1,
        zxid: Zxid::new(1, 99),
        leader: sid(2),
    };
    e.on_notification(at(1), sid(2), looking(older, 1));
    assert_eq!(drain(&mut e), vec![]);
    // A newer epoch (accepted, nothing logged in it yet) wins over a higher zxid.
    let newer = Vote {
        epoch: 3,
        zxid: Zxid::new(2, 1),
        leader: sid(3),
    };
    e.on_notification(at(2), sid(3), looking(newer, 1));
    assert_eq!(drain(&mut e), sends(&[2, 3], looking(newer, 1)));
}

#[test]
fn higher_round_resets_received_votes() {
    let mut e = started(1, 3, &[], vote(1, 1, 5));
    e.on_notification(at(1), sid(2), looking(vote(2, 1, 9), 1));
    assert_eq!(drain(&mut e), sends(&[2, 3], looking(vote(2, 1, 9), 1)));
    assert_eq!(e.deadline(), Some(at(1 + FINALIZE_MS)));
    // Round 5 with a vote lower than ours: adopt the round, fall back on our own initial vote
    // (server 2's round-1 vote is forgotten), and the quorum for 2 is gone.
    e.on_notification(at(2), sid(3), looking(vote(3, 1, 4), 5));
    assert_eq!(drain(&mut e), sends(&[2, 3], looking(vote(1, 1, 5), 5)));
    assert_eq!(e.round(), 5);
    assert_eq!(e.deadline(), Some(at(2 + RESEND_MIN_MS)));
}

#[test]
fn higher_round_adopts_a_better_vote() {
    let mut e = started(1, 3, &[], vote(1, 1, 5));
    e.on_notification(at(1), sid(3), looking(vote(3, 1, 8), 4));
    assert_eq!(drain(&mut e), sends(&[2, 3], looking(vote(3, 1, 8), 4)));
    // We and 3 agree in round 4.
    assert_eq!(e.deadline(), Some(at(1 + FINALIZE_MS)));
}

#[test]
fn lower_round_is_ignored_and_answered() {
    let mut e = Election::new(sid(1), members(3, &[]), config());
    e.start(at(0), vote(1, 1, 5));
    e.start(at(0), vote(1, 1, 5));
    let _ = drain(&mut e);
    assert_eq!(e.round(), 2);
    e.on_notification(at(1), sid(2), looking(vote(2, 1, 9), 1));
    assert_eq!(drain(&mut e), sends(&[2], looking(vote(1, 1, 5), 2)));
    // Not adopted, not recorded: no quorum, no rebroadcast.
    assert_eq!(e.deadline(), Some(at(RESEND_MIN_MS)));
    assert_eq!(e.notification(), Some(looking(vote(1, 1, 5), 2)));
}

#[test]
fn finalize_wait_is_cancelled_by_a_better_vote() {
    let mut e = started(1, 5, &[], vote(1, 1, 5));
    e.on_notification(at(0), sid(2), looking(vote(1, 1, 5), 1));
    e.on_notification(at(0), sid(3), looking(vote(1, 1, 5), 1));
    assert_eq!(drain(&mut e), vec![]);
    assert_eq!(e.deadline(), Some(at(FINALIZE_MS)));
    e.on_notification(at(150), sid(4), looking(vote(4, 1, 6), 1));
    assert_eq!(
        drain(&mut e),
        sends(&[2, 3, 4, 5], looking(vote(4, 1, 6), 1))
    );
    // Only 1 and 4 back 4 now: no quorum, no decision when the old wait would have ended.
    assert_eq!(e.deadline(), Some(at(150 + RESEND_MIN_MS)));
    e.on_tick(at(FINALIZE_MS));
    assert_eq!(drain(&mut e), vec![]);
    assert!(e.is_looking());
}

#[test]
fn finalize_wait_restarts_for_a_better_vote_with_a_quorum() {
    let mut e = started(1, 3, &[], vote(1, 1, 5));
    e.on_notification(at(0), sid(2), looking(vote(1, 1, 5), 1));
    assert_eq!(e.deadline(), Some(at(FINALIZE_MS)));
    e.on_notification(at(100), sid(3), looking(vote(3, 1, 6), 1));
    assert_eq!(drain(&mut e), sends(&[2, 3], looking(vote(3, 1, 6), 1)));
    // 1 and 3 back 3: a new wait from t=100.
    assert_eq!(e.deadline(), Some(at(100 + FINALIZE_MS)));
    e.on_tick(at(FINALIZE_MS));
    assert_eq!(drain(&mut e), vec![]);
    e.on_tick(at(100 + FINALIZE_MS));
    let decided = vec![ElectionAction::Decided {
        vote: vote(3, 1, 6),
    }];
    assert_eq!(drain(&mut e), decided);
}

#[test]
fn decision_after_finalize_wait_settles_as_leader() {
    let mut e = started(3, 3, &[], vote(3, 1, 9));
    e.on_notification(at(5), sid(1), looking(vote(3, 1, 9), 1));
    assert_eq!(drain(&mut e), vec![]);
    assert_eq!(e.deadline(), Some(at(5 + FINALIZE_MS)));
    e.on_tick(at(4 + FINALIZE_MS));
    assert_eq!(drain(&mut e), vec![]);
    e.on_tick(at(5 + FINALIZE_MS));
    let decided = vec![ElectionAction::Decided {
        vote: vote(3, 1, 9),
    }];
    assert_eq!(drain(&mut e), decided);
    assert!(!e.is_looking());
    assert_eq!(e.deadline(), None);
    let leading = note(PeerState::Leading, vote(3, 1, 9), 1);
    assert_eq!(e.notification(), Some(leading));
    // A repeated tick after the decision does nothing.
    e.on_tick(at(5 + FINALIZE_MS));
    assert_eq!(drain(&mut e), vec![]);
}

#[test]
fn single_voter_elects_itself_after_finalize_wait() {
    let mut e = Election::new(sid(1), members(1, &[2]), config());
    e.start(at(0), vote(1, 0, 0));
    assert_eq!(drain(&mut e), sends(&[2], looking(vote(1, 0, 0), 1)));
    assert_eq!(e.deadline(), Some(at(FINALIZE_MS)));
    e.on_tick(at(FINALIZE_MS));
    let decided = vec![ElectionAction::Decided {
        vote: vote(1, 0, 0),
    }];
    assert_eq!(drain(&mut e), decided);
}

#[test]
fn restarted_server_joins_an_existing_leader() {
    // Server 3 restarts (round 1) while 1 leads and 2 follows since round 4.
    let mut e = started(3, 3, &[], vote(3, 1, 2));
    let leader = vote(1, 2, 7);
    e.on_notification(at(1), sid(2), note(PeerState::Following, leader, 4));
    // A follower alone is not enough: the leader has not confirmed it leads.
    assert_eq!(drain(&mut e), vec![]);
    assert!(e.is_looking());
    e.on_notification(at(2), sid(1), note(PeerState::Leading, leader, 4));
    assert_eq!(
        drain(&mut e),
        vec![ElectionAction::Decided { vote: leader }]
    );
    assert_eq!(e.round(), 4);
    let following = note(PeerState::Following, leader, 4);
    assert_eq!(e.notification(), Some(following));
}

#[test]
fn restarted_server_needs_a_quorum_of_established_voters() {
    let mut e = started(5, 5, &[], vote(5, 1, 2));
    let leader = vote(1, 2, 7);
    e.on_notification(at(1), sid(1), note(PeerState::Leading, leader, 4));
    e.on_notification(at(2), sid(2), note(PeerState::Following, leader, 3));
    // Two of five: not a quorum yet, even with the leader's confirmation.
    assert_eq!(drain(&mut e), vec![]);
    // Rounds differ between established servers; the leader and its epoch are what count.
    e.on_notification(at(3), sid(3), note(PeerState::Following, leader, 2));
    assert_eq!(
        drain(&mut e),
        vec![ElectionAction::Decided { vote: leader }]
    );
    assert_eq!(e.round(), 2);
}

#[test]
fn established_votes_in_our_round_elect_with_the_leader_confirmation() {
    let mut e = started(3, 3, &[], vote(3, 1, 2));
    let leader = vote(1, 1, 7);
    // Server 2 already decided for 1 in our round; server 1 now leads.
    e.on_notification(at(1), sid(2), note(PeerState::Following, leader, 1));
    assert_eq!(drain(&mut e), vec![]);
    e.on_notification(at(2), sid(1), note(PeerState::Leading, leader, 1));
    assert_eq!(
        drain(&mut e),
        vec![ElectionAction::Decided { vote: leader }]
    );
}

#[test]
fn settled_server_answers_looking_peers() {
    let mut e = started(1, 3, &[], vote(1, 1, 9));
    e.settle(PeerState::Leading, vote(1, 1, 9));
    assert_eq!(drain(&mut e), vec![]);
    assert_eq!(e.deadline(), None);
    e.on_notification(at(7), sid(3), looking(vote(3, 1, 2), 1));
    let answer = note(PeerState::Leading, vote(1, 1, 9), 1);
    assert_eq!(drain(&mut e), sends(&[3], answer));
    // Established peers are not answered, so settled servers never ping-pong.
    e.on_notification(at(8), sid(2), note(PeerState::Following, vote(1, 1, 9), 1));
    assert_eq!(drain(&mut e), vec![]);
}

#[test]
fn voter_answers_observer_and_never_adopts_its_vote() {
    let mut e = started(1, 3, &[4], vote(1, 1, 5));
    e.on_notification(at(1), sid(4), looking(vote(4, 9, 9), 7));
    assert_eq!(drain(&mut e), sends(&[4], looking(vote(1, 1, 5), 1)));
    assert_eq!(e.round(), 1);
    // A voter's vote naming the observer is dropped too.
    e.on_notification(at(2), sid(2), looking(vote(4, 9, 9), 1));
    assert_eq!(drain(&mut e), vec![]);
    assert_eq!(e.notification(), Some(looking(vote(1, 1, 5), 1)));
}

#[test]
fn observer_never_wins_and_learns_the_leader_from_voters() {
    let mut e = Election::new(sid(4), members(3, &[4, 5]), config());
    // Its own vote is the highest, yet it never counts.
    e.start(at(0), vote(4, 9, 9));
    assert_eq!(
        drain(&mut e),
        sends(&[1, 2, 3, 5], looking(vote(4, 9, 9), 1))
    );
    e.on_notification(at(1), sid(1), looking(vote(1, 1, 2), 1));
    // Adopted silently: voters ignore what observers propose.
    assert_eq!(drain(&mut e), vec![]);
    assert_eq!(e.deadline(), Some(at(1 + RESEND_MIN_MS)));
    e.on_notification(at(2), sid(2), looking(vote(1, 1, 2), 1));
    assert_eq!(e.deadline(), Some(at(2 + FINALIZE_MS)));
    e.on_tick(at(2 + FINALIZE_MS));
    let decided = vec![ElectionAction::Decided {
        vote: vote(1, 1, 2),
    }];
    assert_eq!(drain(&mut e), decided);
    let observing = note(PeerState::Observing, vote(1, 1, 2), 1);
    assert_eq!(e.notification(), Some(observing));
    // A settled observer answers nobody.
    e.on_notification(at(3), sid(3), looking(vote(3, 1, 1), 2));
    assert_eq!(drain(&mut e), vec![]);
}

#[test]
fn observer_learns_the_leader_from_established_voters() {
    let mut e = Election::new(sid(4), members(3, &[4]), config());
    e.start(at(0), vote(4, 0, 0));
    e.start(at(0), vote(4, 0, 0));
    let _ = drain(&mut e);
    let leader = vote(2, 3, 1);
    e.on_notification(at(1), sid(2), note(PeerState::Leading, leader, 1));
    assert_eq!(drain(&mut e), vec![]);
    e.on_notification(at(2), sid(3), note(PeerState::Following, leader, 1));
    assert_eq!(
        drain(&mut e),
        vec![ElectionAction::Decided { vote: leader }]
    );
    let observing = note(PeerState::Observing, leader, 1);
    assert_eq!(e.notification(), Some(observing));
}

#[test]
fn observer_ignores_other_observers() {
    let mut e = started(4, 3, &[4, 5], vote(4, 0, 0));
    e.on_notification(at(1), sid(5), looking(vote(5, 0, 0), 1));
    assert_eq!(drain(&mut e), vec![]);
}

#[test]
fn resend_backoff_doubles_and_caps() {
    let mut e = started(1, 3, &[], vote(1, 1, 5));
    let own = looking(vote(1, 1, 5), 1);
    let mut now = 0;
    for interval in [500, 1000, 2000, 3000, 3000] {
        now += interval;
        assert_eq!(e.deadline(), Some(at(now)));
        e.on_tick(at(now));
        assert_eq!(drain(&mut e), sends(&[2, 3], own));
    }
    assert_eq!(e.deadline(), Some(at(now + RESEND_MAX_MS)));
}

#[test]
fn useful_notification_postpones_resend() {
    let mut e = started(1, 3, &[], vote(1, 1, 5));
    e.on_notification(at(300), sid(2), looking(vote(2, 1, 1), 1));
    assert_eq!(e.deadline(), Some(at(300 + RESEND_MIN_MS)));
    // The same vote again tells nothing new.
    e.on_notification(at(400), sid(2), looking(vote(2, 1, 1), 1));
    assert_eq!(e.deadline(), Some(at(300 + RESEND_MIN_MS)));
    assert_eq!(drain(&mut e), vec![]);
}

#[test]
fn early_tick_is_a_noop() {
    let mut e = started(1, 3, &[], vote(1, 1, 5));
    e.on_tick(at(RESEND_MIN_MS - 1));
    assert_eq!(drain(&mut e), vec![]);
    assert_eq!(e.deadline(), Some(at(RESEND_MIN_MS)));
    e.on_tick(at(RESEND_MIN_MS));
    assert_eq!(drain(&mut e), sends(&[2, 3], looking(vote(1, 1, 5), 1)));
    // A duplicate tick at the same instant: the resend already happened.
    e.on_tick(at(RESEND_MIN_MS));
    assert_eq!(drain(&mut e), vec![]);
    assert_eq!(e.deadline(), Some(at(RESEND_MIN_MS + 2 * RESEND_MIN_MS)));
}

#[test]
fn tick_before_start_is_a_noop() {
    let mut e = Election::new(sid(1), members(3, &[]), config());
    e.on_tick(at(1_000_000));
    e.on_notification(at(1), sid(2), looking(vote(2, 1, 1), 1));
    assert_eq!(drain(&mut e), vec![]);
    assert_eq!(e.notification(), None);
}

#[test]
fn unknown_sender_is_ignored() {
    let mut e = started(1, 3, &[], vote(1, 1, 5));
    e.on_notification(at(1), sid(9), looking(vote(9, 9, 9), 9));
    e.on_notification(at(1), sid(1), looking(vote(3, 9, 9), 9));
    // A member voting for an unknown server is dropped as well.
    e.on_notification(at(1), sid(2), looking(vote(9, 9, 9), 1));
    e.on_notification(at(1), sid(2), note(PeerState::Leading, vote(9, 9, 9), 1));
    assert_eq!(drain(&mut e), vec![]);
    assert_eq!(e.round(), 1);
    assert_eq!(e.deadline(), Some(at(RESEND_MIN_MS)));
}

#[test]
fn voter_claiming_to_observe_is_ignored() {
    let mut e = started(1, 3, &[], vote(1, 1, 5));
    e.on_notification(at(1), sid(2), note(PeerState::Observing, vote(3, 1, 1), 1));
    e.on_notification(at(1), sid(3), note(PeerState::Observing, vote(3, 1, 1), 1));
    assert_eq!(drain(&mut e), vec![]);
    assert!(e.is_looking());
}

#[test]
fn huge_round_from_a_peer_does_not_overflow() {
    let mut e = started(1, 3, &[], vote(1, 1, 5));
    e.on_notification(at(1), sid(2), looking(vote(2, 1, 1), u64::MAX));
    assert_eq!(
        drain(&mut e),
        sends(&[2, 3], looking(vote(1, 1, 5), u64::MAX))
    );
    e.start(at(2), vote(1, 1, 5));
    assert_eq!(e.round(), u64::MAX);
}

/// An ensemble for the property: each server's own vote and how many times it calls `start`
/// before any message moves (so rounds differ), and a seed for the delivery order.
#[derive(Clone, Debug)]
struct Ensemble {
    /// (epoch, zxid epoch, zxid counter, starts) of voters `1..`.
    voters: Vec<(u32, u32, u32, u8)>,
    /// How many times each observer starts; observers take the ids after the voters.
    observers: Vec<u8>,
    seed: u64,
}

impl Arbitrary for Ensemble {
    fn arbitrary(g: &mut Gen) -> Self {
        let n = 3 + usize::from(u8::arbitrary(g) % 5);
        // Small ranges so equal epochs and zxids, and thus ties on the id, are common.
        let small = |g: &mut Gen, m: u32| u32::arbitrary(g) % m;
        let voters = (0..n)
            .map(|_| {
                let epoch = small(g, 3);
                let zxid_epoch = small(g, epoch + 1);
                (epoch, zxid_epoch, small(g, 3), 1 + u8::arbitrary(g) % 3)
            })
            .collect();
        let observers = (0..u8::arbitrary(g) % 3)
            .map(|_| 1 + u8::arbitrary(g) % 4)
            .collect();
        Self {
            voters,
            observers,
            seed: u64::arbitrary(g),
        }
    }
}

/// A reliable in-memory network of FIFO links delivered in a seeded arbitrary order; time
/// moves only when no message is in flight, to the earliest deadline.
struct Sim {
    servers: BTreeMap<ServerId, Election>,
    links: BTreeMap<(ServerId, ServerId), VecDeque<Notification>>,
    decided: BTreeMap<ServerId, Vote>,
    now: u64,
}

impl Sim {
    fn drain(&mut self, id: ServerId) {
        let e = self.servers.get_mut(&id).expect("server exists");
        for action in std::iter::from_fn(|| e.poll_action()) {
            match action {
                ElectionAction::Send { to, notification } => {
                    self.links
                        .entry((id, to))
                        .or_default()
                        .push_back(notification);
                }
                ElectionAction::Decided { vote } => {
                    assert_eq!(self.decided.insert(id, vote), None, "{id:?} decided twice");
                }
            }
        }
    }

    fn deliver_all(&mut self, prng: &mut Prng) {
        loop {
            let busy: Vec<_> = self
                .links
                .iter()
                .filter(|(_, q)| !q.is_empty())
                .map(|(link, _)| *link)
                .collect();
            if busy.is_empty() {
                return;
            }
            let pick = prng.between(0, busy.len() as u64 - 1);
            let (from, to) = busy[usize::try_from(pick).expect("small")];
            let n = self
                .links
                .get_mut(&(from, to))
                .and_then(VecDeque::pop_front);
            let n = n.expect("busy link");
            let e = self.servers.get_mut(&to).expect("server exists");
            e.on_notification(Instant::from_millis(self.now), from, n);
            self.drain(to);
        }
    }

    fn tick_due(&mut self) {
        let next = self.servers.values().filter_map(Election::deadline).min();
        self.now = next.expect("someone is looking").as_millis();
        let ids: Vec<ServerId> = self.servers.keys().copied().collect();
        for id in ids {
            let e = self.servers.get_mut(&id).expect("server exists");
            e.on_tick(Instant::from_millis(self.now));
            self.drain(id);
        }
    }
}

fn ensemble_decides(ensemble: &Ensemble) -> Result<(), String> {
    let voters = ensemble.voters.len() as u64;
    let observers: Vec<u64> = (0..ensemble.observers.len() as u64)
        .map(|i| voters + 1 + i)
        .collect();
    let mut sim = Sim {
        servers: BTreeMap::new(),
        links: BTreeMap::new(),
        decided: BTreeMap::new(),
        now: 0,
    };
    let mut best = None;
    let starts = ensemble
        .voters
        .iter()
        .map(|v| v.3)
        .chain(ensemble.observers.iter().copied());
    for (i, starts) in starts.enumerate() {
        let id = sid(i as u64 + 1);
        let own = match ensemble.voters.get(i) {
            Some((epoch, zxid_epoch, counter, _)) => Vote {
                epoch: *epoch,
                zxid: Zxid::new(*zxid_epoch, *counter),
                leader: id,
            },
            None => vote(id.0, 5, 5),
        };
        if i < ensemble.voters.len() {
            best = best.max(Some(own));
        }
        let mut e = Election::new(id, members(voters, &observers), config());
        for _ in 0..starts {
            e.start(at(0), own);
        }
        sim.servers.insert(id, e);
        sim.drain(id);
    }
    let mut prng = Prng::new(ensemble.seed);
    for _ in 0..100 {
        sim.deliver_all(&mut prng);
        if sim.decided.len() == sim.servers.len() {
            break;
        }
        sim.tick_due();
    }
    let best = best.expect("at least one voter");
    let all_best = sim
        .servers
        .keys()
        .all(|id| sim.decided.get(id) == Some(&best));
    if all_best {
        Ok(())
    } else {
        Err(format!(
            "{ensemble:?}: decided {:?}, best {best:?}",
            sim.decided
        ))
    }
}

#[test]
fn ensemble_over_reliable_network_elects_the_max_vote() {
    fn prop(ensemble: Ensemble) -> TestResult {
        match ensemble_decides(&ensemble) {
            Ok(()) => TestResult::passed(),
            Err(why) => TestResult::error(why),
        }
    }
    QuickCheck::new()
        .tests(300)
        .quickcheck(prop as fn(Ensemble) -> TestResult);
}
