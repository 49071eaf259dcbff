//! zoorepl-core: the sans-IO heart of zoorepl.
//!
//! Everything here is a pure state machine. Nothing reads a clock, touches a file or a socket,
//! spawns a thread or draws unseeded randomness: time and randomness come in as inputs, and every
//! effect leaves as data (see `../shared/DESIGN.md` §3 and `../shared/STYLE.md` §1–3).
//!
//! ```text
//!            (now, Input)                       Output
//!  shell ───────────────────▶  Node::step  ───────────────▶ shell executes it
//!   ▲   Client / ConnOpened /     │  prep → txn → Persist      Reply / Notify / Persist /
//!   │   Persisted / Tick          │  Persisted → apply → reply  CloseConn / TakeSnapshot
//!   └──────── poll_deadline ◀─────┘
//! ```
//!
//! Module map (dependency direction proto → tree, session, watch → prep → node):
//! - [`proto`]: the jute codec for every client record, [`proto::ZkError`].
//! - [`tree`]: znodes, stats, ACLs, sequential counters, containers, TTL, digest, snapshots.
//! - [`txn`]: the idempotent transactions that `prep` produces and `tree` applies.
//! - [`session`], [`watch`], [`prep`], [`node`]: sessions, watches, request preparation and the
//!   composed server (standalone, or an ensemble member when `NodeConfig::ensemble` is set).
//! - [`zab`]: fast leader election, discovery, synchronization (DIFF, TRUNC+DIFF, SNAP) and
//!   broadcast; ensemble members exchange [`node::PeerMsg`]s through `Output::Send` and
//!   `Input::Peer`, and save epochs, truncate and install snapshots through disk outputs.
#![warn(missing_docs)]

pub mod ids;
pub mod input;
pub mod lookup;
pub mod node;
pub mod output;
pub mod prep;
pub mod prng;
pub mod proto;
pub mod session;
pub mod time;
pub mod tree;
pub mod txn;
pub mod watch;
pub mod zab;
