//! `backend signing-key`: the key the service signs kiosks' configurations with
//! (backend/src/signing_key.rs): print the public key line kiosks install, or make the next
//! key of a rotation.

use std::path::{Path, PathBuf};

use backend::signing_key::{self, SigningKeyError};
use protocol::signed::SigningKey;

/// `--signing-key`, flattened into `serve` and `signing-key public`.
#[derive(clap::Args)]
pub struct KeyArgs {
    /// The content signing key (kept 0600). Default content-signing.key in the data
    /// directory, created there on first use.
    #[arg(long, env = "ANJUNGAN_SIGNING_KEY")]
    pub signing_key: Option<PathBuf>,
}

impl KeyArgs {
    /// The key, created in `data_dir` when none is named and none is there yet.
    pub fn open(&self, data_dir: &Path) -> anyhow::Result<SigningKey> {
        signing_key::open(data_dir, self.signing_key.as_deref()).map_err(refused)
    }
}

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Print the public key line to install on kiosks (one line of backend-content.pub,
    /// beside their key file); creates the key when the data directory has none yet.
    Public {
        #[arg(long, env = "ANJUNGAN_DATA_DIR", default_value = "data")]
        data_dir: PathBuf,
        #[command(flatten)]
        key: KeyArgs,
    },
    /// Make a new key in a new file (a rotation) and print its public key line. Install
    /// the line on every kiosk beside the old one before the service signs with the key.
    New {
        /// Where to write it (0600); an existing file is never overwritten.
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let key = match args.action {
        Action::Public { data_dir, key } => key.open(&data_dir)?,
        Action::New { out } => signing_key::create(&out).map_err(refused)?,
    };
    println!("{}", key.public_key().line());
    Ok(())
}

/// A key the service cannot use, in both languages.
fn refused(error: SigningKeyError) -> anyhow::Error {
    let message = error.message();
    anyhow::anyhow!("{}\n       {}", message.id, message.en)
}
