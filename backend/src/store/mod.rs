//! The registry's storage: residents, families, programs, memberships and the audit log.
//!
//! Handlers and the generator call domain-level methods; SQL lives only here, written once
//! against the crate-private `sql::Db` and run on either database: SQLite (the embedded
//! default: WAL, one writer, many readers from a small connection pool) or PostgreSQL (a
//! `postgres://` URL).

mod alerts;
mod audit;
mod audit_search;
mod bulk;
mod charts;
mod conn;
mod console_dashboard;
mod console_sessions;
mod fleet;
mod import_jobs;
mod inspect;
mod kiosk_secrets;
mod kiosks;
mod letters;
mod login_limits;
mod nonces;
mod pin_labels;
mod pool;
mod population;
mod postgres_conn;
mod postgres_tls;
mod public_list;
mod registry;
mod registry_search;
mod report_desas;
mod report_queue;
mod reports;
pub(crate) mod sql;
mod staff;
mod status;
mod status_batch;
mod tickets;
mod usage;

use std::path::Path;
use std::sync::Arc;

pub use alerts::{AlertKind, AlertRecord, AlertState};
pub use audit::AuditEntry;
pub use audit_search::{AUDIT_EXPORT_PAGE, AUDIT_FILTER_MAX, AuditFilter};
pub use console_dashboard::{DesaCounts, KioskState};
pub use console_sessions::{ConsoleLimits, ConsoleSession, valid_session_id};
pub(crate) use fleet::village_name;
pub use fleet::{DEFAULT_IDLE_TIMEOUT, HeartbeatRecord, KioskSettings, PinScope};
pub use import_jobs::{ImportJobEnd, ImportJobRecord};
pub use inspect::Cell;
pub use kiosk_secrets::Rotation;
pub use kiosks::KioskRecord;
pub use letters::{
    FamilyFacts, IssuedRecord, IssuedSummary, Issuing, LetterDetail, LetterSettings, NewLetter,
    ResidentFacts, WaitingLetter, new_letter_id,
};
pub use login_limits::{LimitScope, LoginGate, LoginLimits};
pub use nonces::{Claim, KEPT_SECONDS, MINUTE_COUNT_CAP};
pub use population::{
    Change, DesilMiss, DesilOutcome, DesilRecord, DesilWriter, ImportCounts, ImportKind,
    ImportMeta, PopulationOutcome, PopulationWriter,
};
pub use postgres_tls::PgTlsError;
pub use public_list::PublicMember;
pub use registry::{NewFamily, NewMembership, NewResident};
pub use registry_search::{
    FamilyLetter, FamilyMembership, FamilyRecord, FamilyReport, QueryError, RegistryHit,
    RegistryQuery, SEARCH_LIMIT, mask_number,
};
pub use report_queue::ReportFilter;
pub use reports::{NewReport, ReportChange, ReportProgress};
pub use staff::{CheckedStaff, MIN_PASSWORD, StaffRecord, StaffRole, StaffSession, valid_username};
pub use status::{MemberRecord, MembershipRecord, NonceClaim, StatusRecord};
pub use status_batch::{BatchAnswers, BatchedLookup, MAX_BATCH};
pub use usage::{COUNTED_ACTIONS, day_of};

