//! Documents rendered to ESC/POS and decoded back: what the citizen would hold in their hand.

use hardware::printer::codepage::CodePage;
use hardware::printer::decode::{Command, Decoded, decode};
use hardware::printer::document::wrap;
use hardware::printer::render::render;
use hardware::printer::sanitize::{sanitize, sanitize_for};
use hardware::printer::{Align, Bitmap, Column, Document, Paper, Style, Table};
use proptest::prelude::*;

fn decoded(doc: &Document) -> Decoded {
    decode(&render(doc).expect("render"))
}

const INJECTION: &str = "BUDI\x1b@\x1dV\x00";

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
    doc.text(format!("Nama: {INJECTION}"), Style::default())
        .text("selesai", Style::default())
        .cut();
    let out = decoded(&doc);
    assert_eq!(out.lines[0].text, "Nama: BUDI@V");
    assert_eq!(out.count(&Command::Init), 1, "no second reset from the name");
    assert_eq!(out.cuts, 1, "the name does not cut the paper");
    assert_eq!(out.commands.last(), Some(&Command::Cut));
    assert!(out.unknown_commands().is_empty());
}

#[test]
fn an_injected_name_is_plain_text_in_every_block() {
    let mut table = Table::new([Column::fill(INJECTION), Column::new(INJECTION, 6)]);
    table.row([INJECTION, INJECTION]);
    let mut doc = Document::new(Paper::Mm80);
    doc.heading(INJECTION)
        .subheading(INJECTION)
        .text(INJECTION, Style::right())
        .pair(INJECTION, INJECTION)
        .table(&table)
        .qr(INJECTION)
        .code128(INJECTION)
        .expect("short barcode")
        .cut();
    let out = decoded(&doc);
    assert_eq!(out.count(&Command::Init), 1);
    assert_eq!(out.cuts, 1);
    assert_eq!(out.commands.last(), Some(&Command::Cut));
    assert!(out.unknown_commands().is_empty(), "{:?}", out.unknown_commands());
    assert_eq!(out.qr_codes, vec!["BUDI@V"]);
    assert_eq!(out.barcodes, vec!["BUDI@V"]);
    assert!(out.lines.iter().all(|l| !l.text.chars().any(char::is_control)));
    assert!(out.lines.iter().filter(|l| l.text.contains("BUDI@V")).count() >= 6);
}

#[test]
fn a_document_without_cut_is_still_cut_once() {
    let mut doc = Document::new(Paper::Mm80);
    doc.text("tanpa potong", Style::default());
    assert_eq!(decoded(&doc).cuts, 1);
}

#[test]
fn accented_names_print_through_the_code_page() {
    let name = "Désirée Müller – Sebastião Ñoño €5";
    let mut pc437 = Document::new(Paper::Mm58);
    pc437.text(name, Style::default());
    let mut pc858 = Document::with_code_page(Paper::Mm58, CodePage::Pc858);
    pc858.text(name, Style::default());
    let mut ascii = Document::with_code_page(Paper::Mm58, CodePage::Ascii);
    ascii.text(name, Style::default());

    let out = decoded(&pc437);
    assert_eq!(out.count(&Command::CodePage(0)), 1);
    assert_eq!(out.text(), "Désirée Müller - Sebastiao Ñoño\nEUR5");
    let out = decoded(&pc858);
    assert_eq!(out.count(&Command::CodePage(19)), 1);
    assert_eq!(out.text(), "Désirée Müller - Sebastião Ñoño\n€5");
    let out = decoded(&ascii);
    assert!(!out.commands.iter().any(|c| matches!(c, Command::CodePage(_))));
    assert_eq!(out.text(), "Desiree Muller - Sebastiao Nono\nEUR5");
    // Every printer leaves double-byte mode first, so high bytes are single characters.
    assert_eq!(out.count(&Command::KanjiOff), 1);
}

#[test]
fn table_columns_line_up_on_every_paper() {
    for paper in Paper::ALL {
        let mut table = Table::new([
            Column::new("No", 2).align(Align::Right),
            Column::fill("Nama"),
            Column::new("Umur", 4).align(Align::Right),
        ]);
        table
            .row(["1", "SITI AMINAH BINTI ABDULLAH SYAMSUDDIN AL-BANYUWANGI", "41"])
            .row(["12", "BUDI", "7"]);
        let mut doc = Document::new(paper);
        doc.table(&table).cut();
        let out = decoded(&doc);
        let name_width = paper.columns() - 2 - 4 - 2;
        let widths = [2, name_width, 4];
        // Each column starts at the same place on every line: a space before it, always.
        for line in &out.lines {
            let chars: Vec<char> = line.text.chars().collect();
            assert!(chars.len() <= paper.columns());
            for at in [2, 3 + name_width] {
                assert!(chars.get(at).is_none_or(|c| *c == ' '), "{paper:?}: {:?}", line.text);
            }
        }
        let cells: Vec<Vec<String>> = out.lines.iter().map(|l| l.cells(&widths)).collect();
        assert_eq!(cells[0], ["No", "Nama", "Umur"]);
        assert_eq!(cells[2][0], "1");
        assert_eq!(cells[2][2], "41");
        let name: Vec<&str> = cells[2..].iter().map(|c| c[1].as_str()).collect();
        let last = cells.last().expect("rows");
        assert_eq!(last[..], ["12", "BUDI", "7"]);
        assert_eq!(
            name[..name.len() - 1].join(" "),
            "SITI AMINAH BINTI ABDULLAH SYAMSUDDIN AL-BANYUWANGI",
            "the long name wraps within its column"
        );
    }
}

