//! What an experiment is configured to do, read back from Statsig's encoding: the share of
//! users it allocates and each group's share of them.
//!
//! Allocation is the `layerAssignment` rule (`none` of the allocated buckets, or `any` of the
//! buckets left out); groups are the experiment-group rules with cumulative `lt` bounds on a
//! `user_bucket`. Targeting and holdouts shrink who is allocated at run time and are not part
//! of the plan.

use serde::Serialize;

use super::spec::{Cmp, Op, Source, Spec};

/// An experiment's configured split.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// The share of users allocated to the experiment, 0 to 1.
    pub allocation: f64,
    pub groups: Vec<GroupPlan>,
}

/// One group of a [`Plan`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupPlan {
    pub name: String,
    pub rule_id: String,
    /// The share of allocated users in this group, 0 to 1.
    pub share: f64,
}

impl Spec {
    /// The configured split, when the spec is an experiment in Statsig's encoding.
    pub fn plan(&self) -> Option<Plan> {
        let mut groups = Vec::new();
        let mut previous = 0.0;
        for rule in self.groups() {
            let bound = rule
                .conditions
                .iter()
                .find_map(|c| match (&c.source, &c.op) {
                    (
                        Source::UserBucket { .. },
                        Op::BucketCmp {
                            cmp: Cmp::Lt,
                            target: bound,
                        },
                    ) => Some(bound.clamp(0.0, 1000.0)),
                    _ => None,
                })?;
            groups.push(GroupPlan {
                name: rule.group_name.clone().unwrap_or_else(|| rule.id.clone()),
                rule_id: rule.id.clone(),
                share: ((bound - previous) / 1000.0).max(0.0),
            });
            previous = previous.max(bound);
        }
        if groups.is_empty() {
            return None;
        }
        let allocation = self
            .rules
            .iter()
            .find(|r| r.id == "layerAssignment")
            .and_then(|r| {
                r.conditions.iter().find_map(|c| match (&c.source, &c.op) {
                    (Source::UserBucket { .. }, Op::BucketIn { set, negate }) => {
                        let listed = set.len().min(1000) as f64 / 1000.0;
                        Some(if *negate { listed } else { 1.0 - listed })
                    }
                    _ => None,
                })
            })
            .unwrap_or(1.0);
        Some(Plan { allocation, groups })
    }
}
