//! Where the page keeps sticky groups: the first group a user was exposed to in a sticky
//! experiment, in localStorage under (experiment, sticky version, user).
//!
//! A new version is a new key, so bumping it re-assigns everyone. The engine decides what a
//! kept group means ([`cohort::StickyGroup`]); this module only stores it.

use crate::storage::Store;

/// The localStorage key of a user's kept group in `experiment` at `version`.
pub fn key(experiment: &str, version: u32, user_id: &str) -> String {
    format!("cohort.sticky.{experiment}@{version}.{user_id}")
}

/// The group `user_id` was first exposed to in `experiment` at `version`, if kept.
pub fn kept(store: &Store, experiment: &str, version: u32, user_id: &str) -> Option<String> {
    store.get_raw(&key(experiment, version, user_id))
}

/// Keeps `group` as the user's group, unless one is kept already (the first one stays).
pub fn keep(store: &Store, experiment: &str, version: u32, user_id: &str, group: &str) {
    let key = key(experiment, version, user_id);
    if store.get_raw(&key).is_none() {
        store.set_raw(&key, group);
    }
}
