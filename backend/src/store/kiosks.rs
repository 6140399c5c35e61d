//! Kiosk registrations: identity, secret, rate limit.

use super::sql::{Db, params};
use super::{Store, StoreError};
use protocol::auth::{KioskKey, valid_kiosk_id};
use rand::RngCore;

/// What the API needs to know about a calling kiosk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskRecord {
    pub secret_hex: String,
    pub lookups_per_minute: u32,
    pub enabled: bool,
}

impl Store {
    /// Registers a kiosk (or gives it a new secret) and returns its key, to be installed on
    /// the kiosk. The previous secret stops working at once.
    pub fn register_kiosk(
        &self,
        id: &str,
        desa_code: Option<u64>,
        lookups_per_minute: u32,
    ) -> Result<KioskKey, StoreError> {
        if !valid_kiosk_id(id) {
            return Err(StoreError::Invalid(format!(
                "kiosk id {id:?}: use 1-64 of A-Z a-z 0-9 - _"
            )));
        }
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        let key = KioskKey::new(id, secret).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let now = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        self.write(|db| {
            db.execute(
                "INSERT INTO kiosks (id, secret, desa_code, lookups_per_minute, enabled, created_at)
                 VALUES (?1, ?2, ?3, ?4, TRUE, ?5)
                 ON CONFLICT (id) DO UPDATE SET secret = excluded.secret,
                     desa_code = excluded.desa_code,
                     lookups_per_minute = excluded.lookups_per_minute, enabled = TRUE",
                params![id, key.secret_hex(), desa_code, lookups_per_minute, now],
            )?;
            Ok(())
        })?;
        Ok(key)
    }

    /// Stops a kiosk's requests from being accepted.
    pub fn disable_kiosk(&self, id: &str) -> Result<bool, StoreError> {
        self.write(|db| {
            Ok(db.execute("UPDATE kiosks SET enabled = FALSE WHERE id = ?1", params![id])? == 1)
        })
    }

    pub fn kiosk(&self, id: &str) -> Result<Option<KioskRecord>, StoreError> {
        let row = self.pool.get()?.query_opt(
            "SELECT secret, lookups_per_minute, enabled FROM kiosks WHERE id = ?1",
            params![id],
        )?;
        row.map(|mut row| {
            Ok(KioskRecord {
                secret_hex: row.get(0)?,
                lookups_per_minute: row.get(1)?,
                enabled: row.get(2)?,
            })
        })
        .transpose()
    }
}
