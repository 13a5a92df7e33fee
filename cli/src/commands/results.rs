//! `cohort results`: an experiment's results from the collector's database, every metric read
//! with one engine (sequential by default), as a table or as JSON; without `--experiment`, the
//! rules' experiments with the users exposed to each, as `GET /api/experiments` lists them.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use cohort_protocol::Experiments;
use cohort_stats::format::{percent, signed_percent};
use cohort_stats::verdict::{metric_sentences, thousands};
use cohort_stats::{Engine, ExperimentResults, MetricResults};

use crate::output::{stdout, Result};
use crate::rules::{load_reporting, options};

/// Print an experiment's results: who was exposed and the sample-ratio check, then for each
/// of its metrics each group's value, each treatment's lift against control with its 95%
/// interval and p-value (or chance to win), and a verdict in words. Without --experiment,
/// list the rules' experiments: groups, status, users exposed so far and metrics.
#[derive(clap::Args)]
pub struct Args {
    /// The collector's store: a SQLite file or a PostgreSQL URL.
    #[arg(long, default_value = "cohort.db")]
    db: String,
    /// The experiment (without it: every experiment, listed).
    #[arg(long)]
    experiment: Option<String>,
    /// How to read the comparisons: sequential (valid however often you look), fixed
    /// (fixed-horizon: look once), or bayesian.
    #[arg(long, default_value = "sequential", value_parser = ["sequential", "fixed", "bayesian"])]
    engine: String,
    /// Rules files or directories (the groups, weights, metrics and settings).
    #[arg(long = "rules", default_value = "experiments")]
    rules: Vec<PathBuf>,
    /// Print JSON (every engine, every figure; or the listing, as `GET /api/experiments`
    /// answers it) instead of a table.
    #[arg(long)]
    json: bool,
    /// Recompute every figure from the stored records instead of reading those the
    /// collectors keep as records arrive (the reference they are tested against; slow on a
    /// large database).
    #[arg(long)]
    recompute: bool,
    /// Break the results down by this dimension of the users (`browser`, `device`, `source`,
    /// `visitor`, or any the pages send): a slice per value, each with its sample-ratio check.
    #[arg(long, conflicts_with = "recompute")]
    dimension: Option<String>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let rules = load_reporting(&args.rules, options(true))?;
    let (runtime, store) = crate::store::open(&args.db)?;
    if !args.recompute {
        runtime
            .block_on(store.use_kept(&rules))
            .map_err(|e| format!("cannot read {}: {e}", store.describe()))?;
    }
    let Some(experiment) = &args.experiment else {
        let listing = runtime
            .block_on(cohort_collector::experiments::list(&rules, &store))
            .map_err(|e| format!("cannot read the experiments from {}: {e}", store.describe()))?;
        return print(args.json, &listing, || listing_table(&listing));
    };
    if let Some(dimension) = &args.dimension {
        let breakdown = runtime
            .block_on(store.breakdown(&rules, experiment, dimension))
            .map_err(|e| format!("cannot read the breakdown from {}: {e}", store.describe()))?
            .ok_or_else(|| format!("no experiment named \"{experiment}\" in the rules"))?;
        let engine = Engine::parse(&args.engine).unwrap_or(Engine::Sequential);
        return print(args.json, &breakdown, || {
            breakdown_report(&breakdown, engine)
        });
    }
    let results = runtime
        .block_on(async {
            if args.recompute {
                store.results_recomputed(&rules, experiment).await
            } else {
                store.results(&rules, experiment).await
            }
        })
        .map_err(|e| format!("cannot read the results from {}: {e}", store.describe()))?
        .ok_or_else(|| format!("no experiment named \"{experiment}\" in the rules"))?;
    let engine = Engine::parse(&args.engine).unwrap_or(Engine::Sequential);
    print(args.json, &results, || report(&results, engine))
}

/// Prints `value` as JSON (`--json`), else the text `report` writes.
fn print(
    json: bool,
    value: &impl serde::Serialize,
    report: impl FnOnce() -> String,
) -> Result<ExitCode> {
    let mut out = stdout();
    if json {
        serde_json::to_writer_pretty(&mut out, value)?;
        out.write_all(b"\n")?;
    } else {
        out.write_all(report().as_bytes())?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The experiments as a table: one line each, in the rules' order, the primary metric marked.
pub fn listing_table(listing: &Experiments) -> String {
    if listing.experiments.is_empty() {
        return "no experiments in the rules\n".to_owned();
    }
    let rows: Vec<[String; 5]> = listing
        .experiments
        .iter()
        .map(|e| {
            let metrics: Vec<String> = e
                .metrics
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    if i == 0 {
                        format!("{m} (primary)")
                    } else {
                        m.clone()
                    }
                })
                .collect();
            [
                e.name.clone(),
                e.status.as_str().to_owned(),
                thousands(e.exposures),
                e.groups.join(", "),
                if metrics.is_empty() {
                    "-".to_owned()
                } else {
                    metrics.join(", ")
                },
            ]
        })
        .collect();
    let header = ["experiment", "status", "exposures", "groups", "metrics"].map(String::from);
    let width = |column: usize| {
        std::iter::once(&header)
            .chain(&rows)
            .map(|row| row[column].chars().count())
            .max()
            .unwrap_or(0)
    };
    let (name, status, exposures, groups) = (width(0), width(1), width(2), width(3));
    std::iter::once(&header)
        .chain(&rows)
        .map(|[n, s, x, g, m]| {
            format!("{n:<name$}  {s:<status$}  {x:>exposures$}  {g:<groups$}  {m}\n")
        })
        .collect()
}

