//! What the console's charts count: active recipients per program and per desa, reports
//! filed per day (by the desa of the person reported about, as the dashboard counts them).
//! Counts only; no personal datum leaves these queries.

use super::sql::{Db, params};
use super::{Store, StoreError};

fn count(value: i64) -> u64 {
    value.max(0) as u64
}

impl Store {
    /// Active memberships per program (`desa`: of one desa only), with the program's names,
    /// most first.
    pub fn recipients_per_program(
        &self,
        desa: Option<u64>,
    ) -> Result<Vec<(String, String, String, u64)>, StoreError> {
        self.pool
            .get()?
            .query(
                "SELECT p.code, p.name_id, p.name_en, count(m.id)
                 FROM programs p JOIN memberships m ON m.program = p.code
                 WHERE m.state = 'active' AND (CAST(?1 AS BIGINT) IS NULL OR m.desa_code = ?1)
                 GROUP BY p.code, p.name_id, p.name_en
                 ORDER BY count(m.id) DESC, p.code",
                params![desa],
            )?
            .into_iter()
            .map(|mut row| {
                let n: i64 = row.get(3)?;
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, count(n)))
            })
            .collect()
    }

    /// Active memberships per desa, the `limit` desas with most first.
    pub fn recipients_per_desa(
        &self,
        desa: Option<u64>,
        limit: usize,
    ) -> Result<Vec<(u64, u64)>, StoreError> {
        self.pool
            .get()?
            .query(
                "SELECT desa_code, count(*) FROM memberships
                 WHERE state = 'active' AND (CAST(?1 AS BIGINT) IS NULL OR desa_code = ?1)
                 GROUP BY desa_code ORDER BY count(*) DESC, desa_code LIMIT ?2",
                params![desa, limit as i64],
            )?
            .into_iter()
            .map(|mut row| {
                let code: i64 = row.get(0)?;
                let n: i64 = row.get(1)?;
                Ok((code.max(0) as u64, count(n)))
            })
            .collect()
    }

    /// Reports filed per UTC day (`YYYY-MM-DD`) from `since_day` on.
    pub fn reports_per_day(
        &self,
        desa: Option<u64>,
        since_day: &str,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        self.pool
            .get()?
            .query(
                "SELECT substr(r.created_at, 1, 10), count(*)
                 FROM reports r
                 JOIN residents p ON p.nik = r.subject_nik
                 JOIN families f ON f.kk = p.kk
                 WHERE substr(r.created_at, 1, 10) >= ?1
                   AND (CAST(?2 AS BIGINT) IS NULL OR f.desa_code = ?2)
                 GROUP BY substr(r.created_at, 1, 10)
                 ORDER BY substr(r.created_at, 1, 10)",
                params![since_day, desa],
            )?
            .into_iter()
            .map(|mut row| {
                let n: i64 = row.get(1)?;
                Ok((row.get(0)?, count(n)))
            })
            .collect()
    }
}
