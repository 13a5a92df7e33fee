//! What a record must be to be stored: a UUID, short printable texts, and experiments (or
//! gates), groups and events the collector's rules know.

use std::collections::{BTreeMap, BTreeSet};

use crate::record::Record;
use crate::MAX_EVENT_VALUE;

const MAX_TEXT_CHARS: usize = 200;
const MAX_SECONDARY_EXPOSURES: usize = 50;
const MAX_GROUPS_PER_EVENT: usize = 50;
/// At most this many dimensions an exposure.
pub const MAX_DIMENSIONS: usize = 8;
/// A dimension's value at most this long (results list each value seen).
pub const MAX_DIMENSION_CHARS: usize = 64;

/// The groups of a feature gate, as an exposure to it names them: its value for the user.
pub const GATE_GROUPS: [&str; 2] = ["true", "false"];

/// The experiments, gates, groups and events a collector knows (from its rules).
///
/// A record names an experiment and one of its groups, or a gate and its value
/// ([`GATE_GROUPS`]): the page logs an exposure when it reads a gate, as when it shows an
/// experiment's group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    pub experiments: BTreeMap<String, BTreeSet<String>>,
    /// Gates records may name as they name experiments; none shares its name with an
    /// experiment.
    pub gates: BTreeSet<String>,
    pub events: BTreeSet<String>,
}

impl Catalog {
    /// An experiment and its groups.
    pub fn add(&mut self, experiment: &str, groups: impl IntoIterator<Item = String>) {
        self.experiments
            .entry(experiment.to_owned())
            .or_default()
            .extend(groups);
    }

    /// A gate records may name, with the groups `"true"` and `"false"`.
    pub fn add_gate(&mut self, gate: &str) {
        self.gates.insert(gate.to_owned());
    }

    /// An event records may name.
    pub fn add_event(&mut self, name: &str) {
        self.events.insert(name.to_owned());
    }

    /// Whether records may name `name`: an experiment or a gate.
    pub fn knows(&self, name: &str) -> bool {
        self.experiments.contains_key(name) || self.gates.contains(name)
    }

    /// Whether `group` is one of `name`'s: a group of the experiment, or `"true"` or
    /// `"false"` for a gate.
    pub fn has_group(&self, name: &str, group: &str) -> bool {
        match self.experiments.get(name) {
            Some(groups) => groups.contains(group),
            None => self.gates.contains(name) && GATE_GROUPS.contains(&group),
        }
    }
}

/// Checks one record's content against the limits and the catalog.
pub fn check_record(record: &Record, catalog: &Catalog) -> Result<(), String> {
    if !is_uuid(record.id()) {
        return Err(format!("id {:?} is not a UUID", record.id()));
    }
    text("user_id", record.user_id())?;
    match record {
        Record::Exposure {
            experiment,
            group,
            rule_id,
            secondary_exposures,
            dimensions,
            ..
        } => {
            text("rule_id", rule_id)?;
            if dimensions.len() > MAX_DIMENSIONS {
                return Err(format!("more than {MAX_DIMENSIONS} dimensions"));
            }
            for (name, value) in dimensions.iter() {
                if !is_dimension_name(name) {
                    return Err(format!(
                        "dimension {name:?} is not a name: 1 to 32 letters, digits, '_', '-' or '.'"
                    ));
                }
                text(name, value)?;
                if value.chars().count() > MAX_DIMENSION_CHARS {
                    return Err(format!(
                        "dimension {name:?} is longer than {MAX_DIMENSION_CHARS} characters"
                    ));
                }
            }
            if !catalog.knows(experiment) {
                return Err(format!("unknown experiment {experiment:?}"));
            }
            if !catalog.has_group(experiment, group) {
                return Err(if catalog.gates.contains(experiment) {
                    format!(
                        "gate {experiment:?} has no group {group:?} (a gate's is \"true\" or \"false\")"
                    )
                } else {
                    format!("experiment {experiment:?} has no group {group:?}")
                });
            }
            if secondary_exposures.len() > MAX_SECONDARY_EXPOSURES {
                return Err("too many secondary exposures".into());
            }
            for s in secondary_exposures {
                text("gate", &s.gate)?;
                text("ruleID", &s.rule_id)?;
                if s.gate_value != "true" && s.gate_value != "false" {
                    return Err("gateValue must be \"true\" or \"false\"".into());
                }
            }
        }
        Record::Event {
            name,
            groups,
            value,
            ..
        } => {
            if value.is_some_and(|v| !v.is_finite()) {
                return Err("value is not a finite number".into());
            }
            if let Some(v) = value.filter(|v| v.abs() > MAX_EVENT_VALUE) {
                return Err(format!(
                    "value {v:e} is larger than {MAX_EVENT_VALUE:e} in magnitude"
                ));
            }
            if !catalog.events.contains(name) {
                let known: Vec<&str> = catalog.events.iter().map(String::as_str).collect();
                return Err(format!(
                    "unknown event {name:?} (known: {})",
                    known.join(", ")
                ));
            }
            if groups.len() > MAX_GROUPS_PER_EVENT {
                return Err("too many groups".into());
            }
            for (experiment, group) in groups {
                if !catalog.has_group(experiment, group) {
                    return Err(format!("unknown experiment group {experiment:?}/{group:?}"));
                }
            }
        }
    }
    Ok(())
}

fn text(field: &str, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err(format!("{field} is empty"));
    }
    if value.chars().count() > MAX_TEXT_CHARS {
        return Err(format!(
            "{field} is longer than {MAX_TEXT_CHARS} characters"
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("{field} has control characters"));
    }
    Ok(())
}

