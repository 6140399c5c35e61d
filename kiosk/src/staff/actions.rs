//! The buttons of staff mode: print a test page, reprint the last receipt, restart the
//! paper count, check the network, send the queue now, restart or leave the kiosk. Each
//! runs its slow part on tokio and reports back on the open tab; an answer that arrives
//! after staff mode closed is dropped.

use std::sync::atomic::Ordering;

use hardware::printer::Document;
use protocol::Text;
use slint::ComponentHandle;
use time::OffsetDateTime;

use super::{
    Ctx, EXIT_DESKTOP, EXIT_RESTART, REQUESTED_EXIT, lang_of, messages, printer_name, say, tabs,
    test_page,
};
use crate::ui::{AppWindow, Staff};

pub(super) fn connect(staff: &Staff<'_>, ctx: &Ctx) {
    staff.on_visitor_started({
        let ctx = ctx.clone();
        // A receipt is only reprinted for the visitor it was printed for.
        move || ctx.tools.monitor.forget_receipt()
    });
    staff.on_print_test({
        let ctx = ctx.clone();
        move || print_test(&ctx)
    });
    staff.on_reprint({
        let ctx = ctx.clone();
        move || reprint(&ctx)
    });
    staff.on_reset_paper({
        let ctx = ctx.clone();
        move || reset_paper(&ctx)
    });
    staff.on_check_backend({
        let ctx = ctx.clone();
        move || check_backend(&ctx)
    });
    staff.on_force_sync({
        let ctx = ctx.clone();
        move || force_sync(&ctx)
    });
    staff.on_restart(|| {
        tracing::warn!("staff asked for a restart");
        REQUESTED_EXIT.store(EXIT_RESTART, Ordering::SeqCst);
        let _ = slint::quit_event_loop();
    });
    staff.on_exit_desktop(|| {
        tracing::warn!("staff asked to exit to the desktop");
        REQUESTED_EXIT.store(EXIT_DESKTOP, Ordering::SeqCst);
        let _ = slint::quit_event_loop();
    });
}

fn print_test(ctx: &Ctx) {
    let Some(window) = ctx.weak.upgrade() else { return };
    let tools = &ctx.tools;
    let name = printer_name(&tools.printer);
    let document = test_page::test_page(
        tools.paper,
        &tools.kiosk_id,
        &name,
        OffsetDateTime::now_utc(),
        tools.utc_offset,
    );
    let done = (messages::test_page_printed(), messages::test_page_failed());
    print_staff_job(ctx, &window, document, done);
}

fn reprint(ctx: &Ctx) {
    let Some(window) = ctx.weak.upgrade() else { return };
    let Some(receipt) = ctx.tools.monitor.last_receipt() else {
        say(&window, &messages::no_receipt(), true);
        return;
    };
    let done = (messages::receipt_reprinted(), messages::receipt_failed());
    print_staff_job(ctx, &window, receipt, done);
}

/// Prints a staff document (test page, reprint) off the UI thread and reports the outcome.
fn print_staff_job(
    ctx: &Ctx,
    window: &AppWindow,
    document: Document,
    (done, failed): (Text, Text),
) {
    let generation = ctx.touch();
    say(window, &messages::printing(), false);
    let ctx = ctx.clone();
    ctx.tools.runtime.clone().spawn_blocking(move || {
        let outcome = {
            let mut printer = ctx.tools.printer.lock().unwrap_or_else(|p| p.into_inner());
            ctx.tools.monitor.staff_job(|| printer.print(&document))
        };
        if let Err(error) = &outcome {
            tracing::error!(%error, "staff print failed");
        }
        let weak = ctx.weak.clone();
        let _ = weak.upgrade_in_event_loop(move |window| {
            if !ctx.current(generation) {
                return;
            }
            match outcome {
                Ok(()) => say(&window, &done, false),
                Err(error) => say(&window, &messages::failed_because(&failed, error), true),
            }
            tabs::refresh(&window, &ctx.tools);
        });
    });
}

fn reset_paper(ctx: &Ctx) {
    let Some(paper) = ctx.tools.monitor.paper().cloned() else { return };
    let generation = ctx.touch();
    let ctx = ctx.clone();
    ctx.tools.runtime.clone().spawn_blocking(move || {
        let outcome = paper.reset();
        match &outcome {
            Ok(()) => tracing::info!("paper roll replaced; count reset"),
            Err(error) => tracing::error!(%error, "paper count not reset"),
        }
        let weak = ctx.weak.clone();
        let _ = weak.upgrade_in_event_loop(move |window| {
            if !ctx.current(generation) {
                return;
            }
            match outcome {
                Ok(()) => say(&window, &messages::paper_restarted(), false),
                Err(error) => say(&window, &messages::paper_not_saved(error), true),
            }
            tabs::refresh(&window, &ctx.tools);
        });
    });
}

fn check_backend(ctx: &Ctx) {
    let Some(window) = ctx.weak.upgrade() else { return };
    let generation = ctx.touch();
    window.global::<Staff>().set_backend_checking(true);
    let ctx = ctx.clone();
    let client = ctx.tools.client.clone();
    ctx.tools.runtime.clone().spawn(async move {
        let answer = client.health().await;
        let weak = ctx.weak.clone();
        let _ = weak.upgrade_in_event_loop(move |window| {
            if !ctx.current(generation) {
                return;
            }
            let staff = window.global::<Staff>();
            staff.set_backend_checking(false);
            let (up, message) = match answer {
                Ok((health, took)) => (true, messages::backend_connected(took, &health.version)),
                Err(error) => (false, messages::backend_not_connected(error)),
            };
            tracing::info!(up, "backend check");
            staff.set_backend_up(up);
            staff.set_backend_status(message.get(lang_of(&window)).into());
        });
    });
}

fn force_sync(ctx: &Ctx) {
    let Some(outbox) = ctx.tools.outbox.clone() else { return };
    let generation = ctx.touch();
    let ctx = ctx.clone();
    ctx.tools.runtime.clone().spawn_blocking(move || {
        let outcome = outbox.force_sync();
        let weak = ctx.weak.clone();
        let _ = weak.upgrade_in_event_loop(move |window| {
            if !ctx.current(generation) {
                return;
            }
            match outcome {
                Ok(count) => say(&window, &messages::sending_now(count), false),
                Err(error) => say(&window, &messages::queue_unreadable(error), true),
            }
            tabs::refresh(&window, &ctx.tools);
        });
    });
}
