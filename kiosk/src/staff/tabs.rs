//! What each tab shows. A tab with data is read into a plain view (`*_view`, from the
//! kiosk's state) and drawn by one `show_*` function; the screenshots draw their sample
//! views with the same functions, so the screen and its pictures cannot drift apart.

use std::time::{Duration, Instant};

use protocol::Lang;
use protocol::fleet::PrinterState;
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::{Ctx, StaffTools, lang_of, lock, messages, printer_name, text};
use crate::diagnostics::{Today, counters};
use crate::local::MaskedEntry;
use crate::present::outbox::staff_row;
use crate::ui::{AppWindow, Staff, StaffTab};

pub(super) fn connect(staff: &Staff<'_>, ctx: &Ctx) {
    staff.on_show_tab({
        let ctx = ctx.clone();
        move |tab| {
            lock(&ctx.state).last_touch = Some(Instant::now());
            if let Some(window) = ctx.weak.upgrade() {
                window.global::<Staff>().set_tab(tab);
                refresh(&window, &ctx.tools);
            }
        }
    });
}

/// Redraws the open tab from the kiosk's current state.
pub(super) fn refresh(window: &AppWindow, tools: &StaffTools) {
    let staff = window.global::<Staff>();
    let lang = lang_of(window);
    match staff.get_tab() {
        StaffTab::Printer => show_printer(&staff, &printer_view(tools), lang),
        StaffTab::Network => {}
        StaffTab::Queue => show_queue(&staff, &queue_view(tools), lang),
        StaffTab::Today => show_today(&staff, &today_view(tools), lang),
        StaffTab::Log => {
            staff.set_log_text(crate::logring::tail(crate::logring::TAIL).join("\n").into());
        }
        StaffTab::System => {}
    }
}

/// The printer tab's facts.
pub(crate) struct PrinterView {
    pub name: String,
    /// `None` before the printer told anything and before the first job.
    pub state: Option<PrinterState>,
    pub last_error: Option<String>,
    /// `None` without a paper counter.
    pub paper: Option<PaperView>,
    pub can_reprint: bool,
}

/// The paper roll as the counter tells it.
pub(crate) struct PaperView {
    pub remaining_mm: u64,
    pub roll_m: u32,
    pub warn: bool,
}

fn printer_view(tools: &StaffTools) -> PrinterView {
    let monitor = &tools.monitor;
    PrinterView {
        name: printer_name(&tools.printer),
        state: monitor.status().map(|status| status.state),
        last_error: monitor.last_error(),
        paper: monitor.paper().map(|paper| PaperView {
            remaining_mm: paper.remaining_mm(),
            roll_m: paper.roll().length_m,
            warn: paper.should_warn(),
        }),
        can_reprint: monitor.last_receipt().is_some(),
    }
}

pub(crate) fn show_printer(staff: &Staff<'_>, view: &PrinterView, lang: Lang) {
    staff.set_printer_name(view.name.as_str().into());
    let status = messages::printer_status(view.state, view.last_error.as_deref());
    staff.set_printer_ok(view.state.is_none_or(|state| state == PrinterState::Online));
    staff.set_printer_status(status.get(lang).into());
    let paper = view.paper.as_ref().map(|p| messages::paper_left(p.remaining_mm, p.roll_m, p.warn));
    staff.set_paper_status(text(paper.as_ref(), lang));
    staff.set_can_reprint(view.can_reprint);
}

/// The queue tab's facts.
pub(crate) enum QueueView {
    /// This kiosk runs without an outbox.
    NoOutbox,
    /// The outbox could not be read, and why.
    Unreadable(String),
    /// `depth` submissions waiting; the latest entries, newest first.
    Entries { depth: u64, entries: Vec<MaskedEntry> },
}

fn queue_view(tools: &StaffTools) -> QueueView {
    let Some(outbox) = &tools.outbox else { return QueueView::NoOutbox };
    // A small local database read; the staff screen is not a citizen path.
    match (outbox.depth(), outbox.list_masked(50)) {
        (Ok(depth), Ok(entries)) => QueueView::Entries { depth, entries },
        (Err(error), _) | (_, Err(error)) => QueueView::Unreadable(error.to_string()),
    }
}

pub(crate) fn show_queue(staff: &Staff<'_>, view: &QueueView, lang: Lang) {
    let (available, summary, rows) = match view {
        QueueView::NoOutbox => (false, messages::no_outbox(), Vec::new()),
        QueueView::Unreadable(error) => (true, messages::queue_unreadable(error), Vec::new()),
        QueueView::Entries { depth, entries } => (
            true,
            messages::queue_waiting(*depth),
            entries.iter().map(|entry| SharedString::from(staff_row(entry, lang))).collect(),
        ),
    };
    staff.set_outbox_available(available);
    staff.set_outbox_summary(summary.get(lang).into());
    staff.set_outbox_rows(ModelRc::new(VecModel::from(rows)));
}

/// The today tab's facts.
pub(crate) struct TodayView {
    pub today: Today,
    pub kiosk_id: String,
    pub version: String,
    pub uptime: Duration,
    /// The applied configuration's version, `-` before any.
    pub config_version: String,
}

fn today_view(tools: &StaffTools) -> TodayView {
    TodayView {
        today: counters().today(tools.utc_offset),
        kiosk_id: tools.kiosk_id.clone(),
        version: env!("CARGO_PKG_VERSION").into(),
        uptime: tools.started.elapsed(),
        config_version: tools
            .config
            .borrow()
            .as_ref()
            .map(|c| c.config_version.clone())
            .unwrap_or_else(|| "-".into()),
    }
}

pub(crate) fn show_today(staff: &Staff<'_>, view: &TodayView, lang: Lang) {
    staff.set_lookups_today(view.today.lookups as i32);
    staff.set_reports_today(view.today.reports as i32);
    staff.set_letters_today(view.today.letters as i32);
    staff.set_prints_today(view.today.prints as i32);
    let info =
        messages::kiosk_info(&view.kiosk_id, &view.version, view.uptime, &view.config_version);
    staff.set_kiosk_info(info.get(lang).into());
}
