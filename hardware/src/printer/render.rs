//! Rendering a [`Document`] to the ESC/POS byte stream, with the `escpos` crate.
//!
//! The stream starts with ESC @ (so a half-finished earlier job cannot leave the printer in
//! bold or double size), selects every style explicitly on each line, and ends with exactly
//! one full cut.

use std::cell::RefCell;
use std::rc::Rc;

use escpos::driver::Driver;
use escpos::errors::PrinterError;
use escpos::printer::Printer as EscposPrinter;
use escpos::utils::{JustifyMode, Protocol, QRCodeCorrectionLevel, QRCodeModel, QRCodeOption};

use crate::printer::PrintError;
use crate::printer::document::{Align, Block, Document, Size};

/// Collects what the `escpos` printer writes, so the bytes can go to any connection.
#[derive(Clone, Default)]
struct BufferDriver(Rc<RefCell<Vec<u8>>>);

impl Driver for BufferDriver {
    fn name(&self) -> String {
        "buffer".into()
    }
    fn write(&self, data: &[u8]) -> Result<(), PrinterError> {
        self.0.borrow_mut().extend_from_slice(data);
        Ok(())
    }
    fn read(&self, _buf: &mut [u8]) -> Result<usize, PrinterError> {
        Ok(0)
    }
    fn flush(&self) -> Result<(), PrinterError> {
        Ok(())
    }
}

impl From<PrinterError> for PrintError {
    fn from(error: PrinterError) -> PrintError {
        PrintError::Encoding(error.to_string())
    }
}

/// QR modules of 5 dots: about 2.5 cm for a 40-character payload, easy for phone cameras.
const QR_MODULE_DOTS: u8 = 5;

pub fn render(doc: &Document) -> Result<Vec<u8>, PrintError> {
    let driver = BufferDriver::default();
    let mut printer = EscposPrinter::new(driver.clone(), Protocol::default(), None);
    printer.init()?;
    for block in doc.blocks() {
        match block {
            Block::Text { text, style } => {
                printer.justify(justify(style.align))?;
                printer.bold(style.bold)?;
                match style.size {
                    Size::Normal => printer.size(1, 1)?,
                    Size::Double => printer.size(2, 2)?,
                };
                printer.writeln(text)?;
            }
            Block::Rule => {
                printer.justify(JustifyMode::LEFT)?.bold(false)?.size(1, 1)?;
                printer.writeln(&"-".repeat(doc.paper().columns()))?;
            }
            Block::Qr { payload } => {
                printer.justify(JustifyMode::CENTER)?;
                let option = QRCodeOption::new(
                    QRCodeModel::Model2,
                    QR_MODULE_DOTS,
                    QRCodeCorrectionLevel::M,
                );
                printer.qrcode_option(payload, option)?;
                printer.justify(JustifyMode::LEFT)?;
            }
            Block::Feed(lines) => {
                printer.feeds(*lines)?;
            }
            Block::Cut => {}
        }
    }
    printer.justify(JustifyMode::LEFT)?.bold(false)?.size(1, 1)?;
    printer.cut()?.print()?;
    let bytes = driver.0.borrow().clone();
    Ok(bytes)
}

fn justify(align: Align) -> JustifyMode {
    match align {
        Align::Left => JustifyMode::LEFT,
        Align::Center => JustifyMode::CENTER,
        Align::Right => JustifyMode::RIGHT,
    }
}
