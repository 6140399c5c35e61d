//! Issued letters as A4 PDFs, read back the way a person would meet them: the text a PDF
//! reader extracts (poppler's pdftotext), the page count and size (pdfinfo), the page as an
//! image (pdftoppm) and the QR code scanned off that image. Then over HTTP: the staff of the
//! letter's desa get it, another desa's staff and strangers do not. The PNGs are kept in the
//! target directory's tmp/letter-previews/ for a look.
//!
//! poppler-utils is installed by scripts/setup.sh. Run on SQLite and, with
//! `ANJUNGAN_TEST_DATABASE` set, on PostgreSQL.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use backend::letters::LetterCatalogue;
use backend::letters::pdf::letter_pdf;
use backend::letters::samples::{sample_key, samples};
use backend::store::{IssuedRecord, StaffRole};
use common::*;
use protocol::api::{ReportState, TicketStatus};
use protocol::letter::LETTERS_PATH;
use protocol::letter::document::{Block, LetterDocument};
use protocol::letter::seal::{DesaKeys, LetterSeal};
use serde_json::json;

const PASSWORD: &str = "kantor-desa-2026";

fn previews() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("letter-previews");
    std::fs::create_dir_all(&dir).expect("preview directory");
    dir
}

fn poppler(tool: &str, args: &[&str]) -> String {
    let output = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool}: {e} (poppler-utils: scripts/setup.sh installs it)"));
    assert!(
        output.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// What a person reads off the PDF `name` (written to the previews), with runs of spaces
/// folded, its page count, and its pages as images at 60 dpi.
struct ReadBack {
    text: String,
    pages: usize,
    images: Vec<image::GrayImage>,
}

fn read_back(name: &str, pdf: &[u8]) -> ReadBack {
    assert!(pdf.starts_with(b"%PDF-"), "{name}: not a PDF");
    let dir = previews();
    let file = dir.join(format!("{name}.pdf"));
    std::fs::write(&file, pdf).expect("write the PDF");
    let path = file.to_str().expect("UTF-8 path");
    let text = poppler("pdftotext", &["-layout", path, "-"]);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let info = poppler("pdfinfo", &[path]);
    let pages = info
        .lines()
        .find_map(|line| line.strip_prefix("Pages:"))
        .and_then(|count| count.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name}: no page count in {info}"));
    assert!(info.contains("(A4)"), "{name}: {info}");
    // An earlier run's page images (`name-1.png`, ...), not another letter's (`sktm-12.pdf`).
    for old in std::fs::read_dir(&dir).expect("list").flatten() {
        let file = old.file_name().to_string_lossy().into_owned();
        let page =
            file.strip_prefix(&format!("{name}-")).and_then(|rest| rest.strip_suffix(".png"));
        if page.is_some_and(|page| page.bytes().all(|b| b.is_ascii_digit())) {
            std::fs::remove_file(old.path()).expect("remove an old preview");
        }
    }
    let prefix = dir.join(name);
    poppler("pdftoppm", &["-r", "60", "-png", path, prefix.to_str().expect("UTF-8")]);
    let images = (1..=pages)
        .map(|page| {
            let png = dir.join(format!("{name}-{page}.png"));
            image::open(&png).unwrap_or_else(|e| panic!("{}: {e}", png.display())).to_luma8()
        })
        .collect();
    ReadBack { text, pages, images }
}

/// The share of `image`'s pixels in the box (fractions of its width and height) that are ink.
fn ink(image: &image::GrayImage, (left, top, right, bottom): (f32, f32, f32, f32)) -> f32 {
    let (w, h) = (image.width() as f32, image.height() as f32);
    let (x0, x1) = ((left * w) as u32, (right * w) as u32);
    let (y0, y1) = ((top * h) as u32, (bottom * h) as u32);
    let mut dark = 0u32;
    for y in y0..y1 {
        for x in x0..x1 {
            dark += u32::from(image.get_pixel(x, y).0[0] < 128);
        }
    }
    dark as f32 / ((x1 - x0) * (y1 - y0)).max(1) as f32
}

/// A4 upright, with ink in the body and nowhere near every pixel.
fn looks_like_a_page(name: &str, image: &image::GrayImage) {
    let ratio = image.height() as f32 / image.width() as f32;
    assert!((ratio - 1.414).abs() < 0.01, "{name}: {}x{}", image.width(), image.height());
    let whole = ink(image, (0.0, 0.0, 1.0, 1.0));
    assert!((0.005..0.25).contains(&whole), "{name}: {whole} of the page is ink");
    // Nothing in the side margins (2.5 cm of 21).
    assert_eq!(ink(image, (0.0, 0.0, 0.10, 1.0)), 0.0, "{name}: ink in the left margin");
    assert_eq!(ink(image, (0.90, 0.0, 1.0, 1.0)), 0.0, "{name}: ink in the right margin");
}

fn field<'a>(document: &'a LetterDocument, label: &str) -> &'a str {
    document
        .body
        .iter()
        .find_map(|block| match block {
            Block::Fields { rows } => rows.iter().find(|row| row.label == label),
            _ => None,
        })
        .map(|row| row.value.as_str())
        .unwrap_or_else(|| panic!("{}: no {label} row", document.title))
}

