//! Documents rendered to ESC/POS and decoded back: what the citizen would hold in their hand.

use hardware::printer::decode::{Command, decode};
use hardware::printer::render::render;
use hardware::printer::sanitize::sanitize;
use hardware::printer::{Align, Document, Paper, Style};
use proptest::prelude::*;

fn decoded(doc: &Document) -> hardware::printer::decode::Decoded {
    decode(&render(doc).expect("render"))
}

#[test]
fn a_receipt_reads_back_as_written() {
    let mut doc = Document::new(Paper::Mm58);
    doc.text("ANJUNGAN MANDIRI", Style::center().bold().double())
        .text("Bukti Cek Status Bansos", Style::center().bold())
        .rule()
        .pair("NIK", "3510********0001")
        .text("- Program Keluarga Harapan (PKH)", Style::default().bold())
        .qr("ANJUNGAN/STATUS/1?kiosk=BWI-01")
        .feed(2)
        .cut();
    let out = decoded(&doc);
    assert_eq!(out.lines[0].text, "ANJUNGAN MANDIRI");
    assert!(out.lines[0].bold && out.lines[0].double && out.lines[0].align == Align::Center);
    assert!(!out.lines[2].bold, "bold does not leak into the rule");
    assert_eq!(out.lines[2].text, "-".repeat(32));
    assert_eq!(out.lines[3].text, format!("NIK{}3510********0001", " ".repeat(13)));
    assert_eq!(out.qr_codes, vec!["ANJUNGAN/STATUS/1?kiosk=BWI-01"]);
    assert_eq!(out.cuts, 1);
    assert_eq!(out.commands.first(), Some(&Command::Init));
    assert_eq!(out.commands.last(), Some(&Command::Cut), "the cut comes last");
    assert!(out.unknown_commands().is_empty(), "{:?}", out.unknown_commands());
}

#[test]
fn an_injected_name_prints_as_plain_text() {
    let mut doc = Document::new(Paper::Mm58);
    doc.text("Nama: BUDI\x1b@\x1dV\x00", Style::default()).text("selesai", Style::default()).cut();
    let out = decoded(&doc);
    assert_eq!(out.lines[0].text, "Nama: BUDI@V");
    assert_eq!(out.count(&Command::Init), 1, "no second reset from the name");
    assert_eq!(out.cuts, 1, "the name does not cut the paper");
    assert_eq!(out.commands.last(), Some(&Command::Cut));
    assert!(out.unknown_commands().is_empty());
}

#[test]
fn a_document_without_cut_is_still_cut_once() {
    let mut doc = Document::new(Paper::Mm80);
    doc.text("tanpa potong", Style::default());
    assert_eq!(decoded(&doc).cuts, 1);
}

proptest! {
    #[test]
    fn no_user_text_reaches_the_printer_as_a_command(text in any::<String>(), raw in proptest::collection::vec(any::<u8>(), 0..64)) {
        let lossy = String::from_utf8_lossy(&raw).into_owned();
        let mut doc = Document::new(Paper::Mm58);
        doc.text(&text, Style::default()).pair(&lossy, &text).qr(&lossy).cut();
        let out = decoded(&doc);
        prop_assert_eq!(out.count(&Command::Init), 1);
        prop_assert_eq!(out.cuts, 1);
        prop_assert!(out.unknown_commands().is_empty(), "{:?}", out.unknown_commands());
        prop_assert!(out.lines.iter().all(|l| l.text.chars().count() <= 32 && l.text.chars().all(|c| (' '..='~').contains(&c))));
        // What was printed is the sanitized text, whitespace aside.
        let printed: String = out.lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join(" ");
        let expected: Vec<String> = sanitize(&text).split_whitespace().map(String::from).collect();
        let printed_words: Vec<&str> = printed.split_whitespace().collect();
        let joined_expected = expected.concat();
        let joined_printed: String = printed_words.concat();
        prop_assert!(joined_printed.starts_with(&joined_expected), "{:?} vs {:?}", joined_printed, joined_expected);
    }

    #[test]
    fn wrapped_lines_fit_and_keep_words(words in proptest::collection::vec("[a-zA-Z]{1,12}", 1..40), wide in any::<bool>()) {
        let paper = if wide { Paper::Mm80 } else { Paper::Mm58 };
        let text = words.join(" ");
        let mut doc = Document::new(paper);
        doc.text(&text, Style::default());
        let out = decoded(&doc);
        prop_assert!(out.lines.iter().all(|l| l.text.len() <= paper.columns()));
        let printed: Vec<String> = out.lines.iter().flat_map(|l| l.text.split(' ').map(String::from).collect::<Vec<_>>()).collect();
        prop_assert_eq!(printed, words, "every word whole, in order");
    }

    #[test]
    fn the_decoder_survives_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode(&bytes);
    }
}
