//! The desas the report queue's picker offers: those with at least one citizen report.

use super::sql::Db;
use super::{Store, StoreError};

impl Store {
    /// Desa codes with at least one report, ascending (reports whose subject left the
    /// registry have no desa and are not counted).
    pub fn report_desas(&self) -> Result<Vec<u64>, StoreError> {
        self.pool.get()?.read(|db| {
            db.query(
                "SELECT DISTINCT desa_code FROM reports WHERE desa_code IS NOT NULL
                 ORDER BY desa_code",
                &[],
            )?
            .into_iter()
            .map(|mut row| row.get::<u64>(0))
            .collect()
        })
    }
}
