//! The `backend` commands, one module per group; `main.rs` only parses and dispatches. What
//! the commands share lives here: where the registry is, which catalogue decides, and how an
//! operator at the command line is named in the audit log.

pub mod bench;
pub mod demo;
pub mod import;
pub mod kiosk;
pub mod letter;
pub mod registry;
pub mod report;
pub mod secrets;
pub mod serve;
pub mod signing_key;
pub mod staff;

use std::path::{Path, PathBuf};

use anyhow::Context;
use backend::Store;
use backend::eligibility::Catalogue;
use backend::secrets::{KEY_ENV, KEY_FILE, KeySource, MasterKey, SecretsError};
use backend::store::{Location, StoreError};

/// Where the registry lives: flattened into every command that opens it.
#[derive(clap::Args)]
pub struct DatabaseArgs {
    #[arg(long, env = "ANJUNGAN_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    #[command(flatten)]
    pub database: DatabaseOption,
}

/// `--database`, global so that it is also taken before the command
/// (`backend --database URL kiosk-add ...`); the top-level parser carries it too.
#[derive(clap::Args)]
pub struct DatabaseOption {
    /// The registry database: a `postgres://user@host/db` URL, or a SQLite file. Without
    /// it, `anjungan.sqlite3` in the data directory.
    #[arg(long, global = true, env = "ANJUNGAN_DATABASE")]
    pub database: Option<String>,
}

impl DatabaseOption {
    /// `--database`, or the SQLite file in `data_dir` (the directory created 0700 and the
    /// file 0600 if missing; refused if another local user could read either).
    pub fn location(&self, data_dir: &Path) -> anyhow::Result<Location> {
        if let Some(database) = self.database.as_deref() {
            let location = Location::parse(database);
            if let Location::Sqlite(file) = &location {
                backend::data_dir::prepare_file(file).map_err(refused)?;
            }
            return Ok(location);
        }
        let file = backend::data_dir::prepare(data_dir, "anjungan.sqlite3").map_err(refused)?;
        Ok(Location::Sqlite(file))
    }
}

/// A data directory or database file that is not private, in both languages.
fn refused(error: backend::data_dir::DataDirError) -> anyhow::Error {
    let message = error.message();
    anyhow::anyhow!("{}\n       {}", message.id, message.en)
}

/// Why the registry did not open. A PostgreSQL URL the TLS policy refuses, or whose TLS
/// failed, says what to change, in both languages; anything else names the database.
fn open_error(location: &Location, error: StoreError) -> anyhow::Error {
    match error {
        StoreError::PostgresTls(refusal) => {
            let message = refusal.message();
            anyhow::anyhow!("{}\n       {}", message.id, message.en)
        }
        other => anyhow::Error::new(other).context(match location {
            Location::Sqlite(path) => format!("open {}", path.display()),
            // The URL may carry a password: name the database kind only.
            Location::Postgres(_) => "open the PostgreSQL database".to_owned(),
        }),
    }
}

impl DatabaseArgs {
    /// Opens the registry, migrating its schema.
    pub fn open(&self) -> anyhow::Result<Store> {
        let location = self.database.location(&self.data_dir)?;
        Store::open_location(&location).map_err(|error| open_error(&location, error))
    }

    /// Opens the registry for `serve`: the data directory is locked to this process and
    /// holds the audit spool (for a PostgreSQL database too), replayed first if a previous
    /// run left one; kiosk secrets are sealed under the master key. The lock is released
    /// when the returned guard is dropped.
    pub fn open_serving(
        &self,
        catalogue: &Catalogue,
        secrets: &SecretsArgs,
    ) -> anyhow::Result<(Store, backend::data_dir::ServingLock)> {
        let location = self.database.location(&self.data_dir)?;
        backend::data_dir::prepare_dir(&self.data_dir).map_err(refused)?;
        let lock = backend::data_dir::lock_serving(&self.data_dir).map_err(refused)?;
        let store = Store::open_serving(&location, &self.data_dir)
            .map_err(|error| open_error(&location, error))?;
        store.sync_programs(catalogue)?;
        Ok((attach_secrets(store, secrets, &self.data_dir)?, lock))
    }

