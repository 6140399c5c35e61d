//! `kiosk`: run the kiosk UI, or render its screens to PNG.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use hardware::config::HardwareConfig;
use hardware::printer::Paper;
use kiosk::app::{Services, Settings, build};
use kiosk::client::{BackendClient, Trust, TrustError, content_keys, trust};
use kiosk::devices::{PrinterTarget, open_configured_printer, open_printer};
use protocol::auth::KioskKey;
use protocol::signed::TrustedKeys;
use slint::ComponentHandle;
use time::UtcOffset;

#[derive(Parser)]
// The kiosk's required options (--backend-url) are not the subcommands'.
#[command(version, about = "Anjungan self-service kiosk", subcommand_negates_reqs = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Render every screen, in Indonesian and English, to PNG files (no display needed).
    #[cfg_attr(not(feature = "tools"), command(hide = true))]
    Screenshots {
        /// Directory the PNG files are written to.
        #[arg(long, default_value = "docs/screens")]
        out: PathBuf,
    },
    /// Measure cold start to first frame, memory after each flow and tap-to-print latency
    /// (runs a central service on loopback and the kiosk as child processes).
    #[cfg_attr(not(all(feature = "tools", feature = "demo")), command(hide = true))]
    Bench,
    /// Measure one letter from template to printer bytes: render and seal (the service's
    /// code) and the kiosk's ESC/POS, every type on 58 and 80 mm.
    #[cfg_attr(not(feature = "demo"), command(hide = true))]
    BenchLetters {
        #[arg(long, default_value_t = 50)]
        rounds: usize,
    },
    /// One measured kiosk run, started by `bench`.
    #[command(hide = true)]
    BenchChild {
        #[arg(long)]
        backend_url: String,
        #[arg(long)]
        key_file: PathBuf,
        #[arg(long)]
        nik: String,
        /// Visits (status check and print) after the first frame.
        #[arg(long, default_value_t = 5)]
        rounds: usize,
    },
    /// The offline outbox without the UI.
    #[command(hide = true)]
    Outbox {
        /// The kiosk's data directory (its database with the outbox).
        #[arg(long, env = "ANJUNGAN_KIOSK_DATA", default_value = kiosk::local::DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
        /// The key file from `backend kiosk-add` (with the kiosk's ticket issuer number).
        #[arg(long, env = "ANJUNGAN_KEY_FILE")]
        key_file: PathBuf,
        /// The kabupaten's CA (PEM) for an https backend; default backend-ca.pem beside the
        /// key file.
        #[arg(long, env = "ANJUNGAN_BACKEND_CA")]
        backend_ca: Option<PathBuf>,
        #[command(subcommand)]
        action: OutboxAction,
    },
}

/// `kiosk outbox ...`: the offline outbox without the UI, with the same code the UI uses
/// (the kill -9 test runs it as a real process; operators can inspect a kiosk's queue).
#[derive(Subcommand)]
enum OutboxAction {
    /// Queue a report (a `ReportRequest` JSON file) and print its ticket.
    AddReport {
        #[arg(long)]
        json: PathBuf,
    },
    /// Send what is queued, with retry and backoff, like the running kiosk does.
    Drain {
        /// https with the pinned CA, as the kiosk; plain http only to a loopback address
        /// (a service on this machine, the crash tests' proxy).
        #[arg(long, env = "ANJUNGAN_BACKEND_URL", default_value = "http://127.0.0.1:8080")]
        backend_url: String,
        /// Exit once nothing is queued (status 1 if something still is after --give-up-after).
        #[arg(long)]
        until_empty: bool,
        /// Seconds before `--until-empty` gives up.
        #[arg(long, default_value_t = 600)]
        give_up_after: u64,
    },
    /// Print the latest submissions, masked, as the staff screen shows them.
    List,
}

#[derive(Clone, Copy, ValueEnum)]
enum PaperWidth {
    #[value(name = "58")]
    Mm58,
    #[value(name = "80")]
    Mm80,
}

