//! Turns a status answer into the words shown on screen and printed on the slip, so the
//! screen and the paper always say the same thing.

use hardware::printer::PrintError;
use protocol::api::{
    LifeStatus, Membership, MembershipState, ReportReason, ReportState, StatusResponse,
};
use protocol::api::{TicketKind, TicketStatus};
use protocol::letter::document::MONTHS_ID;
use protocol::{Lang, Text};
use time::{OffsetDateTime, UtcOffset};

use crate::session::{Decision, LetterPrint};

pub mod outbox;

/// One "who receives what" line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramLine {
    pub who: String,
    pub program: String,
    pub detail: String,
    pub active: bool,
}

/// What the register records of someone not alive and here, as the result page says it
/// (`LifeNotice` in the UI); `None` for a living resident.
pub fn life_status_text(status: LifeStatus) -> Option<Text> {
    Some(match status {
        LifeStatus::Alive => return None,
        LifeStatus::Died => Text::new(
            "Tercatat meninggal dunia di data kependudukan",
            "Recorded as deceased in the population register",
        ),
        LifeStatus::MovedAway => Text::new(
            "Tercatat sudah pindah dari desa ini di data kependudukan",
            "Recorded as having moved away from this village in the population register",
        ),
        LifeStatus::Missing => Text::new(
            "Tercatat hilang di data kependudukan",
            "Recorded as missing in the population register",
        ),
        LifeStatus::Other => Text::new(
            "Tidak lagi tercatat sebagai penduduk aktif di data kependudukan",
            "No longer recorded as an active resident in the population register",
        ),
    })
}

/// Every membership of the person, the household as a unit, and each family member.
pub fn program_lines(status: &StatusResponse, lang: Lang) -> Vec<ProgramLine> {
    // Someone looking up a person who died or left is not that person.
    let you = if status.life_status.is_alive() {
        Text::new("Anda", "You")
    } else {
        Text::new("Yang bersangkutan", "This person")
    };
    let family = Text::new("Keluarga (KK)", "Family (KK)");
    let mut lines = Vec::new();
    let mut push = |who: String, membership: &Membership| {
        lines.push(ProgramLine {
            who,
            program: membership.program_name.get(lang).to_string(),
            detail: detail(membership, lang),
            active: membership.state == MembershipState::Active,
        });
    };
    for membership in &status.person {
        push(you.get(lang).to_string(), membership);
    }
    for membership in &status.household.programs {
        push(family.get(lang).to_string(), membership);
    }
    for member in &status.household.members {
        for membership in &member.programs {
            push(format!("{} ({})", member.name, member.relation.text().get(lang)), membership);
        }
    }
    lines
}

fn detail(membership: &Membership, lang: Lang) -> String {
    let state = membership.state.text();
    let since = date_from_iso(&membership.since, lang).unwrap_or_else(|| membership.since.clone());
    // No date when the service keeps it back (what a death or move ended).
    let state_and_since = match lang {
        _ if since.is_empty() => state.get(lang).to_string(),
        Lang::Id => format!("{} sejak {since}", state.get(lang)),
        Lang::En => format!("{} since {since}", state.get(lang)),
    };
    let component = membership.component_name.as_ref().map(|name| match lang {
        Lang::Id => format!("komponen {}", name.id),
        Lang::En => format!("{} component", name.en),
    });
    match component {
        Some(component) => format!("{component} · {state_and_since}"),
        None => state_and_since,
    }
}

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn month_name(month: u8, lang: Lang) -> &'static str {
    let index = usize::from(month.clamp(1, 12) - 1);
    match lang {
        Lang::Id => MONTHS_ID[index],
        Lang::En => MONTHS_EN[index],
    }
}

/// `2026-11-23` -> `23 November 2026`.
pub fn date_from_iso(iso: &str, lang: Lang) -> Option<String> {
    let mut parts = iso.get(..10)?.split('-');
    let year: u16 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    (1..=12).contains(&month).then(|| format!("{day} {} {year}", month_name(month, lang)))
}

/// The Indonesian name of the time zone at `offset` (WIB, WITA, WIT), if it is one of them.
pub fn zone_name(offset: UtcOffset) -> Option<&'static str> {
    match offset.whole_hours() {
        7 => Some("WIB"),
        8 => Some("WITA"),
        9 => Some("WIT"),
        _ => None,
    }
}

