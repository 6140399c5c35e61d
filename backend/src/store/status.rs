//! Reading one resident's status: the person, their family, and every membership of both.

use super::sql::{Db, params};
use super::{Store, StoreError};
use protocol::api::{MembershipState, Relation};
use protocol::{Nik, Text};

/// A membership as stored, with the program's names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipRecord {
    pub program: String,
    pub program_name: Text,
    /// Set for person-unit memberships.
    pub nik: Option<String>,
    /// Set for household-unit memberships.
    pub kk: Option<String>,
    pub component: Option<String>,
    pub member_nik: Option<String>,
    pub state: MembershipState,
    pub since: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRecord {
    pub nik: String,
    pub name: String,
    pub relation: Relation,
}

/// Everything the status answer is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRecord {
    pub name: String,
    pub sex: protocol::Sex,
    pub pregnant: bool,
    pub nursing: bool,
    pub kk: String,
    pub desa_code: u64,
    /// Every member of the KK, the subject included.
    pub members: Vec<MemberRecord>,
    /// Memberships of the household and of each member.
    pub memberships: Vec<MembershipRecord>,
}

impl Store {
    /// Up to `count` NIKs spread over the registry, chosen by `seed` (for benchmarks): each
    /// is the first NIK at or after a random point between the smallest and the largest.
    pub fn sample_niks(&self, count: usize, seed: u64) -> Result<Vec<Nik>, StoreError> {
        let mut db = self.pool.get()?;
        let mut bounds = db.query_one(
            "SELECT coalesce(min(nik), ''), coalesce(max(nik), '') FROM residents",
            &[],
        )?;
        let (low, high): (String, String) = (bounds.get(0)?, bounds.get(1)?);
        let (Ok(low), Ok(high)) = (low.parse::<u64>(), high.parse::<u64>()) else {
            return Ok(Vec::new());
        };
        let mut state = seed | 1;
        let mut niks = Vec::with_capacity(count);
        for _ in 0..count {
            // xorshift: enough to spread lookups over the whole table.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let start = format!("{:016}", low + state % (high - low + 1));
            let nik: Option<String> = match db.query_opt(
                "SELECT nik FROM residents WHERE nik >= ?1 ORDER BY nik LIMIT 1",
                params![start],
            )? {
                Some(mut row) => row.get(0)?,
                None => None,
            };
            if let Some(nik) = nik.and_then(|n| Nik::parse(&n).ok()) {
                niks.push(nik);
            }
        }
        Ok(niks)
    }

    /// The resident's status, or `None` when the NIK is not in the registry.
    pub fn status(&self, nik: &Nik) -> Result<Option<StatusRecord>, StoreError> {
        read_status(&mut *self.pool.get()?, nik)
    }
}

/// Reads a resident's status on `db`, which may be inside a write transaction.
pub(super) fn read_status(db: &mut impl Db, nik: &Nik) -> Result<Option<StatusRecord>, StoreError> {
    // The whole family in one query, from the covering index on (kk, ...).
    let rows = db.query(
        "SELECT r.nik, r.name, r.relation, r.sex, r.pregnant, r.nursing, r.kk, f.desa_code
         FROM residents r JOIN families f ON f.kk = r.kk
         WHERE r.kk = (SELECT kk FROM residents WHERE nik = ?1)
         ORDER BY r.nik",
        params![nik.as_str()],
    )?;
    let mut members = Vec::with_capacity(rows.len());
    let mut subject = None;
    let mut family = None;
    for mut row in rows {
        let member_nik: String = row.get(0)?;
        let name: String = row.get(1)?;
        let relation: String = row.get(2)?;
        if member_nik == nik.as_str() {
            let sex: String = row.get(3)?;
            let sex = if sex == "female" { protocol::Sex::Female } else { protocol::Sex::Male };
            subject = Some((name.clone(), sex, row.get::<bool>(4)?, row.get::<bool>(5)?));
        }
        if family.is_none() {
            family = Some((row.get::<String>(6)?, row.get::<u64>(7)?));
        }
        members.push(MemberRecord {
            nik: member_nik,
            name,
            relation: Relation::parse(&relation)
                .ok_or_else(|| StoreError::Corrupt(format!("relation {relation:?}")))?,
        });
    }
    let (Some((name, sex, pregnant, nursing)), Some((kk, desa_code))) = (subject, family) else {
        return Ok(None);
    };

    let memberships = db
        .query(
            "SELECT m.program, p.name_id, p.name_en, m.nik, m.kk, m.component, m.member_nik,
                        m.state, m.since
                 FROM memberships m JOIN programs p ON p.code = m.program
                 WHERE m.kk = ?1
                 UNION ALL
                 SELECT m.program, p.name_id, p.name_en, m.nik, m.kk, m.component, m.member_nik,
                        m.state, m.since
                 FROM residents r
                 JOIN memberships m ON m.nik = r.nik
                 JOIN programs p ON p.code = m.program
                 WHERE r.kk = ?1",
            params![kk],
        )?
        .into_iter()
        .map(|mut row| {
            let state: String = row.get(7)?;
            Ok(MembershipRecord {
                program: row.get(0)?,
                program_name: Text::new(row.get::<String>(1)?, row.get::<String>(2)?),
                nik: row.get(3)?,
                kk: row.get(4)?,
                component: row.get(5)?,
                member_nik: row.get(6)?,
                state: MembershipState::parse(&state)
                    .ok_or_else(|| StoreError::Corrupt(format!("state {state:?}")))?,
                since: row.get(8)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Some(StatusRecord { name, sex, pregnant, nursing, kk, desa_code, members, memberships }))
}
