//! The collector's store: exposures and events, in SQLite (one machine, embedded: the
//! default) or PostgreSQL (shared by several collectors), with the same guarantees:
//!
//! - a record is stored once by its ID (`ON CONFLICT DO NOTHING`), so a retried batch is not
//!   counted twice, by one collector or several;
//! - what a batch brings is committed in one transaction, and acknowledged only after;
//! - each user's first exposure to each experiment (or gate), and what every metric needs per
//!   user and per group, are kept up to date as records arrive, in the batch's transaction
//!   ([`incremental`]); records whose groups are not the rules' are stored apart;
//! - a results answer reads a few rows per group and metric, whatever the number of users;
//!   the full recomputation from the records ([`aggregate`]) is the reference it is tested
//!   against, and the collector's memory does not grow with the data.

pub mod aggregate;
mod checkpoint;
mod error;
pub mod incremental;
mod log_sync;
mod postgres;
mod schema;
mod sqlite;

use std::sync::Arc;

use cohort::Rules;
use cohort_protocol::{Record, MAX_DROPPED};
use cohort_stats::breakdown::{Breakdown, Slice};
use cohort_stats::experiment::{analyze_experiment, Counted};
use cohort_stats::over_time::{over_time, DayCells};
use cohort_stats::{ArmStats, ExperimentResults};

use aggregate::Figures;

pub use error::StoreError;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// Why a record is kept out of the results (found by [`crate::verify`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exclusion {
    /// The experiment (or gate) whose group did not match.
    pub experiment: String,
    /// Why (results count records by its code).
    pub reason: cohort_protocol::ExclusionReason,
    /// What was claimed and what the rules give.
    pub detail: String,
}

/// A record the collector accepted, placed on its clock.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub record: Record,
    /// The record's time on the collector's clock.
    pub time: i64,
    /// Why it is kept out of the results, if it is.
    pub exclusion: Option<Exclusion>,
}

/// A batch as a page sent it, once checked: its accepted records, the records the page says
/// it dropped, and when it arrived (on the collector's clock).
///
/// Each record is written out as the JSON text the store keeps when the batch is made, by
/// the request's task, not by the writer that every batch of a group commit waits for.
#[derive(Debug, Clone)]
pub struct Batch {
    records: Vec<Accepted>,
    /// Each record's JSON text, in order.
    texts: Vec<String>,
    dropped: u64,
    received_at: i64,
}

impl Batch {
    /// A batch of `records`, whose page says it dropped `dropped` others, received at
    /// `received_at` (the collector's clock, milliseconds).
    pub fn new(records: Vec<Accepted>, dropped: u64, received_at: i64) -> Batch {
        let texts = records
            .iter()
            .map(|r| serde_json::to_string(&r.record).unwrap_or_default())
            .collect();
        Batch {
            records,
            texts,
            dropped,
            received_at,
        }
    }

    /// The accepted records, in the page's order.
    pub fn records(&self) -> &[Accepted] {
        &self.records
    }

    /// The records the page says it dropped.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// When it arrived, on the collector's clock (milliseconds).
    pub fn received_at(&self) -> i64 {
        self.received_at
    }

    /// Each record as a row of the records table.
    pub(crate) fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.records
            .iter()
            .zip(&self.texts)
            .map(|(accepted, text)| Row::of(accepted, text))
    }
}

/// What an insert did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Inserted {
    /// Records new to the store.
    pub stored: u64,
    /// Records it already held.
    pub duplicates: u64,
    /// Of the new records, those kept out of the results.
    pub excluded: u64,
}

/// A record as stored: where the collector placed it, and what it thought of it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoredRecord {
    pub id: String,
    pub kind: String,
    pub user_id: String,
    pub experiment: Option<String>,
    pub group: Option<String>,
    pub name: Option<String>,
    pub value: Option<f64>,
    /// On the collector's clock.
    pub time: i64,
    /// As the page gave it.
    pub client_time: Option<i64>,
    pub received_at: i64,
    /// Why it is kept out of the results, if it is.
    pub excluded: Option<String>,
    pub note: Option<String>,
    /// The record as the page sent it (JSON text; serialised as the object it is).
    #[serde(serialize_with = "raw_json")]
    pub record: String,
}

