//! cohort-stats against figures computed independently with scipy and statsmodels
//! (`tools/stats-fixture/generate.py`, committed as `tests/fixtures/reference.json`).

use cohort_stats::{chi_square_fit, compare, Proportion};
use serde_json::Value;

fn close(got: f64, want: f64, what: &str) {
    let tolerance = 1e-9 * want.abs().max(1.0);
    assert!(
        (got - want).abs() <= tolerance,
        "{what}: got {got}, want {want}"
    );
}

fn reference() -> Value {
    serde_json::from_str(include_str!("fixtures/reference.json")).unwrap()
}

fn pair(v: &Value) -> Proportion {
    Proportion {
        converted: v[0].as_u64().unwrap(),
        users: v[1].as_u64().unwrap(),
    }
}

#[test]
fn comparisons_match_statsmodels() {
    let cases = reference()["comparisons"].as_array().unwrap().clone();
    assert!(cases.len() >= 100);
    for (i, case) in cases.iter().enumerate() {
        let c = compare(pair(&case["treatment"]), pair(&case["control"])).unwrap();
        let (lo, hi) = pair(&case["treatment"]).interval95().unwrap();
        close(
            lo,
            case["treatment_rate_ci"][0].as_f64().unwrap(),
            &format!("case {i} rate ci lo"),
        );
        close(
            hi,
            case["treatment_rate_ci"][1].as_f64().unwrap(),
            &format!("case {i} rate ci hi"),
        );
        let what = |field: &str| format!("case {i} {field}");
        close(c.z, case["z"].as_f64().unwrap(), &what("z"));
        close(
            c.p_value,
            case["p_value"].as_f64().unwrap(),
            &what("p_value"),
        );
        close(
            c.absolute_ci.0,
            case["absolute_ci"][0].as_f64().unwrap(),
            &what("absolute_ci.lo"),
        );
        close(
            c.absolute_ci.1,
            case["absolute_ci"][1].as_f64().unwrap(),
            &what("absolute_ci.hi"),
        );
        close(
            c.relative_lift.unwrap(),
            case["relative_lift"].as_f64().unwrap(),
            &what("relative_lift"),
        );
        let (lo, hi) = c.relative_ci.unwrap();
        close(
            lo,
            case["relative_ci"][0].as_f64().unwrap(),
            &what("relative_ci.lo"),
        );
        close(
            hi,
            case["relative_ci"][1].as_f64().unwrap(),
            &what("relative_ci.hi"),
        );
    }
}

#[test]
fn sample_ratio_checks_match_scipy() {
    let cases = reference()["sample_ratios"].as_array().unwrap().clone();
    for (i, case) in cases.iter().enumerate() {
        let observed: Vec<u64> = case["observed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        let weights: Vec<f64> = case["weights"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let t = chi_square_fit(&observed, &weights).unwrap();
        close(
            t.statistic,
            case["statistic"].as_f64().unwrap(),
            &format!("case {i} statistic"),
        );
        close(
            t.p_value,
            case["p_value"].as_f64().unwrap(),
            &format!("case {i} p_value"),
        );
    }
}
