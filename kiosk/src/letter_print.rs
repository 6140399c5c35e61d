//! An issued letter on the thermal printer: the [`protocol::letter::LetterDocument`] the central service
//! rendered and sealed, laid out for the paper's columns (32 on 58 mm, 48 on 80 mm), its seal
//! as a QR code, a copy marked `SALINAN`.
//!
//! Unlike a slip, a letter prints the full NIK and birth date: it is issued only to someone
//! who proved presence (the e-KTP in the reader) or was checked by the desa staff. Every text
//! goes through the printer's own sanitising (`hardware::printer::sanitize`), so a name with
//! control bytes cannot drive the printer.

use hardware::printer::{Document, Paper, Style};
use protocol::letter::IssuedLetter;
use protocol::letter::document::LineStyle;

/// The printer document of `letter` on `paper`.
pub fn letter_document(letter: &IssuedLetter, paper: Paper) -> Document {
    let letter_doc = &letter.document;
    let mut doc = Document::new(paper);
    let columns = paper.columns();
    for line in letter_doc.lines(columns) {
        match line.style {
            LineStyle::Plain if line.text.is_empty() => doc.feed(1),
            // Already laid out for the paper: aligned labels keep their spaces.
            LineStyle::Plain => doc.verbatim(&line.text, Style::default()),
            LineStyle::Centre => doc.text(line.text, Style::center()),
            LineStyle::Heading => doc.text(line.text, Style::center().bold()),
            LineStyle::Rule => doc.rule(),
        };
    }
    if !letter_doc.qr.is_empty() {
        doc.feed(1).qr(letter_doc.qr.clone());
    }
    for line in letter_doc.footer_lines(columns) {
        doc.text(line, Style::center());
    }
    doc.feed(2).cut();
    doc
}
