//! `test-page`: one receipt that shows at a glance whether the printer, the paper width
//! setting and the cable work: a ruler across the full width (cut-off edges mean the wrong
//! paper setting), the three alignments, bold, double size and a QR code to scan with a
//! phone. Rendered by the kiosk's own renderer, cut once.

use std::fs::OpenOptions;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use hardware::printer::render::render;
use hardware::printer::{Align, Document, Paper, Style};

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["device", "file"])))]
pub struct Args {
    /// The printer: /dev/usb/lp0, a serial port (/dev/serial/by-id/...), ...
    #[arg(long, short, value_name = "PATH")]
    device: Option<PathBuf>,
    /// Write the ESC/POS bytes to a file instead (to inspect or send later)
    #[arg(long, short, value_name = "PATH")]
    file: Option<PathBuf>,
    /// Paper roll width in mm (80-42: an 80 mm printer with 42 columns, Epson TM-T88 class)
    #[arg(long, value_enum, default_value = "58")]
    paper: PaperArg,
    /// Baud rate, for printers on a serial port
    #[arg(long, default_value_t = 9600)]
    baud: u32,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum PaperArg {
    #[value(name = "58")]
    Mm58,
    #[value(name = "80")]
    Mm80,
    #[value(name = "80-42")]
    Mm80Cols42,
}

impl From<PaperArg> for Paper {
    fn from(paper: PaperArg) -> Paper {
        match paper {
            PaperArg::Mm58 => Paper::Mm58,
            PaperArg::Mm80 => Paper::Mm80,
            PaperArg::Mm80Cols42 => Paper::Mm80Cols42,
        }
    }
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let paper = Paper::from(args.paper);
    let bytes = render(&document(paper)).context("rendering the test page")?;
    if let Some(file) = &args.file {
        std::fs::write(file, &bytes).with_context(|| format!("writing {}", file.display()))?;
        println!("Test page written to {} ({} bytes)", file.display(), bytes.len());
    } else if let Some(device) = &args.device {
        send(device, &bytes, args.baud)?;
        println!("Test page sent to {} ({} bytes)", device.display(), bytes.len());
    }
    Ok(())
}

/// The test page for a paper width.
pub fn document(paper: Paper) -> Document {
    let columns = paper.columns();
    let mm = paper.millimetres();
    let right = Style { align: Align::Right, ..Style::default() };
    let mut doc = Document::new(paper);
    doc.text("ANJUNGAN", Style::center().bold().double())
        .text("HALAMAN UJI PRINTER", Style::center().bold())
        .text("Printer test page", Style::center())
        .rule()
        .text(format!("Kertas {mm} mm: {columns} kolom"), Style::default())
        .text(ruler(columns), Style::default())
        .text(edges(columns), Style::default())
        .text("Kiri / left", Style::default())
        .text("Tengah / center", Style::center())
        .text("Kanan / right", right)
        .text("Tebal / bold", Style::default().bold())
        .text("BESAR / BIG", Style::default().double())
        .pair("Kiri", "Kanan")
        .rule()
        .qr(format!("ANJUNGAN/TES?kertas={mm}"))
        .text("Pindai QR dengan ponsel", Style::center())
        .text("Scan the QR with a phone", Style::center())
        .text("Tepi terpotong? Cek lebar kertas", Style::default())
        .text("Edges cut? Check paper width.", Style::default())
        .feed(3)
        .cut();
    doc
}

/// `....:....1....:....2..`: a mark every column, a number every ten, no spaces (the
/// document's word wrap would squeeze them).
fn ruler(columns: usize) -> String {
    (1..=columns)
        .map(|c| match c % 10 {
            0 => char::from_digit(u32::try_from(c / 10 % 10).unwrap_or(0), 10).unwrap_or('0'),
            5 => ':',
            _ => '.',
        })
        .collect()
}

/// `|------|`: both bars must be on the paper.
fn edges(columns: usize) -> String {
    format!("|{}|", "-".repeat(columns.saturating_sub(2)))
}

/// Writes the job to a device as is. A serial port is opened raw at `baud` (a tty's default
/// line settings would turn the LF bytes of ESC/POS commands into CR LF); anything else
/// (a USB printer node) is written to directly. Never creates the path: a mistyped device
/// must fail, not leave a file in /dev.
fn send(device: &Path, bytes: &[u8], baud: u32) -> anyhow::Result<()> {
    let file = OpenOptions::new()
        .write(true)
        .open(device)
        .with_context(|| format!("opening printer {}", device.display()))?;
    if file.is_terminal() {
        drop(file);
        let mut port = serialport::new(device.to_string_lossy(), baud)
            .timeout(Duration::from_secs(10))
            .open_native()
            .with_context(|| format!("opening serial printer {}", device.display()))?;
        port.write_all(bytes).with_context(|| format!("writing to {}", device.display()))?;
        // Waits until the bytes have left the port, so closing it cannot cut the job short.
        port.flush().with_context(|| format!("writing to {}", device.display()))?;
    } else {
        let mut file = file;
        file.write_all(bytes).with_context(|| format!("writing to {}", device.display()))?;
        file.flush()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ruler_spans_the_paper() {
        assert_eq!(ruler(32), "....:....1....:....2....:....3..");
        assert_eq!(ruler(48).len(), 48);
        assert_eq!(edges(32).len(), 32);
    }
}
