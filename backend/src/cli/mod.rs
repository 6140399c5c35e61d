//! The `backend` commands, one module per group; `main.rs` only parses and dispatches. What
//! the commands share lives here: where the registry is, which catalogue decides, and how an
//! operator at the command line is named in the audit log.

pub mod bench;
pub mod demo;
pub mod import;
pub mod kiosk;
pub mod registry;
pub mod report;
pub mod serve;
pub mod signing_key;
pub mod staff;

use std::path::{Path, PathBuf};

use anyhow::Context;
use backend::Store;
use backend::eligibility::Catalogue;
use backend::store::Location;

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

impl DatabaseArgs {
    /// Opens the registry, migrating its schema.
    pub fn open(&self) -> anyhow::Result<Store> {
        let location = self.database.location(&self.data_dir)?;
        Store::open_location(&location).with_context(|| match &location {
            Location::Sqlite(path) => format!("open {}", path.display()),
            // The URL may carry a password: name the database kind only.
            Location::Postgres(_) => "open the PostgreSQL database".to_owned(),
        })
    }

    /// Opens the registry for a command that decides with `catalogue`: its programs are
    /// written to the `programs` table first, as the service does on start.
    pub fn open_with(&self, catalogue: &Catalogue) -> anyhow::Result<Store> {
        let store = self.open()?;
        store.sync_programs(catalogue)?;
        Ok(store)
    }
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
