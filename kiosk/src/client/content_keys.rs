//! Whose configuration the kiosk applies: only content signed by the central service's key
//! (`protocol::signed`), whatever the TLS connection looked like, so a box in the middle
//! with a certificate it should not have still cannot push a staff PIN of its own. The
//! public keys come from a file the installer puts beside the key file, one per line
//! (`backend signing-key public` prints the line); during a key rotation it holds both.

use std::path::{Path, PathBuf};

use protocol::Text;
use protocol::signed::{KeyError, TrustedKeys};

/// The public keys' file name beside the key file.
pub const KEYS_FILE_NAME: &str = "backend-content.pub";

/// Why the trusted keys cannot be read; the kiosk does not start without them.
#[derive(Debug, thiserror::Error)]
pub enum ContentKeysError {
    #[error("cannot read the backend's public key file {path}: {source}")]
    Unreadable { path: PathBuf, source: std::io::Error },
    #[error("the backend's public key file {path}: {source}")]
    Invalid { path: PathBuf, source: KeyError },
}

impl ContentKeysError {
    /// What to tell the installer, Indonesian first, naming the file and the fix.
    pub fn message(&self) -> Text {
        match self {
            ContentKeysError::Unreadable { path, source } => Text::new(
                format!(
                    "Berkas kunci publik layanan pusat {} tidak dapat dibaca ({source}). Kiosk \
                     hanya menerapkan konfigurasi yang ditandatangani kunci ini dan tidak \
                     dijalankan tanpanya. Pasang baris dari `backend signing-key public` di \
                     sana, atau tunjuk berkasnya dengan --backend-keys.",
                    path.display()
                ),
                format!(
                    "The central service's public key file {} cannot be read ({source}). The \
                     kiosk applies only configurations signed by this key and does not start \
                     without it. Install the line printed by `backend signing-key public` \
                     there, or name the file with --backend-keys.",
                    path.display()
                ),
            ),
            ContentKeysError::Invalid { path, source } => Text::new(
                format!(
                    "Berkas kunci publik layanan pusat {} rusak ({source}). Kiosk tidak \
                     dijalankan. Pasang ulang baris dari `backend signing-key public`.",
                    path.display()
                ),
                format!(
                    "The central service's public key file {} is damaged ({source}). The \
                     kiosk does not start. Install the line printed by `backend signing-key \
                     public` again.",
                    path.display()
                ),
            ),
        }
    }
}

/// `--backend-keys`, or [`KEYS_FILE_NAME`] in the key file's directory.
pub fn keys_path(backend_keys: Option<&Path>, key_file: &Path) -> PathBuf {
    match backend_keys {
        Some(path) => path.to_path_buf(),
        None => key_file.with_file_name(KEYS_FILE_NAME),
    }
}

/// The public keys of a key file: at least one, every line readable.
pub fn load(path: &Path) -> Result<TrustedKeys, ContentKeysError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| ContentKeysError::Unreadable { path: path.to_path_buf(), source })?;
    TrustedKeys::parse(&text)
        .map_err(|source| ContentKeysError::Invalid { path: path.to_path_buf(), source })
}