#[derive(clap::Args)]
struct RunArgs {
    /// Start an embedded central service on synthetic data and print to the terminal.
    #[arg(long)]
    demo: bool,
    /// Residents generated for the demo.
    #[arg(long, default_value_t = 2000)]
    demo_residents: usize,
    /// Base URL of the central service: https (NIKs cross the desa network). Not needed
    /// with --demo.
    #[arg(long, env = "ANJUNGAN_BACKEND_URL", required_unless_present = "demo")]
    backend_url: Option<String>,
    /// The key file from `backend kiosk-add` (`<kiosk-id>:<secret>`); the id is printed on
    /// every slip. Not needed with --demo.
    #[arg(long, env = "ANJUNGAN_KEY_FILE")]
    key_file: Option<PathBuf>,
    /// The kabupaten's CA certificate(s), PEM: the only ones the kiosk trusts for the
    /// central service (no public CA). Default backend-ca.pem beside the key file.
    #[arg(long, env = "ANJUNGAN_BACKEND_CA")]
    backend_ca: Option<PathBuf>,
    /// The central service's public key(s) for signed configurations, one per line (from
    /// `backend signing-key public`). Default backend-content.pub beside the key file. Not
    /// needed with --demo.
    #[arg(long, env = "ANJUNGAN_BACKEND_KEYS")]
    backend_keys: Option<PathBuf>,
    /// Name of the village hall shown on screen and slips.
    #[arg(long, env = "ANJUNGAN_VILLAGE", default_value = "")]
    village: String,
    /// Printer: a device node (/dev/usb/lp0, /dev/ttyUSB0), a file, or `memory`.
    #[arg(long, env = "ANJUNGAN_PRINTER", default_value = "memory")]
    printer: PrinterTarget,
    /// Paper width in millimetres.
    #[arg(long, env = "ANJUNGAN_PAPER", value_enum, default_value = "58")]
    paper: PaperWidth,
    /// Hours ahead of UTC for dates on slips (7 = WIB, 8 = WITA, 9 = WIT).
    #[arg(long, env = "ANJUNGAN_UTC_OFFSET", default_value_t = 7)]
    utc_offset: i8,
    /// Fill the whole screen.
    #[arg(long)]
    fullscreen: bool,
    /// Directory of the kiosk's own database (the outbox of submissions waiting for the
    /// central service). Default /var/lib/anjungan-kiosk; with --demo a fresh temporary one.
    #[arg(long, env = "ANJUNGAN_KIOSK_DATA")]
    data_dir: Option<PathBuf>,
    /// Serial device of the e-KTP reader bridge (e.g. /dev/serial/by-id/...); a card on
    /// the NIK page fills the NIK.
    #[arg(long, env = "ANJUNGAN_EKTP_READER")]
    ektp_reader: Option<PathBuf>,
    /// Serial device of the QR/barcode scanner; a receipt's QR opens its ticket.
    #[arg(long, env = "ANJUNGAN_QR_SCANNER")]
    qr_scanner: Option<PathBuf>,
    /// Seconds without a touch before the "Masih di sini?" countdown (the pulled
    /// configuration may change it).
    #[arg(long, env = "ANJUNGAN_IDLE_TIMEOUT", default_value_t = 60)]
    idle_timeout: u64,
    /// The hardware file (TOML): a `[printer]` section (USB, serial or network printer with
    /// real-time status; it replaces --printer and --paper) and a `[gpio]` section (status
    /// LED, buzzer, door switch, call-staff button). The format is docs/hardware/cli.md's.
    #[arg(long, env = "ANJUNGAN_HARDWARE")]
    hardware: Option<PathBuf>,
}

/// Errors are printed once, as a chain of causes, without a backtrace: the person reading
/// them is an operator, not a developer.
fn main() -> std::process::ExitCode {
    match run_cli() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run_cli() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // A benchmark's per-request lines would measure the terminal, not the kiosk.
    let quiet = matches!(cli.command, Some(Command::Bench | Command::BenchChild { .. }));
    let default_filter = if quiet { "warn" } else { "info" };
    {
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        // stderr for the journal, and the in-memory ring for the staff screen's log tail.
        tracing_subscriber::registry()
            .with(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| default_filter.into()),
            )
            .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
            .with(kiosk::logring::RingLayer)
            .init();
    }
    match cli.command {
        Some(Command::Screenshots { out }) => screenshots(&out),
        Some(Command::Bench) => bench(),
        Some(Command::BenchLetters { rounds }) => bench_letters(rounds),
        Some(Command::BenchChild { backend_url, key_file, nik, rounds }) => {
            bench_child(&backend_url, &key_file, &nik, rounds)
        }
        Some(Command::Outbox { data_dir, key_file, backend_ca, action }) => {
            outbox_command(&data_dir, &key_file, backend_ca.as_deref(), action)
        }
        None => run(cli.run),
    }
}

