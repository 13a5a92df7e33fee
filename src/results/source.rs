//! Where results come from: the collector's `GET /results`, or this browser's queued records
//! analysed here with `cohort-stats`.

use cohort::SpecKind;
use cohort_protocol::Record;
use cohort_stats::{analyze_planned, Results, Tally};

use crate::bundle::bundled_rules;
use crate::console;
use crate::events::queue::Queue;
use crate::fetch::{fetch, Request};
use crate::storage::Store;
use crate::variant::EXPERIMENT;

/// Results and where they came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub results: Results,
    pub source: String,
    /// Why the collector was not used, if it was asked and did not answer.
    pub note: Option<String>,
}

/// Results for `event` conversions, from the collector if there is one, else from this
/// browser's log.
pub async fn load(collector: Option<&str>, event: &str) -> Result<Loaded, String> {
    let mut note = None;
    if let Some(base) = collector {
        let url = format!(
            "{}/results?experiment={EXPERIMENT}&event={event}",
            base.trim_end_matches('/')
        );
        match fetch_json(&url).await {
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
    let store = Store::open();
    let records = Queue::new(&store).records();
    let planned: Vec<(String, f64)> = bundled_rules()
        .spec(SpecKind::Config, EXPERIMENT)
        .and_then(|s| s.plan())
        .map(|p| p.groups.into_iter().map(|g| (g.name, g.share)).collect())
        .unwrap_or_default();
    let mut tally = Tally::new(planned.iter().map(|(g, _)| g));
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
                ..
            } if name == event => tally.event(&user_id, time),
            _ => {}
        }
    }
    Ok(Loaded {
        results: Results {
            analysis: analyze_planned(EXPERIMENT, event, &planned, &tally.counts()),
            dropped_by_clients: Queue::new(&store).dropped(),
            excluded: Vec::new(),
        },
        source: format!("this browser's log ({read} records)"),
        note,
    })
}

async fn fetch_json(url: &str) -> Result<Results, String> {
    let reply = fetch(url, Request::default())
        .await
        .map_err(|e| e.to_string())?;
    if !reply.ok() {
        return Err(format!("status {}", reply.status));
    }
    serde_json::from_str(&reply.text).map_err(|e| format!("unexpected answer: {e}"))
}
