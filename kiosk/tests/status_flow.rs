//! A citizen checks their bansos status on the kiosk and prints the slip: the whole path from
//! the on-screen keypad through a real central service on loopback to the ESC/POS bytes.
//!
//! One test per file: Slint's testing platform can be installed once per process.

mod common;

use std::time::Duration;

use common::*;
use hardware::printer::decode::decode;
use kiosk::ui::{Kiosk, Page};
use slint::ComponentHandle;

#[test]
fn citizen_checks_status_and_prints_slip() {
    let runtime = runtime();
    let (url, examples, key) = start_backend(&runtime);
    i_slint_backend_testing::init_integration_test_with_system_time();
    let (app, printer) = kiosk(&runtime, &url, key.clone());
    let page = {
        let weak = app.window.as_weak();
        move || weak.upgrade().map(|w| w.global::<Kiosk>().get_page())
    };

    tap(&app, "Cek Status Bansos");
    assert_eq!(page(), Some(Page::NikEntry));

    // Wrong numbers are explained on screen before anything is sent.
    for (typed, expected) in [
        ("351001120385000", "NIK harus 16 angka, yang dimasukkan 15 angka."),
        ("3510013102850001", "tanggal 31, bulan 2"),
        ("3510017203850001", "tanggal 72, bulan 3"),
        ("9910011203850001", "Kode provinsi 99 tidak dikenal"),
        ("3510991203850001", "Kode kecamatan 351099 tidak dikenal"),
    ] {
        tap(&app, "Hapus semua");
        type_digits(&app, typed);
        assert_eq!(value_of(&app, "nik-display").map(|v| v.replace(' ', "")), Some(typed.into()));
        tap(&app, "Periksa");
        let shown = value_of(&app, "entry-error").unwrap_or_default();
        assert!(shown.contains(expected), "for {typed}: {shown:?}");
        assert_eq!(page(), Some(Page::NikEntry));
    }

    // A valid NIK that is not registered is explained too, by the central service.
    tap(&app, "Hapus semua");
    type_digits(&app, "3510011203859999");
    tap(&app, "Periksa");
    let ui = app.window.as_weak();
    assert!(run_until(Duration::from_secs(10), move || {
        ui.upgrade().is_some_and(|w| !w.global::<Kiosk>().get_entry_error().is_empty())
    }));
    let not_found = value_of(&app, "entry-error").unwrap_or_default();
    assert!(
        not_found.contains("tidak ditemukan") || not_found.contains("tidak terdaftar"),
        "{not_found}"
    );

    // A registered person whose family receives assistance.
    let example = examples
        .iter()
        .find(|e| e.description.contains("PKH"))
        .expect("demo data has a PKH family");
    let expected = runtime
        .block_on(
            kiosk::client::BackendClient::new(
                &url,
                key.clone(),
                kiosk::client::Trust::PlainLoopback,
            )
            .expect("client")
            .status(&example.nik),
        )
        .expect("status over HTTP");
    assert!(expected.receives_any());

    tap(&app, "Hapus semua");
    type_digits(&app, example.nik.as_str());
    tap(&app, "Periksa");
    let page_now = page.clone();
    assert!(run_until(Duration::from_secs(10), move || page_now() == Some(Page::Result)));
    let headline = value_of(&app, "result-headline").unwrap_or_default();
    assert!(headline.contains("terdaftar sebagai penerima bantuan berikut"), "{headline}");
    let pkh = expected
        .household
        .programs
        .iter()
        .chain(&expected.person)
        .find(|m| m.program == "PKH")
        .expect("PKH on the status");
    assert!(shows(&app, &pkh.program_name.id), "PKH row on screen");
    let screen_text = format!("{:?}", app.window.global::<Kiosk>().get_subject_nik());
    assert!(!screen_text.contains(example.nik.as_str()), "the full NIK is never shown");

    // Print, and read back what the printer received.
    tap(&app, "Cetak Bukti");
    let ui = app.window.as_weak();
    assert!(run_until(Duration::from_secs(10), move || {
        ui.upgrade()
            .is_some_and(|w| w.global::<Kiosk>().get_print_state() == kiosk::ui::PrintState::Done)
    }));
    assert!(value_of(&app, "print-message").unwrap_or_default().contains("Silakan ambil"));
    let jobs = printer.jobs();
    assert_eq!(jobs.len(), 1, "one slip per tap");
    let bytes = &jobs[0];
    let slip = decode(bytes);
    let text = slip.text();
    assert!(text.contains("Bukti Cek Status Bansos"), "{text}");
    assert!(text.contains(&example.nik.masked()), "masked NIK on the slip:\n{text}");
    assert!(text.contains(&expected.name), "masked name on the slip:\n{text}");
    assert!(text.contains("Program Keluarga Harapan") || text.contains("PKH"), "{text}");
    assert!(text.contains(KIOSK_ID), "{text}");
    assert!(text.contains("WIB"), "date and time on the slip:\n{text}");
    assert_eq!(slip.qr_codes.len(), 1, "one QR code");
    assert!(
        slip.qr_codes[0].starts_with("ANJUNGAN/STATUS/1?kiosk=BWI-TEST-01"),
        "{:?}",
        slip.qr_codes
    );
    assert!(slip.qr_codes[0].contains(&example.nik.masked()));
    assert_eq!(slip.cuts, 1, "exactly one cut");
    assert!(
        !bytes.windows(16).any(|w| w == example.nik.as_str().as_bytes()),
        "the full NIK never reaches the printer"
    );

    // Done: back home, with nothing personal left behind.
    tap(&app, "Selesai");
    assert_eq!(page(), Some(Page::Home));
    assert!(app.with_session(|s| s.status.is_none() && s.digits.is_empty()));
    assert!(app.window.global::<Kiosk>().get_subject_name().is_empty());

    // A relative looks up a man recorded as deceased: the page says so, his own program
    // ended, without a date.
    let died = examples
        .iter()
        .find(|e| e.description.contains("meninggal dunia"))
        .expect("demo data has a deceased resident");
    tap(&app, "Cek Status Bansos");
    type_digits(&app, died.nik.as_str());
    tap(&app, "Periksa");
    let page_now = page.clone();
    assert!(run_until(Duration::from_secs(10), move || page_now() == Some(Page::Result)));
    assert_eq!(
        value_of(&app, "life-status-title").as_deref(),
        Some("Tercatat meninggal dunia di data kependudukan")
    );
    assert!(value_of(&app, "result-headline").is_none(), "no word on what he receives");
    let rows = app.window.global::<Kiosk>().get_rows();
    let incentive = (0..slint::Model::row_count(&rows))
        .filter_map(|i| slint::Model::row_data(&rows, i))
        .find(|row| row.program == "Insentif Guru Ngaji")
        .expect("his incentive is listed");
    assert_eq!(
        (incentive.who.as_str(), incentive.detail.as_str()),
        ("Yang bersangkutan", "berakhir")
    );
    tap(&app, "English");
    assert_eq!(
        value_of(&app, "life-status-title").as_deref(),
        Some("Recorded as deceased in the population register")
    );
    tap(&app, "Done");
    assert_eq!(app.window.global::<Kiosk>().get_life_status(), kiosk::ui::LifeStatus::Alive);
}
