//! Random concurrent histories, produced by running operations against a correct register.

use serde_json::{json, Value};
use zoorepl_jepsen::{Event, EventType};

/// A small deterministic PRNG (splitmix64), so a failing seed reproduces.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut x = self.0;
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^ (x >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

enum Slot {
    Idle,
    Invoked {
        f: &'static str,
        args: Value,
    },
    Done {
        f: &'static str,
        kind: EventType,
        result: Value,
    },
}

/// Runs `ops` random reads, writes and CASes from `procs` processes against one register.
/// Each operation takes effect at one random moment between its invocation and completion;
/// about one in eight completes as `info` (and then took effect or not, at random). Every
/// write and CAS writes a value no other operation writes.
pub fn register_history(seed: u64, procs: usize, ops: usize) -> Vec<Event> {
    let mut rng = Rng(seed);
    let mut register: Option<i64> = None;
    let mut next_value = 1_i64;
    let mut slots: Vec<Slot> = (0..procs).map(|_| Slot::Idle).collect();
    let mut events = Vec::new();
    let mut issued = 0;
    while issued < ops || slots.iter().any(|s| !matches!(s, Slot::Idle)) {
        let p = rng.below(procs as u64) as usize;
        let process = p as u64;
        slots[p] = match std::mem::replace(&mut slots[p], Slot::Idle) {
            Slot::Idle if issued < ops => {
                issued += 1;
                let (f, args) = match rng.below(3) {
                    0 => ("read", Value::Null),
                    1 => ("write", json!(next_value)),
                    _ => {
                        // Expect the current value half of the time, so some CASes apply.
                        let from = match register {
                            Some(v) if rng.below(2) == 0 => v,
                            _ => rng.below(next_value as u64 + 1) as i64,
                        };
                        ("cas", json!([from, next_value]))
                    }
                };
                next_value += 1;
                events.push(Event::invoke(process, f, None, args.clone()));
                Slot::Invoked { f, args }
            }
            Slot::Idle => Slot::Idle,
            Slot::Invoked { f, args } => {
                let lost = rng.below(8) == 0;
                let applies = !lost || rng.below(2) == 0;
                let (kind, result) = if applies {
                    apply(&mut register, f, &args)
                } else {
                    (EventType::Ok, Value::Null)
                };
                let kind = if lost { EventType::Info } else { kind };
                Slot::Done { f, kind, result }
            }
            Slot::Done { f, kind, result } => {
                events.push(Event::complete(process, kind, f, None, result));
                Slot::Idle
            }
        };
    }
    events
}

fn apply(register: &mut Option<i64>, f: &str, args: &Value) -> (EventType, Value) {
    match f {
        "read" => (EventType::Ok, register.map_or(Value::Null, Value::from)),
        "write" => {
            *register = args.as_i64();
            (EventType::Ok, args.clone())
        }
        _ => {
            let (from, to) = (args[0].as_i64(), args[1].as_i64());
            if *register == from {
                *register = to;
                (EventType::Ok, args.clone())
            } else {
                (EventType::Fail, args.clone())
            }
        }
    }
}
