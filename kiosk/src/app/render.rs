//! Draws the session onto the window. Everything visible comes from here, and every
//! property is set on every call, so a reset session leaves nothing personal on screen.

use protocol::api::{NikEntry, TicketKind};
use protocol::letter::{FieldKind, LetterType};
use protocol::{Lang, Nik, Text};
use slint::{ComponentHandle, Model, ModelRc, SharedString, VecModel};

use crate::present::{
    date_from_iso, decision_text, letter_print_text, letter_printable, number, program_lines,
    reason_text, state_detail, state_headline, state_is_good,
};
use crate::session::letter::{date_display, other_fields};
use crate::session::report::group_phone;
use crate::session::text::TextLimit;
use crate::session::track::{TICKET_DIGITS, ticket_display};
use crate::session::{Decision, EntryPurpose, LetterPrint, Printing, Screen, Session};
use crate::ui::{
    AnswerRow, AppWindow, Kiosk, LetterPair, LetterRow, Outcome, Page, PrintState, ProgramRow,
    Theme,
};

fn page(session: &Session) -> Page {
    match session.screen {
        Screen::Home => Page::Home,
        Screen::NikEntry => Page::NikEntry,
        Screen::Result => Page::Result,
        Screen::Failure => Page::Failure,
        Screen::ReportWho => Page::ReportWho,
        Screen::ReportReason => Page::ReportReason,
        Screen::ReportPhone => Page::ReportPhone,
        Screen::ReportText => Page::ReportText,
        Screen::ReportConfirm => Page::ReportConfirm,
        Screen::ReportDone => Page::ReportDone,
        Screen::TrackEntry => Page::TrackEntry,
        Screen::TrackResult => Page::TrackResult,
        Screen::LetterType => Page::LetterType,
        Screen::LetterNotice => Page::LetterNotice,
        Screen::LetterPurpose => Page::LetterPurpose,
        // Words on the keyboard, digits and dates on the number pad.
        Screen::LetterField => match session.letter.current_field().map(|field| field.kind) {
            Some(FieldKind::Digits | FieldKind::Date) => Page::LetterFieldNumber,
            _ => Page::LetterFieldText,
        },
        Screen::LetterConfirm => Page::LetterConfirm,
        Screen::LetterDone => Page::LetterDone,
        Screen::Help => Page::Help,
    }
}

fn purpose(purpose: EntryPurpose) -> crate::ui::EntryPurpose {
    match purpose {
        EntryPurpose::Status => crate::ui::EntryPurpose::Status,
        EntryPurpose::Reporter => crate::ui::EntryPurpose::Reporter,
        EntryPurpose::Subject => crate::ui::EntryPurpose::Subject,
        EntryPurpose::Letter => crate::ui::EntryPurpose::Letter,
    }
}

/// Draws the session onto the window.
pub fn render(window: &AppWindow, session: &Session) {
    let lang = session.lang;
    let kiosk = window.global::<Kiosk>();
    let _ = slint::select_bundled_translation(if lang == Lang::En { "en" } else { "" });
    kiosk.set_english(lang == Lang::En);
    let theme = window.global::<Theme>();
    theme.set_large_text(session.large_text);
    theme.set_high_contrast(session.high_contrast);
    kiosk.set_page(page(session));
    kiosk.set_entry_purpose(purpose(session.purpose));
    kiosk.set_nik_display(session.grouped_digits().into());
    kiosk.set_nik_count(session.digits.len() as i32);
    kiosk.set_busy(session.busy);
    kiosk.set_entry_error(text(session.entry_error.as_ref(), lang));

    render_status(&kiosk, session);
    render_report(&kiosk, session);
    render_track(&kiosk, session);
    render_letter(&kiosk, session);
    kiosk.set_staff_called(session.staff_called);

    let (state, message) = match &session.printing {
        Printing::Idle => (PrintState::Idle, None),
        Printing::Printing => {
            (PrintState::Printing, Some(Text::new("Mencetak bukti…", "Printing the slip…")))
        }
        Printing::Done => (
            PrintState::Done,
            Some(Text::new(
                "Bukti sudah dicetak. Silakan ambil di bawah layar.",
                "The slip has been printed. Please take it below the screen.",
            )),
        ),
        Printing::Failed(reason) => (PrintState::Failed, Some(reason.clone())),
    };
    kiosk.set_print_state(state);
    kiosk.set_print_message(text(message.as_ref(), lang));

    let (title, message) = match &session.failure {
        Some((title, message)) => (Some(title), Some(message)),
        None => (None, None),
    };
    kiosk.set_failure_title(text(title, lang));
    kiosk.set_failure_message(text(message, lang));
}

