//! The applied configuration and its file: a configuration is applied only when a trusted
//! key signed it for this kiosk, it is valid, and it was issued no earlier than the one held;
//! it is then saved with its signature (`<data-dir>/config.json`, atomically) and published.
//! At start the file is verified again, so a configuration edited on the kiosk's disk (a
//! PIN of one's own written into it) is not loaded.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use protocol::Text;
use protocol::fleet::{ConfigError, KioskConfig};
use protocol::mask::mask_digits_in;
use protocol::signed::{ContentKind, SignatureError, SignedContent, TrustedKeys};
use tokio::sync::watch;

/// File name of the applied configuration (with its signature) in the data directory.
pub const CONFIG_FILE: &str = "config.json";

/// Why a configuration was not applied; the last good one stays.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("signature refused: {0}")]
    Signature(#[from] SignatureError),
    #[error("signed, but not a configuration: {0}")]
    Unreadable(String),
    #[error("invalid configuration: {0}")]
    Invalid(#[from] ConfigError),
    /// Issued before the one held: a captured older configuration played back.
    #[error("issued {offered}, before the one held ({held})")]
    Older { offered: String, held: String },
    #[error("cannot save configuration {path}: {source}")]
    Save { path: PathBuf, source: std::io::Error },
}

impl ApplyError {
    /// Why, for the log (which the staff screen's log tail shows), Indonesian first; short,
    /// so a log line holds it with the error's details.
    pub fn text(&self) -> Text {
        let (id, en) = match self {
            ApplyError::Signature(_) => (
                "Konfigurasi ditolak: tidak ditandatangani kunci layanan pusat untuk kios ini.",
                "Configuration refused: not signed by the central service's key for this kiosk.",
            ),
            ApplyError::Unreadable(_) | ApplyError::Invalid(_) => (
                "Konfigurasi ditolak: isinya tidak sah.",
                "Configuration refused: invalid content.",
            ),
            ApplyError::Older { .. } => (
                "Konfigurasi ditolak: lebih lama dari yang sedang dipakai (diputar ulang?).",
                "Configuration refused: older than the one in force (replayed?).",
            ),
            ApplyError::Save { .. } => {
                ("Konfigurasi tidak dapat disimpan.", "The configuration cannot be saved.")
            }
        };
        Text::new(
            format!("{id} Konfigurasi terakhir yang sah tetap dipakai."),
            format!("{en} The last valid one stays."),
        )
    }

    /// Logs the refusal: one line per language (a line of the staff screen's log tail holds
    /// 240 characters), the details masked with the English one.
    pub fn log(&self, source: &str) {
        let text = self.text();
        let detail = mask_digits_in(&self.to_string());
        tracing::error!(source, "{}", text.id);
        tracing::error!(source, %detail, "{}", text.en);
    }
}

/// The configuration in `signed`, if a trusted key signed it for `kiosk_id` and it is valid.
fn verified(
    signed: &SignedContent,
    keys: &TrustedKeys,
    kiosk_id: &str,
) -> Result<KioskConfig, ApplyError> {
    let body = signed.verified(keys, ContentKind::KioskConfig, kiosk_id)?;
    let config: KioskConfig =
        serde_json::from_str(body).map_err(|error| ApplyError::Unreadable(error.to_string()))?;
    config.validate(kiosk_id)?;
    Ok(config)
}

/// Reads the configuration saved by an earlier run, if it is there, still signed by a
/// trusted key for this kiosk, and valid. A refused file is logged and left in place (the
/// next applied configuration replaces it).
pub fn load_stored(data_dir: &Path, kiosk_id: &str, keys: &TrustedKeys) -> Option<KioskConfig> {
    let path = data_dir.join(CONFIG_FILE);
    let text = match std::fs::read(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
        Err(error) => {
            tracing::error!(path = %path.display(), %error, "stored configuration unreadable");
            return None;
        }
    };
    let signed = match serde_json::from_slice::<SignedContent>(&text) {
        Ok(signed) => signed,
        Err(error) => {
            tracing::error!(path = %path.display(), %error, "stored configuration unreadable");
            return None;
        }
    };
    match verified(&signed, keys, kiosk_id) {
        Ok(config) => Some(config),
        Err(error) => {
            error.log("stored");
            None
        }
    }
}

/// Writes `config.json` so that a power cut leaves the old file or the new one, never a mix:
/// a temporary file, fsync, rename over the old, fsync of the directory.
fn save(data_dir: &Path, signed: &SignedContent) -> Result<(), ApplyError> {
    let path = data_dir.join(CONFIG_FILE);
    let temp = data_dir.join(format!("{CONFIG_FILE}.tmp"));
    let io = |source| ApplyError::Save { path: path.clone(), source };
    std::fs::create_dir_all(data_dir).map_err(io)?;
    let bytes = serde_json::to_vec_pretty(signed).map_err(|e| io(std::io::Error::other(e)))?;
    let mut file = std::fs::File::create(&temp).map_err(io)?;
    file.write_all(&bytes).map_err(io)?;
    file.sync_all().map_err(io)?;
    drop(file);
    std::fs::rename(&temp, &path).map_err(io)?;
    std::fs::File::open(data_dir).and_then(|dir| dir.sync_all()).map_err(io)?;
    Ok(())
}

/// Verifies, validates, saves and publishes a configuration; the published one stays unless
/// all of it succeeds. `Ok(false)`: the version held already.
pub fn apply(
    data_dir: &Path,
    kiosk_id: &str,
    keys: &TrustedKeys,
    signed: SignedContent,
    publish: &watch::Sender<Option<Arc<KioskConfig>>>,
) -> Result<bool, ApplyError> {
    let config = verified(&signed, keys, kiosk_id)?;
    let held = publish.borrow().clone();
    if let Some(held) = held {
        if held.config_version == config.config_version {
            return Ok(false);
        }
        if config.issued_before(&held) {
            return Err(ApplyError::Older {
                offered: config.issued_at.clone(),
                held: held.issued_at.clone(),
            });
        }
    }
    save(data_dir, &signed)?;
    tracing::info!(version = %config.config_version, pins = config.staff_pins.len(), "configuration applied");
    publish.send_replace(Some(Arc::new(config)));
    Ok(true)
}