use crate::eligibility::Catalogue;
use conn::{Conn, Exclusivity};
use pool::Pool;
use postgres_tls::PgTarget;
use sql::{Db, params};

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database: {0}")]
    Postgres(#[from] postgres::Error),
    /// A PostgreSQL URL the connection policy refuses, its CA file unusable, or a TLS
    /// handshake that failed (the server without TLS, another CA, another name).
    #[error(transparent)]
    PostgresTls(#[from] PgTlsError),
    #[error("schema migration: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("invalid input: {0}")]
    Invalid(String),
    /// A kiosk-issued ticket that another submission (report or letter request) already
    /// holds: the kiosk's input error, answered as such, not a failure of the store.
    #[error("ticket {0} already belongs to another submission")]
    TicketTaken(protocol::ticket::Ticket),
    /// The audit spool (or the database behind it) does not take the entry: a full or
    /// read-only disk. The request is refused rather than answered unaudited.
    #[error("audit log unavailable: {0}")]
    AuditUnavailable(String),
    /// Allowed to no one asking this way (another desa's letter at a kiosk).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// A letter that cannot be printed or acted on in its state (waiting, refused,
    /// cancelled).
    #[error("letter not ready: {0}")]
    LetterNotReady(String),
    /// A kiosk secret that cannot be sealed or opened, or a master key not loaded.
    #[error(transparent)]
    Secrets(#[from] crate::secrets::SecretsError),
}

/// Where the registry lives: a SQLite file or a PostgreSQL server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(std::path::PathBuf),
    /// A `postgres://` or `postgresql://` URL.
    Postgres(String),
}

impl Location {
    /// A `postgres://`/`postgresql://` URL, or else a SQLite file path.
    pub fn parse(text: &str) -> Location {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            Location::Postgres(text.to_owned())
        } else {
            Location::Sqlite(text.into())
        }
    }
}

/// Environment variable naming a PostgreSQL server for [`Store::open_temporary`]: set, every
/// temporary store is a fresh schema there, so the whole test suite runs on PostgreSQL.
pub const TEST_DATABASE_ENV: &str = "ANJUNGAN_TEST_DATABASE";

/// A handle on the registry database; clones share the same pool.
#[derive(Clone)]
pub struct Store {
    pool: Arc<Pool>,
    /// Which database the pool's connections speak.
    dialect: sql::Dialect,
    audit: audit::AuditWriter,
    temporary: Option<Arc<Temporary>>,
    /// The master key kiosk secrets are sealed under; without it, kiosk secrets are neither
    /// stored nor read ([`Store::with_secrets`]).
    secrets: Option<Arc<kiosk_secrets::Sealer>>,
}

/// A temporary database, removed when the last store using it is gone.
enum Temporary {
    /// A SQLite file and its WAL files.
    File(std::path::PathBuf),
    /// A PostgreSQL schema, dropped over a connection of its own.
    Schema { target: Arc<PgTarget>, schema: String, pool: Arc<Pool> },
}

impl Drop for Temporary {
    fn drop(&mut self) {
        match self {
            Temporary::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut path = path.clone().into_os_string();
                    path.push(suffix);
                    let _ = std::fs::remove_file(path);
                }
            }
            Temporary::Schema { target, schema, pool } => {
                pool.close_idle();
                let dropped = Conn::open_postgres(target, None)
                    .and_then(|mut conn| conn.batch(&format!("DROP SCHEMA {schema} CASCADE")));
                if let Err(error) = dropped {
                    tracing::warn!(%error, schema, "temporary schema not dropped");
                }
            }
        }
    }
}

