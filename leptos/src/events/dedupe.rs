//! Logging an exposure once: the (user, experiment, group) triples already logged, kept in
//! the store so that a reload logs nothing again.

use super::queue::Shelf;

/// Exposures logged: `cohort.x.` and user, experiment and group.
pub const EXPOSED_PREFIX: &str = "cohort.x.";
/// Exposures remembered, at most (then the memory starts afresh).
pub const EXPOSED_CAPACITY: usize = 10_000;

/// Marks an exposure as logged; `false` if it already was (per user, experiment and group).
pub fn first_exposure<S: Shelf>(shelf: &S, user: &str, experiment: &str, group: &str) -> bool {
    let key = format!("{EXPOSED_PREFIX}{user}\u{1f}{experiment}\u{1f}{group}");
    if shelf.get(&key).is_some() {
        return false;
    }
    let remembered = shelf.keys(EXPOSED_PREFIX);
    if remembered.len() >= EXPOSED_CAPACITY {
        for k in remembered {
            shelf.remove(&k);
        }
    }
    shelf.set(&key, "1");
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::queue::tests::MapShelf;

    #[test]
    fn exposures_are_logged_once_per_user_experiment_and_group() {
        let shelf = MapShelf::default();
        assert!(first_exposure(&shelf, "u", "x", "Red"));
        assert!(!first_exposure(&shelf, "u", "x", "Red"));
        assert!(first_exposure(&shelf, "u", "x", "Blue"));
        assert!(first_exposure(&shelf, "v", "x", "Red"));
        assert!(first_exposure(&shelf, "u", "y", "Red"));
    }
}
