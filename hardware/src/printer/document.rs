//! The receipt document model: what to print, independent of any printer language.
//!
//! Text is sanitized for the printer's code page and laid out (word wrap, pairs, tables)
//! when it is added, so the document always holds exactly the lines that will come out of
//! the printer, and every renderer (ESC/POS, the PNG preview) draws the same lines.

use image::{DynamicImage, GrayImage, Luma};

use crate::printer::codepage::CodePage;
use crate::printer::sanitize::{sanitize, sanitize_for};

/// Paper roll and print head. Column counts are for the printer's Font A (12x24 dots).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Paper {
    /// 58 mm roll, 384-dot head (48 mm printable at 203 dpi): 32 columns.
    #[default]
    Mm58,
    /// 80 mm roll, 576-dot head (72 mm at 203 dpi): 48 columns.
    Mm80,
    /// 80 mm roll, 512-dot head (72 mm at 180 dpi, Epson TM-T88 class): 42 columns.
    Mm80Cols42,
}

impl Paper {
    pub const ALL: [Paper; 3] = [Paper::Mm58, Paper::Mm80, Paper::Mm80Cols42];

    /// Characters per line in normal size.
    pub fn columns(self) -> usize {
        match self {
            Paper::Mm58 => 32,
            Paper::Mm80 => 48,
            Paper::Mm80Cols42 => 42,
        }
    }

    /// Dots across the printable width: the width of rasters and of the preview.
    pub fn dot_width(self) -> u32 {
        match self {
            Paper::Mm58 => 384,
            Paper::Mm80 => 576,
            Paper::Mm80Cols42 => 512,
        }
    }

    /// Roll width, for people (settings, test page).
    pub fn millimetres(self) -> u32 {
        match self {
            Paper::Mm58 => 58,
            Paper::Mm80 | Paper::Mm80Cols42 => 80,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Size {
    #[default]
    Normal,
    /// Double width and height: half as many columns.
    Double,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Style {
    pub align: Align,
    pub bold: bool,
    pub size: Size,
}

impl Style {
    pub fn center() -> Style {
        Style { align: Align::Center, ..Style::default() }
    }

    pub fn right() -> Style {
        Style { align: Align::Right, ..Style::default() }
    }

    pub fn bold(self) -> Style {
        Style { bold: true, ..self }
    }

    pub fn double(self) -> Style {
        Style { size: Size::Double, ..self }
    }
}

/// Why something could not be added to a document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentError {
    /// Code128 needs at least one character.
    #[error("empty barcode")]
    EmptyBarcode,
    /// Even at the narrowest readable bars (2 dots) the barcode and its quiet zones are
    /// wider than the paper: shorten the payload or print a QR code.
    #[error("barcode of {modules} modules does not fit {dots} dots")]
    BarcodeTooWide { modules: usize, dots: u32 },
    /// The logo is not a readable PNG.
    #[error("logo image: {0}")]
    Image(String),
}

/// One element of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// One printed line, already sanitized and no wider than the paper.
    Text {
        text: String,
        style: Style,
    },
    /// A line of dashes across the paper.
    Rule,
    /// A QR code (ASCII payload), centered.
    Qr {
        payload: String,
    },
    /// A Code128 barcode (ASCII payload), centered, with the text printed under it.
    Code128 {
        payload: String,
        module_dots: u8,
    },
    /// A 1-bit picture (a logo), centered, printed as a raster.
    Image(Bitmap),
    Feed(u8),
    Cut,
}

/// A receipt or letter to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    paper: Paper,
    code_page: CodePage,
    blocks: Vec<Block>,
}

impl Document {
    /// A document for the common PC437 code page.
    pub fn new(paper: Paper) -> Document {
        Document::with_code_page(paper, CodePage::default())
    }

    /// A document for a printer set to `code_page`: text keeps the characters it can print.
    pub fn with_code_page(paper: Paper, code_page: CodePage) -> Document {
        Document { paper, code_page, blocks: Vec::new() }
    }

    pub fn paper(&self) -> Paper {
        self.paper
    }

