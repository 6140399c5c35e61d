//! Connections to either database, behind the [`Db`] interface the domain methods use.

use std::time::Duration;

use super::StoreError;
use super::postgres_conn::PgConn;
use super::postgres_tls::PgTarget;
use super::sql::{Db, Dialect, Param, Row, Value};

/// An open connection and whether a transaction is under way on it (a connection left
/// inside a transaction by a panic is closed rather than reused).
pub(crate) struct Conn {
    kind: Kind,
    in_transaction: bool,
    /// PostgreSQL: plan every statement afresh instead of reusing prepared ones (see
    /// [`Conn::planning_each`]).
    plan_each: bool,
}

enum Kind {
    Sqlite(rusqlite::Connection),
    Postgres(PgConn),
}

/// How a transaction treats other writers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exclusivity {
    /// One writer at a time across the whole service, as SQLite does anyway: a report's
    /// serial number and an import's quota count are read and written without a race.
    Exclusive,
    /// Appends that cannot conflict (the audit log).
    Shared,
    /// Writes to temporary tables only (an import staging a file): takes no lock on the
    /// registry, so other writers go on meanwhile. On SQLite a deferred BEGIN, which
    /// locks the database file only once the registry itself is read or written.
    TemporaryOnly,
}

/// Key of the PostgreSQL advisory lock that serialises exclusive transactions.
const WRITER_LOCK: i64 = 0x414e_4a55_4e47; // "ANJUNG"
/// Key of the advisory lock held while migrating the schema.
const MIGRATION_LOCK: i64 = 0x414e_4a55_4d47;

impl Conn {
    /// Opens a SQLite database file with the settings the service relies on.
    pub(crate) fn open_sqlite(path: &std::path::Path) -> Result<Conn, StoreError> {
        // The registry is created readable by the service's account only; SQLite gives its
        // journals the database file's mode.
        if !path.exists() {
            crate::data_dir::create_private(path)
                .map_err(|error| StoreError::Invalid(error.to_string()))?;
        }
        let conn = rusqlite::Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        // WAL: readers never wait for the writer. synchronous=FULL: a report the service
        // answered 201 for has its ticket printed at the kiosk, so it must survive a power
        // cut too. Lookups only read; writes are few or batched, so the fsync is cheap.
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        conn.execute_batch(
            "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -32000;",
        )?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(Conn { kind: Kind::Sqlite(conn), in_transaction: false, plan_each: false })
    }

    /// Connects to PostgreSQL. `schema`, when given, becomes the search path (tests use a
    /// schema each, in one database).
    pub(crate) fn open_postgres(
        target: &PgTarget,
        schema: Option<&str>,
    ) -> Result<Conn, StoreError> {
        Ok(Conn {
            kind: Kind::Postgres(PgConn::connect(target, schema)?),
            in_transaction: false,
            plan_each: false,
        })
    }

    pub(crate) fn in_transaction(&self) -> bool {
        self.in_transaction
    }

