//! The audit log: who looked at or changed what, and when. Append-only (the schema refuses
//! updates and deletes). Entries are written by one background thread in batches, so a
//! status lookup never waits for a write transaction, and at most a tenth of a
//! second passes between an entry and its commit. A serving instance spools each read's
//! entry to disk before answering (see [`spool`]), so no answered read goes unaudited.

pub(crate) mod spool;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender, TryRecvError};
use std::time::{Duration, Instant};

use super::StoreError;
use super::conn::{Conn, Exclusivity};
use super::pool::Pool;
use super::sql::{Db, Param, params};
use spool::{Record, Spool};

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
    /// An entry or nonce already in the spool.
    Spooled(Record),
    /// Write everything now; with `close`, also close the spool's segment so that it is
    /// removed once committed (a clean stop leaves nothing to replay).
    Flush {
        done: SyncSender<()>,
        close: bool,
    },
}

#[derive(Clone)]
pub(super) struct AuditWriter {
    sender: Sender<Message>,
    /// The writer's thread, woken by a flush; entries do not wake it (see [`run`]).
    thread: std::thread::Thread,
    /// Where reads are audited before they are answered; `None` outside `serve` (commands,
    /// tests), where entries are only queued.
    spool: Option<Arc<Spool>>,
}

/// Most entries written in one transaction.
const BATCH: usize = 2048;

impl AuditWriter {
    /// Starts the writer. With a spool directory, what a previous run left in its spool is
    /// written first, in one transaction, before anything new is accepted.
    pub(super) fn start(
        pool: &Pool,
        spool_dir: Option<&std::path::Path>,
    ) -> Result<AuditWriter, StoreError> {
        let (sender, receiver) = mpsc::channel();
        // The writer owns a connection of its own for its whole life.
        let mut conn = pool.open_dedicated()?;
        let spool = match spool_dir {
            Some(dir) => {
                let (spool, leftover) = Spool::open(dir)?;
                if leftover.unreadable > 0 {
                    tracing::warn!(
                        lines = leftover.unreadable,
                        "audit spool: lines cut short by a crash skipped"
                    );
                }
                if !leftover.records.is_empty() {
                    write(&mut conn, &[], &leftover.records, true)?;
                    tracing::info!(
                        records = leftover.records.len(),
                        "audit spool of the previous run replayed"
                    );
                }
                remove_segments(&leftover.segments);
                Some(Arc::new(spool))
            }
            None => None,
        };
        let writer_spool = spool.clone();
        let handle = std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || run(conn, receiver, writer_spool))
            .map_err(|error| StoreError::Corrupt(format!("cannot start audit writer: {error}")))?;
        Ok(AuditWriter { sender, thread: handle.thread().clone(), spool })
    }

    pub(super) fn record(&self, entry: AuditEntry) {
        if self.sender.send(Message::Entry(entry)).is_err() {
            tracing::error!("audit writer is gone; entry lost");
        }
    }

    /// Records an entry that must be on disk before the caller answers: spooled when the
    /// store has a spool, refused (`AuditUnavailable`) when the disk does not take it.
    pub(super) fn record_durable(&self, entry: AuditEntry) -> Result<(), StoreError> {
        let Some(spool) = &self.spool else {
            self.record(entry);
            return Ok(());
        };
        spool.append(
            |reference| Record::audit(reference, &entry),
            |record| self.send(Message::Spooled(record)),
        )
    }

    /// Spools a kiosk request's nonce (SQLite's durable replay protection). Without a
    /// spool it is not kept beyond the process.
    pub(super) fn spool_nonce(
        &self,
        kiosk: &str,
        nonce: &str,
        seen_at: i64,
        counted: bool,
    ) -> Result<(), StoreError> {
        let Some(spool) = &self.spool else { return Ok(()) };
        spool.append(
            |_| Record::Nonce {
                kiosk: kiosk.to_owned(),
                nonce: nonce.to_owned(),
                seen_at,
                counted,
            },
            |record| self.send(Message::Spooled(record)),
        )
    }

    fn send(&self, message: Message) {
        if self.sender.send(message).is_err() {
            // The record is in the spool: the next start writes it.
            tracing::error!("audit writer is gone; the spool keeps the entry for the next start");
        }
    }

    pub(super) fn flush(&self, close: bool) {
        let (done, wait) = mpsc::sync_channel(1);
        if self.sender.send(Message::Flush { done, close }).is_ok() {
            self.thread.unpark();
            let _ = wait.recv_timeout(Duration::from_secs(30));
        }
    }
}