#[cfg(feature = "tools")]
fn screenshots(out: &std::path::Path) -> anyhow::Result<()> {
    kiosk::screenshot::init_headless()?;
    let files = kiosk::screenshot::write_all(out)?;
    println!("{} screenshots written to {}", files.len(), out.display());
    Ok(())
}

/// The firmware leaves out Slint's testing platform; say how to get the command.
#[cfg(not(feature = "tools"))]
fn screenshots(_: &std::path::Path) -> anyhow::Result<()> {
    anyhow::bail!(
        "this kiosk was built without the `tools` feature, which `screenshots` needs: \
         cargo run -p anjungan-kiosk --features tools -- screenshots"
    )
}

#[cfg(feature = "demo")]
fn bench_letters(rounds: usize) -> anyhow::Result<()> {
    println!("{}", kiosk::bench_letters::run(rounds)?);
    Ok(())
}

#[cfg(not(feature = "demo"))]
fn bench_letters(_: usize) -> anyhow::Result<()> {
    anyhow::bail!("bench-letters needs the `demo` feature (it links the service's templates)")
}

#[cfg(all(feature = "tools", feature = "demo"))]
fn bench() -> anyhow::Result<()> {
    let exe = std::env::current_exe().context("find the kiosk binary")?;
    println!("{}", kiosk::bench::run(&exe)?);
    Ok(())
}

/// The bench runs a central service (`demo`) and renders headless (`tools`).
#[cfg(not(all(feature = "tools", feature = "demo")))]
fn bench() -> anyhow::Result<()> {
    anyhow::bail!(
        "`bench` needs the `tools` and `demo` features, and this kiosk was built without \
         at least one of them: cargo run --release -p anjungan-kiosk --features tools,demo -- bench"
    )
}

#[cfg(all(feature = "tools", feature = "demo"))]
fn bench_child(
    backend_url: &str,
    key_file: &std::path::Path,
    nik: &str,
    rounds: usize,
) -> anyhow::Result<()> {
    kiosk::bench::child(backend_url, key_file, nik, rounds)
}

#[cfg(not(all(feature = "tools", feature = "demo")))]
fn bench_child(_: &str, _: &std::path::Path, _: &str, _: usize) -> anyhow::Result<()> {
    bench()
}

fn read_key(path: &std::path::Path) -> anyhow::Result<KioskKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("read key file {}", path.display()))?;
    KioskKey::parse(&text).with_context(|| format!("key file {}", path.display()))
}

/// A setup the kiosk refuses to talk to the central service with, in both languages.
fn refused(error: TrustError) -> anyhow::Error {
    let message = error.message();
    anyhow::anyhow!("{}\n       {}", message.id, message.en)
}

fn outbox_command(
    data_dir: &std::path::Path,
    key_file: &std::path::Path,
    backend_ca: Option<&std::path::Path>,
    action: OutboxAction,
) -> anyhow::Result<()> {
    let key = read_key(key_file)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("start async runtime")?;
    let outbox = kiosk::local::open_outbox(data_dir, &key)
        .with_context(|| format!("kiosk data directory {}", data_dir.display()))?;
    match action {
        OutboxAction::AddReport { json } => {
            let text = std::fs::read_to_string(&json)
                .with_context(|| format!("read {}", json.display()))?;
            let request: protocol::api::ReportRequest = serde_json::from_str(&text)
                .with_context(|| format!("report {}", json.display()))?;
            let queued = outbox.enqueue_report(&request)?;
            println!("{} {}", queued.ticket, queued.idempotency_key);
            Ok(())
        }
        OutboxAction::Drain { backend_url, until_empty, give_up_after } => {
            let ca_file = trust::ca_path(backend_ca, key_file);
            let trust = trust::for_tool(&backend_url, &ca_file).map_err(refused)?;
            let client = BackendClient::new(&backend_url, key, trust).map_err(refused)?;
            let give_up = if until_empty {
                std::time::Duration::from_secs(give_up_after)
            } else {
                std::time::Duration::MAX / 4
            };
            let left = runtime.block_on(kiosk::local::drain(outbox, client, give_up));
            anyhow::ensure!(left == 0, "{left} submissions still queued");
            println!("outbox empty");
            Ok(())
        }
        OutboxAction::List => {
            for entry in outbox.list_masked(100)? {
                println!("{}", kiosk::present::outbox::list_line(&entry));
            }
            Ok(())
        }
    }
}

