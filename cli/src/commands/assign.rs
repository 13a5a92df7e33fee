//! `cohort assign`: one user's group in one experiment.

use std::io::Write;
use std::process::ExitCode;

use cohort::{StickyGroup, User};
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
    /// The group the user was first exposed to, as the page keeps it for a sticky experiment:
    /// GROUP:VERSION. The user stays in it while the experiment's sticky version is VERSION.
    #[arg(long, value_name = "GROUP:VERSION", value_parser = parse_kept)]
    sticky: Option<(String, u32)>,
    /// Force the group (QA), as the page's `?force=<experiment>:<group>` does.
    #[arg(long, value_name = "GROUP", conflicts_with = "sticky")]
    force: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// `GROUP:VERSION`, split at the last colon.
fn parse_kept(text: &str) -> std::result::Result<(String, u32), String> {
    let (group, version) = text
        .rsplit_once(':')
        .ok_or_else(|| format!("\"{text}\" is not GROUP:VERSION"))?;
    let version = version
        .parse()
        .map_err(|_| format!("the version in \"{text}\" is not a whole number"))?;
    if group.is_empty() {
        return Err(format!("\"{text}\" names no group"));
    }
    Ok((group.to_owned(), version))
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
    let evaluator = rules.at(args.rules.now_ms());
    let result = match (&args.force, &args.sticky) {
        (Some(group), _) => evaluator
            .get_experiment_forced(&user, &args.experiment, group)
            .ok_or_else(|| {
                let groups = rules.group_names(&args.experiment);
                format!(
                    "{} has no group \"{group}\" (its groups: {})",
                    args.experiment,
                    groups.join(", ")
                )
            })?,
        (None, Some((group, version))) => evaluator.get_experiment_sticky(
            &user,
            &args.experiment,
            Some(StickyGroup {
                version: *version,
                group,
            }),
        ),
        (None, None) => evaluator.get_experiment(&user, &args.experiment),
    };
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
