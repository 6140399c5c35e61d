//! The printer test page staff print from the printer tab.

use hardware::printer::{Document, Paper, Style};
use time::{OffsetDateTime, UtcOffset};

use crate::present::zone_name;

/// The printer test page: identity, a column ruler, the styles receipts use and a QR code,
/// so staff see at once whether the paper width, bold, double size and QR all work.
///
/// `at` is shown in the kiosk's time zone, `offset`.
pub fn test_page(
    paper: Paper,
    kiosk_id: &str,
    printer_name: &str,
    at: OffsetDateTime,
    offset: UtcOffset,
) -> Document {
    let local = at.to_offset(offset);
    let zone = match zone_name(offset) {
        Some(zone) => zone.to_owned(),
        None => format!("UTC{:+}", offset.whole_hours()),
    };
    let columns = paper.columns();
    let ruler: String = (1..=columns).map(|i| char::from(b'0' + (i % 10) as u8)).collect();
    let mut doc = Document::new(paper);
    doc.text("ANJUNGAN MANDIRI", Style::center().bold())
        // 16 columns at double size on 58 mm paper: short enough for one line.
        .text("UJI PRINTER", Style::center().bold().double())
        .text("Halaman uji / Printer test page", Style::center())
        .rule()
        .pair("Kios", kiosk_id)
        .pair("Printer", printer_name)
        .pair(
            "Waktu",
            &format!(
                "{:02}-{:02}-{} {:02}:{:02} {zone}",
                local.day(),
                u8::from(local.month()),
                local.year(),
                local.hour(),
                local.minute()
            ),
        )
        .pair("Kertas", &format!("{} kolom", columns))
        .pair("Versi", env!("CARGO_PKG_VERSION"))
        .rule()
        .text(ruler, Style::default())
        .text("Teks biasa / normal", Style::default())
        .text("Teks tebal / bold", Style::default().bold())
        .text("BESAR / DOUBLE", Style::center().double())
        .qr(format!("ANJUNGAN/TEST/1?kiosk={kiosk_id}"))
        .text("Jika semua baris di atas terbaca, printer siap.", Style::center())
        .feed(2)
        .cut();
    doc
}

#[cfg(test)]
mod tests {
    use hardware::printer::decode::decode;
    use hardware::printer::render::render;

    use super::*;

    fn printed(offset_hours: i8) -> String {
        let at = OffsetDateTime::from_unix_timestamp(1_795_405_260).expect("time");
        let offset = UtcOffset::from_hms(offset_hours, 0, 0).expect("offset");
        let page = test_page(Paper::Mm58, "BWI-3510-0001", "/dev/usb/lp0", at, offset);
        let decoded = decode(&render(&page).expect("render"));
        assert_eq!(decoded.cuts, 1);
        assert_eq!(decoded.qr_codes, ["ANJUNGAN/TEST/1?kiosk=BWI-3510-0001"]);
        decoded.text()
    }

    #[test]
    fn the_time_is_the_kiosks_own_with_its_zone() {
        let wib = printed(7);
        assert!(wib.contains("23-11-2026 10:41 WIB"), "{wib}");
        assert!(wib.contains("32 kolom"), "{wib}");
        assert!(wib.contains("12345678901234567890123456789012"), "a ruler of 32 columns");
        assert!(printed(9).contains("23-11-2026 12:41 WIT"));
        assert!(printed(5).contains("23-11-2026 08:41 UTC+5"));
    }
}
