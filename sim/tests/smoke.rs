use zoorepl_sim::{run_seed, FaultLevel, SimOptions};

#[test]
fn one() {
    let seed: u64 = std::env::var("SEED").unwrap().parse().unwrap();
    let heavy = std::env::var("HEAVY").is_ok();
    let opts = SimOptions { faults: if heavy { FaultLevel::Heavy } else { FaultLevel::Default }, trace: true, ..SimOptions::default() };
    let out = run_seed(seed, &opts);
    for l in &out.trace { println!("{l}"); }
    for f in &out.failures { println!("{f}"); }
}

#[test]
fn sweep() {
    let start = std::time::Instant::now();
    let n: u64 = std::env::var("N").map_or(300, |v| v.parse().unwrap());
    let mut events = 0;
    for level in [FaultLevel::Default, FaultLevel::Heavy, FaultLevel::None] {
        let opts = SimOptions { faults: level, ..SimOptions::default() };
        for seed in 0..n {
            let out = run_seed(seed, &opts);
            events += out.stats.events;
            for f in &out.failures {
                println!("{level} seed {seed}: {f}");
            }
        }
    }
    println!("{events} events in {:?}", start.elapsed());
}
