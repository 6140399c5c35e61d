//! Every sentence staff mode says, in both languages. The live screen and the screenshots
//! (`kiosk screenshots`) both call these, so a change of wording shows in both.

use std::fmt::Display;
use std::time::Duration;

use protocol::Text;
use protocol::fleet::PrinterState;

/// The keypad opened on a kiosk that has no PIN to check against.
pub(crate) fn no_pins() -> Text {
    Text::new(
        "Belum ada PIN petugas di anjungan ini. Hubungkan ke layanan pusat, lalu coba lagi.",
        "No staff PIN on this kiosk yet. Connect it to the central service and try again.",
    )
}

/// The keypad is locked for `left` more.
pub(crate) fn locked(left: Duration) -> Text {
    let minutes = left.as_secs().div_ceil(60).max(1);
    Text::new(
        format!("Terlalu banyak PIN salah. Coba lagi dalam {minutes} menit."),
        format!("Too many wrong PINs. Try again in {minutes} minutes."),
    )
}

/// A wrong PIN, with the tries `left` before the keypad locks.
pub(crate) fn wrong_pin(left: u32) -> Text {
    Text::new(
        format!("PIN salah. Sisa {left} kali percobaan."),
        format!("Wrong PIN. {left} attempts left."),
    )
}

/// A staff print job is on its way.
pub(crate) fn printing() -> Text {
    Text::new("Mencetak…", "Printing…")
}

pub(crate) fn test_page_printed() -> Text {
    Text::new("Halaman uji sudah dicetak.", "The test page has been printed.")
}

pub(crate) fn test_page_failed() -> Text {
    Text::new("Halaman uji gagal dicetak", "The test page did not print")
}

pub(crate) fn no_receipt() -> Text {
    Text::new("Tidak ada struk untuk dicetak ulang.", "No receipt to reprint.")
}

pub(crate) fn receipt_reprinted() -> Text {
    Text::new("Struk terakhir sudah dicetak ulang.", "The last receipt has been reprinted.")
}

pub(crate) fn receipt_failed() -> Text {
    Text::new("Struk gagal dicetak ulang", "The receipt did not print")
}

/// A failed staff job: its headline (`test_page_failed`, `receipt_failed`) and why.
pub(crate) fn failed_because(failed: &Text, error: impl Display) -> Text {
    Text::new(format!("{}: {error}", failed.id), format!("{}: {error}", failed.en))
}

pub(crate) fn paper_restarted() -> Text {
    Text::new(
        "Penghitung kertas dimulai lagi untuk gulungan baru.",
        "Paper count restarted for the new roll.",
    )
}

pub(crate) fn paper_not_saved(error: impl Display) -> Text {
    Text::new(
        format!("Penghitung kertas gagal disimpan: {error}"),
        format!("Paper count not saved: {error}"),
    )
}

/// The network check reached the central service in `took`, which runs `version`.
pub(crate) fn backend_connected(took: Duration, version: &str) -> Text {
    Text::new(
        format!("Terhubung · {} ms · versi {version}", took.as_millis()),
        format!("Connected · {} ms · version {version}", took.as_millis()),
    )
}

/// The network check did not reach the central service.
pub(crate) fn backend_not_connected(error: impl Display) -> Text {
    Text::new(format!("Tidak terhubung: {error}"), format!("Not connected: {error}"))
}

/// "Send now" made `count` queued submissions due.
pub(crate) fn sending_now(count: u64) -> Text {
    Text::new(
        format!("{count} kiriman dikirim sekarang."),
        format!("{count} submissions are being sent now."),
    )
}

pub(crate) fn queue_unreadable(error: impl Display) -> Text {
    Text::new(
        format!("Antrean tidak dapat dibaca: {error}"),
        format!("The queue cannot be read: {error}"),
    )
}