fn render_status(kiosk: &Kiosk<'_>, session: &Session) {
    let lang = session.lang;
    match &session.status {
        Some(status) => {
            kiosk.set_subject_name(status.name.clone().into());
            kiosk.set_subject_nik(status.nik.clone().into());
            kiosk.set_kk_masked(status.household.kk.clone().into());
            kiosk.set_subject_place(format!("{}, {}", status.village, status.district).into());
            kiosk.set_receives_any(status.receives_any());
            kiosk.set_life_status(life_status(status.life_status));
            let lines: Vec<ProgramRow> = program_lines(status, lang)
                .into_iter()
                .map(|line| ProgramRow {
                    who: line.who.into(),
                    program: line.program.into(),
                    detail: line.detail.into(),
                    active: line.active,
                })
                .collect();
            set_rows(kiosk, lines);
        }
        None => {
            for setter in [
                Kiosk::set_subject_name,
                Kiosk::set_subject_nik,
                Kiosk::set_kk_masked,
                Kiosk::set_subject_place,
            ] {
                setter(kiosk, SharedString::new());
            }
            kiosk.set_receives_any(false);
            kiosk.set_life_status(crate::ui::LifeStatus::Alive);
            set_rows(kiosk, Vec::new());
        }
    }
}

fn life_status(status: protocol::api::LifeStatus) -> crate::ui::LifeStatus {
    use protocol::api::LifeStatus;
    match status {
        LifeStatus::Alive => crate::ui::LifeStatus::Alive,
        LifeStatus::Died => crate::ui::LifeStatus::Died,
        LifeStatus::MovedAway => crate::ui::LifeStatus::MovedAway,
        LifeStatus::Missing => crate::ui::LifeStatus::Missing,
        LifeStatus::Other => crate::ui::LifeStatus::Other,
    }
}

fn masked(nik: Option<&Nik>) -> SharedString {
    nik.map(|n| n.masked().into()).unwrap_or_default()
}

fn render_report(kiosk: &Kiosk<'_>, session: &Session) {
    let lang = session.lang;
    let report = &session.report;
    kiosk.set_report_self(report.about_self);
    // The reporter's NIK, or the letter applicant's: the confirm pages show one of them.
    let applicant = if session.screen == Screen::LetterConfirm {
        session.letter.applicant.as_ref()
    } else {
        report.reporter.as_ref()
    };
    kiosk.set_reporter_masked(masked(applicant));
    kiosk.set_report_subject_masked(masked(report.subject.as_ref()));
    kiosk.set_reason(match report.reason {
        None => crate::ui::Reason::None,
        Some(protocol::api::ReportReason::LostJob) => crate::ui::Reason::LostJob,
        Some(protocol::api::ReportReason::IncomeStopped) => crate::ui::Reason::IncomeStopped,
        Some(protocol::api::ReportReason::Illness) => crate::ui::Reason::Illness,
        Some(protocol::api::ReportReason::ElderlyAlone) => crate::ui::Reason::ElderlyAlone,
        Some(protocol::api::ReportReason::Other) => crate::ui::Reason::Other,
    });
    kiosk.set_reason_text(
        report.reason.map(|r| reason_text(r).get(lang).to_string()).unwrap_or_default().into(),
    );
    kiosk.set_phone_display(group_phone(&report.phone).into());
    kiosk.set_phone_error(text(report.phone_error.as_ref(), lang));

    // The keyboard page edits the report's text, the letter's purpose or a letter's field;
    // the number pad a letter's digits or date.
    let (free_text, limit) = match session.screen {
        Screen::LetterPurpose | Screen::LetterConfirm | Screen::LetterDone => {
            (session.letter.purpose.as_str(), TextLimit::LETTER_PURPOSE)
        }
        Screen::LetterField => {
            let limit = match session.letter.current_field() {
                Some(field) if field.kind == FieldKind::Date => TextLimit(8),
                Some(field) => TextLimit(usize::from(field.max)),
                None => TextLimit(0),
            };
            (session.letter.current_input(), limit)
        }
        _ => (report.text.as_str(), TextLimit::REPORT),
    };
    kiosk.set_free_text(free_text.into());
    kiosk.set_text_counter(
        format!(
            "{}/{}",
            number(free_text.chars().count() as u64, lang),
            number(limit.0 as u64, lang)
        )
        .into(),
    );
    kiosk.set_text_error(text(session.text_error.as_ref(), lang));

    let outcome = match &session.decision {
        None => Outcome::None,
        Some(Decision::Decided(status)) if state_is_good(status.state) => Outcome::Verification,
        Some(Decision::Decided(_)) => Outcome::Rejected,
        Some(Decision::Queued { .. }) => Outcome::Queued,
        Some(Decision::Refused(_)) => Outcome::Refused,
    };
    kiosk.set_outcome(outcome);
    // An issued letter: how its printing went says more than the decision.
    let printed = (session.screen == Screen::LetterDone)
        .then(|| letter_print_text(&session.letter_print))
        .flatten();
    let (title, message) = match (&session.decision, printed) {
        (_, Some((title, message))) => (title.get(lang).into(), message.get(lang).into()),
        (Some(decision), None) => {
            let (title, message) = decision_text(decision, session.submission_kind());
            (title.get(lang).into(), message.get(lang).into())
        }
        (None, None) => (SharedString::new(), SharedString::new()),
    };
    kiosk.set_outcome_title(title);
    kiosk.set_outcome_message(message);
    let ticket = session.decision.as_ref().and_then(Decision::ticket).or(session.track.ticket);
    kiosk.set_ticket(ticket.map(|t| t.to_string().into()).unwrap_or_default());
}

