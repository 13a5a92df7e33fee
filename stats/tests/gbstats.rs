//! GrowthBook's statistics, number for number: every case of `fixtures/gbstats/cases.jsonl`
//! (900 cases from `tools/gbstats-oracle/gen.py` with seeds 101, 202 and 303: proportions and
//! means, 2 to 5 groups, n from 20 to millions, zero-conversion and zero-variance groups, SRM,
//! non-default options) and of `extended_cases.jsonl` (the 160 CUPED and ratio cases
//! `gen.py --extended` adds, for the same seeds: 480; then 7 edge cases of our own) analysed
//! here and compared with what gbstats 0.8.0 computed for it (`expected.jsonl`,
//! `extended_expected.jsonl`, written by `tools/gbstats-oracle/oracle.py`).
//!
//! Numbers agree to 1e-9 relative; p-values (and figures that, like them, are differences of
//! numbers near 1) to 1e-12 absolute, since gbstats' `2 * (1 - cdf)` rounds what a better
//! formula would keep. Errors ("no result") agree by reason; where gbstats raises instead (an
//! absolute Bayesian lift over a control mean of exactly 0 with variance: its prior is scaled
//! by that mean, and it divides by zero), Cohort gives no result. One difference is deliberate:
//! a relative lift over a negative control mean is divided by the mean's absolute value, as
//! GrowthBook does today (gbstats 0.8.0 divided by the signed mean, flipping the lift's sign);
//! for those cases the expected relative figures are flipped accordingly before comparing.

use cohort_stats::case::{analyze_case, Case};
use serde_json::Value;

const CASES: &str = include_str!("fixtures/gbstats/cases.jsonl");
const EXPECTED: &str = include_str!("fixtures/gbstats/expected.jsonl");
const EXTENDED_CASES: &str = include_str!("fixtures/gbstats/extended_cases.jsonl");
const EXTENDED_EXPECTED: &str = include_str!("fixtures/gbstats/extended_expected.jsonl");

fn close(got: f64, want: f64, absolute: bool) -> bool {
    if got == want {
        return true;
    }
    let diff = (got - want).abs();
    if absolute {
        diff <= 1e-12
    } else {
        diff <= 1e-9 * got.abs().max(want.abs()) || diff <= 1e-300
    }
}

/// Walks `want` and compares every number in `got` at the same place.
fn compare(path: &str, got: &Value, want: &Value, mismatches: &mut Vec<String>) {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) if w.contains_key("exception") => {
            // gbstats raised: Cohort must say there is no result, not make one up.
            if g.get("error").is_none_or(Value::is_null) {
                mismatches.push(format!("{path}: gbstats raised, Cohort gave {got}"));
            }
        }
        (Value::Object(g), Value::Object(w)) => {
            for (key, w) in w {
                // gbstats' own version line, and the oracle's exception field, are not figures.
                if key == "gbstats" {
                    continue;
                }
                let g = g.get(key).unwrap_or(&Value::Null);
                compare(&format!("{path}.{key}"), g, w, mismatches);
            }
        }
        (Value::Array(g), Value::Array(w)) if g.len() == w.len() => {
            for (i, (g, w)) in g.iter().zip(w).enumerate() {
                compare(&format!("{path}[{i}]"), g, w, mismatches);
            }
        }
        (Value::Number(g), Value::Number(w)) => {
            let (g, w) = (g.as_f64().unwrap(), w.as_f64().unwrap());
            // p-values, chances to win and risks are computed as 1 - (something near 1) or
            // as tails: absolute tolerance.
            let absolute = path.contains("p_value")
                || path.contains("chance_to_win")
                || path.contains("risk")
                || path.contains("holm")
                || path.contains("benjamini");
            if !close(g, w, absolute) {
                mismatches.push(format!("{path}: got {g:e}, want {w:e}"));
            }
        }
        (g, w) if g == w => {}
        (g, w) => mismatches.push(format!("{path}: got {g}, want {w}")),
    }
}

