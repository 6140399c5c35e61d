//! Managing the fleet from the console and the staff API alike: who sees which kiosk, who
//! may change its configuration, what a configuration form may hold, and the views both
//! show. One place, so the two doors decide the same way.
//!
//! Seeing: a desa account sees its desa's kiosks, a kabupaten account or auditor every
//! kiosk; another desa's kiosk is "not found", as if it did not exist. Changing the
//! configuration and staff PINs: kabupaten operators for every kiosk, and a desa's signers
//! (the kepala desa or a delegate, who answer for the hall) for their own desa's kiosks.
//! Desa operators and auditors read only. Every change makes a new configuration version
//! (it is a hash of the content), which the kiosk sees in its next heartbeat's answer and
//! pulls, signed, as before.

use protocol::Text;
use protocol::fleet::{
    IDLE_TIMEOUT_RANGE, MAX_PIN, MIN_PIN, SERVICES, TEXT_MAX, valid_pin, valid_pin_label,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::store::{KioskSettings, StaffRecord, StaffRole, StoreError};

pub mod alerts;
mod pins;
mod view;
pub use pins::{
    DesaPinInput, DesaPinLabel, DesaPins, PinLabel, desa_changeable, desa_pins, remove_desa_pin,
    remove_pin, set_desa_pin, unconfirmed,
};
pub use view::{
    ConfigChanged, FleetKiosk, FleetKioskDetail, HeartbeatLine, KioskAlert, OFFLINE_AFTER_SECONDS,
    RECENT_HEARTBEATS, configure, fleet, fleet_states, kiosk, kiosk_with_state, set_pin,
};

/// Why a fleet request is refused.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// No such kiosk, or one of another desa (the same answer, so nothing is probed).
    #[error("no such kiosk")]
    NotFound,
    /// The account may look but not change.
    #[error("not allowed to change this kiosk")]
    Forbidden,
    /// The form breaks a rule; the message says which, in both languages.
    #[error("invalid: {}", .0.en)]
    Invalid(Text),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl FleetError {
    pub fn forbidden_text() -> Text {
        Text::new(
            "Hanya operator kabupaten dan penanda tangan desa yang dapat mengubah anjungan.",
            "Only kabupaten operators and the desa's signers may change a kiosk.",
        )
    }
}

/// Whether `staff` sees a kiosk standing in `desa` (`None`: the kabupaten's own offices).
pub fn sees(staff: &StaffRecord, desa: Option<u64>) -> bool {
    match desa {
        Some(desa) => staff.covers(desa),
        None => staff.desa_code.is_none(),
    }
}

/// Whether `staff` may change the configuration and PINs of a kiosk in `desa`.
pub fn may_configure(staff: &StaffRecord, desa: Option<u64>) -> bool {
    sees(staff, desa)
        && match staff.role {
            StaffRole::Kabupaten => true,
            StaffRole::Signer => desa.is_some(),
            StaffRole::Operator | StaffRole::Auditor => false,
        }
}

/// A configuration as a form or a JSON body sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct SettingsInput {
    /// Service codes offered; shown in the kiosk's usual order whatever order they come in.
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default)]
    pub notice_id: String,
    #[serde(default)]
    pub notice_en: String,
    pub idle_timeout_seconds: u32,
}

/// A staff PIN to set (or reset) on one kiosk.
#[derive(Clone, Default, Deserialize, ToSchema)]
pub struct PinInput {
    pub label: String,
    /// 6 to 8 digits; kept only as its Argon2id hash.
    pub pin: String,
}

fn invalid(id: &str, en: &str) -> FleetError {
    FleetError::Invalid(Text::new(id, en))
}

fn clean_notice(text: &str, language: (&str, &str)) -> Result<String, FleetError> {
    let text = text.trim();
    if text.chars().any(char::is_control) {
        return Err(FleetError::Invalid(Text::new(
            format!("Pengumuman ({}) memuat karakter kendali.", language.0),
            format!("The notice ({}) holds control characters.", language.1),
        )));
    }
    if text.chars().count() > TEXT_MAX {
        return Err(FleetError::Invalid(Text::new(
            format!("Pengumuman ({}) paling banyak {TEXT_MAX} karakter.", language.0),
            format!("The notice ({}) is at most {TEXT_MAX} characters.", language.1),
        )));
    }
    Ok(text.to_owned())
}

