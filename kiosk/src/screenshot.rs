//! Renders every kiosk screen headless to PNG, in both languages, at the display sizes the
//! kiosks ship with. No display server is needed: Slint's testing platform with the software
//! renderer draws into memory.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use hardware::printer::Paper;
use hardware::printer::sim::MemoryPrinter;
use protocol::api::{
    HouseholdMember, HouseholdStatus, LifeStatus, Membership, MembershipState, Relation,
    ReportReason, ReportState, StatusResponse, TicketKind, TicketStatus,
};
use protocol::auth::KioskKey;
use protocol::ticket::Ticket;
use protocol::{Lang, Nik, Text};
use slint::ComponentHandle;
use time::UtcOffset;

use crate::app::{KioskApp, Services, Settings, build};
use crate::client::{BackendClient, ClientError, Trust};
use crate::session::letter::builtin_letters;
use crate::session::{Decision, EntryPurpose, LetterPrint, Printing, Screen, Session};

mod staff;

/// Display sizes to render, width x height in pixels.
pub const SIZES: [(u32, u32); 2] = [(1280, 800), (1024, 600)];

/// Installs Slint's headless platform with a real (software) renderer. Call once per process,
/// before any window exists. The testing platform is not part of the firmware: feature `tools`.
#[cfg(feature = "tools")]
pub fn init_headless() -> anyhow::Result<()> {
    let backend = i_slint_backend_testing::TestingBackend::new(
        i_slint_backend_testing::TestingBackendOptions {
            mock_time: true,
            threading: false,
            renderer_name: Some("software".into()),
        },
    );
    slint::platform::set_platform(Box::new(backend))
        .map_err(|error| anyhow::anyhow!("cannot install headless platform: {error:?}"))
}

/// Writes one PNG per screen, language and size into `dir`; returns the files written.
pub fn write_all(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let services = Services::new(
        // Screenshots never reach a backend; the key only has to be well-formed.
        BackendClient::new(
            "http://127.0.0.1:9",
            KioskKey::new("BWI-3510-0001", [0; 32])?,
            Trust::PlainLoopback,
        )?,
        Arc::new(Mutex::new(Box::new(MemoryPrinter::new(Paper::Mm58)))),
        runtime.handle().clone(),
    );
    let settings = Settings {
        kiosk_id: "BWI-3510-0001".into(),
        village_name: "Desa Bomo, Kecamatan Blimbingsari".into(),
        paper: Paper::Mm58,
        utc_offset: UtcOffset::from_hms(7, 0, 0)?,
        demo_hint: String::new(),
        idle_timeout: Settings::DEFAULT_IDLE_TIMEOUT,
    };
    let app = build(settings, services)?;
    let mut written = Vec::new();
    for (width, height) in SIZES {
        app.window.window().set_size(slint::PhysicalSize::new(width, height));
        app.window.show()?;
        for lang in [Lang::Id, Lang::En] {
            for (name, scene) in scenes() {
                app.apply(|session| {
                    session.reset();
                    session.lang = lang;
                    session.letter_types = builtin_letters().into();
                    scene(session);
                });
                let code = if lang == Lang::Id { "id" } else { "en" };
                let path = dir.join(format!("{name}-{code}-{width}x{height}.png"));
                snapshot(&app, &path)?;
                written.push(path);
            }
            // The idle countdown over a half-filled report.
            app.apply(|session| {
                session.reset();
                session.lang = lang;
                report_text(session);
            });
            app.show_idle_countdown();
            let code = if lang == Lang::Id { "id" } else { "en" };
            let path = dir.join(format!("40-idle-countdown-{code}-{width}x{height}.png"));
            snapshot(&app, &path)?;
            written.push(path);
            app.window.global::<crate::ui::Kiosk>().invoke_keep_visit();

            // Home as a pulled configuration sets it: a notice, four services in its order.
            app.apply(|session| {
                session.reset();
                session.lang = lang;
            });
            configure_fleet(&app, true);
            let path = dir.join(format!("01-home-configured-{code}-{width}x{height}.png"));
            snapshot(&app, &path)?;
            written.push(path);
            configure_fleet(&app, false);
        }
    }
    // Staff mode's pages, drawn by the staff screen's own functions (screenshot/staff.rs).
    written.extend(staff::write_all(&app, dir)?);
    Ok(written)
}

