//! Counting an experiment's users from exposures and events: unique users exposed to each
//! group, and unique users who converted after their first exposure.
//!
//! A user belongs to the group of their first exposure (by time). A conversion counts when
//! the event happened at or after that first exposure, whatever order the records come in.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::proportions::Proportion;

/// Users exposed to and converted in one group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupCounts {
    pub group: String,
    pub exposed: u64,
    pub converted: u64,
}

impl GroupCounts {
    pub fn proportion(&self) -> Proportion {
        Proportion {
            converted: self.converted,
            users: self.exposed,
        }
    }
}

#[derive(Default)]
struct UserState {
    /// Group index and time of the first exposure.
    first: Option<(usize, i64)>,
    /// The latest time of the metric event.
    last_event: Option<i64>,
}

/// Accumulates records of one experiment and one metric event.
pub struct Tally {
    groups: Vec<String>,
    users: HashMap<String, UserState>,
}

impl Tally {
    /// A tally over the experiment's groups, in the order results are reported.
    pub fn new<S: AsRef<str>>(groups: impl IntoIterator<Item = S>) -> Tally {
        Tally {
            groups: groups.into_iter().map(|g| g.as_ref().to_owned()).collect(),
            users: HashMap::new(),
        }
    }

    /// An exposure of `user` to `group` at `time`; groups the tally does not know are kept
    /// too, after the known ones.
    pub fn exposure(&mut self, user: &str, group: &str, time: i64) {
        let index = match self.groups.iter().position(|g| g == group) {
            Some(i) => i,
            None => {
                self.groups.push(group.to_owned());
                self.groups.len() - 1
            }
        };
        let state = self.users.entry(user.to_owned()).or_default();
        if state.first.is_none_or(|(_, t)| time < t) {
            state.first = Some((index, time));
        }
    }

    /// The metric event by `user` at `time`.
    pub fn event(&mut self, user: &str, time: i64) {
        let state = self.users.entry(user.to_owned()).or_default();
        state.last_event = Some(state.last_event.map_or(time, |t| t.max(time)));
    }

    /// Users exposed and converted, per group.
    pub fn counts(&self) -> Vec<GroupCounts> {
        let mut counts: Vec<GroupCounts> = self
            .groups
            .iter()
            .map(|g| GroupCounts {
                group: g.clone(),
                exposed: 0,
                converted: 0,
            })
            .collect();
        for state in self.users.values() {
            if let Some((group, first)) = state.first {
                counts[group].exposed += 1;
                if state.last_event.is_some_and(|t| t >= first) {
                    counts[group].converted += 1;
                }
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_counted_once_and_only_after_their_first_exposure() {
        let mut t = Tally::new(["Control", "Red"]);
        t.exposure("a", "Control", 10);
        t.exposure("a", "Control", 20); // a reload: same user, counted once
        t.event("a", 15);
        t.event("b", 5); // before b's exposure: not a conversion
        t.exposure("b", "Red", 8);
        t.exposure("c", "Red", 30);
        t.event("c", 30); // at the exposure: counts
        t.event("c", 31);
        t.event("d", 1); // never exposed
        t.exposure("e", "Red", 50);
        t.exposure("e", "Control", 40); // earlier, though it arrives later: e is Control
        assert_eq!(
            t.counts(),
            vec![
                GroupCounts {
                    group: "Control".into(),
                    exposed: 2,
                    converted: 1
                },
                GroupCounts {
                    group: "Red".into(),
                    exposed: 2,
                    converted: 1
                },
            ]
        );
    }

    #[test]
    fn unknown_groups_are_reported_after_known_ones() {
        let mut t = Tally::new(["Control"]);
        t.exposure("a", "Legacy", 1);
        let counts = t.counts();
        assert_eq!(counts[0].exposed, 0);
        assert_eq!(counts[1].group, "Legacy");
    }
}
