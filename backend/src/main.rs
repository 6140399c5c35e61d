//! `backend`: the Anjungan central service. This file parses the command line and
//! dispatches; each command lives in a module of [`cli`].

mod cli;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(version, about = "Anjungan central service")]
struct Cli {
    /// Log as JSON lines (for log collectors) instead of text.
    #[arg(long, global = true)]
    log_json: bool,
    #[command(flatten)]
    database: cli::DatabaseOption,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API.
    Serve(cli::serve::Args),
    /// Fill an empty registry with a deterministic synthetic Banyuwangi.
    DemoData(cli::demo::Args),
    /// Import a recipient list (CSV with a `nik` column, optional `component` and `name`):
    /// every row is checked by the eligibility engine and the desa quota; accepted rows are
    /// written together, and only when no row is malformed or duplicated.
    Import(cli::import::Args),
    /// Load the kabupaten's population (`registry import FILE`: OpenSID or SIAK layout, CSV
    /// or XLSX) or DTSEN desil (`registry desil FILE`), every row checked, with a report.
    Registry(cli::registry::Args),
    /// Move a citizen's report on: verify (checked again by the engine), reject, schedule
    /// into a distribution batch 5-7 days after verification, or record the delivery.
    Report(cli::report::Args),
    /// Letters: the queue (list, preview, prepare, approve, reject, cancel), a desa's
    /// settings, the desas' public keys, and the offline check of a letter's QR.
    Letter(cli::letter::Args),
    /// Register a kiosk (or renew its key) and write its key file for the installer.
    KioskAdd(cli::kiosk::AddArgs),
    /// Seal every kiosk secret under a new master key in one transaction, then drop the old
    /// key (kept as `<key file>.old` until the change is committed). Kiosks keep their keys.
    SecretsRotate(cli::secrets::RotateArgs),
    /// Stop accepting a kiosk's requests (lost, stolen, retired).
    KioskDisable(cli::kiosk::DisableArgs),
    /// Create a desa staff account (or set a new password), reading the password from
    /// standard input; existing sessions of the account end.
    StaffAdd(cli::staff::AddArgs),
    /// Disable a staff account and end its sessions.
    StaffDisable(cli::staff::DisableArgs),
    /// Set a staff PIN that opens staff mode on a kiosk (--id) or on every kiosk of a desa
    /// (--desa), reading the PIN (6-8 digits) from standard input; or withdraw it (--remove).
    /// Kiosks pick it up at their next configuration pull (within 5 minutes).
    KioskPin(cli::kiosk::PinArgs),
    /// Set what a kiosk offers: its services in display order, a notice line on the home
    /// screen and the idle timeout. Sent with the kiosk's next configuration pull.
    KioskConfig(cli::kiosk::ConfigArgs),
    /// Measure status lookups over HTTP on loopback against a synthetic registry.
    Bench(cli::bench::Args),
    /// The key kiosks' configurations are signed with: `public` prints the line kiosks
    /// install (backend-content.pub), `new --out FILE` makes the next key of a rotation.
    SigningKey(cli::signing_key::Args),
}

/// Errors are printed once, as a chain of causes, without a backtrace: the person reading
/// them is an operator, not a developer.
fn main() -> std::process::ExitCode {
    match run_command() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run_command() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Per-request lines would measure the terminal, not the service.
    let default_filter = if matches!(cli.command, Command::Bench(_)) { "warn" } else { "info" };
    backend::log::init(cli.log_json, default_filter);
    match cli.command {
        Command::Serve(args) => cli::serve::run(args),
        Command::DemoData(args) => cli::demo::run(args),
        Command::Import(args) => cli::import::run(args),
        Command::Report(args) => cli::report::run(args),
        Command::Letter(args) => cli::letter::run(args),
        Command::Registry(args) => cli::registry::run(args),
        Command::KioskAdd(args) => cli::kiosk::add(args),
        Command::SecretsRotate(args) => cli::secrets::rotate(args),
        Command::KioskDisable(args) => cli::kiosk::disable(args),
        Command::StaffAdd(args) => cli::staff::add(args),
        Command::StaffDisable(args) => cli::staff::disable(args),
        Command::KioskPin(args) => cli::kiosk::pin(args),
        Command::KioskConfig(args) => cli::kiosk::config(args),
        Command::Bench(args) => cli::bench::run(args, &cli.database),
        Command::SigningKey(args) => cli::signing_key::run(args),
    }
}
