//! The Wing–Gong–Lowe search over one partition.
//!
//! The calls and returns of the partition's operations form a doubly linked list in history
//! order. The search scans from the head: at a call it tries to linearize that operation next
//! (the model must accept its result, and the configuration of linearized set and state must
//! be new); it then lifts the call and return out of the list and starts again from the head.
//! At a return it has met an operation that must have taken effect by now but cannot, so it
//! undoes the last choice and tries the next call after it. Operations with an unknown result
//! have no return entry: they may take effect at any time after their call, or never, so the
//! partition is linearizable as soon as every operation with a known result is linearized.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use std::hash::BuildHasher;

use rustc_hash::{FxBuildHasher, FxHashMap};

use super::cache::ConfigCache;
use super::linearized::LinearizedSet;
use super::{PartOp, Stop};
use crate::model::{Model, Transition};

/// No node / no op / an impossible transition.
const NONE: u32 = u32::MAX;
/// A transition not computed yet.
const UNSET: u32 = u32::MAX - 1;
/// The dense transition table holds at most this many entries (16 MiB); states past it use
/// the sparse map.
const DENSE_TRANSITIONS_MAX: usize = 1 << 22;
/// The dense table grows by this many states' rows at a time (so it is never copied).
const STATES_PER_CHUNK: usize = 64;
/// How many search steps run between looks at the clock and the cancel flag.
const STEPS_PER_POLL: u64 = 1 << 12;

/// How the search of one partition ended.
pub(crate) enum SearchEnd {
    Linearizable,
    Violation(Violation),
    Stopped(Stop),
}

/// The furthest the search got in a partition that cannot be linearized.
pub(crate) struct Violation {
    /// Local index of the operation whose return could not be reached.
    pub(crate) failing: usize,
    /// History event index of that return: the events up to it cannot be linearized, and
    /// the events before it can.
    pub(crate) event: usize,
    /// A linearization of the longest linearizable prefix: local op index and state after it.
    pub(crate) linearization: Vec<(usize, u32)>,
}

/// Stop conditions shared by the workers.
pub(crate) struct Limits<'a> {
    pub(crate) deadline: Option<Instant>,
    /// The most bytes this partition's configuration cache may hold.
    pub(crate) cache_bytes_max: usize,
    pub(crate) cancel: &'a AtomicBool,
    pub(crate) steps: &'a AtomicU64,
}

/// Where the search is: the state, the Zobrist hash of the linearized set, how many
/// operations with a known result are not linearized yet, and the list entry to look at.
struct Cursor {
    state: u32,
    hash: u64,
    remaining: usize,
    node: u32,
}

/// One linearized operation on the search stack.
struct Frame {
    op: u32,
    /// The state before it.
    before: u32,
    /// It left the state unchanged, so it was not a choice (see `Search::run`).
    forced: bool,
}

pub(crate) struct Search<'a, M: Model> {
    model: &'a M,
    ops: &'a [PartOp<M>],
    next: Vec<u32>,
    prev: Vec<u32>,
    /// Per list node (0 is the head, the last is the tail): its op, whether it is a call, and
    /// its history event index.
    node_op: Vec<u32>,
    node_call: Vec<bool>,
    node_event: Vec<usize>,
    call_node: Vec<u32>,
    ret_node: Vec<u32>,
    /// Interned states, found by hash through `state_heads` and the `state_chain` of ids
    /// with equal hashes; each state is stored once.
    pub(crate) states: Vec<M::State>,
    state_heads: FxHashMap<u64, u32>,
    state_chain: Vec<u32>,
    /// Transitions of the first states in chunks of rows (`[state / 64][state % 64 * ops +
    /// op]`), then by key in the map.
    dense: Vec<Box<[u32]>>,
    dense_states_max: usize,
    sparse: FxHashMap<u64, u32>,
    cache: ConfigCache,
    linearized: LinearizedSet,
    /// The key of `linearized`, rebuilt for each cache lookup.
    key: Vec<u64>,
    /// The operations linearized, in order, each with the state before it.
    stack: Vec<Frame>,
    /// Per op: the model says it never changes the state (see `run`).
    read_only: Vec<bool>,
    any_read_only: bool,
    zobrist: Vec<u64>,
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn state_mix(state: u32) -> u64 {
    splitmix64(u64::from(state) ^ 0x5EED)
}

