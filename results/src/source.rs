//! Where results come from: the collector's `GET /results?experiment=...`, or this browser's
//! own log analysed here with the same `cohort-stats` code the collector runs.

use cohort_protocol::Record;
use cohort_stats::experiment::{analyze_tally, tally_for};
use cohort_stats::ExperimentResults;

use crate::bundle::bundled_rules;
use crate::console;
use crate::events::queue::Queue;
use crate::fetch::{fetch, Request};
use crate::storage::Store;
use crate::variant::EXPERIMENT;

/// Results and where they came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub results: ExperimentResults,
    pub source: String,
    /// Why the collector was not used, if it was asked and did not answer.
    pub note: Option<String>,
}

/// The experiment's results, from the collector if there is one, else from this browser's
/// log.
pub async fn load(collector: Option<&str>) -> Result<Loaded, String> {
    let mut note = None;
    if let Some(base) = collector {
        let url = format!(
            "{}/results?experiment={EXPERIMENT}",
            base.trim_end_matches('/')
        );
        match fetch_results(&url).await {
            Ok(results) => {
                return Ok(Loaded {
                    results,
                    source: format!("the collector at {base}"),
                    note: None,
                })
            }
            Err(why) => {
                console::warn(&format!(
                    "the collector's results are unavailable ({why}); using this browser's log"
                ));
                note = Some(format!(
                    "The collector did not answer ({why}): these are this browser's own records."
                ));
            }
        }
    }
    let rules = bundled_rules();
    let store = Store::open();
    let records = Queue::new(&store).records();
    let mut tally = tally_for(rules, EXPERIMENT);
    let mut read = 0;
    for text in &records {
        let Ok(record) = serde_json::from_str::<Record>(text) else {
            continue;
        };
        read += 1;
        match record {
            Record::Exposure {
                experiment,
                user_id,
                group,
                time,
                ..
            } if experiment == EXPERIMENT => tally.exposure(&user_id, &group, time),
            Record::Event {
                name,
                user_id,
                time,
                value,
                ..
            } => tally.event(&user_id, &name, time, value),
            _ => {}
        }
    }
    let mut results = analyze_tally(rules, EXPERIMENT, &tally)
        .ok_or_else(|| format!("the bundled rules have no experiment {EXPERIMENT} with groups"))?;
    results.dropped_by_clients = Queue::new(&store).dropped();
    Ok(Loaded {
        results,
        source: format!("this browser's log ({read} records)"),
        note,
    })
}

async fn fetch_results(url: &str) -> Result<ExperimentResults, String> {
    let reply = fetch(url, Request::default())
        .await
        .map_err(|e| e.to_string())?;
    if !reply.ok() {
        return Err(format!("status {}", reply.status));
    }
    serde_json::from_str(&reply.text).map_err(|e| format!("unexpected answer: {e}"))
}