    pub fn code_page(&self) -> CodePage {
        self.code_page
    }

    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// Columns available for text in this style.
    pub fn columns_for(&self, style: Style) -> usize {
        match style.size {
            Size::Normal => self.paper.columns(),
            Size::Double => self.paper.columns() / 2,
        }
    }

    fn clean(&self, text: &str) -> String {
        sanitize_for(text, self.code_page)
    }

    fn line(&mut self, text: String, style: Style) {
        self.blocks.push(Block::Text { text, style });
    }

    /// A paragraph: sanitized, then word-wrapped to the paper. Line breaks in `text` start
    /// new lines; leading spaces indent every wrapped line of the paragraph.
    pub fn text(&mut self, text: impl Into<String>, style: Style) -> &mut Self {
        let width = self.columns_for(style);
        let text = text.into();
        for paragraph in text.split('\n') {
            for line in wrap(&self.clean(paragraph), width) {
                self.line(line, style);
            }
        }
        self
    }

    /// A line laid out already (a letter's aligned `Label : value` rows): sanitized, its
    /// spacing kept, cut at the paper's width rather than re-wrapped.
    pub fn verbatim(&mut self, text: &str, style: Style) -> &mut Self {
        let width = self.columns_for(style);
        let clean: String = self.clean(text).chars().take(width).collect();
        self.line(clean.trim_end().to_owned(), style);
        self
    }

    /// The title of a receipt or letter: centered, bold, double size.
    pub fn heading(&mut self, text: impl Into<String>) -> &mut Self {
        self.text(text, Style::center().bold().double())
    }

    /// A section title: centered and bold at normal size.
    pub fn subheading(&mut self, text: impl Into<String>) -> &mut Self {
        self.text(text, Style::center().bold())
    }

    /// A label on the left and a value flush right, on one line when they fit; otherwise
    /// the label, then the value right-aligned below it.
    pub fn pair(&mut self, left: &str, right: &str) -> &mut Self {
        let width = self.paper.columns();
        let (left, right) = (self.clean(left), self.clean(right));
        let (left_len, right_len) = (left.chars().count(), right.chars().count());
        if left_len + 1 + right_len <= width {
            let gap = width - left_len - right_len;
            self.line(format!("{left}{}{right}", " ".repeat(gap)), Style::default());
        } else {
            for line in wrap(&left, width) {
                self.line(line, Style::default());
            }
            for line in wrap(&right, width) {
                self.line(line, Style::right());
            }
        }
        self
    }

    /// A table whose columns line up: each cell is wrapped within its column, and a row
    /// takes as many lines as its tallest cell. Headers print bold over a dashed underline.
    pub fn table(&mut self, table: &Table) -> &mut Self {
        let width = self.paper.columns();
        let Some(widths) = table.widths(width) else {
            // More columns than the paper holds even at one character each: print each
            // row as label/value pairs instead of losing cells.
            for row in &table.rows {
                for (column, cell) in table.columns.iter().zip(row) {
                    self.pair(&column.header, cell);
                }
                self.feed(1);
            }
            return self;
        };
        if table.columns.iter().any(|c| !c.header.trim().is_empty()) {
            let headers: Vec<&str> = table.columns.iter().map(|c| c.header.as_str()).collect();
            for line in self.table_row(&table.columns, &widths, &headers) {
                self.line(line, Style::default().bold());
            }
            let underline: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            self.line(underline.join(" "), Style::default());
        }
        for row in &table.rows {
            let cells: Vec<&str> = row.iter().map(String::as_str).collect();
            for line in self.table_row(&table.columns, &widths, &cells) {
                self.line(line, Style::default());
            }
        }
        self
    }

    fn table_row(&self, columns: &[Column], widths: &[usize], cells: &[&str]) -> Vec<String> {
        let wrapped: Vec<Vec<String>> = widths
            .iter()
            .enumerate()
            .map(|(i, width)| {
                // Cells past the last column join the last one rather than vanish.
                let cell = if i + 1 == widths.len() && cells.len() > widths.len() {
                    cells[i..].join(" ")
                } else {
                    cells.get(i).copied().unwrap_or_default().to_string()
                };
                wrap(self.clean(&cell).trim(), *width)
            })
            .collect();
        let height = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        (0..height)
            .map(|n| {
                let parts: Vec<String> = wrapped
                    .iter()
                    .zip(widths)
                    .zip(columns)
                    .map(|((lines, width), column)| {
                        pad(lines.get(n).map(String::as_str).unwrap_or(""), *width, column.align)
                    })
                    .collect();
                parts.join(" ").trim_end().to_string()
            })
            .collect()
    }

