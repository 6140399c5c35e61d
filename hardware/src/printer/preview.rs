//! A picture of the printout: the document rendered to ESC/POS, read back by the
//! [decoder](crate::printer::decode), and drawn dot for dot at the printer's width, in
//! black and white. Staff see a receipt before printing it, citizens see it on screen, and
//! tests leave a PNG a person can look at.
//!
//! Drawing from the bytes rather than from the document means the preview shows what the
//! printer is sent, not what we meant to send. Text uses a 12x24-dot cell like the
//! printers' Font A (DejaVu Sans Mono, thresholded); bold is the printers' double strike
//! (one dot to the right); double size doubles every dot. QR codes are drawn with the
//! `qrcode` crate and Code128 with `barcoders`, at the module sizes the stream asks for.

use std::collections::HashMap;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use image::{GrayImage, Luma};

use crate::printer::PrintError;
use crate::printer::decode::{Item, PrintedBarcode, decode};
use crate::printer::document::{Align, Code128Run, Document, Paper};
use crate::printer::render::render as render_escpos;

/// DejaVu Sans Mono (licence in `hardware/assets/LICENSE-DejaVu.txt`).
static FONT: &[u8] = include_bytes!("../../assets/DejaVuSansMono.ttf");

/// Font A cell.
pub const CELL_WIDTH: u32 = 12;
pub const CELL_HEIGHT: u32 = 24;
/// Default line spacing (ESC 2): 30 dots, 3.75 mm at 203 dpi.
pub const LINE_DOTS: u32 = 30;
/// Paper above the first line, and fed past the last one before the cut.
const TOP_MARGIN: u32 = 12;
const CUT_MARGIN: u32 = 24;
/// The longest strip drawn: 4 m of paper, far beyond any receipt, so a runaway stream
/// (thousands of feeds) cannot take the kiosk's memory.
pub const MAX_LENGTH_DOTS: u32 = 32_000;
/// Space between barcode bars and the text under them.
const BARCODE_TEXT_GAP: u32 = 4;

const BLACK: Luma<u8> = Luma([0]);
const WHITE: u8 = 255;

/// Why no preview could be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PreviewError {
    #[error(transparent)]
    Render(#[from] PrintError),
    #[error("encoding the preview PNG: {0}")]
    Png(String),
}

/// The drawn printout.
#[derive(Debug, Clone)]
pub struct Preview {
    /// Black (0) and white (255) dots, as wide as the paper's print head.
    pub image: GrayImage,
    /// Dots that fell outside the paper: anything but 0 means something overflowed.
    pub clipped_dots: u64,
    /// What could not be drawn (a QR payload too long for any version, ...).
    pub problems: Vec<String>,
}

impl Preview {
    pub fn to_png(&self) -> Result<Vec<u8>, PreviewError> {
        let mut png = Vec::new();
        self.image
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .map_err(|e| PreviewError::Png(e.to_string()))?;
        Ok(png)
    }
}

/// The printout of a document.
pub fn render(doc: &Document) -> Result<Preview, PreviewError> {
    Ok(render_bytes(&render_escpos(doc)?, doc.paper()))
}

/// The printout of a document, as PNG bytes.
pub fn render_png(doc: &Document) -> Result<Vec<u8>, PreviewError> {
    render(doc)?.to_png()
}

/// The printout of any ESC/POS stream on `paper` (for jobs saved by `anjungan-hw
/// test-page --file` or captured from another program).
pub fn render_bytes(bytes: &[u8], paper: Paper) -> Preview {
    let decoded = decode(bytes);
    let mut canvas = Canvas::new(paper.dot_width());
    let mut glyphs = Glyphs::new();
    let mut problems = Vec::new();
    let mut y = TOP_MARGIN;
    let items = &decoded.items;
    for (index, item) in items.iter().enumerate() {
        if y > MAX_LENGTH_DOTS {
            problems.push(format!("printout longer than {MAX_LENGTH_DOTS} dots: cut short"));
            y = MAX_LENGTH_DOTS;
            break;
        }
        match item {
            Item::Line(line) => {
                let scale = if line.double { 2 } else { 1 };
                let width = line.text.chars().count() as u32 * CELL_WIDTH * scale;
                let mut x = canvas.x_for(width, line.align);
                for ch in line.text.chars() {
                    let glyph = glyphs.get(ch);
                    canvas.draw_glyph(glyph, x, y, scale, line.bold);
                    x += i64::from(CELL_WIDTH * scale);
                }
                y += if line.double { 2 * CELL_HEIGHT + 6 } else { LINE_DOTS };
            }
            Item::Blank => y += LINE_DOTS,
            Item::FeedDots(dots) => y += u32::from(*dots),
            Item::Qr { payload, module_dots, ec, align } => {
                match draw_qr(&mut canvas, payload, *module_dots, *ec, *align, y) {
                    Ok(height) => y += height,
                    Err(problem) => problems.push(problem),
                }
            }
            Item::Barcode(code) => match draw_barcode(&mut canvas, &mut glyphs, code, y) {
                Ok(height) => y += height,
                Err(problem) => problems.push(problem),
            },
            Item::Image { bitmap, align } => {
                let x = canvas.x_for(bitmap.width(), *align);
                for row in 0..bitmap.height() {
                    for col in 0..bitmap.width() {
                        if bitmap.get(col, row) {
                            canvas.fill(x + i64::from(col), y + row, 1, 1);
                        }
                    }
                }
                y += bitmap.height();
            }
            Item::Cut => {
                y += CUT_MARGIN;
                if index + 1 < items.len() {
                    canvas.dashed_line(y);
                    y += TOP_MARGIN;
                }
            }
        }
    }
    canvas.finish(y);
    Preview { image: canvas.image, clipped_dots: canvas.clipped, problems }
}