/// The `Fleet` global as a desa's configuration sets it, or as before any was pulled.
fn configure_fleet(app: &KioskApp, configured: bool) {
    let fleet = app.window.global::<crate::ui::Fleet>();
    let services: Vec<slint::SharedString> =
        ["status", "letter", "report", "help"].into_iter().map(Into::into).collect();
    fleet.set_services(slint::ModelRc::new(slint::VecModel::from(services)));
    let (id, en) = if configured {
        (
            "Balai desa tutup hari Jumat. Surat yang diajukan hari Kamis siap hari Senin.",
            "The village hall is closed on Fridays. Letters asked for on Thursday are ready on Monday.",
        )
    } else {
        ("", "")
    };
    fleet.set_notice_id(id.into());
    fleet.set_notice_en(en.into());
    fleet.set_configured(configured);
}

fn snapshot(app: &KioskApp, path: &Path) -> anyhow::Result<()> {
    let buffer = app.window.window().take_snapshot().context("take snapshot")?;
    let image =
        image::RgbaImage::from_raw(buffer.width(), buffer.height(), buffer.as_bytes().to_vec())
            .context("snapshot buffer size")?;
    image.save(path).with_context(|| format!("write {}", path.display()))
}

type Scene = fn(&mut Session);

/// Each screen in a state worth looking at.
pub fn scenes() -> Vec<(&'static str, Scene)> {
    vec![
        ("01-home", |_| {}),
        ("02-nik-entry", |s| s.screen = Screen::NikEntry),
        ("03-nik-typing", |s| {
            s.screen = Screen::NikEntry;
            s.digits = "35100152030".into();
        }),
        ("04-nik-invalid", |s| {
            s.screen = Screen::NikEntry;
            s.digits = "3510013102850001".into();
            let _ = s.submit();
        }),
        ("05-checking", |s| {
            s.screen = Screen::NikEntry;
            s.digits = "3510015203850002".into();
            s.busy = true;
        }),
        ("06-result", |s| {
            s.screen = Screen::Result;
            s.status = Some(sample_status(true));
        }),
        ("07-result-printed", |s| {
            s.screen = Screen::Result;
            s.status = Some(sample_status(true));
            s.printing = Printing::Done;
        }),
        ("08-result-none", |s| {
            s.screen = Screen::Result;
            s.status = Some(sample_status(false));
        }),
        ("08-result-died", |s| {
            s.screen = Screen::Result;
            s.status = Some(sample_died_status());
        }),
        ("09-failure", |s| {
            s.screen = Screen::Failure;
            s.failure = Some((
                Text::new("Layanan belum dapat digunakan", "Service not available"),
                ClientError::Unreachable(String::new()).text(),
            ));
        }),
        ("10-report-who", |s| s.screen = Screen::ReportWho),
        ("11-report-reporter-nik", |s| {
            s.report.about_self = false;
            s.ask_nik(EntryPurpose::Reporter, "3510011203850001");
        }),
        ("12-report-subject-nik-error", |s| {
            report_other(s);
            s.ask_nik(EntryPurpose::Subject, "3510011203850001");
            let _ = s.accept_nik();
        }),
        ("13-report-reason", |s| {
            report_other(s);
            s.screen = Screen::ReportReason;
        }),
        ("14-report-phone-error", |s| {
            report_other(s);
            s.screen = Screen::ReportPhone;
            for key in ["0", "3", "3", "1"] {
                s.phone_key(key);
            }
        }),
        ("15-report-text", report_text),
        ("16-report-confirm", |s| {
            report_text(s);
            s.screen = Screen::ReportConfirm;
        }),
        ("17-report-sending", |s| {
            report_text(s);
            s.screen = Screen::ReportConfirm;
            s.busy = true;
        }),
        ("18-report-verification", |s| {
            report_text(s);
            s.report.about_self = true;
            s.report.subject = None;
            s.decision = Some(Decision::Decided(sample_ticket(ReportState::Verification)));
            s.screen = Screen::ReportDone;
            s.printing = Printing::Done;
        }),
        ("19-report-rejected", |s| {
            report_text(s);
            s.decision = Some(Decision::Decided(sample_ticket(ReportState::Rejected)));
            s.screen = Screen::ReportDone;
            s.printing = Printing::Done;
        }),
        ("20-report-queued", |s| {
            report_text(s);
            s.decision = Some(Decision::Queued { ticket: sample_ticket_number(42) });
            s.screen = Screen::ReportDone;
            s.printing = Printing::Done;
        }),
        ("21-report-refused", |s| {
            report_text(s);
            s.decision = Some(Decision::Refused(Text::new(
                "NIK 3510********0002 tidak terdaftar di data kependudukan.",
                "NIK 3510********0002 is not in the population register.",
            )));
            s.screen = Screen::ReportDone;
        }),
        ("22-track-entry", |s| {
            s.screen = Screen::TrackEntry;
            for d in "0000000".chars() {
                s.ticket_key(&d.to_string());
            }
        }),
        ("23-track-check-digit", |s| {
            s.screen = Screen::TrackEntry;
            let digits: String =
                sample_ticket_number(0).to_string().chars().filter(char::is_ascii_digit).collect();
            for d in digits[..10].chars().chain(std::iter::once('0')) {
                s.ticket_key(&d.to_string());
            }
            if s.track.error.is_none() {
                s.ticket_key("back");
                s.ticket_key("1");
            }
        }),
        ("24-track-verification", |s| {
            s.show_ticket(
                sample_ticket(ReportState::Verification),
                Some(Text::new("23 November 2026 10.41 WIB", "23 November 2026 10:41 WIB")),
            );
        }),
        ("25-track-rejected", |s| {
            s.show_ticket(
                sample_ticket(ReportState::Rejected),
                Some(Text::new("23 November 2026 10.41 WIB", "23 November 2026 10:41 WIB")),
            );
        }),
        ("26-letter-type", |s| s.screen = Screen::LetterType),
        ("26-letter-type-catalogue", |s| {
            s.letter_types = sample_catalogue().into();
            s.screen = Screen::LetterType;
        }),
        ("27-letter-nik", |s| {
            s.choose_letter("sktm");
            for digit in "35100152".chars() {
                s.key(&digit.to_string());
            }
        }),
        ("27-letter-typed-notice", |s| {
            s.choose_letter("sktm");
            s.digits = "3510011203850001".into();
            let _ = s.accept_nik();
        }),
        ("27-letter-typed-notice-person", |s| {
            s.letter_types = sample_catalogue().into();
            s.choose_letter("domisili");
            s.digits = "3510011203850001".into();
            let _ = s.accept_nik();
        }),
        ("28-letter-purpose", letter_purpose),
        ("28-letter-field-text", |s| {
            card_letter(s, "usaha", &["PENGAJUAN KUR", "WARUNG MAKAN BU SITI"]);
        }),
        ("28-letter-field-optional", |s| {
            card_letter(s, "usaha", &["PENGAJUAN KUR", "WARUNG MAKAN BU SITI", "WARUNG MAKAN"]);
            s.submit_text();
        }),
        ("28-letter-field-date-error", |s| {
            card_letter(s, "kelahiran", &["AKTA KELAHIRAN", "PUTRI", "PEREMPUAN", "31022026"]);
            s.submit_text();
        }),
        ("28-letter-field-digits", |s| {
            card_letter(s, "kematian", &["AKTA KEMATIAN", "SUPARMI", "351001520345"]);
        }),
        ("29-letter-confirm", |s| {
            letter_purpose(s);
            s.screen = Screen::LetterConfirm;
        }),
        ("29-letter-confirm-fields", |s| {
            usaha_purpose(s);
            s.submit_text();
            type_keys(s, "WARUNG MAKAN BU SITI");
            s.submit_text();
            type_keys(s, "WARUNG MAKAN");
            s.submit_text();
            s.skip_letter_field();
        }),
        ("30-letter-done", |s| {
            letter_purpose(s);
            s.decision = Some(Decision::Decided(sample_letter_ticket(ReportState::Verification)));
            s.screen = Screen::LetterDone;
            s.printing = Printing::Done;
        }),
        ("30-letter-printing", |s| {
            letter_purpose(s);
            s.decision = Some(Decision::Decided(sample_letter_ticket(ReportState::Verified)));
            s.screen = Screen::LetterDone;
            s.letter_print = LetterPrint::Printing;
        }),
        ("30-letter-printed", |s| {
            letter_purpose(s);
            s.decision = Some(Decision::Decided(sample_letter_ticket(ReportState::Verified)));
            s.screen = Screen::LetterDone;
            s.letter_print = LetterPrint::Printed;
        }),
        ("30-letter-print-failed", |s| {
            letter_purpose(s);
            s.decision = Some(Decision::Decided(sample_letter_ticket(ReportState::Verified)));
            s.screen = Screen::LetterDone;
            s.letter_print = LetterPrint::Failed(ClientError::Unreachable(String::new()).text());
            s.printing = Printing::Done;
        }),
        ("30-letter-queued", |s| {
            letter_purpose(s);
            s.decision = Some(Decision::Queued { ticket: sample_ticket_number(42) });
            s.screen = Screen::LetterDone;
            s.printing = Printing::Done;
        }),
        ("30-letter-refused", |s| {
            letter_purpose(s);
            s.decision = Some(Decision::Decided(sample_letter_ticket(ReportState::Rejected)));
            s.screen = Screen::LetterDone;
            s.printing = Printing::Done;
        }),
        ("30-track-letter", |s| {
            s.show_ticket(
                sample_letter_ticket(ReportState::Scheduled),
                Some(Text::new("24 November 2026 09.15 WIB", "24 November 2026 09:15 WIB")),
            );
        }),
        ("30-track-letter-issued", |s| {
            s.show_ticket(
                sample_letter_ticket(ReportState::Verified),
                Some(Text::new("24 November 2026 09.15 WIB", "24 November 2026 09:15 WIB")),
            );
        }),
        ("30-track-letter-printed", |s| {
            s.show_ticket(
                sample_letter_ticket(ReportState::Verified),
                Some(Text::new("24 November 2026 09.15 WIB", "24 November 2026 09:15 WIB")),
            );
            s.letter_print = LetterPrint::Printed;
        }),
        ("31-help", |s| s.screen = Screen::Help),
        ("32-help-called", |s| {
            s.screen = Screen::Help;
            s.staff_called = true;
        }),
        ("33-home-large-contrast", |s| {
            s.large_text = true;
            s.high_contrast = true;
        }),
        ("34-report-confirm-large-contrast", |s| {
            report_text(s);
            s.screen = Screen::ReportConfirm;
            s.large_text = true;
            s.high_contrast = true;
        }),
        ("35-result-large", |s| {
            s.screen = Screen::Result;
            s.status = Some(sample_status(true));
            s.large_text = true;
        }),
        ("36-report-text-large-contrast", |s| {
            report_text(s);
            s.large_text = true;
            s.high_contrast = true;
        }),
    ]
}

