//! An issued letter as an A4 PDF, for the village archive and for printing at the desa
//! office: drawn from the same [`LetterDocument`] as the kiosk's thermal slip, so the two
//! never say different things.
//!
//! Laid out as an Indonesian village letter: the kop centred over a double rule, the title
//! bold and underlined with its number under it, the body (justified paragraphs, `Label :
//! value` rows, the family table with borders, its header repeated on a new page), the
//! signer in the right half with room for a signature (the closing paragraph kept with it),
//! and the seal's QR code at the bottom left of the last page with the footer beside it. A
//! reprint says `SALINAN` at the top of every page and across it. The fonts (DejaVu Sans)
//! are embedded, subsetted.

mod canvas;
mod qr;
mod table;
mod text;

use protocol::letter::document::{Block, FieldRow, LetterDocument, SignerBlock};

use canvas::{Mark, PAGE_HEIGHT, PAGE_WIDTH, Page};
use text::{Fonts, wrap};

/// Why a letter could not be drawn. None of these depends on the letter's text: each is a
/// fault of the build (fonts) or of the seal's length.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PdfError {
    #[error("the embedded font {0} cannot be read")]
    Font(&'static str),
    #[error("the seal does not fit a QR code: {0}")]
    Qr(qrcode::types::QrError),
    #[error("the page size is invalid")]
    Layout,
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
}

/// The letter as an A4 PDF, one page or more.
pub fn letter_pdf(document: &LetterDocument) -> Result<Vec<u8>, PdfError> {
    let fonts = Fonts::get()?;
    let pages = layout(document, &fonts)?;
    let title = fonts.clean(&format!("{} {}", document.title, document.number));
    canvas::render(&pages, &fonts, &title)
}

const MM: f32 = 72.0 / 25.4;
const LEFT: f32 = 25.0 * MM;
const RIGHT: f32 = PAGE_WIDTH - 25.0 * MM;
const TOP: f32 = 20.0 * MM;
const BOTTOM: f32 = PAGE_HEIGHT - 20.0 * MM;
const WIDTH: f32 = RIGHT - LEFT;

/// Body text, in points, and line height as a multiple of the size.
const BODY: f32 = 11.0;
const LEADING: f32 = 1.35;
/// Between blocks of the body.
const BLOCK_GAP: f32 = 6.0;
/// The `Label : value` rows are indented this far.
const FIELDS_INDENT: f32 = 10.0 * MM;
/// Between the body and the signer.
const SIGNER_GAP: f32 = 18.0;
/// Left free between the signer's position and name for the signature and stamp.
const SIGNATURE_ROOM: f32 = 20.0 * MM;
const QR_SIDE: f32 = 24.0 * MM;
const FOOTER_SIZE: f32 = 8.0;

fn line_height(size: f32) -> f32 {
    size * LEADING
}

/// Where the baseline of a line whose box starts at `top` falls.
fn baseline(top: f32, size: f32) -> f32 {
    top + size * (LEADING - 0.33)
}

/// The letter laid out into pages.
fn layout(document: &LetterDocument, fonts: &Fonts) -> Result<Vec<Page>, PdfError> {
    let qr = match document.qr.is_empty() {
        true => None,
        false => Some(qr::modules(&document.qr)?),
    };
    let mut layout = Layout { fonts, done: Vec::new(), page: Page::default(), y: TOP };
    layout.kop(document);
    layout.centred(&document.title, 12.5, true, true);
    layout.centred(&format!("Nomor: {}", document.number), BODY, false, false);
    layout.y += 10.0;
    let signer = layout.signer_lines(&document.signer);
    for (index, block) in document.body.iter().enumerate() {
        layout.y += BLOCK_GAP;
        match block {
            Block::Paragraph { text } => {
                // The closing paragraph goes with the signature: no signature alone on a page.
                if index + 1 == document.body.len() {
                    let lines = wrap(&fonts.regular, &fonts.clean(text), BODY, WIDTH).len();
                    layout.keep(lines as f32 * line_height(BODY) + signer.height(), band_top());
                }
                layout.paragraph(text)
            }
            Block::Fields { rows } => layout.fields(rows),
            Block::Table { header, rows } => layout.table(header, rows),
        }
    }
    layout.signer(signer);
    layout.seal(qr.as_deref(), &document.footer);
    let mut pages = layout.finish();
    furnish(&mut pages, document, fonts);
    Ok(pages)
}

