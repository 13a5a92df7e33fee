//! Batching: the next batch of queued records as the body of `POST /events`, and removing a
//! batch once the collector answered it.

use super::queue::{Queue, Shelf, RECORD_PREFIX};

/// What a batch held, to remove once it is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub keys: Vec<String>,
    pub dropped: u64,
}

impl<S: Shelf> Queue<'_, S> {
    /// The next batch to send, as the body of `POST /events` (a `cohort_protocol::Batch`
    /// whose records are the stored JSON, sent at `sent_at` on the page's clock), and what it
    /// holds.
    pub fn next_batch(&self, max: usize, sent_at: i64) -> Option<(String, Sent)> {
        let mut keys = Vec::new();
        let mut records = Vec::new();
        for key in self.shelf.keys(RECORD_PREFIX).into_iter().take(max) {
            if let Some(json) = self.shelf.get(&key) {
                records.push(json);
                keys.push(key);
            }
        }
        if records.is_empty() {
            return None;
        }
        let dropped = self.dropped();
        let body = format!(
            "{{\"records\":[{}],\"dropped\":{dropped},\"sent_at\":{sent_at}}}",
            records.join(",")
        );
        Some((body, Sent { keys, dropped }))
    }

    /// Removes the records of an answered batch, and the drops it reported.
    pub fn remove(&self, sent: &Sent) {
        for key in &sent.keys {
            self.shelf.remove(key);
        }
        if sent.dropped > 0 {
            self.set_dropped(self.dropped().saturating_sub(sent.dropped));
        }
    }
}