    pub fn rule(&mut self) -> &mut Self {
        self.blocks.push(Block::Rule);
        self
    }

    /// A QR code. The payload is reduced to printable ASCII, which every phone reads alike.
    pub fn qr(&mut self, payload: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Qr { payload: sanitize(&payload.into()) });
        self
    }

    /// A Code128 barcode for desk scanners, with its text printed below. Bars are 3 dots
    /// wide when that fits the paper, else 2 (the narrowest that scanners read reliably);
    /// a payload too long for either is refused rather than printed unreadable.
    pub fn code128(&mut self, payload: impl Into<String>) -> Result<&mut Self, DocumentError> {
        let payload = sanitize(&payload.into());
        if payload.is_empty() {
            return Err(DocumentError::EmptyBarcode);
        }
        let modules = code128_modules(&payload);
        let dots = self.paper.dot_width();
        // The printer writes the payload under the bars in 12-dot Font A: that must fit too.
        let text_fits = payload.len() * 12 <= dots as usize;
        let module_dots = [3u8, 2]
            .into_iter()
            .find(|m| (modules + 2 * CODE128_QUIET_MODULES) * usize::from(*m) <= dots as usize)
            .filter(|_| text_fits)
            .ok_or(DocumentError::BarcodeTooWide { modules, dots })?;
        self.blocks.push(Block::Code128 { payload, module_dots });
        Ok(self)
    }

    /// A 1-bit picture, centered; scaled down to the paper's dot width when wider.
    pub fn image(&mut self, bitmap: Bitmap) -> &mut Self {
        let bitmap = bitmap.fit_width(self.paper.dot_width());
        if bitmap.width() > 0 && bitmap.height() > 0 {
            self.blocks.push(Block::Image(bitmap));
        }
        self
    }

    /// A logo from a PNG file's bytes: thresholded to black and white, at most the paper's
    /// width.
    pub fn logo(&mut self, png: &[u8]) -> Result<&mut Self, DocumentError> {
        let bitmap = Bitmap::from_png(png, self.paper.dot_width())?;
        Ok(self.image(bitmap))
    }

    pub fn feed(&mut self, lines: u8) -> &mut Self {
        self.blocks.push(Block::Feed(lines));
        self
    }

    /// Ends the document. A document is cut once, at its end, whatever is asked.
    pub fn cut(&mut self) -> &mut Self {
        if self.blocks.last() != Some(&Block::Cut) {
            self.blocks.retain(|block| *block != Block::Cut);
            self.blocks.push(Block::Cut);
        }
        self
    }
}

fn pad(text: &str, width: usize, align: Align) -> String {
    let gap = width.saturating_sub(text.chars().count());
    let (before, after) = match align {
        Align::Left => (0, gap),
        Align::Right => (gap, 0),
        Align::Center => (gap / 2, gap - gap / 2),
    };
    format!("{}{text}{}", " ".repeat(before), " ".repeat(after))
}

/// How wide a table column is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnWidth {
    /// This many characters.
    Chars(usize),
    /// What the fixed columns leave, shared among the fill columns.
    Fill,
}

/// A table column: header, width and alignment of its cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub header: String,
    pub width: ColumnWidth,
    pub align: Align,
}

impl Column {
    /// A left-aligned column of `width` characters.
    pub fn new(header: impl Into<String>, width: usize) -> Column {
        Column { header: header.into(), width: ColumnWidth::Chars(width), align: Align::Left }
    }

    /// A left-aligned column taking the width the others leave.
    pub fn fill(header: impl Into<String>) -> Column {
        Column { header: header.into(), width: ColumnWidth::Fill, align: Align::Left }
    }

    pub fn align(self, align: Align) -> Column {
        Column { align, ..self }
    }
}

