//! Writing a population file or a DTSEN desil file into the registry: every row staged in
//! a temporary table (without locking the registry), then merged with set-based SQL in one
//! write transaction, so a file of 1.7 million residents is written in seconds and all or
//! nothing.
//!
//! The caller (the registry import) reads and validates the file and pushes the records it
//! accepts; this module decides what changed, writes it, records the import and its
//! history, and answers what it did.

mod desil;
mod insert;
mod merge;
mod stage;

use std::collections::{HashMap, HashSet};
use std::fmt;

use protocol::mask::{mask_digits_in, mask_name};
use protocol::{NoKk, Sex};

use super::bulk::BulkInsert;
use super::conn::{Conn, Exclusivity};
use super::sql::{Db, Dialect, Param, params};
use super::{Store, StoreError};
use crate::population::PersonRecord;
use stage::create_temp;

pub use desil::{DesilMiss, DesilOutcome, DesilRecord, DesilWriter};

/// Which kind of file an import read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Population,
    Desil,
}

impl ImportKind {
    /// The name `registry_imports.kind` stores.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Population => "population",
            ImportKind::Desil => "desil",
        }
    }
}

/// What is recorded about an import besides its counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportMeta {
    /// The import's own identifier, chosen by the service (also in its report file).
    pub id: String,
    pub kind: ImportKind,
    /// When it ran, RFC 3339; also the `ended_at` of the memberships it ends.
    pub at: String,
    pub actor: String,
    pub file_name: String,
    /// Hex SHA-256 of the file's bytes.
    pub sha256: String,
    /// The file's layout ("opensid", "siak", ...).
    pub layout: String,
    /// Work out the same outcome, then write nothing.
    pub dry_run: bool,
}

/// What reading the file found, as the reader counted it; recorded with the import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub rows_read: u64,
    pub accepted: u64,
    pub rejected: u64,
    /// The file's SHA-256 and layout as the reader found them, known only once the file is
    /// read; they take the place of [`ImportMeta`]'s when given.
    pub sha256: String,
    pub layout: String,
}

/// One changed field: of a resident (`nik` set) or of a family (`kk` set). Values are the
/// stored ones, whole (codes as numbers): the caller masks them for reports and logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Change {
    pub nik: Option<String>,
    pub kk: Option<String>,
    /// The column's name: `kk`, `name`, `religion`, `life_status`, ..., or for a family
    /// `desa`, `dusun`, `rw`, `rt`, `address`, `desil`.
    pub field: &'static str,
    pub before: Option<String>,
    pub after: Option<String>,
    /// The file's line (or sheet row) behind the change: the resident's row, or for a
    /// family the first row naming its KK; `None` when no row of this import names it.
    pub line: Option<u64>,
}

/// Masked, so that a stray `{:?}` cannot log whose record changed.
impl fmt::Debug for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let personal = matches!(
            self.field,
            "name" | "birth_place" | "father_name" | "mother_name" | "address"
        );
        let shown = |value: &Option<String>| {
            value.as_deref().map(|text| {
                let text = mask_digits_in(text);
                if personal { mask_name(&text) } else { text }
            })
        };
        f.debug_struct("Change")
            .field("nik", &self.nik.as_deref().map(mask_digits_in))
            .field("kk", &self.kk.as_deref().map(mask_digits_in))
            .field("field", &self.field)
            .field("before", &shown(&self.before))
            .field("after", &shown(&self.after))
            .finish()
    }
}

/// What a population import did (or, dry, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PopulationOutcome {
    /// Residents new to the registry.
    pub inserted: u64,
    /// Residents already registered with at least one of their own fields changed.
    pub updated: u64,
    /// Residents already registered with none of their own fields changed (a change of
    /// their family's desa or RT alone leaves them here; it is in `changes`, keyed by KK).
    pub unchanged: u64,
    /// Families (KK) new to the registry.
    pub families_new: u64,
    /// Memberships ended because their person, or every member of their household, is no
    /// longer alive and resident.
    pub memberships_ended: u64,
    /// Every changed field, residents' first, each group in key order.
    pub changes: Vec<Change>,
}

