//! Figures as people read them: one percent formatter for the results page, the CLI and the
//! collector's answers.

/// A share (0 to 1) as a percentage with `decimals` decimals: `percent(0.25, 2)` is `"25.00%"`.
pub fn percent(share: f64, decimals: usize) -> String {
    format!("{:.*}%", decimals, 100.0 * share)
}

/// A change as a signed percentage: `"+1.50%"`, `"-0.20%"`, and `"0.00%"` for no change.
pub fn signed_percent(share: f64, decimals: usize) -> String {
    let text = percent(share, decimals);
    if !text.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        percent(0.0, decimals)
    } else if share > 0.0 {
        format!("+{text}")
    } else {
        text
    }
}

/// A configured share as briefly as it is exact to a tenth of a percent: `"25%"`, `"12.5%"`.
pub fn short_percent(share: f64) -> String {
    let p = 100.0 * share;
    percent(share, if (p - p.round()).abs() < 1e-9 { 0 } else { 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages() {
        assert_eq!(percent(0.25, 2), "25.00%");
        assert_eq!(percent(0.123456, 1), "12.3%");
        assert_eq!(signed_percent(0.015, 2), "+1.50%");
        assert_eq!(signed_percent(-0.002, 2), "-0.20%");
        assert_eq!(signed_percent(0.0, 2), "0.00%");
        assert_eq!(
            signed_percent(0.000001, 2),
            "0.00%",
            "no sign on what rounds to zero"
        );
        assert_eq!(signed_percent(-0.000001, 2), "0.00%");
        assert_eq!(short_percent(0.25), "25%");
        assert_eq!(short_percent(0.125), "12.5%");
        assert_eq!(short_percent(1.0 / 3.0), "33.3%");
    }
}
