//! The service's data directory holds the whole registry and every kiosk's secret: nobody
//! but the service's own account may read it. It is created 0700 with its database 0600,
//! and an existing one that another local user could read, or that another account owns,
//! is refused at start, naming the fix, rather than served from.

use std::fs;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use protocol::Text;

/// Why the data directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// Group or others may read, write or enter it.
    #[error("{path} has mode {mode:04o}: other local users can read it")]
    Open { path: PathBuf, mode: u32, dir: bool },
    /// Another account owns it.
    #[error("{path} belongs to user {owner}, not to this service's account ({me})")]
    Foreign { path: PathBuf, owner: u32, me: u32 },
    /// Another `serve` process holds it.
    #[error("{path} is already served by another backend process")]
    Served { path: PathBuf },
}

impl DataDirError {
    /// What to tell the operator, Indonesian first, with the command that fixes it.
    pub fn message(&self) -> Text {
        match self {
            DataDirError::Io { path, source } => Text::new(
                format!("Direktori data {} tidak dapat dipakai: {source}", path.display()),
                format!("The data directory {} cannot be used: {source}", path.display()),
            ),
            DataDirError::Open { path, mode, dir } => {
                let fix = if *dir { "700" } else { "600" };
                Text::new(
                    format!(
                        "{} bermode {mode:04o}: pengguna lain di mesin ini dapat membacanya. \
                         Layanan tidak dijalankan. Perbaiki dengan: chmod {fix} {}",
                        path.display(),
                        path.display()
                    ),
                    format!(
                        "{} has mode {mode:04o}: other users of this machine can read it. \
                         The service does not start. Fix it with: chmod {fix} {}",
                        path.display(),
                        path.display()
                    ),
                )
            }
            DataDirError::Served { path } => Text::new(
                format!(
                    "Direktori data {} sudah dilayani proses backend lain. Beberapa instans \
                     memakai satu basis data PostgreSQL, masing-masing dengan direktori data \
                     sendiri.",
                    path.display()
                ),
                format!(
                    "The data directory {} is already served by another backend process. \
                     Several instances share one PostgreSQL database, each with a data \
                     directory of its own.",
                    path.display()
                ),
            ),
            DataDirError::Foreign { path, owner, me } => Text::new(
                format!(
                    "{} milik pengguna {owner}, bukan akun layanan ini ({me}). Layanan tidak \
                     dijalankan. Perbaiki dengan: chown -R {me} {}",
                    path.display(),
                    path.display()
                ),
                format!(
                    "{} belongs to user {owner}, not to this service's account ({me}). The \
                     service does not start. Fix it with: chown -R {me} {}",
                    path.display(),
                    path.display()
                ),
            ),
        }
    }
}

/// Makes sure `dir` is private: creates it 0700 (its parents as usual) when missing, and
/// refuses it, or any file directly in it, when group or others have any access or another
/// account owns it. Then creates the SQLite database `file` in it 0600 if it does not exist
/// yet, so that SQLite, which gives its journal files the database's mode, never writes a
/// readable byte.
pub fn prepare(dir: &Path, database: &str) -> Result<PathBuf, DataDirError> {
    prepare_dir(dir)?;
    let file = dir.join(database);
    create_private(&file)?;
    Ok(file)
}

/// The directory half of [`prepare`]: created 0700 when missing, refused (with any file
/// directly in it) when group or others have access or another account owns it. Also run
/// when the registry is elsewhere (`--database`), since the audit spool and the service's
/// keys are kept here.
pub fn prepare_dir(dir: &Path) -> Result<(), DataDirError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DataDirError::Io { path, source }
    };
    match fs::symlink_metadata(dir) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                fs::create_dir_all(parent).map_err(io(parent))?;
            }
            fs::DirBuilder::new().mode(0o700).create(dir).map_err(io(dir))?;
        }
        Err(error) => return Err(io(dir)(error)),
        Ok(_) => {}
    }
    check(dir, true)?;
    for entry in fs::read_dir(dir).map_err(io(dir))? {
        let path = entry.map_err(io(dir))?.path();
        let meta = fs::symlink_metadata(&path).map_err(io(&path))?;
        if meta.is_file() || meta.is_dir() {
            check(&path, meta.is_dir())?;
        }
    }
    Ok(())
}

/// Held by a serving instance for its whole life: a second `serve` on the same data
/// directory would keep nonces and limits of its own that the first cannot see. Several
/// instances share a PostgreSQL database, each with a data directory of its own.
#[derive(Debug)]
pub struct ServingLock(#[allow(dead_code)] fs::File);

/// Takes the data directory's serving lock (`serve.lock`, an advisory lock the kernel
/// drops when the process dies, so a crash never leaves it held).
pub fn lock_serving(dir: &Path) -> Result<ServingLock, DataDirError> {
    let path = dir.join("serve.lock");
    let file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)
        .map_err(|source| DataDirError::Io { path: path.clone(), source })?;
    match file.try_lock() {
        Ok(()) => Ok(ServingLock(file)),
        Err(fs::TryLockError::WouldBlock) => Err(DataDirError::Served { path: dir.to_path_buf() }),
        Err(fs::TryLockError::Error(source)) => Err(DataDirError::Io { path, source }),
    }
}

/// For a SQLite file named by `--database` rather than kept in the data directory: the file
/// and its journals (`-wal`, `-shm`) must be private; the directory is the operator's
/// choice. Creates the file 0600 when missing.
pub fn prepare_file(file: &Path) -> Result<(), DataDirError> {
    create_private(file)?;
    for suffix in ["", "-wal", "-shm"] {
        let mut path = file.as_os_str().to_owned();
        path.push(suffix);
        let path = PathBuf::from(path);
        if path.exists() {
            check(&path, false)?;
        }
    }
    Ok(())
}

/// Creates an empty file readable by its owner only, unless it exists.
pub fn create_private(file: &Path) -> Result<(), DataDirError> {
    match fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(file) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(DataDirError::Io { path: file.to_path_buf(), source }),
    }
}

/// Refuses a file (a key file) that group or others can access or that another account
/// owns, like the database.
pub fn check_private(path: &Path) -> Result<(), DataDirError> {
    check(path, false)
}

fn check(path: &Path, dir: bool) -> Result<(), DataDirError> {
    let meta = fs::metadata(path)
        .map_err(|source| DataDirError::Io { path: path.to_path_buf(), source })?;
    let me = current_uid(path)?;
    if meta.uid() != me {
        return Err(DataDirError::Foreign { path: path.to_path_buf(), owner: meta.uid(), me });
    }
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(DataDirError::Open { path: path.to_path_buf(), mode, dir });
    }
    Ok(())
}

/// The account this process runs as: the owner of `/proc/self` (std has no getuid, and the
/// service runs on Linux only).
fn current_uid(near: &Path) -> Result<u32, DataDirError> {
    fs::metadata("/proc/self")
        .map(|meta| meta.uid())
        .map_err(|source| DataDirError::Io { path: near.to_path_buf(), source })
}