impl Store {
    /// Opens (creating if needed) a SQLite database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_location(&Location::Sqlite(path.to_path_buf()))
    }

    /// Opens the registry wherever it lives and brings its schema up to date.
    pub fn open_location(location: &Location) -> Result<Store, StoreError> {
        Store::with_opener(opener(location)?, None)
    }

    /// [`Store::open_location`] for a serving instance: reads are audited through a spool
    /// in `spool_dir` (the private data directory) before they are answered, and what a
    /// previous run left there is written first.
    pub fn open_serving(location: &Location, spool_dir: &Path) -> Result<Store, StoreError> {
        Store::with_opener(opener(location)?, Some(spool_dir))
    }

    /// A private, empty database removed when the last clone of the store is dropped: for
    /// demos and tests. On SQLite a temporary file rather than the shared-cache memory mode,
    /// so it locks exactly like the production database; on PostgreSQL (when
    /// [`TEST_DATABASE_ENV`] names a server) a schema of its own.
    pub fn open_temporary() -> Result<Store, StoreError> {
        Store::open_temporary_on(std::env::var(TEST_DATABASE_ENV).ok().as_deref())
    }

    /// [`Store::open_temporary`] on the PostgreSQL server `postgres` names (a schema of its
    /// own), or on a temporary SQLite file when `None` or empty: for benchmarks that load
    /// both side by side.
    pub fn open_temporary_on(postgres: Option<&str>) -> Result<Store, StoreError> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let unique = format!("{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        match postgres.map(str::to_owned) {
            Some(url) if !url.is_empty() => {
                let schema = format!("anjungan_tmp_{unique}");
                let target = Arc::new(PgTarget::from_url(&url)?);
                let mut admin = Conn::open_postgres(&target, None)?;
                drop_abandoned_schemas(&mut admin)?;
                admin.batch(&format!(
                    "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
                ))?;
                let opener = {
                    let (target, schema) = (target.clone(), schema.clone());
                    Box::new(move || Conn::open_postgres(&target, Some(&schema)))
                };
                let mut store = Store::with_opener(opener, None)?;
                store.temporary =
                    Some(Arc::new(Temporary::Schema { target, schema, pool: store.pool.clone() }));
                store.with_temporary_key()
            }
            _ => {
                let path = std::env::temp_dir().join(format!("anjungan-{unique}.sqlite3"));
                let mut store = Store::open(&path)?;
                store.temporary = Some(Arc::new(Temporary::File(path)));
                store.with_temporary_key()
            }
        }
    }

    /// A temporary database's kiosk secrets are sealed under a key of its own, in memory
    /// only: both are gone with the last clone.
    fn with_temporary_key(self) -> Result<Store, StoreError> {
        let source = crate::secrets::KeySource::Given {
            key: crate::secrets::MasterKey::generate(),
            origin: "a temporary store's key".into(),
        };
        self.with_secrets(source, "service")
    }

    fn with_opener(opener: pool::Opener, spool_dir: Option<&Path>) -> Result<Store, StoreError> {
        let pool = Arc::new(Pool::new(opener));
        let dialect = {
            let mut conn = pool.get()?;
            conn.migrate()?;
            sync_programs(&mut *conn, &Catalogue::default_catalogue())?;
            conn.dialect()
        };
        let audit = audit::AuditWriter::start(&pool, spool_dir)?;
        Ok(Store { pool, dialect, audit, temporary: None, secrets: None })
    }

    /// Which database the store runs on (for logs and the health answer).
    pub fn database_kind(&self) -> &'static str {
        match self.dialect {
            sql::Dialect::Postgres => "postgresql",
            sql::Dialect::Sqlite => "sqlite",
        }
    }

    /// Runs `work` in one write transaction, committed only if it returns `Ok`. Writers
    /// take turns on both databases.
    pub(crate) fn write<T>(
        &self,
        work: impl FnOnce(&mut Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.pool.get()?.transaction(Exclusivity::Exclusive, work)
    }

    /// Runs `work` in one write transaction, with the reads a decision needs, so that a
    /// decision and the write it allows see the same registry: no report, add or import can
    /// slip in between (writers take turns). Committed only if `work` returns `Ok`.
    pub fn transaction<T, E: From<StoreError>>(
        &self,
        work: impl FnOnce(&mut WriteTx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        self.pool.get()?.transaction(Exclusivity::Exclusive, |db| work(&mut WriteTx { db }))
    }

    /// Brings the program names up to date with a catalogue loaded by operations.
    pub fn sync_programs(&self, catalogue: &Catalogue) -> Result<(), StoreError> {
        self.write(|db| sync_programs(db, catalogue))
    }

    /// Number of residents in the registry.
    pub fn resident_count(&self) -> Result<u64, StoreError> {
        self.pool.get()?.query_value("SELECT count(*) FROM residents", &[])
    }

    /// Whether the registry holds any resident.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        self.pool.get()?.query_value("SELECT NOT EXISTS (SELECT 1 FROM residents)", &[])
    }

    /// Queues an audit entry; it is written within a tenth of a second, in batches.
    pub fn audit(&self, entry: AuditEntry) {
        self.audit.record(entry);
    }

    /// Audits a read before it is answered: on a serving store the entry is on disk (in the
    /// spool) when this returns, so a crash cannot lose it; an error means the read must be
    /// refused.
    pub fn audit_read(&self, entry: AuditEntry) -> Result<(), StoreError> {
        self.audit.record_durable(entry, None)
    }

    /// [`Store::audit_read`] for a kiosk's request whose nonce is not claimed yet: on SQLite
    /// the nonce is kept in the entry's spool line (the claim and the audit in one write); on
    /// PostgreSQL, where the lookup's statement claimed it, only the entry is kept.
    pub fn audit_read_claiming(
        &self,
        entry: AuditEntry,
        claim: NonceClaim<'_>,
    ) -> Result<(), StoreError> {
        let claim = (!self.nonces_shared()).then(|| audit::spool::SpooledClaim {
            kiosk: claim.kiosk.to_owned(),
            nonce: claim.nonce.to_owned(),
            seen_at: claim.seen_at,
        });
        self.audit.record_durable(entry, claim)
    }

    /// Waits until every queued audit entry is on disk.
    pub fn flush_audit(&self) {
        self.audit.flush(false);
    }

    /// At a clean stop, after the last request: writes every queued entry and empties the
    /// spool, so the next start has nothing to replay.
    pub fn close_audit(&self) {
        self.audit.flush(true);
    }

    /// The most recent audit entries, newest first.
    pub fn recent_audit(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        audit::recent(&mut *self.pool.get()?, limit)
    }
}

