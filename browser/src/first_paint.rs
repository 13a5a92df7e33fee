//! The first paint before the app: a page's first screen, prerendered in its HTML and hidden,
//! shown with the user's variant by a small module that loads before the app's own Wasm, and
//! the decision handed to the app, which then takes over showing the same.
//!
//! The module is a second, small binary of the app with no UI framework in it (the course
//! page's is `course/src/bin/first-paint.rs`): it calls [`FirstPaint::decide`] with the app's rules, reads its
//! experiments with [`FirstPaint::experiment`] (the same engine, rules, identity and sticky
//! groups as `cohort-leptos`'s `Cohort`), fills and reveals its prerendered screen, and
//! calls [`FirstPaint::hand_over`]. `cohort-leptos`'s `Cohort::start` then takes the
//! identity handed over instead of deciding again, so that a `?random` user or one created on
//! this visit stays the same user. Exposures are logged by the app, when it shows them.
//!
//! Without the module (or when it has not run yet) the app decides as before, and nothing is
//! drawn before it does, so no wrong variant is ever shown either way.
//!
//! ```no_run
//! use cohort_browser::{FirstPaint, Rules, User};
//!
//! /// In the small binary: `rules` is `cohort_browser::bundled_rules!()`.
//! fn paint(rules: &'static Rules) {
//!     let Some(first) = FirstPaint::decide(rules, User::default()) else {
//!         return; // an IP echo is configured: the app decides, as without this module
//!     };
//!     let color = first.experiment("checkout_button").get("Color", "blue").to_owned();
//!     // ... fill the prerendered screen with `color`, reveal it ...
//!     first.hand_over();
//! }
//! ```

use cohort::{Evaluation, Rules, User};

use crate::assign::experiment_for;
use crate::force;
use crate::identity::{self, is_valid_ip_hash, is_valid_user_id, IdSource, Identity};
use crate::page;
use crate::storage::Store;

/// The attribute of `<html>` the user ID is handed over in.
pub const USER_ID_ATTRIBUTE: &str = "data-cohort-user-id";
/// The attribute of `<html>` the ID's source ([`IdSource::code`]) is handed over in.
pub const ID_SOURCE_ATTRIBUTE: &str = "data-cohort-id-source";

/// What the first paint shows: the user, decided as the app decides, and their experiments.
#[derive(Debug)]
pub struct FirstPaint {
    rules: &'static Rules,
    identity: Identity,
    user: User,
    store: Store,
}

impl FirstPaint {
    /// Decides who the user `user` is (`?random`, the ID `user` has (an app's signed-in
    /// user) or the stored one, created on a first visit), as `cohort-leptos`'s
    /// `Cohort::start` does, from the page's address and localStorage. `None` when the app
    /// decides instead: when the page's `<meta>` names an IP echo ([`page::IP_ECHO_META`]),
    /// since that user is known only once a server answers, and when the address forces a
    /// group (QA's `?force`, which the first paint leaves to the app, to stay small).
    pub fn decide(rules: &'static Rules, user: User) -> Option<FirstPaint> {
        if page::meta(page::IP_ECHO_META).is_some() {
            return None;
        }
        FirstPaint::decide_with(rules, user, Store::open(), &page::query())
    }

    /// [`FirstPaint::decide`] from `store` and the query string `query` (such as
    /// `"?random"`), with no IP echo.
    pub fn decide_with(
        rules: &'static Rules,
        mut user: User,
        store: Store,
        query: &str,
    ) -> Option<FirstPaint> {
        if force::any_forced(query) {
            return None;
        }
        let identity = identity::resolve_here(&store, query, user.user_id.as_deref());
        user.user_id = Some(identity.user_id.clone());
        Some(FirstPaint {
            rules,
            identity,
            user,
            store,
        })
    }

    /// Who the user is.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The experiment `name` for the user: a kept sticky group, then the rules (nothing is
    /// logged).
    pub fn experiment(&self, name: &str) -> Evaluation<'static> {
        experiment_for(self.rules, &self.store, None, &self.user, name)
    }

    /// Hands the identity to the app (attributes of `<html>`), which keeps it.
    pub fn hand_over(&self) {
        let Some(root) = document_element() else {
            return;
        };
        let _ = root.set_attribute(USER_ID_ATTRIBUTE, &self.identity.user_id);
        let _ = root.set_attribute(ID_SOURCE_ATTRIBUTE, self.identity.source.code());
    }
}

/// The identity the first paint handed over, if it did (and it is well formed: an ID the
/// page would have made or accepted, from a source it names).
pub fn handed_over() -> Option<Identity> {
    let root = document_element()?;
    let user_id = root.get_attribute(USER_ID_ATTRIBUTE)?;
    let source = IdSource::from_code(&root.get_attribute(ID_SOURCE_ATTRIBUTE)?)?;
    let well_formed = match source {
        IdSource::App => !user_id.is_empty(),
        IdSource::IpHash => is_valid_ip_hash(&user_id),
        _ => is_valid_user_id(&user_id),
    };
    well_formed.then_some(Identity { user_id, source })
}

fn document_element() -> Option<web_sys::Element> {
    web_sys::window()?.document()?.document_element()
}