/// Local date and time as Indonesians write it: `23 November 2026 10.41 WIB`.
pub fn date_time(moment: OffsetDateTime, offset: UtcOffset, lang: Lang) -> String {
    let local = moment.to_offset(offset);
    let zone = zone_name(offset).unwrap_or("");
    let separator = match lang {
        Lang::Id => '.',
        Lang::En => ':',
    };
    format!(
        "{} {} {} {:02}{separator}{:02} {zone}",
        local.day(),
        month_name(u8::from(local.month()), lang),
        local.year(),
        local.hour(),
        local.minute()
    )
    .trim_end()
    .to_string()
}

/// The reason of a report in words.
pub fn reason_text(reason: ReportReason) -> Text {
    match reason {
        ReportReason::LostJob => Text::new("Kehilangan pekerjaan", "Lost their job"),
        ReportReason::IncomeStopped => Text::new("Penghasilan berhenti", "Income stopped"),
        ReportReason::Illness => Text::new("Sakit atau disabilitas", "Illness or disability"),
        ReportReason::ElderlyAlone => {
            Text::new("Lansia tanpa penanggung", "Elderly with no one to support them")
        }
        ReportReason::Other => Text::new("Alasan lain", "Other reason"),
    }
}

/// Whether a report's state is good news (or on its way to it).
pub fn state_is_good(state: ReportState) -> bool {
    !matches!(state, ReportState::Rejected | ReportState::RejectedAfterVerification)
}

/// What a report's state means for the citizen, one sentence.
pub fn state_explained(state: ReportState) -> Text {
    match state {
        ReportState::Verification => Text::new(
            "Petugas desa akan memeriksa laporan dan dapat menghubungi Anda. Bila disetujui, bantuan disalurkan dalam 5 sampai 7 hari.",
            "The village staff will check the report and may call you. If approved, assistance is delivered within 5 to 7 days.",
        ),
        ReportState::Verified => Text::new(
            "Laporan sudah diverifikasi dan menunggu jadwal penyaluran.",
            "The report has been verified and is waiting for a delivery date.",
        ),
        ReportState::Scheduled => Text::new(
            "Bantuan sudah dijadwalkan. Petugas desa akan memberi tahu waktu pengambilannya.",
            "Assistance is scheduled. The village staff will tell you when to collect it.",
        ),
        ReportState::Delivered => {
            Text::new("Bantuan sudah disalurkan.", "The assistance has been delivered.")
        }
        ReportState::Rejected | ReportState::RejectedAfterVerification => Text::new(
            "Bila ada yang keliru, sampaikan kepada petugas desa.",
            "If something is wrong, please tell the village staff.",
        ),
    }
}

/// What a letter request's state means for the citizen, one sentence.
pub fn letter_state_explained(state: ReportState) -> Text {
    match state {
        ReportState::Verification => Text::new(
            "Petugas desa memeriksa permohonan dan membuat suratnya. Lacak tiket ini untuk mengetahui kapan surat siap; bawa KTP dan Kartu Keluarga saat mengambilnya.",
            "The village staff check the request and make the letter. Track this ticket to know when it is ready; bring your ID card and family card to collect it.",
        ),
        ReportState::Verified => Text::new(
            "Surat sudah terbit. Cetak di anjungan mana pun di desa ini: pilih Lacak Tiket, lalu ketik nomor tiket atau pindai kode QR-nya.",
            "The letter is issued. Print it at any kiosk of this village: choose Track a Ticket, then type the ticket number or scan its QR code.",
        ),
        ReportState::Scheduled => Text::new(
            "Surat siap. Ambil di kantor desa pada hari kerja dengan membawa KTP.",
            "The letter is ready. Collect it at the village office on a working day with your ID card.",
        ),
        ReportState::Delivered => {
            Text::new("Surat sudah diserahkan.", "The letter has been handed over.")
        }
        ReportState::Rejected | ReportState::RejectedAfterVerification => Text::new(
            "Bila ada yang keliru, sampaikan kepada petugas desa.",
            "If something is wrong, please tell the village staff.",
        ),
    }
}

/// Headline of a ticket's state: `Status: dalam verifikasi`.
pub fn state_headline(status: &TicketStatus) -> Text {
    let state = status.state_text();
    Text::new(format!("Status: {}", state.id), format!("Status: {}", state.en))
}