fn nik(digits: &str) -> Option<Nik> {
    Nik::parse(digits).ok()
}

/// A report about someone else, up to the reason.
fn report_other(s: &mut Session) {
    s.report.about_self = false;
    s.report.reporter = nik("3510011203850001");
    s.report.subject = nik("3510015203850002");
    s.report.reason = Some(ReportReason::IncomeStopped);
}

/// A report about someone else, typing its description.
fn report_text(s: &mut Session) {
    report_other(s);
    s.report.phone = "081234567890".into();
    s.screen = Screen::ReportText;
    for key in "SEJAK MARET TIDAK ADA PEMASUKAN. ANAK TIGA MASIH SEKOLAH".chars() {
        let key = if key == ' ' { "space".to_string() } else { key.to_string() };
        s.text_key(&key);
    }
}

/// Keys of the keyboard or the number pad, as a visitor presses them.
fn type_keys(s: &mut Session, keys: &str) {
    for key in keys.chars() {
        let key = if key == ' ' { "space".to_string() } else { key.to_string() };
        s.text_key(&key);
    }
}

fn letter_purpose(s: &mut Session) {
    s.choose_letter("sktm");
    s.letter.applicant = nik("3510011203850001");
    s.screen = Screen::LetterPurpose;
    type_keys(s, "KERINGANAN BIAYA SEKOLAH ANAK");
}

