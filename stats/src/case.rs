//! The gbstats oracle's format: one experiment's groups and options in, every figure out
//! (`cohort analyze` reads and writes it), so that any case can be checked against gbstats
//! mechanically. The shapes are those of `tools/gbstats-oracle/oracle.py`.

use serde::{Deserialize, Serialize};

use crate::bayesian::{BayesResult, Prior};
use crate::compare::{compare, ByDifference, Options};
use crate::correction::{benjamini_hochberg, holm_bonferroni};
use crate::frequentist::TestResult;
use crate::moments::{ArmStats, Joint, MetricType};
use crate::srm::check_srm;

/// One case: groups (a proportion's `converted`, or a mean's `sum` and `sum_squares`; with
/// CUPED's covariate or a ratio's denominator beside, see [`CaseGroup`]), the control's name
/// (default: the first group) and options.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    #[serde(default)]
    pub id: Option<String>,
    /// `"proportion"`, `"mean"`, `"cuped"` or `"ratio"`; optional, since the groups say it.
    #[serde(default)]
    pub metric: Option<CaseMetric>,
    pub groups: Vec<CaseGroup>,
    #[serde(default)]
    pub control: Option<String>,
    #[serde(default)]
    pub options: CaseOptions,
}

/// What a case's metric is (gbstats' statistic types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseMetric {
    /// `ProportionStatistic`.
    Proportion,
    /// `SampleMeanStatistic`.
    Mean,
    /// `RegressionAdjustedStatistic`: a proportion or a mean with its pre-exposure covariate.
    Cuped,
    /// `RatioStatistic`.
    Ratio,
}

/// A group of a [`Case`], with gbstats' column names: the metric's `converted`, or `sum` and
/// `sum_squares`; for CUPED, the covariate's `pre_converted`, or `pre_sum` and
/// `pre_sum_squares`, and `sum_product` (metric times covariate, over users); for a ratio,
/// `denominator_sum`, `denominator_sum_squares` and `sum_product` (numerator times
/// denominator).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseGroup {
    pub name: String,
    pub users: u64,
    #[serde(default)]
    pub converted: Option<u64>,
    #[serde(default)]
    pub sum: Option<f64>,
    #[serde(default)]
    pub sum_squares: Option<f64>,
    #[serde(default)]
    pub pre_converted: Option<u64>,
    #[serde(default)]
    pub pre_sum: Option<f64>,
    #[serde(default)]
    pub pre_sum_squares: Option<f64>,
    #[serde(default)]
    pub denominator_sum: Option<f64>,
    #[serde(default)]
    pub denominator_sum_squares: Option<f64>,
    #[serde(default)]
    pub sum_product: Option<f64>,
}

impl CaseGroup {
    /// The group's statistics, or what is wrong with its fields.
    fn arm(&self) -> Result<ArmStats, String> {
        let name = &self.name;
        let base = match (self.converted, self.sum, self.sum_squares) {
            (Some(converted), None, None) if converted <= self.users => {
                ArmStats::proportion(self.users, converted)
            }
            (Some(_), None, None) => {
                return Err(format!("group {name:?}: more converted than users"))
            }
            (None, Some(sum), Some(sum_squares)) => ArmStats::mean(self.users, sum, sum_squares),
            _ => {
                return Err(format!(
                    "group {name:?}: give `converted` (a proportion) or `sum` and `sum_squares` \
                     (a mean)"
                ))
            }
        };
        let product = || {
            self.sum_product
                .ok_or_else(|| format!("group {name:?}: give `sum_product` too"))
        };
        let pre = match (self.pre_converted, self.pre_sum, self.pre_sum_squares) {
            (None, None, None) => None,
            (Some(c), None, None) if c <= self.users => {
                Some(Joint::proportion(c as f64, product()?))
            }
            (None, Some(s), Some(ss)) => Some(Joint::mean(s, ss, product()?)),
            _ => {
                return Err(format!(
                    "group {name:?}: give `pre_converted`, or `pre_sum` and `pre_sum_squares`"
                ))
            }
        };
        let denominator = match (self.denominator_sum, self.denominator_sum_squares) {
            (None, None) => None,
            (Some(s), Some(ss)) => Some(Joint::mean(s, ss, product()?)),
            _ => {
                return Err(format!(
                    "group {name:?}: give `denominator_sum` and `denominator_sum_squares`"
                ))
            }
        };
        match (pre, denominator) {
            (Some(_), Some(_)) => Err(format!(
                "group {name:?}: a ratio metric has no CUPED covariate here (gbstats 0.8.0)"
            )),
            (Some(pre), None) => Ok(base.with_covariate(pre)),
            (None, Some(d)) => Ok(base.with_denominator(d)),
            (None, None) if self.sum_product.is_some() => Err(format!(
                "group {name:?}: `sum_product` without a covariate or a denominator"
            )),
            (None, None) => Ok(base),
        }
    }
}

