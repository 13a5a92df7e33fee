//! `cohort eval --rules FILE`: evaluate every spec for users read as JSON lines.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use cohort::User;
use serde_json::Value;

use crate::output::{stdout, Result};
use crate::rules::RulesArgs;

/// Evaluate every gate, config and layer for each user on stdin (one JSON object a line, in
/// Statsig's user shape) and print one JSON line per user: {"user", "gates", "configs",
/// "layers"}. Spec files are read as Statsig's SDK reads them; --strict refuses what
/// `cohort check` refuses. A line that is not a user (not UTF-8, not JSON, not an object) is
/// reported on stderr with its number, and the run goes on.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    rules: RulesArgs,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let rules = args.rules.load()?;
    let evaluator = rules.at(args.rules.now_ms());
    let mut stdin = std::io::stdin().lock();
    let mut out = stdout();
    let mut bad = 0usize;
    let mut line = Vec::new();
    for number in 1.. {
        line.clear();
        let read = stdin
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        if read == 0 {
            break;
        }
        let (raw, user) = match parse_user(&line) {
            Ok(Some(parsed)) => parsed,
            Ok(None) => continue,
            Err(why) => {
                eprintln!("cohort: line {number}: not a user: {why}");
                bad += 1;
                continue;
            }
        };
        let mut result = serde_json::to_value(evaluator.snapshot(&user))?;
        result["user"] = raw;
        serde_json::to_writer(&mut out, &result)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(if bad == 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!("cohort: {bad} line(s) skipped");
        ExitCode::FAILURE
    })
}

/// A line as the user it holds (with the JSON it was given); `None` for a blank line.
fn parse_user(line: &[u8]) -> std::result::Result<Option<(Value, User)>, String> {
    let text = std::str::from_utf8(line).map_err(|e| format!("not UTF-8 ({e})"))?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    let raw: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if !raw.is_object() {
        return Err("a user must be a JSON object".into());
    }
    let user = serde_json::from_value(raw.clone()).map_err(|e| e.to_string())?;
    Ok(Some((raw, user)))
}
