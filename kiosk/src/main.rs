//! `kiosk`: run the kiosk UI, or render its screens to PNG.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use hardware::printer::Paper;
use kiosk::app::{Services, Settings, build};
use kiosk::client::BackendClient;
use kiosk::devices::{PrinterTarget, open_printer};
use protocol::auth::KioskKey;
use slint::ComponentHandle;
use time::UtcOffset;

#[derive(Parser)]
#[command(version, about = "Anjungan self-service kiosk")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Render every screen, in Indonesian and English, to PNG files (no display needed).
    Screenshots {
        /// Directory the PNG files are written to.
        #[arg(long, default_value = "docs/screens")]
        out: PathBuf,
    },
    /// Measure cold start to first frame, memory after each flow and tap-to-print latency
    /// (runs a central service on loopback and the kiosk as child processes).
    Bench,
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
    /// Base URL of the central service.
    #[arg(long, env = "ANJUNGAN_BACKEND_URL", default_value = "http://127.0.0.1:8080")]
    backend_url: String,
    /// The key file from `backend kiosk-add` (`<kiosk-id>:<secret>`); the id is printed on
    /// every slip. Not needed with --demo.
    #[arg(long, env = "ANJUNGAN_KEY_FILE")]
    key_file: Option<PathBuf>,
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
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| default_filter.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Some(Command::Screenshots { out }) => {
            kiosk::screenshot::init_headless()?;
            let files = kiosk::screenshot::write_all(&out)?;
            println!("{} screenshots written to {}", files.len(), out.display());
            Ok(())
        }
        Some(Command::Bench) => {
            let exe = std::env::current_exe().context("find the kiosk binary")?;
            println!("{}", kiosk::bench::run(&exe)?);
            Ok(())
        }
        Some(Command::BenchChild { backend_url, key_file, nik, rounds }) => {
            kiosk::bench::child(&backend_url, &key_file, &nik, rounds)
        }
        None => run(cli.run),
    }
}

fn run(args: RunArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("start async runtime")?;
    let paper = match args.paper {
        PaperWidth::Mm58 => Paper::Mm58,
        PaperWidth::Mm80 => Paper::Mm80,
    };
    let (backend_url, key, demo_hint) = if args.demo {
        start_demo(&runtime, &args)?
    } else {
        let path = args.key_file.as_ref().context(
            "no kiosk key: pass --key-file (made by `backend kiosk-add`) or run with --demo",
        )?;
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("read key file {}", path.display()))?;
        let key = KioskKey::parse(&text).with_context(|| format!("key file {}", path.display()))?;
        (args.backend_url.clone(), key, String::new())
    };
    let printer = open_printer(&args.printer, paper, args.demo)
        .with_context(|| format!("open printer {:?}", args.printer))?;
    let services = Services {
        client: BackendClient::new(&backend_url, key.clone())?,
        printer: Arc::new(Mutex::new(printer)),
        runtime: runtime.handle().clone(),
    };
    let settings = Settings {
        kiosk_id: key.id().to_string(),
        village_name: args.village.clone(),
        paper,
        utc_offset: UtcOffset::from_hms(args.utc_offset, 0, 0).context("UTC offset")?,
        demo_hint,
    };
    let app = build(settings, services)?;
    app.window.window().set_fullscreen(args.fullscreen);
    app.window.run()?;
    runtime.shutdown_background();
    Ok(())
}

#[cfg(feature = "demo")]
fn start_demo(
    runtime: &tokio::runtime::Runtime,
    args: &RunArgs,
) -> anyhow::Result<(String, KioskKey, String)> {
    let embedded = runtime.block_on(kiosk::demo::start(args.demo_residents, "BWI-DEMO-01"))?;
    eprintln!(
        "Demo: central service on {} with {} residents. NIKs to try:",
        embedded.url, args.demo_residents
    );
    for example in &embedded.examples {
        eprintln!("  {}  {}", example.nik, example.description);
    }
    Ok((embedded.url.clone(), embedded.key.clone(), kiosk::demo::hint(&embedded.examples)))
}

#[cfg(not(feature = "demo"))]
fn start_demo(
    _: &tokio::runtime::Runtime,
    _: &RunArgs,
) -> anyhow::Result<(String, KioskKey, String)> {
    anyhow::bail!("this kiosk was built without the `demo` feature")
}