/// A business certificate from the catalogue, its NIK read from the e-KTP, purpose typed.
fn usaha_purpose(s: &mut Session) {
    card_letter(s, "usaha", &["PENGAJUAN KUR"]);
}

/// A letter type of the catalogue, its NIK read from the e-KTP, then `answers` typed one
/// page each (the purpose first), the last left on its page unsent.
fn card_letter(s: &mut Session, code: &str, answers: &[&str]) {
    s.letter_types = sample_catalogue().into();
    s.choose_letter(code);
    s.digits = "3510011203850001".into();
    s.digits_entry = protocol::api::NikEntry::Card;
    let _ = s.accept_nik();
    for (index, answer) in answers.iter().enumerate() {
        if index > 0 {
            s.submit_text();
        }
        type_keys(s, answer);
    }
}

/// A catalogue as the central service pushes it (backend/letters.toml's types, names and
/// notes; fields of the types the screens show).
pub fn sample_catalogue() -> Vec<protocol::letter::LetterType> {
    let types = serde_json::from_str(SAMPLE_CATALOGUE);
    types.unwrap_or_else(|error| panic!("the sample catalogue is valid JSON: {error}"))
}

const SAMPLE_CATALOGUE: &str = r#"[
 {"code":"sktm","name":{"id":"Surat Keterangan Tidak Mampu (SKTM)","en":"Certificate of low income (SKTM)"},
  "note":{"id":"Untuk kepala keluarga. Terbit langsung bila keluarga tercatat miskin (desil 1-4 atau penerima bansos); selain itu diperiksa petugas desa.","en":"For the head of the family. Issued at once when the family is recorded as poor (decile 1-4 or a bansos recipient); otherwise the village staff check it."},
  "applicant":"head_of_family",
  "fields":[{"key":"purpose","label":{"id":"Keperluan","en":"Purpose"},"hint":{"id":"misalnya: syarat beasiswa sekolah","en":"e.g. school scholarship requirement"},"max":200}]},
 {"code":"domisili","name":{"id":"Surat Keterangan Domisili","en":"Certificate of residence"},
  "fields":[{"key":"purpose","label":{"id":"Keperluan","en":"Purpose"},"hint":{"id":"misalnya: melamar pekerjaan","en":"e.g. job application"},"max":200}]},
 {"code":"usaha","name":{"id":"Surat Keterangan Usaha","en":"Business certificate"},
  "note":{"id":"Diperiksa petugas desa sebelum terbit.","en":"The village staff check it before it is issued."},
  "fields":[
   {"key":"business_name","label":{"id":"Nama usaha","en":"Business name"},"hint":{"id":"misalnya: Warung Makan Bu Siti","en":"e.g. Bu Siti's food stall"},"max":80},
   {"key":"business_kind","label":{"id":"Jenis usaha","en":"Kind of business"},"hint":{"id":"misalnya: warung makan","en":"e.g. food stall"},"max":80},
   {"key":"business_address","label":{"id":"Alamat usaha","en":"Business address"},"hint":{"id":"kosongkan bila sama dengan alamat rumah","en":"leave empty if it is the home address"},"max":120,"required":false},
   {"key":"purpose","label":{"id":"Keperluan","en":"Purpose"},"hint":{"id":"misalnya: pengajuan KUR","en":"e.g. micro-credit application"},"max":200}]},
 {"code":"pengantar_skck","name":{"id":"Surat Pengantar SKCK","en":"Police record (SKCK) cover letter"},
  "fields":[{"key":"purpose","label":{"id":"Keperluan","en":"Purpose"},"max":200}]},
 {"code":"belum_menikah","name":{"id":"Surat Keterangan Belum Pernah Menikah","en":"Certificate of never having married"},
  "note":{"id":"Terbit langsung bila data desa mencatat Anda belum kawin; selain itu diperiksa petugas desa.","en":"Issued at once when the village records show you as not married; otherwise the village staff check it."},
  "fields":[{"key":"purpose","label":{"id":"Keperluan","en":"Purpose"},"max":200}]},
 {"code":"pengantar_nikah","name":{"id":"Surat Pengantar Nikah (N1)","en":"Marriage cover letter (N1)"},
  "note":{"id":"Diperiksa petugas desa sebelum terbit. Bawa KTP dan KK ke kantor desa.","en":"The village staff check it before it is issued. Bring your KTP and KK to the village office."},
  "fields":[{"key":"purpose","label":{"id":"Keperluan","en":"Purpose"},"max":200}]},
 {"code":"kelahiran","name":{"id":"Surat Keterangan Kelahiran","en":"Birth certificate statement"},
  "note":{"id":"Diperiksa petugas desa sebelum terbit.","en":"The village staff check it before it is issued."},
  "fields":[
   {"key":"child_name","label":{"id":"Nama bayi","en":"Baby's name"},"max":80},
   {"key":"child_sex","label":{"id":"Jenis kelamin bayi","en":"Baby's sex"},"hint":{"id":"Laki-laki atau Perempuan","en":"Laki-laki (boy) or Perempuan (girl)"},"max":12},
   {"key":"birth_date","label":{"id":"Tanggal lahir","en":"Date of birth"},"kind":"date","max":10},
   {"key":"birth_place","label":{"id":"Tempat lahir","en":"Place of birth"},"hint":{"id":"misalnya: Puskesmas Singojuruh","en":"e.g. Singojuruh health centre"},"max":80},
   {"key":"purpose","label":{"id":"Keperluan","en":"Purpose"},"hint":{"id":"misalnya: pembuatan akta kelahiran","en":"e.g. birth certificate application"},"max":200}]},
 {"code":"kematian","name":{"id":"Surat Keterangan Kematian","en":"Death certificate statement"},
  "note":{"id":"Dilaporkan oleh anggota keluarga. Diperiksa petugas desa sebelum terbit.","en":"Reported by a family member. The village staff check it before it is issued."},
  "fields":[
   {"key":"deceased_name","label":{"id":"Nama yang meninggal","en":"Name of the deceased"},"max":80},
   {"key":"deceased_nik","label":{"id":"NIK yang meninggal","en":"NIK of the deceased"},"kind":"digits","max":16},
   {"key":"death_date","label":{"id":"Tanggal meninggal","en":"Date of death"},"kind":"date","max":10},
   {"key":"purpose","label":{"id":"Keperluan","en":"Purpose"},"max":200}]},
 {"code":"penghasilan_ortu","name":{"id":"Surat Keterangan Penghasilan Orang Tua","en":"Parents' income statement"},
  "note":{"id":"Penghasilan yang Anda sebutkan diperiksa petugas desa sebelum surat terbit.","en":"The village staff check the income you state before the letter is issued."},
  "fields":[{"key":"purpose","label":{"id":"Keperluan","en":"Purpose"},"max":200}]},
 {"code":"keterangan_umum","name":{"id":"Surat Keterangan Umum","en":"General certificate"},
  "note":{"id":"Diperiksa petugas desa sebelum terbit.","en":"The village staff check it before it is issued."},
  "fields":[{"key":"purpose","label":{"id":"Keperluan","en":"Purpose"},"max":200}]}
]"#;

