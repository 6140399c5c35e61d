//! The fleet side of the API: what a kiosk reports about itself every minute (heartbeat) and
//! the configuration it pulls (identity, desa, services, texts, staff PINs, idle timeout).
//!
//! Both travel signed like every other kiosk request. Neither carries personal data of
//! citizens: the heartbeat's `last_error` is masked by the kiosk and again by the backend.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Text;

/// `POST`: a kiosk's heartbeat ([`Heartbeat`]); answered with a [`HeartbeatAck`].
pub const HEARTBEAT_PATH: &str = "/api/v1/kiosk/heartbeat";
/// `GET`: the calling kiosk's configuration ([`KioskConfig`]).
pub const CONFIG_PATH: &str = "/api/v1/kiosk/config";

/// Longest software version string accepted.
pub const VERSION_MAX: usize = 32;
/// Longest `last_error` kept; longer ones are cut, not refused (an error must not stop the
/// heartbeat that reports it).
pub const LAST_ERROR_MAX: usize = 200;

/// Citizen services a kiosk can offer, by code, in the default display order.
pub const SERVICES: &[&str] = &["status", "report", "letter", "track", "help"];

/// Shortest and longest idle timeout a configuration may set, in seconds: shorter would cut
/// off a slow reader, longer would leave a visitor's data on screen for the next one.
pub const IDLE_TIMEOUT_RANGE: std::ops::RangeInclusive<u32> = 20..=600;

/// Key of the optional notice line shown on the home screen, in [`KioskConfig::texts`].
pub const TEXT_NOTICE: &str = "notice";
/// Longest text override, per language.
pub const TEXT_MAX: usize = 300;

/// What the printer says about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PrinterState {
    Online,
    PaperNearEnd,
    PaperOut,
    CoverOpen,
    /// Not reachable: unplugged, powered off, or the last job failed to reach it.
    Offline,
}

impl PrinterState {
    pub fn as_str(self) -> &'static str {
        match self {
            PrinterState::Online => "online",
            PrinterState::PaperNearEnd => "paper_near_end",
            PrinterState::PaperOut => "paper_out",
            PrinterState::CoverOpen => "cover_open",
            PrinterState::Offline => "offline",
        }
    }

    pub fn parse(text: &str) -> Option<PrinterState> {
        [Self::Online, Self::PaperNearEnd, Self::PaperOut, Self::CoverOpen, Self::Offline]
            .into_iter()
            .find(|state| state.as_str() == text)
    }

    /// For the staff screen.
    pub fn text(self) -> Text {
        match self {
            PrinterState::Online => Text::new("siap", "ready"),
            PrinterState::PaperNearEnd => Text::new("kertas hampir habis", "paper nearly out"),
            PrinterState::PaperOut => Text::new("kertas habis", "out of paper"),
            PrinterState::CoverOpen => Text::new("tutup printer terbuka", "cover open"),
            PrinterState::Offline => Text::new("tidak terhubung", "not connected"),
        }
    }
}

/// The printer part of a heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrinterStatus {
    pub state: PrinterState,
    /// Estimated paper left on the roll; `None` when the kiosk keeps no estimate.
    pub paper_remaining_mm: Option<u32>,
}

/// Body of `POST /api/v1/kiosk/heartbeat`. Fields the kiosk cannot know yet are `None`
/// rather than a made-up value, so the fleet view never shows a guess as a fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Heartbeat {
    /// Kiosk software version, at most [`VERSION_MAX`] characters.
    pub version: String,
    /// Seconds since the kiosk program started.
    pub uptime_seconds: u64,
    /// `None`: no print has been attempted yet and the printer reports no status.
    pub printer: Option<PrinterStatus>,
    /// Submissions waiting in the kiosk's outbox; `None` when the kiosk has no outbox.
    pub queue_depth: Option<u64>,
    /// The tamper switch of the kiosk's door; `None` when none is wired.
    pub door_open: Option<bool>,
    /// The most recent error the kiosk logged, masked; never personal data.
    pub last_error: Option<String>,
    /// RFC 3339 UTC, the kiosk's clock.
    pub sent_at: String,
    /// Wrong staff PINs typed since the last right one. Defaults to 0 so that kiosks older
    /// than this field still send valid heartbeats.
    #[serde(default)]
    pub pin_failures: u32,
    /// Whether the staff keypad is locked after too many wrong PINs right now.
    #[serde(default)]
    pub pin_locked: bool,
}

/// Answer to a heartbeat: which configuration is current, so a kiosk holding another one
/// pulls it now instead of at its next scheduled pull.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeartbeatAck {
    pub config_version: String,
}

/// A staff PIN as the kiosk receives it: only its Argon2id hash, so the kiosk can check a
/// PIN offline without ever holding it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffPin {
    /// Whose PIN it is, e.g. `Sekdes Bomo`; shown in the kiosk's log when used.
    pub label: String,
    /// Argon2id PHC string (`$argon2id$v=19$m=...`).
    pub pin_hash: String,
}

