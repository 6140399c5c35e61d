//! The registry's storage: residents, families, programs, memberships and the audit log.
//!
//! Handlers and the generator call domain-level methods; SQL lives only here. SQLite is the
//! embedded default (WAL, one writer, many readers from a small connection pool).

mod audit;
mod kiosks;
mod pool;
mod registry;
mod reports;
mod status;

use std::path::Path;
use std::sync::Arc;

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

pub use audit::AuditEntry;
pub use kiosks::KioskRecord;
pub use registry::{NewMembership, NewResident};
pub use reports::{NewReport, ReportChange};
pub use status::{MemberRecord, MembershipRecord, StatusRecord};

use crate::eligibility::Catalogue;
use pool::Pool;

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("schema migration: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("invalid input: {0}")]
    Invalid(String),
}

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("../../migrations/0001_registry.sql")),
        M::up(include_str!("../../migrations/0002_kiosks.sql")),
        M::up(include_str!("../../migrations/0003_reports.sql")),
        M::up(include_str!("../../migrations/0004_report_workflow.sql")),
    ])
}

/// A handle on the registry database; clones share the same pool.
#[derive(Clone)]
pub struct Store {
    pool: Arc<Pool>,
    audit: audit::AuditWriter,
    temporary: Option<Arc<TemporaryFile>>,
}

/// Deletes a temporary database and its WAL files when the last store using it is gone.
struct TemporaryFile(std::path::PathBuf);

impl Drop for TemporaryFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let path = path.to_path_buf();
        Store::with_opener(Box::new(move || Connection::open(&path)))
    }

    /// A private database in a temporary file, removed when the last clone of the store is
    /// dropped: for demos and tests. A file rather than SQLite's shared-cache memory mode, so
    /// it locks exactly like the production database (WAL, busy timeout).
    pub fn open_temporary() -> Result<Store, StoreError> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "anjungan-{}-{}.sqlite3",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let mut store = Store::open(&path)?;
        store.temporary = Some(Arc::new(TemporaryFile(path)));
        Ok(store)
    }

    fn with_opener(opener: pool::Opener) -> Result<Store, StoreError> {
        let pool = Arc::new(Pool::new(opener));
        {
            let mut conn = pool.get()?;
            migrations().to_latest(&mut conn)?;
            sync_programs(&conn, &Catalogue::default_catalogue())?;
        }
        let audit = audit::AuditWriter::start(&pool)?;
        Ok(Store { pool, audit, temporary: None })
    }

    /// Runs `work` in one write transaction, committed only if it returns `Ok`.
    pub(crate) fn write<T>(
        &self,
        work: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.pool.get()?;
        let tx = conn.transaction()?;
        let value = work(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Brings the program names up to date with a catalogue loaded by operations.
    pub fn sync_programs(&self, catalogue: &Catalogue) -> Result<(), StoreError> {
        sync_programs(&*self.pool.get()?, catalogue)
    }

    /// Number of residents in the registry.
    pub fn resident_count(&self) -> Result<u64, StoreError> {
        let conn = self.pool.get()?;
        let count: i64 = conn.query_row("SELECT count(*) FROM residents", [], |row| row.get(0))?;
        Ok(count as u64)
    }

    /// Whether the registry holds any resident.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        let conn = self.pool.get()?;
        Ok(conn.query_row("SELECT NOT EXISTS (SELECT 1 FROM residents)", [], |row| row.get(0))?)
    }

    /// Queues an audit entry; it is written within milliseconds, in batches.
    pub fn audit(&self, entry: AuditEntry) {
        self.audit.record(entry);
    }

    /// Waits until every queued audit entry is on disk.
    pub fn flush_audit(&self) {
        self.audit.flush();
    }

    /// The most recent audit entries, newest first.
    pub fn recent_audit(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        audit::recent(&*self.pool.get()?, limit)
    }
}

/// Writes the catalogue's program names into the `programs` table, which status answers read.
fn sync_programs(conn: &Connection, catalogue: &Catalogue) -> Result<(), StoreError> {
    let mut insert = conn.prepare(
        "INSERT INTO programs (code, name_id, name_en, level, unit) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (code) DO UPDATE SET name_id = excluded.name_id, name_en = excluded.name_en,
             level = excluded.level, unit = excluded.unit",
    )?;
    for program in catalogue.programs() {
        insert.execute((
            &program.code,
            &program.name.id,
            &program.name.en,
            program.level.as_str(),
            program.unit.as_str(),
        ))?;
    }
    Ok(())
}