fn run(args: RunArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("start async runtime")?;
    let hardware = match &args.hardware {
        Some(path) => HardwareConfig::load(path)?,
        None => HardwareConfig::default(),
    };
    let paper = match (&hardware.printer, args.paper) {
        (Some(printer), _) => printer.paper_width().context("[printer] paper")?,
        (None, PaperWidth::Mm58) => Paper::Mm58,
        (None, PaperWidth::Mm80) => Paper::Mm80,
    };
    // Before any device is opened: a kiosk that would talk to the central service unsafely
    // does not start at all.
    let (client, key, demo_hint) = if args.demo {
        let (backend_url, key, content_keys, demo_hint) = start_demo(&runtime, &args)?;
        let client = BackendClient::new(&backend_url, key.clone(), Trust::PlainLoopback)
            .map_err(refused)?
            .with_content_keys(content_keys);
        (client, key, demo_hint)
    } else {
        let path = args.key_file.as_ref().context(
            "no kiosk key: pass --key-file (made by `backend kiosk-add`) or run with --demo",
        )?;
        let key = read_key(path)?;
        let backend_url = args.backend_url.as_deref().context("no --backend-url")?;
        let ca_file = trust::ca_path(args.backend_ca.as_deref(), path);
        let trust = trust::pinned(backend_url, &ca_file).map_err(refused)?;
        // Only configurations signed by these keys are applied: without them the kiosk would
        // take a staff PIN from anyone who gets between it and the service.
        let keys_file = content_keys::keys_path(args.backend_keys.as_deref(), path);
        let content_keys = content_keys::load(&keys_file).map_err(|error| {
            let message = error.message();
            anyhow::anyhow!("{}\n       {}", message.id, message.en)
        })?;
        let client = BackendClient::new(backend_url, key.clone(), trust)
            .map_err(refused)?
            .with_content_keys(content_keys);
        (client, key, String::new())
    };
    let (printer, printer_status) = match &hardware.printer {
        Some(config) => {
            let opened = open_configured_printer(config, args.demo)
                .context("open the printer of the hardware file")?;
            (opened.printer, opened.status)
        }
        None => {
            let printer = open_printer(&args.printer, paper, args.demo)
                .with_context(|| format!("open printer {:?}", args.printer))?;
            (printer, None)
        }
    };
    let data_dir = match (&args.data_dir, args.demo) {
        (Some(dir), _) => dir.clone(),
        (None, true) => {
            std::env::temp_dir().join(format!("anjungan-kiosk-demo-{}", std::process::id()))
        }
        (None, false) => PathBuf::from(kiosk::local::DEFAULT_DATA_DIR),
    };
    // The outbox and its sender run from start-up, so reports queued before a restart are
    // sent even if nobody touches the screen.
    let outbox = kiosk::local::open_outbox(&data_dir, &key)
        .with_context(|| format!("kiosk data directory {}", data_dir.display()))?;
    let _sender = kiosk::local::Sender::spawn(outbox.clone(), client.clone(), runtime.handle());
    // Every job goes through the monitor: printer state and paper count for the heartbeat
    // and the staff screen, the last receipt for a staff reprint.
    let paper_counter = hardware::printer::paper::PaperCounter::open(
        data_dir.join("paper-used"),
        hardware::printer::paper::RollConfig::default(),
    )
    .map_err(|error| tracing::error!(%error, "no paper count"))
    .ok();
    let monitor = kiosk::diagnostics::PrinterMonitor::new(paper_counter);
    // The printer's own status (DLE EOT), polled while this lives.
    let _status_poller = printer_status.map(|feed| {
        monitor.follow(feed.events, runtime.handle());
        feed.poller
    });
    let printer: kiosk::app::SharedPrinter = Arc::new(Mutex::new(monitor.wrap(printer)));
    let started = std::time::Instant::now();
    let mut services = Services::new(client.clone(), printer.clone(), runtime.handle().clone())
        .with_outbox(outbox.clone());
    // The GPIO's tasks (debouncing, LED and buzzer patterns) run on the runtime.
    let panel = match &hardware.gpio {
        Some(config) => {
            let _inside = runtime.enter();
            let (gpio, events) = hardware::gpio::open(config).context("open the GPIO")?;
            let has_door = config.door.is_some() || config.driver == hardware::gpio::Driver::Sim;
            Some(kiosk::panel::start(gpio, events, has_door, &services, monitor.clone()))
        }
        None => None,
    };
    let agent = kiosk::agent::spawn(
        runtime.handle(),
        client.clone(),
        key.id(),
        kiosk::agent::AgentOptions::new(&data_dir),
        kiosk::agent::AgentInputs {
            started,
            printer: monitor.clone(),
            queue_depth: Some(outbox.watch_depth()),
            door_open: panel.as_ref().and_then(|panel| panel.door_open.clone()),
            staff_lock: Some(outbox.store().clone()),
        },
    );
    // The village name of the last applied configuration, until the command line says
    // otherwise, so slips carry it even when the kiosk starts offline.
    let stored_village = agent.config().borrow().as_ref().map(|c| c.village_name.clone());
    // ID readers: each runs in its own thread and reconnects by itself when unplugged.
    let (id_input, _) = tokio::sync::broadcast::channel(16);
    for (path, is_scanner) in [(&args.ektp_reader, false), (&args.qr_scanner, true)] {
        let Some(path) = path else { continue };
        let link = hardware::reader::LinkConfig::new(path);
        let reader = if is_scanner {
            hardware::reader::Reader::scanner(link)
        } else {
            hardware::reader::Reader::ektp(link)
        }
        .with_context(|| format!("start reader on {}", path.display()))?;
        kiosk::app::forward_reader(reader, id_input.clone(), runtime.handle());
        services = services.with_id_input(id_input.clone());
    }
    let settings = Settings {
        kiosk_id: key.id().to_string(),
        village_name: match stored_village {
            Some(name) if args.village.is_empty() => name,
            _ => args.village.clone(),
        },
        paper,
        utc_offset: UtcOffset::from_hms(args.utc_offset, 0, 0).context("UTC offset")?,
        demo_hint,
        idle_timeout: std::time::Duration::from_secs(args.idle_timeout.max(5)),
    };
    let utc_offset = settings.utc_offset;
    let app = std::rc::Rc::new(build(settings, services)?);
    let _staff = kiosk::staff::install(
        &app.window,
        kiosk::staff::StaffTools {
            kiosk_id: key.id().to_string(),
            client: client.clone(),
            printer,
            monitor,
            paper,
            utc_offset,
            runtime: runtime.handle().clone(),
            config: agent.config(),
            outbox: Some(outbox.clone()),
            store: Some(outbox.store().clone()),
            started,
            options: kiosk::staff::StaffOptions::default(),
        },
    );
    kiosk::agent::follow_in_ui(app.clone(), agent.config(), {
        let app = std::rc::Rc::downgrade(&app);
        move |timeout| {
            if let Some(app) = app.upgrade() {
                app.set_idle_timeout(timeout);
            }
        }
    })?;
    app.window.window().set_fullscreen(args.fullscreen);
    app.window.run()?;
    runtime.shutdown_background();
    // Staff chose "restart" or "exit to desktop": the service manager acts on the status.
    if let Some(code) = kiosk::staff::requested_exit() {
        std::process::exit(code);
    }
    Ok(())
}

#[cfg(feature = "demo")]
fn start_demo(
    runtime: &tokio::runtime::Runtime,
    args: &RunArgs,
) -> anyhow::Result<(String, KioskKey, TrustedKeys, String)> {
    let embedded = runtime.block_on(kiosk::demo::start(args.demo_residents, "BWI-DEMO-01"))?;
    eprintln!(
        "Demo: central service on {} with {} residents. NIKs to try:",
        embedded.url, args.demo_residents
    );
    for example in &embedded.examples {
        eprintln!("  {}  {}", example.nik, example.description);
    }
    let hint = kiosk::demo::hint(&embedded.examples);
    Ok((embedded.url, embedded.key, embedded.content_keys, hint))
}

#[cfg(not(feature = "demo"))]
fn start_demo(
    _: &tokio::runtime::Runtime,
    _: &RunArgs,
) -> anyhow::Result<(String, KioskKey, TrustedKeys, String)> {
    anyhow::bail!(
        "this kiosk was built without the `demo` feature, which `--demo` needs: \
         scripts/demo.sh builds with it"
    )
}