/// Answer to `GET /api/v1/kiosk/config`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KioskConfig {
    /// Changes whenever any other field changes (a hash of the content).
    pub config_version: String,
    pub kiosk_id: String,
    /// Ten-digit code of the desa the kiosk stands in; `None` for an unassigned kiosk.
    pub desa_code: Option<u64>,
    /// Name shown on screen and slips, e.g. `Desa Bomo`.
    pub village_name: String,
    /// Service codes (see [`SERVICES`]) in display order. Codes this kiosk version does not
    /// know are skipped, so a newer catalogue does not lock older kiosks out of updates.
    pub services: Vec<String>,
    /// Bilingual overrides by key, e.g. [`TEXT_NOTICE`].
    #[serde(default)]
    pub texts: BTreeMap<String, Text>,
    /// PINs that open staff mode: the kiosk's own and its desa's.
    pub staff_pins: Vec<StaffPin>,
    pub idle_timeout_seconds: u32,
    /// The letter types the kiosk offers (name, who asks, the fields), pushed from the
    /// centre's catalogue. Empty (an older service): the kiosk offers its built-in three.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub letters: Vec<crate::letter::LetterType>,
    /// When the service issued this copy, RFC 3339 UTC. A kiosk refuses a configuration
    /// issued before the one it holds, so a captured older one (with an old PIN) cannot be
    /// replayed. Set when served, so it is no part of `config_version`.
    pub issued_at: String,
}

/// Why a configuration is refused; the kiosk then keeps the last good one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration is for kiosk {found:?}, this is {expected:?}")]
    OtherKiosk { expected: String, found: String },
    #[error("configuration has no version")]
    NoVersion,
    #[error("no known service enabled")]
    NoServices,
    #[error("service {0:?} listed twice")]
    DuplicateService(String),
    #[error("idle timeout {0} s outside {min}..={max} s", min = IDLE_TIMEOUT_RANGE.start(), max = IDLE_TIMEOUT_RANGE.end())]
    IdleTimeout(u32),
    #[error("village name too long")]
    VillageName,
    #[error("text {0:?} empty or longer than {TEXT_MAX} characters")]
    Text(String),
    #[error("staff PIN {0:?}: label must be 1-32 characters and the hash Argon2id")]
    Pin(String),
    #[error("issued_at {0:?} is not an RFC 3339 time")]
    IssuedAt(String),
}

/// A staff PIN's label: 1 to 32 printable characters.
pub fn valid_pin_label(label: &str) -> bool {
    let count = label.chars().count();
    (1..=32).contains(&count) && label.trim() == label && !label.chars().any(char::is_control)
}

/// The shortest staff PIN: a shorter one falls to a few days of patient guessing past the
/// keypad's lockout.
pub const MIN_PIN: usize = 6;
/// The longest staff PIN.
pub const MAX_PIN: usize = 8;

/// A staff PIN: 6 to 8 digits.
pub fn valid_pin(pin: &str) -> bool {
    (MIN_PIN..=MAX_PIN).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit())
}

impl KioskConfig {
    /// Checks everything a kiosk relies on before it replaces a working configuration.
    pub fn validate(&self, kiosk_id: &str) -> Result<(), ConfigError> {
        if self.kiosk_id != kiosk_id {
            return Err(ConfigError::OtherKiosk {
                expected: kiosk_id.to_owned(),
                found: self.kiosk_id.clone(),
            });
        }
        if self.config_version.is_empty() {
            return Err(ConfigError::NoVersion);
        }
        for (index, service) in self.services.iter().enumerate() {
            if self.services[..index].contains(service) {
                return Err(ConfigError::DuplicateService(service.clone()));
            }
        }
        if self.known_services().is_empty() {
            return Err(ConfigError::NoServices);
        }
        if !IDLE_TIMEOUT_RANGE.contains(&self.idle_timeout_seconds) {
            return Err(ConfigError::IdleTimeout(self.idle_timeout_seconds));
        }
        if self.village_name.chars().count() > 100 {
            return Err(ConfigError::VillageName);
        }
        for (key, text) in &self.texts {
            let fits = |s: &str| (1..=TEXT_MAX).contains(&s.chars().count());
            if !(fits(&text.id) && fits(&text.en)) {
                return Err(ConfigError::Text(key.clone()));
            }
        }
        for pin in &self.staff_pins {
            if !valid_pin_label(&pin.label) || !pin.pin_hash.starts_with("$argon2id$") {
                return Err(ConfigError::Pin(pin.label.clone()));
            }
        }
        self.issued()?;
        Ok(())
    }

    /// When it was issued ([`KioskConfig::issued_at`]).
    pub fn issued(&self) -> Result<time::OffsetDateTime, ConfigError> {
        time::OffsetDateTime::parse(&self.issued_at, &time::format_description::well_known::Rfc3339)
            .map_err(|_| ConfigError::IssuedAt(self.issued_at.clone()))
    }

