//! `cohort check FILE...`: validate rules strictly and summarise them.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use cohort::{CompileOptions, Rules, SpecKind};
use cohort_stats::format::short_percent;

use crate::output::{stdout, Result};
use crate::rules::{load, LoadError};

/// Validate rules files (strictly, as the app's build does) and print what they hold.
#[derive(clap::Args)]
pub struct Args {
    /// Statsig spec files (.json) and hand-written rules (.toml), checked together.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let rules = match load(&args.files, CompileOptions::STRICT) {
        Ok(rules) => rules,
        Err(LoadError::Io(message)) => return Err(message.into()),
        Err(LoadError::Invalid(diagnostics)) => {
            eprintln!("{diagnostics}");
            eprintln!(
                "cohort: {} error(s) in {} file(s)",
                diagnostics.errors().count(),
                args.files.len()
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    let mut out = stdout();
    out.write_all(summary(&rules).as_bytes())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// One line per spec, and one per experiment's groups.
pub fn summary(rules: &Rules) -> String {
    let mut out = String::new();
    let count = |kind| rules.specs().iter().filter(|s| s.kind == kind).count();
    out.push_str(&format!(
        "ok: {} gate(s), {} config(s) and experiment(s), {} layer(s), {} metric(s)\n",
        count(SpecKind::Gate),
        count(SpecKind::Config),
        count(SpecKind::Layer),
        rules.metrics().len()
    ));
    for spec in rules.specs() {
        let entity = spec.entity.as_deref().unwrap_or(match spec.kind {
            SpecKind::Gate => "feature_gate",
            SpecKind::Config => "dynamic_config",
            SpecKind::Layer => "layer",
        });
        let state = if spec.enabled { "enabled" } else { "disabled" };
        let mut line = format!(
            "{entity} {}: {state}, {} rule(s)",
            spec.name,
            spec.rules.len()
        );
        if let Some(plan) = spec.plan() {
            line.push_str(&format!(
                ", {} allocated, {} group(s)\n    {}",
                short_percent(plan.allocation),
                plan.groups.len(),
                plan.groups
                    .iter()
                    .map(|g| format!("{} {}", g.name, short_percent(g.share)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let delegates: Vec<&str> = spec
            .rules
            .iter()
            .filter_map(|r| r.delegate.as_ref().map(|d| d.name.as_str()))
            .collect();
        if !delegates.is_empty() {
            line.push_str(&format!(", experiments: {}", delegates.join(", ")));
        }
        out.push_str(&format!("  {line}\n"));
        if spec.kind == SpecKind::Config && spec.plan().is_some() {
            let settings = rules.experiment_settings(&spec.name);
            if !settings.metrics.is_empty() {
                out.push_str(&format!(
                    "    judged by {} (primary {}), sequential tuning {}, target lift {}{}\n",
                    settings.metrics.join(", "),
                    settings.metrics[0],
                    settings.sequential_tuning,
                    short_percent(settings.target_lift),
                    settings
                        .sticky_version
                        .map_or(String::new(), |v| format!(", sticky (version {v})"))
                ));
            }
        }
    }
    for metric in rules.metrics() {
        out.push_str(&format!(
            "  metric {}: {} of {}{}{}\n",
            metric.name,
            metric.kind.as_str(),
            metric.event,
            if metric.inverse {
                ", lower is better"
            } else {
                ""
            },
            metric.window_ms.map_or(String::new(), |w| format!(
                ", within {} h of exposure",
                w as f64 / 3.6e6
            ))
        ));
    }
    out
}