/// Rows of cells under columns, laid out by [`Document::table`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    columns: Vec<Column>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(columns: impl IntoIterator<Item = Column>) -> Table {
        Table { columns: columns.into_iter().collect(), rows: Vec::new() }
    }

    pub fn row<S: AsRef<str>>(&mut self, cells: impl IntoIterator<Item = S>) -> &mut Self {
        self.rows.push(cells.into_iter().map(|c| c.as_ref().to_string()).collect());
        self
    }

    /// Column widths on a line of `line` characters with one space between columns: fill
    /// columns share the rest, and when fixed widths ask for too much the widest column
    /// gives way first. `None` when not even one character per column fits.
    pub fn widths(&self, line: usize) -> Option<Vec<usize>> {
        let n = self.columns.len();
        if n == 0 || 2 * n - 1 > line {
            return None;
        }
        let budget = line - (n - 1);
        let fixed: usize = self
            .columns
            .iter()
            .map(|c| match c.width {
                ColumnWidth::Chars(w) => w.max(1),
                ColumnWidth::Fill => 0,
            })
            .sum();
        let fills = self.columns.iter().filter(|c| c.width == ColumnWidth::Fill).count();
        let rest = budget.saturating_sub(fixed);
        let mut nth_fill = 0;
        let mut widths: Vec<usize> = self
            .columns
            .iter()
            .map(|c| match c.width {
                ColumnWidth::Chars(w) => w.max(1),
                ColumnWidth::Fill => {
                    nth_fill += 1;
                    (rest / fills + usize::from(nth_fill <= rest % fills)).max(1)
                }
            })
            .collect();
        while widths.iter().sum::<usize>() > budget {
            let widest = (0..n).rev().max_by_key(|i| widths[*i]).unwrap_or(0);
            widths[widest] -= 1;
        }
        Some(widths)
    }
}

/// Word wrap that keeps words whole unless a word alone is wider than the line.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let indent_len = text.chars().take_while(|c| *c == ' ').count().min(width / 2);
    let indent = " ".repeat(indent_len);
    let mut lines = Vec::new();
    let mut line = indent.clone();
    let mut line_len = indent_len;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let room = width - line_len;
            let needs_space = line_len > indent_len;
            let fits = word.len() + usize::from(needs_space) <= room;
            if fits {
                if needs_space {
                    line.push(' ');
                    line_len += 1;
                }
                line.extend(word.iter());
                line_len += word.len();
                break;
            }
            if needs_space {
                // Start a new line and try the word there.
                lines.push(std::mem::replace(&mut line, indent.clone()));
                line_len = indent_len;
                continue;
            }
            // The word alone is wider than a line: split it where the line ends.
            let take = width - line_len;
            let rest = word.split_off(take);
            line.extend(word.iter());
            lines.push(std::mem::replace(&mut line, indent.clone()));
            line_len = indent_len;
            word = rest;
            if word.is_empty() {
                break;
            }
        }
    }
    if line_len > indent_len || lines.is_empty() {
        lines.push(if line_len > indent_len { line } else { String::new() });
    }
    lines
}

/// Code128 quiet zone on each side, in modules (the standard asks for 10).
pub const CODE128_QUIET_MODULES: usize = 10;

/// A stretch of a Code128 payload in one code set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code128Run {
    /// Code set B: printable ASCII, one symbol per character.
    B(String),
    /// Code set C: an even number of digits, one symbol per pair.
    C(String),
}

/// Splits a payload into code-set runs: digit runs go to set C (two digits per symbol)
/// where that saves more than the switches cost, as the standard's minimal-length rules do.
/// The renderer and the preview both draw from these runs, so their bars are the same.
pub fn code128_runs(payload: &str) -> Vec<Code128Run> {
    let chars: Vec<char> = payload.chars().collect();
    let mut runs: Vec<Code128Run> = Vec::new();
    let push_b = |runs: &mut Vec<Code128Run>, text: &str| {
        if text.is_empty() {
            return;
        }
        if let Some(Code128Run::B(last)) = runs.last_mut() {
            last.push_str(text);
        } else {
            runs.push(Code128Run::B(text.to_string()));
        }
    };
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        let digits = chars[i].is_ascii_digit();
        while i < chars.len() && chars[i].is_ascii_digit() == digits {
            i += 1;
        }
        let run: String = chars[start..i].iter().collect();
        let len = i - start;
        let at_edge = start == 0 || i == chars.len();
        let whole = start == 0 && i == chars.len();
        let worth_c = digits && (len >= 6 || (at_edge && len >= 4) || (whole && len >= 2));
        if !worth_c {
            push_b(&mut runs, &run);
            continue;
        }
        let even = len - len % 2;
        runs.push(Code128Run::C(run[..even].to_string()));
        push_b(&mut runs, &run[even..]);
    }
    runs
}