fn render_track(kiosk: &Kiosk<'_>, session: &Session) {
    let lang = session.lang;
    let track = &session.track;
    kiosk.set_ticket_display(ticket_display(&track.digits).into());
    kiosk.set_ticket_count(track.digits.len().min(TICKET_DIGITS) as i32);
    kiosk.set_ticket_error(text(track.error.as_ref(), lang));
    kiosk.set_track_letter(track.kind == TicketKind::Letter);
    match &track.status {
        Some(status) => {
            let (headline, detail) = match letter_print_text(&session.letter_print) {
                // "Cetak Surat" pressed: how printing goes says more than the state.
                Some(printing) => printing,
                None if letter_printable(status) => (
                    state_headline(status),
                    Text::new(
                        "Tekan Cetak Surat untuk mencetaknya di sini. Setiap cetakan setelah yang pertama bertanda SALINAN.",
                        "Press Print the letter to print it here. Every print after the first is marked SALINAN (copy).",
                    ),
                ),
                None => (state_headline(status), state_detail(status)),
            };
            kiosk.set_track_state(headline.get(lang).into());
            kiosk.set_track_reason(detail.get(lang).into());
            kiosk.set_track_subject(status.subject.clone().into());
            kiosk.set_track_updated(text(track.updated.as_ref(), lang));
            let failed = matches!(session.letter_print, LetterPrint::Failed(_));
            kiosk.set_track_good(state_is_good(status.state) && !failed);
        }
        None => {
            let queued = track.queued_here.as_ref().map(|subject| {
                let (state, detail) = queued_text(track.kind);
                (state.get(lang).to_string(), detail.get(lang).to_string(), subject.clone())
            });
            let (state, detail, subject) = queued.unwrap_or_default();
            kiosk.set_track_state(state.into());
            kiosk.set_track_reason(detail.into());
            kiosk.set_track_subject(subject.into());
            kiosk.set_track_updated(SharedString::new());
            kiosk.set_track_good(track.queued_here.is_some());
        }
    }
}

/// A ticket still in this kiosk's own queue.
fn queued_text(kind: TicketKind) -> (Text, Text) {
    let detail = match kind {
        TicketKind::Report => Text::new(
            "Laporan tersimpan di anjungan ini dan dikirim otomatis begitu layanan pusat dapat dihubungi. Keputusannya dapat dilacak setelah itu.",
            "The report is kept on this kiosk and sent automatically as soon as the central service can be reached. Its decision can be tracked after that.",
        ),
        TicketKind::Letter => Text::new(
            "Permohonan surat tersimpan di anjungan ini dan dikirim otomatis begitu layanan pusat dapat dihubungi. Setelah itu petugas desa memeriksanya.",
            "The letter request is kept on this kiosk and sent automatically as soon as the central service can be reached. The village staff check it after that.",
        ),
    };
    (Text::new("Status: dalam antrean di anjungan ini", "Status: queued on this kiosk"), detail)
}

