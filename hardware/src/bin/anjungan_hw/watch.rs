//! `watch`: what an e-KTP reader or QR scanner sends, through the kiosk's own
//! [`hardware::reader::Reader`] (same framing, validation and reconnects). Cards and scans
//! are printed with the reader's masked `Debug`: a card's NIK as `3510********0001` and its
//! name as its length, a scan as its length (it may be anything, a NIK included), so
//! running this in front of a citizen shows nothing they would mind.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use hardware::reader::scanner::DEFAULT_LINE_TIMEOUT;
use hardware::reader::{LinkConfig, Reader, ReaderEvent};
use tokio::time::{Instant, sleep_until};

#[derive(clap::Args)]
pub struct Args {
    /// The reader's serial port, e.g. /dev/serial/by-id/usb-... (see `ports`)
    #[arg(long, short, value_name = "PATH")]
    device: PathBuf,
    /// What is on that port
    #[arg(long, short, value_enum)]
    kind: Kind,
    #[arg(long, default_value_t = 9600)]
    baud: u32,
    /// Stop after this many seconds instead of at Ctrl+C
    #[arg(long, value_parser = crate::parse_seconds)]
    seconds: Option<Duration>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Kind {
    /// e-KTP reader bridge
    Ektp,
    /// 2D barcode / QR scanner in serial mode
    Qr,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let link = LinkConfig::new(&args.device).baud(args.baud);
    let mut reader = match args.kind {
        Kind::Ektp => Reader::ektp(link),
        Kind::Qr => Reader::scanner(link.frame_timeout(DEFAULT_LINE_TIMEOUT)),
    }
    .context("starting the reader")?;
    println!("Watching {}; Ctrl+C to stop", args.device.display());
    let start = Instant::now();
    let until = args.seconds.map(|s| start + s);
    loop {
        tokio::select! {
            event = reader.recv() => {
                let Some(event) = event else { break };
                let ms = start.elapsed().as_millis();
                println!("{ms:>7} ms  {}", describe(&event));
            }
            _ = tokio::signal::ctrl_c() => break,
            () = async { sleep_until(until.unwrap_or_else(Instant::now)).await }, if until.is_some() => break,
        }
    }
    // Joins the reader thread (within its read timeout), off the async thread.
    tokio::task::spawn_blocking(move || reader.stop()).await.context("stopping the reader")?;
    Ok(())
}

fn describe(event: &ReaderEvent) -> String {
    match event {
        ReaderEvent::Connected => "connected / tersambung".into(),
        ReaderEvent::Disconnected { reason } => {
            format!("not connected / tidak tersambung: {reason} (retrying)")
        }
        // Debug of cards and scans is masked by the reader module.
        ReaderEvent::Card(card) => format!("e-KTP read / terbaca: {card:?}"),
        ReaderEvent::Scan(scanned) => format!("scan / pindai: {scanned:?}"),
        ReaderEvent::Rejected { why } => format!("input dropped / data ditolak: {why}"),
        other => format!("{other:?}"),
    }
}
