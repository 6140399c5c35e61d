//! The fleet: kiosks' latest heartbeats, staff PINs for the kiosks' staff mode, and the
//! configuration each kiosk pulls. PINs are hashed with Argon2id like staff passwords; the
//! kiosks receive the hashes and check a PIN offline.

use std::collections::BTreeMap;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, SaltString};
use protocol::Text;
use protocol::fleet::{
    Heartbeat, IDLE_TIMEOUT_RANGE, KioskConfig, PrinterState, PrinterStatus, SERVICES, StaffPin,
    TEXT_NOTICE, valid_pin, valid_pin_label,
};
use protocol::region::regions;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::sql::{Db, params};
use super::{Store, StoreError};

/// Idle timeout of a kiosk without settings of its own, in seconds.
pub const DEFAULT_IDLE_TIMEOUT: u32 = 90;

/// Where a staff PIN is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinScope {
    /// On one kiosk.
    Kiosk(String),
    /// On every kiosk of a desa.
    Desa(u64),
}

/// A kiosk's latest heartbeat and when it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatRecord {
    /// RFC 3339 UTC, the backend's clock.
    pub received_at: String,
    pub heartbeat: Heartbeat,
}

/// Per-kiosk settings sent with the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskSettings {
    /// Service codes in display order.
    pub services: Vec<String>,
    /// A line shown on the kiosk's home screen.
    pub notice: Option<Text>,
    pub idle_timeout_seconds: u32,
}

impl Default for KioskSettings {
    fn default() -> KioskSettings {
        KioskSettings {
            services: SERVICES.iter().map(|s| s.to_string()).collect(),
            notice: None,
            idle_timeout_seconds: DEFAULT_IDLE_TIMEOUT,
        }
    }
}

pub(super) fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// "Desa Bomo, Kecamatan Blimbingsari": the seventh digit of a village code tells a desa
/// (2) from a kelurahan (1).
pub(crate) fn village_name(desa_code: u64) -> String {
    let r = regions();
    let Some(village) = r.village(desa_code) else { return String::new() };
    let kind = if (desa_code / 1000) % 10 == 1 { "Kelurahan" } else { "Desa" };
    match r.district((desa_code / 10_000) as u32) {
        Some(district) => format!("{kind} {}, Kecamatan {}", village.name, district.name),
        None => format!("{kind} {}", village.name),
    }
}

