//! Staff mode's pages in sample states: one PNG per page, language and display size.

use std::path::{Path, PathBuf};

use protocol::{Lang, Text};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::{SIZES, snapshot};
use crate::app::KioskApp;
use crate::ui::{Staff, StaffMode, StaffTab};

/// Writes the staff pages with `app`'s window into `dir`; returns the files written.
pub(super) fn write_all(app: &KioskApp, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let rows = |lang: Lang| -> Vec<SharedString> {
        let (queued, min) = if lang == Lang::En {
            ("Report · queued", "min ago")
        } else {
            ("Laporan · antre", "menit lalu")
        };
        vec![
            format!("LP-0001-000124-3 · {queued} · 4× · 3510********0002 · 12 {min} · backend unreachable").into(),
            format!("LP-0001-000125-1 · {queued} · 1× · 3510********0017 · 3 {min}").into(),
        ]
    };
    for (width, height) in SIZES {
        app.window.window().set_size(slint::PhysicalSize::new(width, height));
        for lang in [Lang::Id, Lang::En] {
            app.apply(|session| {
                session.reset();
                session.lang = lang;
            });
            let staff = app.window.global::<Staff>();
            let t = |id: &str, en: &str| SharedString::from(Text::new(id, en).get(lang));
            staff.set_who("Sekdes Bomo".into());
            staff.set_printer_name("/dev/usb/lp0".into());
            staff.set_printer_status(t("siap", "ready"));
            staff.set_printer_ok(true);
            staff.set_paper_status(t(
                "Sisa kertas sekitar 2,4 m dari 30 m. Segera ganti gulungan.",
                "About 2.4 m of 30 m paper left. Replace the roll soon.",
            ));
            staff.set_can_reprint(true);
            staff.set_backend_url("https://anjungan.banyuwangikab.go.id".into());
            staff.set_backend_status(t(
                "Tidak terhubung: layanan pusat tidak dapat dihubungi",
                "Not connected: the central service cannot be reached",
            ));
            staff.set_backend_up(false);
            staff.set_outbox_available(true);
            staff.set_outbox_summary(t(
                "2 kiriman menunggu dikirim ke layanan pusat.",
                "2 submissions waiting for the central service.",
            ));
            staff.set_outbox_rows(ModelRc::new(VecModel::from(rows(lang))));
            staff.set_lookups_today(37);
            staff.set_reports_today(5);
            staff.set_letters_today(3);
            staff.set_prints_today(29);
            staff.set_kiosk_info(t(
                "Kios BWI-3510-0001 · versi 0.1.0 · menyala 6 jam 12 menit · konfigurasi 3f9a01c2d4e5b6a7. Hitungan mulai dari nol setiap tengah malam dan saat aplikasi dimulai ulang.",
                "Kiosk BWI-3510-0001 · version 0.1.0 · up 6 h 12 min · configuration 3f9a01c2d4e5b6a7. Counts start from zero at midnight and when the app restarts.",
            ));
            staff.set_log_text(
                [
                    "08:01:12 INFO  agent: configuration applied version=3f9a01c2d4e5b6a7 pins=2",
                    "08:14:40 INFO  app: status received nik=3510********0002",
                    "08:15:02 INFO  sender: report sent ticket=LP-0001-000123-5",
                    "09:30:11 WARN  sender: report not sent error=backend unreachable",
                    "09:41:57 ERROR app: status slip not printed error=printer connection: no device",
                    "10:02:03 INFO  staff: staff mode opened who=Sekdes Bomo",
                ]
                .join("\n")
                .into(),
            );
            let code = if lang == Lang::Id { "id" } else { "en" };
            let pages: [(&str, StaffMode, StaffTab, &str); 7] = [
                ("50-staff-pin", StaffMode::Pin, StaffTab::Printer, ""),
                (
                    "51-staff-printer",
                    StaffMode::Open,
                    StaffTab::Printer,
                    "Halaman uji sudah dicetak.",
                ),
                ("52-staff-network", StaffMode::Open, StaffTab::Network, ""),
                ("53-staff-queue", StaffMode::Open, StaffTab::Queue, ""),
                ("54-staff-today", StaffMode::Open, StaffTab::Today, ""),
                ("55-staff-log", StaffMode::Open, StaffTab::Log, ""),
                ("56-staff-system", StaffMode::Open, StaffTab::System, ""),
            ];
            for (name, mode, tab, message) in pages {
                staff.set_mode(mode);
                staff.set_tab(tab);
                staff.set_pin_count(if mode == StaffMode::Pin { 3 } else { 0 });
                staff.set_pin_message(if mode == StaffMode::Pin {
                    t("PIN salah. Sisa 4 kali percobaan.", "Wrong PIN. 4 attempts left.")
                } else {
                    SharedString::new()
                });
                staff.set_message(if message.is_empty() {
                    SharedString::new()
                } else {
                    t(message, "The test page has been printed.")
                });
                staff.set_message_bad(false);
                let path = dir.join(format!("{name}-{code}-{width}x{height}.png"));
                snapshot(app, &path)?;
                written.push(path);
            }
            staff.set_mode(StaffMode::Closed);
        }
    }
    Ok(written)
}
