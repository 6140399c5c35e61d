//! The printed status slip: what the citizen takes home after a status check.
//!
//! Only masked data is printed: a slip left on the counter must not tell a stranger who the
//! person is or their birth date.

use hardware::printer::{Document, Paper, Style};
use protocol::api::StatusResponse;
use protocol::{Lang, Text};
use time::{OffsetDateTime, UtcOffset};

use crate::present::{date_time, program_lines};

/// Where and when a slip is printed.
pub struct SlipContext<'a> {
    pub kiosk_id: &'a str,
    pub village_name: &'a str,
    pub printed_at: OffsetDateTime,
    pub offset: UtcOffset,
    pub lang: Lang,
    pub paper: Paper,
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

    let lines = program_lines(status, lang);
    if lines.is_empty() {
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
        .qr(qr_payload(status, context))
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
