//! Writing the staged rows the registry does not hold yet: new families, then new
//! residents. On SQLite a load that at least doubles the registry writes its residents in
//! bulk, without their indexes, and builds those after; every index an import builds sorts
//! on a helper thread.

use super::super::StoreError;
use super::super::conn::Conn;
use super::super::sql::{Db, Dialect};
use super::merge::{RESIDENT_FIELDS, relation_case};

/// Rows of a temporary table to insert into a registry table unless already there.
pub(super) struct NewRows {
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

pub(super) static NEW_FAMILIES: std::sync::LazyLock<NewRows> =
    std::sync::LazyLock::new(|| NewRows {
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
pub(super) fn new_residents(dialect: Dialect) -> NewRows {
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

    pub(super) fn any_registered(&self) -> String {
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
    pub(super) fn sql(&self, any_registered: bool) -> String {
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

/// The resident indexes a bulk load drops and builds again: as migrations 12 and 22 create
/// them (a test holds the two to the same definitions).
pub(super) const RESIDENT_INDEXES: &[(&str, &str)] = &[
    ("residents_nik", "CREATE UNIQUE INDEX residents_nik ON residents (nik)"),
    (
        "residents_by_kk_life",
        "CREATE INDEX residents_by_kk_life ON residents
             (kk, nik, name, relation, sex, pregnant, nursing, life_status)",
    ),
    ("residents_by_name", "CREATE INDEX residents_by_name ON residents (upper(name))"),
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
pub(super) fn write_new_residents(db: &mut Conn, staged: u64) -> Result<u64, StoreError> {
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
pub(super) fn create_index(db: &mut Conn, sql: &str) -> Result<(), StoreError> {
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
pub(super) fn insert_new(db: &mut Conn, rows: &NewRows) -> Result<u64, StoreError> {
    let any: bool = db.query_value(&rows.any_registered(), &[])?;
    db.execute(&rows.sql(any), &[])
}

#[cfg(test)]
mod tests {
    use super::super::super::sql::Param;
    use super::super::merge::{STAGE, STAGE_COLUMNS, create_stage, index_stage};
    use super::*;

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
}
