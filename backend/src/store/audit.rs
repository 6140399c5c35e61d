//! The audit log: who looked at or changed what, and when. Append-only (the schema refuses
//! updates and deletes). Entries are written by one background thread in batches, so a
//! status lookup never waits for a write transaction, and at most a tenth of a
//! second passes between an entry and its commit.

use std::sync::mpsc::{self, Receiver, Sender, SyncSender, TryRecvError};
use std::time::{Duration, Instant};

use super::StoreError;
use super::conn::{Conn, Exclusivity};
use super::pool::Pool;
use super::sql::{Db, Param, params};

/// One audited event. `subject` holds masked identifiers only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: String,
    /// `kiosk:<id>`, `staff:<user>`, `cli:<user>`, `bench`, or `anonymous`.
    pub actor: String,
    /// e.g. `status_lookup`.
    pub action: String,
    pub subject: String,
    /// e.g. `found`, `not_found`, `invalid`.
    pub outcome: String,
}

enum Message {
    Entry(AuditEntry),
    Flush(SyncSender<()>),
}

#[derive(Clone)]
pub(super) struct AuditWriter {
    sender: Sender<Message>,
    /// The writer's thread, woken by a flush; entries do not wake it (see [`run`]).
    thread: std::thread::Thread,
}

/// Most entries written in one transaction.
const BATCH: usize = 2048;

impl AuditWriter {
    pub(super) fn start(pool: &Pool) -> Result<AuditWriter, StoreError> {
        let (sender, receiver) = mpsc::channel();
        // The writer owns a connection of its own for its whole life.
        let conn = pool.open_dedicated()?;
        let handle = std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || run(conn, receiver))
            .map_err(|error| StoreError::Corrupt(format!("cannot start audit writer: {error}")))?;
        Ok(AuditWriter { sender, thread: handle.thread().clone() })
    }

    pub(super) fn record(&self, entry: AuditEntry) {
        if self.sender.send(Message::Entry(entry)).is_err() {
            tracing::error!("audit writer is gone; entry lost");
        }
    }

    pub(super) fn flush(&self) {
        let (done, wait) = mpsc::sync_channel(1);
        if self.sender.send(Message::Flush(done)).is_ok() {
            self.thread.unpark();
            let _ = wait.recv_timeout(Duration::from_secs(30));
        }
    }
}

/// Longest an entry waits for the rest of its batch (a flush writes at once). Each commit
/// makes every other SQLite connection drop its page cache at its next read, so under load
/// the writer commits a few times a second rather than as often as entries arrive.
const MAX_DELAY: Duration = Duration::from_millis(100);

fn run(mut conn: Conn, receiver: Receiver<Message>) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut waiting = Vec::new();
    let mut open = true;
    while open {
        // Idle, the first entry wakes the writer; then it sleeps until the batch is due and
        // takes what has arrived, so a busy service costs one wake-up per batch, not one
        // per entry.
        match receiver.recv() {
            Ok(Message::Entry(entry)) => batch.push(entry),
            Ok(Message::Flush(done)) => waiting.push(done),
            Err(_) => break,
        }
        let deadline = Instant::now() + MAX_DELAY;
        loop {
            while batch.len() < BATCH && waiting.is_empty() {
                match receiver.try_recv() {
                    Ok(Message::Entry(entry)) => batch.push(entry),
                    Ok(Message::Flush(done)) => waiting.push(done),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        open = false;
                        break;
                    }
                }
            }
            let now = Instant::now();
            if !open || batch.len() >= BATCH || !waiting.is_empty() || now >= deadline {
                break;
            }
            std::thread::park_timeout(deadline - now);
        }
        // A write can find the database busy beyond the busy timeout: a population import
        // holds the write lock for its whole transaction (a minute for a kabupaten on
        // SQLite). Busy is waited out however long it lasts, since an audit entry must not
        // be lost to a lock; any other failure is tried a few times, then reported.
        let mut attempt = 0;
        while let Err(error) = write(&mut conn, &batch) {
            if is_busy(&error) {
                tracing::warn!(queued = batch.len(), "audit writer waits for the database lock");
                std::thread::sleep(Duration::from_millis(200));
                continue;
            }
            attempt += 1;
            if attempt == 5 {
                tracing::error!(%error, lost = batch.len(), "audit entries not written");
                break;
            }
            std::thread::sleep(Duration::from_millis(50 * attempt));
        }
        batch.clear();
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}

/// SQLite's "database is locked" or "busy": another writer holds the lock.
fn is_busy(error: &StoreError) -> bool {
    matches!(
        error,
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(failure, _))
            if matches!(failure.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// Rows per INSERT statement: one statement per row would cost more than the lookups
/// being audited.
const ROWS_PER_STATEMENT: usize = 64;

fn insert_sql(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|row| {
            let first = row * 5 + 1;
            format!("(?{}, ?{}, ?{}, ?{}, ?{})", first, first + 1, first + 2, first + 3, first + 4)
        })
        .collect();
    format!("INSERT INTO audit (at, actor, action, subject, outcome) VALUES {}", values.join(", "))
}

fn write(conn: &mut Conn, batch: &[AuditEntry]) -> Result<(), StoreError> {
    if batch.is_empty() {
        return Ok(());
    }
    conn.transaction(Exclusivity::Shared, |db| {
        for chunk in batch.chunks(ROWS_PER_STATEMENT) {
            let params: Vec<Param<'_>> = chunk
                .iter()
                .flat_map(|e| {
                    [&e.at, &e.actor, &e.action, &e.subject, &e.outcome].map(|s| Param::Text(s))
                })
                .collect();
            db.execute(&insert_sql(chunk.len()), &params)?;
        }
        super::usage::count(db, batch)
    })
}

pub(super) fn recent(db: &mut impl Db, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
    db.query(
        "SELECT at, actor, action, subject, outcome FROM audit ORDER BY id DESC LIMIT ?1",
        params![limit as i64],
    )?
    .into_iter()
    .map(|mut row| {
        Ok(AuditEntry {
            at: row.get(0)?,
            actor: row.get(1)?,
            action: row.get(2)?,
            subject: row.get(3)?,
            outcome: row.get(4)?,
        })
    })
    .collect()
}