/// The settings `input` asks for, or what is wrong with them.
pub fn clean_settings(input: &SettingsInput) -> Result<KioskSettings, FleetError> {
    if let Some(unknown) = input.services.iter().find(|s| !SERVICES.contains(&s.as_str())) {
        return Err(FleetError::Invalid(Text::new(
            format!("Layanan tidak dikenal: {unknown:.20}"),
            format!("Unknown service: {unknown:.20}"),
        )));
    }
    let services: Vec<String> = SERVICES
        .iter()
        .filter(|code| input.services.iter().any(|s| s == *code))
        .map(|code| code.to_string())
        .collect();
    if services.is_empty() {
        return Err(invalid("Pilih paling sedikit satu layanan.", "Choose at least one service."));
    }
    if !IDLE_TIMEOUT_RANGE.contains(&input.idle_timeout_seconds) {
        return Err(FleetError::Invalid(Text::new(
            format!(
                "Batas diam harus {} sampai {} detik.",
                IDLE_TIMEOUT_RANGE.start(),
                IDLE_TIMEOUT_RANGE.end()
            ),
            format!(
                "The idle timeout must be {} to {} seconds.",
                IDLE_TIMEOUT_RANGE.start(),
                IDLE_TIMEOUT_RANGE.end()
            ),
        )));
    }
    let id = clean_notice(&input.notice_id, ("Indonesia", "Indonesian"))?;
    let en = clean_notice(&input.notice_en, ("Inggris", "English"))?;
    let notice = match (id.is_empty(), en.is_empty()) {
        (true, true) => None,
        (false, false) => Some(Text::new(id, en)),
        _ => {
            return Err(invalid(
                "Tulis pengumuman dalam dua bahasa, atau kosongkan keduanya.",
                "Write the notice in both languages, or leave both empty.",
            ));
        }
    };
    Ok(KioskSettings { services, notice, idle_timeout_seconds: input.idle_timeout_seconds })
}

/// The PIN `input` sets, or what is wrong with it.
pub fn clean_pin(input: &PinInput) -> Result<(String, String), FleetError> {
    let label = input.label.trim();
    if !valid_pin_label(label) {
        return Err(invalid(
            "Nama PIN 1 sampai 32 karakter, tanpa karakter kendali.",
            "A PIN's label is 1 to 32 characters, no control characters.",
        ));
    }
    if !valid_pin(&input.pin) {
        return Err(FleetError::Invalid(Text::new(
            format!("PIN harus {MIN_PIN} sampai {MAX_PIN} angka."),
            format!("The PIN must be {MIN_PIN} to {MAX_PIN} digits."),
        )));
    }
    Ok((label.to_owned(), input.pin.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(notice_id: &str, notice_en: &str, idle: u32) -> SettingsInput {
        SettingsInput {
            services: vec!["letter".into(), "status".into()],
            notice_id: notice_id.into(),
            notice_en: notice_en.into(),
            idle_timeout_seconds: idle,
        }
    }

    #[test]
    fn settings_are_checked_at_the_boundary() {
        let ok = clean_settings(&input(" Tutup Jumat ", "Closed Friday", 90)).expect("valid");
        assert_eq!(ok.services, ["status", "letter"], "the kiosk's own order");
        assert_eq!(ok.notice, Some(Text::new("Tutup Jumat", "Closed Friday")));
        assert!(clean_settings(&input("", "", 90)).expect("valid").notice.is_none());
        assert!(clean_settings(&input("Tutup", "", 90)).is_err(), "one language only");
        assert!(clean_settings(&input("a\u{1b}[2J", "b", 90)).is_err(), "control characters");
        assert!(clean_settings(&input(&"x".repeat(301), "b", 90)).is_err(), "too long");
        assert!(clean_settings(&input("", "", 19)).is_err());
        assert!(clean_settings(&input("", "", 601)).is_err());
        let mut none = input("", "", 90);
        none.services.clear();
        assert!(clean_settings(&none).is_err());
        none.services.push("shell".into());
        assert!(clean_settings(&none).is_err());
    }

    #[test]
    fn pins_are_six_to_eight_digits() {
        let pin = |pin: &str| clean_pin(&PinInput { label: "sekdes".into(), pin: pin.into() });
        assert!(pin("12345").is_err());
        assert!(pin("12345a").is_err());
        assert!(pin("123456789").is_err());
        assert_eq!(pin("123456").expect("valid").1, "123456");
    }
}
