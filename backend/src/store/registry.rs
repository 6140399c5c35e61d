//! Writing the registry: families, residents and memberships.

use std::collections::HashMap;

use protocol::api::{MembershipState, Relation};
use protocol::{Nik, NoKk, Sex};

use super::bulk::BulkInsert;
use super::conn::Conn;
use super::sql::{Db, Param, params};
use super::{Store, StoreError};
use crate::population::LifeStatus;

/// A resident as the registry records them. The codes are those of
/// [`population::codes`](crate::population::codes), `None` where unknown.
#[derive(Debug, Clone)]
pub struct NewResident {
    pub nik: Nik,
    pub name: String,
    pub birth_place: String,
    pub birth_date: String,
    /// The engine's coarse relation; `shdk` is the KK's own (1-11).
    pub relation: Relation,
    pub shdk: Option<u8>,
    pub religion: Option<u8>,
    pub education: Option<u8>,
    pub occupation: Option<u8>,
    pub marital_status: Option<u8>,
    pub nationality: Option<u8>,
    pub blood_type: Option<u8>,
    pub father_name: String,
    pub mother_name: String,
    pub pregnant: bool,
    pub nursing: bool,
    /// Only an alive resident may hold a live membership: see [`Store::add_families`].
    pub life_status: LifeStatus,
}

impl NewResident {
    /// A living resident of whom only the name, birth date and relation are known.
    pub fn new(
        nik: Nik,
        name: impl Into<String>,
        birth_date: impl Into<String>,
        relation: Relation,
    ) -> NewResident {
        NewResident {
            nik,
            name: name.into(),
            birth_place: String::new(),
            birth_date: birth_date.into(),
            relation,
            shdk: None,
            religion: None,
            education: None,
            occupation: None,
            marital_status: None,
            nationality: None,
            blood_type: None,
            father_name: String::new(),
            mother_name: String::new(),
            pregnant: false,
            nursing: false,
            life_status: LifeStatus::Alive,
        }
    }
}

/// A family and its members as the registry records them, for [`Store::add_families`].
#[derive(Debug, Clone)]
pub struct NewFamily {
    pub kk: NoKk,
    pub desa_code: u64,
    /// Inside the desa: dusun, RW and RT (three digits, "004"; "" unknown), street address.
    pub dusun: String,
    pub rw: String,
    pub rt: String,
    pub address: String,
    /// Listed in the DTKS (the social welfare register); recorded on every member.
    pub dtks: bool,
    /// DTSEN's welfare decile (1 poorest .. 10); `None` when the family is not ranked.
    pub desil: Option<u8>,
    /// The head first, as the KK lists them.
    pub members: Vec<NewResident>,
}

impl NewFamily {
    /// A family of the desa with no RT/RW, dusun or desil known.
    pub fn new(
        kk: NoKk,
        desa_code: u64,
        address: impl Into<String>,
        members: Vec<NewResident>,
    ) -> NewFamily {
        NewFamily {
            kk,
            desa_code,
            dusun: String::new(),
            rw: String::new(),
            rt: String::new(),
            address: address.into(),
            dtks: false,
            desil: None,
            members,
        }
    }
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
    pub fn add_family(&self, family: &NewFamily) -> Result<(), StoreError> {
        self.write(|db| insert_family(db, family))
    }

