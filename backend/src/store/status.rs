//! Reading one resident's status: the person, their family, and every membership of both.

use protocol::api::{MembershipState, Relation};
use protocol::{Nik, Text};
use rusqlite::OptionalExtension;

use super::{Store, StoreError};

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
    /// Up to `count` NIKs spread over the registry, chosen by `seed` (for benchmarks).
    pub fn sample_niks(&self, count: usize, seed: u64) -> Result<Vec<Nik>, StoreError> {
        let conn = self.pool.get()?;
        let max: i64 =
            conn.query_row("SELECT coalesce(max(rowid), 0) FROM residents", [], |row| row.get(0))?;
        let mut query =
            conn.prepare_cached("SELECT nik FROM residents WHERE rowid >= ?1 LIMIT 1")?;
        let mut state = seed | 1;
        let mut niks = Vec::with_capacity(count);
        for _ in 0..count {
            // xorshift: enough to spread lookups over the whole table.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let rowid = (state % max.max(1) as u64) as i64 + 1;
            let nik: Option<String> = query.query_row([rowid], |row| row.get(0)).optional()?;
            if let Some(nik) = nik.and_then(|n| Nik::parse(&n).ok()) {
                niks.push(nik);
            }
        }
        Ok(niks)
    }

    /// The resident's status, or `None` when the NIK is not in the registry.
    pub fn status(&self, nik: &Nik) -> Result<Option<StatusRecord>, StoreError> {
        let conn = self.pool.get()?;
        let person = conn
            .prepare_cached(
                "SELECT r.name, r.kk, f.desa_code, r.sex, r.pregnant, r.nursing FROM residents r
                 JOIN families f ON f.kk = r.kk WHERE r.nik = ?1",
            )?
            .query_row([nik.as_str()], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, bool>(4)?,
                    row.get::<_, bool>(5)?,
                ))
            })
            .optional()?;
        let Some((name, kk, desa_code, sex, pregnant, nursing)) = person else { return Ok(None) };
        let sex = if sex == "female" { protocol::Sex::Female } else { protocol::Sex::Male };

        let mut members = Vec::new();
        let mut query = conn.prepare_cached(
            "SELECT nik, name, relation FROM residents WHERE kk = ?1 ORDER BY nik",
        )?;
        let mut rows = query.query([&kk])?;
        while let Some(row) = rows.next()? {
            let relation: String = row.get(2)?;
            members.push(MemberRecord {
                nik: row.get(0)?,
                name: row.get(1)?,
                relation: Relation::parse(&relation)
                    .ok_or_else(|| StoreError::Corrupt(format!("relation {relation:?}")))?,
            });
        }

        let mut memberships = Vec::new();
        let mut query = conn.prepare_cached(
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
        )?;
        let mut rows = query.query([&kk])?;
        while let Some(row) = rows.next()? {
            let state: String = row.get(7)?;
            memberships.push(MembershipRecord {
                program: row.get(0)?,
                program_name: Text::new(row.get::<_, String>(1)?, row.get::<_, String>(2)?),
                nik: row.get(3)?,
                kk: row.get(4)?,
                component: row.get(5)?,
                member_nik: row.get(6)?,
                state: MembershipState::parse(&state)
                    .ok_or_else(|| StoreError::Corrupt(format!("state {state:?}")))?,
                since: row.get(8)?,
            });
        }
        Ok(Some(StatusRecord {
            name,
            sex,
            pregnant,
            nursing,
            kk,
            desa_code: desa_code as u64,
            members,
            memberships,
        }))
    }
}
