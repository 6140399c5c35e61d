//! Merging a staged population file into the registry with set-based SQL: the differences
//! first (into small temporary tables, from which the history is written), then the
//! families and residents, then the memberships that end. Every statement walks one table
//! once and finds its partner rows by primary key, on both databases.

use super::super::StoreError;
use super::super::conn::Conn;
use super::super::sql::{Db, Dialect, Param, params};
use super::stage::{create_temp, drop_temp};
use super::{ImportCounts, ImportMeta, PopulationOutcome, finish_import, record_import};
use crate::population::record::relation_of_shdk;

/// The staging table of a population import.
pub(super) const STAGE: &str = "population_stage";

/// Its columns, in the order [`super::PopulationWriter::push`] binds them.
pub(super) const STAGE_COLUMNS: &[&str] = &[
    "nik",
    "kk",
    "name",
    "sex",
    "birth_place",
    "birth_date",
    "religion",
    "education",
    "occupation",
    "marital_status",
    "shdk",
    "nationality",
    "blood_type",
    "father_name",
    "mother_name",
    "life_status",
    "desa_code",
    "dusun",
    "rw",
    "rt",
    "address",
    "line",
];

/// A resident's own fields as an import states them: the `residents` columns of the same
/// name, and the history's field names.
const RESIDENT_FIELDS: &[&str] = &[
    "kk",
    "name",
    "sex",
    "birth_place",
    "birth_date",
    "religion",
    "education",
    "occupation",
    "marital_status",
    "shdk",
    "nationality",
    "blood_type",
    "father_name",
    "mother_name",
    "life_status",
];

/// A family's fields: (column of `families` and of the staging tables, history field).
const FAMILY_FIELDS: &[(&str, &str)] = &[
    ("desa_code", "desa"),
    ("dusun", "dusun"),
    ("rw", "rw"),
    ("rt", "rt"),
    ("address", "address"),
];

const TEMP_TABLES: &[&str] = &[STAGE, "family_stage", "resident_diff", "family_diff"];

pub(super) fn create_stage(db: &mut Conn) -> Result<(), StoreError> {
    create_temp(
        db,
        STAGE,
        "nik TEXT NOT NULL, kk TEXT NOT NULL, name TEXT NOT NULL, sex TEXT NOT NULL,
         birth_place TEXT NOT NULL, birth_date TEXT NOT NULL, religion SMALLINT,
         education SMALLINT, occupation SMALLINT, marital_status SMALLINT,
         shdk SMALLINT NOT NULL, nationality SMALLINT, blood_type SMALLINT,
         father_name TEXT NOT NULL, mother_name TEXT NOT NULL, life_status TEXT NOT NULL,
         desa_code BIGINT NOT NULL, dusun TEXT NOT NULL, rw TEXT NOT NULL, rt TEXT NOT NULL,
         address TEXT NOT NULL, line BIGINT NOT NULL",
    )
}

/// Everything after the rows are staged: the import's outcome, written.
pub(super) fn merge(
    db: &mut Conn,
    meta: &ImportMeta,
    counts: &ImportCounts,
    staged: u64,
) -> Result<PopulationOutcome, StoreError> {
    index_stage(db)?;
    stage_families(db)?;
    record_import(db, meta, counts)?;

    let updated = diff_residents(db, &meta.id)?;
    diff_families(db, &meta.id)?;

    write_families(db)?;
    let families_new = db.execute(
        "INSERT INTO families (kk, desa_code, dusun, rw, rt, address)
         SELECT kk, desa_code, dusun, rw, rt, address FROM family_stage WHERE true
         ON CONFLICT (kk) DO NOTHING",
        &[],
    )?;
    write_residents(db)?;
    let inserted = db.execute(&insert_residents_sql(), &[])?;
    let memberships_ended = end_memberships(db, &meta.at)?;

    let changes = finish_import(db, &meta.id, STAGE)?;
    drop_temp(db, TEMP_TABLES)?;
    let existing = staged.saturating_sub(inserted);
    Ok(PopulationOutcome {
        inserted,
        updated,
        unchanged: existing.saturating_sub(updated),
        families_new,
        memberships_ended,
        changes,
    })
}

