//! Where the master key comes from, and how its file changes: created 0600 on first start,
//! and during a rotation replaced atomically with the previous key kept beside it as `.old`
//! until every secret is sealed under the new one.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::{Keyring, MasterKey, SecretsError};
use crate::data_dir;

/// Where the master key comes from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// A key file (with its `.old` during a rotation): created on first start, rotatable.
    File(PathBuf),
    /// A key handed over whole (the environment, or a temporary store's own); `origin`
    /// names it in messages.
    Given { key: MasterKey, origin: String },
}

impl KeySource {
    /// How messages name the key's origin.
    pub fn origin(&self) -> String {
        match self {
            KeySource::File(path) => path.display().to_string(),
            KeySource::Given { origin, .. } => origin.clone(),
        }
    }

    /// The keys to open with: the key file's and, while a rotation is under way, its
    /// `.old`'s; `None` when there is no key file. A key file that group or others can read,
    /// or that another account owns, is refused like the database.
    pub fn load(&self) -> Result<Option<Keyring>, SecretsError> {
        match self {
            KeySource::Given { key, .. } => Ok(Some(Keyring::new(key.clone()))),
            KeySource::File(path) => {
                let Some(current) = read_key(path)? else {
                    return Ok(None);
                };
                let keys = Keyring::new(current);
                Ok(Some(match read_key(&old_path(path))? {
                    Some(old) => keys.with_older(old),
                    None => keys,
                }))
            }
        }
    }
}

/// The previous key during a rotation: `<file>.old`.
pub fn old_path(path: &Path) -> PathBuf {
    with_suffix(path, ".old")
}

/// The next key while it is written: `<file>.new`.
pub fn new_path(path: &Path) -> PathBuf {
    with_suffix(path, ".new")
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SecretsError + '_ {
    move |source| SecretsError::Io { path: path.to_path_buf(), source }
}

fn read_key(path: &Path) -> Result<Option<MasterKey>, SecretsError> {
    match fs::symlink_metadata(path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(io(path)(error)),
        Ok(_) => {}
    }
    data_dir::check_private(path)?;
    let text = fs::read_to_string(path).map_err(io(path))?;
    MasterKey::parse(&text, &path.display().to_string()).map(Some)
}

/// Writes `key` to a new file readable by its owner only and flushes it to disk (the file
/// and its directory entry).
fn write_key(path: &Path, key: &MasterKey) -> Result<(), SecretsError> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io(path))?;
    file.write_all(key.to_text().as_bytes()).map_err(io(path))?;
    file.sync_all().map_err(io(path))?;
    sync_parent(path)
}

fn sync_parent(path: &Path) -> Result<(), SecretsError> {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    fs::File::open(parent).and_then(|dir| dir.sync_all()).map_err(io(parent))
}

/// The first key of an installation: a new file, never an existing one overwritten.
pub(crate) fn create_key_file(path: &Path, key: &MasterKey) -> Result<(), SecretsError> {
    write_key(path, key)
}

/// A rotation's switch of files, before its re-sealing: `current` is written to `.old`,
/// `new` to `.new`, and `.new` renamed over the key file. Each step is on disk before the
/// next, so a crash leaves the key file holding the old key or the new one, with the old
/// one in `.old` either way, and start-up opens every secret with one of the two.
pub(crate) fn install_new_key(
    path: &Path,
    current: &MasterKey,
    new: &MasterKey,
) -> Result<(), SecretsError> {
    let (old, next) = (old_path(path), new_path(path));
    for leftover in [&old, &next] {
        match fs::remove_file(leftover) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                return Err(io(leftover)(error));
            }
            _ => {}
        }
    }
    write_key(&old, current)?;
    write_key(&next, new)?;
    fs::rename(&next, path).map_err(io(path))?;
    sync_parent(path)
}

/// After every secret is sealed under the key file's key: the `.old` key goes.
pub(crate) fn forget_old(path: &Path) -> Result<(), SecretsError> {
    let old = old_path(path);
    match fs::remove_file(&old) {
        Ok(()) => sync_parent(path),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(io(&old)(error)),
    }
}