fn sample(code: &str) -> LetterDocument {
    samples(&LetterCatalogue::builtin())
        .into_iter()
        .find(|(sample, _)| sample == code)
        .map(|(_, document)| document)
        .unwrap_or_else(|| panic!("no {code} sample"))
}

#[test]
fn every_sample_letter_reads_back_whole_from_one_a4_page() {
    let samples = samples(&LetterCatalogue::builtin());
    assert_eq!(samples.len(), 10);
    for (code, document) in samples {
        let pdf = letter_pdf(&document).expect("drawn");
        let read = read_back(&code, &pdf);
        let text = &read.text;
        assert_eq!(read.pages, 1, "{code}");
        assert!(text.contains(&document.title), "{code}: title in {text}");
        assert!(text.contains(&format!("Nomor: {}", document.number)), "{code}: {text}");
        assert!(text.contains(field(&document, "Nama")), "{code}: name in {text}");
        assert!(text.contains(field(&document, "NIK")), "{code}: full NIK in {text}");
        assert!(text.contains(&document.signer.name), "{code}: signer in {text}");
        assert!(text.contains(&document.kop.desa), "{code}: kop in {text}");
        assert!(!text.contains("SALINAN"), "{code}: an original is no copy");
        let page = &read.images[0];
        looks_like_a_page(&code, page);
        assert!(ink(page, (0.1, 0.0, 0.9, 0.15)) > 0.01, "{code}: the kop at the top");
        assert!(ink(page, (0.1, 0.82, 0.3, 0.93)) > 0.1, "{code}: the QR at the bottom left");
        assert!(pdf.len() < 120_000, "{code}: fonts subsetted, {} bytes", pdf.len());
    }
}

#[test]
fn a_reprint_says_salinan_and_the_original_does_not() {
    let mut document = sample("domisili");
    document.copy = true;
    let read = read_back("domisili-salinan", &letter_pdf(&document).expect("drawn"));
    assert_eq!(read.pages, 1);
    assert!(read.text.contains("SALINAN"), "{}", read.text);
    assert!(read.text.contains(&document.title), "still the whole letter: {}", read.text);
    looks_like_a_page("domisili-salinan", &read.images[0]);
    // The watermark darkens the page's middle without covering it.
    let original = read_back("domisili-original", &letter_pdf(&sample("domisili")).expect("drawn"));
    let grey = |image: &image::GrayImage| {
        image.pixels().filter(|p| (150..250).contains(&p.0[0])).count() as f32
            / (image.width() * image.height()) as f32
    };
    let (marked, plain) = (grey(&read.images[0]), grey(&original.images[0]));
    assert!(marked > plain + 0.03, "a light diagonal SALINAN: {marked} vs {plain}");
}

#[test]
fn a_family_of_twelve_runs_onto_a_second_page_and_loses_no_one() {
    let mut document = sample("sktm");
    let mut members = Vec::new();
    for block in &mut document.body {
        if let Block::Table { rows, .. } = block {
            let first = rows[0].clone();
            *rows = (1..=12)
                .map(|n| {
                    let mut row = first.clone();
                    row[0] = n.to_string();
                    row[1] = format!("351015010190{n:04}");
                    row[2] = format!("ANAK{n:02} BIN SUPARMAN");
                    members.push((row[1].clone(), row[2].clone()));
                    row
                })
                .collect();
        }
    }
    assert_eq!(members.len(), 12);
    let read = read_back("sktm-12", &letter_pdf(&document).expect("drawn"));
    assert_eq!(read.pages, 2, "{}", read.text);
    // A long name wraps in its cell: each member's NIK and own name are there once.
    for (nik, name) in &members {
        let own = name.split(' ').next().expect("a name");
        assert_eq!(read.text.matches(nik.as_str()).count(), 1, "{nik}: {}", read.text);
        assert_eq!(read.text.matches(own).count(), 1, "{own}: {}", read.text);
    }
    assert_eq!(read.text.matches("SUPARMAN").count(), 12);
    assert!(read.text.contains("Halaman 1 dari 2") && read.text.contains("Halaman 2 dari 2"));
    for (page, image) in read.images.iter().enumerate() {
        looks_like_a_page(&format!("sktm-12 page {}", page + 1), image);
    }
    // The signature and the seal close the letter on its last page.
    assert!(ink(&read.images[1], (0.1, 0.82, 0.3, 0.93)) > 0.1, "the QR on page 2");
    assert_eq!(read.text.matches(&document.footer[0]).count(), 1, "one seal, on the last page");
    let signer = read.text.find(&document.signer.name).expect("signer");
    let last = read.text.find("ANAK12").expect("last member");
    assert!(signer > last, "signed under the whole family");
}

