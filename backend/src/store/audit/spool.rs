//! The audit spool: what a request must leave on disk before it is answered.
//!
//! Audit entries of reads (status and ticket lookups, configuration pulls) and, on SQLite,
//! the nonces of signed requests are appended here with one `write(2)` each before the
//! answer goes out (a status lookup's nonce rides in its audit line: one write for both). The audit writer moves the entries into the database in batches and
//! records, in the same transaction, how far into each segment it has committed; a
//! `kill -9` therefore loses nothing that was answered (the bytes are in the kernel's page
//! cache), and the next start writes exactly what lies past that mark. The writer
//! `fdatasync`s the spool before each batch commit, so a power cut loses at most one batch
//! interval. When the disk refuses an append (full, read-only), the request is refused: the
//! service does not answer what it cannot audit.
//!
//! Nonces are never copied into SQLite (a write per request would cost every lookup three
//! index inserts): a segment is kept until the newest nonce in it has left the replay
//! window, and the next start reads the nonces back from the segments still there.
//!
//! The spool is a sequence of segment files `audit-spool.<n>.<run>` in the data directory,
//! one JSON record per line, created 0600 like the database. A segment is closed once it is
//! past [`SEGMENT_BYTES`] or [`SEGMENT_AGE`], and removed when it is committed and older
//! than the replay window.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};

use super::AuditEntry;
use crate::store::StoreError;

/// Size past which the writer starts a new segment.
const SEGMENT_BYTES: u64 = 8 << 20;

/// Age past which the writer starts a new segment, so that an old one can be removed.
const SEGMENT_AGE: Duration = Duration::from_secs(60);

const PREFIX: &str = "audit-spool.";

/// One line of the spool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub(crate) enum Record {
    Audit {
        at: String,
        actor: String,
        action: String,
        subject: String,
        outcome: String,
        /// The nonce of the signed request this entry audits (SQLite's status lookups): kept
        /// in the entry's own line, so a lookup costs one append, not two.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        claim: Option<SpooledClaim>,
    },
    /// A kiosk request's nonce (SQLite only: PostgreSQL claims them in the database).
    Nonce { kiosk: String, nonce: String, seen_at: i64, counted: bool },
}

/// A request's nonce carried in its audit line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SpooledClaim {
    pub kiosk: String,
    pub nonce: String,
    pub seen_at: i64,
}

impl Record {
    pub(crate) fn audit(entry: &AuditEntry, claim: Option<SpooledClaim>) -> Record {
        Record::Audit {
            at: entry.at.clone(),
            actor: entry.actor.clone(),
            action: entry.action.clone(),
            subject: entry.subject.clone(),
            outcome: entry.outcome.clone(),
            claim,
        }
    }

    /// The nonce this record keeps, with when it was seen: a nonce record's, or the one an
    /// audit line carries.
    pub(crate) fn nonce(&self) -> Option<(&str, &str, i64)> {
        match self {
            Record::Nonce { kiosk, nonce, seen_at, .. } => Some((kiosk, nonce, *seen_at)),
            Record::Audit { claim: Some(claim), .. } => {
                Some((&claim.kiosk, &claim.nonce, claim.seen_at))
            }
            Record::Audit { claim: None, .. } => None,
        }
    }

    /// The audit entry, for a record that is one.
    pub(crate) fn into_entry(self) -> Option<AuditEntry> {
        match self {
            Record::Audit { at, actor, action, subject, outcome, .. } => {
                Some(AuditEntry { at, actor, action, subject, outcome })
            }
            Record::Nonce { .. } => None,
        }
    }
}

/// Where a record ends in the spool: its segment's name and the byte after its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Position {
    pub segment: Arc<str>,
    pub end: u64,
}

/// The spool of one running service.
pub(crate) struct Spool {
    dir: PathBuf,
    /// Names this run's segments apart from any other run's.
    run: String,
    current: Mutex<Segment>,
}

struct Segment {
    number: u64,
    name: Arc<str>,
    file: Arc<File>,
    len: u64,
    opened: Instant,
}

/// A segment a previous run left.
pub(crate) struct LeftSegment {
    pub name: String,
    pub path: PathBuf,
    pub modified: SystemTime,
    /// Every readable record, with where it ends.
    pub records: Vec<(u64, Record)>,
    /// Lines that could not be read (one cut short by a crash mid-write).
    pub unreadable: usize,
}

impl Spool {
    /// Opens the spool in `dir` (the private data directory), reading what previous runs
    /// left there, oldest first, and starts a new segment.
    pub(crate) fn open(dir: &Path) -> Result<(Spool, Vec<LeftSegment>), StoreError> {
        let mut numbered = Vec::new();
        let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, &e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io_error(dir, &e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let number = name
                .strip_prefix(PREFIX)
                .and_then(|rest| rest.split('.').next())
                .and_then(|n| n.parse::<u64>().ok());
            if let Some(number) = number {
                numbered.push((number, name, entry.path()));
            }
        }
        numbered.sort();
        let mut left = Vec::new();
        for (_, name, path) in &numbered {
            left.push(read_segment(name, path)?);
        }
        let run = format!("{:016x}", rand::random::<u64>());
        let number = numbered.last().map_or(1, |(n, _, _)| n + 1);
        let segment = create_segment(dir, &run, number)?;
        Ok((Spool { dir: dir.to_path_buf(), run, current: Mutex::new(segment) }, left))
    }