#[test]
fn code128_and_logo_come_back_as_sent() {
    let logo = Bitmap::from_packed(16, 2, vec![0xf0, 0x0f, 0x81, 0x18]).expect("bitmap");
    let mut doc = Document::new(Paper::Mm58);
    doc.image(logo.clone()).code128("3510000123").expect("fits").cut();
    let out = decoded(&doc);
    assert_eq!(out.images, vec![logo]);
    assert_eq!(out.barcodes, vec!["3510000123"]);
    assert_eq!(out.count(&Command::Raster { width: 16, height: 2 }), 1);
    assert!(out.unknown_commands().is_empty(), "{:?}", out.unknown_commands());
}

#[test]
fn a_wide_logo_is_scaled_to_the_paper() {
    let wide = Bitmap::from_packed(800, 1, vec![0xff; 100]).expect("bitmap");
    let mut doc = Document::new(Paper::Mm58);
    doc.image(wide);
    let out = decoded(&doc);
    assert_eq!(out.images[0].width(), 384);
}

/// Every way text gets into a document, with the same hostile strings.
fn every_method(doc: &mut Document, a: &str, b: &str, c: &str) {
    let mut table = Table::new([Column::fill(a), Column::new(b, 7).align(Align::Right)]);
    table.row([b, c]).row([c, a, b]);
    doc.text(a, Style::default())
        .text(b, Style::center().bold().double())
        .heading(c)
        .subheading(a)
        .pair(a, b)
        .pair(c, "")
        .table(&table)
        .qr(b);
    // A barcode that does not fit is refused, never printed broken.
    let _ = doc.code128(c);
    doc.cut();
}

fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        proptest::collection::vec(any::<u8>(), 0..64)
            .prop_map(|raw| String::from_utf8_lossy(&raw).into_owned()),
        "[\\x00-\\x1f\\x7f\\x80-\\x9f a-zé€’\u{1b}\u{1d}@VEa!]{0,60}",
        Just(INJECTION.to_string()),
    ]
}

fn paper_and_page() -> impl Strategy<Value = (Paper, CodePage)> {
    (prop::sample::select(Paper::ALL.to_vec()), prop::sample::select(CodePage::ALL.to_vec()))
}

proptest! {
    #[test]
    fn no_user_text_reaches_the_printer_as_a_command(
        a in hostile(), b in hostile(), c in hostile(), (paper, page) in paper_and_page()
    ) {
        let mut doc = Document::with_code_page(paper, page);
        every_method(&mut doc, &a, &b, &c);
        let out = decoded(&doc);
        prop_assert_eq!(out.count(&Command::Init), 1);
        prop_assert_eq!(out.cuts, 1);
        prop_assert_eq!(out.commands.last(), Some(&Command::Cut));
        prop_assert!(out.unknown_commands().is_empty(), "{:?}", out.unknown_commands());
        for line in &out.lines {
            let width = if line.double { paper.columns() / 2 } else { paper.columns() };
            prop_assert!(line.text.chars().count() <= width, "{:?}", line.text);
            prop_assert!(line.text.chars().all(|ch| page.encode(ch).is_some()), "{:?}", line.text);
        }
    }

    #[test]
    fn what_is_printed_is_the_sanitized_text(text in any::<String>(), (paper, page) in paper_and_page()) {
        let mut doc = Document::with_code_page(paper, page);
        doc.text(&text, Style::default());
        let out = decoded(&doc);
        let printed: String = out.lines.iter().flat_map(|l| l.text.split_whitespace()).collect();
        let expected: String = text.split('\n').flat_map(|p| {
            sanitize_for(p, page).split_whitespace().map(String::from).collect::<Vec<_>>()
        }).collect();
        prop_assert_eq!(printed, expected);
    }

    #[test]
    fn qr_payloads_are_ascii(payload in any::<String>()) {
        let mut doc = Document::new(Paper::Mm58);
        doc.qr(&payload);
        let out = decoded(&doc);
        prop_assert_eq!(out.qr_codes, vec![sanitize(&payload)]);
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

    /// Word wrap never splits a word that fits on a line of its own, fills each line
    /// greedily, and loses or adds nothing but the spaces it breaks at.
    #[test]
    fn wrap_splits_only_words_longer_than_a_line(
        words in proptest::collection::vec("[a-zA-Z0-9.,/-]{1,40}", 1..30),
        width in 1usize..60,
    ) {
        let text = words.join(" ");
        let lines = wrap(&text, width);
        prop_assert!(lines.iter().all(|l| l.chars().count() <= width), "{:?}", lines);
        prop_assert_eq!(lines.concat().replace(' ', ""), words.concat());
        // A word that fits a line is found whole on one line.
        for word in words.iter().filter(|w| w.len() <= width) {
            prop_assert!(lines.iter().any(|l| l.split(' ').any(|piece| piece == word)), "{:?} in {:?}", word, lines);
        }
        // Greedy: the first word of each line would not have fit at the end of the one before.
        for pair in lines.windows(2) {
            let first = pair[1].split(' ').next().unwrap_or_default();
            prop_assert!(pair[0].len() + 1 + first.len() > width || pair[0].is_empty(), "{:?}", pair);
        }
    }

    #[test]
    fn the_decoder_survives_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode(&bytes);
    }
}

/// The preview of any hostile document stays on the paper and draws everything.
mod preview {
    use super::*;
    use hardware::printer::preview::render;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn nothing_is_drawn_off_the_paper(a in hostile(), b in hostile(), c in hostile(), (paper, page) in paper_and_page()) {
            let mut doc = Document::with_code_page(paper, page);
            every_method(&mut doc, &a, &b, &c);
            let picture = render(&doc).expect("preview");
            prop_assert_eq!(picture.image.width(), paper.dot_width());
            prop_assert_eq!(picture.clipped_dots, 0);
            prop_assert!(picture.problems.is_empty(), "{:?}", picture.problems);
        }
    }
}
