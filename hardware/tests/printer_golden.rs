//! A bansos status receipt and a village letter, printed: the ESC/POS bytes decoded back to
//! a transcript, and the preview PNG, both compared with files checked in under
//! `tests/golden/` that a person has read and looked at. `UPDATE_GOLDEN=1 cargo test`
//! rewrites them (and the copies in `docs/hardware/`) after an intended change; review the
//! diff and look at the pictures.

use std::path::{Path, PathBuf};

use hardware::printer::decode::{Command, Decoded, Item, decode};
use hardware::printer::preview::{self, Preview};
use hardware::printer::render::render;
use hardware::printer::{Align, Column, Document, Paper, Style, Table};

const LOGO: &[u8] = include_bytes!("../assets/logo-balai-desa.png");

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The slip the kiosk prints after a status check, with the family table the issue asks for.
fn receipt() -> Document {
    let mut family = Table::new([
        Column::fill("Anggota"),
        Column::new("Hubungan", 9),
        Column::new("Bansos", 6).align(Align::Right),
    ]);
    family
        .row(["S*** A*****", "Kepala", "PKH"])
        .row(["S****** H*****", "Istri", "PKH"])
        .row(["B*** S******** P*******", "Anak", "-"])
        .row(["N*** A*******", "Anak", "BPNT"]);
    let mut doc = Document::new(Paper::Mm58);
    doc.logo(LOGO).expect("logo");
    doc.heading("ANJUNGAN MANDIRI")
        .subheading("Bukti Cek Status Bansos")
        .text("Desa Bomo, Kecamatan Blimbingsari", Style::center())
        .rule()
        // A name from a registry with an injection attempt and typographic quotes.
        .pair("Nama", "S*** A***** \u{1b}@\u{1d}V\u{0}")
        .pair("NIK", "3510********0002")
        .pair("KK", "3510********0007")
        .pair("Alamat", "Dsn. Krajan RT 002/RW 001, Bomo, Blimbingsari")
        .rule()
        .text("Terdaftar sebagai penerima:", Style::default().bold())
        .text("- Program Keluarga Harapan (PKH)", Style::default().bold())
        .text("  Keluarga (KK) · komponen ibu hamil · aktif sejak 6 Mei 2020", Style::default())
        .text("- BPNT / Sembako", Style::default().bold())
        .text("  N*** A******* · aktif sejak 2 Januari 2024", Style::default())
        .feed(1)
        .subheading("Anggota keluarga")
        .table(&family)
        .rule()
        .pair("Dicetak", "23 November 2026 10.41 WIB")
        .pair("Kios", "BWI-3510-0001")
        .qr("ANJUNGAN/STATUS/1?kiosk=BWI-3510-0001&t=1795405260&nik=3510********0002")
        .text("Simpan bukti ini. Jangan berikan NIK Anda kepada orang lain.", Style::center())
        .feed(2)
        .cut();
    doc
}