    /// Whether this configuration was issued before `held` (the one a kiosk holds). An
    /// unreadable time counts as older: it cannot be shown to be newer.
    pub fn issued_before(&self, held: &KioskConfig) -> bool {
        match (self.issued(), held.issued()) {
            (Ok(offered), Ok(held)) => offered < held,
            (Err(_), _) => true,
            (Ok(_), Err(_)) => false,
        }
    }

    /// The services this version of the kiosk offers, in the configured order.
    pub fn known_services(&self) -> Vec<&str> {
        self.services.iter().map(String::as_str).filter(|code| SERVICES.contains(code)).collect()
    }

    /// The optional notice line.
    pub fn notice(&self) -> Option<&Text> {
        self.texts.get(TEXT_NOTICE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> KioskConfig {
        KioskConfig {
            config_version: "a1b2".into(),
            kiosk_id: "BWI-1".into(),
            desa_code: Some(3510252005),
            village_name: "Desa Bomo".into(),
            services: vec!["status".into(), "report".into()],
            texts: BTreeMap::new(),
            staff_pins: vec![StaffPin {
                label: "Sekdes".into(),
                pin_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            }],
            idle_timeout_seconds: 90,
            letters: Vec::new(),
            issued_at: "2026-12-07T01:02:03.5Z".into(),
        }
    }

    #[test]
    fn a_sound_configuration_passes_and_unknown_services_are_skipped() {
        let mut c = config();
        c.services.insert(0, "isolation_house".into());
        assert_eq!(c.validate("BWI-1"), Ok(()));
        assert_eq!(c.known_services(), ["status", "report"]);
    }

    #[test]
    fn what_a_kiosk_must_not_apply_is_refused() {
        assert!(matches!(config().validate("BWI-2"), Err(ConfigError::OtherKiosk { .. })));
        let mut c = config();
        c.services = vec!["isolation_house".into()];
        assert_eq!(c.validate("BWI-1"), Err(ConfigError::NoServices));
        let mut c = config();
        c.services.push("status".into());
        assert_eq!(c.validate("BWI-1"), Err(ConfigError::DuplicateService("status".into())));
        let mut c = config();
        c.idle_timeout_seconds = 5;
        assert_eq!(c.validate("BWI-1"), Err(ConfigError::IdleTimeout(5)));
        let mut c = config();
        c.staff_pins[0].pin_hash = "1234".into();
        assert_eq!(c.validate("BWI-1"), Err(ConfigError::Pin("Sekdes".into())));
        let mut c = config();
        c.texts.insert(TEXT_NOTICE.into(), Text::new("", "x"));
        assert_eq!(c.validate("BWI-1"), Err(ConfigError::Text(TEXT_NOTICE.into())));
        let mut c = config();
        c.issued_at = "yesterday".into();
        assert_eq!(c.validate("BWI-1"), Err(ConfigError::IssuedAt("yesterday".into())));
    }

    #[test]
    fn issue_times_compare_as_times_not_as_text() {
        let held = config();
        let mut earlier = config();
        // As text "...:03Z" sorts after "...:03.5Z"; as a time it is half a second before.
        earlier.issued_at = "2026-12-07T01:02:03Z".into();
        assert!(earlier.issued_before(&held));
        let mut later = config();
        later.issued_at = "2026-12-07T08:02:04+07:00".into();
        assert!(!later.issued_before(&held) && held.issued_before(&later));
        assert!(!held.issued_before(&held), "the same time is not older");
    }

    #[test]
    fn pins_are_four_to_eight_digits() {
        assert!(valid_pin("123456") && valid_pin("12345678"));
        assert!(!valid_pin("1234") && !valid_pin("12345") && !valid_pin("123456789"));
        assert!(!valid_pin("12a456"));
    }

    #[test]
    fn wire_names_are_snake_case() {
        let beat = Heartbeat {
            version: "0.1.0".into(),
            uptime_seconds: 61,
            printer: Some(PrinterStatus {
                state: PrinterState::PaperNearEnd,
                paper_remaining_mm: Some(900),
            }),
            queue_depth: Some(2),
            door_open: None,
            last_error: None,
            sent_at: "2026-01-01T00:00:00Z".into(),
            pin_failures: 7,
            pin_locked: true,
        };
        let json = serde_json::to_value(&beat).expect("JSON");
        assert_eq!(json["printer"]["state"], "paper_near_end");
        assert_eq!(
            (json["pin_failures"].as_u64(), json["pin_locked"].as_bool()),
            (Some(7), Some(true))
        );
        // A kiosk older than the PIN fields: still a valid heartbeat, with no failures.
        let mut older = json.clone();
        let fields = older.as_object_mut().expect("object");
        fields.remove("pin_failures");
        fields.remove("pin_locked");
        let read: Heartbeat = serde_json::from_value(older).expect("older heartbeat");
        assert_eq!((read.pin_failures, read.pin_locked), (0, false));
        assert_eq!(PrinterState::parse("paper_near_end"), Some(PrinterState::PaperNearEnd));
    }
}
