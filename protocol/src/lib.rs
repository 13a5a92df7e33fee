//! The wire format between the Cohort page and its collector: exposures and events in
//! batches, their limits, and the validation the collector applies before storing anything.
//!
//! A record carries a unique ID (a UUID made by the page), so that a batch sent twice (a retry,
//! a beacon after a fetch) is stored once. Validation is all-or-nothing: one bad record
//! refuses the whole batch with the record's index and the reason.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

/// The events the page logs.
pub const VISITED_SIGNUP: &str = "visited_signup";
pub const CTA_CLICK: &str = "cta_click";
/// Event names a collector accepts.
pub const KNOWN_EVENTS: &[&str] = &[VISITED_SIGNUP, CTA_CLICK];

/// Limits of a batch.
pub const MAX_RECORDS_PER_BATCH: usize = 500;
/// The largest request body a collector reads, in bytes.
pub const MAX_BODY_BYTES: usize = 512 * 1024;
const MAX_TEXT_CHARS: usize = 200;
const MAX_SECONDARY_EXPOSURES: usize = 50;
const MAX_GROUPS_PER_EVENT: usize = 50;
/// How far in the future a record's time may be (clock skew), in milliseconds.
pub const MAX_FUTURE_MS: i64 = 5 * 60 * 1000;
/// How old a record may be (a page offline for a while), in milliseconds.
pub const MAX_AGE_MS: i64 = 90 * 24 * 60 * 60 * 1000;

/// What the page sends: records, and how many it had to drop because its queue was full.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    pub records: Vec<Record>,
    /// Records the page's bounded queue dropped (oldest first) since its last acknowledged
    /// batch.
    #[serde(default)]
    pub dropped: u64,
}

/// One exposure or event, on the wire `{"exposure": {...}}` or `{"event": {...}}` (serde's
/// external tagging, which decodes without buffering: the page stays small).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Record {
    /// The first time a user saw an experiment's group.
    Exposure {
        id: String,
        user_id: String,
        experiment: String,
        group: String,
        rule_id: String,
        #[serde(default)]
        secondary_exposures: Vec<SecondaryExposure>,
        /// Milliseconds since the Unix epoch.
        time: i64,
    },
    /// Something the user did.
    Event {
        id: String,
        user_id: String,
        name: String,
        time: i64,
        /// The user's group in each experiment, when the event happened.
        #[serde(default)]
        groups: BTreeMap<String, String>,
    },
}

/// A gate evaluated on the way to an exposure (Statsig's secondary exposure).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecondaryExposure {
    pub gate: String,
    #[serde(rename = "gateValue")]
    pub gate_value: String,
    #[serde(rename = "ruleID")]
    pub rule_id: String,
}

impl Record {
    pub fn id(&self) -> &str {
        match self {
            Record::Exposure { id, .. } | Record::Event { id, .. } => id,
        }
    }

    pub fn user_id(&self) -> &str {
        match self {
            Record::Exposure { user_id, .. } | Record::Event { user_id, .. } => user_id,
        }
    }

    pub fn time(&self) -> i64 {
        match self {
            Record::Exposure { time, .. } | Record::Event { time, .. } => *time,
        }
    }
}

/// What the collector answers once a batch is committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    /// Records stored now.
    pub stored: u64,
    /// Records already stored (a retried batch).
    pub duplicates: u64,
}

/// The experiments and groups a collector knows (from its rules).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    pub experiments: BTreeMap<String, BTreeSet<String>>,
}

impl Catalog {
    pub fn add(&mut self, experiment: &str, groups: impl IntoIterator<Item = String>) {
        self.experiments
            .entry(experiment.to_owned())
            .or_default()
            .extend(groups);
    }
}