fn sample_ticket_number(issuer: u16) -> Ticket {
    Ticket::new(issuer, 123).unwrap_or_else(|_| Ticket::new(0, 0).expect("ticket 0"))
}

/// A ticket as the central service answers it, for the screens and slips.
pub fn sample_ticket(state: ReportState) -> TicketStatus {
    let reason = (state == ReportState::Rejected).then(|| {
        Text::new(
            "Keluarga orang ini sudah menerima bantuan dari program pusat (satu KK).",
            "This person's family already receives assistance from a central program (one KK).",
        )
    });
    TicketStatus {
        ticket: sample_ticket_number(0),
        kind: TicketKind::Report,
        letter: None,
        state,
        reason,
        subject: "3510********0002".into(),
        updated_at: "2026-11-23T03:41:00Z".into(),
    }
}

/// A letter request's ticket as the central service answers it.
pub fn sample_letter_ticket(state: ReportState) -> TicketStatus {
    let reason = (state == ReportState::Rejected).then(|| {
        Text::new(
            "Surat keterangan dibuat oleh desa tempat Anda terdaftar (Desa Bomo, Kecamatan Blimbingsari). Ajukan di anjungan atau kantor desa tersebut.",
            "The certificate is made by the village you are registered in (Desa Bomo, Kecamatan Blimbingsari). Please ask at that village's kiosk or office.",
        )
    });
    TicketStatus {
        ticket: sample_ticket_number(42),
        kind: TicketKind::Letter,
        letter: Some(protocol::letter::LetterKind::Sktm.code()),
        state,
        reason,
        subject: "3510********0001".into(),
        updated_at: "2026-11-24T02:15:00Z".into(),
    }
}