struct Layout<'f> {
    fonts: &'f Fonts,
    done: Vec<Page>,
    page: Page,
    /// The top of the next line on the current page.
    y: f32,
}

impl Layout<'_> {
    fn new_page(&mut self) {
        self.done.push(std::mem::take(&mut self.page));
        self.y = TOP;
    }

    /// Starts a new page unless `height` more fits above `limit` (a fresh page takes
    /// anything: what is taller than a page is drawn on, not broken forever).
    fn keep(&mut self, height: f32, limit: f32) {
        if self.y + height > limit && self.y > TOP {
            self.new_page();
        }
    }

    fn text(&mut self, x: f32, top: f32, size: f32, bold: bool, text: String, space_extra: f32) {
        if text.is_empty() {
            return;
        }
        let baseline = baseline(top, size);
        self.page.marks.push(Mark::Text { x, baseline, size, bold, text, space_extra });
    }

    /// A line under text drawn at `x` on the line whose box starts at `top`.
    fn underline(&mut self, x: f32, top: f32, size: f32, width: f32) {
        let y = baseline(top, size) + size * 0.14;
        self.page.rect(x, y, width, (size * 0.065).max(0.6), 0);
    }

    fn kop(&mut self, document: &LetterDocument) {
        let kop = &document.kop;
        self.centred(&kop.government, 13.0, true, false);
        self.centred(&kop.kecamatan, 13.0, true, false);
        self.centred(&kop.desa, 16.0, true, false);
        self.centred(&kop.address, 9.5, false, false);
        // The double rule of a government letterhead: thick over thin.
        self.y += 3.0;
        self.page.rect(LEFT, self.y, WIDTH, 1.8, 0);
        self.page.rect(LEFT, self.y + 3.2, WIDTH, 0.6, 0);
        self.y += 3.8 + 14.0;
    }

    /// `text` wrapped and centred across the text width.
    fn centred(&mut self, text: &str, size: f32, bold: bool, underline: bool) {
        let face = self.fonts.face(bold);
        let lines = wrap(face, &self.fonts.clean(text), size, WIDTH);
        self.centred_lines(lines, LEFT, WIDTH, size, bold, underline);
    }

    fn centred_lines(
        &mut self,
        lines: Vec<String>,
        x: f32,
        width: f32,
        size: f32,
        bold: bool,
        underline: bool,
    ) {
        let face = self.fonts.face(bold);
        for line in lines {
            self.keep(line_height(size), BOTTOM);
            let drawn = face.width(&line, size);
            let left = x + (width - drawn).max(0.0) / 2.0;
            let top = self.y;
            self.text(left, top, size, bold, line, 0.0);
            if underline {
                self.underline(left, top, size, drawn);
            }
            self.y += line_height(size);
        }
    }

    /// Running text, justified but for its last line.
    fn paragraph(&mut self, text: &str) {
        let face = &self.fonts.regular;
        let lines = wrap(face, &self.fonts.clean(text), BODY, WIDTH);
        let last = lines.len().saturating_sub(1);
        for (index, line) in lines.into_iter().enumerate() {
            self.keep(line_height(BODY), BOTTOM);
            let spaces = line.matches(' ').count();
            let slack = WIDTH - face.width(&line, BODY);
            // A line of two long words is left as it is rather than torn apart.
            let extra = match index < last && spaces > 0 {
                true => Some(slack / spaces as f32).filter(|extra| *extra < BODY * 1.5),
                false => None,
            };
            let top = self.y;
            self.text(LEFT, top, BODY, false, line, extra.unwrap_or(0.0));
            self.y += line_height(BODY);
        }
    }

    /// `Label : value` rows, the labels in one column and the colons aligned after it.
    fn fields(&mut self, rows: &[FieldRow]) {
        let face = &self.fonts.regular;
        let rows: Vec<(String, String)> = rows
            .iter()
            .map(|row| (self.fonts.clean(&row.label), self.fonts.clean(&row.value)))
            .collect();
        let widest = rows.iter().map(|(label, _)| face.width(label, BODY)).fold(0.0, f32::max);
        let label_width = widest.min((WIDTH - FIELDS_INDENT) * 0.4);
        let label_x = LEFT + FIELDS_INDENT;
        let colon_x = label_x + label_width + 8.0;
        let value_x = colon_x + face.width(":", BODY) + 6.0;
        for (label, value) in rows {
            let labels = wrap(face, &label, BODY, label_width);
            let value = if value.is_empty() { "-".to_owned() } else { value };
            let values = wrap(face, &value, BODY, RIGHT - value_x);
            let lines = labels.len().max(values.len());
            self.keep(lines as f32 * line_height(BODY), BOTTOM);
            let top = self.y;
            self.text(colon_x, top, BODY, false, ":".into(), 0.0);
            for (index, line) in labels.into_iter().enumerate() {
                self.text(label_x, top + index as f32 * line_height(BODY), BODY, false, line, 0.0);
            }
            for (index, line) in values.into_iter().enumerate() {
                self.text(value_x, top + index as f32 * line_height(BODY), BODY, false, line, 0.0);
            }
            self.y += lines as f32 * line_height(BODY);
        }
    }

    /// The signer's lines, wrapped to the right half.
    fn signer_lines(&self, signer: &SignerBlock) -> SignerLines {
        let clean = |text: &str| self.fonts.clean(text);
        let face = &self.fonts.regular;
        let half = WIDTH / 2.0;
        let mut above = Vec::new();
        for text in [&signer.place_date, &signer.on_behalf, &signer.position] {
            above.extend(wrap(face, &clean(text), BODY, half));
        }
        let name = wrap(&self.fonts.bold, &clean(&signer.name), BODY, half);
        let nip = signer
            .nip
            .as_deref()
            .map(clean)
            .filter(|nip| !nip.is_empty())
            .map(|nip| wrap(face, &format!("NIP {nip}"), BODY, half))
            .unwrap_or_default();
        SignerLines { above, name, nip }
    }

    /// The signer in the right half, kept together, above the seal's band.
    fn signer(&mut self, lines: SignerLines) {
        let half = WIDTH / 2.0;
        let x = LEFT + half;
        self.keep(lines.height(), band_top());
        self.y += SIGNER_GAP;
        self.centred_lines(lines.above, x, half, BODY, false, false);
        self.y += SIGNATURE_ROOM;
        self.centred_lines(lines.name, x, half, BODY, true, true);
        self.centred_lines(lines.nip, x, half, BODY, false, false);
    }

    /// The QR code at the bottom left of the last page, the footer beside it.
    fn seal(&mut self, modules: Option<&[Vec<bool>]>, footer: &[String]) {
        let top = band_top() + 8.0;
        let mut x = LEFT;
        if let Some(modules) = modules {
            qr::draw(&mut self.page, modules, LEFT, top, QR_SIDE);
            x += QR_SIDE + 10.0;
        }
        let face = &self.fonts.regular;
        let lines: Vec<String> = footer
            .iter()
            .flat_map(|text| wrap(face, &self.fonts.clean(text), FOOTER_SIZE, RIGHT - x))
            .collect();
        let height = lines.len() as f32 * line_height(FOOTER_SIZE);
        // Beside the code, level with its lower part; alone, at the foot of the page.
        let mut line_top = match modules {
            Some(_) => top + (QR_SIDE - height).max(0.0) - 2.0,
            None => BOTTOM - height,
        };
        for line in lines {
            self.text(x, line_top, FOOTER_SIZE, false, line, 0.0);
            line_top += line_height(FOOTER_SIZE);
        }
    }

    fn finish(mut self) -> Vec<Page> {
        self.done.push(self.page);
        self.done
    }
}