impl Store {
    /// Keeps a kiosk's heartbeat as its latest. Returns whether it reports a keypad lockout
    /// the previous heartbeat did not (a new lockout: alert once, not every minute).
    pub fn record_heartbeat(
        &self,
        kiosk_id: &str,
        beat: &Heartbeat,
        received_at: &str,
        audit: &super::AuditEntry,
    ) -> Result<bool, StoreError> {
        let printer_state = beat.printer.map(|p| p.state.as_str());
        let paper = beat.printer.and_then(|p| p.paper_remaining_mm);
        self.write(|db| {
            let was_locked: Option<bool> = db
                .query_opt(
                    "SELECT pin_locked FROM kiosk_heartbeats WHERE kiosk_id = ?1",
                    params![kiosk_id],
                )?
                .map(|mut row| row.get(0))
                .transpose()?;
            db.execute(
                "INSERT INTO kiosk_heartbeats (kiosk_id, received_at, sent_at, version,
                     uptime_seconds, printer_state, paper_remaining_mm, queue_depth, door_open,
                     last_error, pin_failures, pin_locked)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                 ON CONFLICT (kiosk_id) DO UPDATE SET received_at = excluded.received_at,
                     sent_at = excluded.sent_at, version = excluded.version,
                     uptime_seconds = excluded.uptime_seconds,
                     printer_state = excluded.printer_state,
                     paper_remaining_mm = excluded.paper_remaining_mm,
                     queue_depth = excluded.queue_depth, door_open = excluded.door_open,
                     last_error = excluded.last_error, pin_failures = excluded.pin_failures,
                     pin_locked = excluded.pin_locked",
                params![
                    kiosk_id,
                    received_at,
                    beat.sent_at,
                    beat.version,
                    beat.uptime_seconds,
                    printer_state,
                    paper,
                    beat.queue_depth,
                    beat.door_open,
                    beat.last_error,
                    beat.pin_failures,
                    beat.pin_locked
                ],
            )?;
            // Recorded with the heartbeat it describes, in the same transaction.
            super::audit::insert_in(db, audit)?;
            Ok(beat.pin_locked && was_locked != Some(true))
        })
    }

    /// A kiosk's latest heartbeat, if it ever sent one.
    pub fn kiosk_heartbeat(&self, kiosk_id: &str) -> Result<Option<HeartbeatRecord>, StoreError> {
        let row = self.pool.get()?.query_opt(
            "SELECT received_at, sent_at, version, uptime_seconds, printer_state,
                    paper_remaining_mm, queue_depth, door_open, last_error, pin_failures,
                    pin_locked
             FROM kiosk_heartbeats WHERE kiosk_id = ?1",
            params![kiosk_id],
        )?;
        let Some(mut row) = row else { return Ok(None) };
        let received_at = row.get(0)?;
        let sent_at = row.get(1)?;
        let version = row.get(2)?;
        let uptime_seconds = row.get(3)?;
        let state: Option<String> = row.get(4)?;
        let paper_remaining_mm = row.get(5)?;
        let printer = match state {
            Some(text) => Some(PrinterStatus {
                state: PrinterState::parse(&text)
                    .ok_or_else(|| StoreError::Corrupt(format!("printer state {text:?}")))?,
                paper_remaining_mm,
            }),
            None => None,
        };
        Ok(Some(HeartbeatRecord {
            received_at,
            heartbeat: Heartbeat {
                version,
                uptime_seconds,
                printer,
                queue_depth: row.get(6)?,
                door_open: row.get(7)?,
                last_error: row.get(8)?,
                sent_at,
                pin_failures: row.get(9)?,
                pin_locked: row.get(10)?,
            },
        }))
    }

    /// Sets (or replaces) a staff PIN for kiosk staff mode. The PIN is 6 to 8 digits; only
    /// its Argon2id hash is kept.
    pub fn set_kiosk_pin(
        &self,
        scope: &PinScope,
        label: &str,
        pin: &str,
    ) -> Result<(), StoreError> {
        if !valid_pin_label(label) {
            return Err(StoreError::Invalid(format!("label {label:?}: 1-32 characters")));
        }
        if !valid_pin(pin) {
            return Err(StoreError::Invalid("the PIN must be 6 to 8 digits".into()));
        }
        if let PinScope::Kiosk(id) = scope
            && !self.kiosk_exists(id)?
        {
            return Err(StoreError::Invalid(format!("no kiosk {id}")));
        }
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt)
            .map_err(|e| StoreError::Invalid(format!("cannot make salt: {e}")))?;
        let hash = Argon2::default()
            .hash_password(pin.as_bytes(), &salt)
            .map_err(|e| StoreError::Invalid(format!("cannot hash PIN: {e}")))?
            .to_string();
        let (kiosk_id, desa_code) = scope_columns(scope);
        let created_at = now();
        self.write(|db| {
            delete_pin(db, scope, label)?;
            db.execute(
                "INSERT INTO kiosk_pins (kiosk_id, desa_code, label, pin_hash, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![kiosk_id, desa_code, label, hash, created_at],
            )?;
            Ok(())
        })
    }

    /// Withdraws a staff PIN; kiosks stop accepting it at their next configuration pull.
    pub fn remove_kiosk_pin(&self, scope: &PinScope, label: &str) -> Result<bool, StoreError> {
        self.write(|db| Ok(delete_pin(db, scope, label)? > 0))
    }

    /// Sets what a kiosk offers and shows.
    pub fn set_kiosk_settings(
        &self,
        kiosk_id: &str,
        settings: &KioskSettings,
    ) -> Result<(), StoreError> {
        if !self.kiosk_exists(kiosk_id)? {
            return Err(StoreError::Invalid(format!("no kiosk {kiosk_id}")));
        }
        if let Some(unknown) = settings.services.iter().find(|s| !SERVICES.contains(&s.as_str())) {
            return Err(StoreError::Invalid(format!(
                "unknown service {unknown:?}; known: {}",
                SERVICES.join(", ")
            )));
        }
        if settings.services.is_empty() {
            return Err(StoreError::Invalid("at least one service".into()));
        }
        if !IDLE_TIMEOUT_RANGE.contains(&settings.idle_timeout_seconds) {
            return Err(StoreError::Invalid(format!(
                "idle timeout must be {}..={} seconds",
                IDLE_TIMEOUT_RANGE.start(),
                IDLE_TIMEOUT_RANGE.end()
            )));
        }
        let services = settings.services.join(",");
        let (notice_id, notice_en) = match &settings.notice {
            Some(text) => (Some(text.id.as_str()), Some(text.en.as_str())),
            None => (None, None),
        };
        let updated_at = now();
        self.write(|db| {
            db.execute(
                "INSERT INTO kiosk_settings (kiosk_id, services, notice_id, notice_en,
                     idle_timeout_seconds, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (kiosk_id) DO UPDATE SET services = excluded.services,
                     notice_id = excluded.notice_id, notice_en = excluded.notice_en,
                     idle_timeout_seconds = excluded.idle_timeout_seconds,
                     updated_at = excluded.updated_at",
                params![
                    kiosk_id,
                    services,
                    notice_id,
                    notice_en,
                    settings.idle_timeout_seconds,
                    updated_at
                ],
            )?;
            Ok(())
        })
    }

    /// The configuration a kiosk pulls; `None` for an unknown kiosk. Its version is a hash
    /// of everything else, so it changes exactly when the content does.
    /// `letters`: the catalogue's letter types as kiosks see them.
    pub fn kiosk_config(
        &self,
        kiosk_id: &str,
        letters: &[protocol::letter::LetterType],
    ) -> Result<Option<KioskConfig>, StoreError> {
        let mut db = self.pool.get()?;
        let Some(mut kiosk) =
            db.query_opt("SELECT desa_code FROM kiosks WHERE id = ?1", params![kiosk_id])?
        else {
            return Ok(None);
        };
        let desa_code: Option<u64> = kiosk.get(0)?;
        let settings = match db.query_opt(
            "SELECT services, notice_id, notice_en, idle_timeout_seconds
             FROM kiosk_settings WHERE kiosk_id = ?1",
            params![kiosk_id],
        )? {
            Some(mut row) => {
                let services: String = row.get(0)?;
                let notice_id: Option<String> = row.get(1)?;
                let notice_en: Option<String> = row.get(2)?;
                KioskSettings {
                    services: services
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(Into::into)
                        .collect(),
                    notice: notice_id.zip(notice_en).map(|(id, en)| Text::new(id, en)),
                    idle_timeout_seconds: row.get(3)?,
                }
            }
            None => KioskSettings::default(),
        };
        let pins = db.query(
            "SELECT label, pin_hash FROM kiosk_pins WHERE kiosk_id = ?1 OR desa_code = ?2
             ORDER BY label, kiosk_id",
            params![kiosk_id, desa_code],
        )?;
        let staff_pins = pins
            .into_iter()
            .map(|mut row| Ok(StaffPin { label: row.get(0)?, pin_hash: row.get(1)? }))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let mut texts = BTreeMap::new();
        if let Some(notice) = settings.notice {
            texts.insert(TEXT_NOTICE.to_owned(), notice);
        }
        let mut config = KioskConfig {
            config_version: String::new(),
            kiosk_id: kiosk_id.to_owned(),
            desa_code,
            village_name: desa_code.map(village_name).unwrap_or_default(),
            services: settings.services,
            texts,
            staff_pins,
            idle_timeout_seconds: settings.idle_timeout_seconds,
            letters: letters.to_vec(),
            // Set when served (http/fleet.rs), so the version names the content only.
            issued_at: String::new(),
        };
        let content = serde_json::to_vec(&config)
            .map_err(|e| StoreError::Corrupt(format!("configuration: {e}")))?;
        config.config_version = hex::encode(&Sha256::digest(&content)[..8]);
        Ok(Some(config))
    }
}