/// The results as text.
pub fn report(results: &ExperimentResults, engine: Engine) -> String {
    let mut out = String::new();
    let groups: Vec<String> = results
        .groups
        .iter()
        .map(|g| format!("{} {}", g.group, thousands(g.users)))
        .collect();
    out.push_str(&format!(
        "{}: {} users exposed ({}); {} results\n",
        results.experiment,
        thousands(results.total_users),
        groups.join(", "),
        match engine {
            Engine::Sequential => "sequential (valid however often you look)",
            Engine::Fixed => "fixed-horizon (valid when looked at once)",
            Engine::Bayesian => "Bayesian",
        }
    ));
    let srm = &results.sample_ratio;
    out.push_str(&if srm.mismatch {
        format!(
            "SAMPLE RATIO MISMATCH: p = {:.2e}; the groups' sizes differ from their weights, do not trust these results\n",
            srm.p_value
        )
    } else if results.total_users == 0 {
        "sample ratio: no users yet\n".to_owned()
    } else {
        format!(
            "sample ratio: p = {:.4}: the split matches the weights\n",
            srm.p_value
        )
    });
    for excluded in &results.excluded {
        out.push_str(&format!(
            "excluded: {} {}(s) kept out of these results: {}\n",
            excluded.count,
            excluded.kind,
            cohort_protocol::exclusion_sentence(&excluded.reason)
        ));
    }
    if results.dropped_by_clients > 0 {
        out.push_str(&format!(
            "pages reported dropping {} record(s) from full queues\n",
            results.dropped_by_clients
        ));
    }
    for part in &results.unavailable {
        out.push_str(&part.sentence());
        out.push('\n');
    }
    for (group, metric) in results.guardrail_failures(engine) {
        out.push_str(&format!(
            "GUARDRAIL FAILED: {group} makes {metric} significantly worse; do not ship it as it is\n"
        ));
    }
    for metric in results.metrics.iter().filter(|m| !m.metric.guardrail) {
        out.push('\n');
        out.push_str(&metric_table(results, metric, engine));
    }
    let guardrails: Vec<&MetricResults> = results
        .metrics
        .iter()
        .filter(|m| m.metric.guardrail)
        .collect();
    if !guardrails.is_empty() {
        out.push_str(
            "\nGuardrails (must not get worse; judged apart, left out of the corrections)\n",
        );
        for metric in guardrails {
            out.push('\n');
            out.push_str(&metric_table(results, metric, engine));
        }
    }
    out
}

/// A breakdown as text: per slice, its users per group, its sample-ratio check and each
/// treatment's lift on each goal metric.
pub fn breakdown_report(breakdown: &cohort_stats::breakdown::Breakdown, engine: Engine) -> String {
    let mut out = format!(
        "{} by {}: {} slice(s)\n",
        breakdown.experiment,
        breakdown.dimension,
        breakdown.slices.len()
    );
    for slice in &breakdown.slices {
        let r = &slice.results;
        let groups: Vec<String> = r
            .groups
            .iter()
            .map(|g| format!("{} {}", g.group, thousands(g.users)))
            .collect();
        out.push_str(&format!(
            "\n{} = {}: {} users ({}); sample ratio p = {:.4}{}\n",
            breakdown.dimension,
            slice.value,
            thousands(r.total_users),
            groups.join(", "),
            r.sample_ratio.p_value,
            if r.sample_ratio.mismatch {
                ": MISMATCH, do not trust this slice"
            } else {
                ""
            }
        ));
        for metric in &r.metrics {
            let lifts: Vec<String> = metric
                .comparisons
                .iter()
                .map(|c| {
                    let verdict = c.verdict(engine, r.settings.alpha, metric.metric.inverse);
                    let (estimate, _) = c.lift(engine);
                    if verdict.label() == "no result" {
                        format!("{} -", c.group)
                    } else {
                        format!(
                            "{} {} ({})",
                            c.group,
                            signed_percent(estimate, 1),
                            verdict.label()
                        )
                    }
                })
                .collect();
            out.push_str(&format!(
                "  {}{}: {}\n",
                metric.metric.name,
                if metric.metric.guardrail {
                    " (guardrail)"
                } else {
                    ""
                },
                lifts.join("; ")
            ));
        }
    }
    out
}

