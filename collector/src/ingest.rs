//! `POST /api/events`: a batch read record by record, each record checked, placed on the
//! collector's clock and compared with the rules, then stored in one transaction.
//!
//! A body that is not a batch is refused whole (4xx). Otherwise every record is accounted for
//! in the answer: stored, already stored, or refused with its position and reason. A record
//! refused for its own content never costs the others their place. Nothing is acknowledged
//! before it is committed; a store that fails answers 503 (send again) and logs why.

use std::collections::HashSet;

use cohort_protocol::{check_record, place, read_batch, Ack, Catalog, Record, Refusal};

use crate::store::Accepted;
use crate::verify::Verifier;

/// What a body comes to before it is stored.
pub struct Sorted {
    pub accepted: Vec<Accepted>,
    pub refused: Vec<Refusal>,
    pub dropped: u64,
}

/// Reads and checks a body received at `received_at` (collector's clock, milliseconds). A
/// record that passes every check is then weighed against its user's budget (`budget`: why
/// not, if it is spent), and refused if it is over.
pub fn sort(
    body: &[u8],
    catalog: &Catalog,
    verifier: &Verifier,
    received_at: i64,
    mut budget: impl FnMut(&Record) -> Result<(), String>,
) -> Result<Sorted, String> {
    let incoming = read_batch(body).map_err(|e| e.to_string())?;
    let mut accepted = Vec::with_capacity(incoming.records.len());
    let mut refused = Vec::new();
    let mut ids = HashSet::new();
    for (index, record) in incoming.records.into_iter().enumerate() {
        let record = match record {
            Ok(record) => record,
            Err((id, reason)) => {
                refused.push(Refusal { index, id, reason });
                continue;
            }
        };
        let checked = check_record(&record, catalog)
            .and_then(|()| {
                if ids.insert(record.id().to_owned()) {
                    Ok(())
                } else {
                    Err(format!("id {} appears twice in the batch", record.id()))
                }
            })
            .and_then(|()| place(record.time(), incoming.sent_at, received_at))
            .and_then(|time| budget(&record).map(|()| time));
        match checked {
            Ok(time) => {
                let exclusion = verifier.check(&record, time);
                accepted.push(Accepted {
                    record,
                    time,
                    exclusion,
                });
            }
            Err(reason) => refused.push(Refusal {
                index,
                id: Some(record.id().to_owned()),
                reason,
            }),
        }
    }
    Ok(Sorted {
        accepted,
        refused,
        dropped: incoming.dropped,
    })
}

/// The answer once the accepted records are committed.
pub fn ack(inserted: super::store::Inserted, refused: Vec<Refusal>) -> Ack {
    Ack {
        stored: inserted.stored,
        duplicates: inserted.duplicates,
        excluded: inserted.excluded,
        refused,
    }
}
