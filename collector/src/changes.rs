//! What tells a reader whether results may have changed since it last asked: a version this
//! collector moves on whenever a batch stores new records (its own, and, on PostgreSQL, those
//! of the collectors sharing the database: [`crate::store::Store::on_change_elsewhere`]). A
//! results answer carries it as its `ETag`; asked again with `If-None-Match`, an unchanged
//! version is answered `304` without a query, so a page that watches the results costs the
//! database nothing until records arrive. (Server-sent events would hold a connection per
//! page open, against the collector's connection limit; a conditional GET a second holds
//! none, and goes through proxies and CDNs as it is.)

use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::HeaderValue;

/// The version of the stored records, as this collector knows it.
#[derive(Debug)]
pub struct Changes {
    /// Random per process: two collectors, or one started again, never give the same tag
    /// to different figures.
    instance: u64,
    version: AtomicU64,
}

impl Default for Changes {
    fn default() -> Changes {
        Changes {
            instance: rand::random(),
            version: AtomicU64::new(0),
        }
    }
}

impl Changes {
    /// New records were stored.
    pub fn bump(&self) {
        self.version.fetch_add(1, Ordering::Release);
    }

    /// The tag of the current version (read before the figures it tags are read).
    pub fn etag(&self) -> HeaderValue {
        let tag = format!(
            "\"{:016x}-{}\"",
            self.instance,
            self.version.load(Ordering::Acquire)
        );
        HeaderValue::from_str(&tag).expect("hex digits and a number")
    }

    /// Whether `if_none_match` (a request's header) names the current version.
    pub fn unchanged(&self, if_none_match: Option<&HeaderValue>) -> bool {
        let current = self.etag();
        if_none_match
            .and_then(|v| v.to_str().ok())
            .is_some_and(|tags| tags.split(',').any(|t| t.trim() == current))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tag_changes_when_records_are_stored_and_only_then() {
        let changes = Changes::default();
        let before = changes.etag();
        assert!(changes.unchanged(Some(&before)));
        assert!(changes.unchanged(Some(
            &HeaderValue::from_str(&format!("\"x\", {}", before.to_str().unwrap())).unwrap()
        )));
        changes.bump();
        assert!(!changes.unchanged(Some(&before)));
        assert!(!changes.unchanged(None));
        assert_ne!(Changes::default().etag(), Changes::default().etag());
    }
}
