//! Solo mode: after the collector refused a batch as a whole, its records are sent again one
//! at a time, so that only the bad record is dropped and the rest of the batch delivered.

/// Records per batch (fetch with keepalive caps a body at 64 KB).
pub const BATCH_RECORDS: usize = 50;

/// Whether records go one at a time, and up to which queued key.
#[derive(Debug, Default)]
pub(crate) struct Solo {
    through: Option<String>,
}

impl Solo {
    /// Sends the records up to `last_key` (the refused batch's last) one at a time.
    pub(crate) fn start(&mut self, last_key: Option<String>) {
        self.through = last_key;
    }

    /// How many records the next batch may hold, given the oldest queued key: one while it is
    /// within the refused batch, else a full batch (and solo mode ends).
    pub(crate) fn batch_size(&mut self, first_key: Option<&str>) -> usize {
        match (&self.through, first_key) {
            (Some(last), Some(first)) if first <= last.as_str() => 1,
            _ => {
                self.through = None;
                BATCH_RECORDS
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_of_a_refused_batch_go_one_at_a_time_then_batches_resume() {
        let mut solo = Solo::default();
        assert_eq!(
            solo.batch_size(Some("cohort.q.000000000001")),
            BATCH_RECORDS
        );
        solo.start(Some("cohort.q.000000000003".into()));
        assert_eq!(solo.batch_size(Some("cohort.q.000000000001")), 1);
        assert_eq!(solo.batch_size(Some("cohort.q.000000000003")), 1);
        // Past the refused batch: full batches again, and solo mode is over.
        assert_eq!(
            solo.batch_size(Some("cohort.q.000000000004")),
            BATCH_RECORDS
        );
        assert_eq!(
            solo.batch_size(Some("cohort.q.000000000002")),
            BATCH_RECORDS
        );
        solo.start(Some("cohort.q.000000000009".into()));
        assert_eq!(solo.batch_size(None), BATCH_RECORDS);
    }
}