/// The explanation under a ticket's state: the reason when there is one, else what the
/// state means for what the ticket is for. An issued letter says how to print it: the
/// reason it waited for (kept by the service after approval) no longer applies.
pub fn state_detail(status: &TicketStatus) -> Text {
    if (status.kind, status.state) == (TicketKind::Letter, ReportState::Verified) {
        return letter_state_explained(status.state);
    }
    status.reason.clone().unwrap_or_else(|| match status.kind {
        TicketKind::Report => state_explained(status.state),
        TicketKind::Letter => letter_state_explained(status.state),
    })
}

/// Whether a ticket's letter can be printed now: issued, not yet collected at the office.
pub fn letter_printable(status: &TicketStatus) -> bool {
    (status.kind, status.state) == (TicketKind::Letter, ReportState::Verified)
}

/// Headline and explanation of printing an issued letter, once it started.
pub fn letter_print_text(print: &LetterPrint) -> Option<(Text, Text)> {
    match print {
        LetterPrint::Idle => None,
        LetterPrint::Printing => Some((
            Text::new("Surat sudah terbit", "The letter is issued"),
            Text::new("Mencetak surat Anda, mohon tunggu…", "Printing your letter, please wait…"),
        )),
        LetterPrint::Printed => Some((
            Text::new("Surat Anda sudah dicetak", "Your letter has been printed"),
            Text::new(
                "Silakan ambil surat di bawah layar. Kode QR pada surat membuktikan keasliannya.",
                "Please take the letter below the screen. The QR code on it proves it is genuine.",
            ),
        )),
        LetterPrint::Failed(why) => Some((
            Text::new(
                "Surat sudah terbit, tetapi belum tercetak",
                "The letter is issued but not printed",
            ),
            Text::new(
                format!(
                    "{} Cetak nanti dengan nomor tiket ini di anjungan mana pun di desa ini: pilih Lacak Tiket.",
                    why.id
                ),
                format!(
                    "{} Print it later with this ticket number at any kiosk of this village: choose Track a Ticket.",
                    why.en
                ),
            ),
        )),
    }
}

/// Headline and explanation of how a submission (a report or a letter request, `kind`)
/// ended: the same words on screen and paper.
pub fn decision_text(decision: &Decision, kind: TicketKind) -> (Text, Text) {
    match (decision, kind) {
        (Decision::Decided(status), _) => {
            let title = match (status.kind, status.state) {
                (TicketKind::Report, ReportState::Verification) => Text::new(
                    "Laporan diterima dan sedang diverifikasi",
                    "Report received and being verified",
                ),
                (TicketKind::Report, ReportState::Rejected) => {
                    Text::new("Laporan ditolak", "Report rejected")
                }
                (TicketKind::Letter, ReportState::Verification) => {
                    Text::new("Permohonan surat diterima", "Letter request received")
                }
                (TicketKind::Letter, ReportState::Rejected) => {
                    Text::new("Permohonan surat ditolak", "Letter request refused")
                }
                (TicketKind::Letter, ReportState::Verified) => {
                    Text::new("Surat sudah terbit", "The letter is issued")
                }
                _ => state_headline(status),
            };
            (title, state_detail(status))
        }
        (Decision::Queued { .. }, TicketKind::Report) => (
            Text::new("Laporan disimpan dalam antrean", "Report saved in the queue"),
            Text::new(
                "Layanan pusat sedang tidak dapat dihubungi. Laporan tersimpan di anjungan ini dan dikirim otomatis. Lacak hasilnya dengan nomor tiket ini.",
                "The central service cannot be reached now. The report is kept on this kiosk and sent automatically. Track the decision with this ticket number.",
            ),
        ),
        (Decision::Queued { .. }, TicketKind::Letter) => (
            Text::new(
                "Permohonan surat disimpan dalam antrean",
                "Letter request saved in the queue",
            ),
            Text::new(
                "Layanan pusat sedang tidak dapat dihubungi. Permohonan tersimpan di anjungan ini dan dikirim otomatis ke petugas desa. Lacak dengan nomor tiket ini.",
                "The central service cannot be reached now. The request is kept on this kiosk and sent to the village staff automatically. Track it with this ticket number.",
            ),
        ),
        (Decision::Refused(reason), TicketKind::Report) => (
            Text::new("Laporan belum dapat dikirim", "The report could not be filed"),
            reason.clone(),
        ),
        (Decision::Refused(reason), TicketKind::Letter) => (
            Text::new(
                "Permohonan surat belum dapat dikirim",
                "The letter request could not be filed",
            ),
            reason.clone(),
        ),
    }
}

