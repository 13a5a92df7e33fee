//! Building the records the log sends: an exposure or an event, with a fresh random ID (the
//! collector stores each ID once) and the page's clock.

use cohort::Exposure;
use cohort_protocol::{Dimensions, Groups, Record, SecondaryExposure};

use crate::identity::new_user_id;

/// The page's clock, in milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// The exposure of `user_id` to `group` of `experiment` (or, for a gate, to its value), decided
/// by `rule_id` with the gates evaluated on the way (`secondary`), with the user's
/// `dimensions`.
pub(crate) fn exposure(
    user_id: &str,
    experiment: &str,
    group: &str,
    rule_id: &str,
    secondary: &[Exposure<'_>],
    dimensions: &Dimensions,
) -> Record {
    Record::Exposure {
        id: new_user_id(),
        user_id: user_id.to_owned(),
        experiment: experiment.to_owned(),
        group: group.to_owned(),
        rule_id: rule_id.to_owned(),
        secondary_exposures: secondary
            .iter()
            .map(|e| SecondaryExposure {
                gate: e.gate.to_owned(),
                gate_value: if e.gate_value { "true" } else { "false" }.to_owned(),
                rule_id: e.rule_id.to_owned(),
            })
            .collect(),
        time: now_ms(),
        dimensions: dimensions.clone(),
    }
}

/// The event `name` by `user_id`, carrying `groups` (experiment to group) and a finite `value`.
pub(crate) fn event(user_id: &str, name: &str, value: Option<f64>, groups: Groups) -> Record {
    Record::Event {
        id: new_user_id(),
        user_id: user_id.to_owned(),
        name: name.to_owned(),
        time: now_ms(),
        groups,
        value: value.filter(|v| v.is_finite()),
    }
}