/// Indexes the staged rows by NIK (after loading: one sort, not a B-tree insert per row),
/// refusing a NIK staged twice.
fn index_stage(db: &mut Conn) -> Result<(), StoreError> {
    let index = match db.dialect() {
        Dialect::Sqlite => format!("CREATE UNIQUE INDEX temp.{STAGE}_nik ON {STAGE} (nik)"),
        Dialect::Postgres => format!("CREATE UNIQUE INDEX {STAGE}_nik ON {STAGE} (nik)"),
    };
    // A savepoint: on PostgreSQL a failed statement aborts the transaction, and the
    // question which NIK it was comes after.
    db.batch("SAVEPOINT stage_index")?;
    if let Err(error) = db.batch(&index) {
        db.batch("ROLLBACK TO SAVEPOINT stage_index")?;
        let repeated = db.query_opt(
            &format!(
                "SELECT min(line), max(line) FROM {STAGE} GROUP BY nik HAVING count(*) > 1 LIMIT 1"
            ),
            &[],
        );
        return Err(match repeated {
            Ok(Some(mut row)) => {
                let (first, second): (i64, i64) = (row.get(0)?, row.get(1)?);
                StoreError::Invalid(format!("one NIK on lines {first} and {second}"))
            }
            _ => error,
        });
    }
    db.batch("RELEASE SAVEPOINT stage_index")?;
    analyze(db, STAGE)
}

/// PostgreSQL never analyses temporary tables by itself; without statistics it would plan
/// the merge as if they were tiny.
fn analyze(db: &mut Conn, table: &str) -> Result<(), StoreError> {
    match db.dialect() {
        Dialect::Postgres => db.batch(&format!("ANALYZE {table}")),
        Dialect::Sqlite => Ok(()),
    }
}

/// One row per KK, from its head's row: the family's address as the file states it.
fn stage_families(db: &mut Conn) -> Result<(), StoreError> {
    create_temp(
        db,
        "family_stage",
        "kk TEXT NOT NULL PRIMARY KEY, desa_code BIGINT NOT NULL, dusun TEXT NOT NULL,
         rw TEXT NOT NULL, rt TEXT NOT NULL, address TEXT NOT NULL, life_status TEXT NOT NULL",
    )?;
    db.execute(
        &format!(
            "INSERT INTO family_stage (kk, desa_code, dusun, rw, rt, address, life_status)
             SELECT kk, desa_code, dusun, rw, rt, address, life_status FROM {STAGE}
             WHERE shdk = 1 ON CONFLICT (kk) DO NOTHING"
        ),
        &[],
    )?;
    let headless = db.query_opt(
        &format!(
            "SELECT s.line FROM {STAGE} s
             WHERE s.shdk <> 1 AND NOT EXISTS (SELECT 1 FROM family_stage f WHERE f.kk = s.kk)
             LIMIT 1"
        ),
        &[],
    )?;
    if let Some(mut row) = headless {
        let line: i64 = row.get(0)?;
        return Err(StoreError::Invalid(format!(
            "the KK of line {line} has no head (SHDK 1) among the rows"
        )));
    }
    analyze(db, "family_stage")
}

