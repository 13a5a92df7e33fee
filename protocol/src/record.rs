//! The records the page sends and the collector's answer.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

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
        /// What the page knows of the user at this exposure, that results can be broken down
        /// by (`{"browser": "Firefox", "visitor": "new"}`): the first exposure's count.
        #[serde(default, skip_serializing_if = "Dimensions::is_empty")]
        dimensions: Dimensions,
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
        groups: Groups,
        /// A number the event carries (an amount, a duration), for `sum` metrics.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<f64>,
    },
}

/// The groups an event carries: each experiment (or gate) once, with the user's group in it. On
/// the wire a JSON object, `{"button_color_v3": "Red"}`, with the experiments in order.
///
/// Kept as a list sorted by experiment rather than a map: an event carries a handful, and the
/// page then links no map code for them (about 1 KB of its gzip size).
///
/// ```
/// use cohort_protocol::Groups;
///
/// let mut groups = Groups::new();
/// groups.insert("plan_layout", "Grid");
/// groups.insert("cta_copy", "Start");
/// assert_eq!(groups.get("cta_copy"), Some("Start"));
/// assert_eq!(
///     serde_json::to_string(&groups).unwrap(),
///     r#"{"cta_copy":"Start","plan_layout":"Grid"}"#
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Groups(Vec<(String, String)>);

impl Groups {
    /// No groups.
    pub fn new() -> Groups {
        Groups(Vec::new())
    }

    /// Sets the user's group in `experiment`; the group it had before, if any.
    pub fn insert(
        &mut self,
        experiment: impl Into<String>,
        group: impl Into<String>,
    ) -> Option<String> {
        let experiment = experiment.into();
        let group = group.into();
        match self
            .0
            .binary_search_by(|(e, _)| e.as_str().cmp(&experiment))
        {
            Ok(at) => Some(std::mem::replace(&mut self.0[at].1, group)),
            Err(at) => {
                self.0.insert(at, (experiment, group));
                None
            }
        }
    }

    /// The user's group in `experiment`.
    pub fn get(&self, experiment: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(e, _)| e.as_str().cmp(experiment))
            .ok()
            .map(|at| self.0[at].1.as_str())
    }

    /// (experiment, group) pairs, by experiment.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.into_iter()
    }

    /// How many experiments.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> IntoIterator for &'a Groups {
    type Item = (&'a str, &'a str);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, String)>,
        fn(&'a (String, String)) -> (&'a str, &'a str),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(e, g)| (e.as_str(), g.as_str()))
    }
}

impl<E: Into<String>, G: Into<String>> FromIterator<(E, G)> for Groups {
    /// Later pairs of an experiment replace earlier ones, as a map's `collect` does.
    fn from_iter<I: IntoIterator<Item = (E, G)>>(pairs: I) -> Groups {
        let mut groups = Groups::new();
        for (experiment, group) in pairs {
            groups.insert(experiment, group);
        }
        groups
    }
}

impl<E: Into<String>, G: Into<String>, const N: usize> From<[(E, G); N]> for Groups {
    fn from(pairs: [(E, G); N]) -> Groups {
        pairs.into_iter().collect()
    }
}

/// Pairs of texts as a JSON object (one function for groups and dimensions: the page links it
/// once).
fn serialize_pairs<S: Serializer>(
    pairs: &[(String, String)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_map(pairs.iter().map(|(k, v)| (k, v)))
}

impl Serialize for Groups {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_pairs(&self.0, serializer)
    }
}

impl<'de> Deserialize<'de> for Groups {
    /// A JSON object of strings; an experiment named twice is an error, not a silent choice.
    /// (The collector reads records through serde_json's `Value`, whose objects keep the last
    /// of a repeated key: over HTTP the last group named counts.)
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Groups, D::Error> {
        struct GroupsVisitor;
        impl<'de> Visitor<'de> for GroupsVisitor {
            type Value = Groups;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of experiment names to group names")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Groups, A::Error> {
                let mut groups = Groups::new();
                while let Some((experiment, group)) = map.next_entry::<String, String>()? {
                    if groups.get(&experiment).is_some() {
                        return Err(de::Error::custom(format!(
                            "the experiment {experiment:?} is named twice"
                        )));
                    }
                    groups.insert(experiment, group);
                }
                Ok(groups)
            }
        }
        deserializer.deserialize_map(GroupsVisitor)
    }
}

/// An exposure's dimensions: names (`browser`, `visitor`, `source`) to values, each name once,
/// in order. On the wire a JSON object of strings.
///
/// ```
/// use cohort_protocol::Dimensions;
///
/// let dimensions = Dimensions::from([("visitor", "new"), ("browser", "Firefox")]);
/// assert_eq!(dimensions.get("browser"), Some("Firefox"));
/// assert_eq!(
///     serde_json::to_string(&dimensions).unwrap(),
///     r#"{"browser":"Firefox","visitor":"new"}"#
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dimensions(Vec<(String, String)>);

