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
use spool::{Position, Record, Spool, SpooledClaim};

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
    /// A record already in the spool, and where it ends there.
    Spooled(Record, Position),
    /// Write everything now; with `close`, also close the spool's segment (a clean stop).
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
    /// The nonces the spool held at start from inside the replay window (SQLite's replay
    /// protection across a restart).
    spooled_nonces: Arc<Vec<(String, String, i64)>>,
}

/// Most entries written in one transaction.
const BATCH: usize = 2048;

/// A closed segment kept until the nonces in it are older than the replay window.
struct Retained {
    path: PathBuf,
    name: String,
    closed: Instant,
}

impl AuditWriter {
    /// Starts the writer. With a spool directory, what previous runs left in the spool past
    /// what the database holds is written first, in one transaction, before anything new is
    /// accepted, and the nonces still inside the replay window are kept for the API.
    pub(super) fn start(
        pool: &Pool,
        spool_dir: Option<&std::path::Path>,
    ) -> Result<AuditWriter, StoreError> {
        let (sender, receiver) = mpsc::channel();
        // The writer owns a connection of its own for its whole life.
        let mut conn = pool.open_dedicated()?;
        let mut retained = Vec::new();
        let mut spooled_nonces = Vec::new();
        let spool = match spool_dir {
            Some(dir) => {
                let (spool, left) = Spool::open(dir)?;
                replay(&mut conn, left, &mut retained, &mut spooled_nonces)?;
                Some(Arc::new(spool))
            }
            None => None,
        };
        let writer_spool = spool.clone();
        let handle = std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || run(conn, receiver, writer_spool, retained))
            .map_err(|error| StoreError::Corrupt(format!("cannot start audit writer: {error}")))?;
        Ok(AuditWriter {
            sender,
            thread: handle.thread().clone(),
            spool,
            spooled_nonces: Arc::new(spooled_nonces),
        })
    }

    pub(super) fn record(&self, entry: AuditEntry) {
        if self.sender.send(Message::Entry(entry)).is_err() {
            tracing::error!("audit writer is gone; entry lost");
        }
    }

    /// Records an entry that must be on disk before the caller answers: spooled when the
    /// store has a spool, refused (`AuditUnavailable`) when the disk does not take it.
    /// `claim`: the request's nonce, kept in the same line.
    pub(super) fn record_durable(
        &self,
        entry: AuditEntry,
        claim: Option<SpooledClaim>,
    ) -> Result<(), StoreError> {
        let Some(spool) = &self.spool else {
            self.record(entry);
            return Ok(());
        };
        let record = Record::audit(&entry, claim);
        spool.append(record, |record, at| self.send(Message::Spooled(record, at)))
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
        let record =
            Record::Nonce { kiosk: kiosk.to_owned(), nonce: nonce.to_owned(), seen_at, counted };
        spool.append(record, |record, at| self.send(Message::Spooled(record, at)))
    }

    /// The nonces seen since `since` that the spool held at start.
    pub(super) fn spooled_nonces(&self, since: i64) -> Vec<(String, String, i64)> {
        self.spooled_nonces.iter().filter(|(_, _, seen_at)| *seen_at >= since).cloned().collect()
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

/// Writes what previous runs spooled past the mark the database holds for each segment, in
/// one transaction; keeps the nonces of the replay window; removes the segments that are
/// written and older than the window, and keeps the others for the writer to remove later.
fn replay(
    conn: &mut Conn,
    left: Vec<spool::LeftSegment>,
    retained: &mut Vec<Retained>,
    nonces: &mut Vec<(String, String, i64)>,
) -> Result<(), StoreError> {
    let window_start = time::OffsetDateTime::now_utc().unix_timestamp() - super::KEPT_SECONDS;
    let mut entries = Vec::new();
    let mut progress = Vec::new();
    let mut unreadable = 0;
    for segment in &left {
        let committed: i64 = conn
            .query_opt(
                "SELECT committed FROM audit_spool_progress WHERE segment = ?1",
                params![segment.name.as_str()],
            )?
            .map(|mut row| row.get(0))
            .transpose()?
            .unwrap_or(0);
        unreadable += segment.unreadable;
        for (end, record) in &segment.records {
            if let Some((kiosk, nonce, seen_at)) = record.nonce()
                && seen_at >= window_start
            {
                nonces.push((kiosk.to_owned(), nonce.to_owned(), seen_at));
            }
            if *end as i64 > committed {
                entries.extend(record.clone().into_entry());
            }
        }
        if let Some((end, _)) = segment.records.last() {
            progress.push((segment.name.clone(), *end));
        }
    }
    if unreadable > 0 {
        tracing::warn!(lines = unreadable, "audit spool: lines cut short by a crash skipped");
    }
    let progress_refs: Vec<(&str, u64)> =
        progress.iter().map(|(name, end)| (name.as_str(), *end)).collect();
    write(conn, &entries, &progress_refs)?;
    if !entries.is_empty() {
        tracing::info!(entries = entries.len(), "audit spool of a previous run written");
    }
    let window = Duration::from_secs(super::KEPT_SECONDS as u64);
    for segment in left {
        let age = segment.modified.elapsed().unwrap_or_default();
        let closed = Instant::now().checked_sub(age).unwrap_or_else(Instant::now);
        retained.push(Retained { path: segment.path, name: segment.name, closed });
    }
    remove_old(conn, retained, window);
    Ok(())
}

/// Removes the retained segments closed longer ago than `window`, and their marks.
fn remove_old(conn: &mut Conn, retained: &mut Vec<Retained>, window: Duration) {
    retained.retain(|segment| {
        if segment.closed.elapsed() < window {
            return true;
        }
        if let Err(error) = std::fs::remove_file(&segment.path) {
            tracing::warn!(%error, path = %segment.path.display(), "audit spool segment not removed");
        }
        let forgotten = conn.execute(
            "DELETE FROM audit_spool_progress WHERE segment = ?1",
            params![segment.name.as_str()],
        );
        if let Err(error) = forgotten {
            tracing::warn!(%error, "audit spool mark not removed");
        }
        false
    });
}

/// Longest an entry waits for the rest of its batch (a flush writes at once). Each commit
/// makes every other SQLite connection drop its page cache at its next read, so under load
/// the writer commits a few times a second rather than as often as entries arrive.
const MAX_DELAY: Duration = Duration::from_millis(100);

/// What one transaction of the writer takes.
#[derive(Default)]
struct Batch {
    entries: Vec<AuditEntry>,
    /// How far into each segment this batch's records reach.
    progress: Vec<(Arc<str>, u64)>,
    /// Spooled records in the batch, nonces included (bounds the batch).
    spooled: usize,
    closed: Vec<PathBuf>,
    waiting: Vec<SyncSender<()>>,
    /// A flush asked for the current segment to be closed.
    close: bool,
}

impl Batch {
    fn take(&mut self, message: Message) {
        match message {
            Message::Entry(entry) => self.entries.push(entry),
            Message::Spooled(record, at) => {
                self.spooled += 1;
                match self.progress.last_mut() {
                    Some((segment, end)) if *segment == at.segment => *end = at.end,
                    _ => self.progress.push((at.segment, at.end)),
                }
                self.entries.extend(record.into_entry());
            }
            Message::Flush { done, close } => {
                self.waiting.push(done);
                self.close |= close;
            }
        }
    }

    fn full(&self) -> bool {
        self.entries.len() + self.spooled >= BATCH
    }
}

/// How often old nonces and spool segments are removed.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

fn run(
    mut conn: Conn,
    receiver: Receiver<Message>,
    spool: Option<Arc<Spool>>,
    mut retained: Vec<Retained>,
) {
    let mut batch = Batch::default();
    let mut open = true;
    // The first batch prunes at once: a service restarted often (or a bench run of seconds)
    // would otherwise never reach the first minute and let old nonces pile up.
    let mut pruned = Instant::now().checked_sub(PRUNE_EVERY).unwrap_or_else(Instant::now);
    let window = Duration::from_secs(super::KEPT_SECONDS as u64);
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
            // A segment due to close is closed while the spool is held, so no record can be
            // added to it; its records still queued are taken into this batch.
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
        let progress: Vec<(&str, u64)> =
            batch.progress.iter().map(|(segment, end)| (&**segment, *end)).collect();
        // A write can find the database busy beyond the busy timeout: a population import
        // holds the write lock for its whole transaction (a minute for a kabupaten on
        // SQLite). Busy is waited out however long it lasts, since an audit entry must not
        // be lost to a lock. Spooled records are retried until they are written (they are
        // on disk meanwhile, and a full disk refuses new requests at the spool); entries
        // outside the spool are tried a few times, then reported.
        let mut attempt = 0u64;
        while let Err(error) = write(&mut conn, &batch.entries, &progress) {
            if is_busy(&error) {
                tracing::warn!(
                    queued = batch.entries.len(),
                    "audit writer waits for the database lock"
                );
                std::thread::sleep(Duration::from_millis(200));
                continue;
            }
            attempt += 1;
            if attempt >= 5 && batch.spooled == 0 {
                tracing::error!(%error, lost = batch.entries.len(), "audit entries not written");
                break;
            }
            if attempt.is_multiple_of(5) {
                tracing::error!(%error, spooled = batch.spooled, "audit entries not written yet; kept in the spool");
            }
            std::thread::sleep(Duration::from_millis((50 * attempt).min(2000)));
        }
        let now = Instant::now();
        retained.extend(batch.closed.drain(..).map(|path| Retained {
            name: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            path,
            closed: now,
        }));
        batch.entries.clear();
        batch.progress.clear();
        batch.spooled = 0;
        for done in batch.waiting.drain(..) {
            let _ = done.send(());
        }
        if pruned.elapsed() >= PRUNE_EVERY {
            pruned = Instant::now();
            remove_old(&mut conn, &mut retained, window);
            if let Err(error) = super::nonces::prune(&mut conn) {
                tracing::warn!(%error, "old nonces not pruned");
            }
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

/// Writes entries in one transaction, with the daily usage they count and how far into
/// each spool segment they reach, so a replay after a crash writes each entry once.
fn write(
    conn: &mut Conn,
    entries: &[AuditEntry],
    progress: &[(&str, u64)],
) -> Result<(), StoreError> {
    if entries.is_empty() && progress.is_empty() {
        return Ok(());
    }
    conn.transaction(Exclusivity::Shared, |db| {
        for chunk in entries.chunks(ROWS_PER_STATEMENT) {
            let params: Vec<Param<'_>> = chunk
                .iter()
                .flat_map(|e| {
                    [&e.at, &e.actor, &e.action, &e.subject, &e.outcome].map(|s| Param::Text(s))
                })
                .collect();
            db.execute(&insert_sql(chunk.len()), &params)?;
        }
        for (segment, end) in progress {
            db.execute(
                "INSERT INTO audit_spool_progress (segment, committed) VALUES (?1, ?2)
                 ON CONFLICT (segment) DO UPDATE SET committed = excluded.committed",
                params![*segment, *end as i64],
            )?;
        }
        super::usage::count(db, entries)
    })
}

/// Writes the audit entry of a write in the write's own transaction, with the daily usage
/// it counts: the change and its record are committed together or not at all.
pub(crate) fn insert_in(db: &mut impl Db, entry: &AuditEntry) -> Result<(), StoreError> {
    let e = entry;
    let fields = [&e.at, &e.actor, &e.action, &e.subject, &e.outcome].map(|s| Param::Text(s));
    db.execute(&insert_sql(1), &fields)?;
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