impl Store {
    /// One write transaction for the whole file: everything pushed, or nothing. Records the
    /// import in registry_imports (with the counts `work` returns) and every change in
    /// resident_history. `dry_run`: computes the same outcome, then rolls back.
    ///
    /// `work` pushes the accepted records, each NIK once, and every KK with its head
    /// (SHDK 1) among its rows: the family's address is the head's. The rows are staged
    /// while `work` runs, without locking the registry; it is locked for the merge alone.
    pub fn import_population<E: From<StoreError>>(
        &self,
        meta: &ImportMeta,
        work: impl FnOnce(&mut PopulationWriter<'_>) -> Result<ImportCounts, E>,
    ) -> Result<PopulationOutcome, E> {
        expect_kind(meta, ImportKind::Population)?;
        self.import(
            meta.dry_run,
            merge::TEMP_TABLES,
            |db| {
                merge::create_stage(db)?;
                let stage = BulkInsert::new(db.dialect(), merge::STAGE, merge::STAGE_COLUMNS);
                let mut writer = PopulationWriter { db, stage, heads: Heads::default() };
                let counts = work(&mut writer)?;
                let PopulationWriter { db, mut stage, heads } = writer;
                let staged = stage.finish(db)?;
                merge::prepare(db)?;
                Ok((counts, staged, heads.headless()))
            },
            |db, (counts, staged, headless)| merge::merge(db, meta, &counts, staged, &headless),
        )
    }

    /// Runs an import in two transactions on one connection: `stage` writes temporary
    /// tables only, so other writers are not held up while a file is read; `merge` then
    /// writes the registry in one exclusive transaction, committed when it succeeds, rolled
    /// back when it fails or when the import is a dry run (whose outcome is answered all
    /// the same). The temporary tables are dropped after, whatever happened.
    fn import<S, T, E: From<StoreError>>(
        &self,
        dry_run: bool,
        temp_tables: &[&str],
        stage: impl FnOnce(&mut Conn) -> Result<S, E>,
        merge: impl FnOnce(&mut Conn, S) -> Result<T, StoreError>,
    ) -> Result<T, E> {
        let mut conn = self.pool.get()?;
        let result = conn.planning_each(|conn| {
            let staged = conn.transaction(Exclusivity::TemporaryOnly, |db| {
                bulk_settings(db)?;
                stage(db)
            })?;
            // SQLite checks each resident's KK against families row by row, an eighth of a
            // kabupaten's first import. The merge makes that check itself, for the whole
            // file at once: every staged family is written before its residents, and a
            // resident of a KK neither staged nor registered refuses the file. The setting
            // cannot change inside a transaction, so it is set around the merge's.
            let fk_off = conn.dialect() == Dialect::Sqlite;
            if fk_off {
                conn.batch("PRAGMA foreign_keys = OFF")?;
            }
            let merged = conn.transaction(Exclusivity::Exclusive, |db| {
                bulk_settings(db)?;
                let outcome = merge(db, staged)?;
                if dry_run { Err(Abort::DryRun(outcome)) } else { Ok(outcome) }
            });
            if fk_off {
                conn.batch("PRAGMA foreign_keys = ON")?;
            }
            match merged {
                Ok(outcome) | Err(Abort::DryRun(outcome)) => Ok(outcome),
                Err(Abort::Failed(error)) => Err(E::from(error)),
            }
        });
        if let Err(error) = stage::drop_temp(&mut conn, temp_tables) {
            tracing::warn!(%error, "an import's temporary tables were not dropped");
        }
        result
    }
}

/// PostgreSQL: the import sorts, hashes and indexes whole files, in memory rather than in
/// batches on disk. For the transaction only.
fn bulk_settings(db: &mut Conn) -> Result<(), StoreError> {
    match db.dialect() {
        Dialect::Postgres => {
            db.batch("SET LOCAL work_mem = '128MB'; SET LOCAL maintenance_work_mem = '256MB'")
        }
        Dialect::Sqlite => Ok(()),
    }
}

/// Why the merge's transaction is not committed: it failed, or it was only a dry run (the
/// one way out of [`Conn::transaction`] that rolls back and still carries a result).
enum Abort<T> {
    Failed(StoreError),
    DryRun(T),
}

impl<T> From<StoreError> for Abort<T> {
    fn from(error: StoreError) -> Self {
        Abort::Failed(error)
    }
}

fn expect_kind(meta: &ImportMeta, kind: ImportKind) -> Result<(), StoreError> {
    if meta.kind == kind {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "a {} import given as {}",
            kind.as_str(),
            meta.kind.as_str()
        )))
    }
}

/// Takes the accepted records of a population file into the import's staging table.
pub struct PopulationWriter<'a> {
    db: &'a mut Conn,
    stage: BulkInsert,
    heads: Heads,
}

/// Which of the file's KKs have their head among the rows, and the first line of each
/// that (so far) has not: a few bytes per family, so that a KK without a head is found
/// without another pass over the staged rows.
#[derive(Default)]
struct Heads {
    headed: HashSet<u64>,
    unheaded: HashMap<u64, u64>,
}

impl Heads {
    /// Forgets a KK whose rows were taken back.
    fn forget(&mut self, kk: &NoKk) {
        let kk: u64 = kk.as_str().parse().unwrap_or(u64::MAX);
        self.headed.remove(&kk);
        self.unheaded.remove(&kk);
    }