impl<'a, M: Model> Search<'a, M> {
    pub(crate) fn new(model: &'a M, ops: &'a [PartOp<M>]) -> Self {
        let n = u32::try_from(ops.len()).expect("a partition has fewer than 2^32 operations");
        assert!(n < NONE / 2, "too many operations in one partition");
        let mut events: Vec<(usize, u32, bool)> = Vec::with_capacity(ops.len() * 2);
        for (i, op) in (0..n).zip(ops) {
            events.push((op.call, i, true));
            if let Some(ret) = op.ret {
                assert!(ret > op.call, "an operation returns after its call");
                events.push((ret, i, false));
            }
        }
        // History event indices are unique, so this order is total.
        events.sort_unstable_by_key(|e| e.0);
        let nodes = events.len() + 2;
        let mut s = Self {
            model,
            ops,
            next: (1..=nodes as u32).collect(),
            prev: (0..nodes as u32).map(|i| i.wrapping_sub(1)).collect(),
            node_op: vec![NONE; nodes],
            node_call: vec![false; nodes],
            node_event: vec![usize::MAX; nodes],
            call_node: vec![NONE; ops.len()],
            ret_node: vec![NONE; ops.len()],
            states: Vec::new(),
            state_heads: FxHashMap::default(),
            state_chain: Vec::new(),
            dense: Vec::new(),
            dense_states_max: DENSE_TRANSITIONS_MAX / ops.len().max(1),
            sparse: FxHashMap::default(),
            cache: ConfigCache::new(2),
            linearized: LinearizedSet::new(ops.iter().map(|o| o.ret.is_none())),
            key: Vec::new(),
            stack: Vec::new(),
            any_read_only: false,
            read_only: ops
                .iter()
                .map(|o| model.read_only(&o.input, o.output.as_ref()))
                .collect(),
            zobrist: (0..u64::from(n))
                .map(|i| splitmix64(i.wrapping_mul(0xA24B_AED4_963E_E407)))
                .collect(),
        };
        for (k, &(event, op, is_call)) in events.iter().enumerate() {
            let node = k + 1;
            s.node_op[node] = op;
            s.node_call[node] = is_call;
            s.node_event[node] = event;
            let slot = if is_call {
                &mut s.call_node
            } else {
                &mut s.ret_node
            };
            slot[op as usize] = node as u32;
        }
        s.any_read_only = s.read_only.contains(&true);
        s
    }

    fn intern(&mut self, state: M::State) -> u32 {
        let hash = FxBuildHasher.hash_one(&state);
        let head = self.state_heads.get(&hash).copied().unwrap_or(NONE);
        let mut id = head;
        while id != NONE {
            if self.states[id as usize] == state {
                return id;
            }
            id = self.state_chain[id as usize];
        }
        let id = u32::try_from(self.states.len()).expect("fewer than 2^32 states");
        assert!(id < UNSET, "state ids stay below the markers");
        self.states.push(state);
        self.state_chain.push(head);
        self.state_heads.insert(hash, id);
        id
    }

    /// The state after `op` in `state`, or `NONE` when its result is impossible there.
    #[inline(always)]
    fn transition(&mut self, state: u32, op: u32) -> u32 {
        let known = if (state as usize) < self.dense_states_max {
            let chunk = state as usize / STATES_PER_CHUNK;
            let index = (state as usize % STATES_PER_CHUNK) * self.ops.len() + op as usize;
            self.dense.get(chunk).map_or(UNSET, |rows| rows[index])
        } else {
            let key = (u64::from(state) << 32) | u64::from(op);
            self.sparse.get(&key).copied().unwrap_or(UNSET)
        };
        if known != UNSET {
            return known;
        }
        self.transition_compute(state, op)
    }

