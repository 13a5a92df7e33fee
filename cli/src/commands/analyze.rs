//! `cohort analyze`: GrowthBook's statistics for cases read as JSON lines, in the gbstats
//! oracle's shapes, so that any case can be checked against gbstats mechanically.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use cohort_stats::case::{analyze_case, Case};

use crate::output::{stdout, Result};

/// Analyse experiments read from stdin, one JSON object a line: {"id", "groups": [{"name",
/// "users", "converted"} or {"name", "users", "sum", "sum_squares"}], "control", "options":
/// {"alpha", "sequential_tuning_parameter", "weights", "inverse", "prior"}}. Print one JSON
/// line each: the SRM p-value and, for each group against control, the fixed-horizon,
/// sequential and Bayesian results (relative and absolute) and the adjusted p-values, as
/// gbstats computes them. A bad line is reported on stderr with its number, and the run goes
/// on.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> Result<ExitCode> {
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
        let text = match std::str::from_utf8(&line) {
            Ok(text) if text.trim().is_empty() => continue,
            Ok(text) => text,
            Err(e) => {
                eprintln!("cohort: line {number}: not UTF-8 ({e})");
                bad += 1;
                continue;
            }
        };
        let analysed = serde_json::from_str::<Case>(text)
            .map_err(|e| format!("not a case: {e}"))
            .and_then(|case| analyze_case(&case));
        match analysed {
            Ok(result) => {
                serde_json::to_writer(&mut out, &result)?;
                out.write_all(b"\n")?;
            }
            Err(why) => {
                eprintln!("cohort: line {number}: {why}");
                bad += 1;
            }
        }
    }
    out.flush()?;
    Ok(if bad == 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!("cohort: {bad} line(s) skipped");
        ExitCode::FAILURE
    })
}
