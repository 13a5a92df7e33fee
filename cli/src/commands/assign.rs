//! `cohort assign`: one user's group in one experiment.

use std::io::Write;
use std::process::ExitCode;

use cohort::User;
use serde_json::json;

use crate::output::{stdout, Result};
use crate::rules::RulesArgs;

/// Show the group, parameters and reason of one user in one experiment.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    rules: RulesArgs,
    /// The experiment (or dynamic config).
    #[arg(long)]
    experiment: String,
    /// The user ID.
    #[arg(long)]
    user: String,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let rules = args.rules.load()?;
    if rules
        .spec(cohort::SpecKind::Config, &args.experiment)
        .is_none()
    {
        return Err(format!(
            "no experiment or dynamic config named \"{}\" in the rules",
            args.experiment
        )
        .into());
    }
    let user = User::with_id(args.user.clone());
    let result = rules
        .at(args.rules.now_ms())
        .get_experiment(&user, &args.experiment);
    let group = result.group();
    let mut out = stdout();
    if args.json {
        let json = json!({
            "experiment": args.experiment,
            "user": args.user,
            "group": group,
            "rule_id": result.rule_id,
            "reason": result.reason,
            "params": result.value,
            "secondary_exposures": result.secondary_exposures,
        });
        writeln!(out, "{json}")?;
    } else {
        writeln!(out, "experiment: {}", args.experiment)?;
        writeln!(out, "user:       {}", args.user)?;
        let group = group.unwrap_or("(none: not in the experiment)");
        writeln!(out, "group:      {group}")?;
        writeln!(out, "rule:       {}", result.rule_id)?;
        writeln!(out, "reason:     {}", result.reason.as_str())?;
        writeln!(out, "params:     {}", result.value)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
