//! Where results come from: the collector's `GET /results`, or this browser's queued records
//! analysed here with `cohort-stats`.

use cohort::{Plan, SpecKind};
use cohort_protocol::Record;
use cohort_stats::{analyze, Results, Tally};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::bundle::bundled_rules;
use crate::console;
use crate::events::queue::Queue;
use crate::storage::Store;
use crate::variant::EXPERIMENT;

/// Results and where they came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub results: Results,
    pub source: String,
    /// Why the collector was not used, if it was asked and did not answer.
    pub note: Option<String>,
    /// The configured split, for the chart's colours and the weights.
    pub plan: Option<Plan>,
}

/// Results for `event` conversions, from the collector if there is one, else from this
/// browser's log.
pub async fn load(collector: Option<&str>, event: &str) -> Result<Loaded, String> {
    let plan = bundled_rules()
        .spec(SpecKind::Config, EXPERIMENT)
        .and_then(|s| s.plan());
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
                    plan,
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
    let mut tally = Tally::new(
        &plan
            .as_ref()
            .map(|p| p.groups.iter().map(|g| g.name.clone()).collect::<Vec<_>>())
            .unwrap_or_default(),
    );
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
    let counts = tally.counts();
    let weights: Vec<Option<f64>> = counts
        .iter()
        .map(|c| {
            plan.as_ref()
                .and_then(|p| p.groups.iter().find(|g| g.name == c.group))
                .map(|g| g.share)
        })
        .collect();
    let control = plan
        .as_ref()
        .and_then(|p| p.groups.first())
        .map_or("Control".to_owned(), |g| g.name.clone());
    Ok(Loaded {
        results: Results {
            analysis: analyze(EXPERIMENT, event, &control, &counts, &weights),
            dropped_by_clients: Queue::new(&store).dropped(),
        },
        source: format!("this browser's log ({read} records)"),
        note,
        plan,
    })
}

async fn fetch_json(url: &str) -> Result<Results, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| console::describe(&e))?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| "not a response")?;
    if !response.ok() {
        return Err(format!("status {}", response.status()));
    }
    let text = JsFuture::from(response.text().map_err(|e| console::describe(&e))?)
        .await
        .map_err(|e| console::describe(&e))?;
    serde_json::from_str(&text.as_string().unwrap_or_default())
        .map_err(|e| format!("unexpected answer: {e}"))
}