fn raw_json<S: serde::Serializer>(text: &str, serializer: S) -> Result<S::Ok, S::Error> {
    use serde::Serialize;
    match serde_json::value::RawValue::from_string(text.to_owned()) {
        Ok(raw) => raw.serialize(serializer),
        // Never stored by this collector; written as the string it is.
        Err(_) => serializer.serialize_str(text),
    }
}

/// When a committed write is on disk (see [`Store::write_batches`]).
#[must_use = "a write is acknowledged only once it is durable"]
pub struct Durable(Option<log_sync::Synced>);

impl Durable {
    /// Waits until the write is on disk, or says why it may not be (the batches are then
    /// not acknowledged: sent again, their records are found stored and counted once).
    pub async fn wait(self) -> Result<(), StoreError> {
        match self.0 {
            None => Ok(()),
            Some(synced) => log_sync::wait(synced).await,
        }
    }
}

/// An open store.
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

/// Whether `db` names a PostgreSQL database (`postgres://` or `postgresql://`) rather than a
/// SQLite file.
pub fn is_postgres(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

impl Store {
    /// Opens (and creates, or brings up to date) the store `db` names: a PostgreSQL URL or a
    /// SQLite file.
    pub async fn open(db: &str) -> Result<Store, StoreError> {
        if is_postgres(db) {
            Ok(Store::Postgres(PostgresStore::open(db).await?))
        } else {
            let path = std::path::PathBuf::from(db);
            let store = tokio::task::spawn_blocking(move || SqliteStore::open(&path)).await??;
            Ok(Store::Sqlite(store))
        }
    }

    /// Calls `changed` whenever another collector sharing the database stores new records
    /// (PostgreSQL; see [`postgres::listen`]). A SQLite file has one collector, which knows
    /// its own.
    pub fn on_change_elsewhere(&self, changed: Arc<dyn Fn() + Send + Sync>) {
        if let Store::Postgres(p) = self {
            postgres::listen(p.url(), changed);
        }
    }

    /// Whether the database answers a read now (for `GET /api/health`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => {
                let s = s.clone();
                tokio::task::spawn_blocking(move || s.ping()).await?
            }
            Store::Postgres(p) => p.ping().await,
        }
    }

    /// The folder a SQLite store keeps its file in (whose free space matters); none for
    /// PostgreSQL, whose server minds its own disk.
    pub fn local_folder(&self) -> Option<std::path::PathBuf> {
        match self {
            Store::Sqlite(s) => Some(
                s.path()
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(std::path::Path::new("."))
                    .to_owned(),
            ),
            Store::Postgres(_) => None,
        }
    }

    /// What the store is, for messages.
    pub fn describe(&self) -> String {
        match self {
            Store::Sqlite(s) => format!("SQLite {}", s.path().display()),
            Store::Postgres(p) => format!("PostgreSQL {}", p.describe()),
        }
    }

    /// Stores accepted records (and the count of records a page dropped, counted once per batch
    /// and bounded) in one transaction; returns once it is committed.
    pub async fn insert(
        &self,
        records: Vec<Accepted>,
        dropped: u64,
        received_at: i64,
    ) -> Result<Inserted, StoreError> {
        let batch = Batch::new(records, dropped, received_at);
        let mut answers = self.insert_batches(Arc::from(vec![batch])).await?;
        Ok(answers.remove(0))
    }

    /// Stores `batches` in one transaction (one commit, and one sync or a share of one, however
    /// many batches: what [`crate::commit`] groups); returns what each batch stored, in order,
    /// once it is committed and on disk, or why nothing was. A record two batches carry is
    /// stored for the first.
    pub async fn insert_batches(&self, batches: Arc<[Batch]>) -> Result<Vec<Inserted>, StoreError> {
        let (inserted, durable) = self.write_batches(batches).await?;
        durable.wait().await?;
        Ok(inserted)
    }

    /// As [`Store::insert_batches`], but returns as soon as the transaction is committed,
    /// with what each batch stored and a [`Durable`] that says when the commit is on disk:
    /// the caller answers the batches then, and meanwhile writes the next ones (SQLite's log
    /// is synced by a thread of its own; a PostgreSQL commit is durable when it returns).
    pub async fn write_batches(
        &self,
        batches: Arc<[Batch]>,
    ) -> Result<(Vec<Inserted>, Durable), StoreError> {
        match self {
            Store::Sqlite(s) => {
                let s = s.clone();
                let (inserted, synced) =
                    tokio::task::spawn_blocking(move || s.insert(&batches)).await??;
                Ok((inserted, Durable(Some(synced))))
            }
            Store::Postgres(p) => Ok((p.insert(&batches).await?, Durable(None))),
        }
    }

    /// The group of `user_id`'s first (not excluded) exposure to `experiment`, if any: the
    /// group a sticky experiment keeps them in.
    pub async fn first_group(
        &self,
        experiment: &str,
        user_id: &str,
    ) -> Result<Option<String>, StoreError> {
        match self {
            Store::Sqlite(s) => {
                let (s, experiment, user_id) =
                    (s.clone(), experiment.to_owned(), user_id.to_owned());
                tokio::task::spawn_blocking(move || s.first_group(&experiment, &user_id)).await?
            }
            Store::Postgres(p) => p.first_group(experiment, user_id).await,
        }
    }

    /// The users exposed to each of `experiments` ([`aggregate::EXPOSED_USERS`]), in the same
    /// order, from one snapshot.
    pub async fn exposed_users(&self, experiments: &[String]) -> Result<Vec<u64>, StoreError> {
        match self {
            Store::Sqlite(s) => {
                let (s, experiments) = (s.clone(), experiments.to_vec());
                tokio::task::spawn_blocking(move || s.exposed_users(&experiments)).await?
            }
            Store::Postgres(p) => p.exposed_users(experiments).await,
        }
    }

    /// Keeps the results of every metric of every experiment of `rules` as records arrive
    /// from now on ([`incremental`]): those not kept before are built from the stored records
    /// first (a line each in the log), those kept before and no longer in the rules are
    /// forgotten. Collectors sharing a database share their rules.
    pub async fn keep(&self, rules: &Rules) -> Result<(), StoreError> {
        let measures = incremental::measures(rules);
        match self {
            Store::Sqlite(s) => {
                let s = s.clone();
                tokio::task::spawn_blocking(move || s.keep(measures)).await?
            }
            Store::Postgres(p) => p.keep(measures).await,
        }
    }

    /// Folds the kept sums of every experiment of `rules` that PostgreSQL keeps as rows of
    /// changes (see [`PostgresStore::fold`]); nothing to do on SQLite. A collector runs it
    /// from time to time, so that the rows stay few however long nobody reads the results.
    pub async fn fold(&self, rules: &Rules) -> Result<(), StoreError> {
        if let Store::Postgres(p) = self {
            for (spec, _) in rules.experiments() {
                p.fold(&spec.name).await?;
            }
        }
        Ok(())
    }

    /// Reads, without writing, what the database keeps of `rules`' results (for a command
    /// that reads results beside running collectors, which keep them): what is not kept is
    /// recomputed.
    pub async fn use_kept(&self, rules: &Rules) -> Result<(), StoreError> {
        let measures = incremental::measures(rules);
        match self {
            Store::Sqlite(s) => {
                let s = s.clone();
                tokio::task::spawn_blocking(move || s.use_kept(measures)).await?
            }
            Store::Postgres(p) => p.use_kept(measures).await,
        }
    }

    /// The raw numbers of `experiment`'s results: exposed users per group, each metric's
    /// rows, the excluded counts and what pages dropped; as kept, or recomputed.
    async fn raw(
        &self,
        rules: &Rules,
        experiment: &str,
        recompute: bool,
    ) -> Result<Figures, StoreError> {
        let metrics: Vec<cohort::rules::Metric> = rules
            .experiment_metrics(experiment)
            .into_iter()
            .cloned()
            .collect();
        match self {
            Store::Sqlite(s) => {
                let (s, experiment) = (s.clone(), experiment.to_owned());
                tokio::task::spawn_blocking(move || s.raw(&experiment, &metrics, recompute)).await?
            }
            Store::Postgres(p) => p.raw(experiment, &metrics, recompute).await,
        }
    }

    /// The results of `experiment` under `rules` (`None` if the rules have no such
    /// experiment): every metric, computed by the database from the records that are not
    /// excluded, with the counts of those that are and of what pages dropped. A metric the
    /// database cannot compute is named in [`ExperimentResults::unavailable`] with why, and
    /// the others are served; the answer fails as a whole only when the database does.
    ///
    /// The figures are those kept as records arrive (see [`Store::keep`]; a metric not kept
    /// is recomputed).
    pub async fn results(
        &self,
        rules: &Rules,
        experiment: &str,
    ) -> Result<Option<ExperimentResults>, StoreError> {
        self.analyse(rules, experiment, false).await
    }

    /// As [`Store::results`], every figure recomputed from the stored records: the reference
    /// the kept figures are tested against (`cohort results --recompute`).
    pub async fn results_recomputed(
        &self,
        rules: &Rules,
        experiment: &str,
    ) -> Result<Option<ExperimentResults>, StoreError> {
        self.analyse(rules, experiment, true).await
    }

    async fn analyse(
        &self,
        rules: &Rules,
        experiment: &str,
        recompute: bool,
    ) -> Result<Option<ExperimentResults>, StoreError> {
        let Some(planned) = cohort_stats::experiment::planned_groups(rules, experiment) else {
            return Ok(None);
        };
        let Figures {
            exposed,
            metrics: metric_rows,
            excluded,
            dropped,
        } = self.raw(rules, experiment, recompute).await?;
        // The planned groups in order, then any others the records name.
        let mut groups: Vec<String> = planned.iter().map(|(g, _)| g.clone()).collect();
        for e in &exposed {
            if !groups.contains(&e.group) {
                groups.push(e.group.clone());
            }
        }
        let users: Vec<u64> = groups
            .iter()
            .map(|g| {
                exposed
                    .iter()
                    .filter(|e| e.group == *g)
                    .map(|e| e.users)
                    .sum()
            })
            .collect();
        let metrics = rules.experiment_metrics(experiment);
        let rows_of = |metric: &cohort::rules::Metric| {
            let index = metrics.iter().position(|m| m.name == metric.name);
            index.map(|i| &metric_rows[i])
        };
        let mut results = analyze_experiment(rules, experiment, &groups, users, |metric| {
            match rows_of(metric) {
                Some(Err(e)) => {
                    eprintln!(
                        "cohort: experiment {experiment:?}, metric {:?} could not be computed: {e}",
                        metric.name
                    );
                    Err(format!("the database could not compute it ({e})"))
                }
                Some(Ok(counted)) => Ok(Counted {
                    arms: groups
                        .iter()
                        .map(|g| {
                            aggregate::total(counted.rows.iter().filter(|r| r.group == *g))
                                .arm(metric)
                        })
                        .collect::<Vec<ArmStats>>(),
                    bound: aggregate::Bounds::reported(counted.bounds.value),
                    denominator_bound: aggregate::Bounds::reported(counted.bounds.denominator),
                }),
                None => Ok(Counted::uncapped(
                    groups.iter().map(|_| empty(metric)).collect(),
                )),
            }
        })
        .ok_or_else(|| StoreError::Setup(format!("experiment {experiment:?} has no plan")))?;
        // Per day of first exposure, for the results over time (the metrics served only).
        let served: Vec<(&cohort::rules::Metric, &[aggregate::GroupRow])> = metrics
            .iter()
            .filter(|metric| results.metrics.iter().any(|m| m.metric.name == metric.name))
            .map(|metric| match rows_of(metric) {
                Some(Ok(counted)) => (*metric, counted.rows.as_slice()),
                _ => (*metric, &[][..]),
            })
            .collect();
        // Each row put in its day's cell once (a year of days costs a pass over the rows).
        let days: std::collections::BTreeMap<i64, usize> = exposed
            .iter()
            .map(|e| e.day)
            .collect::<std::collections::BTreeSet<i64>>()
            .into_iter()
            .enumerate()
            .map(|(i, day)| (day, i))
            .collect();
        let group_at: std::collections::HashMap<&str, usize> = groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.as_str(), i))
            .collect();
        let mut cells: Vec<DayCells> = days
            .keys()
            .map(|&day| DayCells {
                day,
                users: vec![0; groups.len()],
                metrics: served
                    .iter()
                    .map(|(metric, _)| groups.iter().map(|_| empty(metric)).collect())
                    .collect(),
            })
            .collect();
        let cell = |group: &str, day: i64| Some((*days.get(&day)?, *group_at.get(group)?));
        for e in &exposed {
            if let Some((d, g)) = cell(&e.group, e.day) {
                cells[d].users[g] += e.users;
            }
        }
        for (m, (metric, rows)) in served.iter().enumerate() {
            for row in rows.iter() {
                if let Some((d, g)) = cell(&row.group, row.day) {
                    cells[d].metrics[m][g] = row.arm(metric);
                }
            }
        }
        results.over_time = over_time(&results, &cells);
        results.excluded = excluded;
        results.dropped_by_clients = dropped;
        Ok(Some(results))
    }

    /// `experiment`'s results by `dimension` (`None` if the rules have no such experiment): a
    /// slice per value of the dimension (the most users first; past twenty, the rest as
    /// "(other)"), each analysed as an experiment of its own with its sample-ratio check, the
    /// caps at the whole experiment's bounds. Computed from the kept per-user rows by the
    /// database: a pass over the users with events per metric, on demand.
    pub async fn breakdown(
        &self,
        rules: &Rules,
        experiment: &str,
        dimension: &str,
    ) -> Result<Option<Breakdown>, StoreError> {
        let Some(planned) = cohort_stats::experiment::planned_groups(rules, experiment) else {
            return Ok(None);
        };
        let metrics: Vec<cohort::rules::Metric> = rules
            .experiment_metrics(experiment)
            .into_iter()
            .cloned()
            .collect();
        // The whole experiment's bounds, which every slice keeps.
        let whole = self.raw(rules, experiment, false).await?;
        let bounds: Vec<aggregate::Bounds> = whole
            .metrics
            .iter()
            .map(|m| m.as_ref().map_or(aggregate::Bounds::NONE, |m| m.bounds))
            .collect();
        let figures = match self {
            Store::Sqlite(s) => {
                let (s, experiment, dimension, metrics, bounds) = (
                    s.clone(),
                    experiment.to_owned(),
                    dimension.to_owned(),
                    metrics.clone(),
                    bounds.clone(),
                );
                tokio::task::spawn_blocking(move || {
                    s.breakdown(&experiment, &dimension, &metrics, &bounds)
                })
                .await??
            }
            Store::Postgres(p) => {
                p.breakdown(experiment, dimension, &metrics, &bounds)
                    .await?
            }
        };
        let mut by_value: std::collections::BTreeMap<&str, u64> = Default::default();
        for (value, _, users) in &figures.users {
            *by_value.entry(value).or_default() += users;
        }
        let values = by_value
            .into_iter()
            .map(|(v, n)| (v.to_owned(), n))
            .collect();
        // The planned groups in order, then any others the records name (in every slice).
        let mut groups: Vec<String> = planned.iter().map(|(g, _)| g.clone()).collect();
        for (_, group, _) in &figures.users {
            if !groups.contains(group) {
                groups.push(group.clone());
            }
        }
        let mut slices = Vec::new();
        for (label, values) in cohort_stats::breakdown::slices(values) {
            let within = |value: &String| values.contains(value);
            let users: Vec<u64> = groups
                .iter()
                .map(|g| {
                    figures
                        .users
                        .iter()
                        .filter(|(v, group, _)| within(v) && group == g)
                        .map(|(_, _, n)| n)
                        .sum()
                })
                .collect();
            let results = analyze_experiment(rules, experiment, &groups, users.clone(), |metric| {
                let i = metrics.iter().position(|m| m.name == metric.name);
                let rows = match i.map(|i| &figures.metrics[i]) {
                    Some(Ok(rows)) => rows,
                    Some(Err(e)) => return Err(format!("the database could not compute it ({e})")),
                    None => {
                        return Ok(Counted::uncapped(
                            groups.iter().map(|_| empty(metric)).collect(),
                        ))
                    }
                };
                let bound = i.map_or(aggregate::Bounds::NONE, |i| bounds[i]);
                Ok(Counted {
                    arms: groups
                        .iter()
                        .zip(&users)
                        .map(|(g, &n)| {
                            let mut row = aggregate::GroupRow::empty(g.clone(), 0);
                            row.users = n;
                            for (_, _, sums) in
                                rows.iter().filter(|(v, group, _)| within(v) && group == g)
                            {
                                row.sums = row.sums.plus(sums);
                            }
                            row.arm(metric)
                        })
                        .collect(),
                    bound: aggregate::Bounds::reported(bound.value),
                    denominator_bound: aggregate::Bounds::reported(bound.denominator),
                })
            })
            .ok_or_else(|| StoreError::Setup(format!("experiment {experiment:?} has no plan")))?;
            slices.push(Slice {
                value: label,
                values,
                results,
            });
        }
        Ok(Some(Breakdown {
            experiment: experiment.to_owned(),
            dimension: dimension.to_owned(),
            slices,
        }))
    }

    /// Every stored record, in time order (on the collector's clock), to `each`.
    pub async fn records(
        &self,
        each: &mut dyn FnMut(StoredRecord) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => s.for_each_record(each),
            Store::Postgres(p) => p.for_each_record(each).await,
        }
    }
}