/// Whether `name` may name a dimension: 1 to 32 letters, digits, `_`, `-` or `.`.
pub fn is_dimension_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// A hyphenated UUID, in either case.
pub fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Batch;
    use crate::{CTA_CLICK, VISITED_SIGNUP};

    const NOW: i64 = 1_764_000_000_000;
    const ID: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";

    fn catalog() -> Catalog {
        let mut c = Catalog::default();
        c.add("button_color_v3", ["Control", "Red"].map(String::from));
        c.add_gate("new_checkout");
        c.add_event(VISITED_SIGNUP);
        c.add_event(CTA_CLICK);
        c
    }

    fn exposure(id: &str) -> Record {
        Record::Exposure {
            id: id.into(),
            user_id: "u".into(),
            experiment: "button_color_v3".into(),
            group: "Red".into(),
            rule_id: "r".into(),
            secondary_exposures: vec![],
            dimensions: Default::default(),
            time: NOW,
        }
    }

    fn event(name: &str) -> Record {
        Record::Event {
            id: ID.into(),
            user_id: "u".into(),
            name: name.into(),
            time: NOW,
            groups: [("button_color_v3".to_string(), "Red".to_string())].into(),
            value: None,
        }
    }

    #[test]
    fn good_records_pass_and_round_trip() {
        assert_eq!(check_record(&exposure(ID), &catalog()), Ok(()));
        assert_eq!(check_record(&event(VISITED_SIGNUP), &catalog()), Ok(()));
        let batch = Batch {
            records: vec![exposure(ID), event(CTA_CLICK)],
            dropped: 3,
            sent_at: Some(NOW),
        };
        let json = serde_json::to_string(&batch).unwrap();
        assert!(json.contains("{\"exposure\":{"), "{json}");
        assert_eq!(serde_json::from_str::<Batch>(&json).unwrap(), batch);
    }

    #[test]
    fn bad_records_say_why() {
        let reason = |r: Record| check_record(&r, &catalog()).unwrap_err();
        assert!(reason(exposure("nope")).contains("id \"nope\" is not a UUID"));
        assert!(reason(event("bought"))
            .contains("unknown event \"bought\" (known: cta_click, visited_signup)"));
        let mut unknown = exposure(ID);
        if let Record::Exposure { experiment, .. } = &mut unknown {
            *experiment = "other".into();
        }
        assert!(reason(unknown).contains("unknown experiment \"other\""));
        let mut bad_group = exposure(ID);
        if let Record::Exposure { group, .. } = &mut bad_group {
            *group = "Purple".into();
        }
        assert!(reason(bad_group).contains("has no group \"Purple\""));
        let mut control = event(CTA_CLICK);
        if let Record::Event { user_id, .. } = &mut control {
            *user_id = "a\u{7}b".into();
        }
        assert!(reason(control).contains("control characters"));
    }

    fn gate_exposure(gate: &str, value: &str) -> Record {
        Record::Exposure {
            id: ID.into(),
            user_id: "u".into(),
            experiment: gate.into(),
            group: value.into(),
            rule_id: "half".into(),
            secondary_exposures: vec![],
            dimensions: Default::default(),
            time: NOW,
        }
    }

    #[test]
    fn an_event_value_is_accepted_up_to_the_bound_in_magnitude_and_refused_past_it() {
        let with = |value: f64| {
            let mut e = event(CTA_CLICK);
            if let Record::Event { value: v, .. } = &mut e {
                *v = Some(value);
            }
            check_record(&e, &catalog())
        };
        for fine in [
            0.0,
            -0.0,
            1.5,
            -42.0,
            MAX_EVENT_VALUE,
            -MAX_EVENT_VALUE,
            f64::MIN_POSITIVE,
        ] {
            assert_eq!(with(fine), Ok(()), "{fine}");
        }
        for past in [
            1e200,
            -1e200,
            f64::MAX,
            f64::MIN,
            MAX_EVENT_VALUE * (1.0 + f64::EPSILON),
        ] {
            let why = with(past).unwrap_err();
            assert!(
                why.contains("is larger than 1e15 in magnitude"),
                "{past}: {why}"
            );
        }
        for not_a_number in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(
                with(not_a_number),
                Err("value is not a finite number".into())
            );
        }
    }

    #[test]
    fn a_gate_is_named_as_an_experiment_with_the_groups_true_and_false() {
        for value in GATE_GROUPS {
            assert_eq!(
                check_record(&gate_exposure("new_checkout", value), &catalog()),
                Ok(())
            );
        }
        let reason = |r: Record| check_record(&r, &catalog()).unwrap_err();
        assert_eq!(
            reason(gate_exposure("new_checkout", "True")),
            "gate \"new_checkout\" has no group \"True\" (a gate's is \"true\" or \"false\")"
        );
        assert_eq!(
            reason(gate_exposure("old_checkout", "true")),
            "unknown experiment \"old_checkout\""
        );
        // An experiment's groups are its own, never a gate's.
        assert!(reason(gate_exposure("button_color_v3", "true"))
            .contains("experiment \"button_color_v3\" has no group \"true\""));
        // An event may name a gate's value too, and only that.
        let mut on_gate = event(CTA_CLICK);
        if let Record::Event { groups, .. } = &mut on_gate {
            groups.insert("new_checkout", "false");
        }
        assert_eq!(check_record(&on_gate, &catalog()), Ok(()));
        if let Record::Event { groups, .. } = &mut on_gate {
            groups.insert("new_checkout", "yes");
        }
        assert!(reason(on_gate).contains("unknown experiment group \"new_checkout\"/\"yes\""));
    }
}
