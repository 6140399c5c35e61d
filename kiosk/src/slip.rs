//! The printed status slip: what the citizen takes home after a status check.
//!
//! Only masked data is printed: a slip left on the counter must not tell a stranger who the
//! person is or their birth date.

use hardware::printer::{Document, Paper, Style};
use protocol::api::{NikEntry, ReportReason, ReportState, StatusResponse, TicketKind};
use protocol::ticket::Ticket;
use protocol::{Lang, Nik, Text};
use time::{OffsetDateTime, UtcOffset};

use crate::present::{date_time, decision_text, life_status_text, program_lines, reason_text};
use crate::session::Decision;

/// Where and when a slip is printed.
pub struct SlipContext<'a> {
    pub kiosk_id: &'a str,
    pub village_name: &'a str,
    pub printed_at: OffsetDateTime,
    pub offset: UtcOffset,
    pub lang: Lang,
    pub paper: Paper,
    /// The desa's seal of the status answer (`AJS1|...`, asked when the slip is printed):
    /// the QR code then proves what the kiosk said. `None` (offline, a kiosk of no desa):
    /// the unsigned reference.
    pub seal: Option<&'a str>,
}

/// The QR payload of a status slip: enough for staff to see which kiosk printed it and when,
/// nothing that identifies the person beyond the masked NIK.
pub fn qr_payload(status: &StatusResponse, context: &SlipContext<'_>) -> String {
    let stamp = context.printed_at.unix_timestamp();
    format!("ANJUNGAN/STATUS/1?kiosk={}&t={stamp}&nik={}", context.kiosk_id, status.nik)
}

pub fn status_slip(status: &StatusResponse, context: &SlipContext<'_>) -> Document {
    let lang = context.lang;
    let t = |id: &str, en: &str| Text::new(id, en).get(lang).to_string();
    let mut doc = Document::new(context.paper);
    doc.text(t("ANJUNGAN MANDIRI", "SELF-SERVICE KIOSK"), Style::center().bold().double())
        .text(t("Bukti Cek Status Bansos", "Social Assistance Status"), Style::center().bold());
    if !context.village_name.is_empty() {
        doc.text(context.village_name, Style::center());
    }
    doc.rule()
        .pair(&t("Nama", "Name"), &status.name)
        .pair("NIK", &status.nik)
        .pair("KK", &status.household.kk)
        .pair(&t("Alamat", "Address"), &format!("{}, {}", status.village, status.district))
        .rule();
    // As the result page says it: what the register records, never when or why.
    if let Some(recorded) = life_status_text(status.life_status) {
        doc.text(recorded.get(lang), Style::default().bold());
        doc.rule();
    }

    let lines = program_lines(status, lang);
    if lines.is_empty() && !status.life_status.is_alive() {
        // Nothing to list, and no advice to report for someone no longer here.
    } else if lines.is_empty() {
        doc.text(
            t(
                "Anda dan keluarga belum terdaftar sebagai penerima bantuan.",
                "You and your family are not registered for any assistance.",
            ),
            Style::default().bold(),
        );
        doc.text(
            t(
                "Bila keluarga Anda terdampak, laporkan ke petugas desa.",
                "If your family is affected, report to the village staff.",
            ),
            Style::default(),
        );
    } else {
        doc.text(t("Terdaftar sebagai penerima:", "Registered for:"), Style::default().bold());
        for line in &lines {
            doc.text(format!("- {}", line.program), Style::default().bold());
            doc.text(format!("  {}", line.who), Style::default());
            doc.text(format!("  {}", line.detail), Style::default());
        }
    }

    doc.rule()
        .pair(&t("Dicetak", "Printed"), &date_time(context.printed_at, context.offset, lang))
        .pair(&t("Kios", "Kiosk"), context.kiosk_id)
        .qr(context.seal.map(str::to_owned).unwrap_or_else(|| qr_payload(status, context)))
        .text(
            t(
                "Simpan bukti ini. Jangan berikan NIK Anda kepada orang lain.",
                "Keep this slip. Do not give your NIK to anyone.",
            ),
            Style::center(),
        )
        .feed(2)
        .cut();
    doc
}

/// What a report slip says about the report itself; NIKs are masked when printed.
pub struct ReportSummary<'a> {
    pub reporter: &'a Nik,
    /// `None` when the reporter reports themselves.
    pub subject: Option<&'a Nik>,
    pub reason: ReportReason,
}

