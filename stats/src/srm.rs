//! Sample-ratio mismatch: are the groups the sizes their weights say?
//!
//! Pearson's chi-square goodness-of-fit test of observed counts against expected shares.
//! [`check_srm`] is gbstats' (groups with no weight are left out of the statistic but counted
//! in the degrees of freedom); [`chi_square_fit`] is the plain test, with the statistic, for
//! `cohort simulate`. A p-value below [`SRM_THRESHOLD`] means the split is broken (assignment
//! or logging lost users of some group), and results should not be trusted.

use serde::{Deserialize, Serialize};

use crate::dist::chi2_sf;

/// The p-value below which a sample-ratio mismatch is flagged.
pub const SRM_THRESHOLD: f64 = 0.001;

/// gbstats' `check_srm`: the p-value of the groups' sizes against their weights; 1 without
/// users.
pub fn check_srm(users: &[u64], weights: &[f64]) -> f64 {
    let total: u64 = users.iter().sum();
    if total == 0 {
        return 1.0;
    }
    let total_weight: f64 = weights.iter().sum();
    let mut x = 0.0;
    for (&observed, &weight) in users.iter().zip(weights) {
        if weight <= 0.0 {
            continue;
        }
        let expected = weight / total_weight * total as f64;
        x += (observed as f64 - expected).powi(2) / expected;
    }
    chi2_sf(x, (users.len() as f64) - 1.0)
}

/// A chi-square test result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChiSquare {
    pub statistic: f64,
    pub degrees_of_freedom: u32,
    pub p_value: f64,
}

impl ChiSquare {
    /// Whether the split differs from the weights beyond chance (`p < 0.001`).
    pub fn mismatch(&self) -> bool {
        self.p_value < SRM_THRESHOLD
    }
}

/// Tests `observed` counts against `expected_shares` (any positive scale; normalised here).
/// `None` when there is nothing to test: fewer than two groups, no observations, or a share
/// that is not positive.
pub fn chi_square_fit(observed: &[u64], expected_shares: &[f64]) -> Option<ChiSquare> {
    if observed.len() != expected_shares.len() || observed.len() < 2 {
        return None;
    }
    let total: u64 = observed.iter().sum();
    let share_sum: f64 = expected_shares.iter().sum();
    if total == 0
        || expected_shares.iter().any(|&s| s.is_nan() || s <= 0.0)
        || !share_sum.is_finite()
    {
        return None;
    }
    let n = total as f64;
    let statistic: f64 = observed
        .iter()
        .zip(expected_shares)
        .map(|(&o, &share)| {
            let expected = n * share / share_sum;
            let diff = o as f64 - expected;
            diff * diff / expected
        })
        .sum();
    let degrees_of_freedom = (observed.len() - 1) as u32;
    Some(ChiSquare {
        statistic,
        degrees_of_freedom,
        p_value: chi2_sf(statistic, f64::from(degrees_of_freedom)),
    })
}

/// Pearson's chi-square test of independence of a contingency table (rows by columns of
/// counts), e.g. the groups of two experiments; `None` when a row or column is empty.
pub fn chi_square_independence(table: &[Vec<u64>]) -> Option<ChiSquare> {
    let rows = table.len();
    let cols = table.first()?.len();
    if rows < 2 || cols < 2 || table.iter().any(|r| r.len() != cols) {
        return None;
    }
    let row_sums: Vec<f64> = table.iter().map(|r| r.iter().sum::<u64>() as f64).collect();
    let col_sums: Vec<f64> = (0..cols)
        .map(|c| table.iter().map(|r| r[c]).sum::<u64>() as f64)
        .collect();
    let n: f64 = row_sums.iter().sum();
    if row_sums.iter().chain(&col_sums).any(|&s| s == 0.0) {
        return None;
    }
    let mut statistic = 0.0;
    for (r, row) in table.iter().enumerate() {
        for (c, &o) in row.iter().enumerate() {
            let expected = row_sums[r] * col_sums[c] / n;
            statistic += (o as f64 - expected).powi(2) / expected;
        }
    }
    let degrees_of_freedom = ((rows - 1) * (cols - 1)) as u32;
    Some(ChiSquare {
        statistic,
        degrees_of_freedom,
        p_value: chi2_sf(statistic, f64::from(degrees_of_freedom)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbstats_srm_leaves_weightless_groups_out_of_the_statistic() {
        // SPEC.md section 11: 5418/5462/5480/5520 with equal weights, p = 0.80576389.
        let p = check_srm(&[5418, 5462, 5480, 5520], &[0.25; 4]);
        assert!((p - 0.805_763_89).abs() < 1e-8, "{p}");
        assert_eq!(check_srm(&[0, 0], &[0.5, 0.5]), 1.0);
        // A group without weight counts in the degrees of freedom only.
        let with_empty = check_srm(&[500, 520, 7], &[0.5, 0.5, 0.0]);
        let x = (500.0 - 513.5f64).powi(2) / 513.5 + (520.0 - 513.5f64).powi(2) / 513.5;
        let expected = chi2_sf(x, 2.0);
        assert!(
            (with_empty - expected).abs() < 1e-15,
            "{with_empty} vs {expected}"
        );
    }

    #[test]
    fn a_perfect_split_has_p_one() {
        let t = chi_square_fit(&[250, 250, 250, 250], &[1.0, 1.0, 1.0, 1.0]).unwrap();
        assert_eq!(t.statistic, 0.0);
        assert_eq!(t.degrees_of_freedom, 3);
        assert!((t.p_value - 1.0).abs() < 1e-12);
        assert!(!t.mismatch());
    }

    #[test]
    fn matches_scipy() {
        // scipy.stats.chisquare([1040, 960], [1000, 1000]) = (3.2, 0.07363827012030258)
        let t = chi_square_fit(&[1040, 960], &[50.0, 50.0]).unwrap();
        assert!((t.statistic - 3.2).abs() < 1e-12);
        assert!(
            (t.p_value - 0.073_638_270_452_665_2).abs() < 1e-9,
            "{}",
            t.p_value
        );
        // A 52/48 split of 10,000 users is a mismatch: chisquare([5200, 4800]) p = 6.3e-5.
        let t = chi_square_fit(&[5200, 4800], &[1.0, 1.0]).unwrap();
        assert!(t.mismatch(), "{t:?}");
    }

    #[test]
    fn independence_matches_scipy() {
        // scipy.stats.chi2_contingency([[30, 10], [20, 40]], correction=False)
        //   = (16.666..., 4.455709060405612e-05, 1, ...)
        let t = chi_square_independence(&[vec![30, 10], vec![20, 40]]).unwrap();
        assert!((t.statistic - 50.0 / 3.0).abs() < 1e-9, "{}", t.statistic);
        assert_eq!(t.degrees_of_freedom, 1);
        assert!(
            (t.p_value - 4.455_709_060_405_612e-5).abs() < 1e-12,
            "{}",
            t.p_value
        );
        assert!(chi_square_independence(&[vec![1, 0], vec![2, 0]]).is_none());
    }

    #[test]
    fn nothing_to_test_is_none() {
        assert!(chi_square_fit(&[], &[]).is_none());
        assert!(chi_square_fit(&[5], &[1.0]).is_none());
        assert!(chi_square_fit(&[0, 0], &[1.0, 1.0]).is_none());
        assert!(chi_square_fit(&[1, 2], &[1.0, 0.0]).is_none());
        assert!(chi_square_fit(&[1, 2], &[1.0]).is_none());
    }
}
