//! The QA panel: force the page's experiment into one of its groups, in place (and in the
//! URL's `?force`, so a reload or a shared link shows the same). A forced view is labelled,
//! never logged as an exposure, and its events carry no group.

use leptos::prelude::*;

use super::{derived, Session};
use crate::variant::EXPERIMENT;

/// The value of the "as assigned" choice.
const ASSIGNED: &str = "";

/// "Force a group (QA)": a choice of the experiment's groups, and the label of a forced view
/// (shown while a group is forced: `data-on="true"`).
#[component]
pub fn ForcePanel(session: Session) -> impl IntoView {
    let forced = session.forced;
    // The select keeps its own state once shown: only the first choice comes from the signal.
    let initial = forced.get_untracked();
    let options = session
        .rules
        .map(|rules| rules.group_names(EXPERIMENT))
        .unwrap_or_default()
        .into_iter()
        .map(|group| {
            view! {
                <option value=group selected=initial.as_deref() == Some(group)>
                    {group}
                </option>
            }
        })
        .collect_view();
    let choose = move |ev: leptos::ev::Event| {
        let group = event_target_value(&ev);
        let group = (group != ASSIGNED).then_some(group);
        crate::force::write_to_url(EXPERIMENT, group.as_deref());
        session.force(group);
    };
    view! {
        <div class="force">
            <label for="force-group">"Force a group (QA)"</label>
            <select id="force-group" data-testid="force-group" on:change=choose>
                <option value=ASSIGNED selected=initial.is_none()>
                    "As assigned"
                </option>
                {options}
            </select>
            <p
                class="forced"
                data-testid="forced"
                data-on=derived(move || forced.with(Option::is_some).to_string())
                role="status"
            >
                "Forced: "
                {derived(move || forced.get().unwrap_or_default())}
                " (QA view: no exposure logged, events carry no group)"
            </p>
        </div>
    }
}
