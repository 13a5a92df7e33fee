//! Planning: how small a lift the data so far can detect, and roughly how many more users a
//! given lift needs, at 80% power, for the fixed-horizon and the sequential test.
//!
//! For the relative lift of a treatment over control, with both groups behaving as control
//! does (mean `m`, unit variance `v`), the standard error is `se = √(v/m² · (1/n_T + 1/n_C))`.
//! A two-sided test at level α detects a lift `δ` with 80% power when
//! `δ ≥ (z_{1-α/2} + z_{0.8}) · se` (fixed horizon); the sequential test's interval is wider,
//! so its critical multiple is the confidence sequence's half-width over `se` at the current
//! number of units.

use serde::{Deserialize, Serialize};

use crate::dist::normal_ppf;
use crate::frequentist::sequential_half_width;
use crate::moments::ArmStats;

/// The power planning is done at.
pub const POWER: f64 = 0.8;

/// What the data so far can detect.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Planning {
    /// The minimum detectable relative lift at 80% power, fixed horizon.
    pub mde_fixed: f64,
    /// The same for the sequential test.
    pub mde_sequential: f64,
    /// The lift planned for.
    pub target_lift: f64,
    /// More users, in the two groups compared, for the fixed-horizon test to detect the
    /// target lift (0 when it can already).
    pub more_users_fixed: u64,
    /// The same for the sequential test; `None` beyond a million times today's users.
    pub more_users_sequential: Option<u64>,
}

/// Planning for `treatment` against `control`; `None` while control's mean or variance is
/// zero (nothing to scale a lift by yet).
pub fn plan(
    control: &ArmStats,
    treatment: &ArmStats,
    alpha: f64,
    tuning: f64,
    target_lift: f64,
) -> Option<Planning> {
    let (m, v) = (control.mean_value(), control.variance());
    if m == 0.0 || v <= 0.0 || control.users == 0 || treatment.users == 0 {
        return None;
    }
    let units = control.n() + treatment.n();
    // The relative lift's standard error at `scale` times today's users.
    let se = |scale: f64| {
        (v / (m * m) * (1.0 / (treatment.n() * scale) + 1.0 / (control.n() * scale))).sqrt()
    };
    let z_alpha = normal_ppf(1.0 - alpha / 2.0);
    let z_power = normal_ppf(POWER);
    let mde_fixed = (z_alpha + z_power) * se(1.0);
    let mde_sequential_at = |scale: f64| {
        let s = se(scale);
        let k = sequential_half_width(s * s, units * scale, alpha, tuning) / s;
        (k + z_power) * s
    };
    let mde_sequential = mde_sequential_at(1.0);
    let more = |scale: f64| ((scale - 1.0).max(0.0) * units).ceil() as u64;
    let more_users_fixed = more((mde_fixed / target_lift).powi(2));
    let more_users_sequential = if mde_sequential <= target_lift {
        Some(0)
    } else {
        // The sequential MDE falls as users come: double, then halve the interval.
        let (mut low, mut high) = (1.0, 2.0);
        while mde_sequential_at(high) > target_lift {
            low = high;
            high *= 2.0;
            if high > 1e6 {
                break;
            }
        }
        (high <= 1e6).then(|| {
            for _ in 0..60 {
                let mid = 0.5 * (low + high);
                if mde_sequential_at(mid) > target_lift {
                    low = mid;
                } else {
                    high = mid;
                }
            }
            more(high)
        })
    };
    Some(Planning {
        mde_fixed,
        mde_sequential,
        target_lift,
        more_users_fixed,
        more_users_sequential,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_textbook_sample_size() {
        // 5% conversion, 10% relative lift, α = 0.05, 80% power: the textbook needs about
        // 2 · (1.96 + 0.84)² · 0.95 / (0.05 · 0.1²) ≈ 29,800 users per group.
        let control = ArmStats::proportion(1000, 50);
        let treatment = ArmStats::proportion(1000, 50);
        let p = plan(&control, &treatment, 0.05, 5000.0, 0.1).unwrap();
        let needed = 2000 + p.more_users_fixed;
        assert!((59_000..60_500).contains(&needed), "{needed}");
        // At that size the fixed MDE is the target.
        let big = ArmStats::proportion(needed / 2, needed / 40);
        let at = plan(&big, &big, 0.05, 5000.0, 0.1).unwrap();
        assert!((at.mde_fixed - 0.1).abs() < 0.002, "{}", at.mde_fixed);
        // The sequential test needs more.
        assert!(p.mde_sequential > p.mde_fixed);
        assert!(p.more_users_sequential.unwrap() > p.more_users_fixed);
        // Already enough: nothing more.
        let huge = ArmStats::proportion(1_000_000, 50_000);
        assert_eq!(
            plan(&huge, &huge, 0.05, 5000.0, 0.1)
                .unwrap()
                .more_users_fixed,
            0
        );
        assert!(plan(&ArmStats::proportion(10, 0), &treatment, 0.05, 5000.0, 0.1).is_none());
    }
}