/// Modules of the whole symbol: start, data, code-set switches, check, stop (13 modules
/// with its final bar).
pub fn code128_modules(payload: &str) -> usize {
    let runs = code128_runs(payload);
    let data: usize = runs
        .iter()
        .map(|run| match run {
            Code128Run::B(text) => text.chars().count(),
            Code128Run::C(digits) => digits.len() / 2,
        })
        .sum();
    let switches = runs.len().saturating_sub(1);
    11 * (1 + data + switches + 1) + 13
}

/// A 1-bit picture: rows of packed bits, most significant bit leftmost, 1 = black (the
/// layout of ESC/POS `GS v 0`).
#[derive(Clone, PartialEq, Eq)]
pub struct Bitmap {
    width: u32,
    height: u32,
    bits: Vec<u8>,
}

impl std::fmt::Debug for Bitmap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bitmap({}x{})", self.width, self.height)
    }
}

impl Bitmap {
    /// A bitmap from packed rows; `None` when `bits` is not `height` rows of
    /// `ceil(width / 8)` bytes.
    pub fn from_packed(width: u32, height: u32, bits: Vec<u8>) -> Option<Bitmap> {
        let expected = (width as usize).div_ceil(8).checked_mul(height as usize)?;
        (bits.len() == expected).then_some(Bitmap { width, height, bits })
    }

    /// Reads a PNG, lays transparent parts on white paper, scales it down to `max_width`
    /// dots when wider, and turns every pixel darker than mid-grey black.
    pub fn from_png(png: &[u8], max_width: u32) -> Result<Bitmap, DocumentError> {
        let image = image::load_from_memory_with_format(png, image::ImageFormat::Png)
            .map_err(|e| DocumentError::Image(e.to_string()))?;
        Ok(Bitmap::from_image(&image, max_width))
    }

    /// See [`Bitmap::from_png`].
    pub fn from_image(image: &DynamicImage, max_width: u32) -> Bitmap {
        let rgba = image.to_rgba8();
        let mut gray = GrayImage::from_fn(rgba.width(), rgba.height(), |x, y| {
            let [r, g, b, a] = rgba.get_pixel(x, y).0;
            let luma = (u32::from(r) * 299 + u32::from(g) * 587 + u32::from(b) * 114) / 1000;
            let on_white = (luma * u32::from(a) + 255 * (255 - u32::from(a))) / 255;
            Luma([u8::try_from(on_white).unwrap_or(u8::MAX)])
        });
        if gray.width() > max_width && max_width > 0 {
            let height =
                (u64::from(gray.height()) * u64::from(max_width) / u64::from(gray.width())).max(1);
            let height = u32::try_from(height).unwrap_or(u32::MAX);
            gray = image::imageops::resize(
                &gray,
                max_width,
                height,
                image::imageops::FilterType::Triangle,
            );
        }
        Bitmap::threshold(&gray)
    }

