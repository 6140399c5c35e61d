//! A letter's own fields, in English on the small 1024x600 screen: the business certificate
//! asks the business's name and kind (required: an empty answer is refused with the field's
//! own rule) and its address (optional: skipped), lists the answers before it is sent, and
//! the central service files exactly those; a birth statement's date typed wrong is refused
//! in the visitor's language, in Indonesian too after switching.
//!
//! One test per file: Slint's testing platform can be installed once per process.

mod common;

use backend::letters::LetterCatalogue;
use common::*;
use hardware::printer::decode::decode;
use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use kiosk::app::KioskApp;
use kiosk::ui::Page;
use slint::ComponentHandle;

const HEIGHT: f32 = 600.0;

/// Whether the button labelled `label` lies wholly inside the 1024x600 window.
fn button_on_screen(app: &KioskApp, label: &str) -> bool {
    ElementHandle::find_by_accessible_label(&app.window, label)
        .filter(|e| e.accessible_role() == Some(AccessibleRole::Button))
        .any(|e| {
            let (at, size) = (e.absolute_position(), e.size());
            at.y >= 0.0 && at.y + size.height <= HEIGHT && at.x + size.width <= 1024.0
        })
}

#[test]
fn a_letters_fields_are_asked_checked_skipped_and_filed_in_english_on_a_small_screen() {
    let runtime = runtime();
    let (url, examples, key, store) = start_backend_with_store(&runtime);
    i_slint_backend_testing::init_integration_test_with_system_time();
    let (app, printer) = kiosk(&runtime, &url, key);
    app.window.window().set_size(slint::PhysicalSize::new(1024, 600));
    app.set_letters(LetterCatalogue::builtin().for_kiosks());
    let person = examples
        .iter()
        .find(|e| e.description.contains("tidak menerima bantuan"))
        .expect("an uncovered resident");

    tap(&app, "English");
    tap(&app, "Letters");
    tap(&app, "Business certificate");
    type_digits(&app, person.nik.as_str());
    tap(&app, "Next");
    assert_eq!(
        value_of(&app, "typed-title").as_deref(),
        Some("NIK typed: the letter cannot be printed at once.")
    );
    assert!(button_on_screen(&app, "Next") && button_on_screen(&app, "Back"));
    tap(&app, "Next");
    assert_eq!(value_of(&app, "text-title").as_deref(), Some("What is the letter for?"));
    type_text(&app, "KUR APPLICATION");
    tap(&app, "Next");

    // The business's name: required, so an empty answer is refused by the field's rule.
    assert_eq!(page_of(&app), Page::LetterFieldText);
    assert_eq!(value_of(&app, "text-title").as_deref(), Some("Business name"));
    tap(&app, "Next");
    assert_eq!(value_of(&app, "text-error").as_deref(), Some("Business name is required."));
    assert!(!shows(&app, "Skip"), "a required field cannot be skipped");
    type_text(&app, "WARUNG BU SITI");
    tap(&app, "Next");
    assert_eq!(value_of(&app, "text-title").as_deref(), Some("Kind of business"));
    type_text(&app, "WARUNG MAKAN");
    tap(&app, "Next");
    // The address: optional, skipped.
    assert_eq!(value_of(&app, "text-title").as_deref(), Some("Business address (optional)"));
    assert!(button_on_screen(&app, "Skip") && button_on_screen(&app, "Next"));
    tap(&app, "Skip");

    assert_eq!(page_of(&app), Page::LetterConfirm);
    assert_eq!(value_of(&app, "confirm-letter").as_deref(), Some("Business certificate"));
    assert_eq!(value_of(&app, "confirm-applicant"), Some(person.nik.masked()));
    assert_eq!(value_of(&app, "confirm-purpose").as_deref(), Some("Kur application"));
    assert_eq!(value_of(&app, "confirm-business_name").as_deref(), Some("Warung bu siti"));
    assert_eq!(value_of(&app, "confirm-business_kind").as_deref(), Some("Warung makan"));
    assert_eq!(value_of(&app, "confirm-business_address").as_deref(), Some("(not given)"));
    assert!(button_on_screen(&app, "Submit"), "the buttons stay on a 600-pixel screen");
    tap(&app, "Submit");
    assert!(wait_for_page(&app, Page::LetterDone), "the central service answers");
    assert_eq!(value_of(&app, "outcome-title").as_deref(), Some("Letter request received"));
    let ticket = value_of(&app, "ticket").expect("a ticket");
    assert!(wait_for_print(&app), "the slip is printed");
    let slip = decode(printer.jobs().last().expect("a print job")).text().replace('\n', " ");
    assert!(slip.contains("Business certificate") && slip.contains("Bring your KTP"), "{slip}");
    assert!(!slip.contains(person.nik.as_str()), "{slip}");

    // Filed with exactly what was answered, the skipped address left empty.
    let filed = store.letter_request(&ticket).expect("store").expect("filed");
    assert_eq!(filed.purpose, "Kur application");
    let answers: Vec<(&str, &str)> = filed
        .fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    assert_eq!(
        answers,
        [
            ("business_kind", "Warung makan"),
            ("business_name", "Warung bu siti"),
            ("purpose", "Kur application")
        ]
    );
    assert!(filed.fields.get("business_address").is_none_or(String::is_empty));
    tap(&app, "Done");

    // A date typed wrong: the field's rule says why, in the visitor's language.
    tap(&app, "English"); // "Done" forgot the last visitor's choice.
    tap(&app, "Letters");
    // Ten letters do not fit 600 pixels: the page says so, and the list slides.
    assert!(!shows(&app, "Birth certificate statement"), "out of sight at first");
    assert!(shows(&app, "Slide the list up to see more letters."));
    let first = ElementHandle::find_by_accessible_label(&app.window, "Business certificate")
        .next()
        .expect("a letter in view");
    first.scroll(0.0, -300.0);
    tap(&app, "Birth certificate statement");
    type_digits(&app, person.nik.as_str());
    tap(&app, "Next");
    tap(&app, "Next");
    type_text(&app, "AKTA KELAHIRAN");
    tap(&app, "Next");
    type_text(&app, "PUTRI");
    tap(&app, "Next");
    type_text(&app, "PEREMPUAN");
    tap(&app, "Next");
    assert_eq!(page_of(&app), Page::LetterFieldNumber, "a date on the number pad");
    assert_eq!(value_of(&app, "field-title").as_deref(), Some("Date of birth"));
    type_digits(&app, "31022026");
    assert_eq!(value_of(&app, "field-display").as_deref(), Some("31-02-2026"));
    tap(&app, "Next");
    assert_eq!(
        value_of(&app, "text-error").as_deref(),
        Some("Date of birth: 31-02-2026 is not a day of the calendar.")
    );
    assert!(button_on_screen(&app, "Next") && button_on_screen(&app, "Back"));
    tap(&app, "Bahasa Indonesia");
    assert_eq!(
        value_of(&app, "text-error").as_deref(),
        Some("Tanggal lahir: tanggal 31-02-2026 tidak ada di kalender.")
    );
    tap(&app, "Hapus semua");
    type_digits(&app, "07122025");
    tap(&app, "Lanjut");
    assert_eq!(value_of(&app, "text-title").as_deref(), Some("Tempat lahir"));
}
