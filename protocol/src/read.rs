//! Reading a request body as a batch, record by record.
//!
//! The envelope (`records`, `dropped`, `sent_at`) must be well formed, or the whole body is
//! refused. Each record is then decoded on its own: a malformed record is refused with its
//! position and the reason, and the others are still read.

use std::fmt;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::record::Record;
use crate::MAX_RECORDS_PER_BATCH;

/// A body read as a batch: each record decoded, or why it could not be.
#[derive(Debug)]
pub struct Incoming {
    /// In the batch's order: the record, or its ID (if readable) and why it is refused.
    pub records: Vec<Result<Record, (Option<String>, String)>>,
    pub dropped: u64,
    pub sent_at: Option<i64>,
}

/// Why a whole body was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection(pub String);

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Rejection {}

/// The envelope, its records left as the text they are (each decoded on its own, straight
/// into a [`Record`]).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<'a> {
    #[serde(borrow)]
    records: Vec<&'a RawValue>,
    #[serde(default)]
    dropped: u64,
    #[serde(default)]
    sent_at: Option<i64>,
}

/// Reads a body: the envelope must be right; records are decoded one by one.
pub fn read_batch(body: &[u8]) -> Result<Incoming, Rejection> {
    let envelope: Envelope =
        serde_json::from_slice(body).map_err(|e| Rejection(format!("not a batch: {e}")))?;
    if envelope.records.is_empty() {
        return Err(Rejection("the batch has no records".into()));
    }
    if envelope.records.len() > MAX_RECORDS_PER_BATCH {
        return Err(Rejection(format!(
            "the batch has {} records, more than {MAX_RECORDS_PER_BATCH}",
            envelope.records.len()
        )));
    }
    if let Some(sent_at) = envelope.sent_at {
        if sent_at <= 0 {
            return Err(Rejection(format!("sent_at {sent_at} is not a time")));
        }
    }
    let records = envelope
        .records
        .into_iter()
        .map(|raw| {
            serde_json::from_str::<Record>(raw.get())
                .map(lowercase_id)
                .map_err(|e| (readable_id(raw), format!("not a record: {e}")))
        })
        .collect();
    Ok(Incoming {
        records,
        dropped: envelope.dropped,
        sent_at: envelope.sent_at,
    })
}

/// The record with its ID in lower case. IDs are UUIDs, whose hex digits are the same in either
/// case (RFC 9562), so one ID sent in both cases is one record, stored once.
fn lowercase_id(mut record: Record) -> Record {
    let (Record::Exposure { id, .. } | Record::Event { id, .. }) = &mut record;
    id.make_ascii_lowercase();
    record
}

/// The `id` of `{"exposure": {"id": ...}}` or `{"event": {"id": ...}}`, if there is one (read
/// only for a record that is refused).
fn readable_id(raw: &RawValue) -> Option<String> {
    let value: Value = serde_json::from_str(raw.get()).ok()?;
    let inner = value.get("exposure").or_else(|| value.get("event"))?;
    inner.get("id")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";

    fn event(id: &str) -> String {
        format!(r#"{{"event": {{"id": "{id}", "user_id": "u", "name": "cta_click", "time": 1}}}}"#)
    }

    #[test]
    fn an_id_in_upper_case_reads_as_the_same_id_in_lower_case() {
        let upper = ID.to_ascii_uppercase();
        let body = format!(r#"{{"records": [{}, {}]}}"#, event(&upper), event(ID));
        let incoming = read_batch(body.as_bytes()).unwrap();
        for record in &incoming.records {
            assert_eq!(record.as_ref().unwrap().id(), ID);
        }
    }

    #[test]
    fn one_malformed_record_does_not_hide_the_others() {
        let body = format!(
            r#"{{"records": [{}, {{"event": {{"id": "x", "user_id": "u", "name": "n", "time": 1, "ip": "1.2.3.4"}}}}, 42, {}], "dropped": 2, "sent_at": 5}}"#,
            event(ID),
            event("1f8fad5b-d9cb-469f-a165-70867728950e")
        );
        let incoming = read_batch(body.as_bytes()).unwrap();
        assert_eq!(incoming.records.len(), 4);
        assert_eq!(incoming.records[0].as_ref().unwrap().id(), ID);
        let (id, why) = incoming.records[1].as_ref().unwrap_err();
        assert_eq!(id.as_deref(), Some("x"));
        assert!(why.contains("unknown field `ip`"), "{why}");
        assert_eq!(incoming.records[2].as_ref().unwrap_err().0, None);
        assert!(incoming.records[3].is_ok());
        assert_eq!((incoming.dropped, incoming.sent_at), (2, Some(5)));
    }

    #[test]
    fn a_record_with_a_field_twice_is_refused_naming_the_field() {
        let body = format!(
            r#"{{"records": [{{"event": {{"id": "{ID}", "user_id": "u", "user_id": "v", "name": "n", "time": 1}}}}, {}]}}"#,
            event("1f8fad5b-d9cb-469f-a165-70867728950e")
        );
        let incoming = read_batch(body.as_bytes()).unwrap();
        let (id, why) = incoming.records[0].as_ref().unwrap_err();
        assert_eq!(id.as_deref(), Some(ID));
        assert!(why.contains("duplicate field `user_id`"), "{why}");
        assert!(incoming.records[1].is_ok());
    }

    #[test]
    fn a_bad_envelope_refuses_the_body() {
        let reason = |body: &str| read_batch(body.as_bytes()).unwrap_err().0;
        assert!(reason("{").starts_with("not a batch"));
        assert!(reason(r#"{"records": [], "extra": 1}"#).contains("unknown field `extra`"));
        assert_eq!(reason(r#"{"records": []}"#), "the batch has no records");
        assert!(
            reason(&format!(r#"{{"records": [{}], "sent_at": 0}}"#, event(ID))).contains("sent_at")
        );
        let many = vec![event(ID); MAX_RECORDS_PER_BATCH + 1].join(",");
        assert!(reason(&format!(r#"{{"records": [{many}]}}"#)).contains("more than 500"));
    }
}