fn render_letter(kiosk: &Kiosk<'_>, session: &Session) {
    let lang = session.lang;
    let draft = &session.letter;
    set_letter_types(kiosk, &session.letter_types, lang);
    let name = draft.letter.as_ref().map(|letter| letter.name.get(lang).to_string());
    kiosk.set_letter_name(name.unwrap_or_default().into());
    kiosk.set_letter_head_only(draft.head_of_family_only());
    kiosk.set_letter_typed(draft.applicant.is_some() && draft.applicant_entry == NikEntry::Keypad);

    // The purpose page shows the purpose field's example; a field page its own field.
    let field = match session.screen {
        Screen::LetterPurpose => draft.purpose_field(),
        Screen::LetterField => draft.current_field(),
        _ => None,
    };
    let label = field.map(|f| f.label.get(lang).to_string()).unwrap_or_default();
    kiosk.set_field_label(label.into());
    kiosk.set_field_hint(text(field.and_then(|f| f.hint.as_ref()), lang));
    kiosk.set_field_optional(
        session.screen == Screen::LetterField && field.is_some_and(|f| !f.required),
    );
    let date = field.is_some_and(|f| f.kind == FieldKind::Date);
    kiosk.set_field_date(date);
    let typed = draft.current_input();
    kiosk.set_field_display(if date { date_display(typed) } else { typed.to_string() }.into());

    let answers: Vec<AnswerRow> = match (&draft.letter, session.screen) {
        (Some(letter), Screen::LetterConfirm) => other_fields(letter)
            .into_iter()
            .map(|field| {
                let value = match draft.answers.get(&field.key) {
                    Some(answer) if field.kind == FieldKind::Date => {
                        date_from_iso(answer, lang).unwrap_or_else(|| answer.clone())
                    }
                    Some(answer) => answer.clone(),
                    None => Text::new("(tidak diisi)", "(not given)").get(lang).to_string(),
                };
                AnswerRow {
                    key: field.key.clone().into(),
                    label: field.label.get(lang).into(),
                    value: value.into(),
                }
            })
            .collect(),
        _ => Vec::new(),
    };
    kiosk.set_letter_answers(ModelRc::new(VecModel::from(answers)));

    let issued = session.screen == Screen::LetterDone
        && matches!(&session.decision, Some(Decision::Decided(status)) if letter_printable(status));
    kiosk.set_letter_issued(issued);
    kiosk.set_track_printable(
        session.screen == Screen::TrackResult
            && session.track.status.as_ref().is_some_and(letter_printable),
    );
    kiosk.set_letter_print_state(match session.letter_print {
        LetterPrint::Idle => PrintState::Idle,
        LetterPrint::Printing => PrintState::Printing,
        LetterPrint::Printed => PrintState::Done,
        LetterPrint::Failed(_) => PrintState::Failed,
    });
}

/// The letter type page's rows, two letters each, in the visitor's language; the model is
/// replaced only when they change, so a redraw does not rebuild the list under a finger.
fn set_letter_types(kiosk: &Kiosk<'_>, letters: &[LetterType], lang: Lang) {
    let row = |letter: &LetterType| LetterRow {
        code: letter.code.as_str().into(),
        name: letter.name.get(lang).into(),
        note: text(letter.note.as_ref(), lang),
    };
    let pairs: Vec<LetterPair> = letters
        .chunks(2)
        .map(|pair| LetterPair {
            left: row(&pair[0]),
            right: pair.get(1).map(row).unwrap_or_default(),
            has_right: pair.len() == 2,
        })
        .collect();
    let current = kiosk.get_letter_types();
    if current.iter().eq(pairs.iter().cloned()) {
        return;
    }
    kiosk.set_letter_types(ModelRc::new(VecModel::from(pairs)));
}

fn set_rows(kiosk: &Kiosk<'_>, lines: Vec<ProgramRow>) {
    let model = kiosk.get_rows();
    match model.as_any().downcast_ref::<VecModel<ProgramRow>>() {
        Some(rows) => rows.set_vec(lines),
        None => kiosk.set_rows(ModelRc::new(VecModel::from(lines))),
    }
}

fn text(value: Option<&Text>, lang: Lang) -> SharedString {
    value.map(|t| t.get(lang).into()).unwrap_or_default()
}