impl Dimensions {
    /// None.
    pub const fn new() -> Dimensions {
        Dimensions(Vec::new())
    }

    /// Dimensions from pairs already in name order, each name once.
    pub fn from_sorted(pairs: Vec<(String, String)>) -> Dimensions {
        debug_assert!(pairs.windows(2).all(|w| w[0].0 < w[1].0));
        Dimensions(pairs)
    }

    /// Sets `name` to `value`.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let (name, value) = (name.into(), value.into());
        match self.0.binary_search_by(|(n, _)| n.as_str().cmp(&name)) {
            Ok(at) => self.0[at].1 = value,
            Err(at) => self.0.insert(at, (name, value)),
        }
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()
            .map(|at| self.0[at].1.as_str())
    }

    /// (name, value) pairs, by name.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<N: Into<String>, V: Into<String>, const K: usize> From<[(N, V); K]> for Dimensions {
    fn from(pairs: [(N, V); K]) -> Dimensions {
        let mut dimensions = Dimensions::default();
        for (name, value) in pairs {
            dimensions.insert(name, value);
        }
        dimensions
    }
}

impl Serialize for Dimensions {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_pairs(&self.0, serializer)
    }
}

impl<'de> Deserialize<'de> for Dimensions {
    /// A JSON object of strings; a name given twice is an error.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Dimensions, D::Error> {
        struct DimensionsVisitor;
        impl<'de> Visitor<'de> for DimensionsVisitor {
            type Value = Dimensions;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of dimension names to values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Dimensions, A::Error> {
                let mut dimensions = Dimensions::default();
                while let Some((name, value)) = map.next_entry::<String, String>()? {
                    if dimensions.get(&name).is_some() {
                        return Err(de::Error::custom(format!(
                            "the dimension {name:?} is named twice"
                        )));
                    }
                    dimensions.insert(name, value);
                }
                Ok(dimensions)
            }
        }
        deserializer.deserialize_map(DimensionsVisitor)
    }
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// Pairs in no particular order, with an experiment named twice (the later group wins).
    fn pairs(seed: u64) -> Vec<(String, String)> {
        let mut x = seed;
        (0..(seed % 7))
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (
                    format!("exp{}", (x >> 33) % 5),
                    format!("g{}", (x >> 40) % 3),
                )
            })
            .collect()
    }

    #[test]
    fn groups_are_written_and_read_as_the_map_of_the_same_pairs() {
        for seed in 0..200 {
            let pairs = pairs(seed);
            let groups: Groups = pairs.iter().cloned().collect();
            let map: BTreeMap<String, String> = pairs.into_iter().collect();
            let json = serde_json::to_string(&groups).unwrap();
            assert_eq!(json, serde_json::to_string(&map).unwrap());
            assert_eq!(groups.len(), map.len());
            for (experiment, group) in &map {
                assert_eq!(groups.get(experiment), Some(group.as_str()));
            }
            assert!(groups
                .iter()
                .map(|(e, _)| e)
                .eq(map.keys().map(String::as_str)));
            let read: Groups = serde_json::from_str(&json).unwrap();
            assert_eq!(read, groups);
        }
    }

    #[test]
    fn insert_replaces_an_experiments_group_and_returns_the_one_before() {
        let mut groups = Groups::new();
        assert!(groups.is_empty());
        assert_eq!(groups.insert("b", "Red"), None);
        assert_eq!(groups.insert("a", "Blue"), None);
        assert_eq!(groups.insert("b", "Green"), Some("Red".into()));
        assert_eq!(
            groups.iter().collect::<Vec<_>>(),
            [("a", "Blue"), ("b", "Green")]
        );
        assert_eq!(groups.get("c"), None);
    }

    #[test]
    fn an_experiment_named_twice_or_a_group_that_is_not_text_is_refused() {
        let twice = serde_json::from_str::<Groups>(r#"{"a": "X", "a": "Y"}"#).unwrap_err();
        assert!(
            twice
                .to_string()
                .contains("the experiment \"a\" is named twice"),
            "{twice}"
        );
        assert!(serde_json::from_str::<Groups>(r#"{"a": 1}"#).is_err());
        assert!(serde_json::from_str::<Groups>(r#"["a", "X"]"#).is_err());
        assert_eq!(serde_json::from_str::<Groups>("{}").unwrap(), Groups::new());
    }

    #[test]
    fn an_event_without_groups_reads_as_one_with_none() {
        let event: Record = serde_json::from_str(
            r#"{"event": {"id": "i", "user_id": "u", "name": "n", "time": 1}}"#,
        )
        .unwrap();
        let Record::Event { groups, .. } = event else {
            panic!("an event")
        };
        assert!(groups.is_empty());
    }
}
