//! `backend kiosk-add`, `kiosk-disable`, `kiosk-pin` and `kiosk-config`: the kiosks of the
//! fleet, their keys, staff PINs and what they offer.

use std::path::PathBuf;

use anyhow::Context;
use backend::checks::known_desa;
use backend::store::{KioskSettings, PinScope};

use super::{DatabaseArgs, SecretsArgs};

#[derive(clap::Args)]
pub struct AddArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Kiosk identifier, e.g. BWI-3510-0001.
    #[arg(long)]
    id: String,
    /// Ten-digit code of the desa the kiosk stands in.
    #[arg(long)]
    desa: Option<u64>,
    /// Requests that take a NIK or a ticket (status and ticket lookups, reports, letter
    /// requests) the kiosk may make per minute; at most 120.
    #[arg(long, default_value_t = 60,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(backend::http::budget::MAX_PER_MINUTE)))]
    lookups_per_minute: u32,
    /// The same per day (the day turns at 00:00 UTC, 07:00 WIB).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=20_000))]
    requests_per_day: u32,
    /// Where to write the key file (mode 0600); install it on the kiosk.
    #[arg(long)]
    key_out: PathBuf,
    #[command(flatten)]
    secrets: SecretsArgs,
}

pub fn add(args: AddArgs) -> anyhow::Result<()> {
    let store = args.database.open_sealed(&args.secrets)?;
    let key = store.register_kiosk(&args.id, args.desa, args.lookups_per_minute)?;
    store.set_kiosk_daily_cap(&args.id, args.requests_per_day)?;
    write_secret_file(&args.key_out, &key.to_file_text())?;
    let issuer = key.issuer().map(|issuer| format!("{issuer:04}")).unwrap_or_default();
    println!(
        "kiosk {} registered (ticket issuer {issuer}); key written to {}",
        args.id,
        args.key_out.display()
    );
    Ok(())
}

#[derive(clap::Args)]
pub struct DisableArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[arg(long)]
    id: String,
}

pub fn disable(args: DisableArgs) -> anyhow::Result<()> {
    let store = args.database.open()?;
    let id = &args.id;
    anyhow::ensure!(store.disable_kiosk(id)?, "no kiosk {id}");
    println!("kiosk {id} disabled");
    Ok(())
}

#[derive(clap::Args)]
pub struct PinArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// The kiosk the PIN opens.
    #[arg(long, conflicts_with = "desa", required_unless_present = "desa")]
    id: Option<String>,
    /// Ten-digit desa code: the PIN opens every kiosk of the desa.
    #[arg(long)]
    desa: Option<u64>,
    /// Whose PIN it is, e.g. "Sekdes Bomo".
    #[arg(long)]
    label: String,
    /// Withdraw the PIN instead of setting it.
    #[arg(long)]
    remove: bool,
}

pub fn pin(args: PinArgs) -> anyhow::Result<()> {
    let scope = match (args.id, args.desa) {
        (Some(id), _) => PinScope::Kiosk(id),
        (None, Some(desa)) => PinScope::Desa(known_desa(desa)?),
        (None, None) => anyhow::bail!("give --id or --desa"),
    };
    let store = args.database.open()?;
    let label = &args.label;
    if args.remove {
        anyhow::ensure!(store.remove_kiosk_pin(&scope, label)?, "no PIN {label:?}");
        println!("PIN {label:?} withdrawn");
        return Ok(());
    }
    let pin = super::read_secret_line("PIN")?;
    store.set_kiosk_pin(&scope, label, &pin)?;
    println!("PIN {label:?} set; kiosks apply it at their next configuration pull");
    Ok(())
}

#[derive(clap::Args)]
pub struct ConfigArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[arg(long)]
    id: String,
    /// Service codes in display order (status, report, letter, track, help).
    #[arg(long, value_delimiter = ',', default_value = "status,report,letter,track,help")]
    services: Vec<String>,
    /// Notice line in Indonesian (with --notice-en).
    #[arg(long, requires = "notice_en")]
    notice_id: Option<String>,
    /// Notice line in English (with --notice-id).
    #[arg(long, requires = "notice_id")]
    notice_en: Option<String>,
    /// Seconds without a touch before the kiosk wipes the visit and returns home.
    #[arg(long, default_value_t = backend::store::DEFAULT_IDLE_TIMEOUT)]
    idle_timeout: u32,
}

pub fn config(args: ConfigArgs) -> anyhow::Result<()> {
    let store = args.database.open()?;
    let settings = KioskSettings {
        services: args.services,
        notice: args.notice_id.zip(args.notice_en).map(|(id, en)| protocol::Text::new(id, en)),
        idle_timeout_seconds: args.idle_timeout,
    };
    store.set_kiosk_settings(&args.id, &settings)?;
    println!("kiosk {} configured; it applies the change at its next pull", args.id);
    Ok(())
}

/// Writes a file only its owner can read.
fn write_secret_file(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).with_context(|| format!("write {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok(())
}