/// gbstats 0.8.0 divides a relative lift by the signed control mean; GrowthBook (and Cohort)
/// by its absolute value. With a negative control mean, the relative figures flip.
/// The sign is the observed control mean's (CUPED's adjusted mean may be negative over a
/// positive one).
fn as_growthbook_today(case: &Case, want: &mut Value) {
    let Some(comparisons) = want["comparisons"].as_array_mut() else {
        return;
    };
    let control_name = case.control.as_deref().unwrap_or(&case.groups[0].name);
    let control = case.groups.iter().find(|g| g.name == control_name).unwrap();
    let observed = match (control.converted, control.sum, control.denominator_sum) {
        (_, Some(sum), Some(denominator)) => sum / denominator,
        (Some(converted), _, _) => converted as f64 / control.users as f64,
        (None, Some(sum), None) => sum / control.users as f64,
        _ => 0.0,
    };
    if observed.is_nan() || observed >= 0.0 {
        return;
    }
    for c in comparisons {
        for engine in ["frequentist", "sequential"] {
            let r = &mut c[engine]["relative"];
            if r["error"].is_null() {
                r["estimate"] = (-r["estimate"].as_f64().unwrap()).into();
                let (lo, hi) = (r["ci"][0].as_f64().unwrap(), r["ci"][1].as_f64().unwrap());
                r["ci"] = serde_json::json!([-hi, -lo]);
            }
        }
        let b = &mut c["bayesian"]["relative"];
        if b["error"].is_null() {
            b["expected"] = (-b["expected"].as_f64().unwrap()).into();
            b["chance_to_win"] = (1.0 - b["chance_to_win"].as_f64().unwrap()).into();
            let (lo, hi) = (b["ci"][0].as_f64().unwrap(), b["ci"][1].as_f64().unwrap());
            b["ci"] = serde_json::json!([-hi, -lo]);
            let (rc, rt) = (b["risk"][0].clone(), b["risk"][1].clone());
            b["risk"] = serde_json::json!([rt, rc]);
        }
    }
}

/// Compares every case of `cases` with its line of `expected`: (cases, figures, mismatches).
fn check(cases_jsonl: &str, expected_jsonl: &str) -> (usize, usize, Vec<String>) {
    let mut cases = 0;
    let mut figures = 0;
    let mut bad = Vec::new();
    for (line, (case, expected)) in cases_jsonl.lines().zip(expected_jsonl.lines()).enumerate() {
        let case: Case = serde_json::from_str(case).unwrap();
        let mut want: Value = serde_json::from_str(expected).unwrap();
        assert_eq!(want["id"].as_str(), case.id.as_deref(), "line {}", line + 1);
        as_growthbook_today(&case, &mut want);
        let got = serde_json::to_value(analyze_case(&case).unwrap()).unwrap();
        let mut mismatches = Vec::new();
        compare("", &got, &want, &mut mismatches);
        figures += count_numbers(&want);
        cases += 1;
        if !mismatches.is_empty() {
            bad.push(format!(
                "line {} ({}): {}",
                line + 1,
                case.id.unwrap_or_default(),
                mismatches[..mismatches.len().min(4)].join("; ")
            ));
        }
    }
    (cases, figures, bad)
}

#[test]
fn every_proportion_and_mean_case_matches_gbstats() {
    let (cases, figures, bad) = check(CASES, EXPECTED);
    println!("{cases} cases, {figures} figures compared with gbstats 0.8.0");
    assert_eq!(cases, 900);
    assert!(
        bad.is_empty(),
        "{} of {cases} cases differ:\n{}",
        bad.len(),
        bad[..bad.len().min(10)].join("\n")
    );
}

#[test]
fn every_cuped_and_ratio_case_matches_gbstats() {
    let (cases, figures, bad) = check(EXTENDED_CASES, EXTENDED_EXPECTED);
    println!("{cases} CUPED and ratio cases, {figures} figures compared with gbstats 0.8.0");
    assert_eq!(cases, 487);
    assert!(
        bad.is_empty(),
        "{} of {cases} cases differ:\n{}",
        bad.len(),
        bad[..bad.len().min(10)].join("\n")
    );
}

fn count_numbers(v: &Value) -> usize {
    match v {
        Value::Number(_) => 1,
        Value::Array(a) => a.iter().map(count_numbers).sum(),
        Value::Object(o) => o.values().map(count_numbers).sum(),
        _ => 0,
    }
}
