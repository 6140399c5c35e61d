//! Opening the devices named in the configuration.

use std::path::PathBuf;

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