    /// Appends `record` and, still holding the spool, runs `then` with it and its position:
    /// the writer's queue then receives records in spool order, so what it has committed is
    /// always a prefix of each segment. A failed append is cut off again, so a later line
    /// never joins a half-written one.
    pub(crate) fn append(
        &self,
        record: Record,
        then: impl FnOnce(Record, Position),
    ) -> Result<(), StoreError> {
        let mut line = serde_json::to_vec(&record)
            .map_err(|e| StoreError::AuditUnavailable(format!("audit spool: {e}")))?;
        line.push(b'\n');
        let mut segment = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(error) = (&*segment.file).write_all(&line) {
            let _ = segment.file.set_len(segment.len);
            return Err(StoreError::AuditUnavailable(format!("audit spool: {error}")));
        }
        segment.len += line.len() as u64;
        let position = Position { segment: segment.name.clone(), end: segment.len };
        then(record, position);
        Ok(())
    }

    /// Starts a new segment if the current one holds anything and is past
    /// [`SEGMENT_BYTES`] or [`SEGMENT_AGE`], or `now`; `closed` gets the old one's path while
    /// the spool is held, so every record appended to it is already in the writer's queue
    /// (see [`Spool::append`]) and no other can be.
    pub(crate) fn rotate(&self, now: bool, closed: impl FnOnce(PathBuf)) -> Result<(), StoreError> {
        let mut segment = self.current.lock().unwrap_or_else(|p| p.into_inner());
        let due = segment.len >= SEGMENT_BYTES || segment.opened.elapsed() >= SEGMENT_AGE || now;
        if segment.len == 0 || !due {
            return Ok(());
        }
        if let Err(error) = segment.file.sync_data() {
            tracing::warn!(%error, "audit spool not synced");
        }
        let next = create_segment(&self.dir, &self.run, segment.number + 1)?;
        let old = std::mem::replace(&mut *segment, next);
        closed(self.dir.join(&*old.name));
        Ok(())
    }

    /// Forces what was appended so far to disk (outside the lock, so appends go on).
    pub(crate) fn sync(&self) {
        let file = self.current.lock().unwrap_or_else(|p| p.into_inner()).file.clone();
        if let Err(error) = file.sync_data() {
            tracing::warn!(%error, "audit spool not synced");
        }
    }
}

fn read_segment(name: &str, path: &Path) -> Result<LeftSegment, StoreError> {
    let file = File::open(path).map_err(|e| io_error(path, &e))?;
    let modified =
        file.metadata().and_then(|meta| meta.modified()).map_err(|e| io_error(path, &e))?;
    let mut segment = LeftSegment {
        name: name.to_owned(),
        path: path.to_path_buf(),
        modified,
        records: Vec::new(),
        unreadable: 0,
    };
    let mut end = 0u64;
    for line in BufReader::new(file).split(b'\n') {
        let line = line.map_err(|e| io_error(path, &e))?;
        end += line.len() as u64 + 1;
        if line.is_empty() {
            continue;
        }
        match serde_json::from_slice::<Record>(&line) {
            Ok(record) => segment.records.push((end, record)),
            Err(_) => segment.unreadable += 1,
        }
    }
    Ok(segment)
}

fn create_segment(dir: &Path, run: &str, number: u64) -> Result<Segment, StoreError> {
    let name: Arc<str> = format!("{PREFIX}{number}.{run}").into();
    let path = dir.join(&*name);
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| io_error(&path, &e))?;
    Ok(Segment { number, name, file: Arc::new(file), len: 0, opened: Instant::now() })
}

fn io_error(path: &Path, error: &std::io::Error) -> StoreError {
    StoreError::AuditUnavailable(format!("{}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(subject: &str) -> AuditEntry {
        AuditEntry {
            at: "2026-12-07T10:00:00Z".into(),
            actor: "kiosk:K1".into(),
            action: "status_lookup".into(),
            subject: subject.into(),
            outcome: "found".into(),
        }
    }

    #[test]
    fn what_one_run_appended_the_next_run_reads_back_in_order_with_its_positions() {
        let dir = tempfile::tempdir().expect("dir");
        let (spool, left) = Spool::open(dir.path()).expect("open");
        assert!(left.is_empty());
        let mut queued = Vec::new();
        for subject in ["3510********0001", "3510********0002"] {
            let record = Record::audit(&entry(subject), None);
            spool.append(record, |r, at| queued.push((at.end, r))).expect("append");
        }
        let nonce =
            Record::Nonce { kiosk: "K1".into(), nonce: "n".repeat(20), seen_at: 5, counted: true };
        spool.append(nonce, |r, at| queued.push((at.end, r))).expect("append");
        let name = spool.current.lock().expect("lock").name.to_string();
        drop(spool);
        // A crash cut the last line short.
        let path = dir.path().join(&name);
        let mut file = OpenOptions::new().append(true).open(&path).expect("segment");
        file.write_all(b"{\"t\":\"audit\",\"a").expect("write");
        let (spool, left) = Spool::open(dir.path()).expect("reopen");
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].name, name);
        assert_eq!(left[0].records, queued);
        assert_eq!(left[0].unreadable, 1);
        let current = spool.current.lock().expect("lock").name.to_string();
        assert_ne!(current, name, "a new segment for this run");
        assert!(current.starts_with("audit-spool.2."), "{current}");
    }

    #[test]
    fn a_segment_is_closed_on_demand_only_when_it_holds_something() {
        let dir = tempfile::tempdir().expect("dir");
        let (spool, _) = Spool::open(dir.path()).expect("open");
        let mut closed = Vec::new();
        spool.rotate(true, |path| closed.push(path)).expect("rotate");
        assert!(closed.is_empty(), "an empty segment stays open");
        spool.append(Record::audit(&entry("x"), None), |_, _| {}).expect("append");
        spool.rotate(false, |path| closed.push(path)).expect("rotate");
        assert!(closed.is_empty(), "neither large nor old");
        spool.rotate(true, |path| closed.push(path)).expect("rotate");
        assert_eq!(closed.len(), 1);
        assert!(closed[0].exists(), "a closed segment is kept for the replay window");
    }
}