/// A surat keterangan tidak mampu as printed at the kiosk on an 80 mm roll.
fn letter() -> Document {
    let mut family = Table::new([
        Column::new("No", 2).align(Align::Right),
        Column::fill("Nama"),
        Column::new("Hubungan", 12),
        Column::new("Pekerjaan", 14),
    ]);
    family
        .row(["1", "S*** A*****", "Kepala Keluarga", "Buruh tani lepas"])
        .row(["2", "S****** H*****", "Istri", "Mengurus rumah tangga"])
        .row(["3", "B*** S******** P*******", "Anak", "Pelajar"]);
    let mut doc = Document::new(Paper::Mm80);
    doc.logo(LOGO).expect("logo");
    doc.subheading("PEMERINTAH KABUPATEN BANYUWANGI")
        .subheading("KECAMATAN BLIMBINGSARI")
        .heading("DESA BOMO")
        .text("Jl. Raya Bomo No. 1, Blimbingsari, Banyuwangi 68462", Style::center())
        .rule()
        .heading("SURAT KETERANGAN TIDAK MAMPU")
        .text("Nomor: 474/0123/429.501.01/2026", Style::center())
        .feed(1)
        .text(
            "Yang bertanda tangan di bawah ini, Kepala Desa Bomo, Kecamatan Blimbingsari, \
             Kabupaten Banyuwangi, menerangkan dengan sebenarnya bahwa:",
            Style::default(),
        )
        .pair("Nama", "S*** A*****")
        .pair("NIK", "3510********0002")
        .pair("Tempat/Tgl. Lahir", "Banyuwangi, **-**-1978")
        .pair("Pekerjaan", "Buruh tani lepas")
        .pair("Alamat", "Dusun Krajan RT 002/RW 001, Desa Bomo, Kecamatan Blimbingsari")
        .feed(1)
        .text(
            "adalah benar warga Desa Bomo yang tergolong keluarga tidak mampu \
             (miskin) berdasarkan Data Terpadu Kesejahteraan Sosial (DTKS) dan \
             musyawarah desa, dengan susunan keluarga sebagai berikut:",
            Style::default(),
        )
        .table(&family)
        .feed(1)
        .text(
            "Surat keterangan ini diberikan untuk keperluan pengajuan keringanan biaya \
             pendidikan anak di SMA Negeri 1 Glagah, dan berlaku selama 3 (tiga) bulan \
             sejak tanggal dikeluarkan.",
            Style::default(),
        )
        .text(
            "Demikian surat keterangan ini dibuat untuk dipergunakan sebagaimana mestinya.",
            Style::default(),
        )
        .feed(1)
        .text("Bomo, 23 November 2026", Style::right())
        .text("Kepala Desa Bomo", Style::right())
        .feed(3)
        .text("( SUTRISNO, S.Sos. )", Style::right().bold())
        .rule()
        .feed(1)
        .code128("LP-0001-000123-4")
        .expect("fits 80 mm")
        .qr("https://bomo.desa.id/surat/LP-0001-000123-4?cek=7F3A")
        .text("Pindai untuk memeriksa keaslian surat ini.", Style::center())
        .feed(2)
        .cut();
    doc
}

/// What every printout must satisfy, whatever its content.
fn check_printout(doc: &Document, out: &Decoded) {
    assert_eq!(out.count(&Command::Init), 1, "one reset, at the start");
    assert_eq!(out.commands.first(), Some(&Command::Init));
    assert_eq!(out.cuts, 1, "one cut");
    assert_eq!(out.commands.last(), Some(&Command::Cut), "the cut comes last");
    assert!(out.unknown_commands().is_empty(), "{:?}", out.unknown_commands());
    for line in &out.lines {
        let width = if line.double { doc.paper().columns() / 2 } else { doc.paper().columns() };
        assert!(line.text.chars().count() <= width, "overflow: {:?}", line.text);
        assert!(!line.text.chars().any(char::is_control), "control in {:?}", line.text);
    }
}

/// What the preview must satisfy: paper-wide, nothing off the edge, everything drawn, and
/// every QR code readable by a phone (rqrr stands in for the camera).
fn check_preview(doc: &Document, out: &Decoded, picture: &Preview) {
    assert_eq!(picture.image.width(), doc.paper().dot_width());
    assert_eq!(picture.clipped_dots, 0, "something is drawn beyond the paper's edge");
    assert!(picture.problems.is_empty(), "{:?}", picture.problems);
    let mut scan = rqrr::PreparedImage::prepare(picture.image.clone());
    let found: Vec<String> =
        scan.detect_grids().into_iter().map(|grid| grid.decode().expect("QR decodes").1).collect();
    assert_eq!(found, out.qr_codes, "the QR codes in the picture scan to their payloads");
}

fn golden(name: &str) -> PathBuf {
    manifest().join("tests/golden").join(name)
}

/// Compares (or with UPDATE_GOLDEN, rewrites) the transcript and the picture.
fn compare(name: &str, transcript: &str, picture: &Preview) {
    let (txt, png) = (golden(&format!("{name}.txt")), golden(&format!("{name}.png")));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let bytes = picture.to_png().expect("png");
        std::fs::write(&txt, transcript).expect("write golden text");
        std::fs::write(&png, &bytes).expect("write golden png");
        let docs = manifest().join("../docs/hardware");
        std::fs::create_dir_all(&docs).expect("docs dir");
        std::fs::write(docs.join(format!("printer-{name}.png")), &bytes).expect("docs png");
    }
    let expected = std::fs::read_to_string(&txt).unwrap_or_default();
    assert_eq!(transcript, expected, "printout differs from {}", txt.display());
    let checked_in = image::open(&png).expect("golden png").to_luma8();
    assert_eq!(checked_in.dimensions(), picture.image.dimensions(), "{}", png.display());
    let differing = checked_in.pixels().zip(picture.image.pixels()).filter(|(a, b)| a != b).count();
    assert_eq!(differing, 0, "preview differs from {} in {differing} dots", png.display());
}

