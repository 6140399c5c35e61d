//! `status`: asks the printer for its real-time status (DLE EOT 1-4) through the kiosk's own
//! [`ConnectedPrinter`], and says in plain words whether it can print and if not, why.
//! `--watch` keeps asking and prints each change (open the cover, pull the paper: it shows).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use hardware::config::HardwareConfig;
use hardware::printer::connection::{ConnectedPrinter, DEFAULT_BAUD, DEFAULT_PORT, PrinterConfig};
use hardware::printer::status::{PaperLevel, PrinterStatus, Reading};
use tokio::time::{Instant, sleep_until};

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("printer").required(true).args(["device", "network", "config"])))]
pub struct Args {
    // An attribute rather than a doc comment: rustdoc would read "[printer]" as a link, and
    // an escaped "\[printer\]" would reach the help text with its backslashes.
    #[arg(
        long,
        value_name = "FILE",
        help = "The kiosk's hardware file: the printer of its [printer] section, as the kiosk \
                opens it"
    )]
    config: Option<PathBuf>,
    /// The printer's device: /dev/usb/lp0 or a serial port (/dev/serial/by-id/...)
    #[arg(long, short, value_name = "PATH")]
    device: Option<PathBuf>,
    /// A network printer: HOST or HOST:PORT (port 9100 if left out)
    #[arg(long, short, value_name = "HOST[:PORT]")]
    network: Option<String>,
    /// Baud rate, for printers on a serial port
    #[arg(long, default_value_t = DEFAULT_BAUD)]
    baud: u32,
    /// Keep asking, and print every change until Ctrl+C (or --seconds)
    #[arg(long)]
    watch: bool,
    /// With --watch: stop after this many seconds
    #[arg(long, value_parser = crate::parse_seconds, requires = "watch")]
    seconds: Option<Duration>,
}

/// How often `--watch` asks: fast enough that opening the cover shows at once.
const WATCH_INTERVAL: Duration = Duration::from_millis(500);

fn config(args: &Args) -> anyhow::Result<PrinterConfig> {
    if let Some(path) = &args.config {
        let file = HardwareConfig::load(path)?;
        return file
            .printer
            .with_context(|| format!("{} has no [printer] section", path.display()));
    }
    if let Some(device) = &args.device {
        // A serial port needs its baud rate; a USB printer node is not a tty.
        let is_tty = std::fs::File::open(device)
            .with_context(|| format!("opening printer {}", device.display()))?
            .is_terminal();
        return Ok(if is_tty {
            PrinterConfig::serial(device, args.baud)
        } else {
            PrinterConfig::usb(device)
        });
    }
    let address = args.network.as_deref().unwrap_or_default();
    let (host, port) = match address.rsplit_once(':') {
        Some((host, port)) => {
            let port = port.parse().with_context(|| format!("`{port}` is not a port number"))?;
            (host, port)
        }
        None => (address, DEFAULT_PORT),
    };
    Ok(PrinterConfig::network(host, port))
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let config = config(&args)?;
    let printer = tokio::task::spawn_blocking(move || ConnectedPrinter::open(&config)).await??;
    println!("Printer / Printer: {}", printer.endpoint());
    let printer = std::sync::Arc::new(printer);
    let reading = {
        let printer = std::sync::Arc::clone(&printer);
        tokio::task::spawn_blocking(move || printer.query_status()).await?
    };
    let answered = match reading {
        Some(Reading::Status(status)) => {
            print_status(&status);
            true
        }
        Some(Reading::NoReply) | None => {
            println!(
                "NO REPLY / TIDAK MENJAWAB: the printer is off, unplugged, on another port or \
                 baud rate, or cannot report its status"
            );
            false
        }
    };
    if args.watch {
        watch(&printer, args.seconds).await;
    }
    if !answered && !args.watch {
        anyhow::bail!("the printer did not answer its status request");
    }
    Ok(())
}

fn print_status(status: &PrinterStatus) {
    let yes_no = |b: bool| if b { "yes / ya" } else { "NO / TIDAK" };
    println!("  online:  {}", yes_no(status.online));
    println!(
        "  cover:   {}",
        if status.cover_open { "OPEN / TERBUKA" } else { "closed / tertutup" }
    );
    let paper = match status.paper_level() {
        PaperLevel::Adequate => "ok / cukup",
        PaperLevel::NearEnd => "NEAR END, fetch a new roll / HAMPIR HABIS, siapkan gulungan baru",
        PaperLevel::Out => "OUT, load a roll / HABIS, pasang gulungan",
    };
    println!("  paper:   {paper}");
    match status.error {
        Some(fault) => println!("  error:   {fault}"),
        None => println!("  error:   none / tidak ada"),
    }
    let ready = status.online && !status.cover_open && !status.paper_out && status.error.is_none();
    println!("{}", if ready { "READY / SIAP" } else { "NOT READY / BELUM SIAP" });
}

async fn watch(printer: &std::sync::Arc<ConnectedPrinter>, seconds: Option<Duration>) {
    let mut events = printer.status_events();
    let poller = match printer.spawn_status_poller_every(WATCH_INTERVAL) {
        Ok(poller) => poller,
        Err(error) => {
            eprintln!("cannot keep asking the printer: {error}");
            return;
        }
    };
    println!("Watching for changes; Ctrl+C to stop");
    let start = Instant::now();
    let until = seconds.map(|s| start + s);
    loop {
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { break };
                println!("{:>7} ms  {event}", start.elapsed().as_millis());
            }
            _ = tokio::signal::ctrl_c() => break,
            () = async { sleep_until(until.unwrap_or_else(Instant::now)).await }, if until.is_some() => break,
        }
    }
    // Joining waits for a reading in progress, bounded by the status timeout.
    let _ = tokio::task::spawn_blocking(move || poller.stop()).await;
}
