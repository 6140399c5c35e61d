//! Staff mode's pages in sample states: one PNG per page, language and display size. The
//! tabs are drawn by the live screen's own `show_*` functions and sentences
//! (`crate::staff::{tabs, messages}`), from sample views, so only the data here is made up.

use std::path::{Path, PathBuf};
use std::time::Duration;

use protocol::Lang;
use protocol::fleet::PrinterState;
use protocol::ticket::Ticket;
use slint::{ComponentHandle, SharedString};

use super::{SIZES, snapshot};
use crate::app::KioskApp;
use crate::diagnostics::Today;
use crate::local::{Kind, MaskedEntry, SubmissionState};
use crate::staff::messages;
use crate::staff::tabs::{
    PaperView, PrinterView, QueueView, TodayView, show_printer, show_queue, show_today,
};
use crate::ui::{Staff, StaffMode, StaffTab};

/// A queued report as the staff screen lists it.
fn queued_report(
    serial: u32,
    attempts: u32,
    subject: &str,
    minutes: u64,
    why: Option<&str>,
) -> anyhow::Result<MaskedEntry> {
    Ok(MaskedEntry {
        ticket: Ticket::new(1, serial)?,
        kind: Kind::Report,
        state: SubmissionState::Queued,
        attempts,
        subject: subject.into(),
        age: Duration::from_secs(minutes * 60),
        last_error: why.map(Into::into),
        answer: None,
    })
}

/// Writes the staff pages with `app`'s window into `dir`; returns the files written.
pub(super) fn write_all(app: &KioskApp, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let printer = PrinterView {
        name: "/dev/usb/lp0".into(),
        state: Some(PrinterState::Online),
        last_error: None,
        paper: Some(PaperView { remaining_mm: 2_400, roll_m: 30, warn: true }),
        can_reprint: true,
    };
    let entries = vec![
        queued_report(124, 4, "3510********0002", 12, Some("backend unreachable"))?,
        queued_report(125, 1, "3510********0017", 3, None)?,
    ];
    let queue = QueueView::Entries { depth: entries.len() as u64, entries };
    let today = TodayView {
        today: Today { lookups: 37, reports: 5, letters: 3, prints: 29 },
        kiosk_id: "BWI-3510-0001".into(),
        version: "0.1.0".into(),
        uptime: Duration::from_secs(6 * 3600 + 12 * 60),
        config_version: "3f9a01c2d4e5b6a7".into(),
    };
    let mut written = Vec::new();
    for (width, height) in SIZES {
        app.window.window().set_size(slint::PhysicalSize::new(width, height));
        for lang in [Lang::Id, Lang::En] {
            app.apply(|session| {
                session.reset();
                session.lang = lang;
            });
            let staff = app.window.global::<Staff>();
            let say = |text: protocol::Text| SharedString::from(text.get(lang));
            staff.set_who("Sekdes Bomo".into());
            show_printer(&staff, &printer, lang);
            staff.set_backend_url("https://anjungan.banyuwangikab.go.id".into());
            // The client's error, in the language of the page.
            let unreachable = match lang {
                Lang::Id => "layanan pusat tidak dapat dihubungi",
                Lang::En => "the central service cannot be reached",
            };
            staff.set_backend_status(say(messages::backend_not_connected(unreachable)));
            staff.set_backend_up(false);
            show_queue(&staff, &queue, lang);
            show_today(&staff, &today, lang);
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
            let pages: [(&str, StaffMode, StaffTab, Option<protocol::Text>); 7] = [
                ("50-staff-pin", StaffMode::Pin, StaffTab::Printer, None),
                (
                    "51-staff-printer",
                    StaffMode::Open,
                    StaffTab::Printer,
                    Some(messages::test_page_printed()),
                ),
                ("52-staff-network", StaffMode::Open, StaffTab::Network, None),
                ("53-staff-queue", StaffMode::Open, StaffTab::Queue, None),
                ("54-staff-today", StaffMode::Open, StaffTab::Today, None),
                ("55-staff-log", StaffMode::Open, StaffTab::Log, None),
                ("56-staff-system", StaffMode::Open, StaffTab::System, None),
            ];
            for (name, mode, tab, message) in pages {
                staff.set_mode(mode);
                staff.set_tab(tab);
                let on_keypad = mode == StaffMode::Pin;
                staff.set_pin_count(if on_keypad { 3 } else { 0 });
                staff.set_pin_message(if on_keypad {
                    say(messages::wrong_pin(4))
                } else {
                    SharedString::new()
                });
                staff.set_message(message.map(say).unwrap_or_default());
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