impl CaseMetric {
    fn of(arm: &ArmStats) -> CaseMetric {
        match (arm.covariate, arm.denominator, arm.metric) {
            (Some(_), _, _) => CaseMetric::Cuped,
            (_, Some(_), _) => CaseMetric::Ratio,
            (None, None, MetricType::Proportion) => CaseMetric::Proportion,
            (None, None, MetricType::Mean) => CaseMetric::Mean,
        }
    }
}

/// A case's options; each defaults to GrowthBook's.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseOptions {
    #[serde(default)]
    pub alpha: Option<f64>,
    #[serde(default)]
    pub sequential_tuning_parameter: Option<f64>,
    #[serde(default)]
    pub weights: Option<Vec<f64>>,
    #[serde(default)]
    pub inverse: Option<bool>,
    #[serde(default)]
    pub prior: Option<CasePrior>,
}

/// A prior as the oracle takes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CasePrior {
    #[serde(default)]
    pub proper: Option<bool>,
    #[serde(default)]
    pub mean: Option<f64>,
    #[serde(default)]
    pub stddev: Option<f64>,
}

/// Every figure of a case.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    pub id: Option<String>,
    pub metric: CaseMetric,
    pub control: String,
    pub settings: Settings,
    pub srm_p_value: f64,
    pub comparisons: Vec<CaseComparison>,
}

/// The options a case was analysed with.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub alpha: f64,
    pub sequential_tuning_parameter: f64,
    pub inverse: bool,
    pub prior: SettingsPrior,
    pub srm_weights: Vec<f64>,
}

/// The prior, with its variance, as the oracle reports it.
#[derive(Debug, Clone, Serialize)]
pub struct SettingsPrior {
    pub proper: bool,
    pub mean: f64,
    pub variance: f64,
}

/// One group against control.
#[derive(Debug, Clone, Serialize)]
pub struct CaseComparison {
    pub name: String,
    pub control_mean: f64,
    pub mean: f64,
    /// CUPED's coefficient (0: the unadjusted figures were read); CUPED cases only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theta: Option<f64>,
    pub frequentist: ByDifference<TestOut>,
    pub sequential: ByDifference<TestOut>,
    pub bayesian: ByDifference<BayesOut>,
    pub p_value_adjusted: Adjusted,
}

/// A frequentist result in the oracle's shape.
#[derive(Debug, Clone, Serialize)]
pub struct TestOut {
    pub estimate: f64,
    pub ci: [f64; 2],
    pub p_value: f64,
    pub stddev: f64,
    pub error: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dof: Option<f64>,
}

/// A Bayesian result in the oracle's shape.
#[derive(Debug, Clone, Serialize)]
pub struct BayesOut {
    pub chance_to_win: f64,
    pub expected: f64,
    pub ci: [f64; 2],
    pub stddev: f64,
    pub risk: [f64; 2],
    pub error: Option<&'static str>,
}

/// Adjusted p-values, over the case's comparisons.
#[derive(Debug, Clone, Serialize)]
pub struct Adjusted {
    pub frequentist_relative: Corrections,
    pub sequential_relative: Corrections,
}

/// Both corrections of one p-value.
#[derive(Debug, Clone, Serialize)]
pub struct Corrections {
    pub holm_bonferroni: f64,
    pub benjamini_hochberg: f64,
}

impl From<&TestResult> for TestOut {
    fn from(r: &TestResult) -> TestOut {
        TestOut {
            estimate: r.estimate,
            ci: [r.ci.0, r.ci.1],
            p_value: r.p_value,
            stddev: r.stddev,
            error: r.error.map(|e| e.code()),
            dof: r.dof,
        }
    }
}

impl From<&BayesResult> for BayesOut {
    fn from(r: &BayesResult) -> BayesOut {
        BayesOut {
            chance_to_win: r.chance_to_win,
            expected: r.expected,
            ci: [r.ci.0, r.ci.1],
            stddev: r.stddev,
            risk: [r.risk.0, r.risk.1],
            error: r.error.map(|e| e.code()),
        }
    }
}

fn map<T, U>(pair: &ByDifference<T>, f: impl Fn(&T) -> U) -> ByDifference<U> {
    ByDifference {
        relative: f(&pair.relative),
        absolute: f(&pair.absolute),
    }
}