    fn note(&mut self, record: &PersonRecord) {
        // A KK is 16 digits: it always fits.
        let kk: u64 = record.kk.as_str().parse().unwrap_or(u64::MAX);
        if record.is_head() {
            self.headed.insert(kk);
            self.unheaded.remove(&kk);
        } else if !self.headed.contains(&kk) {
            self.unheaded.entry(kk).or_insert(record.line);
        }
    }

    /// The KKs without a head, each with its first line, in line order.
    fn headless(&self) -> Vec<(String, u64)> {
        let mut headless: Vec<(String, u64)> =
            self.unheaded.iter().map(|(kk, line)| (format!("{kk:016}"), *line)).collect();
        headless.sort_by_key(|(_, line)| *line);
        headless
    }
}

/// Rows taken back are read back this many at a time.
const WITHDRAWN_PAGE: i64 = 4096;

impl PopulationWriter<'_> {
    /// Takes the staged rows of `families` back out of the import: the reader refuses them
    /// only once the whole file is read (a family without exactly one head). Hands each to
    /// `each` as (line, NIK, KK) in line order, and returns how many there were. They are
    /// moved to a table of their own and read back a page at a time, so memory stays flat
    /// however many there are.
    pub fn withdraw<E: From<StoreError>>(
        &mut self,
        families: &[NoKk],
        each: &mut dyn FnMut(u64, &str, &str) -> Result<(), E>,
    ) -> Result<u64, E> {
        if families.is_empty() {
            return Ok(0);
        }
        self.stage.finish(self.db)?;
        create_temp(self.db, merge::WITHDRAWN_FAMILIES, "kk TEXT NOT NULL PRIMARY KEY")?;
        let mut kks = BulkInsert::new(self.db.dialect(), merge::WITHDRAWN_FAMILIES, &["kk"]);
        for kk in families {
            self.heads.forget(kk);
            kks.push(self.db, &[Param::Text(kk.as_str())])?;
        }
        kks.finish(self.db)?;
        create_temp(
            self.db,
            merge::WITHDRAWN_ROWS,
            "line BIGINT NOT NULL, nik TEXT NOT NULL, kk TEXT NOT NULL, PRIMARY KEY (line, nik)",
        )?;
        let (stage, rows, kks) = (merge::STAGE, merge::WITHDRAWN_ROWS, merge::WITHDRAWN_FAMILIES);
        let theirs = format!("WHERE kk IN (SELECT kk FROM {kks})");
        self.db.execute(
            &format!(
                "INSERT INTO {rows} (line, nik, kk) SELECT line, nik, kk FROM {stage} {theirs}"
            ),
            &[],
        )?;
        let taken = self.db.execute(&format!("DELETE FROM {stage} {theirs}"), &[])?;
        self.stage.unstage(taken);
        let page = format!(
            "SELECT line, nik, kk FROM {rows} WHERE (line, nik) > (?1, ?2)
             ORDER BY line, nik LIMIT {WITHDRAWN_PAGE}"
        );
        let mut after = (-1i64, String::new());
        loop {
            let found = self.db.query(&page, &[Param::Int(after.0), Param::Text(&after.1)])?;
            if found.is_empty() {
                return Ok(taken);
            }
            for mut row in found {
                let (line, nik, kk): (i64, String, String) =
                    (row.get(0)?, row.get(1)?, row.get(2)?);
                each(u64::try_from(line).unwrap_or_default(), &nik, &kk)?;
                after = (line, nik);
            }
        }
    }

    /// Stages one record; rows are written a chunk at a time, so memory stays flat.
    pub fn push(&mut self, record: &PersonRecord) -> Result<(), StoreError> {
        self.heads.note(record);
        let date = record.birth_date;
        let birth_date =
            format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day());
        let sex = match record.sex {
            Sex::Male => "male",
            Sex::Female => "female",
        };
        let address = &record.address;
        self.stage.push(
            self.db,
            params![
                record.nik.as_str(),
                record.kk.as_str(),
                record.name,
                sex,
                record.birth_place,
                birth_date,
                record.religion,
                record.education,
                record.occupation,
                record.marital_status,
                record.shdk,
                record.nationality,
                record.blood_type,
                record.father_name,
                record.mother_name,
                record.life_status.as_str(),
                address.desa_code,
                address.dusun,
                address.rw,
                address.rt,
                address.street,
                record.line
            ],
        )
    }
}