#[test]
fn the_printed_qr_code_scans_back_to_the_seal() {
    let document = sample("pengantar_skck");
    let dir = previews();
    let file = dir.join("qr-scan.pdf");
    std::fs::write(&file, letter_pdf(&document).expect("drawn")).expect("write");
    let prefix = dir.join("qr-scan");
    let _ = std::fs::remove_file(dir.join("qr-scan-1.png"));
    poppler(
        "pdftoppm",
        &["-r", "150", "-png", file.to_str().expect("path"), prefix.to_str().expect("path")],
    );
    let page = image::open(dir.join("qr-scan-1.png")).expect("page").to_luma8();
    // The bottom-left quarter, where the code is.
    let (w, h) = (page.width(), page.height());
    let corner = image::imageops::crop_imm(&page, 0, h * 3 / 4, w / 2, h / 4).to_image();
    let mut prepared = rqrr::PreparedImage::prepare(corner);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the corner");
    let (_, payload) = grids[0].decode().expect("decodes");
    assert_eq!(payload, document.qr);
    let mut keys = DesaKeys::new();
    keys.add(3510152001, sample_key().public_key());
    let seal = LetterSeal::verify(&payload, &keys).expect("the seal verifies");
    assert_eq!(seal.number, document.number);
}

/// The village next to `desa` in the same kecamatan.
fn neighbour(desa: u64) -> u64 {
    protocol::region::regions()
        .villages_of((desa / 10_000) as u32)
        .iter()
        .map(|village| village.code)
        .find(|&code| code != desa)
        .expect("a neighbouring village")
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work).await.expect("join")
}

/// A domisili letter issued at once, as the kiosk flow does it: the card read at a kiosk of
/// the applicant's desa, which has a signer. Staff `sekdes.rumah` of that desa and
/// `sekdes.tetangga` of the next one exist. Returns the applicant and the letter.
async fn issued_domisili(server: &Server) -> (protocol::Nik, IssuedRecord) {
    let person = example(&server.summary, "tidak menerima").nik;
    let (home, own, _) =
        home_and_away_kiosks(server, &person, ("BWI-PDF-HOME", "BWI-PDF-AWAY")).await;
    let store = server.store.clone();
    blocking(move || {
        let mut settings = store.letter_settings(home).expect("settings");
        settings.head_name = "H. SUGENG RIYADI".into();
        settings.head_position = "Kepala Desa".into();
        store.set_letter_settings(&settings, "cli:tester").expect("settings saved");
        store.set_staff("sekdes.rumah", PASSWORD, Some(home)).expect("staff");
        // Its own password chosen: the API serves only such accounts.
        store.change_staff_password("sekdes.rumah", PASSWORD, None).expect("own password");
        store
            .set_staff_role("sekdes.rumah", StaffRole::Operator, "SRI WAHYUNI", "Sekretaris Desa")
            .expect("role");
        store.set_staff("sekdes.tetangga", PASSWORD, Some(neighbour(home))).expect("staff");
        // Its own password chosen: the API serves only such accounts.
        store.change_staff_password("sekdes.tetangga", PASSWORD, None).expect("own password");
    })
    .await;

    let body = json!({
        "applicant_nik": person.as_str(), "letter": "domisili", "purpose": "Syarat melamar kerja",
        "idempotency_key": "letter-pdf-0001", "nik_entry": "card",
    });
    let filed = post_as(server, &own, LETTERS_PATH, &body).await;
    assert_eq!(filed.status(), 201);
    let filed: TicketStatus = filed.json().await.expect("JSON");
    assert_eq!(filed.state, ReportState::Verified, "issued at once: {:?}", filed.reason);
    let store = server.store.clone();
    let year = time::OffsetDateTime::now_utc().year();
    let letter = blocking(move || store.letters_numbered(home, "domisili", year))
        .await
        .expect("letters")
        .pop()
        .expect("the issued letter");
    (person, letter)
}

