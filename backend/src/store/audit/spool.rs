//! The audit spool: what a request must leave on disk before it is answered.
//!
//! Audit entries of reads (status and ticket lookups, configuration pulls) and, on SQLite,
//! the nonces of signed requests are appended here with one `write(2)` each before the
//! answer goes out, then moved into the database by the audit writer in batches. A `kill -9`
//! therefore loses nothing that was answered: the bytes are in the kernel's page cache, and
//! the next start replays what the database does not hold yet. The writer `fdatasync`s the
//! spool before each batch commit, so a power cut loses at most one batch interval
//! ([`super::MAX_DELAY`]) of entries. When the disk refuses the append (full, read-only),
//! the request is refused: the service does not answer what it cannot audit.
//!
//! The spool is a sequence of segment files `audit-spool.<n>` in the data directory, one
//! JSON record per line, created 0600 like the database. The current segment is closed
//! once it is past [`SEGMENT_BYTES`] and removed when every entry in it is committed.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::AuditEntry;
use crate::store::StoreError;

/// Size past which the writer starts a new segment, so a committed one can be removed.
const SEGMENT_BYTES: u64 = 4 << 20;

const PREFIX: &str = "audit-spool.";

/// One line of the spool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub(crate) enum Record {
    /// An audit entry; `reference` is unique, so a replayed entry is added once.
    Audit {
        reference: String,
        at: String,
        actor: String,
        action: String,
        subject: String,
        outcome: String,
    },
    /// A kiosk request's nonce (SQLite only: PostgreSQL claims them in the database).
    Nonce { kiosk: String, nonce: String, seen_at: i64, counted: bool },
}

impl Record {
    pub(crate) fn audit(reference: String, entry: &AuditEntry) -> Record {
        Record::Audit {
            reference,
            at: entry.at.clone(),
            actor: entry.actor.clone(),
            action: entry.action.clone(),
            subject: entry.subject.clone(),
            outcome: entry.outcome.clone(),
        }
    }
}

/// The spool of one running service.
pub(crate) struct Spool {
    dir: PathBuf,
    /// Distinguishes this run's references from any other run's or instance's.
    run: String,
    current: Mutex<Segment>,
}

struct Segment {
    number: u64,
    file: Arc<File>,
    len: u64,
    /// References handed out in this run.
    next: u64,
}

/// What a previous run left: records to replay, and the segments to remove once they are.
pub(crate) struct Leftover {
    pub records: Vec<Record>,
    pub segments: Vec<PathBuf>,
    /// Lines that could not be read (a line cut short by a crash mid-write).
    pub unreadable: usize,
}