/// Notes the registered residents whose fields the file changes, with their stored values,
/// and writes one history row per changed field. Returns how many residents change.
fn diff_residents(db: &mut Conn, import_id: &str) -> Result<u64, StoreError> {
    create_temp(
        db,
        "resident_diff",
        "nik TEXT NOT NULL PRIMARY KEY, kk TEXT NOT NULL, name TEXT NOT NULL, sex TEXT NOT NULL,
         birth_place TEXT NOT NULL, birth_date TEXT NOT NULL, religion SMALLINT,
         education SMALLINT, occupation SMALLINT, marital_status SMALLINT, shdk SMALLINT,
         nationality SMALLINT, blood_type SMALLINT, father_name TEXT NOT NULL,
         mother_name TEXT NOT NULL, life_status TEXT NOT NULL",
    )?;
    let columns = RESIDENT_FIELDS.join(", ");
    let stored: Vec<String> = RESIDENT_FIELDS.iter().map(|f| format!("r.{f}")).collect();
    let differs: Vec<String> =
        RESIDENT_FIELDS.iter().map(|f| format!("s.{f} IS DISTINCT FROM r.{f}")).collect();
    let updated = db.execute(
        &format!(
            "INSERT INTO resident_diff (nik, {columns})
             SELECT r.nik, {} FROM {STAGE} s JOIN residents r ON r.nik = s.nik WHERE {}",
            stored.join(", "),
            differs.join(" OR ")
        ),
        &[],
    )?;
    if updated == 0 {
        return Ok(0);
    }
    analyze(db, "resident_diff")?;
    let arms: Vec<String> = RESIDENT_FIELDS
        .iter()
        .map(|f| {
            format!(
                "SELECT CAST(?1 AS TEXT), d.nik, CAST(NULL AS TEXT), '{f}', CAST(d.{f} AS TEXT),
                        CAST(s.{f} AS TEXT)
                 FROM resident_diff d JOIN {STAGE} s ON s.nik = d.nik
                 WHERE s.{f} IS DISTINCT FROM d.{f}"
            )
        })
        .collect();
    db.execute(
        &format!(
            "INSERT INTO resident_history (import_id, nik, kk, field, before, after) {}",
            arms.join(" UNION ALL ")
        ),
        &[Param::Text(import_id)],
    )?;
    Ok(updated)
}

/// The same for families: a move to another desa, a new RT, RW, dusun or street address.
fn diff_families(db: &mut Conn, import_id: &str) -> Result<(), StoreError> {
    create_temp(
        db,
        "family_diff",
        "kk TEXT NOT NULL PRIMARY KEY, desa_code BIGINT NOT NULL, dusun TEXT NOT NULL,
         rw TEXT NOT NULL, rt TEXT NOT NULL, address TEXT NOT NULL",
    )?;
    let columns: Vec<&str> = FAMILY_FIELDS.iter().map(|(column, _)| *column).collect();
    let stored: Vec<String> = columns.iter().map(|c| format!("g.{c}")).collect();
    let differs: Vec<String> =
        columns.iter().map(|c| format!("f.{c} IS DISTINCT FROM g.{c}")).collect();
    let changed = db.execute(
        &format!(
            "INSERT INTO family_diff (kk, {})
             SELECT g.kk, {} FROM family_stage f JOIN families g ON g.kk = f.kk WHERE {}",
            columns.join(", "),
            stored.join(", "),
            differs.join(" OR ")
        ),
        &[],
    )?;
    if changed == 0 {
        return Ok(());
    }
    analyze(db, "family_diff")?;
    let arms: Vec<String> = FAMILY_FIELDS
        .iter()
        .map(|(column, field)| {
            format!(
                "SELECT CAST(?1 AS TEXT), CAST(NULL AS TEXT), d.kk, '{field}',
                        CAST(d.{column} AS TEXT), CAST(f.{column} AS TEXT)
                 FROM family_diff d JOIN family_stage f ON f.kk = d.kk
                 WHERE f.{column} IS DISTINCT FROM d.{column}"
            )
        })
        .collect();
    db.execute(
        &format!(
            "INSERT INTO resident_history (import_id, nik, kk, field, before, after) {}",
            arms.join(" UNION ALL ")
        ),
        &[Param::Text(import_id)],
    )?;
    Ok(())
}

