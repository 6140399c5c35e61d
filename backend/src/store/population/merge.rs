//! Merging a staged population file into the registry with set-based SQL: the differences
//! first (into small temporary tables, from which the history is written), then the
//! families and residents, then the memberships that end. On SQLite every statement walks
//! one table once and finds its partner rows by key (checked by a test of the plans);
//! PostgreSQL, planning each from fresh statistics, hashes or merges whole tables.

use super::super::StoreError;
use super::super::conn::Conn;
use super::super::sql::{Db, Dialect, Param};
use super::insert::{NEW_FAMILIES, create_index, insert_new, write_new_residents};
use super::stage::create_temp;
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
pub(super) const RESIDENT_FIELDS: &[&str] = &[
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
pub(super) const FAMILY_FIELDS: &[(&str, &str)] = &[
    ("desa_code", "desa"),
    ("dusun", "dusun"),
    ("rw", "rw"),
    ("rt", "rt"),
    ("address", "address"),
];

/// The families the reader refused once the whole file was read, and their staged rows,
/// taken back out of the stage ([`super::PopulationWriter::withdraw`]).
pub(super) const WITHDRAWN_FAMILIES: &str = "withdrawn_families";
pub(super) const WITHDRAWN_ROWS: &str = "withdrawn_rows";

pub(super) const TEMP_TABLES: &[&str] =
    &[STAGE, "family_stage", "resident_diff", "family_diff", WITHDRAWN_FAMILIES, WITHDRAWN_ROWS];

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

/// The temporary tables the merge fills from the staged rows: one row per family of the
/// file, and the stored values of the residents and families the file changes.
fn create_work_tables(db: &mut Conn) -> Result<(), StoreError> {
    create_temp(
        db,
        "family_stage",
        "kk TEXT NOT NULL PRIMARY KEY, desa_code BIGINT NOT NULL, dusun TEXT NOT NULL,
         rw TEXT NOT NULL, rt TEXT NOT NULL, address TEXT NOT NULL, life_status TEXT NOT NULL",
    )?;
    create_temp(
        db,
        "resident_diff",
        "nik TEXT NOT NULL PRIMARY KEY, kk TEXT NOT NULL, name TEXT NOT NULL, sex TEXT NOT NULL,
         birth_place TEXT NOT NULL, birth_date TEXT NOT NULL, religion SMALLINT,
         education SMALLINT, occupation SMALLINT, marital_status SMALLINT, shdk SMALLINT,
         nationality SMALLINT, blood_type SMALLINT, father_name TEXT NOT NULL,
         mother_name TEXT NOT NULL, life_status TEXT NOT NULL",
    )?;
    create_temp(
        db,
        "family_diff",
        "kk TEXT NOT NULL PRIMARY KEY, desa_code BIGINT NOT NULL, dusun TEXT NOT NULL,
         rw TEXT NOT NULL, rt TEXT NOT NULL, address TEXT NOT NULL",
    )
}

/// What can be done with the staged rows before the registry is locked: their index (which
/// refuses a NIK staged twice) and the families they name.
pub(super) fn prepare(db: &mut Conn) -> Result<(), StoreError> {
    let mut steps = Steps::start();
    index_stage(db)?;
    create_work_tables(db)?;
    steps.done("index staged rows");
    db.execute(&fill_family_stage(), &[])?;
    analyze(db, "family_stage")?;
    steps.done("stage families");
    Ok(())
}

/// The rest, in the registry's write transaction: the import's outcome, written.
pub(super) fn merge(
    db: &mut Conn,
    meta: &ImportMeta,
    counts: &ImportCounts,
    staged: u64,
    headless: &[(String, u64)],
) -> Result<PopulationOutcome, StoreError> {
    let dialect = db.dialect();
    let mut steps = Steps::start();
    record_import(db, meta, counts)?;
    let id = [Param::Text(&meta.id)];

    let updated = db.execute(&fill_resident_diff(), &[])?;
    if updated > 0 {
        analyze(db, "resident_diff")?;
        db.execute(&resident_history(), &id)?;
    }
    steps.done("resident differences and history");
    if db.execute(&fill_family_diff(), &[])? > 0 {
        analyze(db, "family_diff")?;
        db.execute(&family_history(), &id)?;
        db.execute(&update_families(), &[])?;
    }
    steps.done("family differences and history");

    refuse_unknown_families(db, headless)?;
    let families_new = insert_new(db, &NEW_FAMILIES)?;
    steps.done("insert families");
    if updated > 0 {
        db.execute(&update_residents(), &[])?;
    }
    let inserted = write_new_residents(db, staged)?;
    if dialect == Dialect::Postgres && inserted + families_new >= REANALYZE_AFTER {
        // The next import's differences are planned from these statistics: a hash join
        // over the registry's size, not a lookup per row of a registry thought empty.
        db.batch("ANALYZE residents; ANALYZE families")?;
    }
    steps.done("write residents");
    let at = [Param::Text(&meta.at)];
    let memberships_ended =
        db.execute(&end_personal_memberships(), &at)? + db.execute(END_HOUSEHOLDS, &at)?;
    steps.done("end memberships");

    let changes = finish_import(db, &meta.id, STAGE)?;
    steps.done("read back history");
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

/// New rows after which PostgreSQL's statistics of the registry are refreshed at once
/// rather than whenever autovacuum comes by.
const REANALYZE_AFTER: u64 = 10_000;

/// Times the merge's steps, for the debug log: where an import's time goes.
struct Steps(std::time::Instant);

impl Steps {
    fn start() -> Steps {
        Steps(std::time::Instant::now())
    }

    fn done(&mut self, step: &'static str) {
        let ms = self.0.elapsed().as_millis() as u64;
        tracing::debug!(step, ms, "population merge");
        self.0 = std::time::Instant::now();
    }
}

/// Indexes the staged rows by NIK (after loading: one sort, not a B-tree insert per row),
/// refusing a NIK staged twice.
pub(super) fn index_stage(db: &mut Conn) -> Result<(), StoreError> {
    let index = match db.dialect() {
        Dialect::Sqlite => format!("CREATE UNIQUE INDEX temp.{STAGE}_nik ON {STAGE} (nik)"),
        Dialect::Postgres => format!("CREATE UNIQUE INDEX {STAGE}_nik ON {STAGE} (nik)"),
    };
    // A savepoint: on PostgreSQL a failed statement aborts the transaction, and the
    // question which NIK it was comes after.
    db.batch("SAVEPOINT stage_index")?;
    if let Err(error) = create_index(db, &index) {
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

/// One row per KK, from its head's row: the family's address as the file states it. A KK
/// whose head is not among the rows keeps its registered address (one not registered
/// either was refused). In KK order, so that new families are then written in the order
/// of their key.
fn fill_family_stage() -> String {
    format!(
        "INSERT INTO family_stage (kk, desa_code, dusun, rw, rt, address, life_status)
         SELECT kk, desa_code, dusun, rw, rt, address, life_status FROM {STAGE}
         WHERE shdk = 1 ORDER BY kk ON CONFLICT (kk) DO NOTHING"
    )
}

/// The stored values of the registered residents whose fields the file changes.
fn fill_resident_diff() -> String {
    let columns = RESIDENT_FIELDS.join(", ");
    let stored: Vec<String> = RESIDENT_FIELDS.iter().map(|f| format!("r.{f}")).collect();
    let differs: Vec<String> =
        RESIDENT_FIELDS.iter().map(|f| format!("s.{f} IS DISTINCT FROM r.{f}")).collect();
    format!(
        "INSERT INTO resident_diff (nik, {columns})
         SELECT r.nik, {} FROM {STAGE} s JOIN residents r ON r.nik = s.nik WHERE {}",
        stored.join(", "),
        differs.join(" OR ")
    )
}

/// One history row per changed field of a resident (?1: the import).
fn resident_history() -> String {
    let fields: Vec<(&str, &str)> = RESIDENT_FIELDS.iter().map(|f| (*f, *f)).collect();
    history("nik", "resident_diff d JOIN population_stage s ON s.nik = d.nik", &fields)
}

/// History rows from a join of stored (`d`) and incoming (`s`) values, one per field whose
/// values differ: `fields` are (column, history field). The join is made once and turned
/// into rows per field, rather than once per field (which PostgreSQL might each time make
/// a hash join over the whole staged file).
fn history(key: &str, join: &str, fields: &[(&str, &str)]) -> String {
    let names: Vec<String> =
        fields.iter().map(|(_, field)| format!("SELECT '{field}' AS field")).collect();
    let value = |table: &str| {
        let arms: Vec<String> = fields
            .iter()
            .map(|(column, field)| format!("WHEN '{field}' THEN CAST({table}.{column} AS TEXT)"))
            .collect();
        format!("CASE fields.field {} END", arms.join(" "))
    };
    let (nik, kk) = if key == "nik" {
        ("c.key", "CAST(NULL AS TEXT)")
    } else {
        ("CAST(NULL AS TEXT)", "c.key")
    };
    format!(
        "INSERT INTO resident_history (import_id, nik, kk, field, before, after)
         SELECT CAST(?1 AS TEXT), {nik}, {kk}, c.field, c.before, c.after FROM (
             SELECT d.{key} AS key, fields.field, {} AS before, {} AS after
             FROM {join} CROSS JOIN ({}) AS fields
         ) AS c
         WHERE c.before IS DISTINCT FROM c.after",
        value("d"),
        value("s"),
        names.join(" UNION ALL ")
    )
}

/// The same for families: a move to another desa, a new RT, RW, dusun or street address.
fn fill_family_diff() -> String {
    let columns: Vec<&str> = FAMILY_FIELDS.iter().map(|(column, _)| *column).collect();
    let stored: Vec<String> = columns.iter().map(|c| format!("g.{c}")).collect();
    let differs: Vec<String> =
        columns.iter().map(|c| format!("f.{c} IS DISTINCT FROM g.{c}")).collect();
    format!(
        "INSERT INTO family_diff (kk, {})
         SELECT g.kk, {} FROM family_stage f JOIN families g ON g.kk = f.kk WHERE {}",
        columns.join(", "),
        stored.join(", "),
        differs.join(" OR ")
    )
}

fn family_history() -> String {
    history("kk", "family_diff d JOIN family_stage s ON s.kk = d.kk", FAMILY_FIELDS)
}

/// Rewrites the families whose fields changed, found by key from the (few) differences.
fn update_families() -> String {
    let columns: Vec<&str> = FAMILY_FIELDS.iter().map(|(column, _)| *column).collect();
    let columns = columns.join(", ");
    format!(
        "UPDATE families SET ({columns}) =
             (SELECT {columns} FROM family_stage f WHERE f.kk = families.kk)
         WHERE kk IN (SELECT kk FROM family_diff)"
    )
}

/// Rewrites the residents whose fields changed; `relation` follows their SHDK.
fn update_residents() -> String {
    let columns = RESIDENT_FIELDS.join(", ");
    format!(
        "UPDATE residents SET ({columns}, relation) =
             (SELECT {columns}, {} FROM {STAGE} s WHERE s.nik = residents.nik)
         WHERE nik IN (SELECT nik FROM resident_diff)",
        relation_case("shdk")
    )
}

/// Refuses a file with a KK that is neither registered nor headed among its rows: its
/// members would have no family. `headless` are the file's KKs without a head, each with
/// the first line naming it (usually none: the readers refuse such rows).
fn refuse_unknown_families(db: &mut Conn, headless: &[(String, u64)]) -> Result<(), StoreError> {
    for (kk, line) in headless {
        let registered: bool = db.query_value(
            "SELECT EXISTS (SELECT 1 FROM families WHERE kk = ?1)",
            &[Param::Text(kk)],
        )?;
        if !registered {
            return Err(StoreError::Invalid(format!(
                "the KK of line {line} is not registered and has no head (SHDK 1) in the file"
            )));
        }
    }
    Ok(())
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

/// Ends the memberships of residents the file states are no longer alive and resident: as
/// the person, or as the member a household component concerns (?1: when).
fn end_personal_memberships() -> String {
    format!(
        "UPDATE memberships SET state = 'ended', ended_at = ?1,
             ended_reason = (SELECT s.life_status FROM {STAGE} s
                             WHERE s.nik = coalesce(memberships.member_nik, memberships.nik))
         WHERE state <> 'ended' AND EXISTS (
             SELECT 1 FROM {STAGE} s
             WHERE s.nik = coalesce(memberships.member_nik, memberships.nik)
               AND s.life_status <> 'alive')"
    )
}

/// Ends every membership of a household of the file none of whose members is alive and
/// resident any more, for the reason its head's row gives (?1: when).
const END_HOUSEHOLDS: &str = "UPDATE memberships SET state = 'ended', ended_at = ?1,
         ended_reason = (SELECT f.life_status FROM family_stage f WHERE f.kk = memberships.kk)
     WHERE state <> 'ended' AND kk IS NOT NULL
       AND EXISTS (SELECT 1 FROM family_stage f WHERE f.kk = memberships.kk)
       AND NOT EXISTS (SELECT 1 FROM residents r
                       WHERE r.kk = memberships.kk AND r.life_status = 'alive')";

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::insert::new_residents;

    #[test]
    fn relation_case_is_written_from_the_rust_mapping() {
        assert_eq!(
            relation_case("shdk"),
            "CASE shdk WHEN 1 THEN 'head' WHEN 2 THEN 'spouse' WHEN 3 THEN 'spouse' \
             WHEN 4 THEN 'child' WHEN 7 THEN 'parent' WHEN 8 THEN 'parent' ELSE 'other' END"
        );
    }

    /// Every statement of the merge, with the one table it may walk whole (its alias):
    /// anything else it reads must be found by key.
    fn statements() -> Vec<(String, &'static str)> {
        let residents = new_residents(Dialect::Sqlite);
        vec![
            (fill_family_stage(), STAGE),
            (fill_resident_diff(), "s"),
            (resident_history(), "d"),
            (fill_family_diff(), "f"),
            (family_history(), "d"),
            (update_families(), "family_diff"),
            (NEW_FAMILIES.any_registered(), "f"),
            (NEW_FAMILIES.sql(false), "f"),
            (NEW_FAMILIES.sql(true), "f"),
            (update_residents(), "resident_diff"),
            (residents.any_registered(), "s"),
            (residents.sql(false), "s"),
            (residents.sql(true), "s"),
            (end_personal_memberships(), "memberships"),
            (END_HOUSEHOLDS.to_owned(), "memberships"),
        ]
    }

    #[test]
    fn no_merge_statement_walks_a_table_inside_another() {
        super::super::tests::check_plans(
            |db| {
                create_stage(db)?;
                index_stage(db)?;
                create_work_tables(db)
            },
            &statements(),
        );
    }
}
