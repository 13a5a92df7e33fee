//! The client's log as data, kept in a key-value store (localStorage): the bounded queue of
//! records waiting for the collector.
//!
//! Each queued record is its own entry (`cohort.q.<sequence>`), holding the JSON it is sent as:
//! the page writes a record once and never parses one back (which keeps a JSON decoder for
//! records out of its Wasm), and a new record costs one write, not a rewrite of the queue.
//! The queue drops its oldest record when full and counts what it dropped; the count travels
//! with the next batch. A record leaves the queue only when a batch holding it is answered.
//! Without a collector nothing answers: the queue is the local log the results page reads.

/// Text stored under keys: localStorage in the page, a map in tests.
pub trait Shelf {
    fn get(&self, key: &str) -> Option<String>;
    fn set(&self, key: &str, value: &str) -> bool;
    fn remove(&self, key: &str);
    /// The keys starting with `prefix`, sorted.
    fn keys(&self, prefix: &str) -> Vec<String>;
}

/// Queued records: `cohort.q.` and a 12-digit sequence number.
pub const RECORD_PREFIX: &str = "cohort.q.";
/// The count of records dropped and not yet reported.
pub const DROPPED_KEY: &str = "cohort.dropped";

/// Records waiting to be sent, at most.
pub const QUEUE_CAPACITY: usize = 2000;

/// The queue, over a shelf.
pub struct Queue<'s, S: Shelf> {
    pub(super) shelf: &'s S,
}

impl<'s, S: Shelf> Queue<'s, S> {
    pub fn new(shelf: &'s S) -> Self {
        Queue { shelf }
    }

    /// Records dropped (because the queue was full) and not yet reported.
    pub fn dropped(&self) -> u64 {
        self.shelf
            .get(DROPPED_KEY)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }

    pub(crate) fn set_dropped(&self, n: u64) {
        self.shelf.set(DROPPED_KEY, &n.to_string());
    }

    pub fn len(&self) -> usize {
        self.shelf.keys(RECORD_PREFIX).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds a record (its JSON), dropping the oldest ones while the queue is full; returns
    /// how many were dropped now, or `None` if the record could not be stored.
    pub fn push(&self, record_json: &str, capacity: usize) -> Option<u64> {
        let mut keys = self.shelf.keys(RECORD_PREFIX);
        let mut dropped = 0;
        while keys.len() >= capacity.max(1) {
            self.shelf.remove(&keys.remove(0));
            dropped += 1;
        }
        if dropped > 0 {
            self.set_dropped(self.dropped() + dropped);
        }
        let next = keys
            .last()
            .and_then(|k| k[RECORD_PREFIX.len()..].parse::<u64>().ok())
            .map_or(0, |n| n + 1);
        self.shelf
            .set(&format!("{RECORD_PREFIX}{next:012}"), record_json)
            .then_some(dropped)
    }

    /// The records (JSON, oldest first).
    pub fn records(&self) -> Vec<String> {
        self.shelf
            .keys(RECORD_PREFIX)
            .iter()
            .filter_map(|k| self.shelf.get(k))
            .collect()
    }

    /// The key of the oldest queued record.
    pub fn first_key(&self) -> Option<String> {
        self.shelf.keys(RECORD_PREFIX).into_iter().next()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use cohort_protocol::{Batch, Record};
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    #[derive(Default)]
    pub(crate) struct MapShelf(RefCell<BTreeMap<String, String>>);

    impl Shelf for MapShelf {
        fn get(&self, key: &str) -> Option<String> {
            self.0.borrow().get(key).cloned()
        }
        fn set(&self, key: &str, value: &str) -> bool {
            self.0.borrow_mut().insert(key.into(), value.into());
            true
        }
        fn remove(&self, key: &str) {
            self.0.borrow_mut().remove(key);
        }
        fn keys(&self, prefix: &str) -> Vec<String> {
            self.0
                .borrow()
                .keys()
                .filter(|k| k.starts_with(prefix))
                .cloned()
                .collect()
        }
    }

    fn record(n: u32) -> String {
        serde_json::to_string(&Record::Event {
            id: format!("{n:08x}-d9cb-469f-a165-70867728950e"),
            user_id: "u".into(),
            name: "clicked".into(),
            time: 1,
            groups: Default::default(),
            value: None,
        })
        .unwrap()
    }

    fn ids(q: &Queue<'_, MapShelf>) -> Vec<String> {
        q.records()
            .iter()
            .map(|r| serde_json::from_str::<Record>(r).unwrap().id().to_owned())
            .collect()
    }

    fn id(n: u32) -> String {
        format!("{n:08x}-d9cb-469f-a165-70867728950e")
    }

    #[test]
    fn a_full_queue_drops_the_oldest_and_counts_them() {
        let shelf = MapShelf::default();
        let q = Queue::new(&shelf);
        let dropped: Vec<u64> = (0..5).map(|n| q.push(&record(n), 3).unwrap()).collect();
        assert_eq!(dropped, vec![0, 0, 0, 1, 1]);
        assert_eq!(q.len(), 3);
        assert_eq!(q.dropped(), 2);
        assert_eq!(ids(&q), vec![id(2), id(3), id(4)]);
        let (body, sent) = q.next_batch(2, 77).unwrap();
        let batch: Batch = serde_json::from_str(&body).unwrap();
        assert_eq!(
            batch
                .records
                .iter()
                .map(|r| r.id().to_owned())
                .collect::<Vec<_>>(),
            vec![id(2), id(3)]
        );
        assert_eq!(batch.dropped, 2);
        assert_eq!(batch.sent_at, Some(77));
        q.remove(&sent);
        assert_eq!(ids(&q), vec![id(4)]);
        assert_eq!(q.dropped(), 0);
    }

    #[test]
    fn records_added_while_sending_stay_and_order_is_kept() {
        let shelf = MapShelf::default();
        let q = Queue::new(&shelf);
        q.push(&record(0), 10);
        let (_, sent) = q.next_batch(10, 1).unwrap();
        q.push(&record(1), 10);
        q.remove(&sent);
        q.push(&record(2), 10);
        assert_eq!(ids(&q), vec![id(1), id(2)]);
        assert!(Queue::new(&MapShelf::default()).next_batch(5, 1).is_none());
        // More than ten records keep their order (the sequence is zero-padded).
        for n in 3..15 {
            q.push(&record(n), 100);
        }
        assert_eq!(ids(&q), (1..15).map(id).collect::<Vec<_>>());
    }
}