#[tokio::test]
async fn the_desa_staff_get_an_issued_letter_as_a_pdf_and_nobody_else_does() {
    let server = server().await;
    let (person, letter) = issued_domisili(&server).await;
    let path = format!("/api/v1/staff/letters/issued/{}/pdf", letter.id);
    let client = reqwest::Client::new();
    let fetch = |token: Option<String>, query: &'static str| {
        let mut request = client.get(format!("{}{path}{query}", server.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };

    let own_staff = staff_login(&server.url, "sekdes.rumah", PASSWORD).await.token;
    let answer = fetch(Some(own_staff.clone()), "").await.expect("request");
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "application/pdf");
    let expected = format!("inline; filename=\"{}.pdf\"", letter.number.replace('/', "-"));
    assert_eq!(answer.headers()["content-disposition"], expected.as_str());
    let pdf = answer.bytes().await.expect("body");
    let read = read_back("issued-domisili", &pdf);
    assert!(read.text.contains(person.as_str()), "the full NIK: {}", read.text);
    assert!(read.text.contains(&letter.number) && read.text.contains("H. SUGENG RIYADI"));
    assert!(read.text.contains(&letter.id), "the footer names the letter: {}", read.text);
    assert!(!read.text.contains("SALINAN"));
    looks_like_a_page("issued-domisili", &read.images[0]);

    let copy = fetch(Some(own_staff.clone()), "?copy=1").await.expect("request");
    assert_eq!(copy.status(), 200);
    let read = read_back("issued-domisili-copy", &copy.bytes().await.expect("body"));
    assert!(read.text.contains("SALINAN"), "{}", read.text);
    assert_eq!(fetch(Some(own_staff), "?copy=maybe").await.expect("request").status(), 400);

    let other_staff = staff_login(&server.url, "sekdes.tetangga", PASSWORD).await.token;
    let refused = fetch(Some(other_staff.clone()), "").await.expect("request");
    assert_eq!(refused.status(), 404, "another desa's letter looks like none");
    let unknown = client
        .get(format!("{}/api/v1/staff/letters/issued/ZZZZZZZZZZ/pdf", server.url))
        .bearer_auth(&other_staff)
        .send()
        .await
        .expect("request");
    assert_eq!(unknown.status(), 404);
    assert_eq!(fetch(None, "").await.expect("request").status(), 401);

    let store = server.store.clone();
    let audit = blocking(move || {
        store.flush_audit();
        store.recent_audit(50).expect("audit")
    })
    .await;
    let served: Vec<&str> = audit
        .iter()
        .filter(|entry| entry.action == "letter_pdf" && entry.subject.contains(&letter.id))
        .map(|entry| entry.outcome.as_str())
        .collect();
    assert_eq!(served.len(), 2, "each PDF served is audited, nothing refused is: {served:?}");
    assert!(
        served.contains(&"unmasked_original") && served.contains(&"unmasked_copy"),
        "{served:?}"
    );
    assert!(audit.iter().all(|entry| !entry.subject.contains(person.as_str())), "NIK unaudited");
}

#[tokio::test]
async fn the_command_line_writes_the_pdf_for_the_desa_staff_only() {
    // A registry file the command opens by path (so on SQLite whatever the environment says).
    let dir = tempfile::tempdir().expect("temp dir");
    let database = dir.path().join("registry.sqlite3");
    let store = with_key_file(backend::Store::open(&database).expect("open"), dir.path());
    let summary =
        backend::demo::generate(&store, &backend::demo::DemoOptions { residents: 400, seed: 7 })
            .expect("demo data");
    let key = store.register_kiosk("BWI-TEST-PDF", None, 600).expect("kiosk");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(backend::serve(listener, store.clone()));
    let server = Server { url, store: store.clone(), summary, key };
    let (person, letter) = issued_domisili(&server).await;

    let out = dir.path().join("surat.pdf");
    let run = |user: &str| {
        Command::new(env!("CARGO_BIN_EXE_backend"))
            .args(["--database", database.to_str().expect("path"), "letter", "pdf"])
            .args(["--id", &letter.id, "--as", user, "--out", out.to_str().expect("path")])
            .args(["--secrets-key", dir.path().join("secrets.key").to_str().expect("path")])
            .env("USER", "tester")
            .env_remove("ANJUNGAN_DATABASE")
            .env_remove("ANJUNGAN_SECRETS_KEY")
            .output()
            .expect("run backend")
    };
    let refused = run("sekdes.tetangga");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("no letter"));
    assert!(!out.exists(), "nothing written for another desa's account");

    let written = run("sekdes.rumah");
    assert!(written.status.success(), "{}", String::from_utf8_lossy(&written.stderr));
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&out).expect("written").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "it holds the full NIK");
    let read = read_back("cli-domisili", &std::fs::read(&out).expect("read"));
    assert!(read.text.contains(person.as_str()) && read.text.contains(&letter.number));
    let audit = store.recent_audit(20).expect("audit");
    assert!(
        audit.iter().any(|entry| entry.action == "letter_pdf"
            && entry.actor == "staff:sekdes.rumah"
            && entry.subject == format!("letter:{} original", letter.id)),
        "{audit:?}"
    );
}
