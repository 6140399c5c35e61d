//! `backend`: the Anjungan central service.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use backend::Store;
use backend::demo::{DemoOptions, generate_with_progress};
use backend::eligibility::Catalogue;
use backend::store::Location;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(version, about = "Anjungan central service")]
struct Cli {
    /// Log as JSON lines (for log collectors) instead of text.
    #[arg(long, global = true)]
    log_json: bool,
    /// The registry database: a `postgres://user@host/db` URL, or a SQLite file. Without
    /// it, `anjungan.sqlite3` in the data directory.
    #[arg(long, global = true, env = "ANJUNGAN_DATABASE")]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API.
    Serve {
        #[arg(long, env = "ANJUNGAN_DATA_DIR", default_value = "data")]
        data_dir: PathBuf,
        #[arg(long, env = "ANJUNGAN_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Program catalogue replacing the shipped backend/programs.toml.
        #[arg(long, env = "ANJUNGAN_PROGRAMS")]
        programs: Option<PathBuf>,
    },
    /// Fill an empty registry with a deterministic synthetic Banyuwangi.
    DemoData {
        #[arg(long, env = "ANJUNGAN_DATA_DIR", default_value = "data")]
        data_dir: PathBuf,
        /// Residents to generate (whole families, so a few more).
        #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..=5_000_000))]
        residents: u64,
        #[arg(long, default_value_t = 2020)]
        seed: u64,
        /// Add to a registry that already has residents.
        #[arg(long)]
        force: bool,
    },
    /// Import a recipient list (CSV with a `nik` column, optional `component` and `name`):
    /// every row is checked by the eligibility engine and the desa quota; accepted rows are
    /// written together, and only when no row is malformed or duplicated.
    Import {
        #[arg(long, env = "ANJUNGAN_DATA_DIR", default_value = "data")]
        data_dir: PathBuf,
        /// Program code from the catalogue, e.g. BLT_DD.
        #[arg(long)]
        program: String,
        /// Ten-digit desa code the list is for.
        #[arg(long)]
        desa: u64,
        /// State the accepted memberships start in.
        #[arg(long, default_value = "proposed", value_parser = ["proposed", "verified", "active"])]
        state: String,
        /// Per-row report (CSV). Defaults to FILE with `.report.csv` appended.
        #[arg(long)]
        report: Option<PathBuf>,
        /// Program catalogue replacing the shipped backend/programs.toml.
        #[arg(long, env = "ANJUNGAN_PROGRAMS")]
        programs: Option<PathBuf>,
        /// Check every row and write the report, but change nothing.
        #[arg(long)]
        dry_run: bool,
        file: PathBuf,
    },
    /// Move a citizen's report on: verify (checked again by the engine), reject, schedule
    /// into a distribution batch 5-7 days after verification, or record the delivery.
    Report {
        #[arg(long, env = "ANJUNGAN_DATA_DIR", default_value = "data")]
        data_dir: PathBuf,
        /// Ticket number, e.g. LP-0000-000123-8.
        #[arg(long)]
        ticket: String,
        #[command(subcommand)]
        step: ReportStep,
    },
    /// Register a kiosk (or renew its key) and write its key file for the installer.
    KioskAdd {
        #[arg(long, env = "ANJUNGAN_DATA_DIR", default_value = "data")]
        data_dir: PathBuf,
        /// Kiosk identifier, e.g. BWI-3510-0001.
        #[arg(long)]
        id: String,
        /// Ten-digit code of the desa the kiosk stands in.
        #[arg(long)]
        desa: Option<u64>,
        /// Status lookups the kiosk may make per minute.
        #[arg(long, default_value_t = 60)]
        lookups_per_minute: u32,
        /// Where to write the key file (mode 0600); install it on the kiosk.
        #[arg(long)]
        key_out: PathBuf,
    },
    /// Stop accepting a kiosk's requests (lost, stolen, retired).
    KioskDisable {
        #[arg(long, env = "ANJUNGAN_DATA_DIR", default_value = "data")]
        data_dir: PathBuf,
        #[arg(long)]
        id: String,
    },
    /// Create a desa staff account (or set a new password), reading the password from
    /// standard input; existing sessions of the account end.
    StaffAdd {
        #[arg(long, env = "ANJUNGAN_DATA_DIR", default_value = "data")]
        data_dir: PathBuf,
        /// Username: 2-32 of a-z 0-9 . _ -
        #[arg(long)]
        username: String,
        /// Ten-digit code of the desa the account acts for; without it, every desa
        /// (kabupaten operators).
        #[arg(long)]
        desa: Option<u64>,
    },
    /// Disable a staff account and end its sessions.
    StaffDisable {
        #[arg(long, env = "ANJUNGAN_DATA_DIR", default_value = "data")]
        data_dir: PathBuf,
        #[arg(long)]
        username: String,
    },
    /// Set a staff PIN that opens staff mode on a kiosk (--id) or on every kiosk of a desa
    /// (--desa), reading the PIN (4-8 digits) from standard input; or withdraw it (--remove).
    /// Kiosks pick it up at their next configuration pull (within 5 minutes).
    KioskPin {
        #[arg(long, env = "ANJUNGAN_DATA_DIR", default_value = "data")]
        data_dir: PathBuf,
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
    },
    /// Set what a kiosk offers: its services in display order, a notice line on the home
    /// screen and the idle timeout. Sent with the kiosk's next configuration pull.
    KioskConfig {
        #[arg(long, env = "ANJUNGAN_DATA_DIR", default_value = "data")]
        data_dir: PathBuf,
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
    },
    /// Measure status lookups over HTTP on loopback against a synthetic registry.
    Bench {
        /// Where the benchmark registry is kept (generated on first use, reused after).
        #[arg(long, default_value = "target/bench-registry")]
        data_dir: PathBuf,
        #[arg(long, default_value_t = 2_000_000)]
        residents: usize,
        #[arg(long, default_value_t = 2020)]
        seed: u64,
        /// Seconds of load.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Concurrent keep-alive clients.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// Server worker threads.
        #[arg(long, default_value_t = 2)]
        server_threads: usize,
    },
}