/// Rewrites the families whose fields changed (new ones are inserted after).
fn write_families(db: &mut Conn) -> Result<(), StoreError> {
    let set: Vec<String> =
        FAMILY_FIELDS.iter().map(|(column, _)| format!("{column} = f.{column}")).collect();
    db.execute(
        &format!(
            "UPDATE families SET {}
             FROM (SELECT s.* FROM family_diff d JOIN family_stage s ON s.kk = d.kk) AS f
             WHERE families.kk = f.kk",
            set.join(", ")
        ),
        &[],
    )?;
    Ok(())
}

/// Rewrites the residents whose fields changed; `relation` follows their SHDK.
fn write_residents(db: &mut Conn) -> Result<(), StoreError> {
    let set: Vec<String> = RESIDENT_FIELDS.iter().map(|f| format!("{f} = s.{f}")).collect();
    db.execute(
        &format!(
            "UPDATE residents SET {}, relation = {}
             FROM (SELECT t.* FROM resident_diff d JOIN {STAGE} t ON t.nik = d.nik) AS s
             WHERE residents.nik = s.nik",
            set.join(", "),
            relation_case("s.shdk")
        ),
        &[],
    )?;
    Ok(())
}

/// Inserts the residents new to the registry (the registered ones were rewritten already).
fn insert_residents_sql() -> String {
    let columns = RESIDENT_FIELDS.join(", ");
    format!(
        "INSERT INTO residents (nik, {columns}, relation)
         SELECT nik, {columns}, {} FROM {STAGE} WHERE true ON CONFLICT (nik) DO NOTHING",
        relation_case("shdk")
    )
}

/// The engine's coarse relation of an SHDK code, in SQL: the same mapping as
/// [`relation_of_shdk`], written out from it.
pub(super) fn relation_case(shdk: &str) -> String {
    let other = relation_of_shdk(0).as_str();
    let arms: Vec<String> = (1..=11u8)
        .filter(|code| relation_of_shdk(*code).as_str() != other)
        .map(|code| format!("WHEN {code} THEN '{}'", relation_of_shdk(code).as_str()))
        .collect();
    format!("CASE {shdk} {} ELSE '{other}' END", arms.join(" "))
}

/// Ends the memberships of residents the file states are no longer alive and resident (as
/// the person, or as the member a household component concerns), and every membership of
/// a household of the file none of whose members is. Returns how many ended.
fn end_memberships(db: &mut Conn, at: &str) -> Result<u64, StoreError> {
    let personal = db.execute(
        &format!(
            "UPDATE memberships SET state = 'ended', ended_at = ?1,
                 ended_reason = (SELECT s.life_status FROM {STAGE} s
                                 WHERE s.nik = coalesce(memberships.member_nik, memberships.nik))
             WHERE state <> 'ended' AND EXISTS (
                 SELECT 1 FROM {STAGE} s
                 WHERE s.nik = coalesce(memberships.member_nik, memberships.nik)
                   AND s.life_status <> 'alive')"
        ),
        params![at],
    )?;
    let household = db.execute(
        "UPDATE memberships SET state = 'ended', ended_at = ?1,
             ended_reason = (SELECT f.life_status FROM family_stage f WHERE f.kk = memberships.kk)
         WHERE state <> 'ended' AND kk IS NOT NULL
           AND EXISTS (SELECT 1 FROM family_stage f WHERE f.kk = memberships.kk)
           AND NOT EXISTS (SELECT 1 FROM residents r
                           WHERE r.kk = memberships.kk AND r.life_status = 'alive')",
        params![at],
    )?;
    Ok(personal + household)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relation_case_is_written_from_the_rust_mapping() {
        assert_eq!(
            relation_case("shdk"),
            "CASE shdk WHEN 1 THEN 'head' WHEN 2 THEN 'spouse' WHEN 3 THEN 'spouse' \
             WHEN 4 THEN 'child' WHEN 7 THEN 'parent' WHEN 8 THEN 'parent' ELSE 'other' END"
        );
    }
}