fn active(program: &str, id: &str, en: &str, component: Option<&str>) -> Membership {
    Membership {
        program: program.into(),
        program_name: Text::new(id, en),
        component: component.map(Into::into),
        component_name: component.map(|_| Text::new("ibu hamil", "pregnant mother")),
        state: MembershipState::Active,
        since: "2020-05-06".into(),
    }
}

/// A pregnant woman in a PKH household whose husband receives nothing personally and whose
/// father-in-law teaches Quran: every kind of line the result screen can show.
pub fn sample_status(receives: bool) -> StatusResponse {
    let nik = Nik::parse("3510255203850002").map(|n| n.masked()).unwrap_or_default();
    let (person, household, members) = if receives {
        (
            vec![],
            vec![
                active(
                    "PKH",
                    "Program Keluarga Harapan (PKH)",
                    "Family Hope Program (PKH)",
                    Some("ibu_hamil"),
                ),
                active(
                    "APBD_SEMBAKO",
                    "Paket Sembako APBD Banyuwangi",
                    "Banyuwangi food package (APBD)",
                    None,
                ),
            ],
            vec![HouseholdMember {
                name: "S****** H*****".into(),
                relation: Relation::Parent,
                programs: vec![active(
                    "GURU_NGAJI",
                    "Insentif Guru Ngaji",
                    "Quran teacher incentive",
                    None,
                )],
            }],
        )
    } else {
        (vec![], vec![], vec![])
    };
    StatusResponse {
        nik,
        name: "S*** A*****".into(),
        district: "Blimbingsari".into(),
        village: "Bomo".into(),
        person,
        household: HouseholdStatus { kk: "3510********0007".into(), programs: household, members },
        checked_at: "2026-11-23T03:41:00Z".into(),
        life_status: LifeStatus::Alive,
        detail: Default::default(),
    }
}

/// A Quran teacher recorded as deceased: his incentive ended (no date: the service keeps it
/// back), his widow's family still receives BPNT.
pub fn sample_died_status() -> StatusResponse {
    let ended = Membership {
        state: MembershipState::Ended,
        since: String::new(),
        ..active("GURU_NGAJI", "Insentif Guru Ngaji", "Quran teacher incentive", None)
    };
    let bpnt =
        active("BPNT", "Bantuan Pangan Non Tunai (BPNT/Sembako)", "Non-cash food aid (BPNT)", None);
    StatusResponse {
        nik: Nik::parse("3510251203650003").map(|n| n.masked()).unwrap_or_default(),
        name: "S***** H*****".into(),
        person: vec![ended],
        household: HouseholdStatus {
            kk: "3510********0011".into(),
            programs: vec![bpnt],
            members: vec![HouseholdMember {
                name: "T**** R******".into(),
                relation: Relation::Spouse,
                programs: vec![],
            }],
        },
        life_status: LifeStatus::Died,
        detail: Default::default(),
        ..sample_status(false)
    }
}
