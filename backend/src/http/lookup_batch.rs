//! Kiosks' status lookups on PostgreSQL, sent to the database together when they arrive
//! together (see `store::status_batch` for why).
//!
//! Two threads take turns: one waits for the first lookup, takes every lookup queued behind
//! it (up to [`MAX_BATCH`]) and runs them as one statement while the other collects the
//! next. Nothing waits for a batch to fill: a lookup arriving on a quiet service runs at
//! once, alone; under load the queue that forms anyway becomes the batch.

use std::sync::{Arc, Mutex, mpsc};

use protocol::Nik;
use tokio::sync::oneshot;

use crate::store::{BatchedLookup, Claim, MAX_BATCH, StatusRecord, Store, StoreError};

/// Statements in flight at once: one running while the next batch gathers.
const RUNNERS: usize = 2;

type Answer = Result<(Claim, Option<StatusRecord>), StoreError>;

struct Job {
    lookup: BatchedLookup,
    reply: oneshot::Sender<Answer>,
}

/// The queue of lookups waiting for the database; dropping the last handle stops its
/// threads once they finish their batch.
pub struct LookupBatcher {
    jobs: mpsc::Sender<Job>,
}

impl LookupBatcher {
    /// Starts the runner threads over `store` (PostgreSQL).
    pub fn start(store: Store) -> std::io::Result<Arc<LookupBatcher>> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..RUNNERS {
            let (queue, store) = (queue.clone(), store.clone());
            std::thread::Builder::new()
                .name("status-batch".into())
                .spawn(move || run(&queue, &store))?;
        }
        Ok(Arc::new(LookupBatcher { jobs }))
    }

    /// Looks `nik` up for `kiosk`, claiming `nonce`, in the next batch.
    pub async fn lookup(&self, nik: Nik, kiosk: &str, nonce: &str, seen_at: i64) -> Answer {
        let (reply, answer) = oneshot::channel();
        let lookup =
            BatchedLookup { nik, kiosk: kiosk.to_owned(), nonce: nonce.to_owned(), seen_at };
        self.jobs.send(Job { lookup, reply }).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StoreError {
    StoreError::Corrupt("status lookup batcher stopped".into())
}

/// A runner: gather, run, answer, until every sender is gone.
fn run(queue: &Mutex<mpsc::Receiver<Job>>, store: &Store) {
    loop {
        let batch = {
            let queue = queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let Ok(first) = queue.recv() else { return };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match queue.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            batch
        };
        let lookups: Vec<BatchedLookup> = batch.iter().map(|job| job.lookup.clone()).collect();
        match store.statuses_claiming(&lookups) {
            Ok(answers) => {
                for (job, answer) in batch.into_iter().zip(answers) {
                    let _ = job.reply.send(Ok(answer));
                }
            }
            // Each lookup on its own then, so that each gets its own error (or answer).
            Err(error) => {
                tracing::warn!(%error, lookups = batch.len(), "batched status lookups failed");
                for job in batch {
                    let lookup = &job.lookup;
                    let claim = crate::store::NonceClaim {
                        kiosk: &lookup.kiosk,
                        nonce: &lookup.nonce,
                        seen_at: lookup.seen_at,
                    };
                    let _ = job.reply.send(store.status_claiming(&lookup.nik, claim));
                }
            }
        }
    }
}
