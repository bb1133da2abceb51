//! The durable write path's commit.
//!
//! A write is acknowledged only after its transaction is committed and synced (SQLite runs
//! with `synchronous=FULL`). On SQLite, whose one writer connection serialises every write,
//! concurrent writes are gathered into one transaction and one sync (group commit):
//! - each write runs in a savepoint of the batch's transaction, so one refused write (a
//!   validation error, a conflict) is rolled back alone and never fails its neighbours; a write
//!   alone in its batch needs no savepoint (two round trips to SQLite's thread fewer): when it is
//!   refused, the whole transaction is rolled back instead, which holds nothing else;
//! - an error that ends the whole transaction (disk full, I/O error, out of memory) fails the
//!   writes already run in the batch, which were never committed, and the rest are not run;
//! - every write of a batch hears of the outcome only after the commit: its own result if the
//!   commit succeeded, an error if it failed, so no 2xx is ever given for a lost write.
//!
//! PostgreSQL takes concurrent transactions itself: there, a write is one transaction.
//!
//! The writer connection is checked each time it goes back to its pool: one left inside a
//! transaction (a failed COMMIT whose ROLLBACK failed too) is closed and replaced, so a later
//! write can never land in a transaction nobody commits.
use crate::error::{Result, StoreError};
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};
use std::future::Future;
use std::pin::Pin;
use tokio::sync::{mpsc, oneshot};

/// The work of one write inside its transaction.
pub type TxFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// How many writes one commit takes at most; more wait for the next.
const MAX_BATCH: usize = 256;
/// Writes waiting for the writer before senders wait for room.
const QUEUE: usize = 4096;

/// A queued write, its type erased so writes of any result type share a batch.
trait Work: Send {
    /// Runs the write in a savepoint of `tx` (or straight in `tx` when `alone`); returns how to
    /// tell the caller once the batch's commit is known, and whether the write's error ended the
    /// whole transaction.
    fn run<'a>(self: Box<Self>, tx: &'a DatabaseTransaction, alone: bool) -> Pin<Box<dyn Future<Output = Ran> + Send + 'a>>;
    /// Tells the caller the write was not run.
    fn fail(self: Box<Self>, err: StoreError);
}

struct Ran {
    finish: Box<dyn FnOnce(std::result::Result<(), String>) + Send>,
    fatal: bool,
    /// The write was refused: without a savepoint, its transaction must not be committed.
    failed: bool,
}

struct Item<T, F> {
    f: F,
    reply: oneshot::Sender<Result<T>>,
}

impl<T, F> Work for Item<T, F>
where
    T: Send + 'static,
    F: for<'a> FnOnce(&'a DatabaseTransaction) -> TxFuture<'a, T> + Send + 'static,
{
    fn run<'a>(self: Box<Self>, tx: &'a DatabaseTransaction, alone: bool) -> Pin<Box<dyn Future<Output = Ran> + Send + 'a>> {
        let Item { f, reply } = *self;
        Box::pin(async move {
            let outcome = if alone { f(tx).await } else { in_savepoint(tx, f).await };
            let failed = outcome.is_err();
            let fatal = outcome.as_ref().err().is_some_and(StoreError::ends_transaction);
            let finish = Box::new(move |commit: std::result::Result<(), String>| {
                let answer = match commit {
                    Ok(()) => outcome,
                    Err(why) => Err(outcome.err().filter(|e| !e.is_internal()).unwrap_or(StoreError::Unavailable(why))),
                };
                let _ = reply.send(answer);
            });
            Ran { finish, fatal, failed }
        })
    }

    fn fail(self: Box<Self>, err: StoreError) {
        let _ = self.reply.send(Err(err));
    }
}

async fn in_savepoint<T, F>(tx: &DatabaseTransaction, f: F) -> Result<T>
where
    F: for<'a> FnOnce(&'a DatabaseTransaction) -> TxFuture<'a, T>,
{
    let sp = tx.begin().await?;
    match f(&sp).await {
        Ok(v) => {
            sp.commit().await?;
            Ok(v)
        }
        Err(e) => {
            // A failed rollback leaves the savepoint to the batch's own rollback, which follows
            // whenever the transaction is gone.
            let _ = sp.rollback().await;
            Err(e)
        }
    }
}

/// The queue in front of SQLite's writer connection.
#[derive(Clone)]
pub(crate) struct GroupCommit {
    queue: mpsc::Sender<Box<dyn Work>>,
}

impl GroupCommit {
    /// Starts the task that commits queued writes on `write`; it ends when the last sender goes.
    pub(crate) fn start(write: DatabaseConnection) -> GroupCommit {
        let (queue, rx) = mpsc::channel(QUEUE);
        tokio::spawn(commit_loop(write, rx));
        GroupCommit { queue }
    }

    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(&'a DatabaseTransaction) -> TxFuture<'a, T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.queue.send(Box::new(Item { f, reply })).await.map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?;
        answer.await.map_err(|_| StoreError::Unavailable("the writer dropped the write".into()))?
    }
}

async fn commit_loop(write: DatabaseConnection, mut rx: mpsc::Receiver<Box<dyn Work>>) {
    let mut batch: Vec<Box<dyn Work>> = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        commit_batch(&write, std::mem::take(&mut batch)).await;
    }
}

async fn commit_batch(write: &DatabaseConnection, batch: Vec<Box<dyn Work>>) {
    let tx = match write.begin().await {
        Ok(tx) => tx,
        Err(e) => {
            let why = e.to_string();
            tracing::error!(error = %why, "the writer cannot begin a transaction");
            for w in batch {
                w.fail(StoreError::Unavailable(why.clone()));
            }
            return;
        }
    };
    let mut done = Vec::with_capacity(batch.len());
    let mut ended: Option<String> = None;
    let alone = batch.len() == 1;
    for w in batch {
        if let Some(why) = &ended {
            w.fail(StoreError::Unavailable(why.clone()));
            continue;
        }
        let ran = w.run(&tx, alone).await;
        if ran.fatal {
            ended = Some("the database refused the write (disk full or I/O error)".into());
        } else if alone && ran.failed {
            // A refused write that ran without a savepoint: its transaction holds only what it
            // wrote before the refusal, so it is rolled back and the write hears its own error.
            drop(tx);
            (ran.finish)(Ok(()));
            return;
        }
        done.push(ran.finish);
    }
    let commit = match ended {
        // Dropping the transaction rolls it back (or finds SQLite already did); the connection's
        // check on release replaces it if it is left inside a transaction.
        Some(why) => {
            drop(tx);
            Err(why)
        }
        None => tx.commit().await.map_err(|e| {
            tracing::error!(error = %e, "commit failed; the batch's writes were not stored");
            e.to_string()
        }),
    };
    for finish in done {
        finish(commit.clone());
    }
}

/// Whether a writer connection going back to the pool may be used again: it must be outside
/// any transaction, both in sqlx's count and in SQLite itself.
pub(crate) async fn writer_is_clean(conn: &mut sqlx::SqliteConnection) -> bool {
    use sqlx::Connection;
    // The handle is reached through the connection's command queue, so a rollback queued by a
    // dropped transaction has run by the time it is ours.
    let autocommit = match conn.lock_handle().await {
        // SAFETY: the handle is live and exclusively ours while the lock is held.
        Ok(mut handle) => unsafe { libsqlite3_sys::sqlite3_get_autocommit(handle.as_raw_handle().as_ptr()) != 0 },
        Err(_) => false,
    };
    let clean = autocommit && !conn.is_in_transaction();
    if !clean {
        tracing::warn!("the writer connection was left inside a transaction; it is closed and replaced");
    }
    clean
}