#[derive(Subcommand)]
enum ReportStep {
    Verify,
    Reject {
        /// Reason in Indonesian, shown on the ticket.
        #[arg(long)]
        reason_id: String,
        /// Reason in English.
        #[arg(long)]
        reason_en: String,
    },
    Schedule {
        /// Batch date, YYYY-MM-DD.
        #[arg(long)]
        date: String,
    },
    Deliver,
}

/// The `--database` option, set once at start.
static DATABASE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();

/// Where the registry lives: `--database`, or the SQLite file in the data directory.
fn location(data_dir: &std::path::Path) -> anyhow::Result<Location> {
    if let Some(database) = DATABASE.get().and_then(Option::as_deref) {
        return Ok(Location::parse(database));
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("create data directory {}", data_dir.display()))?;
    Ok(Location::Sqlite(data_dir.join("anjungan.sqlite3")))
}

fn open_store(data_dir: &std::path::Path) -> anyhow::Result<Store> {
    let location = location(data_dir)?;
    Store::open_location(&location).with_context(|| match &location {
        Location::Sqlite(path) => format!("open {}", path.display()),
        // The URL may carry a password: name the database kind only.
        Location::Postgres(_) => "open the PostgreSQL database".to_owned(),
    })
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
    let default_filter = if matches!(cli.command, Command::Bench { .. }) { "warn" } else { "info" };
    backend::log::init(cli.log_json, default_filter);
    let _ = DATABASE.set(cli.database.clone());
    match cli.command {
        Command::Serve { data_dir, listen, programs } => {
            serve(&data_dir, listen, load_catalogue(programs.as_deref())?)
        }
        Command::DemoData { data_dir, residents, seed, force } => {
            demo_data(&data_dir, residents as usize, seed, force)
        }
        Command::Import { data_dir, program, desa, state, report, programs, dry_run, file } => {
            let catalogue = load_catalogue(programs.as_deref())?;
            let options = backend::import::ImportOptions {
                state: protocol::api::MembershipState::parse(&state).context("state")?,
                since: time::OffsetDateTime::now_utc().date().to_string(),
                dry_run,
            };
            import(&data_dir, &catalogue, (&program, desa), &options, report, &file)
        }
        Command::Report { data_dir, ticket, step } => {
            use backend::workflow::{Step, advance};
            let store = open_store(&data_dir)?;
            let ticket = protocol::ticket::Ticket::parse(&ticket).context("ticket")?;
            let step = match step {
                ReportStep::Verify => Step::Verify,
                ReportStep::Reject { reason_id, reason_en } => {
                    Step::Reject(protocol::Text::new(reason_id, reason_en))
                }
                ReportStep::Schedule { date } => {
                    let format = time::macros::format_description!("[year]-[month]-[day]");
                    Step::Schedule(time::Date::parse(&date, &format).context("date")?)
                }
                ReportStep::Deliver => Step::Deliver,
            };
            let actor =
                format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()));
            let status = advance(&store, &Catalogue::default_catalogue(), &ticket, &step, &actor)?;
            store.flush_audit();
            println!("{} is now {}", status.ticket, status.state.text().id);
            if let Some(reason) = status.reason {
                println!("reason: {}", reason.id);
            }
            Ok(())
        }
        Command::KioskAdd { data_dir, id, desa, lookups_per_minute, key_out } => {
            let store = open_store(&data_dir)?;
            let key = store.register_kiosk(&id, desa, lookups_per_minute)?;
            write_secret_file(&key_out, &key.to_file_text())?;
            let issuer = key.issuer().map(|issuer| format!("{issuer:04}")).unwrap_or_default();
            println!(
                "kiosk {id} registered (ticket issuer {issuer}); key written to {}",
                key_out.display()
            );
            Ok(())
        }
        Command::KioskDisable { data_dir, id } => {
            let store = open_store(&data_dir)?;
            anyhow::ensure!(store.disable_kiosk(&id)?, "no kiosk {id}");
            println!("kiosk {id} disabled");
            Ok(())
        }
        Command::StaffAdd { data_dir, username, desa } => {
            if let Some(desa) = desa {
                anyhow::ensure!(
                    protocol::region::regions().village(desa).is_some(),
                    "unknown desa code {desa}"
                );
            }
            let mut password = String::new();
            std::io::stdin().read_line(&mut password).context("read the password")?;
            let password = password.trim_end_matches(['\r', '\n']);
            let store = open_store(&data_dir)?;
            store.set_staff(&username, password, desa)?;
            println!("staff account {username} ready");
            Ok(())
        }
        Command::StaffDisable { data_dir, username } => {
            let store = open_store(&data_dir)?;
            anyhow::ensure!(store.disable_staff(&username)?, "no staff account {username}");
            println!("staff account {username} disabled");
            Ok(())
        }
        Command::KioskPin { data_dir, id, desa, label, remove } => {
            use backend::store::PinScope;
            let scope = match (id, desa) {
                (Some(id), _) => PinScope::Kiosk(id),
                (None, Some(desa)) => {
                    anyhow::ensure!(
                        protocol::region::regions().village(desa).is_some(),
                        "unknown desa code {desa}"
                    );
                    PinScope::Desa(desa)
                }
                (None, None) => anyhow::bail!("give --id or --desa"),
            };
            let store = open_store(&data_dir)?;
            if remove {
                anyhow::ensure!(store.remove_kiosk_pin(&scope, &label)?, "no PIN {label:?}");
                println!("PIN {label:?} withdrawn");
                return Ok(());
            }
            let mut pin = String::new();
            std::io::stdin().read_line(&mut pin).context("read the PIN")?;
            store.set_kiosk_pin(&scope, &label, pin.trim_end_matches(['\r', '\n']))?;
            println!("PIN {label:?} set; kiosks apply it at their next configuration pull");
            Ok(())
        }
        Command::KioskConfig { data_dir, id, services, notice_id, notice_en, idle_timeout } => {
            let store = open_store(&data_dir)?;
            let settings = backend::store::KioskSettings {
                services,
                notice: notice_id.zip(notice_en).map(|(id, en)| protocol::Text::new(id, en)),
                idle_timeout_seconds: idle_timeout,
            };
            store.set_kiosk_settings(&id, &settings)?;
            println!("kiosk {id} configured; it applies the change at its next pull");
            Ok(())
        }
        Command::Bench { data_dir, residents, seed, seconds, concurrency, server_threads } => {
            let options = backend::bench::BenchOptions {
                residents,
                seed,
                duration: std::time::Duration::from_secs(seconds),
                concurrency,
                server_threads,
            };
            println!("{}", backend::bench::run(&location(&data_dir)?, &options)?);
            Ok(())
        }
    }
}