/// The printer's state (`None`: nothing printed yet, so nothing known), with the last
/// job's error when there was one.
pub(crate) fn printer_status(state: Option<PrinterState>, last_error: Option<&str>) -> Text {
    let state = match state {
        Some(state) => state.text(),
        None => Text::new(
            "belum ada cetakan sejak anjungan dinyalakan",
            "nothing printed since the kiosk started",
        ),
    };
    let error = last_error.map(|e| format!(" ({e})")).unwrap_or_default();
    Text::new(format!("{}{error}", state.id), format!("{}{error}", state.en))
}

/// Paper left on the roll, with a warning when it is time to replace it.
pub(crate) fn paper_left(remaining_mm: u64, roll_m: u32, warn: bool) -> Text {
    let left_m = remaining_mm as f64 / 1000.0;
    let warn = if warn {
        Text::new(" Segera ganti gulungan.", " Replace the roll soon.")
    } else {
        Text::new("", "")
    };
    // Indonesian writes a decimal comma.
    let left_id = format!("{left_m:.1}").replace('.', ",");
    Text::new(
        format!("Sisa kertas sekitar {left_id} m dari {roll_m} m.{}", warn.id),
        format!("About {left_m:.1} m of {roll_m} m paper left.{}", warn.en),
    )
}

/// Submissions still waiting for the central service.
pub(crate) fn queue_waiting(depth: u64) -> Text {
    Text::new(
        format!("{depth} kiriman menunggu dikirim ke layanan pusat."),
        format!("{depth} submissions waiting for the central service."),
    )
}

pub(crate) fn no_outbox() -> Text {
    Text::new("Anjungan ini tidak memakai antrean.", "This kiosk has no outbox.")
}

/// The kiosk itself: id, version, time since start, applied configuration.
pub(crate) fn kiosk_info(kiosk_id: &str, version: &str, uptime: Duration, config: &str) -> Text {
    let uptime = uptime.as_secs();
    let (hours, minutes) = (uptime / 3600, uptime % 3600 / 60);
    Text::new(
        format!(
            "Kios {kiosk_id} · versi {version} · menyala {hours} jam {minutes} menit · konfigurasi {config}. Hitungan mulai dari nol setiap tengah malam dan saat aplikasi dimulai ulang."
        ),
        format!(
            "Kiosk {kiosk_id} · version {version} · up {hours} h {minutes} min · configuration {config}. Counts start from zero at midnight and when the app restarts."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_units_read_right_in_both_languages() {
        let paper = paper_left(2_400, 30, true);
        assert_eq!(paper.id, "Sisa kertas sekitar 2,4 m dari 30 m. Segera ganti gulungan.");
        assert_eq!(paper.en, "About 2.4 m of 30 m paper left. Replace the roll soon.");
        assert_eq!(paper_left(29_960, 30, false).id, "Sisa kertas sekitar 30,0 m dari 30 m.");
        assert_eq!(
            locked(Duration::from_secs(61)).id,
            "Terlalu banyak PIN salah. Coba lagi dalam 2 menit."
        );
        assert_eq!(
            locked(Duration::from_millis(10)).en,
            "Too many wrong PINs. Try again in 1 minutes."
        );
        let info =
            kiosk_info("BWI-3510-0001", "0.1.0", Duration::from_secs(6 * 3600 + 12 * 60 + 59), "-");
        assert!(info.id.starts_with(
            "Kios BWI-3510-0001 · versi 0.1.0 · menyala 6 jam 12 menit · konfigurasi -."
        ));
        assert!(
            info.en.starts_with(
                "Kiosk BWI-3510-0001 · version 0.1.0 · up 6 h 12 min · configuration -."
            )
        );
        let printer = printer_status(Some(PrinterState::PaperOut), Some("paper out"));
        assert_eq!(
            (printer.id.as_str(), printer.en.as_str()),
            ("kertas habis (paper out)", "out of paper (paper out)")
        );
        assert_eq!(printer_status(None, None).en, "nothing printed since the kiosk started");
        assert_eq!(
            failed_because(&receipt_failed(), "no device").id,
            "Struk gagal dicetak ulang: no device"
        );
    }
}
