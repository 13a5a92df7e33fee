//! `cohort results`: an experiment's results table from the collector's database.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use cohort::SpecKind;
use cohort_protocol::VISITED_SIGNUP;
use cohort_stats::format::percent;

use crate::output::{stdout, Result};
use crate::rules::{load_reporting, options};
use crate::serve::store::{Results, Store};

/// Print an experiment's results: per group, users exposed and converted, the rate, the lift
/// against Control with its 95% interval and p-value, and the sample-ratio check.
#[derive(clap::Args)]
pub struct Args {
    /// The collector's SQLite database.
    #[arg(long, default_value = "cohort.db")]
    db: PathBuf,
    /// The experiment.
    #[arg(long)]
    experiment: String,
    /// The event that counts as a conversion.
    #[arg(long, default_value = VISITED_SIGNUP)]
    event: String,
    /// Rules files or directories (for the groups and their weights).
    #[arg(long = "rules", default_value = "experiments")]
    rules: Vec<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    if !args.db.exists() {
        return Err(format!("no database at {}", args.db.display()).into());
    }
    let rules = load_reporting(&args.rules, options(true))?;
    let plan = rules
        .spec(SpecKind::Config, &args.experiment)
        .and_then(|s| s.plan())
        .ok_or_else(|| format!("no experiment named \"{}\" in the rules", args.experiment))?;
    let store = Store::open(&args.db)?;
    let results = store
        .results(&args.experiment, &args.event, Some(&plan))
        .map_err(|e| format!("cannot read {}: {e}", args.db.display()))?;
    let mut out = stdout();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &results)?;
        out.write_all(b"\n")?;
    } else {
        out.write_all(table(&results).as_bytes())?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn pct(x: f64) -> String {
    percent(x, 2)
}

/// The results as a text table.
pub fn table(results: &Results) -> String {
    let a = &results.analysis;
    let mut out = format!(
        "{}: conversion to {} ({} users exposed, control {})\n",
        a.experiment, a.event, a.total_exposed, a.control
    );
    out.push_str(&format!(
        "{:<12} {:>8} {:>9} {:>8} {:>9} {:>9} {:>20} {:>8}\n",
        "group", "exposed", "converted", "rate", "abs lift", "rel lift", "95% CI (abs)", "p"
    ));
    for g in &a.groups {
        let rate = g.rate.map_or("-".into(), pct);
        let (abs, rel, ci, p) = match &g.vs_control {
            Some(c) => (
                pct(c.absolute_lift),
                c.relative_lift.map_or("-".into(), pct),
                format!("[{}, {}]", pct(c.absolute_ci.0), pct(c.absolute_ci.1)),
                format!("{:.4}", c.p_value),
            ),
            None => ("-".into(), "-".into(), "-".into(), "-".into()),
        };
        out.push_str(&format!(
            "{:<12} {:>8} {:>9} {:>8} {:>9} {:>9} {:>20} {:>8}\n",
            g.group, g.exposed, g.converted, rate, abs, rel, ci, p
        ));
    }
    match &a.sample_ratio {
        Some(s) if s.mismatch => out.push_str(&format!(
            "SAMPLE RATIO MISMATCH: chi-square {:.2}, p = {:.2e}; the split differs from the weights, do not trust these results\n",
            s.test.statistic, s.test.p_value
        )),
        Some(s) => out.push_str(&format!(
            "sample ratio: chi-square {:.2}, p = {:.4}: the split matches the weights\n",
            s.test.statistic, s.test.p_value
        )),
        None => out.push_str("sample ratio: not enough users to check\n"),
    }
    for excluded in &results.excluded {
        out.push_str(&format!(
            "excluded: {} {}(s) kept out of these results: {}\n",
            excluded.count, excluded.kind, excluded.reason
        ));
    }
    if results.dropped_by_clients > 0 {
        out.push_str(&format!(
            "pages reported dropping {} record(s) from full queues\n",
            results.dropped_by_clients
        ));
    }
    out
}