/// Analyses a case, or says what is wrong with it.
pub fn analyze_case(case: &Case) -> Result<CaseResult, String> {
    if case.groups.len() < 2 {
        return Err("a case needs at least two groups".into());
    }
    let arms: Vec<ArmStats> = case
        .groups
        .iter()
        .map(CaseGroup::arm)
        .collect::<Result<_, _>>()?;
    let metric = CaseMetric::of(&arms[0]);
    let same = |a: &ArmStats| {
        CaseMetric::of(a) == metric
            && a.metric == arms[0].metric
            && a.covariate.map(|j| j.metric) == arms[0].covariate.map(|j| j.metric)
    };
    if !arms.iter().all(same) {
        return Err("every group must have the same kind of metric (and covariate)".into());
    }
    if case.metric.is_some_and(|m| m != metric) {
        return Err(format!(
            "the case says {:?} but its groups are not",
            case.metric
        ));
    }
    let control_name = case
        .control
        .clone()
        .unwrap_or_else(|| case.groups[0].name.clone());
    let control_index = case
        .groups
        .iter()
        .position(|g| g.name == control_name)
        .ok_or_else(|| format!("no group is the control {control_name:?}"))?;
    let o = &case.options;
    let prior = o.prior.as_ref();
    let options = Options {
        alpha: o.alpha.unwrap_or(0.05),
        sequential_tuning: o.sequential_tuning_parameter.unwrap_or(5000.0),
        inverse: o.inverse.unwrap_or(false),
        prior: Prior {
            proper: prior.and_then(|p| p.proper).unwrap_or(false),
            mean: prior.and_then(|p| p.mean).unwrap_or(0.0),
            stddev: prior.and_then(|p| p.stddev).unwrap_or(0.3),
        },
    };
    if !(options.alpha > 0.0 && options.alpha < 1.0) {
        return Err(format!("alpha {} is not between 0 and 1", options.alpha));
    }
    if options.sequential_tuning.is_nan() || options.sequential_tuning <= 0.0 {
        return Err("sequential_tuning_parameter must be positive".into());
    }
    let weights = match &o.weights {
        Some(w) if w.len() == arms.len() => w.clone(),
        Some(w) => return Err(format!("{} weights for {} groups", w.len(), arms.len())),
        None => vec![1.0 / arms.len() as f64; arms.len()],
    };
    let control = &arms[control_index];
    let mut comparisons: Vec<CaseComparison> = Vec::with_capacity(arms.len() - 1);
    let mut fixed_p = Vec::new();
    let mut sequential_p = Vec::new();
    for (group, arm) in case.groups.iter().zip(&arms) {
        if group.name == control_name {
            continue;
        }
        let c = compare(control, arm, &options);
        fixed_p.push(c.fixed.relative.p_value);
        sequential_p.push(c.sequential.relative.p_value);
        comparisons.push(CaseComparison {
            name: group.name.clone(),
            control_mean: c.control_mean,
            mean: c.mean,
            theta: (metric == CaseMetric::Cuped).then(|| c.theta.unwrap_or(0.0)),
            frequentist: map(&c.fixed, |r| TestOut::from(r)),
            sequential: map(&c.sequential, |r| TestOut::from(r)),
            bayesian: map(&c.bayesian, |r| BayesOut::from(r)),
            p_value_adjusted: Adjusted {
                frequentist_relative: Corrections {
                    holm_bonferroni: 0.0,
                    benjamini_hochberg: 0.0,
                },
                sequential_relative: Corrections {
                    holm_bonferroni: 0.0,
                    benjamini_hochberg: 0.0,
                },
            },
        });
    }
    let (fixed_holm, fixed_bh) = (holm_bonferroni(&fixed_p), benjamini_hochberg(&fixed_p));
    let (seq_holm, seq_bh) = (
        holm_bonferroni(&sequential_p),
        benjamini_hochberg(&sequential_p),
    );
    for (i, c) in comparisons.iter_mut().enumerate() {
        c.p_value_adjusted = Adjusted {
            frequentist_relative: Corrections {
                holm_bonferroni: fixed_holm[i],
                benjamini_hochberg: fixed_bh[i],
            },
            sequential_relative: Corrections {
                holm_bonferroni: seq_holm[i],
                benjamini_hochberg: seq_bh[i],
            },
        };
    }
    let users: Vec<u64> = arms.iter().map(|a| a.users).collect();
    Ok(CaseResult {
        id: case.id.clone(),
        metric,
        control: control_name,
        settings: Settings {
            alpha: options.alpha,
            sequential_tuning_parameter: options.sequential_tuning,
            inverse: options.inverse,
            prior: SettingsPrior {
                proper: options.prior.proper,
                mean: options.prior.mean,
                variance: options.prior.stddev.powi(2),
            },
            srm_weights: weights.clone(),
        },
        srm_p_value: check_srm(&users, &weights),
        comparisons,
    })
}