/// How a store opens connections to `location`; a PostgreSQL URL is checked against the
/// TLS policy (and its CA read) once, here, before any connection.
fn opener(location: &Location) -> Result<pool::Opener, StoreError> {
    Ok(match location.clone() {
        Location::Sqlite(path) => Box::new(move || Conn::open_sqlite(&path)),
        Location::Postgres(url) => {
            let target = PgTarget::from_url(&url)?;
            Box::new(move || Conn::open_postgres(&target, None))
        }
    })
}

/// A write transaction in progress; see [`Store::transaction`].
pub struct WriteTx<'a> {
    db: &'a mut Conn,
}

impl WriteTx<'_> {
    /// The resident's status as this transaction sees it.
    pub fn status(&mut self, nik: &protocol::Nik) -> Result<Option<StatusRecord>, StoreError> {
        status::read_status(self.db, nik)
    }

    /// Memberships of a program in a desa that count against its quota.
    pub fn quota_used(&mut self, program: &str, desa_code: u64) -> Result<u32, StoreError> {
        registry::quota_used(self.db, program, desa_code)
    }

    /// Records `entry` in the audit log in this transaction: committed with the writes it
    /// describes, or not at all.
    pub fn audit(&mut self, entry: &AuditEntry) -> Result<(), StoreError> {
        audit::insert_in(self.db, entry)
    }

    /// Writes memberships (all of them, or none when the transaction is not committed).
    pub fn add_memberships(&mut self, memberships: &[NewMembership]) -> Result<(), StoreError> {
        registry::insert_memberships(self.db, memberships)
    }
}

/// Drops the temporary schemas of test processes that have exited (a server task holding a
/// store clone until the process ends never runs its destructor).
fn drop_abandoned_schemas(admin: &mut Conn) -> Result<(), StoreError> {
    let rows = admin
        .query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'anjungan\\_tmp\\_%'", &[])?;
    for mut row in rows {
        let schema: String = row.get(0)?;
        let pid = schema.trim_start_matches("anjungan_tmp_").split('_').next().unwrap_or("");
        let alive = pid.parse::<u32>().is_ok_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
        if !alive {
            admin.batch(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))?;
        }
    }
    Ok(())
}

/// Writes the catalogue's program names into the `programs` table, which status answers read.
fn sync_programs(db: &mut impl Db, catalogue: &Catalogue) -> Result<(), StoreError> {
    for program in catalogue.programs() {
        db.execute(
            "INSERT INTO programs (code, name_id, name_en, level, unit) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (code) DO UPDATE SET name_id = excluded.name_id, name_en = excluded.name_en,
                 level = excluded.level, unit = excluded.unit",
            params![
                program.code,
                program.name.id,
                program.name.en,
                program.level.as_str(),
                program.unit.as_str()
            ],
        )?;
    }
    Ok(())
}
