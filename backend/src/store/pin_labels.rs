//! Which staff PINs exist, by label (never a PIN or its hash): a kiosk's own or a desa's,
//! for the fleet pages and the staff API to list and withdraw.

use super::fleet::PinScope;
use super::sql::{Db, params};
use super::{Store, StoreError};

impl Store {
    /// Labels of the PINs set for exactly `scope` (a kiosk's own, without its desa's).
    pub fn pin_labels(&self, scope: &PinScope) -> Result<Vec<String>, StoreError> {
        let rows = match scope {
            PinScope::Kiosk(id) => self.pool.get()?.query(
                "SELECT label FROM kiosk_pins WHERE kiosk_id = ?1 ORDER BY label",
                params![id],
            )?,
            PinScope::Desa(code) => self.pool.get()?.query(
                "SELECT label FROM kiosk_pins WHERE desa_code = ?1 ORDER BY label",
                params![code],
            )?,
        };
        rows.into_iter().map(|mut row| row.get(0)).collect()
    }

    /// Desa-wide PINs by desa and label: of `desa`, or of every desa when `None`.
    pub fn desa_pins(&self, desa: Option<u64>) -> Result<Vec<(u64, String)>, StoreError> {
        let mut db = self.pool.get()?;
        let rows = match desa {
            Some(desa) => db.query(
                "SELECT desa_code, label FROM kiosk_pins WHERE desa_code = ?1 ORDER BY label",
                params![desa],
            )?,
            None => db.query(
                "SELECT desa_code, label FROM kiosk_pins WHERE desa_code IS NOT NULL
                 ORDER BY desa_code, label",
                &[],
            )?,
        };
        rows.into_iter().map(|mut row| Ok((row.get(0)?, row.get(1)?))).collect()
    }
}