#[test]
fn the_status_receipt_prints_as_checked_in() {
    let doc = receipt();
    let out = decode(&render(&doc).expect("render"));
    check_printout(&doc, &out);
    // The injected name printed as plain text and neither reset nor cut the paper.
    assert!(out.contains("S*** A***** @V"), "{}", out.text());
    // The family table: columns line up on every row, wrapped names stay in their column.
    let rows: Vec<Vec<String>> = out
        .lines
        .iter()
        .skip_while(|l| l.text != "Anggota keluarga")
        .skip(1)
        .take(6)
        .map(|l| l.cells(&[15, 9, 6]))
        .collect();
    assert_eq!(rows[0], ["Anggota", "Hubungan", "Bansos"]);
    assert_eq!(rows[2], ["S*** A*****", "Kepala", "PKH"]);
    assert_eq!(rows[4], ["B*** S********", "Anak", "-"]);
    assert_eq!(rows[5], ["P*******", "", ""]);
    assert_eq!(out.images.len(), 1, "the logo");
    assert!(out.images[0].width() <= doc.paper().dot_width());
    let picture = preview::render(&doc).expect("preview");
    check_preview(&doc, &out, &picture);
    compare("receipt-58mm", &out.transcript(), &picture);
}

#[test]
fn the_letter_prints_as_checked_in() {
    let doc = letter();
    let out = decode(&render(&doc).expect("render"));
    check_printout(&doc, &out);
    assert_eq!(out.barcodes, vec!["LP-0001-000123-4"]);
    assert_eq!(out.qr_codes, vec!["https://bomo.desa.id/surat/LP-0001-000123-4?cek=7F3A"]);
    let signature = out.lines.iter().find(|l| l.text.contains("SUTRISNO")).expect("signed");
    assert!(signature.bold && signature.align == Align::Right);
    // Paragraph lines are filled greedily: the next line's first word would not have fit.
    let width = doc.paper().columns();
    for pair in out.lines.windows(2) {
        let (this, next) = (&pair[0].text, &pair[1].text);
        if this.starts_with("Surat keterangan ini") || this.starts_with("pendidikan") {
            let first = next.split(' ').next().unwrap_or_default();
            assert!(this.chars().count() + 1 + first.len() > width, "{this:?} / {next:?}");
        }
    }
    let picture = preview::render(&doc).expect("preview");
    check_preview(&doc, &out, &picture);
    assert!(barcode_row_matches(&picture, &out), "the Code128 bars are drawn as encoded");
    compare("letter-80mm", &out.transcript(), &picture);
}

/// Some row of the picture crosses the barcode and nothing else, with bars and spaces of
/// exactly the widths the Code128 symbol (start to stop, at the printed module) has.
fn barcode_row_matches(picture: &Preview, out: &Decoded) -> bool {
    let Some(Item::Barcode(code)) = out.items.iter().find(|i| matches!(i, Item::Barcode(_))) else {
        return false;
    };
    let mut input = String::new();
    for run in &code.runs {
        match run {
            hardware::printer::document::Code128Run::B(t) => input.push_str(&format!("Ɓ{t}")),
            hardware::printer::document::Code128Run::C(d) => input.push_str(&format!("Ć{d}")),
        }
    }
    let modules = barcoders::sym::code128::Code128::new(&input).expect("code128").encode();
    let expected = runs(modules.iter().map(|m| *m == 1), usize::from(code.module_dots));
    picture.image.rows().any(|row| runs(row.map(|p| p.0[0] == 0), 1) == expected)
}

/// Lengths of alternating black/white runs, from the first black dot to the last.
fn runs(dots: impl Iterator<Item = bool>, scale: usize) -> Vec<usize> {
    let dots: Vec<bool> = dots.collect();
    let (Some(first), Some(last)) = (dots.iter().position(|d| *d), dots.iter().rposition(|d| *d))
    else {
        return Vec::new();
    };
    let mut out: Vec<usize> = Vec::new();
    let mut previous = None;
    for dot in &dots[first..=last] {
        if previous == Some(*dot) {
            if let Some(n) = out.last_mut() {
                *n += scale;
            }
        } else {
            out.push(scale);
        }
        previous = Some(*dot);
    }
    out
}