fn draw_qr(
    canvas: &mut Canvas,
    payload: &str,
    module_dots: u8,
    ec: char,
    align: Align,
    y: u32,
) -> Result<u32, String> {
    let level = match ec {
        'L' => qrcode::EcLevel::L,
        'Q' => qrcode::EcLevel::Q,
        'H' => qrcode::EcLevel::H,
        _ => qrcode::EcLevel::M,
    };
    let code = qrcode::QrCode::with_error_correction_level(payload.as_bytes(), level)
        .map_err(|e| format!("QR {payload:?}: {e}"))?;
    let modules = code.width() as u32;
    let module = u32::from(module_dots.max(1));
    let x = canvas.x_for(modules * module, align);
    let colors = code.to_colors();
    for (i, color) in colors.iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (col, row) = (i as u32 % modules, i as u32 / modules);
            canvas.fill(x + i64::from(col * module), y + row * module, module, module);
        }
    }
    Ok(modules * module)
}

fn draw_barcode(
    canvas: &mut Canvas,
    glyphs: &mut Glyphs,
    code: &PrintedBarcode,
    y: u32,
) -> Result<u32, String> {
    if code.kind != 73 {
        return Err(format!("barcode type {} is not drawn", code.kind));
    }
    let mut input = String::new();
    for run in &code.runs {
        match run {
            Code128Run::B(text) => {
                input.push('Ɓ');
                input.push_str(text);
            }
            Code128Run::C(digits) => {
                input.push('Ć');
                input.push_str(digits);
            }
        }
    }
    let bars = barcoders::sym::code128::Code128::new(&input)
        .map_err(|e| format!("Code128 {:?}: {e}", code.data))?
        .encode();
    let module = u32::from(code.module_dots.max(1));
    let height = u32::from(code.height_dots);
    let x = canvas.x_for(bars.len() as u32 * module, code.align);
    for (i, bar) in bars.iter().enumerate() {
        if *bar == 1 {
            canvas.fill(x + i64::from(i as u32 * module), y, module, height);
        }
    }
    if !code.text_below {
        return Ok(height);
    }
    let text_y = y + height + BARCODE_TEXT_GAP;
    let width = code.data.chars().count() as u32 * CELL_WIDTH;
    let mut text_x = canvas.x_for(width, code.align);
    for ch in code.data.chars() {
        canvas.draw_glyph(glyphs.get(ch), text_x, text_y, 1, false);
        text_x += i64::from(CELL_WIDTH);
    }
    Ok(height + BARCODE_TEXT_GAP + LINE_DOTS)
}

/// A white strip of paper that grows downwards as things are printed.
struct Canvas {
    image: GrayImage,
    clipped: u64,
}

impl Canvas {
    fn new(width: u32) -> Canvas {
        Canvas { image: GrayImage::from_pixel(width, 0, Luma([WHITE])), clipped: 0 }
    }

    fn width(&self) -> u32 {
        self.image.width()
    }

    /// Makes the strip at least `height` dots long.
    fn grow(&mut self, height: u32) {
        if height <= self.image.height() {
            return;
        }
        let mut taller = GrayImage::from_pixel(self.width(), height, Luma([WHITE]));
        image::imageops::replace(&mut taller, &self.image, 0, 0);
        self.image = taller;
    }

    /// Makes the strip exactly `height` dots long (growth goes in chunks).
    fn finish(&mut self, height: u32) {
        self.grow(height);
        if self.image.height() > height {
            let width = self.width();
            self.image = image::imageops::crop_imm(&self.image, 0, 0, width, height).to_image();
        }
    }

    /// Where something `width` dots wide starts, the way ESC a positions it.
    fn x_for(&self, width: u32, align: Align) -> i64 {
        let room = i64::from(self.width()) - i64::from(width);
        match align {
            Align::Left => 0,
            Align::Center => room / 2,
            Align::Right => room,
        }
    }

