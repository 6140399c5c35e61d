//! Opening the devices named in the configuration: the printer of `--printer` or of the
//! hardware file's `[printer]` section, and the GPIO of its `[gpio]` section.

use std::path::PathBuf;

use hardware::printer::connection::{ConnectError, ConnectedPrinter, PrinterConfig};
use hardware::printer::status::{StatusEvent, StatusPoller};
use tokio::sync::mpsc::UnboundedReceiver;

use hardware::printer::decode::decode;
use hardware::printer::render::render;
use hardware::printer::sim::{FilePrinter, MemoryPrinter};
use hardware::printer::{Document, Paper, PrintError, Printer};

/// Where print jobs go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterTarget {
    /// Kept in memory (tests, screenshots).
    Memory,
    /// Appended to a file, or written to a device node such as `/dev/usb/lp0` or a pty.
    Path(PathBuf),
}

impl std::str::FromStr for PrinterTarget {
    type Err = String;
    fn from_str(text: &str) -> Result<PrinterTarget, String> {
        match text {
            "" => Err("empty printer target".into()),
            "memory" => Ok(PrinterTarget::Memory),
            path => Ok(PrinterTarget::Path(PathBuf::from(path))),
        }
    }
}

/// A printer and, when it can answer DLE EOT, the feed of its status changes.
pub struct OpenedPrinter {
    pub printer: Box<dyn Printer>,
    pub status: Option<StatusFeed>,
}

/// Status events of a connected printer; polling stops when this is dropped.
pub struct StatusFeed {
    pub events: UnboundedReceiver<StatusEvent>,
    pub poller: StatusPoller,
}

/// The printer of a `[printer]` section: USB, serial or network with real-time status
/// polled in the background, or a file. Connected on first use, so the kiosk starts (and
/// says "printer offline") with the printer switched off. The paper count is the kiosk's
/// own (in its data directory), so a `counter_file` in the section is not used.
pub fn open_configured_printer(
    config: &PrinterConfig,
    echo: bool,
) -> Result<OpenedPrinter, ConnectError> {
    let mut config = config.clone();
    if config.counter_file.take().is_some() {
        tracing::info!(
            "[printer] counter_file ignored: the kiosk counts paper in its data directory"
        );
    }
    let printer = ConnectedPrinter::new(&config)?;
    let status = if printer.has_status() {
        let events = printer.status_events();
        let poller = printer.spawn_status_poller().map_err(|source| ConnectError::Open {
            path: PathBuf::from(printer.endpoint().to_string()),
            source,
        })?;
        Some(StatusFeed { events, poller })
    } else {
        None
    };
    let printer: Box<dyn Printer> = Box::new(printer);
    let printer = if echo { Box::new(EchoPrinter { inner: printer }) } else { printer };
    Ok(OpenedPrinter { printer, status })
}

pub fn open_printer(
    target: &PrinterTarget,
    paper: Paper,
    echo: bool,
) -> Result<Box<dyn Printer>, PrintError> {
    let printer: Box<dyn Printer> = match target {
        PrinterTarget::Memory => Box::new(MemoryPrinter::new(paper)),
        PrinterTarget::Path(path) => Box::new(FilePrinter::open(path)?),
    };
    Ok(if echo { Box::new(EchoPrinter { inner: printer }) } else { printer })
}

/// Prints through another printer and shows on the terminal what came out, decoded from the
/// ESC/POS bytes: the demo's stand-in for holding the paper.
pub struct EchoPrinter {
    inner: Box<dyn Printer>,
}

impl Printer for EchoPrinter {
    fn print(&mut self, doc: &Document) -> Result<(), PrintError> {
        self.inner.print(doc)?;
        let decoded = decode(&render(doc)?);
        let width = doc.paper().columns();
        let border = "=".repeat(width + 4);
        let mut out = format!("\n{border}\n");
        for line in &decoded.lines {
            out.push_str(&format!("| {:<width$} |\n", line.text));
        }
        for payload in &decoded.qr_codes {
            out.push_str(&format!("| [QR] {payload}\n"));
        }
        out.push_str(&format!("{border}  (cut x{})\n", decoded.cuts));
        eprint!("{out}");
        Ok(())
    }

    fn name(&self) -> String {
        format!("echo({})", self.inner.name())
    }
}
