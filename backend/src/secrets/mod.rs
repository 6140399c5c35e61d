//! Kiosk secrets at rest. The service must hold each kiosk's HMAC secret to check its
//! signatures, so the secret is in the database, but sealed: XChaCha20-Poly1305 under a
//! master key kept outside the database (a 0600 file in the data directory, `--secrets-key
//! FILE`, or the `ANJUNGAN_SECRETS_KEY` environment variable), with the kiosk's id as
//! associated data, so a value copied into another kiosk's row does not open. Whoever reads
//! a dump, a backup or a replica without the key learns no secret and cannot sign as a
//! kiosk; whoever can write the database cannot plant a secret of their own either (a
//! plain-text value is refused when read).
//!
//! A stored value reads `v1:<key id>:<base64 of nonce and ciphertext>`; the key id names
//! the master key without revealing it, so a rotation can be finished after a crash and a
//! wrong key file is named at start instead of failing request by request.

mod error;
mod files;
mod key;
mod seal;

pub use error::SecretsError;
pub use files::{KeySource, new_path, old_path};
pub(crate) use files::{create_key_file, forget_old, install_new_key};
pub use key::{Keyring, MasterKey};
pub(crate) use seal::{Stored, open, seal};

/// The environment variable that may hold the master key itself (base64 of 32 bytes), for
/// a service manager that hands secrets over in the environment.
pub const KEY_ENV: &str = "ANJUNGAN_SECRETS_KEY";

/// The key file's name in the data directory.
pub const KEY_FILE: &str = "secrets.key";
