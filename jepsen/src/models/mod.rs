//! The models: register, key-value map, set of znodes, sequential queue.

pub mod kv;
pub mod queue;
pub mod register;
pub mod set;

pub use kv::{KvInput, KvMap, KvOutput};
pub use queue::{QueueInput, QueueOutput, QueueState, SequentialQueue};
pub use register::{CasGuard, Register, RegisterInput, RegisterOutput, RegisterState};
pub use set::{SetInput, SetOutput, ZnodeSet};
