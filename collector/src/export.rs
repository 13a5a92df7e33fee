//! Exposures and events for warehouses: Parquet files, partitioned by day (Hive style:
//! `exposures/day=2026-11-26/part-00000.parquet`), that Spark, DuckDB, ClickHouse or BigQuery
//! read as they are, to run the same aggregation the collector runs (see the README).
//!
//! Records are read in time order through the store's cursor and written in row groups of
//! [`ROWS_PER_GROUP`], one file at a time per kind: memory stays flat whatever the size.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{Float64Builder, StringBuilder, TimestampMillisecondBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::store::{Store, StoreError, StoredRecord};

/// Rows buffered before a row group is written.
pub const ROWS_PER_GROUP: usize = 65_536;

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exported {
    pub exposures: u64,
    pub events: u64,
    pub files: Vec<PathBuf>,
}

fn time_field(name: &str, nullable: bool) -> Field {
    Field::new(
        name,
        DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
        nullable,
    )
}

/// The columns of one kind of record.
fn schema(kind: &str) -> Arc<Schema> {
    let mut fields = vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("user_id", DataType::Utf8, false),
    ];
    if kind == "exposure" {
        fields.extend([
            Field::new("experiment", DataType::Utf8, true),
            Field::new("group", DataType::Utf8, true),
        ]);
    } else {
        fields.extend([
            Field::new("name", DataType::Utf8, true),
            Field::new("value", DataType::Float64, true),
            Field::new("experiment", DataType::Utf8, true),
        ]);
    }
    fields.extend([
        time_field("time", false),
        time_field("client_time", true),
        time_field("received_at", false),
        Field::new("excluded", DataType::Utf8, true),
        Field::new("note", DataType::Utf8, true),
        Field::new("record", DataType::Utf8, false),
    ]);
    Arc::new(Schema::new(fields))
}

/// The rows of one file being written.
struct Part {
    kind: &'static str,
    day: String,
    writer: ArrowWriter<File>,
    path: PathBuf,
    rows: Vec<StoredRecord>,
}

impl Part {
    fn flush(&mut self) -> Result<(), StoreError> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.rows);
        let text = |f: &dyn Fn(&StoredRecord) -> Option<&str>| -> ArrayRef {
            let mut b = StringBuilder::new();
            for r in &rows {
                b.append_option(f(r));
            }
            Arc::new(b.finish())
        };
        let times = |f: &dyn Fn(&StoredRecord) -> Option<i64>| -> ArrayRef {
            let mut b = TimestampMillisecondBuilder::new().with_timezone("UTC");
            for r in &rows {
                b.append_option(f(r));
            }
            Arc::new(b.finish())
        };
        let mut columns: Vec<ArrayRef> = vec![
            text(&|r| Some(r.id.as_str())),
            text(&|r| Some(r.user_id.as_str())),
        ];
        if self.kind == "exposure" {
            columns.push(text(&|r| r.experiment.as_deref()));
            columns.push(text(&|r| r.group.as_deref()));
        } else {
            columns.push(text(&|r| r.name.as_deref()));
            let mut values = Float64Builder::new();
            for r in &rows {
                values.append_option(r.value);
            }
            columns.push(Arc::new(values.finish()));
            columns.push(text(&|r| r.experiment.as_deref()));
        }
        columns.extend([
            times(&|r| Some(r.time)),
            times(&|r| r.client_time),
            times(&|r| Some(r.received_at)),
            text(&|r| r.excluded.as_deref()),
            text(&|r| r.note.as_deref()),
            text(&|r| Some(r.record.as_str())),
        ]);
        let batch = RecordBatch::try_new(schema(self.kind), columns)
            .map_err(|e| StoreError::Output(format!("cannot make a Parquet row group: {e}")))?;
        self.writer
            .write(&batch)
            .map_err(|e| StoreError::Output(format!("cannot write {}: {e}", self.path.display())))
    }

    fn close(mut self) -> Result<PathBuf, StoreError> {
        self.flush()?;
        self.writer.close().map_err(|e| {
            StoreError::Output(format!("cannot finish {}: {e}", self.path.display()))
        })?;
        Ok(self.path)
    }
}

/// The UTC day of a time in milliseconds, as `YYYY-MM-DD`.
pub fn day_of(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_or_else(|_| "out-of-range".to_owned(), |t| t.date().to_string())
}

/// Writes every stored record under `out` as Parquet, partitioned by kind and day.
pub async fn parquet(store: &Store, out: &Path) -> Result<Exported, StoreError> {
    let mut exported = Exported::default();
    let mut parts: [Option<Part>; 2] = [None, None];
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut each = |record: StoredRecord| -> Result<(), StoreError> {
        let (slot, kind, dir) = if record.kind == "exposure" {
            exported.exposures += 1;
            (0, "exposure", "exposures")
        } else {
            exported.events += 1;
            (1, "event", "events")
        };
        let day = day_of(record.time);
        if parts[slot].as_ref().is_some_and(|p| p.day != day) {
            let done = parts[slot].take().expect("checked");
            exported.files.push(done.close()?);
        }
        if parts[slot].is_none() {
            let folder = out.join(dir).join(format!("day={day}"));
            std::fs::create_dir_all(&folder).map_err(|e| {
                StoreError::Output(format!("cannot create {}: {e}", folder.display()))
            })?;
            // A day may come back (records are read in time order, but a later export adds
            // files): the next free part number.
            let mut n = 0;
            while folder.join(format!("part-{n:05}.parquet")).exists() {
                n += 1;
            }
            let path = folder.join(format!("part-{n:05}.parquet"));
            let file = File::create(&path).map_err(|e| {
                StoreError::Output(format!("cannot create {}: {e}", path.display()))
            })?;
            let writer = ArrowWriter::try_new(file, schema(kind), Some(properties.clone()))
                .map_err(|e| StoreError::Output(format!("cannot write {}: {e}", path.display())))?;
            parts[slot] = Some(Part {
                kind,
                day,
                writer,
                path,
                rows: Vec::new(),
            });
        }
        let part = parts[slot].as_mut().expect("made above");
        part.rows.push(record);
        if part.rows.len() >= ROWS_PER_GROUP {
            part.flush()?;
        }
        Ok(())
    };
    store.records(&mut each).await?;
    for part in parts.into_iter().flatten() {
        exported.files.push(part.close()?);
    }
    exported.files.sort();
    Ok(exported)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_utc_dates() {
        assert_eq!(day_of(0), "1970-01-01");
        assert_eq!(day_of(1_764_115_200_000), "2025-11-26");
        assert_eq!(day_of(1_764_115_199_999), "2025-11-25");
        assert_eq!(day_of(951_782_400_000), "2000-02-29");
        assert_eq!(day_of(-1), "1969-12-31");
    }
}
