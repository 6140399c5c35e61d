//! Rendering a [`Document`] to the ESC/POS byte stream, with the `escpos` crate.
//!
//! The stream starts with ESC @ (so a half-finished earlier job cannot leave the printer in
//! bold or double size), leaves Chinese double-byte mode (FS .: many cheap printers start in
//! it and would pair up accented bytes), selects the document's code page, sets every style
//! explicitly on each line, and ends with exactly one full cut.
//!
//! Text bytes come from [`CodePage::encode_str`] on sanitized text, so they are never below
//! 0x20 nor 0x7F: no byte of user data can be read as a command. The crate has no Code128
//! and no raster from memory in our feature set; those two are written as raw commands.

use std::cell::RefCell;
use std::rc::Rc;

use escpos::driver::Driver;
use escpos::errors::PrinterError;
use escpos::printer::Printer as EscposPrinter;
use escpos::utils::{
    JustifyMode, PageCode, Protocol, QRCodeCorrectionLevel, QRCodeModel, QRCodeOption,
};

use crate::printer::PrintError;
use crate::printer::codepage::CodePage;
use crate::printer::document::{Align, Bitmap, Block, Code128Run, Document, Size, code128_runs};

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
/// Long payloads get smaller modules, so the symbol always fits the paper.
pub const QR_MODULE_DOTS: u8 = 5;
/// Paper fed above and below a QR code: the 4-module quiet zone scanners need.
pub const QR_QUIET_DOTS: u8 = 4 * QR_MODULE_DOTS;
/// Code128 bar height: 10 mm, easy to hit with a hand scanner.
pub const BARCODE_HEIGHT_DOTS: u8 = 80;

const ESC: u8 = 0x1b;
const GS: u8 = 0x1d;
const FS: u8 = 0x1c;

pub fn render(doc: &Document) -> Result<Vec<u8>, PrintError> {
    let driver = BufferDriver::default();
    let mut printer = EscposPrinter::new(driver.clone(), Protocol::default(), None);
    let page = doc.code_page();
    printer.init()?;
    printer.custom(&[FS, b'.'])?;
    if let Some(code) = page_code(page) {
        printer.page_code(code)?;
    }
    for block in doc.blocks() {
        match block {
            Block::Text { text, style } => {
                printer.justify(justify(style.align))?;
                printer.bold(style.bold)?;
                match style.size {
                    Size::Normal => printer.size(1, 1)?,
                    Size::Double => printer.size(2, 2)?,
                };
                printer.custom(&page.encode_str(text))?.feed()?;
            }
            Block::Rule => {
                printer.justify(JustifyMode::LEFT)?.bold(false)?.size(1, 1)?;
                printer.custom(&b"-".repeat(doc.paper().columns()))?.feed()?;
            }
            Block::Qr { payload } => {
                printer.justify(JustifyMode::CENTER)?;
                printer.custom(&[ESC, b'J', QR_QUIET_DOTS])?;
                let module = qr_module_dots(payload, doc.paper().dot_width())?;
                let option =
                    QRCodeOption::new(QRCodeModel::Model2, module, QRCodeCorrectionLevel::M);
                printer.qrcode_option(payload, option)?;
                printer.custom(&[ESC, b'J', QR_QUIET_DOTS])?;
                printer.justify(JustifyMode::LEFT)?;
            }
            Block::Code128 { payload, module_dots } => {
                printer.justify(JustifyMode::CENTER)?.bold(false)?.size(1, 1)?;
                printer.custom(&code128_command(payload, *module_dots)?)?;
                printer.justify(JustifyMode::LEFT)?;
            }
            Block::Image(bitmap) => {
                printer.justify(JustifyMode::CENTER)?;
                printer.custom(&raster_command(bitmap)?)?;
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

/// The largest module size, up to [`QR_MODULE_DOTS`], at which the symbol (the version the
/// printer picks at level M, as the `qrcode` crate does) and its quiet zone fit the paper.
pub fn qr_module_dots(payload: &str, dot_width: u32) -> Result<u8, PrintError> {
    let code = qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| PrintError::Encoding(format!("QR code: {e}")))?;
    let modules = code.width() as u32 + 8;
    let fits = (1..=QR_MODULE_DOTS).rev().find(|m| modules * u32::from(*m) <= dot_width);
    fits.ok_or_else(|| PrintError::Encoding("QR code wider than the paper".into()))
}

fn page_code(page: CodePage) -> Option<PageCode> {
    match page {
        CodePage::Ascii => None,
        CodePage::Pc437 => Some(PageCode::PC437),
        CodePage::Pc858 => Some(PageCode::PC858),
    }
}

fn justify(align: Align) -> JustifyMode {
    match align {
        Align::Left => JustifyMode::LEFT,
        Align::Center => JustifyMode::CENTER,
        Align::Right => JustifyMode::RIGHT,
    }
}

/// Bar height, bar width, text below in Font A, then `GS k 73 n {B... {C...`: the
/// function-B Code128 command, whose data names its code sets. A `{` in the text is sent
/// as `{{`, as the command requires.
fn code128_command(payload: &str, module_dots: u8) -> Result<Vec<u8>, PrintError> {
    let mut data = Vec::new();
    for run in code128_runs(payload) {
        match run {
            Code128Run::B(text) => {
                data.extend_from_slice(b"{B");
                for byte in text.bytes() {
                    if byte == b'{' {
                        data.push(b'{');
                    }
                    data.push(byte);
                }
            }
            Code128Run::C(digits) => {
                data.extend_from_slice(b"{C");
                for pair in digits.as_bytes().chunks(2) {
                    data.push((pair[0] - b'0') * 10 + pair.get(1).map_or(0, |d| d - b'0'));
                }
            }
        }
    }
    let n = u8::try_from(data.len())
        .map_err(|_| PrintError::Encoding("barcode data longer than 255 bytes".into()))?;
    let mut cmd = vec![
        GS,
        b'h',
        BARCODE_HEIGHT_DOTS,
        GS,
        b'w',
        module_dots,
        GS,
        b'H',
        2,
        GS,
        b'f',
        0,
        GS,
        b'k',
        73,
        n,
    ];
    cmd.extend_from_slice(&data);
    Ok(cmd)
}

/// `GS v 0 m xL xH yL yH d...`: a raster of `xL + xH*256` bytes per row, normal density.
fn raster_command(bitmap: &Bitmap) -> Result<Vec<u8>, PrintError> {
    let too_big = || PrintError::Encoding("image larger than 65535 dots".into());
    let row_bytes = u16::try_from(bitmap.row_bytes()).map_err(|_| too_big())?;
    let height = u16::try_from(bitmap.height()).map_err(|_| too_big())?;
    let [xl, xh] = row_bytes.to_le_bytes();
    let [yl, yh] = height.to_le_bytes();
    let mut cmd = vec![GS, b'v', b'0', 0, xl, xh, yl, yh];
    cmd.extend_from_slice(bitmap.packed());
    Ok(cmd)
}