/// Longest an entry waits for the rest of its batch (a flush writes at once). Each commit
/// makes every other SQLite connection drop its page cache at its next read, so under load
/// the writer commits a few times a second rather than as often as entries arrive.
const MAX_DELAY: Duration = Duration::from_millis(100);

/// What one transaction of the writer takes.
#[derive(Default)]
struct Batch {
    entries: Vec<AuditEntry>,
    spooled: Vec<Record>,
    closed: Vec<PathBuf>,
    waiting: Vec<SyncSender<()>>,
    /// A flush asked for the current segment to be closed.
    close: bool,
}

impl Batch {
    fn take(&mut self, message: Message) {
        match message {
            Message::Entry(entry) => self.entries.push(entry),
            Message::Spooled(record) => self.spooled.push(record),
            Message::Flush { done, close } => {
                self.waiting.push(done);
                self.close |= close;
            }
        }
    }

    fn full(&self) -> bool {
        self.entries.len() + self.spooled.len() >= BATCH
    }
}

/// How often nonces older than the replay window are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

fn run(mut conn: Conn, receiver: Receiver<Message>, spool: Option<Arc<Spool>>) {
    let mut batch = Batch::default();
    let mut open = true;
    let mut pruned = Instant::now();
    while open {
        // Idle, the first entry wakes the writer; then it sleeps until the batch is due and
        // takes what has arrived, so a busy service costs one wake-up per batch, not one
        // per entry.
        match receiver.recv() {
            Ok(message) => batch.take(message),
            Err(_) => break,
        }
        let deadline = Instant::now() + MAX_DELAY;
        loop {
            while !batch.full() && batch.waiting.is_empty() {
                match receiver.try_recv() {
                    Ok(message) => batch.take(message),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        open = false;
                        break;
                    }
                }
            }
            let now = Instant::now();
            if !open || batch.full() || !batch.waiting.is_empty() || now >= deadline {
                break;
            }
            std::thread::park_timeout(deadline - now);
        }
        if let Some(spool) = &spool {
            // A full segment is closed while the spool is held, so no record can be added to
            // it; its records still queued are taken into this batch, and it is removed once
            // the batch is committed.
            let rotated = spool.rotate(std::mem::take(&mut batch.close), |old| {
                while let Ok(message) = receiver.try_recv() {
                    batch.take(message);
                }
                batch.closed.push(old);
            });
            if let Err(error) = rotated {
                tracing::warn!(%error, "audit spool segment not rotated");
            }
            // What was spooled since the last batch reaches the disk before this commit: a
            // power cut loses at most one batch interval.
            spool.sync();
        }
        // A write can find the database busy beyond the busy timeout: a population import
        // holds the write lock for its whole transaction (a minute for a kabupaten on
        // SQLite). Busy is waited out however long it lasts, since an audit entry must not
        // be lost to a lock. Spooled records are retried until they are written (they are
        // on disk meanwhile, and a full disk refuses new requests at the spool); entries
        // outside the spool are tried a few times, then reported.
        let mut attempt = 0;
        while let Err(error) = write(&mut conn, &batch.entries, &batch.spooled, false) {
            if is_busy(&error) {
                tracing::warn!(
                    queued = batch.entries.len() + batch.spooled.len(),
                    "audit writer waits for the database lock"
                );
                std::thread::sleep(Duration::from_millis(200));
                continue;
            }
            attempt += 1;
            if attempt >= 5 && batch.spooled.is_empty() {
                tracing::error!(%error, lost = batch.entries.len(), "audit entries not written");
                break;
            }
            if attempt % 5 == 0 {
                tracing::error!(%error, spooled = batch.spooled.len(), "audit entries not written yet; kept in the spool");
            }
            std::thread::sleep(Duration::from_millis((50 * attempt).min(2000)));
        }
        if attempt < 5 || !batch.spooled.is_empty() {
            remove_segments(&batch.closed);
        }
        batch.entries.clear();
        batch.spooled.clear();
        batch.closed.clear();
        for done in batch.waiting.drain(..) {
            let _ = done.send(());
        }
        if pruned.elapsed() >= PRUNE_EVERY {
            pruned = Instant::now();
            if let Err(error) = super::nonces::prune(&mut conn) {
                tracing::warn!(%error, "old nonces not pruned");
            }
        }
    }
}