    /// Adds families with their members, then memberships of them, in one transaction: all
    /// of it, or none. For loading a registry in bulk (the demo generator).
    ///
    /// A resident who is not alive holds no live membership: one held by such a member of
    /// these families (the person, or the member a component concerns), or a household's
    /// where no member is alive, must be given `ended`, and is recorded as ended for that
    /// reason (`ended_reason` = the life status, `ended_at` = its `since`, the day it took
    /// its current state). Given live, the whole call is refused.
    pub fn add_families(
        &self,
        families: &[NewFamily],
        memberships: &[NewMembership],
    ) -> Result<(), StoreError> {
        let reasons = ending_reasons(families, memberships)?;
        self.write(|db| {
            for family in families {
                insert_family(db, family)?;
            }
            let rows: Vec<(&NewMembership, Option<&str>)> =
                memberships.iter().zip(reasons.iter().copied()).collect();
            insert_rows(db, &rows)
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

/// For each membership, why it ended when its holder is not alive: the holder's life status
/// (the person, or the member its component concerns), else for a household's the head's
/// when no member is alive. A live membership with such a reason is refused.
fn ending_reasons<'a>(
    families: &'a [NewFamily],
    memberships: &[NewMembership],
) -> Result<Vec<Option<&'static str>>, StoreError> {
    let mut inactive: HashMap<&str, LifeStatus> = HashMap::new();
    let mut nobody_alive: HashMap<&'a str, LifeStatus> = HashMap::new();
    for family in families {
        for member in &family.members {
            if !member.life_status.is_active() {
                inactive.insert(member.nik.as_str(), member.life_status);
            }
        }
        if let Some(head) = family.members.first()
            && family.members.iter().all(|m| !m.life_status.is_active())
        {
            nobody_alive.insert(family.kk.as_str(), head.life_status);
        }
    }
    memberships
        .iter()
        .map(|membership| {
            let holder = membership.nik.as_ref().or(membership.member_nik.as_ref());
            let status = holder
                .and_then(|nik| inactive.get(nik.as_str()))
                .or_else(|| membership.kk.as_ref().and_then(|kk| nobody_alive.get(kk.as_str())));
            match status {
                Some(status) if membership.state != MembershipState::Ended => {
                    Err(StoreError::Invalid(format!(
                        "a live {} membership of a resident recorded as {}",
                        membership.program,
                        status.as_str()
                    )))
                }
                Some(status) => Ok(Some(status.as_str())),
                None => Ok(None),
            }
        })
        .collect()
}

fn insert_family(db: &mut impl Db, family: &NewFamily) -> Result<(), StoreError> {
    let NewFamily { kk, desa_code, dusun, rw, rt, address, dtks, desil, members } = family;
    if let Some(desil) = desil
        && !(1..=10).contains(desil)
    {
        return Err(StoreError::Invalid(format!("desil {desil} is not 1 to 10")));
    }
    db.execute(
        "INSERT INTO families (kk, desa_code, address, dusun, rw, rt, desil)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![kk.as_str(), desa_code, address, dusun, rw, rt, desil],
    )?;
    for member in members {
        let sex = if member.nik.sex() == Sex::Female { "female" } else { "male" };
        db.execute(
            "INSERT INTO residents (nik, kk, name, sex, birth_date, relation, pregnant, nursing,
                 dtks, birth_place, religion, education, occupation, marital_status, shdk,
                 nationality, blood_type, father_name, mother_name, life_status)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                 ?17, ?18, ?19, ?20)",
            params![
                member.nik.as_str(),
                kk.as_str(),
                member.name,
                sex,
                member.birth_date,
                member.relation.as_str(),
                member.pregnant,
                member.nursing,
                dtks,
                member.birth_place,
                member.religion,
                member.education,
                member.occupation,
                member.marital_status,
                member.shdk,
                member.nationality,
                member.blood_type,
                member.father_name,
                member.mother_name,
                member.life_status.as_str()
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
    let rows: Vec<(&NewMembership, Option<&str>)> = memberships.iter().map(|m| (m, None)).collect();
    insert_rows(db, &rows)
}

/// Writes memberships, each with why it ended (then `ended_at` is its `since`) if it did
/// for a reason the registry knows. An import writes tens of thousands: in chunks, by COPY
/// on PostgreSQL (a multi-row INSERT there was a round trip per 64 rows).
fn insert_rows(db: &mut Conn, rows: &[(&NewMembership, Option<&str>)]) -> Result<(), StoreError> {
    let mut insert = BulkInsert::new(db.dialect(), "memberships", MEMBERSHIP_COLUMNS);
    for &(m, ended_reason) in rows {
        insert.push(
            db,
            &[
                Param::Text(&m.program),
                optional(m.nik.as_ref().map(Nik::as_str)),
                optional(m.kk.as_ref().map(NoKk::as_str)),
                optional(m.component.as_deref()),
                optional(m.member_nik.as_ref().map(Nik::as_str)),
                Param::Text(m.state.as_str()),
                Param::Text(&m.since),
                Param::Int(i64::try_from(m.desa_code).unwrap_or(i64::MAX)),
                optional(ended_reason),
                optional(ended_reason.map(|_| m.since.as_str())),
            ],
        )?;
    }
    insert.finish(db)?;
    Ok(())
}

fn optional(text: Option<&str>) -> Param<'_> {
    text.map_or(Param::Null, Param::Text)
}

/// A membership row's columns, in the order [`insert_rows`] gives them.
const MEMBERSHIP_COLUMNS: &[&str] = &[
    "program",
    "nik",
    "kk",
    "component",
    "member_nik",
    "state",
    "since",
    "desa_code",
    "ended_reason",
    "ended_at",
];

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
