//! Assignment options beside Statsig's evaluation: sticky groups and forced groups.
//!
//! Sticky assignment (GrowthBook's versioned sticky bucketing, Statsig's persistent
//! assignment): a user keeps the group they were first exposed to while the experiment's
//! sticky version stays, even when its allocation or weights change; bumping the version
//! re-assigns everyone. The engine does not store anything: the caller keeps the first group
//! it exposed a user to under (experiment, version) and passes it back as a [`StickyGroup`].
//! Without one, or for an experiment that is not declared sticky, evaluation is exactly
//! Statsig's.
//!
//! Forcing (GrowthBook's forced variations, Statsig's overrides): QA asks for a group by name
//! and gets its value, with [`Reason::Forced`], whoever the user is.

use super::{Evaluation, Evaluator, Reason};
use crate::model::SpecKind;
use crate::rules::Rule;
use crate::user::User;

/// A group a user was exposed to, as the caller kept it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StickyGroup<'a> {
    /// The experiment's sticky version when the group was kept.
    pub version: u32,
    pub group: &'a str,
}

impl<'r> Evaluator<'r> {
    /// `get_experiment`, keeping the user in `kept` when the experiment is sticky at that
    /// version and still has that group: the group's value and rule, with reason
    /// [`Reason::Sticky`]. A disabled, missing or failing experiment is not kept (its
    /// evaluation is returned as it is), nor is a group the experiment no longer has.
    pub fn get_experiment_sticky(
        &self,
        user: &User,
        name: &str,
        kept: Option<StickyGroup<'_>>,
    ) -> Evaluation<'r> {
        let fresh = self.get_experiment(user, name);
        let (Some(kept), Some(version)) = (kept, self.rules.sticky_version(name)) else {
            return fresh;
        };
        if kept.version != version
            || fresh.group_name == Some(kept.group)
            || !matches!(fresh.reason, Reason::Matched | Reason::Default)
        {
            return fresh;
        }
        let Some(rule) = self.group_rule(name, kept.group) else {
            return fresh;
        };
        in_group(fresh, rule, Reason::Sticky)
    }

    /// `get_experiment` with the group forced to `group` (QA): the group's value and rule, with
    /// reason [`Reason::Forced`]; `None` when the experiment has no such group. Callers must
    /// not log an exposure for a forced result.
    pub fn get_experiment_forced(
        &self,
        user: &User,
        name: &str,
        group: &str,
    ) -> Option<Evaluation<'r>> {
        let rule = self.group_rule(name, group)?;
        Some(in_group(
            self.get_experiment(user, name),
            rule,
            Reason::Forced,
        ))
    }

    /// The rule of the experiment's group named `group`.
    fn group_rule(&self, experiment: &str, group: &str) -> Option<&'r Rule> {
        self.rules
            .spec(SpecKind::Config, experiment)?
            .groups()
            .find(|r| r.group_name.as_deref() == Some(group))
    }
}

/// `evaluation`, moved into the group of `rule` for `reason`.
fn in_group<'r>(evaluation: Evaluation<'r>, rule: &'r Rule, reason: Reason) -> Evaluation<'r> {
    Evaluation {
        value: &rule.return_value,
        passed: true,
        rule_id: &rule.id,
        group_name: rule.group_name.as_deref(),
        is_experiment_group: true,
        reason,
        ..evaluation
    }
}
