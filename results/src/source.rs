//! One experiment's results and where they came from: the collector's
//! `GET <collector>/results?experiment=NAME`, or this browser's own log analysed here with the
//! same `cohort-stats` code the collector runs (with `?random` one browser plays many users,
//! as in the course).

use cohort_leptos::fetch::{get_json_if_changed, Fetched};
use cohort_leptos::{console, Rules};
use cohort_stats::experiment::analyze_tally;
use cohort_stats::ExperimentResults;

use crate::local_log::LocalLog;

/// Results and where they came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Results {
    pub results: ExperimentResults,
    pub source: String,
    /// Why the collector was not used, if it was asked and did not answer.
    pub note: Option<String>,
    /// Where to ask whether the collector's results changed, with the tag of these.
    pub watch: Option<Watch>,
}

/// A collector's results to watch: their URL and the tag of the answer shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watch {
    pub url: String,
    pub etag: Option<String>,
}

/// `experiment`'s results, from the collector if there is one and it answers, else from
/// `log` with `rules`; an error when neither has the experiment.
pub async fn load(
    collector: Option<&str>,
    token: Option<&str>,
    experiment: &str,
    rules: &Rules,
    log: &LocalLog,
) -> Result<Results, String> {
    let mut note = None;
    if let Some(base) = collector {
        let url = format!(
            "{}/results?experiment={}",
            base.trim_end_matches('/'),
            String::from(js_sys::encode_uri_component(experiment))
        );
        match get_json_if_changed::<ExperimentResults>(&url, token, None).await {
            Ok(Fetched::Changed {
                value: results,
                etag,
            }) => {
                return Ok(Results {
                    results,
                    source: format!("the collector at {base}"),
                    note: None,
                    watch: Some(Watch { url, etag }),
                })
            }
            // Not asked with a tag: never answered so.
            Ok(Fetched::Unchanged) => {
                note = Some("The collector answered 304 to a first request.".to_owned());
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
    let mut results = from_log(rules, experiment, log)?;
    results.dropped_by_clients = log.dropped();
    Ok(Results {
        results,
        source: format!("this browser's log ({} records)", log.len()),
        note,
        watch: None,
    })
}

/// `experiment`'s results from `log`, analysed with `rules`.
fn from_log(rules: &Rules, experiment: &str, log: &LocalLog) -> Result<ExperimentResults, String> {
    analyze_tally(rules, experiment, &log.tally(rules, experiment)).ok_or_else(|| {
        format!(
            "This page was built without the experiment {experiment}, and no collector answered \
             with its results."
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local_log::tests::exposure;

    #[test]
    fn the_log_is_analysed_for_the_experiment_asked_and_an_unknown_one_is_an_error() {
        let rules = cohort_leptos::bundled_rules!(analysis);
        let records = [
            exposure("u1", "button_color_v3", "Red"),
            exposure("u2", "button_color_v3", "Control"),
            exposure("u3", "another", "Control"),
            r#"{"event": {"id": "e1", "user_id": "u1", "name": "visited_signup", "time": 20}}"#
                .to_owned(),
        ];
        let texts: Vec<&str> = records.iter().map(String::as_str).collect();
        let log = LocalLog::of(&texts, 0);
        let results = from_log(rules, "button_color_v3", &log).unwrap();
        assert_eq!(
            results.total_users, 2,
            "u3 was exposed to another experiment"
        );
        assert_eq!(results.control, "Control");
        let why = from_log(rules, "another", &log).unwrap_err();
        assert!(
            why.contains("built without the experiment another"),
            "{why}"
        );
    }
}
