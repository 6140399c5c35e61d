//! The public recipient list of one program in one desa: the members the desa pins to the
//! notice board (balai desa, mosque, church). Only verified and active memberships of living
//! residents; a household program names the head of the family once, whatever components
//! the household holds. The NIK leaves this query only to be masked by the caller.

use super::sql::{Db, params};
use super::{Store, StoreError};

/// One line of the notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicMember {
    pub name: String,
    /// The full NIK: callers show [`protocol::Nik::masked`] of it, never this.
    pub nik: String,
    pub dusun: String,
    pub rw: String,
    pub rt: String,
}

impl Store {
    /// The verified and active members of `program` in `desa`, by dusun, RW, RT and name.
    pub fn public_list(&self, desa: u64, program: &str) -> Result<Vec<PublicMember>, StoreError> {
        let mut db = self.pool.get()?;
        let rows = db.query(
            "SELECT DISTINCT r.name, r.nik, f.dusun, f.rw, f.rt
             FROM memberships m
             JOIN residents r ON r.nik = m.nik
                 OR (m.nik IS NULL AND r.kk = m.kk AND r.relation = 'head')
             JOIN families f ON f.kk = r.kk
             WHERE m.program = ?1 AND m.desa_code = ?2
               AND m.state IN ('verified', 'active') AND r.life_status = 'alive'
             ORDER BY f.dusun, f.rw, f.rt, r.name, r.nik",
            params![program, desa],
        )?;
        rows.into_iter()
            .map(|mut row| {
                Ok(PublicMember {
                    name: row.get(0)?,
                    nik: row.get(1)?,
                    dusun: row.get(2)?,
                    rw: row.get(3)?,
                    rt: row.get(4)?,
                })
            })
            .collect()
    }
}

impl Store {
    /// The desas with families in the registry: what a kabupaten account picks from.
    pub fn registry_desas(&self) -> Result<Vec<u64>, StoreError> {
        let mut db = self.pool.get()?;
        let rows = db.query("SELECT DISTINCT desa_code FROM families ORDER BY desa_code", &[])?;
        rows.into_iter().map(|mut row| row.get(0)).collect()
    }
}