/// What a metric measures, in words: its kind and event (or a ratio's parts), CUPED and its
/// cap.
pub fn describe_metric(m: &cohort_stats::MetricInfo) -> String {
    let mut out = match &m.ratio {
        Some((numerator, denominator)) => format!("ratio of {numerator} over {denominator}"),
        None => format!("{} of {}", m.kind, m.event),
    };
    if m.inverse {
        out.push_str(", lower is better");
    }
    if let Some(days) = m.cuped_lookback_days {
        out.push_str(&format!(", CUPED over {} days before exposure", trim(days)));
    }
    if let Some(cap) = &m.cap {
        let at = match cap.kind.as_str() {
            "percentile" => format!(
                "the {} percentile{}",
                ordinal(cap.value * 100.0),
                if cap.ignore_zeros {
                    " of non-zero values"
                } else {
                    ""
                }
            ),
            _ => trim(cap.value),
        };
        let bound = match (cap.kind.as_str(), cap.bound, cap.denominator_bound) {
            ("percentile", Some(b), Some(d)) => {
                format!(" (now {} and {} per user)", trim(b), trim(d))
            }
            ("percentile", Some(b), None) => format!(" (now {} per user)", trim(b)),
            _ => String::new(),
        };
        out.push_str(&format!(", capped at {at}{bound}"));
    }
    out
}

/// A number without trailing zeros (4 decimals at most).
fn trim(x: f64) -> String {
    let text = format!("{x:.4}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// `99` as `99th`, `92.5` as `92.5th`.
fn ordinal(x: f64) -> String {
    let text = trim(x);
    let suffix = match text.parse::<u64>().map(|n| (n % 10, n % 100)) {
        Ok((1, r)) if r != 11 => "st",
        Ok((2, r)) if r != 12 => "nd",
        Ok((3, r)) if r != 13 => "rd",
        _ => "th",
    };
    format!("{text}{suffix}")
}

fn metric_table(results: &ExperimentResults, metric: &MetricResults, engine: Engine) -> String {
    let m = &metric.metric;
    let mut out = format!(
        "{}{}: {}\n",
        m.name,
        if metric.primary { " (primary)" } else { "" },
        describe_metric(m)
    );
    let last = match engine {
        Engine::Bayesian => "chance to win",
        _ => "p-value",
    };
    out.push_str(&format!(
        "{:<12} {:>9} {:>10} {:>34} {:>13}  {}\n",
        "group",
        "users",
        "value",
        format!("lift vs {} (95% CI)", results.control),
        last,
        "verdict"
    ));
    let conversion = m.kind == "conversion";
    for g in &metric.groups {
        let value = if conversion {
            percent(g.mean, 2)
        } else {
            format!("{:.3}", g.mean)
        };
        let comparison = metric.comparisons.iter().find(|c| c.group == g.group);
        let (lift, last, verdict) = match comparison {
            None => ("-".to_owned(), "-".to_owned(), String::new()),
            Some(c) => {
                let verdict = c.verdict(engine, results.settings.alpha, m.inverse);
                let (estimate, ci, last) = match engine {
                    Engine::Sequential => {
                        let r = &c.result.sequential.relative;
                        (r.estimate, r.ci, format!("{:.4}", r.p_value))
                    }
                    Engine::Fixed => {
                        let r = &c.result.fixed.relative;
                        (r.estimate, r.ci, format!("{:.4}", r.p_value))
                    }
                    Engine::Bayesian => {
                        let r = &c.result.bayesian.relative;
                        (r.expected, r.ci, percent(r.chance_to_win, 1))
                    }
                };
                let lift = if verdict.label() == "no result" {
                    "-".to_owned()
                } else {
                    format!(
                        "{} ({} to {})",
                        signed_percent(estimate, 1),
                        signed_percent(ci.0, 1),
                        signed_percent(ci.1, 1)
                    )
                };
                (lift, last, verdict.label().to_owned())
            }
        };
        out.push_str(&format!(
            "{:<12} {:>9} {:>10} {:>34} {:>13}  {}\n",
            g.group,
            thousands(g.stats.users),
            value,
            lift,
            last,
            verdict
        ));
    }
    for said in metric_sentences(metric, engine, results.settings.alpha, &results.control) {
        out.push_str(&format!("  {}\n", said.sentence));
    }
    for c in &metric.comparisons {
        if let Some(cuped) = c.cuped {
            out.push_str(&format!(
                "  CUPED: {}'s interval {} than without it (theta {:.3}).\n",
                c.group,
                if cuped.narrower >= 0.0 {
                    format!("{} narrower", percent(cuped.narrower, 0))
                } else {
                    format!("{} wider", percent(-cuped.narrower, 0))
                },
                cuped.theta
            ));
        }
    }
    out
}
