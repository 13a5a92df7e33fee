//! The names of one kind of spec, to their place in the rules: a list sorted by name, searched
//! by halves.
//!
//! Rules hold tens or hundreds of names, so a search by halves costs a few comparisons, and a
//! page that links the engine links no hasher and no hash table for it (about 1.6 KB of Wasm).

use super::SpecId;

/// Names to spec IDs, sorted by name, each name once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NameIndex(Vec<(String, SpecId)>);

impl NameIndex {
    /// Points `name` at `id`; a name indexed before points at the later ID (Statsig evaluates
    /// the last spec of a name).
    pub(crate) fn insert(&mut self, name: &str, id: SpecId) {
        match self.position(name) {
            Ok(at) => self.0[at].1 = id,
            Err(at) => self.0.insert(at, (name.to_owned(), id)),
        }
    }

    /// The ID `name` points at.
    pub(crate) fn get(&self, name: &str) -> Option<SpecId> {
        self.position(name).ok().map(|at| self.0[at].1)
    }

    fn position(&self, name: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(n, _)| n.as_str().cmp(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_finds_its_last_id_and_no_other_name_is_found() {
        let mut index = NameIndex::default();
        let names = ["m", "c", "x", "a", "c", "zz", "b", "m"];
        for (id, name) in names.iter().enumerate() {
            index.insert(name, id as SpecId);
        }
        for name in names {
            let last = names.iter().rposition(|n| *n == name).unwrap();
            assert_eq!(index.get(name), Some(last as SpecId), "{name}");
        }
        for absent in ["", "d", "z", "zzz", "M", "aa"] {
            assert_eq!(index.get(absent), None, "{absent}");
        }
        assert_eq!(index.0.len(), 6);
    }
}
