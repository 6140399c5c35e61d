//! `backend secrets-rotate`: the master key that seals kiosk secrets replaced by a new one.

use super::{DatabaseArgs, SecretsArgs};

#[derive(clap::Args)]
pub struct RotateArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(flatten)]
    secrets: SecretsArgs,
}

pub fn rotate(args: RotateArgs) -> anyhow::Result<()> {
    let store = args.database.open_sealed(&args.secrets)?;
    let rotation = store.rotate_secrets(&super::actor())?;
    println!(
        "{} kiosk secrets sealed under key {} (was {}); the old key is gone. Back up the new \
         key file with the database: one without the other opens no secret.",
        rotation.kiosks, rotation.new_key, rotation.old_key
    );
    Ok(())
}
