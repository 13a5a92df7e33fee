//! This browser's own log: the records its queue holds (every record while the page has no
//! collector, else those not yet sent), read from localStorage once per load and only when
//! needed, for the experiments' exposures and for results computed here.

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};

use cohort_leptos::events::Queue;
use cohort_leptos::{Rules, Store};
use cohort_protocol::Record;
use cohort_stats::experiment::tally_for;
use cohort_stats::tally::Tally;

/// The records, read on first use.
#[derive(Default)]
pub struct LocalLog {
    read: OnceCell<Records>,
}

/// What the queue holds.
#[derive(Debug, Default)]
struct Records {
    records: Vec<Record>,
    /// Records dropped by a full queue before they could be sent.
    dropped: u64,
}

impl LocalLog {
    /// The log in this browser's localStorage (nothing if it cannot be read), read when first
    /// asked.
    pub fn new() -> LocalLog {
        LocalLog::default()
    }

    /// A log of `texts` (records' JSON; what is not a record is skipped) and `dropped`.
    #[cfg(test)]
    pub fn of(texts: &[&str], dropped: u64) -> LocalLog {
        let log = LocalLog::default();
        let _ = log.read.set(Records::parse(texts, dropped));
        log
    }

    fn records(&self) -> &Records {
        self.read.get_or_init(|| {
            let store = Store::open();
            let queue = Queue::new(&store);
            Records::parse(&queue.records(), queue.dropped())
        })
    }

    /// The records read.
    pub fn len(&self) -> usize {
        self.records().records.len()
    }

    /// Records dropped by a full queue before they could be sent.
    pub fn dropped(&self) -> u64 {
        self.records().dropped
    }

    /// How many users the log exposed to each experiment, each user once.
    pub fn exposed_users(&self) -> BTreeMap<&str, u64> {
        let mut users: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for record in &self.records().records {
            if let Record::Exposure {
                experiment,
                user_id,
                ..
            } = record
            {
                users.entry(experiment).or_default().insert(user_id);
            }
        }
        users
            .into_iter()
            .map(|(experiment, users)| (experiment, users.len() as u64))
            .collect()
    }

    /// `experiment`'s exposures and every event, tallied over its planned groups.
    pub fn tally(&self, rules: &Rules, experiment: &str) -> Tally {
        let mut tally = tally_for(rules, experiment);
        for record in &self.records().records {
            match record {
                Record::Exposure {
                    experiment: exposed_to,
                    user_id,
                    group,
                    time,
                    dimensions,
                    ..
                } if exposed_to == experiment => {
                    tally.exposure_with(user_id, group, *time, dimensions.iter())
                }
                Record::Event {
                    name,
                    user_id,
                    time,
                    value,
                    ..
                } => tally.event(user_id, name, *time, *value),
                Record::Exposure { .. } => {}
            }
        }
        tally
    }
}

impl Records {
    fn parse<S: AsRef<str>>(texts: &[S], dropped: u64) -> Records {
        Records {
            records: texts
                .iter()
                .filter_map(|text| serde_json::from_str(text.as_ref()).ok())
                .collect(),
            dropped,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An exposure record's JSON.
    pub fn exposure(user: &str, experiment: &str, group: &str) -> String {
        format!(
            r#"{{"exposure": {{"id": "{user}-{experiment}", "user_id": "{user}", "experiment": "{experiment}", "group": "{group}", "rule_id": "r", "time": 10}}}}"#
        )
    }

    #[test]
    fn exposures_count_each_user_once_per_experiment_and_skip_what_is_not_a_record() {
        let records = [
            exposure("u1", "a", "Control"),
            exposure("u1", "a", "Control"),
            exposure("u2", "a", "Red"),
            exposure("u1", "b", "Control"),
            "not json".to_owned(),
            r#"{"exposure": {"id": "x"}}"#.to_owned(),
        ];
        let texts: Vec<&str> = records.iter().map(String::as_str).collect();
        let log = LocalLog::of(&texts, 3);
        assert_eq!(log.len(), 4);
        assert_eq!(log.dropped(), 3);
        assert_eq!(
            log.exposed_users().into_iter().collect::<Vec<_>>(),
            [("a", 2), ("b", 1)]
        );
    }
}
