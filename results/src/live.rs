//! Keeping the results shown current: every second the page asks the collector whether its
//! results changed since the answer shown (a conditional `GET` with that answer's tag, which
//! an unchanged collector answers `304` without a query), loads them again when they did, and
//! says when the collector stopped answering: the figures then stay up, marked as of the last
//! time they were known current, never presented as current.

use std::time::Duration;

use cohort_leptos::fetch::{get_json_if_changed, Fetched};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::loaded::Loaded;

/// How often the page asks.
const EVERY: Duration = Duration::from_secs(1);

/// What the page knows of the collector's results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Live {
    /// Nothing to watch (results from this browser's log, or not loaded yet).
    Idle,
    /// The figures shown were current when last asked.
    Current { checked: String },
    /// The collector stopped answering: since when, why, and when the figures shown were
    /// last known current.
    Unreachable {
        since: String,
        why: String,
        as_of: String,
    },
}

impl Live {
    /// The collector did not answer at `now`.
    fn lost(&self, now: String, why: String) -> Live {
        match self {
            Live::Unreachable { .. } => self.clone(),
            Live::Current { checked } => Live::Unreachable {
                since: now,
                why,
                as_of: checked.clone(),
            },
            Live::Idle => Live::Unreachable {
                as_of: now.clone(),
                since: now,
                why,
            },
        }
    }

    /// What the page says of it.
    pub fn sentence(&self) -> Option<String> {
        match self {
            Live::Idle => None,
            Live::Current { checked } => Some(format!(
                "Live: checked at {checked}. New records show here within seconds."
            )),
            Live::Unreachable { since, why, as_of } => Some(format!(
                "The collector is not answering (since {since}: {why}). The figures below are \
                 as of {as_of}, not current; the page keeps asking."
            )),
        }
    }
}

/// The time now on this computer's clock, `HH:MM:SS`.
fn now() -> String {
    let date = js_sys::Date::new_0();
    format!(
        "{:02}:{:02}:{:02}",
        date.get_hours(),
        date.get_minutes(),
        date.get_seconds()
    )
}

/// Watches the collector's results that `page` shows (given `token`): loads the page again
/// when they change, and keeps `live` up to date. Not while a load is under way (`loading`).
pub fn watch(
    page: LocalResource<Loaded>,
    token: RwSignal<Option<String>>,
    loading: RwSignal<bool>,
    live: RwSignal<Live>,
) {
    let asking = StoredValue::new(false);
    let ask = move || {
        if asking.get_value() || loading.get_untracked() {
            return;
        }
        // An answer without a tag (a collector that gives none) cannot be compared: the page
        // then waits for Refresh.
        let watch = page
            .read_untracked()
            .as_ref()
            .and_then(|loaded| loaded.watch().cloned())
            .filter(|watch| watch.etag.is_some());
        let Some(watch) = watch else {
            // Set only when it changes: the status line is not drawn again every second.
            if live.with_untracked(|l| *l != Live::Idle) {
                live.set(Live::Idle);
            }
            return;
        };
        asking.set_value(true);
        spawn_local(async move {
            let token = token.get_untracked();
            let answer = get_json_if_changed::<serde::de::IgnoredAny>(
                &watch.url,
                token.as_deref(),
                watch.etag.as_deref(),
            )
            .await;
            match answer {
                Ok(Fetched::Unchanged) => live.set(Live::Current { checked: now() }),
                Ok(Fetched::Changed { .. }) => {
                    page.refetch();
                    live.set(Live::Current { checked: now() });
                }
                Err(why) => live.update(|l| *l = l.lost(now(), why.to_string())),
            }
            asking.set_value(false);
        });
    };
    if let Ok(handle) = set_interval_with_handle(ask, EVERY) {
        on_cleanup(move || handle.clear());
    }
}

/// The line that says whether the figures are current.
#[component]
pub fn LiveStatus(live: RwSignal<Live>) -> impl IntoView {
    move || {
        let state = live.get();
        let class = match state {
            Live::Unreachable { .. } => "notice bad",
            _ => "hint",
        };
        state.sentence().map(|sentence| {
            view! {
                <p class=class role="status" data-testid="live">
                    {sentence}
                </p>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn losing_the_collector_keeps_when_the_figures_were_last_current() {
        let current = Live::Current {
            checked: "12:00:01".into(),
        };
        let lost = current.lost("12:00:02".into(), "no answer".into());
        assert_eq!(
            lost.sentence().unwrap(),
            "The collector is not answering (since 12:00:02: no answer). The figures below \
             are as of 12:00:01, not current; the page keeps asking."
        );
        // Still lost a second later: since when is kept.
        assert_eq!(lost.lost("12:00:03".into(), "again".into()), lost);
        assert_eq!(Live::Idle.sentence(), None);
        assert!(current
            .sentence()
            .unwrap()
            .starts_with("Live: checked at 12:00:01."));
    }
}
