/*!
The kiosk's own durable state: a small SQLite database in its data directory.

It holds the outbox of submissions waiting for the central service ([`outbox`], storage
only), the counter of ticket serials the kiosk hands out itself ([`tickets`]; raised to the
central service's last serial by [`serials`], so a re-imaged kiosk does not reissue
tickets), the tickets it had to replace and what replaced them ([`renumber`]), and the
staff keypad's lockout ([`pin_lock`]). Above the outbox, [`sender`] makes one attempt and
classifies the answer, and [`submit`](mod@submit) is the path the UI calls and the task that drains
the queue; the words the screen shows for all this are in [`crate::present::outbox`].
WAL with `synchronous=FULL`: a ticket printed on a receipt must survive a power cut
(kiosks are unplugged), and the writes are a few per citizen.
*/

pub mod outbox;
pub mod pin_lock;
pub mod renumber;
pub mod sender;
pub mod serials;
pub mod submit;
pub mod tickets;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

pub use outbox::{Kind, MaskedEntry, Outbox, Queued, Submission, SubmissionState};
pub use pin_lock::{PinAttempt, PinLock, PinReport};
pub use sender::backoff;
pub use submit::{Sender, Submitted, drain, submit, submit_report_within, submit_within};

/// Default directory of the kiosk's database.
pub const DEFAULT_DATA_DIR: &str = "/var/lib/anjungan-kiosk";

/// Why the kiosk's own database could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("kiosk database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("kiosk database schema: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("kiosk data directory {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("kiosk database is inconsistent: {0}")]
    Corrupt(String),
    /// The key file has no issuer number, so the kiosk cannot number its own tickets.
    #[error("the key file has no ticket issuer number: renew it with `backend kiosk-add`")]
    NoIssuer,
    #[error("all ticket serials of issuer {0} are used")]
    SerialsExhausted(u16),
    #[error("submission cannot be stored: {0}")]
    Invalid(String),
    #[error("background task failed: {0}")]
    Task(String),
}

/// The kiosk's database. Cheap to clone; one connection behind a mutex, since the kiosk
/// writes a few rows a minute and every write must be durable before it returns.
#[derive(Clone)]
pub struct LocalStore {
    conn: Arc<Mutex<rusqlite::Connection>>,
    path: PathBuf,
}

impl std::fmt::Debug for LocalStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LocalStore({})", self.path.display())
    }
}

fn migrations() -> rusqlite_migration::Migrations<'static> {
    use rusqlite_migration::M;
    rusqlite_migration::Migrations::new(vec![
        M::up(include_str!("migrations/0001_outbox.sql")),
        M::up(include_str!("migrations/0002_staff_lock.sql")),
        M::up(include_str!("migrations/0003_ticket_moves.sql")),
    ])
}

impl LocalStore {
    /// File name of the database inside the data directory.
    pub const FILE: &'static str = "kiosk.sqlite3";

    /// Opens (creating if needed) the database in `data_dir` and brings its schema up to
    /// date. The directory is made private to the kiosk's account: the queue holds NIKs.
    pub fn open(data_dir: &Path) -> Result<LocalStore, LocalError> {
        let io = |source| LocalError::Io { path: data_dir.to_path_buf(), source };
        std::fs::create_dir_all(data_dir).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o700))
                .map_err(io)?;
        }
        let path = data_dir.join(Self::FILE);
        let mut conn = rusqlite::Connection::open(&path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        // secure_delete: a wiped payload is overwritten with zeros, not left in a free
        // block of the file (see `forget_wiped`).
        conn.execute_batch(
            "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;",
        )?;
        migrations().to_latest(&mut conn)?;
        Ok(LocalStore { conn: Arc::new(Mutex::new(conn)), path })
    }

    /// Where the database file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for one short piece of work. A panic while it was held left no
    /// transaction open (rusqlite rolls back on drop), so a poisoned lock is still usable.
    pub(crate) fn conn(&self) -> MutexGuard<'_, rusqlite::Connection> {
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A fresh idempotency key from 128 random bits, chosen once per submission.
pub fn new_idempotency_key() -> String {
    let mut bits = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bits);
    protocol::IdempotencyKey::from_random(bits).into()
}

/// Opens the kiosk's database in `data_dir` and its outbox, numbering tickets with the
/// issuer from the kiosk's key file.
pub fn open_outbox(data_dir: &Path, key: &protocol::auth::KioskKey) -> Result<Outbox, LocalError> {
    let issuer = key.issuer().ok_or(LocalError::NoIssuer)?;
    Outbox::open(LocalStore::open(data_dir)?, issuer)
}

/// After personal data was wiped from rows: moves the change into the database file and
/// empties the write-ahead log, which still holds the old pages with the data. Best
/// effort: a reader holding an old snapshot delays it to the next wipe.
pub(crate) fn forget_wiped(conn: &rusqlite::Connection) -> Result<(), LocalError> {
    let _: (i64, i64, i64) = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
        Ok((row.get(0)?, row.get(1)?, row.get(2)?))
    })?;
    Ok(())
}

/// Milliseconds since the Unix epoch: the outbox's clock.
pub(crate) fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_is_valid_and_the_file_is_durable() {
        assert!(migrations().validate().is_ok());
        let dir = tempfile::tempdir().expect("temp dir");
        let store = LocalStore::open(dir.path()).expect("open");
        let (mode, sync): (String, i64) = {
            let conn = store.conn();
            (
                conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).expect("mode"),
                conn.query_row("PRAGMA synchronous", [], |r| r.get(0)).expect("sync"),
            )
        };
        assert_eq!(mode, "wal");
        assert_eq!(sync, 2, "FULL");
    }
}
