//! The records the page sends and the collector's answer.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What the page sends: records, how many its full queue dropped, and its clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    pub records: Vec<Record>,
    /// Records the page's bounded queue dropped (oldest first) since its last acknowledged
    /// batch.
    #[serde(default)]
    pub dropped: u64,
    /// The page's clock when it sent the batch (milliseconds since the Unix epoch): the
    /// collector places each record at `time + (received_at - sent_at)` on its own clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<i64>,
}

/// One exposure or event, on the wire `{"exposure": {...}}` or `{"event": {...}}` (serde's
/// external tagging, which decodes without buffering: the page stays small).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Record {
    /// The first time a user saw an experiment's group; or read a feature gate, when
    /// `experiment` is the gate's name and `group` its value for the user (`"true"` or
    /// `"false"`), `rule_id` the rule that decided it.
    Exposure {
        id: String,
        user_id: String,
        experiment: String,
        group: String,
        rule_id: String,
        #[serde(default)]
        secondary_exposures: Vec<SecondaryExposure>,
        /// Milliseconds since the Unix epoch, on the page's clock.
        time: i64,
    },
    /// Something the user did.
    Event {
        id: String,
        user_id: String,
        name: String,
        /// Milliseconds since the Unix epoch, on the page's clock.
        time: i64,
        /// The user's group in each experiment, when the event happened (a gate named here is
        /// checked as a gate exposure is).
        #[serde(default)]
        groups: BTreeMap<String, String>,
        /// A number the event carries (an amount, a duration), for `sum` metrics.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<f64>,
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

    /// The time the page gave the record, on the page's clock.
    pub fn time(&self) -> i64 {
        match self {
            Record::Exposure { time, .. } | Record::Event { time, .. } => *time,
        }
    }

    /// `"exposure"` or `"event"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Record::Exposure { .. } => "exposure",
            Record::Event { .. } => "event",
        }
    }
}

/// What the collector answers once a batch is read and what it could store is committed.
/// Every record of the batch is accounted for: stored, already stored, or refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    /// Records stored now (including those kept apart from the results, see `excluded`).
    pub stored: u64,
    /// Records already stored (a retried batch).
    pub duplicates: u64,
    /// Of the records stored now, those kept apart from the results: their groups are not
    /// the ones the rules give their users (forged, or sent by a page built from other rules).
    #[serde(default)]
    pub excluded: u64,
    /// Records refused for their own content, which sending again cannot fix.
    #[serde(default)]
    pub refused: Vec<Refusal>,
}

/// One record the collector refused, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// Its position in the batch.
    pub index: usize,
    /// Its ID, when it had a readable one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub reason: String,
}