/// The QR payload of a report ticket: the ticket only, which the kiosk's scanner reads back
/// on the "Lacak Tiket" page (`crate::scan` finds `ticket=`).
pub fn report_qr_payload(ticket: Ticket) -> String {
    format!("ANJUNGAN/REPORT/1?ticket={ticket}")
}

/// What a letter request's QR code holds; the scanner reads its `ticket=` the same way.
pub fn letter_qr_payload(ticket: Ticket) -> String {
    format!("ANJUNGAN/LETTER/1?ticket={ticket}")
}

fn header(doc: &mut Document, title: &str, context: &SlipContext<'_>) {
    let t = |id: &str, en: &str| Text::new(id, en).get(context.lang).to_string();
    doc.text(t("ANJUNGAN MANDIRI", "SELF-SERVICE KIOSK"), Style::center().bold().double())
        .text(title, Style::center().bold());
    if !context.village_name.is_empty() {
        doc.text(context.village_name, Style::center());
    }
    doc.rule();
}

fn footer(doc: &mut Document, context: &SlipContext<'_>) {
    let t = |id: &str, en: &str| Text::new(id, en).get(context.lang).to_string();
    doc.pair(
        &t("Dicetak", "Printed"),
        &date_time(context.printed_at, context.offset, context.lang),
    )
    .pair(&t("Kios", "Kiosk"), context.kiosk_id);
}

/// The ticket a citizen takes home after reporting: the ticket number large, the masked
/// NIKs, the decision (or "queued") in the same words as the screen, and a QR of the
/// ticket for tracking it later.
pub fn report_slip(
    decision: &Decision,
    report: &ReportSummary<'_>,
    context: &SlipContext<'_>,
) -> Document {
    let lang = context.lang;
    let t = |id: &str, en: &str| Text::new(id, en).get(lang).to_string();
    let mut doc = Document::new(context.paper);
    header(&mut doc, &t("Tiket Laporan Warga", "Citizen Report Ticket"), context);
    if let Some(ticket) = decision.ticket() {
        doc.text(t("Nomor tiket", "Ticket number"), Style::center())
            .text(ticket.to_string(), Style::center().bold().double())
            .rule();
    }
    let subject = match report.subject {
        Some(nik) => nik.masked(),
        None => t("Diri sendiri", "Themselves"),
    };
    doc.pair(&t("Pelapor", "Reporter"), &report.reporter.masked())
        .pair(&t("Dilaporkan", "Reported"), &subject)
        .pair(&t("Alasan", "Reason"), reason_text(report.reason).get(lang))
        .rule();
    let (title, message) = decision_text(decision, TicketKind::Report);
    doc.text(title.get(lang), Style::default().bold()).text(message.get(lang), Style::default());
    doc.rule();
    footer(&mut doc, context);
    if let Some(ticket) = decision.ticket() {
        doc.qr(report_qr_payload(ticket)).text(
            t(
                "Lacak laporan di anjungan: pilih Lacak Tiket, lalu ketik nomor tiket atau pindai kode QR ini.",
                "Track the report at the kiosk: choose Track a Ticket, then type the ticket number or scan this QR code.",
            ),
            Style::center(),
        );
    }
    doc.feed(2).cut();
    doc
}

/// What a letter request's slip says about the request; the NIK is masked when printed.
pub struct LetterSummary<'a> {
    /// The letter type's name, as the catalogue gives it.
    pub name: &'a Text,
    pub applicant: &'a Nik,
    pub purpose: &'a str,
    /// A typed NIK: the letter waits until the citizen shows the KTP at the office.
    pub nik_entry: NikEntry,
}