/// The signature block: place and date, on whose behalf, position; then the name and NIP
/// under the room for the signature.
struct SignerLines {
    above: Vec<String>,
    name: Vec<String>,
    nip: Vec<String>,
}

impl SignerLines {
    /// With the gap above it.
    fn height(&self) -> f32 {
        let lines = self.above.len() + self.name.len() + self.nip.len();
        SIGNER_GAP + lines as f32 * line_height(BODY) + SIGNATURE_ROOM
    }
}

/// Where the seal's band at the foot of the last page begins.
fn band_top() -> f32 {
    BOTTOM - QR_SIDE - 8.0
}

/// What every page carries besides the letter: `SALINAN` on a reprint, and the number
/// with "Halaman i dari n" when there is more than one page.
fn furnish(pages: &mut [Page], document: &LetterDocument, fonts: &Fonts) {
    let count = pages.len();
    let number = fonts.clean(&document.number);
    for (index, page) in pages.iter_mut().enumerate() {
        if document.copy {
            page.marks.insert(0, Mark::Watermark { text: "SALINAN".into(), size: 110.0 });
            let size = 12.0;
            let width = fonts.bold.width("SALINAN", size) + 12.0;
            let (x, y) = (RIGHT - width, 8.0 * MM);
            page.frame(x, y, width, line_height(size) + 4.0, 1.2);
            page.marks.push(Mark::Text {
                x: x + 6.0,
                baseline: baseline(y + 2.0, size),
                size,
                bold: true,
                text: "SALINAN".into(),
                space_extra: 0.0,
            });
        }
        if count > 1 {
            let text = format!("Nomor: {number} \u{2013} Halaman {} dari {count}", index + 1);
            let width = fonts.regular.width(&text, FOOTER_SIZE);
            page.marks.push(Mark::Text {
                x: LEFT + (WIDTH - width) / 2.0,
                baseline: BOTTOM + 8.0 * MM,
                size: FOOTER_SIZE,
                bold: false,
                text,
                space_extra: 0.0,
            });
        }
    }
}