/// Why a batch was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The record at fault, if one is.
    pub record: Option<usize>,
    pub reason: String,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.record {
            Some(i) => write!(f, "record {i}: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

impl std::error::Error for Rejection {}

/// Checks a whole batch against the limits and the catalog, at `now_ms`.
pub fn validate(batch: &Batch, catalog: &Catalog, now_ms: i64) -> Result<(), Rejection> {
    let whole = |reason: String| Rejection {
        record: None,
        reason,
    };
    if batch.records.is_empty() {
        return Err(whole("the batch has no records".into()));
    }
    if batch.records.len() > MAX_RECORDS_PER_BATCH {
        return Err(whole(format!(
            "the batch has {} records, more than {MAX_RECORDS_PER_BATCH}",
            batch.records.len()
        )));
    }
    let mut ids = BTreeSet::new();
    for (i, record) in batch.records.iter().enumerate() {
        let fail = |reason: String| Rejection {
            record: Some(i),
            reason,
        };
        if !is_uuid(record.id()) {
            return Err(fail(format!("id {:?} is not a UUID", record.id())));
        }
        if !ids.insert(record.id()) {
            return Err(fail(format!(
                "id {} appears twice in the batch",
                record.id()
            )));
        }
        text("user_id", record.user_id()).map_err(fail)?;
        let time = record.time();
        if time > now_ms + MAX_FUTURE_MS {
            return Err(fail(format!(
                "time {time} is {} s in the future",
                (time - now_ms) / 1000
            )));
        }
        if time < now_ms - MAX_AGE_MS {
            return Err(fail(format!("time {time} is more than 90 days old")));
        }
        match record {
            Record::Exposure {
                experiment,
                group,
                rule_id,
                secondary_exposures,
                ..
            } => {
                text("rule_id", rule_id).map_err(fail)?;
                let groups = catalog
                    .experiments
                    .get(experiment)
                    .ok_or_else(|| fail(format!("unknown experiment {experiment:?}")))?;
                if !groups.contains(group) {
                    return Err(fail(format!(
                        "experiment {experiment:?} has no group {group:?}"
                    )));
                }
                if secondary_exposures.len() > MAX_SECONDARY_EXPOSURES {
                    return Err(fail("too many secondary exposures".into()));
                }
                for s in secondary_exposures {
                    text("gate", &s.gate).map_err(fail)?;
                    text("ruleID", &s.rule_id).map_err(fail)?;
                    if s.gate_value != "true" && s.gate_value != "false" {
                        return Err(fail("gateValue must be \"true\" or \"false\"".into()));
                    }
                }
            }
            Record::Event { name, groups, .. } => {
                if !KNOWN_EVENTS.contains(&name.as_str()) {
                    return Err(fail(format!(
                        "unknown event {name:?} (known: {})",
                        KNOWN_EVENTS.join(", ")
                    )));
                }
                if groups.len() > MAX_GROUPS_PER_EVENT {
                    return Err(fail("too many groups".into()));
                }
                for (experiment, group) in groups {
                    let known = catalog
                        .experiments
                        .get(experiment)
                        .is_some_and(|g| g.contains(group));
                    if !known {
                        return Err(fail(format!(
                            "unknown experiment group {experiment:?}/{group:?}"
                        )));
                    }
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

    const NOW: i64 = 1_764_000_000_000;
    const ID: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";

    fn catalog() -> Catalog {
        let mut c = Catalog::default();
        c.add("button_color_v3", ["Control", "Red"].map(String::from));
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
            time: NOW,
        }
    }

    fn event(name: &str, time: i64) -> Record {
        Record::Event {
            id: "1f8fad5b-d9cb-469f-a165-70867728950e".into(),
            user_id: "u".into(),
            name: name.into(),
            time,
            groups: [("button_color_v3".to_string(), "Red".to_string())].into(),
        }
    }

    fn check(records: Vec<Record>) -> Result<(), Rejection> {
        validate(
            &Batch {
                records,
                dropped: 0,
            },
            &catalog(),
            NOW,
        )
    }

    #[test]
    fn a_good_batch_passes_and_round_trips() {
        let batch = Batch {
            records: vec![exposure(ID), event(VISITED_SIGNUP, NOW - 1000)],
            dropped: 3,
        };
        assert_eq!(validate(&batch, &catalog(), NOW), Ok(()));
        let json = serde_json::to_string(&batch).unwrap();
        assert!(json.contains("{\"exposure\":{"), "{json}");
        assert_eq!(serde_json::from_str::<Batch>(&json).unwrap(), batch);
    }

    #[test]
    fn bad_records_are_named() {
        let reason = |r: Result<(), Rejection>| r.unwrap_err().to_string();
        assert_eq!(reason(check(vec![])), "the batch has no records");
        assert!(
            reason(check(vec![exposure("nope")])).contains("record 0: id \"nope\" is not a UUID")
        );
        assert!(reason(check(vec![exposure(ID), exposure(ID)])).contains("record 1: id"));
        assert!(reason(check(vec![event("bought", NOW)])).contains("unknown event \"bought\""));
        assert!(reason(check(vec![event(CTA_CLICK, NOW + 3_600_000)])).contains("in the future"));
        assert!(reason(check(vec![event(CTA_CLICK, 0)])).contains("90 days old"));
        let mut unknown = exposure(ID);
        if let Record::Exposure { experiment, .. } = &mut unknown {
            *experiment = "other".into();
        }
        assert!(reason(check(vec![unknown])).contains("unknown experiment \"other\""));
        let mut bad_group = exposure(ID);
        if let Record::Exposure { group, .. } = &mut bad_group {
            *group = "Purple".into();
        }
        assert!(reason(check(vec![bad_group])).contains("has no group \"Purple\""));
        let too_many = (0..=MAX_RECORDS_PER_BATCH)
            .map(|i| exposure(&format!("{:08x}-d9cb-469f-a165-70867728950e", i)))
            .collect();
        assert!(reason(check(too_many)).contains("more than 500"));
    }

    #[test]
    fn unknown_fields_are_refused() {
        let json = r#"{"records": [], "extra": 1}"#;
        assert!(serde_json::from_str::<Batch>(json).is_err());
        let json = r#"{"records": [{"event": {"id": "x", "user_id": "u", "name": "n", "time": 1, "ip": "1.2.3.4"}}]}"#;
        assert!(serde_json::from_str::<Batch>(json).is_err());
    }
}
