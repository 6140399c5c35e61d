//! A visitor walks away in the middle of a report: after the idle timeout the kiosk asks
//! "Masih di sini?", counts down, and goes home with every personal datum gone from the
//! session and from every property the UI shows. A touch or "Lanjutkan" keeps the visit.
//!
//! Slint's mock clock drives the timers, so the test takes no real minute.
//! One test per file: Slint's testing platform can be installed once per process.

mod common;

use std::time::Duration;

use common::*;
use i_slint_backend_testing::mock_elapsed_time;
use kiosk::app::KioskApp;
use kiosk::ui::{Kiosk, Page, Theme};
use protocol::Lang;
use slint::{ComponentHandle, Model};

const TIMEOUT: Duration = Duration::from_secs(20);

fn seconds(app: &KioskApp, count: u64) {
    let _ = app;
    for _ in 0..count {
        mock_elapsed_time(Duration::from_secs(1));
    }
}

fn warning(app: &KioskApp) -> bool {
    app.window.global::<Kiosk>().get_idle_warning()
}

/// Every property that can hold something about a visitor, with its value now.
fn personal_properties(app: &KioskApp) -> Vec<(&'static str, String)> {
    let k = app.window.global::<Kiosk>();
    let rows = k.get_rows().iter().map(|r| format!("{}{}", r.program, r.who)).collect::<String>();
    vec![
        ("nik-display", k.get_nik_display().into()),
        ("entry-error", k.get_entry_error().into()),
        ("subject-name", k.get_subject_name().into()),
        ("subject-nik", k.get_subject_nik().into()),
        ("subject-place", k.get_subject_place().into()),
        ("kk-masked", k.get_kk_masked().into()),
        ("rows", rows),
        ("reporter-masked", k.get_reporter_masked().into()),
        ("report-subject-masked", k.get_report_subject_masked().into()),
        ("reason-text", k.get_reason_text().into()),
        ("phone-display", k.get_phone_display().into()),
        ("phone-error", k.get_phone_error().into()),
        ("free-text", k.get_free_text().into()),
        ("text-error", k.get_text_error().into()),
        ("outcome-title", k.get_outcome_title().into()),
        ("outcome-message", k.get_outcome_message().into()),
        ("ticket", k.get_ticket().into()),
        ("ticket-display", k.get_ticket_display().into()),
        ("ticket-error", k.get_ticket_error().into()),
        ("track-state", k.get_track_state().into()),
        ("track-reason", k.get_track_reason().into()),
        ("track-subject", k.get_track_subject().into()),
        ("track-updated", k.get_track_updated().into()),
        ("letter-name", k.get_letter_name().into()),
        ("print-message", k.get_print_message().into()),
        ("failure-title", k.get_failure_title().into()),
        ("failure-message", k.get_failure_message().into()),
    ]
}

#[test]
fn an_abandoned_visit_is_wiped_after_the_countdown() {
    let runtime = runtime();
    i_slint_backend_testing::init_integration_test_with_mock_time();
    // No central service is needed: nothing here is sent.
    let key = protocol::auth::KioskKey::new(KIOSK_ID, [1; 32]).expect("key");
    let (app, _printer) =
        kiosk_with(&runtime, "http://127.0.0.1:9", key, |services, mut settings| {
            settings.idle_timeout = TIMEOUT;
            (services, settings)
        });

    // Nobody at the kiosk: nothing to count down.
    seconds(&app, 120);
    assert!(!warning(&app));

    // A visitor in large text and English, half-way through a report about someone else.
    tap(&app, "Teks besar");
    tap(&app, "English");
    tap(&app, "Report");
    tap(&app, "Someone else");
    type_digits(&app, "3510011203850001");
    tap(&app, "Next");
    type_digits(&app, "3510015203850002");
    tap(&app, "Next");
    tap(&app, "Lost their job");
    type_digits(&app, "081234567890");
    tap(&app, "Next");
    type_text(&app, "SICK");
    assert_eq!(page_of(&app), Page::ReportText);
    // And an earlier status answer and tracked ticket still in memory.
    app.apply(|s| {
        s.status = Some(kiosk::screenshot::sample_status(true));
        s.track.digits = "00000001234".into();
    });
    let filled: Vec<_> =
        personal_properties(&app).into_iter().filter(|(_, v)| !v.is_empty()).collect();
    assert!(filled.len() >= 8, "the visit shows personal data: {filled:?}");

    // Not yet: a touch restarts the clock.
    seconds(&app, TIMEOUT.as_secs() - 2);
    assert!(!warning(&app));
    tap(&app, "Y");
    seconds(&app, TIMEOUT.as_secs() - 1);
    assert!(!warning(&app), "the clock restarted at the last key");
    seconds(&app, 1);
    assert!(warning(&app), "countdown after the timeout");
    assert_eq!(value_of(&app, "idle-countdown").as_deref(), Some("10"));
    seconds(&app, 3);
    assert_eq!(value_of(&app, "idle-countdown").as_deref(), Some("7"));

    // "Lanjutkan" ("Continue"): the visit goes on untouched.
    tap(&app, "Continue");
    assert!(!warning(&app));
    assert_eq!(app.with_session(|s| s.report.text.clone()), "Sicky");
    assert_eq!(page_of(&app), Page::ReportText);

    // Walked away for good: the countdown runs out.
    seconds(&app, TIMEOUT.as_secs());
    assert!(warning(&app));
    seconds(&app, 9);
    assert!(warning(&app), "one second left");
    assert_eq!(page_of(&app), Page::ReportText);
    seconds(&app, 1);
    assert!(!warning(&app));
    assert_eq!(page_of(&app), Page::Home);

    // Nothing of the visitor is left: not in the session...
    app.with_session(|s| {
        assert!(s.is_pristine());
        assert!(s.report.reporter.is_none() && s.report.subject.is_none());
        assert!(s.report.phone.is_empty() && s.report.text.is_empty());
        assert!(s.status.is_none() && s.track.digits.is_empty() && s.decision.is_none());
        assert_eq!(s.lang, Lang::Id);
    });
    // ...nor in any property of the UI, nor in the look the visitor chose.
    let left: Vec<_> =
        personal_properties(&app).into_iter().filter(|(_, v)| !v.is_empty()).collect();
    assert!(left.is_empty(), "personal data left on screen: {left:?}");
    let k = app.window.global::<Kiosk>();
    assert_eq!((k.get_nik_count(), k.get_ticket_count()), (0, 0));
    assert!(!k.get_english() && !k.get_staff_called());
    assert!(!app.window.global::<Theme>().get_large_text());
    assert!(shows(&app, "Cek Status Bansos"), "home, in Indonesian");

    // And the quiet kiosk stays quiet.
    seconds(&app, 120);
    assert!(!warning(&app));
}
