//! Issued letters as the kiosk prints them, for every letter type of the central catalogue,
//! on 58 and 80 mm paper: the ESC/POS bytes decoded back to text and compared with golden
//! files a person can read, the seal found again in the QR code, and a PNG preview of the
//! paper written for review. `UPDATE_GOLDEN=1 cargo test` rewrites the text files after an
//! intended change; review the diff.
//!
//! The documents come from `backend letter samples` (tests/golden/letters/samples.json):
//! the kiosk never renders a letter itself, it prints what the service issued.

use hardware::printer::Paper;
use hardware::printer::decode::decode;
use hardware::printer::render::render;
use kiosk::letter_print::letter_document;
use protocol::letter::{IssuedLetter, LetterCode, LetterDocument};
use protocol::ticket::Ticket;

#[derive(serde::Deserialize)]
struct Sample {
    code: String,
    document: LetterDocument,
}

fn golden_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/letters")
}

fn samples() -> Vec<Sample> {
    let json = std::fs::read_to_string(golden_dir().join("samples.json")).expect("samples");
    serde_json::from_str(&json).expect("samples JSON")
}

fn issued(sample: &Sample) -> IssuedLetter {
    IssuedLetter {
        id: "SAMPLE0001".into(),
        ticket: Ticket::parse("LP-0042-000008-1")
            .unwrap_or_else(|_| Ticket::new(42, 8).expect("ticket")),
        letter: LetterCode::parse(&sample.code).expect("code"),
        document: sample.document.clone(),
    }
}

/// Prints `letter` on `paper`; returns what the paper says, line by line, and checks what
/// any printed letter must hold.
fn printed(letter: &IssuedLetter, paper: Paper) -> String {
    let document = letter_document(letter, paper);
    let bytes = render(&document).expect("render");
    let decoded = decode(&bytes);
    assert_eq!(decoded.cuts, 1);
    assert!(decoded.unknown_commands().is_empty(), "{:?}", decoded.unknown_commands());
    assert_eq!(
        decoded.qr_codes,
        std::slice::from_ref(&letter.document.qr),
        "the seal, whole, in the QR code"
    );
    let mut text = String::new();
    for line in &decoded.lines {
        let width = if line.double { paper.columns() / 2 } else { paper.columns() };
        assert!(line.text.chars().count() <= width, "overflow on {paper:?}: {:?}", line.text);
        text.push_str(&line.text);
        text.push('\n');
    }
    let previews = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("letter-previews");
    std::fs::create_dir_all(&previews).expect("dir");
    let png = hardware::printer::preview::render_png(&document).expect("preview");
    let name = format!("{}-{}.png", letter.letter, paper.millimetres());
    std::fs::write(previews.join(name), png).expect("png");
    text
}

#[test]
fn every_letter_type_prints_as_its_golden_on_58_and_80_mm() {
    let samples = samples();
    assert_eq!(samples.len(), 10, "the ten types of the catalogue");
    for sample in &samples {
        let letter = issued(sample);
        for paper in [Paper::Mm58, Paper::Mm80] {
            let text = printed(&letter, paper);
            let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(flat.contains(&sample.document.title), "{}: title", sample.code);
            assert!(flat.contains(&sample.document.number), "{}: number", sample.code);
            assert!(flat.contains(&sample.document.signer.name), "{}: signer", sample.code);
            assert!(!flat.contains("SALINAN"), "an original is not a copy");
            let path = golden_dir().join(format!("{}-{}.txt", sample.code, paper.millimetres()));
            if std::env::var_os("UPDATE_GOLDEN").is_some() {
                std::fs::write(&path, &text).expect("write golden");
            }
            let expected = std::fs::read_to_string(&path).unwrap_or_default();
            assert_eq!(text, expected, "{} differs from {}", sample.code, path.display());
        }
    }
}

#[test]
fn a_reprint_says_salinan_and_the_full_nik_is_on_the_letter() {
    let samples = samples();
    let sktm = samples.iter().find(|sample| sample.code == "sktm").expect("sktm");
    let mut letter = issued(sktm);
    letter.document.copy = true;
    let text = printed(&letter, Paper::Mm58);
    assert_eq!(text.lines().next(), Some("SALINAN"), "{text}");
    // A letter, unlike a slip, prints the NIK whole: it is issued only with proof of presence.
    assert!(text.contains("3510154305880001"), "{text}");
}

#[test]
fn control_bytes_in_a_letter_never_reach_the_printer() {
    let samples = samples();
    let mut letter = issued(&samples[0]);
    letter.document.signer.name = "H. SUGENG\x1b@\x1d(k".into();
    if let Some(protocol::letter::document::Block::Paragraph { text }) =
        letter.document.body.first_mut()
    {
        text.push_str(" \x1bd\x07\x1bi");
    }
    let document = letter_document(&letter, Paper::Mm58);
    let bytes = render(&document).expect("render");
    let decoded = decode(&bytes);
    assert!(decoded.unknown_commands().is_empty(), "{:?}", decoded.unknown_commands());
    assert_eq!(decoded.cuts, 1, "no cut smuggled in a name");
}
