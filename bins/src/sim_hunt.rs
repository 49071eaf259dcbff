//! `zoorepl sim --hunt`: how many seeds the simulator needs to find each planted ZAB bug.
//!
//! For each bug and each of several seed ranges (range k starts at k × 1,000,000), seeds are run
//! in order until one fails; the count (1 = the first seed) is that range's figure. The table
//! gives every range, the median and the maximum, in Markdown, so it can be kept in the repo.

use std::time::Instant;

use zoorepl_core::zab::PlantedBug;
use zoorepl_sim::{run_seed, SimOptions};

use crate::sim::SimArgs;

/// Distance between the starts of two hunting ranges.
const RANGE_STRIDE: u64 = 1_000_000;

/// One bug's results: seeds needed per range (`None` = not found within the cap).
struct Found {
    bug: PlantedBug,
    per_range: Vec<Option<u64>>,
    first_failure: Option<String>,
}

/// Runs the hunt and prints the table; returns how many (bug, range) pairs were not found.
pub(crate) fn hunt(args: &SimArgs, base: &SimOptions) -> usize {
    let bugs: Vec<PlantedBug> = args
        .planted
        .map_or_else(|| PlantedBug::ALL.to_vec(), |b| vec![b]);
    let started = Instant::now();
    let mut results = Vec::new();
    for bug in bugs {
        let opts = SimOptions {
            zab_bug: Some(bug),
            ..base.clone()
        };
        let mut found = Found {
            bug,
            per_range: Vec::new(),
            first_failure: None,
        };
        for k in 0..args.hunt_ranges {
            let (needed, failure) = seeds_to_find(k * RANGE_STRIDE, args.hunt_max, &opts);
            eprintln!(
                "{}: range {k}: {}  ({:.0} s so far)",
                bug.name(),
                needed.map_or_else(
                    || format!("not found in {}", args.hunt_max),
                    |n| n.to_string()
                ),
                started.elapsed().as_secs_f64()
            );
            found.per_range.push(needed);
            if found.first_failure.is_none() {
                found.first_failure = failure;
            }
        }
        results.push(found);
    }
    print_table(&results, args);
    results
        .iter()
        .map(|f| f.per_range.iter().filter(|n| n.is_none()).count())
        .sum()
}

/// Runs seeds from `start` until one fails; returns how many it took and the failure.
fn seeds_to_find(start: u64, max: u64, opts: &SimOptions) -> (Option<u64>, Option<String>) {
    for i in 0..max {
        let outcome = run_seed(start + i, opts);
        if let Some(f) = outcome.failures.first() {
            return (Some(i + 1), Some(f.to_string()));
        }
    }
    (None, None)
}

fn print_table(results: &[Found], args: &SimArgs) {
    println!(
        "Seeds needed to find each planted bug: --nodes {} --observers {} --faults {}, \
         {} ranges starting at k × {RANGE_STRIDE}, at most {} seeds each.\n",
        args.nodes, args.observers, args.faults, args.hunt_ranges, args.hunt_max
    );
    let ranges: Vec<String> = (0..args.hunt_ranges)
        .map(|k| format!("range {k}"))
        .collect();
    println!("| bug | {} | median | max |", ranges.join(" | "));
    println!("|---|{}---|---|", "---|".repeat(ranges.len()));
    for f in results {
        let cells: Vec<String> = f
            .per_range
            .iter()
            .map(|n| n.map_or_else(|| "—".to_owned(), |n| n.to_string()))
            .collect();
        let mut found: Vec<u64> = f.per_range.iter().flatten().copied().collect();
        found.sort_unstable();
        let median = found
            .get(found.len() / 2)
            .map_or("—".to_owned(), u64::to_string);
        let max = if found.len() == f.per_range.len() {
            found.last().map_or("—".to_owned(), u64::to_string)
        } else {
            format!("> {}", args.hunt_max)
        };
        println!(
            "| {} | {} | {median} | {max} |",
            f.bug.name(),
            cells.join(" | ")
        );
    }
    println!("\nFirst failure seen for each bug:\n");
    for f in results {
        let what = f.first_failure.as_deref().unwrap_or("not found");
        let first_line = what.lines().next().unwrap_or(what);
        println!("- {}: {first_line}", f.bug.name());
    }
}