    /// Runs the model for a transition not seen before, and remembers the result.
    #[inline(never)]
    fn transition_compute(&mut self, state: u32, op: u32) -> u32 {
        let o = &self.ops[op as usize];
        let to = match self
            .model
            .step(&self.states[state as usize], &o.input, o.output.as_ref())
        {
            Transition::Impossible => {
                assert!(
                    o.output.is_some(),
                    "a model accepts any operation whose result is unknown"
                );
                NONE
            }
            Transition::Same => state,
            Transition::To(next) => self.intern(next),
        };
        let n = self.ops.len();
        if (state as usize) < self.dense_states_max {
            let chunk = state as usize / STATES_PER_CHUNK;
            while self.dense.len() <= chunk {
                self.dense
                    .push(vec![UNSET; STATES_PER_CHUNK * n].into_boxed_slice());
            }
            self.dense[chunk][(state as usize % STATES_PER_CHUNK) * n + op as usize] = to;
        } else {
            self.sparse
                .insert((u64::from(state) << 32) | u64::from(op), to);
        }
        to
    }

    fn lift(&mut self, op: u32) {
        for node in [self.call_node[op as usize], self.ret_node[op as usize]] {
            if node != NONE {
                let (p, n) = (self.prev[node as usize], self.next[node as usize]);
                self.next[p as usize] = n;
                self.prev[n as usize] = p;
            }
        }
    }

    /// Undoes `lift(op)`: nodes go back in the reverse order of their removal.
    fn unlift(&mut self, op: u32) {
        for node in [self.ret_node[op as usize], self.call_node[op as usize]] {
            if node != NONE {
                let (p, n) = (self.prev[node as usize], self.next[node as usize]);
                self.next[p as usize] = node;
                self.prev[n as usize] = node;
            }
        }
    }

    /// Inserts the configuration (the current linearized set, `state`) into the cache;
    /// returns false when it was already there.
    fn remember(&mut self, hash: u64, state: u32) -> bool {
        self.linearized.key(&mut self.key);
        self.cache.insert(hash ^ state_mix(state), state, &self.key)
    }

    /// Runs the search to its end.
    ///
    /// One reduction on top of WGL: when the next operation leaves the state unchanged in
    /// every state where it is possible (`Model::read_only`: a read, a failed CAS),
    /// linearizing it as soon as it is possible loses nothing. Any linearization from here
    /// can be reordered to put it first, since it changes no state and every operation that
    /// must precede it is already linearized. So the configuration with it added succeeds
    /// exactly when this one does: it is pushed as `forced`, and when it fails the search
    /// backtracks past this configuration too instead of trying the other operations here.
    /// This keeps concurrent reads from multiplying configurations by every subset of them.
    pub(crate) fn run(&mut self, limits: &Limits<'_>) -> SearchEnd {
        let tail = (self.next.len() - 1) as u32;
        let init = self.intern(self.model.init());
        let mut at = Cursor {
            state: init,
            hash: 0,
            remaining: 0,
            node: self.next[0],
        };
        at.remaining = self.ops.iter().filter(|o| o.ret.is_some()).count();
        self.remember(at.hash, at.state);
        let mut best: Option<Violation> = None;
        let mut steps = 0_u64;
        if self.force_read_only(&mut at) && !self.backtrack(&mut at) {
            unreachable!("the initial configuration is new, so forcing cannot fail it");
        }
        while at.remaining > 0 {
            steps += 1;
            if steps & (STEPS_PER_POLL - 1) == 0 {
                if let Some(stop) = self.should_stop(limits) {
                    return SearchEnd::Stopped(stop);
                }
            }
            assert!(
                at.node != tail,
                "a return entry remains while an op with a known result is unlinearized"
            );
            let op = self.node_op[at.node as usize];
            let fails_here = if self.node_call[at.node as usize] {
                self.try_call(&mut at, op)
            } else {
                let event = self.node_event[at.node as usize];
                if best.as_ref().is_none_or(|b| event > b.event) {
                    best = Some(self.snapshot(at.state, op, event));
                }
                true
            };
            if fails_here && !self.backtrack(&mut at) {
                return SearchEnd::Violation(
                    best.expect("a return was met before the stack emptied"),
                );
            }
        }
        limits
            .steps
            .fetch_add(steps & (STEPS_PER_POLL - 1), Ordering::Relaxed);
        assert_eq!(
            self.linearized.len(),
            self.stack.len(),
            "the linearized set matches the stack"
        );
        SearchEnd::Linearizable
    }

