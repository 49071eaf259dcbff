use zoorepl_sim::{run_seed, SimOptions};

#[test]
fn one_seed_prints() {
    for seed in 0..5 {
        let out = run_seed(seed, &SimOptions::default());
        println!("seed {seed}: hash {:#x} {:?}", out.trace_hash, out.stats);
        println!("faults {}", out.faults);
        for f in &out.failures {
            println!("{f}");
        }
    }
}
