//! The models: register, key-value map, set of znodes, sequential queue.

pub mod kv;
pub mod register;

pub use kv::{KvInput, KvMap, KvOutput};
pub use register::{CasGuard, Register, RegisterInput, RegisterOutput, RegisterState};