    /// Blackens a rectangle; what falls left or right of the paper is counted, not drawn.
    fn fill(&mut self, x: i64, y: u32, width: u32, height: u32) {
        let left = x.max(0);
        let right = (x + i64::from(width)).min(i64::from(self.width()));
        let visible = (right - left).max(0) as u64;
        self.clipped += (u64::from(width) - visible) * u64::from(height);
        if visible == 0 || height == 0 {
            return;
        }
        // Rows grow in chunks so a long receipt is not copied on every line.
        if y + height > self.image.height() {
            self.grow((y + height).max(self.image.height() * 2).max(256));
        }
        for row in y..y + height {
            for col in left..right {
                self.image.put_pixel(col as u32, row, BLACK);
            }
        }
    }

    fn draw_glyph(&mut self, glyph: &GlyphBits, x: i64, y: u32, scale: u32, bold: bool) {
        for row in 0..CELL_HEIGHT {
            for col in 0..CELL_WIDTH {
                let ink = glyph.get(col, row) || (bold && col > 0 && glyph.get(col - 1, row));
                if ink {
                    let (dx, dy) = (i64::from(col * scale), row * scale);
                    self.fill(x + dx, y + dy, scale, scale);
                }
            }
        }
    }

    fn dashed_line(&mut self, y: u32) {
        for x in (0..self.width()).step_by(8) {
            self.fill(i64::from(x), y, 4.min(self.width() - x), 1);
        }
    }
}

/// A character's dots in one 12x24 cell.
#[derive(Clone)]
struct GlyphBits([u16; CELL_HEIGHT as usize]);

impl GlyphBits {
    fn get(&self, col: u32, row: u32) -> bool {
        self.0[row as usize] & (1 << col) != 0
    }
}

/// Font A made from DejaVu Sans Mono: scaled so one advance is 12 dots, baseline where
/// the descenders still fit the 24-dot cell, anti-aliasing thresholded at half coverage.
struct Glyphs {
    font: Option<FontRef<'static>>,
    cache: HashMap<char, GlyphBits>,
}

impl Glyphs {
    fn new() -> Glyphs {
        Glyphs { font: FontRef::try_from_slice(FONT).ok(), cache: HashMap::new() }
    }

    fn get(&mut self, ch: char) -> &GlyphBits {
        let font = self.font.as_ref();
        self.cache.entry(ch).or_insert_with(|| font.map(|f| rasterize(f, ch)).unwrap_or(BOX))
    }
}

/// What a character looks like when the font cannot draw it: an outlined box.
const BOX: GlyphBits = GlyphBits({
    let mut rows = [0u16; CELL_HEIGHT as usize];
    let mut row = 4;
    while row < 20 {
        rows[row] = if row == 4 || row == 19 { 0b0111_1111_1110 } else { 0b0100_0000_0010 };
        row += 1;
    }
    rows
});

fn rasterize(font: &FontRef<'static>, ch: char) -> GlyphBits {
    let id = font.glyph_id(ch);
    let unscaled = font.h_advance_unscaled(id).max(1.0);
    let height = font.height_unscaled();
    // PxScale is the ascent-to-descent height in pixels: pick it so the advance is 12.
    let scale = PxScale::from(CELL_WIDTH as f32 * height / unscaled);
    let scaled = font.as_scaled(scale);
    let baseline = scaled.ascent().round().min(CELL_HEIGHT as f32 - scaled.descent().abs());
    let glyph = id.with_scale_and_position(scale, point(0.0, baseline));
    let mut bits = GlyphBits([0; CELL_HEIGHT as usize]);
    if ch == ' ' {
        return bits;
    }
    if id.0 == 0 {
        return BOX;
    }
    if let Some(outlined) = font.outline_glyph(glyph) {
        let bounds = outlined.px_bounds();
        outlined.draw(|gx, gy, coverage| {
            let x = bounds.min.x as i64 + i64::from(gx);
            let y = bounds.min.y as i64 + i64::from(gy);
            if coverage >= 0.5
                && (0..i64::from(CELL_WIDTH)).contains(&x)
                && (0..i64::from(CELL_HEIGHT)).contains(&y)
            {
                bits.0[y as usize] |= 1 << x;
            }
        });
    }
    bits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printer::codepage::CodePage;

    #[test]
    fn the_font_draws_every_character_a_code_page_prints() {
        let font = FontRef::try_from_slice(FONT).expect("font");
        for page in CodePage::ALL {
            for ch in (' '..='~').chain(page.extra_chars()) {
                assert_ne!(font.glyph_id(ch).0, 0, "no glyph for {ch:?}");
            }
        }
    }

    #[test]
    fn glyphs_have_ink_inside_their_cell() {
        let mut glyphs = Glyphs::new();
        for ch in ['A', 'g', 'é', '|', 'W'] {
            let bits = glyphs.get(ch);
            let ink: u32 = bits.0.iter().map(|r| r.count_ones()).sum();
            assert!(ink > 10, "{ch:?} has {ink} dots");
        }
        assert!(glyphs.get(' ').0.iter().all(|r| *r == 0));
    }
}
