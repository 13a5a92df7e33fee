//! The session: who the user is and what they see, as signals.
//!
//! The identity and the forced group are signals; the variant is a memo derived from them and
//! the rules, so "Next random visitor" and the force panel restyle the page in place. The
//! first value is evaluated as the page is mounted, so the first paint already shows the
//! user's variant. Every change of user or group goes through [`Session`]'s methods, which log
//! the exposure of what is now shown (once per user and group), keep the group of a sticky
//! experiment, and log nothing for a forced view.

use cohort::{Rules, StickyGroup};
use leptos::prelude::*;

use crate::console;
use crate::events::EventLog;
use crate::identity::{new_user_id, IdSource, Identity};
use crate::sticky;
use crate::storage::Store;
use crate::variant::{Choice, Variant, EXPERIMENT};

/// Everything the components share: small `Copy` handles.
#[derive(Debug, Clone, Copy)]
pub struct Session {
    /// Who the user is.
    pub identity: RwSignal<Identity>,
    /// The group QA forced in the page's experiment, if any.
    pub forced: RwSignal<Option<String>>,
    /// What the user sees, from the two above and the rules.
    pub variant: Memo<Variant>,
    pub store: Store,
    pub log: EventLog,
    /// The bundled rules (none when the page runs without them).
    pub rules: Option<&'static Rules>,
}

impl Session {
    /// The session of `identity` under `rules`, with `forced` as the forced group.
    pub fn new(
        identity: Identity,
        forced: Option<String>,
        store: Store,
        log: EventLog,
        rules: Option<&'static Rules>,
    ) -> Session {
        let identity = RwSignal::new(identity);
        let forced = RwSignal::new(forced);
        let variant = Memo::new(move |_| {
            let forced = forced.get();
            identity.with(|identity| variant_of(identity, forced.as_deref(), &store, rules))
        });
        Session {
            identity,
            forced,
            variant,
            store,
            log,
            rules,
        }
    }

    /// Plays a new random user, in place.
    pub fn next_visitor(self) {
        self.identity.set(Identity {
            user_id: new_user_id(),
            source: IdSource::Random,
        });
        self.expose();
    }

    /// Forces `group` (QA), or with `None` goes back to the user's own group.
    pub fn force(self, group: Option<String>) {
        self.forced.set(group);
        self.expose();
    }

    /// Logs the exposure of what is shown now, once per (user, group), and keeps the group of a
    /// sticky experiment. A forced view is not logged.
    pub fn expose(self) {
        self.variant.with_untracked(|variant| {
            self.identity.with_untracked(|identity| {
                if variant.is_forced() {
                    return;
                }
                self.log.exposure(identity, variant);
                let version = self.rules.and_then(|r| r.sticky_version(EXPERIMENT));
                if let (Some(version), Some(group)) = (version, &variant.group) {
                    // A random visitor is never seen again: nothing to keep.
                    if identity.source != IdSource::Random {
                        sticky::keep(&self.store, EXPERIMENT, version, &identity.user_id, group);
                    }
                }
            })
        });
    }
}

/// The variant `identity` sees: the forced group, else the kept group of a sticky experiment,
/// else the rules' assignment.
fn variant_of(
    identity: &Identity,
    forced: Option<&str>,
    store: &Store,
    rules: Option<&Rules>,
) -> Variant {
    let version = rules.and_then(|r| r.sticky_version(EXPERIMENT));
    let kept = version.and_then(|v| {
        sticky::kept(store, EXPERIMENT, v, &identity.user_id).map(|group| (v, group))
    });
    let choice = Choice {
        forced,
        kept: kept.as_ref().map(|(version, group)| StickyGroup {
            version: *version,
            group,
        }),
    };
    let variant = Variant::choose(rules, &identity.user_id, js_sys::Date::now() as i64, choice);
    if let Some(problem) = &variant.color_problem {
        console::warn(&problem.to_string());
    }
    variant
}