/// A group's statistics when it has no users.
fn empty(metric: &cohort::rules::Metric) -> ArmStats {
    cohort_stats::MetricSums::default().arm(metric)
}

/// The group of a user's first exposure to an experiment (`$1`, `$2`: experiment, user).
const FIRST_GROUP: &str = "SELECT grp FROM first_exposures WHERE experiment = $1 AND user_id = $2";

/// A record's columns.
pub(crate) struct Row<'a> {
    pub id: &'a str,
    pub kind: &'static str,
    pub user_id: &'a str,
    pub experiment: Option<&'a str>,
    pub group: Option<&'a str>,
    pub name: Option<&'a str>,
    pub value: Option<f64>,
    pub time: i64,
    pub client_time: i64,
    pub excluded: Option<&'static str>,
    pub note: Option<&'a str>,
    /// The record's JSON text.
    pub record: &'a str,
    /// An exposure's dimensions (none for an event).
    pub dimensions: &'a cohort_protocol::Dimensions,
}

impl<'a> Row<'a> {
    /// Puts this row, a new record not excluded, among a batch's new exposures or events
    /// (what [`incremental`] keeps the results from).
    pub(crate) fn sort_into(
        &self,
        exposures: &mut Vec<incremental::NewExposure<'a>>,
        events: &mut Vec<incremental::Event<'a>>,
    ) {
        match (self.experiment, self.group, self.name) {
            (Some(experiment), Some(group), _) => exposures.push(incremental::NewExposure {
                experiment,
                user: self.user_id,
                group,
                time: self.time,
                dimensions: self.dimensions,
            }),
            (_, _, Some(name)) => events.push(incremental::Event {
                user: self.user_id,
                name,
                time: self.time,
                value: self.value,
            }),
            _ => {}
        }
    }