/// Why a slip did not print, and what the visitor can do: staff must come in every case,
/// and what to tell them differs (a new roll, a closed cover, a printer switched on).
pub fn print_failure(error: &PrintError) -> Text {
    match error {
        PrintError::PaperOut => Text::new(
            "Kertas printer habis, bukti tidak dapat dicetak. Catat nomor di layar, lalu minta petugas desa mengganti kertas dan mencetak ulang.",
            "The printer is out of paper, so the slip could not be printed. Note the number on screen and ask the village staff to load paper and reprint it.",
        ),
        PrintError::CoverOpen => Text::new(
            "Tutup printer terbuka, bukti tidak dapat dicetak. Silakan minta petugas desa menutupnya dan mencetak ulang.",
            "The printer cover is open, so the slip could not be printed. Please ask the village staff to close it and reprint.",
        ),
        _ => Text::new(
            "Bukti tidak dapat dicetak karena printer bermasalah. Silakan hubungi petugas desa.",
            "The slip could not be printed: the printer has a problem. Please ask the village staff.",
        ),
    }
}

/// A whole number as written in the language: `12.373` in Indonesian, `12,373` in English.
pub fn number(value: u64, lang: Lang) -> String {
    let separator = match lang {
        Lang::Id => '.',
        Lang::En => ',',
    };
    let digits = value.to_string();
    let mut out = String::new();
    for (index, ch) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(ch);
    }
    out
}

/// An RFC 3339 time from the central service, in local time as Indonesians write it.
pub fn date_time_from_rfc3339(text: &str, offset: UtcOffset, lang: Lang) -> Option<String> {
    let moment =
        OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    Some(date_time(moment, offset, lang))
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::api::{HouseholdMember, HouseholdStatus, Relation};

    fn membership(program: &str, name: &str, component: Option<&str>) -> Membership {
        Membership {
            program: program.into(),
            program_name: Text::new(name, name),
            component: component.map(Into::into),
            component_name: component.map(|_| Text::new("ibu hamil", "pregnant mother")),
            state: MembershipState::Active,
            since: "2020-05-06".into(),
        }
    }

    #[test]
    fn lines_name_who_receives_what() {
        let status = StatusResponse {
            nik: "3510********0001".into(),
            name: "S*** A*****".into(),
            district: "Blimbingsari".into(),
            village: "Bomo".into(),
            person: vec![membership("NUTRISI", "Paket Nutrisi", None)],
            household: HouseholdStatus {
                kk: "3510********0003".into(),
                programs: vec![membership("PKH", "PKH", Some("ibu_hamil"))],
                members: vec![HouseholdMember {
                    name: "B*** S******".into(),
                    relation: Relation::Head,
                    programs: vec![membership("BST", "BST Kemensos", None)],
                }],
            },
            checked_at: "2026-11-23T03:00:00Z".into(),
            life_status: LifeStatus::Alive,
            detail: Default::default(),
        };
        let lines = program_lines(&status, Lang::Id);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].who, "Anda");
        assert_eq!(lines[1].detail, "komponen ibu hamil · aktif sejak 6 Mei 2020");
        assert_eq!(lines[2].who, "B*** S****** (Kepala Keluarga)");
        let english = program_lines(&status, Lang::En);
        assert_eq!(english[1].detail, "pregnant mother component · active since 6 May 2020");
    }

    #[test]
    fn numbers_in_each_language() {
        assert_eq!(number(12_373, Lang::Id), "12.373");
        assert_eq!(number(12_373, Lang::En), "12,373");
        assert_eq!(number(500, Lang::Id), "500");
        assert_eq!(number(1_000_000, Lang::Id), "1.000.000");
    }

    #[test]
    fn service_times_in_local_time() {
        let wib = UtcOffset::from_hms(7, 0, 0).expect("valid");
        assert_eq!(
            date_time_from_rfc3339("2026-11-23T03:41:00Z", wib, Lang::Id).as_deref(),
            Some("23 November 2026 10.41 WIB")
        );
        assert_eq!(date_time_from_rfc3339("yesterday", wib, Lang::Id), None);
    }

    #[test]
    fn dates_in_indonesian() {
        let moment = OffsetDateTime::from_unix_timestamp(1_795_405_260).expect("valid");
        let wib = UtcOffset::from_hms(7, 0, 0).expect("valid");
        assert_eq!(date_time(moment, wib, Lang::Id), "23 November 2026 10.41 WIB");
        assert_eq!(date_time(moment, wib, Lang::En), "23 November 2026 10:41 WIB");
    }
}
