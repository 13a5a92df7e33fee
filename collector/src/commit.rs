//! Group commit: batches that arrive while a transaction is under way wait for the next one
//! and are stored together, in one transaction with one commit (and one sync to disk), each
//! answered with what it stored once that commit is on disk. Under load, many batches share the cost of a
//! commit and of each statement; alone, a batch is committed at once, as before. Nothing is
//! acknowledged before it is durable: a group is answered once its commit is on disk
//! ([`crate::store::Durable`]), and the writer takes the next group meanwhile (on SQLite the
//! log is synced by a thread of its own).
//!
//! One writer per collector: on SQLite there is one writer at a time anyway, and on
//! PostgreSQL one transaction at a time per collector stored more than two or four (the
//! groups are larger; measured with two collectors on two cores, docs/benchmarks.md): more
//! throughput comes from more collectors.
//!
//! A group that fails for a reason of its own (not the database being away, busy or full) is
//! stored again batch by batch, so that one bad batch costs only itself.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::store::{Batch, Inserted, Store, StoreError};

/// Batches waiting at most (then a batch waits for room: back-pressure on the clients).
const QUEUE: usize = 1024;
/// A group holds at most this many records (and at most the batches the collector's
/// `commit_group` limit allows).
const MAX_RECORDS: usize = 10_000;

/// A batch waiting for its commit, and where its answer goes.
struct Pending {
    batch: Batch,
    answer: oneshot::Sender<Result<Inserted, StoreError>>,
}

/// Stores batches through a writer task that commits what has gathered since its last
/// commit.
pub struct Committer {
    queue: mpsc::Sender<Pending>,
}

impl Committer {
    /// Starts the writer over `store` (on the current Tokio runtime), committing up to
    /// `max_batches` batches at a time (1: each alone); it ends when the committer is dropped.
    pub fn start(store: Arc<Store>, max_batches: usize) -> Committer {
        let (queue, waiting) = mpsc::channel(QUEUE);
        tokio::spawn(write(store, waiting, max_batches.max(1)));
        Committer { queue }
    }

    /// Stores `batch` with whatever else is waiting; returns once it is committed.
    pub async fn insert(&self, batch: Batch) -> Result<Inserted, StoreError> {
        let (answer, answered) = oneshot::channel();
        self.queue
            .send(Pending { batch, answer })
            .await
            .map_err(|_| StoreError::Internal("the collector's writers stopped".into()))?;
        answered.await.map_err(|_| {
            StoreError::Internal("the batch's writer stopped before it answered".into())
        })?
    }
}

/// The writer: takes what is waiting (at least one batch, at most a group's worth) and
/// commits it, until the queue closes.
async fn write(store: Arc<Store>, mut waiting: mpsc::Receiver<Pending>, max_batches: usize) {
    while let Some(first) = waiting.recv().await {
        let mut records = first.batch.records().len();
        let mut group = vec![first];
        while group.len() < max_batches && records < MAX_RECORDS {
            match waiting.try_recv() {
                Ok(next) => {
                    records += next.batch.records().len();
                    group.push(next);
                }
                Err(_) => break,
            }
        }
        commit(&store, group).await;
    }
}

/// Commits `group` in one transaction and answers each batch; a group that fails for a
/// reason of its own is stored again batch by batch.
async fn commit(store: &Store, group: Vec<Pending>) {
    let (batches, answers): (Vec<Batch>, Vec<_>) =
        group.into_iter().map(|p| (p.batch, p.answer)).unzip();
    let alone = batches.len() == 1;
    let batches: Arc<[Batch]> = Arc::from(batches);
    match store.write_batches(batches.clone()).await {
        // Answered once on disk; meanwhile the writer goes on with the next group.
        Ok((inserted, durable)) => {
            tokio::spawn(async move {
                let durable = durable.wait().await;
                for (answer, inserted) in answers.into_iter().zip(inserted) {
                    // A client that went away meanwhile finds its batch stored when it retries.
                    let _ = answer.send(durable.clone().map(|()| inserted));
                }
            });
        }
        Err(e) if !alone && !e.is_transient() => {
            for (batch, answer) in batches.iter().zip(answers) {
                let one: Arc<[Batch]> = Arc::from(vec![batch.clone()]);
                let inserted = store
                    .insert_batches(one)
                    .await
                    .map(|mut inserted| inserted.remove(0));
                let _ = answer.send(inserted);
            }
        }
        Err(e) => {
            for answer in answers {
                let _ = answer.send(Err(e.clone()));
            }
        }
    }
}
