//! The status slip as printed, decoded from its ESC/POS bytes and compared with a checked-in
//! golden file a person can read. `UPDATE_GOLDEN=1 cargo test` rewrites the files after an
//! intended change; review the diff.

use hardware::printer::Paper;
use hardware::printer::decode::decode;
use hardware::printer::render::render;
use kiosk::screenshot::{sample_died_status, sample_status};
use kiosk::slip::{SlipContext, status_slip};
use protocol::Lang;
use time::{OffsetDateTime, UtcOffset};

fn check(name: &str, lang: Lang, paper: Paper, status: protocol::api::StatusResponse) {
    let context = SlipContext {
        seal: None,
        kiosk_id: "BWI-3510-0001",
        village_name: "Desa Bomo, Kecamatan Blimbingsari",
        printed_at: OffsetDateTime::from_unix_timestamp(1_795_405_260).expect("time"),
        offset: UtcOffset::from_hms(7, 0, 0).expect("offset"),
        lang,
        paper,
    };
    let bytes = render(&status_slip(&status, &context)).expect("render");
    let decoded = decode(&bytes);
    assert_eq!(decoded.cuts, 1);
    assert!(decoded.unknown_commands().is_empty());
    let mut printed = String::new();
    for line in &decoded.lines {
        let width = if line.double { paper.columns() / 2 } else { paper.columns() };
        assert!(line.text.chars().count() <= width, "overflow: {:?}", line.text);
        printed.push_str(&line.text);
        printed.push('\n');
    }
    for payload in &decoded.qr_codes {
        printed.push_str(&format!("[QR] {payload}\n"));
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &printed).expect("write golden");
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(printed, expected, "slip differs from {}", path.display());
}

#[test]
fn slip_in_indonesian_on_58mm() {
    check("status-slip-id-58.txt", Lang::Id, Paper::Mm58, sample_status(true));
}

#[test]
fn slip_in_english_on_80mm() {
    check("status-slip-en-80.txt", Lang::En, Paper::Mm80, sample_status(true));
}

#[test]
fn slip_for_someone_receiving_nothing() {
    check("status-slip-none-id-58.txt", Lang::Id, Paper::Mm58, sample_status(false));
}

#[test]
fn slip_for_someone_recorded_deceased_says_so_and_no_date() {
    check("status-slip-died-id-58.txt", Lang::Id, Paper::Mm58, sample_died_status());
}

/// The report ticket and the letter request slip, decoded like the status slip.
mod report_and_letter {
    use hardware::printer::Paper;
    use hardware::printer::decode::decode;
    use hardware::printer::render::render;
    use kiosk::screenshot::{sample_letter_ticket, sample_ticket};
    use kiosk::session::Decision;
    use kiosk::slip::{LetterSummary, ReportSummary, SlipContext, letter_slip, report_slip};
    use protocol::api::{NikEntry, ReportReason, ReportState};
    use protocol::letter::LetterKind;
    use protocol::ticket::Ticket;
    use protocol::{Lang, Nik};
    use time::{OffsetDateTime, UtcOffset};

    fn context(lang: Lang, paper: Paper) -> SlipContext<'static> {
        SlipContext {
            seal: None,
            kiosk_id: "BWI-3510-0001",
            village_name: "Desa Bomo, Kecamatan Blimbingsari",
            printed_at: OffsetDateTime::from_unix_timestamp(1_795_405_260).expect("time"),
            offset: UtcOffset::from_hms(7, 0, 0).expect("offset"),
            lang,
            paper,
        }
    }

    fn compare(name: &str, document: &hardware::printer::Document, paper: Paper) -> String {
        let bytes = render(document).expect("render");
        let decoded = decode(&bytes);
        assert_eq!(decoded.cuts, 1);
        assert!(decoded.unknown_commands().is_empty());
        let mut printed = String::new();
        for line in &decoded.lines {
            let width = if line.double { paper.columns() / 2 } else { paper.columns() };
            assert!(line.text.chars().count() <= width, "overflow: {:?}", line.text);
            printed.push_str(&line.text);
            printed.push('\n');
        }
        for payload in &decoded.qr_codes {
            printed.push_str(&format!("[QR] {payload}\n"));
        }
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, &printed).expect("write golden");
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(printed, expected, "slip differs from {}", path.display());
        printed
    }

    fn nik(digits: &str) -> Nik {
        Nik::parse(digits).expect("valid NIK")
    }

    #[test]
    fn report_ticket_about_someone_else_rejected_id_58() {
        let (reporter, subject) = (nik("3510011203850001"), nik("3510015203850002"));
        let summary = ReportSummary {
            reporter: &reporter,
            subject: Some(&subject),
            reason: ReportReason::IncomeStopped,
        };
        let decision = Decision::Decided(sample_ticket(ReportState::Rejected));
        let paper = Paper::Mm58;
        let printed = compare(
            "report-slip-rejected-id-58.txt",
            &report_slip(&decision, &summary, &context(Lang::Id, paper)),
            paper,
        );
        assert!(printed.contains("3510********0001") && printed.contains("3510********0002"));
        assert!(!printed.contains("3510011203850001") && !printed.contains("3510015203850002"));
    }

    #[test]
    fn report_ticket_queued_offline_en_80() {
        let reporter = nik("3510011203850001");
        let summary =
            ReportSummary { reporter: &reporter, subject: None, reason: ReportReason::LostJob };
        let ticket = Ticket::new(42, 7).expect("ticket");
        let decision = Decision::Queued { ticket };
        let paper = Paper::Mm80;
        let printed = compare(
            "report-slip-queued-en-80.txt",
            &report_slip(&decision, &summary, &context(Lang::En, paper)),
            paper,
        );
        assert!(printed.contains("Report saved in the queue"));
        assert!(printed.contains(&format!("[QR] ANJUNGAN/REPORT/1?ticket={ticket}")));
    }

    #[test]
    fn letter_slip_received_id_58() {
        let applicant = nik("3510011203850001");
        let paper = Paper::Mm58;
        let status = sample_letter_ticket(ReportState::Verification);
        let name = LetterKind::Sktm.name();
        let letter = LetterSummary {
            name: &name,
            applicant: &applicant,
            purpose: "Keringanan biaya sekolah anak",
            nik_entry: NikEntry::Card,
        };
        let document =
            letter_slip(&Decision::Decided(status.clone()), &letter, &context(Lang::Id, paper));
        let printed = compare("letter-slip-received-id-58.txt", &document, paper);
        assert!(printed.contains("Permohonan surat diterima"));
        assert!(printed.contains(&status.ticket.to_string()));
        assert!(printed.contains(&format!("[QR] ANJUNGAN/LETTER/1?ticket={}", status.ticket)));
        assert!(printed.contains("3510********0001") && !printed.contains("3510011203850001"));
    }

    #[test]
    fn letter_slip_queued_offline_en_80() {
        let applicant = nik("3510011203850001");
        let paper = Paper::Mm80;
        let ticket = Ticket::new(42, 8).expect("ticket");
        let name = LetterKind::Domisili.name();
        let letter = LetterSummary {
            name: &name,
            applicant: &applicant,
            purpose: "Syarat melamar pekerjaan",
            nik_entry: NikEntry::Card,
        };
        let document =
            letter_slip(&Decision::Queued { ticket }, &letter, &context(Lang::En, paper));
        let printed = compare("letter-slip-queued-en-80.txt", &document, paper);
        assert!(printed.contains("Letter request saved in the queue"), "{printed}");
        assert!(printed.contains("Certificate of residence"));
        assert!(printed.contains(&format!("[QR] ANJUNGAN/LETTER/1?ticket={ticket}")));
    }
}