    /// Opens the registry with the master key that seals kiosk secrets: secrets still in
    /// plain text, or under a rotation's old key, are sealed under it first.
    pub fn open_sealed(&self, secrets: &SecretsArgs) -> anyhow::Result<Store> {
        let store = self.open()?;
        attach_secrets(store, secrets, &self.data_dir)
    }

    /// Opens the registry for a command that decides with `catalogue`: its programs are
    /// written to the `programs` table first, as the service does on start.
    pub fn open_with(&self, catalogue: &Catalogue) -> anyhow::Result<Store> {
        let store = self.open()?;
        store.sync_programs(catalogue)?;
        Ok(store)
    }
}

/// Where the master key that seals kiosk secrets is: flattened into every command that
/// stores or reads them (serve, kiosk-add, secrets-rotate).
#[derive(clap::Args)]
pub struct SecretsArgs {
    /// The kiosk secrets key file (base64 of 32 bytes, mode 0600; created on first start).
    /// Without it, `secrets.key` in the data directory, unless the key itself is in the
    /// ANJUNGAN_SECRETS_KEY environment variable.
    #[arg(long, env = "ANJUNGAN_SECRETS_KEY_FILE")]
    pub secrets_key: Option<PathBuf>,
}

impl SecretsArgs {
    /// Where the key comes from: `--secrets-key`, the environment, or the data directory's
    /// key file (the directory created 0700 if missing, and checked private).
    pub fn source(&self, data_dir: &Path) -> anyhow::Result<KeySource> {
        let env = std::env::var(KEY_ENV).ok().filter(|key| !key.trim().is_empty());
        match (&self.secrets_key, env) {
            (Some(_), Some(_)) => anyhow::bail!(
                "give the kiosk secrets key either as --secrets-key or in {}, not both",
                KEY_ENV
            ),
            (Some(path), None) => Ok(KeySource::File(path.clone())),
            (None, Some(text)) => {
                let key = MasterKey::parse(&text, KEY_ENV).map_err(secrets_refused)?;
                Ok(KeySource::Given { key, origin: KEY_ENV.into() })
            }
            (None, None) => {
                backend::data_dir::prepare_dir(data_dir).map_err(refused)?;
                Ok(KeySource::File(data_dir.join(KEY_FILE)))
            }
        }
    }
}

/// A key that cannot be loaded or does not fit the database, in both languages.
fn secrets_refused(error: SecretsError) -> anyhow::Error {
    let message = error.message();
    anyhow::anyhow!("{}\n       {}", message.id, message.en)
}

/// Attaches the master key of `secrets` to an open store.
pub fn attach_secrets(
    store: Store,
    secrets: &SecretsArgs,
    data_dir: &Path,
) -> anyhow::Result<Store> {
    let source = secrets.source(data_dir)?;
    store.with_secrets(source, &actor()).map_err(|error| match error {
        StoreError::Secrets(error) => secrets_refused(error),
        other => anyhow::Error::new(other).context("seal the kiosk secrets"),
    })
}

/// `--programs`: flattened into every command that runs the eligibility engine, so the CLI
/// decides with the same catalogue as the service.
#[derive(clap::Args)]
pub struct ProgramsArgs {
    /// Program catalogue replacing the shipped backend/programs.toml.
    #[arg(long, env = "ANJUNGAN_PROGRAMS")]
    pub programs: Option<PathBuf>,
}

impl ProgramsArgs {
    pub fn load(&self) -> anyhow::Result<Catalogue> {
        match &self.programs {
            Some(path) => {
                let catalogue = Catalogue::load(path)?;
                tracing::info!(path = %path.display(), version = catalogue.version, "program catalogue loaded");
                Ok(catalogue)
            }
            None => Ok(Catalogue::default_catalogue()),
        }
    }
}

/// How the audit log names an operator at the command line: `cli:$USER`.
pub fn actor() -> String {
    format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()))
}

/// One line of standard input, without its line ending (passwords and PINs are never taken
/// from the command line, where `ps` and shell history would show them).
pub fn read_secret_line(what: &str) -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).with_context(|| format!("read the {what}"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