    /// Tries to linearize `op` next. Moves `at` on (deeper, or to the next entry) and returns
    /// false, or returns true when the current configuration is known to fail.
    fn try_call(&mut self, at: &mut Cursor, op: u32) -> bool {
        let to = self.transition(at.state, op);
        if to != NONE {
            self.linearized.flip(op);
            let hash = at.hash ^ self.zobrist[op as usize];
            if self.remember(hash, to) {
                self.descend(at, op, to, hash, false);
                return self.force_read_only(at);
            }
            self.linearized.flip(op);
        }
        at.node = self.next[at.node as usize];
        false
    }

    fn descend(&mut self, at: &mut Cursor, op: u32, to: u32, hash: u64, forced: bool) {
        self.stack.push(Frame {
            op,
            before: at.state,
            forced,
        });
        self.lift(op);
        at.state = to;
        at.hash = hash;
        at.remaining -= usize::from(self.ops[op as usize].ret.is_some());
        at.node = self.next[0];
    }

    /// On entering a configuration, linearizes every read-only operation that is possible
    /// now, one after another (see `run`). Returns true when the configuration is known to
    /// fail; otherwise leaves `at` at the head of the list.
    fn force_read_only(&mut self, at: &mut Cursor) -> bool {
        at.node = self.next[0];
        if !self.any_read_only {
            return false;
        }
        let mut node = self.next[0];
        while self.node_call[node as usize] {
            let op = self.node_op[node as usize];
            if self.read_only[op as usize] && self.transition(at.state, op) != NONE {
                self.linearized.flip(op);
                let hash = at.hash ^ self.zobrist[op as usize];
                if !self.remember(hash, at.state) {
                    // The configuration with `op` added failed before, so this one fails too.
                    self.linearized.flip(op);
                    return true;
                }
                self.descend(at, op, at.state, hash, true);
                node = self.next[0];
            } else {
                node = self.next[node as usize];
            }
        }
        at.node = self.next[0];
        false
    }

    /// Undoes the last choice that was not forced, and moves to the entry after it. Returns
    /// false when there is none left: the partition cannot be linearized.
    fn backtrack(&mut self, at: &mut Cursor) -> bool {
        while let Some(frame) = self.stack.pop() {
            self.unlift(frame.op);
            self.linearized.flip(frame.op);
            at.hash ^= self.zobrist[frame.op as usize];
            at.state = frame.before;
            at.remaining += usize::from(self.ops[frame.op as usize].ret.is_some());
            if !frame.forced {
                at.node = self.next[self.call_node[frame.op as usize] as usize];
                return true;
            }
        }
        false
    }

    fn should_stop(&self, limits: &Limits<'_>) -> Option<Stop> {
        limits.steps.fetch_add(STEPS_PER_POLL, Ordering::Relaxed);
        if limits.cancel.load(Ordering::Relaxed) {
            return Some(Stop::Timeout);
        }
        if limits.deadline.is_some_and(|d| Instant::now() >= d) {
            limits.cancel.store(true, Ordering::Relaxed);
            return Some(Stop::Timeout);
        }
        (self.cache.bytes() > limits.cache_bytes_max).then_some(Stop::MemoryLimit)
    }

    fn snapshot(&self, state: u32, failing: u32, event: usize) -> Violation {
        let after = self.stack.iter().skip(1).map(|f| f.before).chain([state]);
        let linearization = self
            .stack
            .iter()
            .zip(after)
            .map(|(f, s)| (f.op as usize, s))
            .collect();
        Violation {
            failing: failing as usize,
            event,
            linearization,
        }
    }

    /// The number of distinct configurations explored.
    pub(crate) fn configurations(&self) -> usize {
        self.cache.len()
    }
}
