//! Writing a DTSEN desil file: each row names a family by KK, by one member's NIK, or by
//! both, and gives its welfare decile. Rows are staged, matched to families in SQL, and the
//! families' desil set where it changes, with one history row each.

use protocol::{Nik, NoKk};

use super::super::bulk::BulkInsert;
use super::super::conn::Conn;
use super::super::sql::{Db, params};
use super::super::{Store, StoreError};
use super::stage::create_temp;
use super::{Change, ImportCounts, ImportKind, ImportMeta, expect_kind};
use super::{finish_import, record_import};
pub use crate::population::read::DesilRecord;

/// Why a row's desil was not applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DesilMiss {
    /// Neither the KK nor the NIK is in the registry.
    NotRegistered,
    /// The row gives a KK and a NIK, and the NIK is not a member of that KK.
    NikNotInKk,
    /// Two rows give one family different desil: neither is applied.
    Conflicting,
}

impl DesilMiss {
    /// Stable snake_case name, for the report file.
    pub fn code(self) -> &'static str {
        match self {
            DesilMiss::NotRegistered => "not_registered",
            DesilMiss::NikNotInKk => "nik_not_in_kk",
            DesilMiss::Conflicting => "conflicting",
        }
    }

    fn from_code(code: &str) -> Option<DesilMiss> {
        [DesilMiss::NotRegistered, DesilMiss::NikNotInKk, DesilMiss::Conflicting]
            .into_iter()
            .find(|miss| miss.code() == code)
    }
}

/// What a desil import did (or, dry, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DesilOutcome {
    /// Rows matched to a family and applied (agreeing rows of one family each count).
    pub matched: u64,
    /// Families whose desil changed.
    pub changed: u64,
    /// Rows not applied, in line order.
    pub unmatched: Vec<(u64, DesilMiss)>,
    /// One `desil` change per family whose desil changed, keyed by KK.
    pub changes: Vec<Change>,
}

const STAGE: &str = "desil_stage";
const STAGE_COLUMNS: &[&str] = &["line", "kk", "nik", "desil"];

impl Store {
    /// One write transaction for the whole file, as [`Store::import_population`]: each
    /// row is matched on its KK or its NIK, each matched family's desil set (and
    /// `desil_import`, where it changes), the import recorded with its history.
    pub fn import_desil<E: From<StoreError>>(
        &self,
        meta: &ImportMeta,
        work: impl FnOnce(&mut DesilWriter<'_>) -> Result<ImportCounts, E>,
    ) -> Result<DesilOutcome, E> {
        expect_kind(meta, ImportKind::Desil)?;
        self.import(
            meta.dry_run,
            &[STAGE, "desil_apply"],
            |db| {
                create_tables(db)?;
                let stage = BulkInsert::new(db.dialect(), STAGE, STAGE_COLUMNS);
                let mut writer = DesilWriter { db, stage };
                let counts = work(&mut writer)?;
                let DesilWriter { db, mut stage } = writer;
                stage.finish(db)?;
                Ok(counts)
            },
            |db, counts| merge(db, meta, &counts),
        )
    }
}

/// Takes the accepted rows of a desil file into the import's staging table.
pub struct DesilWriter<'a> {
    db: &'a mut Conn,
    stage: BulkInsert,
}

impl DesilWriter<'_> {
    pub fn push(&mut self, record: &DesilRecord) -> Result<(), StoreError> {
        if !(1..=10).contains(&record.desil) {
            return Err(StoreError::Invalid(format!(
                "desil {} on line {} is not 1-10",
                record.desil, record.line
            )));
        }
        self.stage.push(
            self.db,
            params![
                record.line,
                record.kk.as_ref().map(NoKk::as_str),
                record.nik.as_ref().map(Nik::as_str),
                record.desil
            ],
        )
    }
}