    /// Runs statements that take no parameters (DDL, transaction control).
    pub(crate) fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        match &mut self.kind {
            Kind::Sqlite(conn) => conn.execute_batch(sql)?,
            Kind::Postgres(pg) => pg.batch(sql)?,
        }
        Ok(())
    }

    /// Runs `work` with every statement planned for the data as it is at that moment. A
    /// bulk merge's best plan depends on how large its tables are, and a statement
    /// prepared once (say for a first import into an empty registry: lookups per row) is
    /// otherwise kept for the connection's life (and then, for a registry of millions,
    /// the wrong join). SQLite plans without statistics: nothing changes there.
    pub(crate) fn planning_each<T>(&mut self, work: impl FnOnce(&mut Conn) -> T) -> T {
        let before = std::mem::replace(&mut self.plan_each, true);
        let result = work(self);
        self.plan_each = before;
        result
    }

    /// Bulk-loads rows with PostgreSQL's `COPY ... FROM STDIN`, `data` being the complete
    /// input in the format `sql` names; returns the rows copied. SQLite has no COPY: its
    /// bulk path is multi-row INSERTs through [`Db::execute`].
    pub(crate) fn copy_in(&mut self, sql: &str, data: Vec<u8>) -> Result<u64, StoreError> {
        match &mut self.kind {
            Kind::Postgres(pg) => pg.copy_in(sql, data),
            Kind::Sqlite(_) => Err(StoreError::Invalid("COPY is PostgreSQL's only".into())),
        }
    }

    /// Runs `work` in one transaction, committed only if it returns `Ok`.
    pub(crate) fn transaction<T, E: From<StoreError>>(
        &mut self,
        exclusivity: Exclusivity,
        work: impl FnOnce(&mut Conn) -> Result<T, E>,
    ) -> Result<T, E> {
        let begin = match (self.dialect(), exclusivity) {
            // IMMEDIATE takes the write lock at once, so two writers never both read and
            // then fail to upgrade.
            (Dialect::Sqlite, Exclusivity::TemporaryOnly) => "BEGIN".to_owned(),
            (Dialect::Sqlite, _) => "BEGIN IMMEDIATE".to_owned(),
            (Dialect::Postgres, Exclusivity::Exclusive) => {
                format!("BEGIN; SELECT pg_advisory_xact_lock({WRITER_LOCK})")
            }
            (Dialect::Postgres, Exclusivity::Shared | Exclusivity::TemporaryOnly) => {
                "BEGIN".to_owned()
            }
        };
        self.batch(&begin)?;
        self.in_transaction = true;
        match work(self) {
            Ok(value) => {
                self.batch("COMMIT")?;
                self.in_transaction = false;
                Ok(value)
            }
            Err(error) => {
                if let Err(rollback) = self.batch("ROLLBACK") {
                    tracing::warn!(%rollback, "rollback failed; connection dropped");
                    return Err(error);
                }
                self.in_transaction = false;
                Err(error)
            }
        }
    }

    /// Runs reads as one read transaction on SQLite: they see one snapshot, and the file
    /// and WAL locks are taken once rather than once per statement (a status lookup's two
    /// statements cost noticeably less so). Elsewhere `work` runs as it is: inside a
    /// transaction already, or on PostgreSQL, where BEGIN and COMMIT would be two more round
    /// trips to the server.
    pub(crate) fn read<T>(
        &mut self,
        work: impl FnOnce(&mut Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if self.in_transaction || self.dialect() != Dialect::Sqlite {
            return work(self);
        }
        self.execute("BEGIN", &[])?;
        self.in_transaction = true;
        let result = work(self);
        // Nothing was written: COMMIT only ends the read, whatever `work` returned. Should it
        // fail, the connection is closed rather than reused (see `Pooled`).
        self.execute("COMMIT", &[])?;
        self.in_transaction = false;
        result
    }

    /// Applies the schema migrations this connection's database has not seen yet.
    pub(crate) fn migrate(&mut self) -> Result<(), StoreError> {
        match &mut self.kind {
            Kind::Sqlite(conn) => {
                // A step may rebuild a table others refer to (0012): SQLite's documented way
                // is with foreign keys off, then checked once. The setting cannot change
                // inside a transaction, and each step runs in one.
                let before: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
                conn.execute_batch("PRAGMA foreign_keys = OFF")?;
                let migrated = sqlite_migrations().to_latest(conn);
                conn.execute_batch("PRAGMA foreign_keys = ON")?;
                migrated?;
                let after: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
                if after != before {
                    let broken: i64 = conn.query_row(
                        "SELECT count(*) FROM pragma_foreign_key_check",
                        [],
                        |row| row.get(0),
                    )?;
                    if broken > 0 {
                        return Err(StoreError::Corrupt(format!(
                            "{broken} rows refer to rows missing after migrating to version {after}"
                        )));
                    }
                }
                Ok(())
            }
            Kind::Postgres(_) => self.migrate_postgres(),
        }
    }

    /// A minimal versioned runner: PostgreSQL's transactional DDL makes each step all or
    /// nothing, and an advisory lock keeps two starting services from migrating at once.
    fn migrate_postgres(&mut self) -> Result<(), StoreError> {
        self.batch(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
        let result = (|| {
            self.batch(
                "CREATE TABLE IF NOT EXISTS schema_migrations (
                     version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
            )?;
            let applied: i64 =
                self.query_value("SELECT coalesce(max(version), 0) FROM schema_migrations", &[])?;
            for (index, sql) in POSTGRES_MIGRATIONS.iter().enumerate() {
                let version = index as i64 + 1;
                if version <= applied {
                    continue;
                }
                self.transaction(Exclusivity::Shared, |db| -> Result<(), StoreError> {
                    db.batch(sql)?;
                    db.execute(
                        "INSERT INTO schema_migrations (version) VALUES (?1)",
                        &[Param::Int(version)],
                    )?;
                    Ok(())
                })?;
            }
            Ok(())
        })();
        self.batch(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
        result
    }
}

/// The schema, step by step. Steps after the first are written in SQL both databases share,
/// but for SQLite's rebuild of residents (step 12, a no-op on PostgreSQL) and the report
/// steps' identity column (step 20).
pub(super) fn sqlite_migrations() -> rusqlite_migration::Migrations<'static> {
    use rusqlite_migration::M;
    rusqlite_migration::Migrations::new(vec![
        M::up(include_str!("../../migrations/0001_registry.sql")),
        M::up(include_str!("../../migrations/0002_kiosks.sql")),
        M::up(include_str!("../../migrations/0003_reports.sql")),
        M::up(include_str!("../../migrations/0004_report_workflow.sql")),
        M::up(include_str!("../../migrations/0005_staff.sql")),
        M::up(include_str!("../../migrations/0006_lookup_indexes.sql")),
        M::up(include_str!("../../migrations/0007_fleet.sql")),
        M::up(include_str!("../../migrations/0008_kiosk_issuer.sql")),
        M::up(include_str!("../../migrations/0009_letters.sql")),
        M::up(include_str!("../../migrations/0010_population.sql")),
        M::up(include_str!("../../migrations/0011_alerts.sql")),
        M::up(include_str!("../../migrations/sqlite/0012_residents_nik_index.sql")),
        M::up(include_str!("../../migrations/0013_login_limits.sql")),
        M::up(include_str!("../../migrations/0014_kiosk_usage.sql")),
        M::up(include_str!("../../migrations/0015_nik_entry.sql")),
        M::up(include_str!("../../migrations/0016_durable_nonces.sql")),
        M::up(include_str!("../../migrations/0017_heartbeat_pins.sql")),
        M::up(include_str!("../../migrations/0018_letters_issued.sql")),
        M::up(include_str!("../../migrations/0019_console_sessions.sql")),
        M::up(include_str!("../../migrations/sqlite/0020_report_batches.sql")),
        M::up(include_str!("../../migrations/sqlite/0022_registry_search.sql")),
        M::up(include_str!("../../migrations/0023_import_jobs.sql")),
        M::up(include_str!("../../migrations/0024_alert_notes_audit_indexes.sql")),
    ])
}

/// PostgreSQL's first step differs only where the dialects do (identity columns, the
/// append-only trigger); the rest are the shared files, but for steps 12 and 20.
pub(super) const POSTGRES_MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_registry.sql"),
    include_str!("../../migrations/0002_kiosks.sql"),
    include_str!("../../migrations/0003_reports.sql"),
    include_str!("../../migrations/0004_report_workflow.sql"),
    include_str!("../../migrations/0005_staff.sql"),
    include_str!("../../migrations/0006_lookup_indexes.sql"),
    include_str!("../../migrations/0007_fleet.sql"),
    include_str!("../../migrations/0008_kiosk_issuer.sql"),
    include_str!("../../migrations/0009_letters.sql"),
    include_str!("../../migrations/0010_population.sql"),
    include_str!("../../migrations/0011_alerts.sql"),
    include_str!("../../migrations/postgres/0012_residents_nik_index.sql"),
    include_str!("../../migrations/0013_login_limits.sql"),
    include_str!("../../migrations/0014_kiosk_usage.sql"),
    include_str!("../../migrations/0015_nik_entry.sql"),
    include_str!("../../migrations/0016_durable_nonces.sql"),
    include_str!("../../migrations/0017_heartbeat_pins.sql"),
    include_str!("../../migrations/0018_letters_issued.sql"),
    include_str!("../../migrations/0019_console_sessions.sql"),
    include_str!("../../migrations/postgres/0020_report_batches.sql"),
    include_str!("../../migrations/postgres/0022_registry_search.sql"),
    include_str!("../../migrations/0023_import_jobs.sql"),
    include_str!("../../migrations/0024_alert_notes_audit_indexes.sql"),
];

