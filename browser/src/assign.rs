//! The group a user sees in an experiment: a forced group first, then the group kept for a
//! sticky experiment, then the rules. One function, for the app's reactive reading and for the
//! first paint alike.

use cohort::{Evaluation, Rules, StickyGroup, User};

use crate::sticky;
use crate::storage::Store;

/// The experiment `name` for `user` now: the `forced` group first, then a group kept in
/// `store` for a sticky experiment, then the rules. Logs nothing.
pub fn experiment_for(
    rules: &'static Rules,
    store: &Store,
    forced: Option<&str>,
    user: &User,
    name: &str,
) -> Evaluation<'static> {
    let evaluator = rules.at(js_sys::Date::now() as i64);
    if let Some(forced) = forced.and_then(|g| evaluator.get_experiment_forced(user, name, g)) {
        return forced;
    }
    let user_id = user.user_id.as_deref().unwrap_or_default();
    let kept = rules
        .sticky_version(name)
        .and_then(|version| sticky::kept(store, name, version, user_id).map(|g| (version, g)));
    let kept = kept.as_ref().map(|(version, group)| StickyGroup {
        version: *version,
        group,
    });
    evaluator.get_experiment_sticky(user, name, kept)
}