impl Spool {
    /// Opens the spool in `dir` (the private data directory), reading what a previous run
    /// left there, and starts a new segment.
    pub(crate) fn open(dir: &Path) -> Result<(Spool, Leftover), StoreError> {
        let mut numbered = Vec::new();
        let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, &e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io_error(dir, &e))?;
            let name = entry.file_name();
            let Some(number) = name.to_str().and_then(|n| n.strip_prefix(PREFIX)) else {
                continue;
            };
            if let Ok(number) = number.parse::<u64>() {
                numbered.push((number, entry.path()));
            }
        }
        numbered.sort();
        let mut leftover = Leftover { records: Vec::new(), segments: Vec::new(), unreadable: 0 };
        for (_, path) in &numbered {
            let file = File::open(path).map_err(|e| io_error(path, &e))?;
            for line in BufReader::new(file).split(b'\n') {
                let line = line.map_err(|e| io_error(path, &e))?;
                if line.is_empty() {
                    continue;
                }
                match serde_json::from_slice::<Record>(&line) {
                    Ok(record) => leftover.records.push(record),
                    Err(_) => leftover.unreadable += 1,
                }
            }
            leftover.segments.push(path.clone());
        }
        let number = numbered.last().map_or(1, |(n, _)| n + 1);
        let file = create_segment(&dir.join(format!("{PREFIX}{number}")))?;
        let run = format!("{:016x}", rand::random::<u64>());
        let segment = Segment { number, file: Arc::new(file), len: 0, next: 0 };
        Ok((Spool { dir: dir.to_path_buf(), run, current: Mutex::new(segment) }, leftover))
    }

    /// Appends `record` (an audit entry gets its reference here) and, still holding the
    /// spool, runs `then` with it: the writer's queue then receives records in spool order,
    /// so a closed segment's marker follows every record of that segment. A failed append
    /// is cut off again, so a later line never joins a half-written one.
    pub(crate) fn append(
        &self,
        record: impl FnOnce(String) -> Record,
        then: impl FnOnce(Record),
    ) -> Result<(), StoreError> {
        let mut segment = self.current.lock().unwrap_or_else(|p| p.into_inner());
        let reference = format!("{}-{}", self.run, segment.next);
        let record = record(reference);
        let mut line = serde_json::to_vec(&record)
            .map_err(|e| StoreError::AuditUnavailable(format!("audit spool: {e}")))?;
        line.push(b'\n');
        if let Err(error) = (&*segment.file).write_all(&line) {
            let _ = segment.file.set_len(segment.len);
            return Err(StoreError::AuditUnavailable(format!("audit spool: {error}")));
        }
        segment.len += line.len() as u64;
        segment.next += 1;
        then(record);
        Ok(())
    }

    /// Starts a new segment if the current one is past [`SEGMENT_BYTES`], or when `now`
    /// and it holds anything; `closed` gets the old one's path while the spool is held, so
    /// every record appended to it is already in the writer's queue (see [`Spool::append`])
    /// and no other can be.
    pub(crate) fn rotate(&self, now: bool, closed: impl FnOnce(PathBuf)) -> Result<(), StoreError> {
        let mut segment = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if segment.len < SEGMENT_BYTES && !(now && segment.len > 0) {
            return Ok(());
        }
        let number = segment.number + 1;
        let file = create_segment(&self.dir.join(format!("{PREFIX}{number}")))?;
        let old = self.dir.join(format!("{PREFIX}{}", segment.number));
        if let Err(error) = segment.file.sync_data() {
            tracing::warn!(%error, "audit spool not synced");
        }
        segment.number = number;
        segment.file = Arc::new(file);
        segment.len = 0;
        closed(old);
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

fn create_segment(path: &Path) -> Result<File, StoreError> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| io_error(path, &e))
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
    fn what_one_run_appended_the_next_run_reads_back_in_order() {
        let dir = tempfile::tempdir().expect("dir");
        let (spool, leftover) = Spool::open(dir.path()).expect("open");
        assert!(leftover.records.is_empty());
        let mut queued = Vec::new();
        for subject in ["3510********0001", "3510********0002"] {
            spool
                .append(|reference| Record::audit(reference, &entry(subject)), |r| queued.push(r))
                .expect("append");
        }
        spool
            .append(
                |_| Record::Nonce {
                    kiosk: "K1".into(),
                    nonce: "n".repeat(20),
                    seen_at: 5,
                    counted: true,
                },
                |r| queued.push(r),
            )
            .expect("append");
        drop(spool);
        // A crash cut the last line short.
        let segment = dir.path().join(format!("{PREFIX}1"));
        let mut file = OpenOptions::new().append(true).open(&segment).expect("segment");
        file.write_all(b"{\"t\":\"audit\",\"refer").expect("write");
        let (_spool, leftover) = Spool::open(dir.path()).expect("reopen");
        assert_eq!(leftover.records, queued);
        assert_eq!(leftover.unreadable, 1);
        assert_eq!(leftover.segments, vec![segment]);
        assert!(dir.path().join(format!("{PREFIX}2")).exists(), "a new segment for this run");
    }

    #[test]
    fn references_differ_between_runs() {
        let dir = tempfile::tempdir().expect("dir");
        let mut seen = Vec::new();
        for _ in 0..2 {
            let (spool, _) = Spool::open(dir.path()).expect("open");
            spool
                .append(|reference| Record::audit(reference, &entry("x")), |r| seen.push(r))
                .expect("append");
        }
        assert_ne!(seen[0], seen[1]);
    }
}