    /// The row of `accepted`, whose JSON text is `text`.
    pub(crate) fn of(accepted: &'a Accepted, text: &'a str) -> Row<'a> {
        static NONE: cohort_protocol::Dimensions = cohort_protocol::Dimensions::new();
        let record = &accepted.record;
        let (experiment, group, name, value, dimensions) = match record {
            Record::Exposure {
                experiment,
                group,
                dimensions,
                ..
            } => (
                Some(experiment.as_str()),
                Some(group.as_str()),
                None,
                None,
                dimensions,
            ),
            // An event names its experiment only when it is kept out for it.
            Record::Event { name, value, .. } => (
                accepted.exclusion.as_ref().map(|e| e.experiment.as_str()),
                None,
                Some(name.as_str()),
                *value,
                &NONE,
            ),
        };
        Row {
            id: record.id(),
            kind: record.kind(),
            user_id: record.user_id(),
            experiment,
            group,
            name,
            value,
            time: accepted.time,
            client_time: record.time(),
            excluded: accepted.exclusion.as_ref().map(|e| e.reason.code()),
            note: accepted.exclusion.as_ref().map(|e| e.detail.as_str()),
            record: text,
            dimensions,
        }
    }
}

/// What a batch's claim of `dropped` records adds to the count of records pages dropped, once
/// `stored` of its records were new: nothing for a batch that stored nothing new (a retry of a
/// batch already counted, or one whose records were all refused or already stored), and at
/// most [`MAX_DROPPED`]. A page reports what it dropped since its last acknowledged batch, so a
/// retried batch repeats the same claim; counting it with the records it came with counts it
/// once.
pub(crate) fn dropped_to_count(dropped: u64, stored: u64) -> Option<i64> {
    (stored > 0 && dropped > 0).then(|| dropped.min(MAX_DROPPED) as i64)
}
