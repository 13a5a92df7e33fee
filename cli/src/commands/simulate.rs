//! `cohort simulate`: assign N random users and test the split against the weights.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;

use cohort::{SpecKind, User};
use cohort_stats::chi_square_fit;
use cohort_stats::format::percent;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::output::{stdout, Result};
use crate::rules::RulesArgs;

/// Assign N random user IDs (UUIDs) to an experiment; print each group's share next to its
/// configured weight and a chi-square test of the split (a p-value below 0.001 is a
/// sample-ratio mismatch).
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    rules: RulesArgs,
    /// The experiment.
    #[arg(long)]
    experiment: String,
    /// How many random users.
    #[arg(short = 'n', long, default_value_t = 100_000)]
    n: u64,
    /// Seed for the random IDs (the same seed gives the same users).
    #[arg(long)]
    seed: Option<u64>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let rules = args.rules.load()?;
    let spec = rules
        .spec(SpecKind::Config, &args.experiment)
        .ok_or_else(|| format!("no experiment named \"{}\" in the rules", args.experiment))?;
    let plan = spec.plan().ok_or_else(|| {
        format!(
            "\"{}\" has no experiment groups on user buckets to simulate",
            args.experiment
        )
    })?;
    if args.n == 0 {
        return Err("-n must be at least 1".into());
    }
    let seed = args.seed.unwrap_or_else(|| rand::rng().random());
    let mut rng = StdRng::seed_from_u64(seed);
    let evaluator = rules.at(args.rules.now_ms());
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    let mut outside = 0u64;
    for _ in 0..args.n {
        let id = uuid::Builder::from_random_bytes(rng.random())
            .into_uuid()
            .hyphenated()
            .to_string();
        let result = evaluator.get_experiment(&User::with_id(id), &args.experiment);
        match result.group() {
            Some(group) => *counts.entry(group).or_default() += 1,
            None => outside += 1,
        }
    }
    let inside = args.n - outside;
    let share_of = |n: u64, of: u64| if of > 0 { n as f64 / of as f64 } else { 0.0 };
    let mut out = stdout();
    writeln!(
        out,
        "{} users (seed {seed}), {inside} in the experiment ({}, configured {})",
        args.n,
        percent(share_of(inside, args.n), 2),
        percent(plan.allocation, 1)
    )?;
    writeln!(
        out,
        "{:<20} {:>10} {:>9} {:>9}",
        "group", "users", "share", "weight"
    )?;
    let observed: Vec<u64> = plan
        .groups
        .iter()
        .map(|g| counts.get(g.name.as_str()).copied().unwrap_or(0))
        .collect();
    for (group, &n) in plan.groups.iter().zip(&observed) {
        writeln!(
            out,
            "{:<20} {:>10} {:>9} {:>9}",
            group.name,
            n,
            percent(share_of(n, inside), 2),
            percent(group.share, 2)
        )?;
    }
    let weights: Vec<f64> = plan.groups.iter().map(|g| g.share).collect();
    match chi_square_fit(&observed, &weights) {
        Some(test) => writeln!(
            out,
            "chi-square {:.3} with {} degree(s) of freedom, p = {:.4}: {}",
            test.statistic,
            test.degrees_of_freedom,
            test.p_value,
            if test.mismatch() {
                "SAMPLE RATIO MISMATCH (p < 0.001)"
            } else {
                "the split matches the weights"
            }
        )?,
        None => writeln!(out, "chi-square: not enough groups or users to test")?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
