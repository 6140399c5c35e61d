//! The seal's QR code as vector squares: sharp at any printer's resolution, and a few
//! hundred rectangles rather than an image.

use qrcode::{Color, EcLevel, QrCode};

use super::PdfError;
use super::canvas::Page;

/// The module matrix of `payload`, row by row (`true`: dark). Level M, as the kiosk's slip
/// prints it: a creased or smudged paper still scans.
pub(super) fn modules(payload: &str) -> Result<Vec<Vec<bool>>, PdfError> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
        .map_err(PdfError::Qr)?;
    let width = code.width();
    let colors = code.to_colors();
    Ok(colors.chunks(width).map(|row| row.iter().map(|c| *c == Color::Dark).collect()).collect())
}

/// Draws `modules` as a `side`-point square at (`x`, `y`); each row's runs of dark modules
/// are one rectangle, so neighbouring modules leave no hairline between them.
pub(super) fn draw(page: &mut Page, modules: &[Vec<bool>], x: f32, y: f32, side: f32) {
    let module = side / modules.len().max(1) as f32;
    for (row, cells) in modules.iter().enumerate() {
        let mut column = 0;
        while column < cells.len() {
            if !cells[column] {
                column += 1;
                continue;
            }
            let start = column;
            while column < cells.len() && cells[column] {
                column += 1;
            }
            page.rect(
                x + start as f32 * module,
                y + row as f32 * module,
                (column - start) as f32 * module,
                module,
                0,
            );
        }
    }
}