fn scope_columns(scope: &PinScope) -> (Option<&str>, Option<u64>) {
    match scope {
        PinScope::Kiosk(id) => (Some(id.as_str()), None),
        PinScope::Desa(code) => (None, Some(*code)),
    }
}

fn delete_pin(db: &mut impl Db, scope: &PinScope, label: &str) -> Result<u64, StoreError> {
    match scope {
        PinScope::Kiosk(id) => db.execute(
            "DELETE FROM kiosk_pins WHERE kiosk_id = ?1 AND label = ?2",
            params![id, label],
        ),
        PinScope::Desa(code) => db.execute(
            "DELETE FROM kiosk_pins WHERE desa_code = ?1 AND label = ?2",
            params![code, label],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn village_names_say_desa_or_kelurahan() {
        let bomo = regions()
            .villages_of(351025)
            .iter()
            .find(|v| v.name == "Bomo")
            .expect("Bomo is in Blimbingsari");
        assert_eq!(village_name(bomo.code), "Desa Bomo, Kecamatan Blimbingsari");
        let kelurahan = regions()
            .villages_of(351015)
            .iter()
            .find(|v| (v.code / 1000) % 10 == 1)
            .expect("a kelurahan in 35.10.15");
        assert!(village_name(kelurahan.code).starts_with("Kelurahan "));
    }
}
