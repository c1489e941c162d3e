//! Group commit: concurrent writes of the hot path (a request's nonce, a grant create) queue up
//! while the previous transaction commits, and the next transaction carries all of them, so one
//! commit (one `fsync` of the log) acknowledges many requests. Nothing waits on purpose: a write
//! that finds the writer idle starts a transaction of its own at once; under load the batches
//! grow by themselves (measured: see `server/README.md`, "Benchmark").
//!
//! Every write is answered only after its transaction committed, and each gets its own answer
//! (a sibling conflict fails that create, not the batch). One writer per instance, on both
//! engines: several writers side by side on PostgreSQL were measured slower and costlier (smaller
//! batches, and they queue on the app's count row anyway; `server/README.md`, "Benchmark").

use super::{AuditRec, GrantRec, StoreError, StoreResult};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// The most writes one transaction carries.
pub const MAX_BATCH: usize = 256;

/// How many times a batch that the database aborted for a transient reason (a deadlock, a
/// serialization failure) is run again before its writes fail.
const RETRIES: usize = 5;

/// One queued write.
#[derive(Debug)]
pub enum WriteOp {
    /// Remember a nonce digest until `expires_at` (Unix seconds). Answer: `true` when fresh,
    /// `false` for a replay.
    Nonce { digest: [u8; 16], expires_at: i64 },
    /// Insert a grant and its audit record, and remember the request's nonce (digest, expiry).
    /// Answer: `true`, `Conflict("sibling_label")`, or `Replay` (nothing written but the nonce
    /// was known).
    Create {
        grant: Box<GrantRec>,
        audit: Box<AuditRec>,
        nonce: Option<([u8; 16], i64)>,
        /// Hold the transaction open this long after the insert (a transaction-stage fault).
        pause: Option<Duration>,
    },
}

/// Runs a batch of writes in one transaction.
#[async_trait]
pub trait BatchWriter: Send + Sync + 'static {
    /// One answer per op, in order; `Err` when the transaction as a whole failed (nothing of it
    /// was committed).
    async fn write_batch(&self, ops: &[WriteOp]) -> StoreResult<Vec<StoreResult<bool>>>;
}

type Queued = (WriteOp, oneshot::Sender<StoreResult<bool>>);

/// The queue in front of one writer; the writer task ends when this is dropped.
#[derive(Debug, Clone)]
pub struct GroupCommit {
    tx: mpsc::UnboundedSender<Queued>,
}

impl GroupCommit {
    /// Starts the writer task on the current runtime.
    pub fn start(writer: Arc<dyn BatchWriter>) -> GroupCommit {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(writer, rx));
        GroupCommit { tx }
    }

    /// Queues `op` and waits until its transaction committed (or failed).
    pub async fn submit(&self, op: WriteOp) -> StoreResult<bool> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((op, reply))
            .map_err(|_| StoreError::Db("the store is closed".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Db("the writer stopped".into()))?
    }
}

async fn run(writer: Arc<dyn BatchWriter>, mut rx: mpsc::UnboundedReceiver<Queued>) {
    let mut ops = Vec::with_capacity(MAX_BATCH);
    let mut replies = Vec::with_capacity(MAX_BATCH);
    while let Some((op, reply)) = rx.recv().await {
        ops.push(op);
        replies.push(reply);
        while ops.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok((op, reply)) => {
                    ops.push(op);
                    replies.push(reply);
                }
                Err(_) => break,
            }
        }
        let mut attempt = 0;
        let answers = loop {
            match writer.write_batch(&ops).await {
                Err(StoreError::Retry(why)) if attempt < RETRIES => {
                    attempt += 1;
                    tracing::debug!(%why, attempt, "batch aborted by the database; running it again");
                }
                other => break other,
            }
        };
        match answers {
            Ok(answers) => {
                for (reply, answer) in replies.drain(..).zip(answers) {
                    let _ = reply.send(answer);
                }
            }
            Err(e) => {
                let e = match e {
                    StoreError::Retry(why) => StoreError::Db(why),
                    other => other,
                };
                for reply in replies.drain(..) {
                    let _ = reply.send(Err(StoreError::Db(e.to_string())));
                }
            }
        }
        ops.clear();
    }
}