/// The module matrix of a seal's QR code (`true`: dark), as the PDF and the printers draw
/// it: for the console's preview of an issued letter.
pub fn qr_modules(payload: &str) -> Result<Vec<Vec<bool>>, PdfError> {
    qr::modules(payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::letters::LetterCatalogue;
    use crate::letters::samples::samples;

    fn sktm() -> LetterDocument {
        samples(&LetterCatalogue::builtin())
            .into_iter()
            .find(|(code, _)| code == "sktm")
            .map(|(_, document)| document)
            .expect("an SKTM sample")
    }

    /// The SKTM sample with a family of `members` named by `name`.
    fn family_of(members: usize, name: fn(usize) -> String) -> LetterDocument {
        let mut document = sktm();
        for block in &mut document.body {
            if let Block::Table { rows, .. } = block {
                let first = rows[0].clone();
                *rows = (1..=members)
                    .map(|n| {
                        let mut row = first.clone();
                        row[0] = n.to_string();
                        row[1] = format!("351015010190{n:04}");
                        row[2] = name(n);
                        row
                    })
                    .collect();
            }
        }
        document
    }

    fn laid_out(document: &LetterDocument) -> Vec<Page> {
        layout(document, &Fonts::get().expect("fonts")).expect("layout")
    }

    fn inside_the_margins(pages: &[Page]) {
        for page in pages {
            for mark in &page.marks {
                if let Mark::Rect { x, y, width, height, .. } = mark {
                    assert!(*x >= LEFT - 0.01 && x + width <= RIGHT + 0.01, "{mark:?}");
                    assert!(*y >= TOP - 30.0 && y + height <= BOTTOM + 0.01, "{mark:?}");
                }
                if let Mark::Text { x, size, bold, text, space_extra, .. } = mark {
                    let fonts = Fonts::get().expect("fonts");
                    let width = fonts.face(*bold).width(text, *size)
                        + space_extra * text.matches(' ').count() as f32;
                    assert!(*x >= LEFT - 0.01 && x + width <= RIGHT + 0.5, "{mark:?}");
                }
            }
        }
    }

    #[test]
    fn every_sample_fits_one_page_inside_the_margins() {
        for (code, document) in samples(&LetterCatalogue::builtin()) {
            let pages = laid_out(&document);
            assert_eq!(pages.len(), 1, "{code}");
            inside_the_margins(&pages);
            let texts: Vec<&str> = pages[0].texts().collect();
            assert!(texts.contains(&document.title.as_str()), "{code}: {texts:?}");
            assert!(texts.contains(&document.signer.name.as_str()), "{code}: {texts:?}");
        }
    }

    #[test]
    fn a_large_family_continues_on_a_second_page_under_the_repeated_header() {
        let document = family_of(12, |n| format!("ANAK{n:02} BIN SUPARMAN"));
        let pages = laid_out(&document);
        assert_eq!(pages.len(), 2);
        inside_the_margins(&pages);
        let all: Vec<&str> = pages.iter().flat_map(Page::texts).collect();
        for n in 1..=12 {
            let nik = format!("351015010190{n:04}");
            assert_eq!(all.iter().filter(|text| **text == nik).count(), 1, "member {n} once");
        }
        let second: Vec<&str> = pages[1].texts().collect();
        assert!(second.contains(&"Tempat/Tgl. Lahir"), "the header again: {second:?}");
        assert!(second.contains(&"H. SUGENG"), "the signer comes last: {second:?}");
        assert!(second.iter().any(|text| text.ends_with("Halaman 2 dari 2")), "{second:?}");
    }

    #[test]
    fn the_signature_never_stands_alone_on_a_page() {
        // Short names: the whole table fits the first page, the signature would not.
        let document = family_of(12, |n| format!("ANAK {n}"));
        let pages = laid_out(&document);
        assert_eq!(pages.len(), 2);
        let second: Vec<&str> = pages[1].texts().collect();
        assert!(second[0].starts_with("Demikian surat keterangan"), "{second:?}");
        assert!(second.contains(&"H. SUGENG"), "{second:?}");
        assert!(pages[0].texts().any(|text| text == "ANAK 12"), "the table stays whole");
    }

    #[test]
    fn a_reprint_says_salinan_on_every_page() {
        let mut document = family_of(12, |n| format!("ANAK{n:02} BIN SUPARMAN"));
        assert!(laid_out(&document).iter().all(|page| !page.texts().any(|t| t == "SALINAN")));
        document.copy = true;
        let pages = laid_out(&document);
        assert!(pages.iter().all(|page| page.texts().any(|text| text == "SALINAN")));
        assert!(
            pages.iter().all(|page| matches!(page.marks.first(), Some(Mark::Watermark { .. })))
        );
    }

    #[test]
    fn a_draft_without_a_seal_draws_no_code() {
        let mut document = sktm();
        let sealed = laid_out(&document)[0].marks.len();
        document.qr.clear();
        let unsealed = laid_out(&document)[0].marks.len();
        assert!(unsealed + 100 < sealed, "the QR's modules are gone: {unsealed} vs {sealed}");
        assert!(letter_pdf(&document).expect("pdf").starts_with(b"%PDF-"));
    }
}