fn merge(
    db: &mut Conn,
    meta: &ImportMeta,
    counts: &ImportCounts,
) -> Result<DesilOutcome, StoreError> {
    record_import(db, meta, counts)?;
    let id = params![meta.id];
    db.execute(MATCH_FAMILIES, &[])?;
    db.execute(MARK_MISSES, &[])?;
    db.execute(MARK_CONFLICTS, &[])?;
    db.execute(FILL_APPLY, &[])?;
    db.execute(HISTORY, id)?;
    let changed = db.execute(APPLY, id)?;
    let matched: u64 =
        db.query_value("SELECT count(*) FROM desil_stage WHERE miss IS NULL", &[])?;
    let unmatched = db
        .query("SELECT line, miss FROM desil_stage WHERE miss IS NOT NULL ORDER BY line", &[])?
        .into_iter()
        .map(|mut row| {
            let (line, miss): (u64, String) = (row.get(0)?, row.get(1)?);
            let miss = DesilMiss::from_code(&miss)
                .ok_or_else(|| StoreError::Corrupt(format!("desil miss {miss:?}")))?;
            Ok((line, miss))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let changes = finish_import(db, &meta.id, STAGE)?;
    Ok(DesilOutcome { matched, changed, unmatched, changes })
}

fn create_tables(db: &mut Conn) -> Result<(), StoreError> {
    create_temp(
        db,
        STAGE,
        "line BIGINT NOT NULL, kk TEXT, nik TEXT, desil SMALLINT NOT NULL, family TEXT, miss TEXT",
    )?;
    // The desil each matched family is given.
    create_temp(db, "desil_apply", "kk TEXT NOT NULL PRIMARY KEY, desil SMALLINT NOT NULL")
}

/// Which family each row names: by KK, by NIK, or (both given) the NIK within the KK.
const MATCH_FAMILIES: &str = "UPDATE desil_stage SET family = CASE
         WHEN nik IS NULL THEN (SELECT f.kk FROM families f WHERE f.kk = desil_stage.kk)
         WHEN kk IS NULL THEN (SELECT r.kk FROM residents r WHERE r.nik = desil_stage.nik)
         ELSE (SELECT r.kk FROM residents r
               WHERE r.nik = desil_stage.nik AND r.kk = desil_stage.kk)
     END";

/// Why the others name none.
const MARK_MISSES: &str = "UPDATE desil_stage SET miss = CASE
         WHEN kk IS NOT NULL AND nik IS NOT NULL
              AND (EXISTS (SELECT 1 FROM families f WHERE f.kk = desil_stage.kk)
                   OR EXISTS (SELECT 1 FROM residents r WHERE r.nik = desil_stage.nik))
         THEN 'nik_not_in_kk' ELSE 'not_registered' END
     WHERE family IS NULL";

/// Rows giving one family different desil: none of them counts.
const MARK_CONFLICTS: &str = "UPDATE desil_stage SET miss = 'conflicting'
     WHERE miss IS NULL AND family IN (
         SELECT family FROM desil_stage WHERE miss IS NULL
         GROUP BY family HAVING min(desil) <> max(desil))";

const FILL_APPLY: &str = "INSERT INTO desil_apply (kk, desil)
     SELECT family, min(desil) FROM desil_stage WHERE miss IS NULL GROUP BY family";

/// A history row per family whose desil changes (?1: the import).
const HISTORY: &str = "INSERT INTO resident_history (import_id, nik, kk, field, before, after)
     SELECT CAST(?1 AS TEXT), NULL, a.kk, 'desil', CAST(f.desil AS TEXT), CAST(a.desil AS TEXT)
     FROM desil_apply a JOIN families f ON f.kk = a.kk
     WHERE f.desil IS DISTINCT FROM a.desil";

/// Sets the changed ones, found by key from the matched families (?1: the import).
const APPLY: &str = "UPDATE families SET (desil, desil_import) =
         (SELECT a.desil, CAST(?1 AS TEXT) FROM desil_apply a WHERE a.kk = families.kk)
     WHERE kk IN (SELECT kk FROM desil_apply)
       AND desil IS DISTINCT FROM (SELECT a.desil FROM desil_apply a WHERE a.kk = families.kk)";

#[cfg(test)]
mod tests {
    use super::*;

    /// SQLite's plans: each statement walks its one table and finds the rest by key.
    #[test]
    fn no_desil_statement_walks_a_table_inside_another() {
        let statements = [
            (MATCH_FAMILIES, "desil_stage"),
            (MARK_MISSES, "desil_stage"),
            (MARK_CONFLICTS, "desil_stage"),
            (FILL_APPLY, "desil_stage"),
            (HISTORY, "a"),
            (APPLY, "desil_apply"),
        ];
        let statements: Vec<(String, &str)> =
            statements.iter().map(|(sql, walked)| (sql.to_string(), *walked)).collect();
        super::super::tests::check_plans(create_tables, &statements);
    }
}