fn remove_segments(segments: &[PathBuf]) {
    for path in segments {
        if let Err(error) = std::fs::remove_file(path) {
            tracing::warn!(%error, path = %path.display(), "audit spool segment not removed");
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
            let first = row * 6 + 1;
            let columns: Vec<String> = (first..first + 6).map(|n| format!("?{n}")).collect();
            format!("({})", columns.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO audit (at, actor, action, subject, outcome, ref) VALUES {}
         ON CONFLICT (ref) DO NOTHING",
        values.join(", ")
    )
}

/// Writes entries and spooled records in one transaction, with the daily usage they count
/// and the nonces. In a `replay` of a previous run's spool, an entry whose reference the log
/// already holds is skipped, and so is its count.
fn write(
    conn: &mut Conn,
    entries: &[AuditEntry],
    spooled: &[Record],
    replay: bool,
) -> Result<(), StoreError> {
    let mut referenced: Vec<(&str, AuditEntry)> = Vec::new();
    let mut nonces = Vec::new();
    for record in spooled {
        match record {
            Record::Audit { reference, at, actor, action, subject, outcome } => referenced.push((
                reference,
                AuditEntry {
                    at: at.clone(),
                    actor: actor.clone(),
                    action: action.clone(),
                    subject: subject.clone(),
                    outcome: outcome.clone(),
                },
            )),
            Record::Nonce { kiosk, nonce, seen_at, counted } => {
                nonces.push((kiosk.as_str(), nonce.as_str(), *seen_at, *counted))
            }
        }
    }
    if entries.is_empty() && referenced.is_empty() && nonces.is_empty() {
        return Ok(());
    }
    conn.transaction(Exclusivity::Shared, |db| {
        if replay {
            let mut fresh = Vec::with_capacity(referenced.len());
            for (reference, entry) in referenced.drain(..) {
                if db.query_opt("SELECT 1 FROM audit WHERE ref = ?1", params![reference])?.is_none()
                {
                    fresh.push((reference, entry));
                }
            }
            referenced = fresh;
        }
        let rows = entries
            .iter()
            .map(|entry| (None, entry))
            .chain(referenced.iter().map(|(reference, entry)| (Some(*reference), entry)))
            .collect::<Vec<_>>();
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let params: Vec<Param<'_>> = chunk
                .iter()
                .flat_map(|(reference, e)| {
                    [
                        Param::Text(&e.at),
                        Param::Text(&e.actor),
                        Param::Text(&e.action),
                        Param::Text(&e.subject),
                        Param::Text(&e.outcome),
                        reference.map_or(Param::Null, Param::Text),
                    ]
                })
                .collect();
            db.execute(&insert_sql(chunk.len()), &params)?;
        }
        super::nonces::insert(db, &nonces)?;
        super::usage::count(db, rows.iter().map(|(_, entry)| *entry))
    })
}

/// Writes the audit entry of a write in the write's own transaction, with the daily usage
/// it counts: the change and its record are committed together or not at all.
pub(crate) fn insert_in(db: &mut impl Db, entry: &AuditEntry) -> Result<(), StoreError> {
    let e = entry;
    db.execute(
        &insert_sql(1),
        &[
            Param::Text(&e.at),
            Param::Text(&e.actor),
            Param::Text(&e.action),
            Param::Text(&e.subject),
            Param::Text(&e.outcome),
            Param::Null,
        ],
    )?;
    super::usage::count(db, [entry])
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