fn load_catalogue(path: Option<&std::path::Path>) -> anyhow::Result<Catalogue> {
    match path {
        Some(path) => {
            let catalogue = Catalogue::load(path)?;
            tracing::info!(path = %path.display(), version = catalogue.version, "program catalogue loaded");
            Ok(catalogue)
        }
        None => Ok(Catalogue::default_catalogue()),
    }
}

fn serve(
    data_dir: &std::path::Path,
    listen: SocketAddr,
    catalogue: Catalogue,
) -> anyhow::Result<()> {
    let store = open_store(data_dir)?;
    store.sync_programs(&catalogue)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listen on {listen}"))?;
        tracing::info!(%listen, data_dir = %data_dir.display(), "serving");
        backend::serve_until(listener, store.clone(), catalogue, shutdown_signal()).await?;
        store.flush_audit();
        tracing::info!("stopped");
        Ok(())
    })
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
}

fn import(
    data_dir: &std::path::Path,
    catalogue: &Catalogue,
    (program, desa): (&str, u64),
    options: &backend::import::ImportOptions,
    report: Option<PathBuf>,
    file: &std::path::Path,
) -> anyhow::Result<()> {
    use backend::import::{Requester, admit, report_writer, write_row};
    let store = open_store(data_dir)?;
    store.sync_programs(catalogue)?;
    // The CLI acts for every desa; an unknown program or desa code is refused before any
    // file is touched.
    let actor = format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()));
    let list = admit(&store, catalogue, &Requester { actor, desa: None }, program, desa)?;
    let input = std::fs::File::open(file).with_context(|| format!("open {}", file.display()))?;
    let size = input.metadata().map(|m| m.len()).unwrap_or(0);
    let report_path = report.unwrap_or_else(|| {
        let mut name = file.as_os_str().to_owned();
        name.push(".report.csv");
        PathBuf::from(name)
    });
    let mut writer = report_writer(
        std::fs::File::create(&report_path)
            .with_context(|| format!("create {}", report_path.display()))?,
    )?;
    // Rows are about 40 bytes; the bar only needs to be roughly right.
    let bar = indicatif::ProgressBar::new((size / 40).max(1));
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/~{len} rows {per_sec} {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let mut write_error = None;
    let result = list.run(
        &store,
        catalogue,
        options,
        std::io::BufReader::new(input),
        |row| {
            if let Err(error) = write_row(&mut writer, row) {
                write_error.get_or_insert(error);
            }
        },
        |done| bar.set_position(done),
    );
    // The import audited itself; the entry must reach the disk before the process ends.
    store.flush_audit();
    let summary = result?;
    bar.finish_and_clear();
    writer.flush()?;
    if let Some(error) = write_error {
        return Err(error).context("write report");
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{} rows in {seconds:.1} s ({:.0} rows/s): {} accepted, {} rejected, {} over quota, {} not found, {} other desa, {} duplicate, {} malformed",
        summary.rows,
        summary.rows as f64 / seconds.max(1e-9),
        summary.accepted,
        summary.rejected,
        summary.over_quota,
        summary.not_found,
        summary.other_desa,
        summary.duplicate,
        summary.malformed
    );
    println!("report: {}", report_path.display());
    if summary.written {
        println!("{} memberships written", summary.accepted);
    } else if options.dry_run && summary.malformed + summary.duplicate == 0 {
        println!("dry run: {} memberships would be written; nothing changed", summary.accepted);
    } else if summary.malformed + summary.duplicate > 0 {
        anyhow::bail!("nothing written: fix the malformed or duplicated rows listed in the report");
    } else {
        println!("nothing to write");
    }
    Ok(())
}

fn demo_data(
    data_dir: &std::path::Path,
    residents: usize,
    seed: u64,
    force: bool,
) -> anyhow::Result<()> {
    let store = open_store(data_dir)?;
    if !force && !store.is_empty()? {
        anyhow::bail!(
            "the registry in {} already has residents; use --force to add more",
            data_dir.display()
        );
    }
    let started = Instant::now();
    let mut last_report = Instant::now();
    let summary = generate_with_progress(&store, &DemoOptions { residents, seed }, |done| {
        if last_report.elapsed().as_millis() >= 500 || done as usize >= residents {
            last_report = Instant::now();
            let percent = (done as f64 / residents as f64 * 100.0).min(100.0);
            eprint!("\rgenerating: {done} / {residents} residents ({percent:.0}%)");
        }
    })?;
    eprintln!();
    println!(
        "{} residents in {} families, {} memberships, in {:.1} s",
        summary.residents,
        summary.families,
        summary.memberships,
        started.elapsed().as_secs_f64()
    );
    println!("NIKs to try:");
    for example in &summary.examples {
        println!("  {}  {}", example.nik, example.description);
    }
    Ok(())
}
