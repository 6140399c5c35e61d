//! Merging a staged population file into the registry with set-based SQL: the differences
//! first (into small temporary tables, from which the history is written), then the
//! families and residents, then the memberships that end. On SQLite every statement walks
//! one table once and finds its partner rows by key (checked by a test of the plans);
//! PostgreSQL, planning each from fresh statistics, hashes or merges whole tables.

use super::super::StoreError;
use super::super::conn::Conn;
use super::super::sql::{Db, Dialect, Param};
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
fn index_stage(db: &mut Conn) -> Result<(), StoreError> {
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

/// Rows of a temporary table to insert into a registry table unless already there.
struct NewRows {
    /// `INSERT INTO ... SELECT ...`, without FROM.
    insert: String,
    /// The table read, with its alias.
    from: &'static str,
    /// SQLite: the index to read it by when looking for registered twins, so that they
    /// are looked for in the order of the registry's key.
    probe_by: Option<&'static str>,
    /// A correlated subquery finding the row's registered twin.
    registered: &'static str,
    /// The order to write them in: that of the registry's largest index.
    order: &'static str,
}

static NEW_FAMILIES: std::sync::LazyLock<NewRows> = std::sync::LazyLock::new(|| NewRows {
    insert: "INSERT INTO families (kk, desa_code, dusun, rw, rt, address)
             SELECT kk, desa_code, dusun, rw, rt, address"
        .into(),
    from: "family_stage f",
    probe_by: None,
    registered: "SELECT 1 FROM families g WHERE g.kk = f.kk",
    order: "ORDER BY kk",
});

/// Registered residents are looked for in NIK order, which walks the registry's NIK index
/// from one end to the other; new ones are written in KK order, which does the same for
/// the family index. (A file comes in neither order.)
fn new_residents(dialect: Dialect) -> NewRows {
    let columns = RESIDENT_FIELDS.join(", ");
    NewRows {
        insert: format!(
            "INSERT INTO residents (nik, {columns}, relation) SELECT nik, {columns}, {}",
            relation_case("shdk")
        ),
        from: "population_stage s",
        probe_by: (dialect == Dialect::Sqlite).then_some("population_stage_nik"),
        registered: "SELECT 1 FROM residents r WHERE r.nik = s.nik",
        order: "ORDER BY kk, nik",
    }
}

impl NewRows {
    fn probing(&self) -> String {
        match self.probe_by {
            Some(index) => format!("{} INDEXED BY {index}", self.from),
            None => self.from.to_owned(),
        }
    }

    fn any_registered(&self) -> String {
        format!(
            "SELECT EXISTS (SELECT 1 FROM {} WHERE EXISTS ({}))",
            self.probing(),
            self.registered
        )
    }

    /// When none is registered the test is left out: SQLite first materialises a SELECT
    /// that reads the table it inserts into, which for a first import means the whole
    /// file once more. (ON CONFLICT DO NOTHING would avoid that, but SQLite takes several
    /// times longer per conflicting row than for the test.)
    fn sql(&self, any_registered: bool) -> String {
        let NewRows { insert, from, registered, order, .. } = self;
        if any_registered {
            format!("{insert} FROM {} WHERE NOT EXISTS ({registered}) {order}", self.probing())
        } else {
            format!("{insert} FROM {from} {order}")
        }
    }
}

/// A load of at least this many new residents, and at least as many as are registered,
/// writes them in bulk on SQLite ([`write_new_residents`]).
const BULK_MIN: u64 = 50_000;

/// The resident indexes a bulk load drops and builds again: as migration 12 creates them
/// (a test holds the two to the same definitions).
pub(super) const RESIDENT_INDEXES: &[(&str, &str)] = &[
    ("residents_nik", "CREATE UNIQUE INDEX residents_nik ON residents (nik)"),
    (
        "residents_by_kk_life",
        "CREATE INDEX residents_by_kk_life ON residents
             (kk, nik, name, relation, sex, pregnant, nursing, life_status)",
    ),
];

/// Inserts the staged residents not registered yet; returns how many.
///
/// On SQLite, new residents that at least double the registry (a kabupaten's first load)
/// are written with the two resident indexes dropped, which are then built again, each in
/// one sort (on the reader's core, idle by now: `PRAGMA threads`), rather than inserting
/// every NIK at a random place of a growing B-tree: a third less time for the same rows.
/// The registry is locked throughout; readers see the indexes as they were until commit.
/// Foreign keys must be off (as they are for every SQLite merge, [`Store::import`]): with the
/// NIK index gone, SQLite could not check references to residents.
///
/// [`Store::import`]: super::super::Store
fn write_new_residents(db: &mut Conn, staged: u64) -> Result<u64, StoreError> {
    let rows = new_residents(db.dialect());
    let any: bool = db.query_value(&rows.any_registered(), &[])?;
    let bulk = db.dialect() == Dialect::Sqlite
        && !any
        && staged >= BULK_MIN
        && staged >= db.query_value::<i64>("SELECT count(*) FROM residents", &[])?.max(0) as u64;
    if !bulk {
        return db.execute(&rows.sql(any), &[]);
    }
    for (name, _) in RESIDENT_INDEXES {
        db.batch(&format!("DROP INDEX {name}"))?;
    }
    let NewRows { insert, from, .. } = &rows;
    let inserted = db.execute(&format!("{insert} FROM {from}"), &[])?;
    for (_, create) in RESIDENT_INDEXES {
        create_index(db, create)?;
    }
    Ok(inserted)
}

/// Builds an index. SQLite sorts its keys with a helper thread, on the core the file's
/// reader used (idle by the time anything is indexed), and with half its usual sort memory
/// (which follows the page cache's size) for each of the two, so that together they hold
/// no more than one did.
fn create_index(db: &mut Conn, sql: &str) -> Result<(), StoreError> {
    if db.dialect() != Dialect::Sqlite {
        return db.batch(sql);
    }
    let cache: i64 = db.query_value("PRAGMA cache_size", &[])?;
    db.batch(&format!("PRAGMA threads = 1; PRAGMA cache_size = {}", cache / 2))?;
    let created = db.batch(sql);
    db.batch(&format!("PRAGMA threads = 0; PRAGMA cache_size = {cache}"))?;
    created
}

/// Inserts the rows not registered yet; returns how many.
fn insert_new(db: &mut Conn, rows: &NewRows) -> Result<u64, StoreError> {
    let any: bool = db.query_value(&rows.any_registered(), &[])?;
    db.execute(&rows.sql(any), &[])
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

    /// The resident indexes as SQLite keeps them: (name, definition as written).
    fn resident_indexes(db: &mut Conn) -> Vec<(String, String)> {
        db.query(
            "SELECT name, sql FROM sqlite_master
             WHERE type = 'index' AND tbl_name = 'residents' ORDER BY name",
            &[],
        )
        .expect("indexes")
        .into_iter()
        .map(|mut row| (row.get(0).expect("name"), row.get(1).expect("sql")))
        .collect()
    }

    fn words(sql: &str) -> String {
        sql.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn a_bulk_load_builds_the_resident_indexes_again_as_the_migration_defines_them() {
        use crate::store::Store;
        use crate::store::conn::Exclusivity;
        let store = Store::open_temporary().expect("store");
        let mut conn = store.pool.get().expect("connection");
        if conn.dialect() != Dialect::Sqlite {
            return;
        }
        let migrated = resident_indexes(&mut conn);
        // As in every import's merge: without the NIK index, SQLite could not check the
        // memberships' references to residents row by row (the merge checks them itself).
        conn.batch("PRAGMA foreign_keys = OFF").expect("foreign keys off");
        let bulk = conn.transaction(Exclusivity::Exclusive, |db| {
            create_stage(db)?;
            db.execute(
                "INSERT INTO families (kk, desa_code, address)
                 VALUES ('3510092504150001', 3510092001, '')",
                &[],
            )?;
            for (nik, name, sex, shdk) in
                [("3510091203850001", "BUDI", "male", 1), ("3510095506880002", "SITI", "female", 3)]
            {
                db.execute(
                    &format!(
                        "INSERT INTO {STAGE} ({}) VALUES (?1, '3510092504150001', ?2, ?3, '',
                         '1985-03-12', 1, NULL, NULL, NULL, ?4, 1, NULL, '', '', 'alive',
                         3510092001, '', '', '', '', 2)",
                        STAGE_COLUMNS.join(", ")
                    ),
                    &[Param::Text(nik), Param::Text(name), Param::Text(sex), Param::Int(shdk)],
                )?;
            }
            index_stage(db)?;
            write_new_residents(db, BULK_MIN)
        });
        conn.batch("PRAGMA foreign_keys = ON").expect("foreign keys on");
        // As many staged as a bulk load takes: the two rows are written in bulk.
        assert_eq!(bulk.expect("bulk load"), 2);
        let rebuilt = resident_indexes(&mut conn);
        // Built by the bulk load (its own text) ...
        let mut written: Vec<(String, String)> = RESIDENT_INDEXES
            .iter()
            .map(|(name, sql)| (name.to_string(), sql.to_string()))
            .collect();
        written.sort();
        assert_eq!(rebuilt, written);
        // ... to the migration's definitions.
        let same = |indexes: &[(String, String)]| -> Vec<(String, String)> {
            indexes.iter().map(|(name, sql)| (name.clone(), words(sql))).collect()
        };
        assert_eq!(same(&rebuilt), same(&migrated));
        let relation: String = conn
            .query_value(
                "SELECT relation FROM residents INDEXED BY residents_nik
                 WHERE nik = '3510095506880002'",
                &[],
            )
            .expect("found by the NIK index");
        assert_eq!(relation, "spouse");
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
