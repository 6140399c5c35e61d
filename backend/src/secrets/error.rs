//! Why a kiosk secret could not be sealed or opened, or the master key not loaded.

use std::path::PathBuf;

use protocol::Text;

use crate::data_dir::DataDirError;

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// The store was opened without a master key: it neither stores nor reads kiosk
    /// secrets rather than keeping them in plain text.
    #[error("no kiosk secrets key is loaded (the store was opened without --secrets-key)")]
    NoKey,
    #[error("{origin} does not hold a kiosk secrets key (base64 of 32 bytes)")]
    BadKey { origin: String },
    /// A plain-text secret in the database after start-up: not written by the service.
    #[error("kiosk {kiosk}: its stored secret is in plain text")]
    Plain { kiosk: String },
    /// Altered, or copied from another kiosk's row.
    #[error("kiosk {kiosk}: its stored secret does not open (altered, or another kiosk's)")]
    Unopenable { kiosk: String },
    #[error("kiosk {kiosk}: its secret is sealed under key {key_id}, not loaded ({loaded:?})")]
    UnknownKey { kiosk: String, key_id: String, loaded: Vec<String> },
    /// The key file is missing while the database holds secrets sealed under a key.
    #[error("{path} is missing; the kiosk secrets in the database are sealed under key {stored:?}")]
    Missing { path: PathBuf, stored: Vec<String> },
    #[error(
        "{origin} holds key {loaded:?}; the kiosk secrets in the database are sealed under {stored:?}"
    )]
    WrongKey { origin: String, stored: Vec<String>, loaded: Vec<String> },
    #[error(transparent)]
    NotPrivate(#[from] DataDirError),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the kiosk secrets key comes from {origin}; only a key file can be rotated")]
    NotAFile { origin: String },
}

impl SecretsError {
    /// A kiosk's stored secret that does not open: that kiosk is refused as unknown (its
    /// requests get 401), the service goes on.
    pub fn refuses_kiosk(&self) -> bool {
        matches!(
            self,
            SecretsError::Plain { .. }
                | SecretsError::Unopenable { .. }
                | SecretsError::UnknownKey { .. }
        )
    }

    /// What to tell the operator at start, Indonesian first, with what fixes it.
    pub fn message(&self) -> Text {
        match self {
            SecretsError::NotPrivate(error) => error.message(),
            SecretsError::Missing { path, stored } => {
                let (path, stored) = (path.display(), stored.join(", "));
                Text::new(
                    format!(
                        "Berkas kunci rahasia kios {path} tidak ada, padahal rahasia kios di \
                         basis data tersegel dengan kunci {stored}. Layanan tidak dijalankan. \
                         Pulihkan berkas kunci itu dari cadangan (atau beri --secrets-key), \
                         atau daftarkan ulang setiap kios dengan kiosk-add."
                    ),
                    format!(
                        "The kiosk secrets key file {path} is missing, but the kiosk secrets \
                         in the database are sealed under key {stored}. The service does not \
                         start. Restore that key file from backup (or give --secrets-key), or \
                         register every kiosk again with kiosk-add."
                    ),
                )
            }
            SecretsError::WrongKey { origin, stored, loaded } => {
                let (stored, loaded) = (stored.join(", "), loaded.join(", "));
                Text::new(
                    format!(
                        "{origin} memuat kunci {loaded}, tetapi rahasia kios di basis data \
                         tersegel dengan kunci {stored}. Layanan tidak dijalankan. Pasang \
                         berkas kunci yang benar (dari cadangan yang sama dengan basis data)."
                    ),
                    format!(
                        "{origin} holds key {loaded}, but the kiosk secrets in the database \
                         are sealed under key {stored}. The service does not start. Install \
                         the right key file (from the same backup as the database)."
                    ),
                )
            }
            SecretsError::BadKey { origin } => Text::new(
                format!(
                    "{origin} bukan kunci rahasia kios (base64 dari 32 bita). Layanan tidak \
                     dijalankan."
                ),
                format!(
                    "{origin} is not a kiosk secrets key (base64 of 32 bytes). The service \
                     does not start."
                ),
            ),
            other => Text::new(other.to_string(), other.to_string()),
        }
    }
}
