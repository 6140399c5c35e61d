//! Kiosk registrations: identity, secret, rate limit.

use super::sql::{Db, params};
use super::{Store, StoreError};
use crate::secrets::seal;
use protocol::auth::{KioskKey, valid_kiosk_id};
use protocol::ticket::Ticket;
use rand::RngCore;

/// What the API needs to know about a calling kiosk.
#[derive(Clone, PartialEq, Eq)]
pub struct KioskRecord {
    /// The kiosk's HMAC secret, opened from its sealed value; never shown by `Debug`.
    pub secret_hex: String,
    pub lookups_per_minute: u32,
    /// Requests that take a NIK or a ticket it may make per day.
    pub requests_per_day: u32,
    /// The desa it stands in; `None` for a kiosk of the kabupaten's own offices.
    pub desa_code: Option<u64>,
    pub enabled: bool,
    /// The kiosk's ticket issuer number; `None` for a kiosk registered before issuers.
    pub issuer: Option<u16>,
}

impl std::fmt::Debug for KioskRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KioskRecord")
            .field("secret_hex", &"<hidden>")
            .field("lookups_per_minute", &self.lookups_per_minute)
            .field("requests_per_day", &self.requests_per_day)
            .field("desa_code", &self.desa_code)
            .field("enabled", &self.enabled)
            .field("issuer", &self.issuer)
            .finish()
    }
}

impl Store {
    /// Registers a kiosk (or gives it a new secret) and returns its key, to be installed on
    /// the kiosk. The previous secret stops working at once. The secret is stored sealed
    /// under the master key; a store without one refuses
    /// ([`crate::secrets::SecretsError::NoKey`]) rather than store it in plain text.
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
        let sealer = self.sealer()?;
        let issuer = self.write(|db| {
            let sealed = seal(&sealer.sealing_key()?, id, &key.secret_hex());
            let issuer = kiosk_issuer(db, id)?;
            db.execute(
                "INSERT INTO kiosks (id, secret, desa_code, lookups_per_minute, enabled, created_at,
                     issuer)
                 VALUES (?1, ?2, ?3, ?4, TRUE, ?5, ?6)
                 ON CONFLICT (id) DO UPDATE SET secret = excluded.secret,
                     desa_code = excluded.desa_code,
                     lookups_per_minute = excluded.lookups_per_minute, enabled = TRUE,
                     issuer = excluded.issuer",
                params![id, sealed, desa_code, lookups_per_minute, now, issuer],
            )?;
            Ok(issuer)
        })?;
        key.with_issuer(issuer).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// Stops a kiosk's requests from being accepted.
    pub fn disable_kiosk(&self, id: &str) -> Result<bool, StoreError> {
        self.write(|db| {
            Ok(db.execute("UPDATE kiosks SET enabled = FALSE WHERE id = ?1", params![id])? == 1)
        })
    }

    /// Whether a kiosk of this id is registered (enabled or not).
    pub(crate) fn kiosk_exists(&self, id: &str) -> Result<bool, StoreError> {
        self.pool
            .get()?
            .query_value("SELECT EXISTS (SELECT 1 FROM kiosks WHERE id = ?1)", params![id])
    }

    /// The kiosk's registration with its secret opened. A secret that does not open (sealed
    /// under a key not loaded, altered, moved from another kiosk's row, or in plain text)
    /// is an error that [`crate::secrets::SecretsError::refuses_kiosk`] (the API answers
    /// 401); a store without a key refuses too.
    pub fn kiosk(&self, id: &str) -> Result<Option<KioskRecord>, StoreError> {
        let sealer = self.sealer()?;
        let row = self.pool.get()?.query_opt(
            "SELECT secret, lookups_per_minute, enabled, issuer, requests_per_day, desa_code
             FROM kiosks WHERE id = ?1",
            params![id],
        )?;
        row.map(|mut row| {
            let issuer: Option<i64> = row.get(3)?;
            let per_day: i64 = row.get(4)?;
            let sealed: String = row.get(0)?;
            Ok(KioskRecord {
                secret_hex: sealer.open(id, &sealed)?,
                lookups_per_minute: row.get(1)?,
                requests_per_day: u32::try_from(per_day).unwrap_or(u32::MAX),
                desa_code: row.get(5)?,
                enabled: row.get(2)?,
                issuer: issuer.and_then(|issuer| u16::try_from(issuer).ok()),
            })
        })
        .transpose()
    }
}

/// The kiosk's issuer number: the one it has (a renewal keeps it, so tickets it already
/// printed stay its own), or else the lowest free one. Called inside the write transaction,
/// where writers take turns, so two registrations cannot take the same number.
fn kiosk_issuer(db: &mut impl Db, id: &str) -> Result<u16, StoreError> {
    let existing: Option<Option<i64>> = db
        .query_opt("SELECT issuer FROM kiosks WHERE id = ?1", params![id])?
        .map(|mut row| row.get(0))
        .transpose()?;
    if let Some(Some(issuer)) = existing {
        return u16::try_from(issuer).map_err(|_| StoreError::Corrupt(format!("issuer {issuer}")));
    }
    let mut taken = Vec::new();
    for mut row in db.query("SELECT issuer FROM kiosks WHERE issuer IS NOT NULL", &[])? {
        let issuer: i64 = row.get(0)?;
        taken.push(issuer);
    }
    taken.sort_unstable();
    let mut next: i64 = 1;
    for issuer in taken {
        if issuer == next {
            next += 1;
        } else if issuer > next {
            break;
        }
    }
    u16::try_from(next)
        .ok()
        .filter(|issuer| *issuer <= Ticket::MAX_ISSUER)
        .ok_or_else(|| StoreError::Invalid("all 9999 kiosk issuer numbers are taken".into()))
}