impl Db for Conn {
    fn dialect(&self) -> Dialect {
        match self.kind {
            Kind::Sqlite(_) => Dialect::Sqlite,
            Kind::Postgres(_) => Dialect::Postgres,
        }
    }

    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, StoreError> {
        match &mut self.kind {
            Kind::Sqlite(conn) => {
                let mut statement = conn.prepare_cached(sql)?;
                Ok(statement.execute(rusqlite::params_from_iter(params.iter()))? as u64)
            }
            Kind::Postgres(pg) => pg.execute(sql, params, !self.plan_each),
        }
    }

    fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, StoreError> {
        match &mut self.kind {
            Kind::Sqlite(conn) => {
                let mut statement = conn.prepare_cached(sql)?;
                let columns = statement.column_count();
                let mut rows = statement.query(rusqlite::params_from_iter(params.iter()))?;
                let mut out = Vec::new();
                while let Some(row) = rows.next()? {
                    let mut values = Vec::with_capacity(columns);
                    for index in 0..columns {
                        values.push(sqlite_value(row.get_ref(index)?)?);
                    }
                    out.push(Row(values));
                }
                Ok(out)
            }
            Kind::Postgres(pg) => pg.query(sql, params, !self.plan_each),
        }
    }
}

fn sqlite_value(value: rusqlite::types::ValueRef<'_>) -> Result<Value, StoreError> {
    use rusqlite::types::ValueRef;
    Ok(match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) => Value::Int(n),
        ValueRef::Text(bytes) => Value::Text(
            std::str::from_utf8(bytes)
                .map_err(|_| StoreError::Corrupt("text column is not UTF-8".into()))?
                .to_owned(),
        ),
        ValueRef::Real(_) | ValueRef::Blob(_) => {
            return Err(StoreError::Corrupt("unexpected real or blob column".into()));
        }
    })
}

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value as Owned, ValueRef};
        Ok(match *self {
            Param::Null => ToSqlOutput::Owned(Owned::Null),
            Param::Int(n) => ToSqlOutput::Owned(Owned::Integer(n)),
            Param::Bool(b) => ToSqlOutput::Owned(Owned::Integer(b as i64)),
            Param::Text(text) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A registry written before step 12 keeps every resident and every membership naming
    /// one through the rebuild, and NIKs stay unique through the new index.
    #[test]
    fn step_twelve_rebuilds_residents_keeping_their_rows_and_references() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("registry.sqlite3");
        {
            let mut conn = rusqlite::Connection::open(&path).expect("open");
            sqlite_migrations().to_version(&mut conn, 11).expect("up to step 11");
            conn.execute_batch(
                "INSERT INTO programs VALUES ('PKH', 'PKH', 'PKH', 'central', 'household');
                 INSERT INTO families (kk, desa_code, address) VALUES
                     ('3510092504150001', 3510092001, 'JL. MAWAR 4');
                 INSERT INTO residents (nik, kk, name, sex, birth_date, relation, shdk, religion)
                 VALUES ('3510091203850001', '3510092504150001', 'BUDI', 'male',
                         '1985-03-12', 'head', 1, 1),
                        ('3510095506880002', '3510092504150001', 'SITI', 'female',
                         '1988-06-15', 'spouse', 3, 1);
                 INSERT INTO memberships (program, kk, member_nik, state, since, desa_code)
                 VALUES ('PKH', '3510092504150001', '3510095506880002', 'active',
                         '2024-01-01', 3510092001);",
            )
            .expect("a registry of step 11");
        }
        let mut conn = Conn::open_sqlite(&path).expect("open");
        conn.migrate().expect("migrate");
        let residents = conn
            .query("SELECT nik, name, shdk, religion FROM residents ORDER BY nik", &[])
            .expect("residents");
        let names: Vec<String> =
            residents.into_iter().map(|mut row| row.get(1).expect("name")).collect();
        assert_eq!(names, ["BUDI", "SITI"]);
        let member: String = conn
            .query_value(
                "SELECT r.name FROM memberships m JOIN residents r ON r.nik = m.member_nik",
                &[],
            )
            .expect("the membership still names her");
        assert_eq!(member, "SITI");
        let indexes: Vec<String> = conn
            .query("SELECT name FROM pragma_index_list('residents') ORDER BY name", &[])
            .expect("indexes")
            .into_iter()
            .map(|mut row| row.get(0).expect("name"))
            .collect();
        // residents_by_name: step 22's, for the registry search.
        assert_eq!(indexes, ["residents_by_kk_life", "residents_by_name", "residents_nik"]);
        let twice = conn.execute(
            "INSERT INTO residents (nik, kk, name, sex, birth_date, relation)
             VALUES ('3510091203850001', '3510092504150001', 'BUDI LAGI', 'male', '1985-03-12', 'head')",
            &[],
        );
        assert!(twice.is_err(), "a NIK registered twice");
        let orphan = conn.execute(
            "INSERT INTO memberships (program, nik, state, since, desa_code)
             VALUES ('PKH', '3510091203850009', 'active', '2024-01-01', 3510092001)",
            &[],
        );
        assert!(orphan.is_err(), "foreign keys are on again and see the rebuilt table");
    }
}