/// The slip a citizen takes home after asking for a letter: the ticket large, the letter,
/// the masked applicant and the purpose, the decision (or "queued") and its reason in the
/// same words as the screen, what to bring for a typed NIK, and a QR of the ticket for
/// tracking (and printing) the letter when it is ready.
pub fn letter_slip(
    decision: &Decision,
    letter: &LetterSummary<'_>,
    context: &SlipContext<'_>,
) -> Document {
    let lang = context.lang;
    let t = |id: &str, en: &str| Text::new(id, en).get(lang).to_string();
    let mut doc = Document::new(context.paper);
    header(&mut doc, &t("Permohonan Surat", "Letter Request"), context);
    if let Some(ticket) = decision.ticket() {
        doc.text(t("Nomor tiket", "Ticket number"), Style::center())
            .text(ticket.to_string(), Style::center().bold().double())
            .rule();
    }
    doc.text(t("Surat:", "Letter:"), Style::default())
        .text(format!("  {}", letter.name.get(lang)), Style::default().bold())
        .pair(&t("Pemohon", "Applicant"), &letter.applicant.masked())
        .text(t("Keperluan:", "Purpose:"), Style::default())
        .text(format!("  {}", letter.purpose), Style::default())
        .rule();
    let (title, message) = decision_text(decision, TicketKind::Letter);
    doc.text(title.get(lang), Style::default().bold()).text(message.get(lang), Style::default());
    // A typed NIK waits for the staff to see the KTP, whatever else it waits for; said
    // once, unless the service's own reason already says it (or nothing is to come).
    let refused = matches!(
        decision,
        Decision::Decided(status)
            if matches!(status.state, ReportState::Rejected | ReportState::RejectedAfterVerification)
    ) || matches!(decision, Decision::Refused(_));
    if letter.nik_entry == NikEntry::Keypad && !refused && !message.id.contains("Bawa KTP") {
        doc.text(
            t("Bawa KTP Anda ke kantor desa.", "Bring your KTP to the village office."),
            Style::default().bold(),
        );
    }
    doc.rule();
    footer(&mut doc, context);
    if let Some(ticket) = decision.ticket() {
        doc.qr(letter_qr_payload(ticket)).text(
            t(
                "Lacak permohonan di anjungan: pilih Lacak Tiket, lalu ketik nomor tiket atau pindai kode QR ini.",
                "Track the request at the kiosk: choose Track a Ticket, then type the ticket number or scan this QR code.",
            ),
            Style::center(),
        );
    }
    doc.feed(2).cut();
    doc
}

#[cfg(test)]
mod tests {
    use hardware::printer::decode::decode;
    use hardware::printer::render::render;
    use protocol::api::TicketStatus;

    use super::*;

    fn printed(decision: &Decision, nik_entry: NikEntry) -> String {
        let applicant = Nik::parse("3510011203850001").expect("valid NIK");
        let name = Text::new("Surat Keterangan Usaha", "Business certificate");
        let letter =
            LetterSummary { name: &name, applicant: &applicant, purpose: "Kur", nik_entry };
        let context = SlipContext {
            seal: None,
            kiosk_id: "BWI-1",
            village_name: "Desa Bomo",
            printed_at: OffsetDateTime::UNIX_EPOCH,
            offset: UtcOffset::UTC,
            lang: Lang::Id,
            paper: Paper::Mm58,
        };
        let bytes = render(&letter_slip(decision, &letter, &context)).expect("render");
        decode(&bytes).text().replace('\n', " ")
    }

    fn decided(state: ReportState, reason: &str) -> Decision {
        Decision::Decided(TicketStatus {
            ticket: Ticket::new(7, 1).expect("ticket"),
            kind: TicketKind::Letter,
            letter: None,
            state,
            reason: Some(Text::new(reason, reason)),
            subject: "3510********0001".into(),
            updated_at: String::new(),
        })
    }

    #[test]
    fn a_typed_nik_is_told_to_bring_the_ktp_once_unless_refused() {
        let waits = decided(ReportState::Verification, "Perlu verifikasi: keluarga belum miskin.");
        let typed = printed(&waits, NikEntry::Keypad);
        assert!(typed.contains("Perlu verifikasi: keluarga belum miskin."), "{typed}");
        assert!(typed.contains("Bawa KTP Anda ke kantor desa"), "{typed}");
        assert!(typed.contains("3510********0001") && !typed.contains("3510011203850001"));
        assert!(typed.contains("Surat Keterangan Usaha"), "the type's own name: {typed}");
        assert!(!printed(&waits, NikEntry::Card).contains("Bawa KTP"));
        let refused = decided(ReportState::Rejected, "Hanya kepala keluarga.");
        assert!(!printed(&refused, NikEntry::Keypad).contains("Bawa KTP"));
        let queued = Decision::Queued { ticket: Ticket::new(7, 2).expect("ticket") };
        assert!(printed(&queued, NikEntry::Keypad).contains("Bawa KTP"));
        let typed = decided(ReportState::Verification, "NIK diketik: Bawa KTP Anda.");
        assert_eq!(printed(&typed, NikEntry::Keypad).matches("Bawa KTP").count(), 1);
    }
}
