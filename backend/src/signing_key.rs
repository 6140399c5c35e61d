//! The service's Ed25519 key for what it pushes to kiosks ([`protocol::signed`]): their
//! configuration now, other content later. It is kept outside the database, in a file only
//! the service's account can read (0600, in the private data directory), so that a copy of
//! the database (a backup, a replica, a read through SQL) does not let anyone sign a
//! configuration with their own staff PIN in it.
//!
//! `backend serve` creates the key on first start when it is missing; `backend signing-key
//! public` prints the line kiosks install; `backend signing-key new --out FILE` makes the
//! next key for a rotation (docs/security.md).

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use protocol::Text;
use protocol::signed::{KeyError, SigningKey};
use rand::RngCore;

use crate::data_dir::{DataDirError, check_private, prepare_dir};

/// The key file's name in the data directory.
pub const KEY_FILE: &str = "content-signing.key";

/// Why the signing key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SigningKeyError {
    /// Not private (or the data directory is not).
    #[error(transparent)]
    Private(#[from] DataDirError),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {source}")]
    Unreadable { path: PathBuf, source: KeyError },
    /// A new key is never written over an existing file: that would lose the key kiosks
    /// trust.
    #[error("{path} exists already")]
    Exists { path: PathBuf },
}

impl SigningKeyError {
    /// What to tell the operator, Indonesian first.
    pub fn message(&self) -> Text {
        match self {
            SigningKeyError::Private(error) => error.message(),
            SigningKeyError::Io { path, source } => Text::new(
                format!("Kunci tanda tangan {} tidak dapat dipakai: {source}", path.display()),
                format!("The signing key {} cannot be used: {source}", path.display()),
            ),
            SigningKeyError::Unreadable { path, source } => Text::new(
                format!("Berkas {} bukan kunci tanda tangan Anjungan ({source}).", path.display()),
                format!("The file {} is not an Anjungan signing key ({source}).", path.display()),
            ),
            SigningKeyError::Exists { path } => Text::new(
                format!(
                    "{} sudah ada; kunci baru tidak pernah ditulis menimpa berkas lain. Pilih \
                     nama lain.",
                    path.display()
                ),
                format!(
                    "{} exists already; a new key is never written over another file. Choose \
                     another name.",
                    path.display()
                ),
            ),
        }
    }
}

/// Where the key is: `file` when operations name one, else [`KEY_FILE`] in `data_dir`.
pub fn path(data_dir: &Path, file: Option<&Path>) -> PathBuf {
    file.map_or_else(|| data_dir.join(KEY_FILE), Path::to_path_buf)
}

/// The service's key: the file operations named (it must exist), or the one in the data
/// directory, created there (0600, the directory made private first) when missing.
pub fn open(data_dir: &Path, file: Option<&Path>) -> Result<SigningKey, SigningKeyError> {
    if let Some(file) = file {
        return load(file);
    }
    prepare_dir(data_dir)?;
    let path = path(data_dir, None);
    match create(&path) {
        Ok(key) => {
            tracing::info!(path = %path.display(), key_id = %key.public_key().id(), "content signing key created");
            Ok(key)
        }
        Err(SigningKeyError::Exists { .. }) => load(&path),
        Err(error) => Err(error),
    }
}

/// Reads a key file, refused unless only this account can read it.
pub fn load(path: &Path) -> Result<SigningKey, SigningKeyError> {
    check_private(path)?;
    let text = fs::read_to_string(path)
        .map_err(|source| SigningKeyError::Io { path: path.to_owned(), source })?;
    SigningKey::parse_file(&text)
        .map_err(|source| SigningKeyError::Unreadable { path: path.to_owned(), source })
}

/// Makes a new key from the operating system's random source and writes it to `path`, which
/// must not exist yet: created 0600, written and synced before the key is used, so a
/// signature never comes from a key that a crash could lose.
pub fn create(path: &Path) -> Result<SigningKey, SigningKeyError> {
    let io = |source: std::io::Error| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            SigningKeyError::Exists { path: path.to_owned() }
        } else {
            SigningKeyError::Io { path: path.to_owned(), source }
        }
    };
    let mut file =
        fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(io)?;
    let mut seed = [0u8; 32];
    rand::rng().fill_bytes(&mut seed);
    let key = SigningKey::from_seed(seed);
    seed.fill(0);
    let written = file.write_all(key.file_text().as_bytes()).and_then(|()| file.sync_all());
    if let Err(source) = written {
        // Half a key file would stop the next start; leave none.
        let _ = fs::remove_file(path);
        return Err(io(source));
    }
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::File::open(dir).and_then(|dir| dir.sync_all()).map_err(io)?;
    }
    Ok(key)
}