/// Writes the import's row; its `changed` is set by [`finish_import`] once known.
fn record_import(
    db: &mut Conn,
    meta: &ImportMeta,
    counts: &ImportCounts,
) -> Result<(), StoreError> {
    db.execute(
        "INSERT INTO registry_imports
             (id, kind, at, actor, file_name, sha256, layout, rows_read, accepted, rejected, changed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0)",
        params![
            meta.id,
            meta.kind.as_str(),
            meta.at,
            meta.actor,
            meta.file_name,
            if counts.sha256.is_empty() { &meta.sha256 } else { &counts.sha256 },
            if counts.layout.is_empty() { &meta.layout } else { &counts.layout },
            counts.rows_read,
            counts.accepted,
            counts.rejected
        ],
    )?;
    Ok(())
}

/// Reads back the import's history, records how many fields it changed, and returns them.
/// `stage` is the import's staging table, with the `line`, `nik` and `kk` of every row.
fn finish_import(db: &mut Conn, import_id: &str, stage: &str) -> Result<Vec<Change>, StoreError> {
    let rows = db.query(
        &format!(
            "SELECT h.nik, h.kk, h.field, h.before, h.after,
                    CASE WHEN h.nik IS NOT NULL
                         THEN (SELECT min(s.line) FROM {stage} s WHERE s.nik = h.nik)
                         ELSE (SELECT min(s.line) FROM {stage} s WHERE s.kk = h.kk) END
             FROM resident_history h WHERE h.import_id = ?1
             ORDER BY CASE WHEN h.nik IS NULL THEN 1 ELSE 0 END, coalesce(h.nik, h.kk), h.field"
        ),
        params![import_id],
    )?;
    let changes = rows
        .into_iter()
        .map(|mut row| {
            let field: String = row.get(2)?;
            Ok(Change {
                nik: row.get(0)?,
                kk: row.get(1)?,
                field: known_field(&field)?,
                before: row.get(3)?,
                after: row.get(4)?,
                line: row.get::<Option<i64>>(5)?.and_then(|line| u64::try_from(line).ok()),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    db.execute(
        "UPDATE registry_imports SET changed = ?2 WHERE id = ?1",
        &[Param::Text(import_id), Param::Int(changes.len() as i64)],
    )?;
    Ok(changes)
}

/// The field a history row names, as one of the merge's own field names (the residents'
/// columns, the families', and `desil` of a desil import).
fn known_field(name: &str) -> Result<&'static str, StoreError> {
    merge::RESIDENT_FIELDS
        .iter()
        .copied()
        .chain(merge::FAMILY_FIELDS.iter().map(|(_, field)| *field))
        .chain(["desil"])
        .find(|field| *field == name)
        .ok_or_else(|| StoreError::Corrupt(format!("history of an unknown field {name:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks SQLite's plans (EXPLAIN QUERY PLAN) of `statements`, each given with the one
    /// table (by its alias) it may walk: anything else it reads must be found by key, and
    /// no index may be built on the fly. PostgreSQL plans the same joins as hash or merge
    /// joins from the tables' statistics. `setup` creates the temporary tables.
    pub(super) fn check_plans(
        setup: impl FnOnce(&mut Conn) -> Result<(), StoreError>,
        statements: &[(String, &str)],
    ) {
        let store = Store::open_temporary().expect("store");
        let mut conn = store.pool.get().expect("connection");
        if conn.dialect() != Dialect::Sqlite {
            return;
        }
        conn.transaction(Exclusivity::Exclusive, |db| {
            setup(db)?;
            for (sql, walked) in statements {
                let placeholders = if sql.contains("?1") { 1 } else { 0 };
                let params = vec![Param::Text("x"); placeholders];
                let plan = db.query(&format!("EXPLAIN QUERY PLAN {sql}"), &params)?;
                let details: Vec<String> =
                    plan.into_iter().map(|mut row| row.get(3)).collect::<Result<_, _>>()?;
                for detail in &details {
                    let scan = detail
                        .strip_prefix("SCAN ")
                        .map(|rest| rest.split_whitespace().next().unwrap_or_default());
                    // Inserting residents, SQLite plans the foreign key check of the
                    // memberships naming them (member_nik has no index); it runs only
                    // while the statement has a violation outstanding, which the check
                    // for unknown families before it rules out.
                    let fk_check =
                        sql.starts_with("INSERT INTO residents") && detail == "SCAN memberships";
                    let allowed = match scan {
                        // `fields`: a history statement's list of field names.
                        Some(table) => {
                            table == *walked
                                || table == "fields"
                                || detail == "SCAN CONSTANT ROW"
                                || fk_check
                        }
                        None => !detail.contains("AUTOMATIC"),
                    };
                    assert!(allowed, "{detail:?} in the plan of\n{sql}\n{details:#?}");
                }
            }
            Ok::<_, StoreError>(())
        })
        .expect("plans");
    }
}
