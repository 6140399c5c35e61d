//! The outbox in words: what the staff screen shows of each queued submission, and the
//! line `kiosk outbox list` prints. The outbox itself stores codes, not words.

use protocol::{Lang, Text};

use crate::local::{Kind, MaskedEntry, SubmissionState};

/// What a submission is, as the staff screen names it.
pub fn kind_text(kind: Kind) -> Text {
    match kind {
        Kind::Report => Text::new("Laporan", "Report"),
        Kind::LetterRequest => Text::new("Permohonan surat", "Letter request"),
    }
}

/// Where a submission stands, as the staff screen says it.
pub fn state_text(state: SubmissionState) -> Text {
    match state {
        SubmissionState::Queued => Text::new("antrean", "queued"),
        SubmissionState::Sent => Text::new("terkirim", "sent"),
        SubmissionState::RejectedPermanent => Text::new("ditolak", "refused"),
    }
}

/// One row of the staff screen's queue:
/// `LP-0001-000124-6 · Laporan · antrean · 4× · 3510********0002 · 12 menit lalu · why`.
pub fn staff_row(entry: &MaskedEntry, lang: Lang) -> String {
    let error = entry.last_error.as_deref().map(|why| format!(" · {why}")).unwrap_or_default();
    format!(
        "{} · {} · {} · {}× · {} · {} {}{error}",
        entry.ticket,
        kind_text(entry.kind).get(lang),
        state_text(entry.state).get(lang),
        entry.attempts,
        entry.subject,
        entry.age.as_secs() / 60,
        if lang == Lang::En { "min ago" } else { "menit lalu" },
    )
}

/// One line of `kiosk outbox list`, for operators and their scripts: the stored codes
/// (`report queued`), not words, so the output does not change with the wording.
pub fn list_line(entry: &MaskedEntry) -> String {
    format!(
        "{} {} {} attempts={} subject={} age={}s{}",
        entry.ticket,
        entry.kind.as_str(),
        entry.state.as_str(),
        entry.attempts,
        entry.subject,
        entry.age.as_secs(),
        entry.last_error.as_deref().map(|why| format!(" error={why}")).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use protocol::ticket::Ticket;

    use super::*;

    fn entry(last_error: Option<&str>) -> MaskedEntry {
        MaskedEntry {
            ticket: Ticket::new(1, 124).expect("ticket"),
            kind: Kind::Report,
            state: SubmissionState::Queued,
            attempts: 4,
            subject: "3510********0002".into(),
            age: Duration::from_secs(12 * 60 + 59),
            last_error: last_error.map(Into::into),
            answer: None,
        }
    }

    #[test]
    fn staff_rows_and_list_lines_say_the_same_entry() {
        let failing = entry(Some("backend unreachable"));
        assert_eq!(
            staff_row(&failing, Lang::Id),
            "LP-0001-000124-6 · Laporan · antrean · 4× · 3510********0002 · 12 menit lalu · backend unreachable"
        );
        assert_eq!(
            staff_row(&entry(None), Lang::En),
            "LP-0001-000124-6 · Report · queued · 4× · 3510********0002 · 12 min ago"
        );
        assert_eq!(
            list_line(&failing),
            "LP-0001-000124-6 report queued attempts=4 subject=3510********0002 age=779s error=backend unreachable"
        );
        let sent =
            MaskedEntry { state: SubmissionState::Sent, kind: Kind::LetterRequest, ..entry(None) };
        assert_eq!(
            staff_row(&sent, Lang::Id),
            "LP-0001-000124-6 · Permohonan surat · terkirim · 4× · 3510********0002 · 12 menit lalu"
        );
        assert_eq!(
            list_line(&sent),
            "LP-0001-000124-6 letter_request sent attempts=4 subject=3510********0002 age=779s"
        );
    }
}
