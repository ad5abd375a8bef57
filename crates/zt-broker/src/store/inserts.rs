//! Group commit of new requests. `POST /v1/requests` is the busiest write, and written one
//! by one its cost is mostly not the database's work but what surrounds each write: on
//! SQLite the hand-offs (every statement a round trip to the connection's worker thread,
//! each resumed on the server's busy runtime, while every other writer waits); on PostgreSQL
//! the replicas' write lock and a commit (a WAL flush) per request. So new requests are
//! queued — on SQLite to a thread of their own, on PostgreSQL to a task — which writes all
//! those waiting (up to [`MAX_GROUP`]) in one transaction and answers each once it has
//! committed: one `BEGIN`, one INSERT of all the requests, one of all their audit rows, one
//! `COMMIT`.
//!
//! Each request keeps what it had alone: its row and its audit row, linked into the chain in
//! order; a reused idempotency key refused by itself (`ON CONFLICT DO NOTHING` skips its row,
//! and it gets no audit row); no answer before the group has committed. Should
//! anything else fail, the group is rolled back and each request is written
//! again alone, so only the one at fault sees the error.

use tokio::sync::{mpsc, oneshot};

use super::error::{Result, StoreError};
use super::rows::{AuditEntry, Record};
use super::sql::insert_all_in;
use super::tx::Writer;

/// The most requests committed together: bounds how long other writers wait for the turn.
const MAX_GROUP: usize = 128;

pub(super) struct Job {
    rec: Record,
    audit: AuditEntry,
    done: oneshot::Sender<Result<Record>>,
}

impl Job {
    fn answer(self, outcome: Result<()>) {
        // The caller may have stopped waiting; what is committed stays committed.
        let _ = self.done.send(outcome.map(|()| self.rec));
    }
}

/// The queue to the inserting thread or task, which ends when this is dropped (with the last
/// clone of the store).
pub(super) struct Inserts {
    jobs: mpsc::UnboundedSender<Job>,
}

/// What the inserting thread or task takes its jobs from.
pub(super) type Queue = mpsc::UnboundedReceiver<Job>;

impl Inserts {
    /// The queue, and its end for the thread (SQLite, see [`super::sqlite`]) or the task
    /// (PostgreSQL, see [`super::postgres`]) that runs [`run`] on it.
    pub(super) fn channel() -> (Self, Queue) {
        let (jobs, queue) = mpsc::unbounded_channel();
        (Self { jobs }, queue)
    }

    /// Store `rec` with its audit row; see [`super::facade::Store::insert_request`].
    pub(super) async fn insert(&self, rec: Record, audit: AuditEntry) -> Result<Record> {
        let (done, answer) = oneshot::channel();
        let gone = || StoreError::Db(sqlx::Error::PoolClosed);
        self.jobs
            .send(Job { rec, audit, done })
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

/// Write the queued requests in groups until the queue's [`Inserts`] is dropped.
pub(super) async fn run(writer: Writer, mut queue: Queue) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while queue.recv_many(&mut group, MAX_GROUP).await > 0 {
        // A task of its own: should writing a group panic (a bug), its requests are answered
        // with an error when their jobs drop, its transaction is rolled back, and the groups
        // after it are written as before.
        let _ = tokio::spawn(write(writer.clone(), std::mem::take(&mut group))).await;
    }
}

/// Write one group and answer each of its jobs.
async fn write(writer: Writer, mut group: Vec<Job>) {
    match together(&writer, &group).await {
        Ok(outcomes) => {
            for (job, outcome) in group.drain(..).zip(outcomes) {
                job.answer(outcome);
            }
        }
        Err(e) if group.len() == 1 => {
            if let Some(job) = group.pop() {
                job.answer(Err(e));
            }
        }
        Err(_) => {
            for job in group.drain(..) {
                let outcome = together(&writer, std::slice::from_ref(&job)).await;
                job.answer(outcome.and_then(|mut o| o.pop().unwrap_or(Ok(()))));
            }
        }
    }
}

/// Insert the group in one transaction. `Ok`: committed, with each job's outcome (a reused
/// key is refused and writes nothing); `Err`: nothing written.
async fn together(writer: &Writer, group: &[Job]) -> Result<Vec<Result<()>>> {
    let mut tx = writer.begin().await?;
    let new: Vec<_> = group.iter().map(|j| (&j.rec, &j.audit)).collect();
    let stored = insert_all_in(&mut tx, &new).await?;
    tx.commit().await?;
    Ok(stored
        .into_iter()
        .map(|s| {
            if s {
                Ok(())
            } else {
                Err(StoreError::Duplicate)
            }
        })
        .collect())
}