    fn threshold(gray: &GrayImage) -> Bitmap {
        let (width, height) = gray.dimensions();
        let row_bytes = (width as usize).div_ceil(8);
        let mut bits = vec![0u8; row_bytes * height as usize];
        for (x, y, pixel) in gray.enumerate_pixels() {
            if pixel.0[0] < 128 {
                bits[y as usize * row_bytes + x as usize / 8] |= 0x80 >> (x % 8);
            }
        }
        Bitmap { width, height, bits }
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    /// Bytes per row in [`Bitmap::packed`].
    pub fn row_bytes(&self) -> usize {
        (self.width as usize).div_ceil(8)
    }

    pub fn packed(&self) -> &[u8] {
        &self.bits
    }

    /// Whether the dot at (x, y) is black; outside the picture is white.
    pub fn get(&self, x: u32, y: u32) -> bool {
        if x >= self.width || y >= self.height {
            return false;
        }
        let byte = self.bits[y as usize * self.row_bytes() + x as usize / 8];
        byte & (0x80 >> (x % 8)) != 0
    }

    /// The same picture scaled down (nearest dot) to at most `max_width` dots.
    pub fn fit_width(self, max_width: u32) -> Bitmap {
        if self.width <= max_width || self.width == 0 {
            return self;
        }
        let height =
            (u64::from(self.height) * u64::from(max_width) / u64::from(self.width)).max(1) as u32;
        let gray = GrayImage::from_fn(max_width, height, |x, y| {
            let sx = (u64::from(x) * u64::from(self.width) / u64::from(max_width)) as u32;
            let sy = (u64::from(y) * u64::from(self.height) / u64::from(height)) as u32;
            Luma([if self.get(sx, sy) { 0 } else { 255 }])
        });
        Bitmap::threshold(&gray)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(doc: &Document) -> Vec<String> {
        doc.blocks()
            .iter()
            .filter_map(|b| match b {
                Block::Text { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn wraps_between_words() {
        assert_eq!(
            wrap("Simpan bukti ini. Jangan berikan NIK Anda kepada orang lain.", 32),
            vec!["Simpan bukti ini. Jangan berikan", "NIK Anda kepada orang lain."]
        );
    }

    #[test]
    fn splits_only_words_wider_than_a_line() {
        assert_eq!(wrap("ab 0123456789ABCDEF", 8), vec!["ab", "01234567", "89ABCDEF"]);
    }

    #[test]
    fn keeps_indentation_on_continuation_lines() {
        assert_eq!(wrap("  komponen ibu hamil aktif", 14), vec!["  komponen ibu", "  hamil aktif"]);
    }

    #[test]
    fn empty_text_is_one_empty_line() {
        assert_eq!(wrap("", 32), vec![String::new()]);
    }

    #[test]
    fn paper_widths_are_whole_columns_of_12_dots() {
        for paper in Paper::ALL {
            assert!(paper.columns() * 12 <= paper.dot_width() as usize, "{paper:?}");
        }
        assert_eq!(Paper::Mm80Cols42.columns(), 42);
    }

    #[test]
    fn pairs_align_right() {
        let mut doc = Document::new(Paper::Mm58);
        doc.pair("NIK", "3510********0001");
        let Block::Text { text, .. } = &doc.blocks()[0] else { panic!("text block") };
        assert_eq!(text.len(), 32);
        assert!(text.starts_with("NIK ") && text.ends_with("3510********0001"));
    }

    #[test]
    fn long_pairs_take_two_lines() {
        let mut doc = Document::new(Paper::Mm58);
        doc.pair("Alamat", "Desa Kedungasri, Kecamatan Tegaldlimo");
        assert!(doc.blocks().len() >= 2);
        for block in doc.blocks() {
            let Block::Text { text, .. } = block else { panic!("text") };
            assert!(text.chars().count() <= 32);
        }
    }

    #[test]
    fn double_size_halves_the_width() {
        let mut doc = Document::new(Paper::Mm80);
        doc.heading("ANJUNGAN MANDIRI DESA SUKOJATI KECAMATAN BLIMBINGSARI");
        for block in doc.blocks() {
            let Block::Text { text, style } = block else { panic!("text") };
            assert!(text.chars().count() <= 24, "{text}");
            assert!(style.bold && style.size == Size::Double && style.align == Align::Center);
        }
    }

    #[test]
    fn only_one_cut_at_the_end() {
        let mut doc = Document::new(Paper::Mm58);
        doc.cut().text("after", Style::default()).cut().cut();
        let cuts = doc.blocks().iter().filter(|b| **b == Block::Cut).count();
        assert_eq!(cuts, 1);
        assert_eq!(doc.blocks().last(), Some(&Block::Cut));
    }

    #[test]
    fn accents_follow_the_code_page() {
        let mut doc = Document::with_code_page(Paper::Mm58, CodePage::Pc437);
        doc.text("Désa Müller – Sebastião", Style::default());
        let mut ascii = Document::with_code_page(Paper::Mm58, CodePage::Ascii);
        ascii.text("Désa Müller – Sebastião", Style::default());
        assert_eq!(texts(&doc), vec!["Désa Müller - Sebastiao"]);
        assert_eq!(texts(&ascii), vec!["Desa Muller - Sebastiao"]);
    }

    #[test]
    fn table_cells_wrap_inside_their_columns() {
        let mut table = Table::new([
            Column::fill("Nama"),
            Column::new("Hubungan", 8),
            Column::new("Umur", 4).align(Align::Right),
        ]);
        table.row(["SITI AMINAH BINTI ABDULLAH", "Istri", "41"]).row(["BUDI", "Anak", "7"]);
        let mut doc = Document::new(Paper::Mm58);
        doc.table(&table);
        assert_eq!(
            texts(&doc),
            vec![
                "Nama               Hubungan Umur",
                "------------------ -------- ----",
                "SITI AMINAH BINTI  Istri      41",
                "ABDULLAH",
                "BUDI               Anak        7",
            ]
        );
    }

    #[test]
    fn too_wide_tables_give_way_at_the_widest_column() {
        let table = Table::new([Column::new("a", 30), Column::new("b", 10), Column::fill("c")]);
        let widths = table.widths(32).expect("fits");
        assert_eq!(widths.iter().sum::<usize>() + 2, 32);
        assert_eq!(widths, vec![19, 10, 1]);
        let many = Table::new((0..17).map(|i| Column::new(i.to_string(), 1)));
        assert_eq!(many.widths(32), None);
    }

    #[test]
    fn tables_with_too_many_columns_print_as_pairs() {
        let mut table = Table::new((0..20).map(|i| Column::new(format!("K{i}"), 2)));
        table.row((0..20).map(|i| format!("v{i}")));
        let mut doc = Document::new(Paper::Mm58);
        doc.table(&table);
        let lines = texts(&doc);
        assert!(lines.iter().any(|l| l.starts_with("K19") && l.ends_with("v19")), "{lines:?}");
    }

    #[test]
    fn code128_uses_set_c_for_long_digit_runs() {
        use Code128Run::{B, C};
        assert_eq!(code128_runs("12345678"), vec![C("12345678".into())]);
        assert_eq!(code128_runs("12345"), vec![C("1234".into()), B("5".into())]);
        assert_eq!(
            code128_runs("LP-0001-000123-4"),
            vec![B("LP-0001-".into()), C("000123".into()), B("-4".into())]
        );
        assert_eq!(code128_runs("AB12CD"), vec![B("AB12CD".into())]);
        // Start, 4 data symbols, check: 6 symbols of 11 modules, then the 13-module stop.
        assert_eq!(code128_modules("12345678"), 6 * 11 + 13);
    }

    #[test]
    fn barcodes_too_wide_for_the_paper_are_refused() {
        let mut doc = Document::new(Paper::Mm58);
        assert_eq!(doc.code128(""), Err(DocumentError::EmptyBarcode));
        assert!(matches!(
            doc.code128("SURAT-KETERANGAN-TIDAK-MAMPU"),
            Err(DocumentError::BarcodeTooWide { .. })
        ));
        doc.code128("3510000123").expect("short fits");
        let Block::Code128 { module_dots, .. } = doc.blocks()[0] else { panic!("barcode") };
        assert_eq!(module_dots, 3);
    }

    #[test]
    fn logos_are_thresholded_and_fit_the_paper() {
        let gray = GrayImage::from_fn(800, 100, |x, _| Luma([if x < 400 { 20 } else { 230 }]));
        let mut png = Vec::new();
        DynamicImage::ImageLuma8(gray)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .expect("png");
        let mut doc = Document::new(Paper::Mm58);
        doc.logo(&png).expect("logo");
        let Block::Image(bitmap) = &doc.blocks()[0] else { panic!("image") };
        assert_eq!((bitmap.width(), bitmap.height()), (384, 48));
        assert!(bitmap.get(10, 10) && !bitmap.get(300, 10));
        assert!(doc.logo(b"not a png").is_err());
    }
}
