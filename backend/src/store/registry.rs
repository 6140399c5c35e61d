//! Writing the registry: families, residents and memberships.

use protocol::api::{MembershipState, Relation};
use protocol::{Nik, NoKk, Sex};

use super::conn::Conn;
use super::sql::{Db, Param, params};
use super::{Store, StoreError};

/// A resident as the registry records them.
#[derive(Debug, Clone)]
pub struct NewResident {
    pub nik: Nik,
    pub name: String,
    pub birth_date: String,
    pub relation: Relation,
    pub pregnant: bool,
    pub nursing: bool,
}

/// A family and its members as the registry records them, for [`Store::add_families`].
#[derive(Debug, Clone)]
pub struct NewFamily {
    pub kk: NoKk,
    pub desa_code: u64,
    pub address: String,
    /// Listed in the DTKS (the social welfare register); recorded on every member.
    pub dtks: bool,
    /// The head first, as the KK lists them.
    pub members: Vec<NewResident>,
}

/// A membership to write. Exactly one of `nik` (person programs) and `kk` (household
/// programs) is set.
#[derive(Debug, Clone)]
pub struct NewMembership {
    pub program: String,
    pub nik: Option<Nik>,
    pub kk: Option<NoKk>,
    pub component: Option<String>,
    pub member_nik: Option<Nik>,
    pub state: MembershipState,
    pub since: String,
    pub desa_code: u64,
}

impl Store {
    /// Adds a family and its members in one transaction.
    pub fn add_family(
        &self,
        kk: &NoKk,
        desa_code: u64,
        address: &str,
        dtks: bool,
        members: &[NewResident],
    ) -> Result<(), StoreError> {
        self.write(|db| insert_family(db, kk, desa_code, address, dtks, members))
    }

    /// Adds families with their members, then memberships of them, in one transaction: all
    /// of it, or none. For loading a registry in bulk (the demo generator).
    pub fn add_families(
        &self,
        families: &[NewFamily],
        memberships: &[NewMembership],
    ) -> Result<(), StoreError> {
        self.write(|db| {
            for family in families {
                let NewFamily { kk, desa_code, address, dtks, members } = family;
                insert_family(db, kk, *desa_code, address, *dtks, members)?;
            }
            insert_memberships(db, memberships)
        })
    }

    /// Writes memberships in one transaction: all of them, or none.
    pub fn add_memberships(&self, memberships: &[NewMembership]) -> Result<(), StoreError> {
        self.write(|db| insert_memberships(db, memberships))
    }

    /// Memberships of a program in a desa that count against its quota.
    pub fn quota_used(&self, program: &str, desa_code: u64) -> Result<u32, StoreError> {
        quota_used(&mut *self.pool.get()?, program, desa_code)
    }
}

fn insert_family(
    db: &mut impl Db,
    kk: &NoKk,
    desa_code: u64,
    address: &str,
    dtks: bool,
    members: &[NewResident],
) -> Result<(), StoreError> {
    db.execute(
        "INSERT INTO families (kk, desa_code, address) VALUES (?1, ?2, ?3)",
        params![kk.as_str(), desa_code, address],
    )?;
    for member in members {
        let sex = if member.nik.sex() == Sex::Female { "female" } else { "male" };
        db.execute(
            "INSERT INTO residents (nik, kk, name, sex, birth_date, relation, pregnant, nursing, dtks)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                member.nik.as_str(),
                kk.as_str(),
                member.name,
                sex,
                member.birth_date,
                member.relation.as_str(),
                member.pregnant,
                member.nursing,
                dtks
            ],
        )?;
    }
    Ok(())
}

/// Memberships of a program in a desa that count against its quota.
pub(crate) fn quota_used(
    db: &mut impl Db,
    program: &str,
    desa_code: u64,
) -> Result<u32, StoreError> {
    db.query_value(
        "SELECT count(*) FROM memberships WHERE program = ?1 AND desa_code = ?2 AND state <> 'ended'",
        params![program, desa_code],
    )
}

pub(crate) fn insert_memberships(
    db: &mut Conn,
    memberships: &[NewMembership],
) -> Result<(), StoreError> {
    // Several rows per statement: an import writes thousands, and on PostgreSQL each
    // statement is a round trip.
    for chunk in memberships.chunks(ROWS_PER_INSERT) {
        let params: Vec<Param<'_>> = chunk
            .iter()
            .flat_map(|m| {
                [
                    Param::Text(&m.program),
                    optional(m.nik.as_ref().map(Nik::as_str)),
                    optional(m.kk.as_ref().map(NoKk::as_str)),
                    optional(m.component.as_deref()),
                    optional(m.member_nik.as_ref().map(Nik::as_str)),
                    Param::Text(m.state.as_str()),
                    Param::Text(&m.since),
                    Param::Int(i64::try_from(m.desa_code).unwrap_or(i64::MAX)),
                ]
            })
            .collect();
        db.execute(&insert_sql(chunk.len()), &params)?;
    }
    Ok(())
}

fn optional(text: Option<&str>) -> Param<'_> {
    text.map_or(Param::Null, Param::Text)
}

/// Membership rows written per INSERT statement.
const ROWS_PER_INSERT: usize = 64;

fn insert_sql(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|row| {
            let list: Vec<String> = (1..=8).map(|col| format!("?{}", row * 8 + col)).collect();
            format!("({})", list.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO memberships (program, nik, kk, component, member_nik, state, since, desa_code)
         VALUES {}",
        values.join(", ")
    )
}

impl Store {
    /// Desas with the most residents, largest first, with their resident counts.
    pub fn largest_desas(&self, limit: usize) -> Result<Vec<(u64, u64)>, StoreError> {
        self.pool
            .get()?
            .query(
                "SELECT f.desa_code, count(*) FROM residents r JOIN families f ON f.kk = r.kk
                 GROUP BY f.desa_code ORDER BY count(*) DESC, f.desa_code LIMIT ?1",
                params![limit as i64],
            )?
            .into_iter()
            .map(|mut row| Ok((row.get(0)?, row.get(1)?)))
            .collect()
    }

    /// The NIKs of a desa's residents, in NIK order.
    pub fn residents_of_desa(&self, desa_code: u64) -> Result<Vec<Nik>, StoreError> {
        self.pool
            .get()?
            .query(
                "SELECT r.nik FROM residents r JOIN families f ON f.kk = r.kk
                 WHERE f.desa_code = ?1 ORDER BY r.nik",
                params![desa_code],
            )?
            .into_iter()
            .map(|mut row| {
                let nik: String = row.get(0)?;
                Nik::parse(&nik).map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .collect()
    }
}
