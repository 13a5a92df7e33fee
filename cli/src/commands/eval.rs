//! `cohort eval --rules FILE`: evaluate every spec for users read as JSON lines.

use std::io::{BufRead, BufWriter, Write};
use std::process::ExitCode;

use cohort::User;
use serde_json::Value;

use crate::rules::RulesArgs;

/// Evaluate every gate, config and layer for each user on stdin (one JSON object a line, in
/// Statsig's user shape) and print one JSON line per user: {"user", "gates", "configs",
/// "layers"}. Spec files are read as Statsig's SDK reads them; --strict refuses what
/// `cohort check` refuses.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    rules: RulesArgs,
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    let rules = args.rules.load()?;
    let evaluator = rules.at(args.rules.now_ms());
    let stdin = std::io::stdin().lock();
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut bad = 0usize;
    for (i, line) in stdin.lines().enumerate() {
        let line = line.map_err(|e| format!("cannot read stdin: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let parsed: Result<(Value, User), String> = serde_json::from_str::<Value>(&line)
            .map_err(|e| e.to_string())
            .and_then(|raw| {
                if !raw.is_object() {
                    return Err("a user must be a JSON object".into());
                }
                let user = serde_json::from_value(raw.clone()).map_err(|e| e.to_string())?;
                Ok((raw, user))
            });
        let (raw, user) = match parsed {
            Ok(p) => p,
            Err(e) => {
                eprintln!("cohort: line {}: not a user: {e}", i + 1);
                bad += 1;
                continue;
            }
        };
        let mut result = serde_json::to_value(evaluator.snapshot(&user))
            .map_err(|e| format!("cannot write the result: {e}"))?;
        result["user"] = raw;
        serde_json::to_writer(&mut out, &result).map_err(|e| format!("cannot write: {e}"))?;
        out.write_all(b"\n")
            .map_err(|e| format!("cannot write: {e}"))?;
    }
    out.flush().map_err(|e| format!("cannot write: {e}"))?;
    Ok(if bad == 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!("cohort: {bad} line(s) skipped");
        ExitCode::FAILURE
    })
}
