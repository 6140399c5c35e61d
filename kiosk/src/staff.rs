//! Staff mode: what desa staff can do at the kiosk without a keyboard or a shell.
//!
//! Opened by a hidden gesture (five taps within three seconds on the top-left corner of
//! home) and a PIN checked on the kiosk against the Argon2id hashes pulled with the
//! configuration, so it works while the central service is down. Five wrong PINs lock the
//! keypad for five minutes. Inside: printer test page and status, paper-roll reset, a
//! network check, the outbox (masked) with "send now", a reprint of the last receipt,
//! today's counters, the log tail, restart and exit to desktop. Leaving (or two minutes
//! untouched) closes it and clears everything it showed.
//!
//! Callbacks run on the Slint thread; Argon2, printing, disk and network run on tokio and
//! come back through the event loop, so the UI never waits.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordVerifier};
use hardware::printer::{Document, Paper, Style};
use protocol::fleet::StaffPin;
use protocol::{Lang, Text};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel, Weak};
use time::{OffsetDateTime, UtcOffset};

use crate::agent::ConfigWatch;
use crate::app::SharedPrinter;
use crate::client::BackendClient;
use crate::diagnostics::{PrinterMonitor, counters};
use crate::local::outbox::Outbox;
use crate::local::{LocalStore, PinAttempt, PinLock, now_ms};
use crate::ui::{AppWindow, Kiosk, Staff, StaffMode, StaffTab};

/// Exit status asking the service manager to start the kiosk again (the systemd unit has
/// `Restart=on-failure`; 75 is EX_TEMPFAIL).
pub const EXIT_RESTART: i32 = 75;
/// Exit status of "keluar ke desktop": a clean stop, not restarted.
pub const EXIT_DESKTOP: i32 = 0;

static REQUESTED_EXIT: AtomicI32 = AtomicI32::new(-1);

/// The exit status staff asked for, once they did; the binary exits with it after the
/// event loop ends.
pub fn requested_exit() -> Option<i32> {
    let code = REQUESTED_EXIT.load(Ordering::SeqCst);
    (code >= 0).then_some(code)
}

/// Timings of staff mode; the defaults are the kiosk's, tests shorten them.
#[derive(Debug, Clone)]
pub struct StaffOptions {
    /// Taps on the corner that open the keypad ...
    pub taps: usize,
    /// ... within this time.
    pub tap_window: Duration,
    /// Wrong PINs in a row that lock the keypad ...
    pub lock_after: u32,
    /// ... for this long.
    pub lock_for: Duration,
    /// Staff mode closes itself after this long untouched.
    pub idle_close: Duration,
}

impl Default for StaffOptions {
    fn default() -> StaffOptions {
        StaffOptions {
            taps: 5,
            tap_window: Duration::from_secs(3),
            lock_after: 5,
            lock_for: Duration::from_secs(5 * 60),
            idle_close: Duration::from_secs(120),
        }
    }
}

/// What staff mode works with.
#[derive(Clone)]
pub struct StaffTools {
    pub kiosk_id: String,
    pub client: BackendClient,
    pub printer: SharedPrinter,
    pub monitor: PrinterMonitor,
    pub paper: Paper,
    pub utc_offset: UtcOffset,
    pub runtime: tokio::runtime::Handle,
    /// The applied configuration: its PIN hashes open staff mode.
    pub config: ConfigWatch,
    /// The outbox, when the kiosk has one.
    pub outbox: Option<Outbox>,
    /// The kiosk's database, where the PIN lockout survives restarts; in memory without.
    pub store: Option<LocalStore>,
    pub started: Instant,
    pub options: StaffOptions,
}

#[derive(Default)]
struct State {
    taps: VecDeque<Instant>,
    pin: String,
    pin_lock: Arc<PinLock>,
    checking: bool,
    who: Option<String>,
    /// Bumped whenever staff mode closes, so an answer arriving later is dropped.
    generation: u64,
    last_touch: Option<Instant>,
}

impl State {
    /// How much longer the keypad stays locked, if it is.
    fn locked(&self) -> Option<Duration> {
        self.pin_lock.locked_for(now_ms())
    }
}

type Shared = Arc<Mutex<State>>;

fn lock(state: &Shared) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Keeps staff mode's timer alive; hold it as long as the window.
pub struct StaffHandle {
    _idle: slint::Timer,
}

/// Connects the `Staff` global's callbacks on `window`.
pub fn install(window: &AppWindow, tools: StaffTools) -> StaffHandle {
    let (after, length) = (tools.options.lock_after, tools.options.lock_for);
    let pin_lock = match &tools.store {
        Some(store) => PinLock::open(Some(store.clone()), after, length).unwrap_or_else(|error| {
            tracing::error!(%error, "staff lock unreadable; kept in memory");
            PinLock::in_memory(after, length)
        }),
        None => PinLock::in_memory(after, length),
    };
    let state: Shared =
        Arc::new(Mutex::new(State { pin_lock: Arc::new(pin_lock), ..State::default() }));
    let tools = Arc::new(tools);
    let staff = window.global::<Staff>();
    staff.set_backend_url(tools.client.base_url().into());
    let weak = window.as_weak();

    staff.on_corner_tapped({
        let (state, tools, weak) = (state.clone(), tools.clone(), weak.clone());
        move || {
            let now = Instant::now();
            let mut s = lock(&state);
            s.taps.push_back(now);
            while s.taps.front().is_some_and(|t| now.duration_since(*t) > tools.options.tap_window) {
                s.taps.pop_front();
            }
            if s.taps.len() < tools.options.taps {
                return;
            }
            s.taps.clear();
            s.pin.clear();
            s.last_touch = Some(now);
            let locked = s.locked();
            drop(s);
            let Some(window) = weak.upgrade() else { return };
            let staff = window.global::<Staff>();
            staff.set_mode(StaffMode::Pin);
            staff.set_pin_count(0);
            staff.set_pin_busy(false);
            staff.set_pin_locked(locked.is_some());
            let lang = lang_of(&window);
            let message = if let Some(left) = locked {
                unlock_after(&window, left);
                Some(locked_text(left))
            } else if pins(&tools.config).is_empty() {
                Some(Text::new(
                    "Belum ada PIN petugas di anjungan ini. Hubungkan ke layanan pusat, lalu coba lagi.",
                    "No staff PIN on this kiosk yet. Connect it to the central service and try again.",
                ))
            } else {
                None
            };
            staff.set_pin_message(text(message.as_ref(), lang));
            tracing::info!("staff PIN keypad opened");
        }
    });

    staff.on_pin_key({
        let (state, weak) = (state.clone(), weak.clone());
        move |key| {
            let mut s = lock(&state);
            s.last_touch = Some(Instant::now());
            if s.checking || s.locked().is_some() {
                return;
            }
            match key.as_str() {
                "back" => {
                    s.pin.pop();
                }
                "clear" => s.pin.clear(),
                digit
                    if digit.len() == 1
                        && digit.bytes().all(|b| b.is_ascii_digit())
                        && s.pin.len() < 8 =>
                {
                    s.pin.push_str(digit);
                }
                _ => {}
            }
            let count = s.pin.len() as i32;
            drop(s);
            if let Some(window) = weak.upgrade() {
                window.global::<Staff>().set_pin_count(count);
            }
        }
    });

    staff.on_pin_submit({
        let (state, tools, weak) = (state.clone(), tools.clone(), weak.clone());
        move || submit_pin(&state, &tools, &weak)
    });

    staff.on_pin_cancel({
        let (state, weak) = (state.clone(), weak.clone());
        move || close(&state, &weak)
    });
    staff.on_leave({
        let (state, weak) = (state.clone(), weak.clone());
        move || {
            tracing::info!("staff mode closed");
            close(&state, &weak)
        }
    });

    staff.on_show_tab({
        let (state, tools, weak) = (state.clone(), tools.clone(), weak.clone());
        move |tab| {
            lock(&state).last_touch = Some(Instant::now());
            if let Some(window) = weak.upgrade() {
                window.global::<Staff>().set_tab(tab);
                refresh(&window, &tools, &state);
            }
        }
    });

    staff.on_visitor_started({
        let tools = tools.clone();
        move || tools.monitor.forget_receipt()
    });

    staff.on_print_test({
        let (state, tools, weak) = (state.clone(), tools.clone(), weak.clone());
        move || {
            let Some(window) = weak.upgrade() else { return };
            let name = printer_name(&tools.printer);
            let document = test_page(&tools, &name, OffsetDateTime::now_utc());
            let done = (
                Text::new("Halaman uji sudah dicetak.", "The test page has been printed."),
                Text::new("Halaman uji gagal dicetak", "The test page did not print"),
            );
            print_staff_job(&window, &state, &tools, document, done);
        }
    });

    staff.on_reprint({
        let (state, tools, weak) = (state.clone(), tools.clone(), weak.clone());
        move || {
            let Some(window) = weak.upgrade() else { return };
            let Some(receipt) = tools.monitor.last_receipt() else {
                say(
                    &window,
                    &Text::new("Tidak ada struk untuk dicetak ulang.", "No receipt to reprint."),
                    true,
                );
                return;
            };
            let done = (
                Text::new(
                    "Struk terakhir sudah dicetak ulang.",
                    "The last receipt has been reprinted.",
                ),
                Text::new("Struk gagal dicetak ulang", "The receipt did not print"),
            );
            print_staff_job(&window, &state, &tools, receipt, done);
        }
    });

    staff.on_reset_paper({
        let (state, tools, weak) = (state.clone(), tools.clone(), weak.clone());
        move || {
            let Some(paper) = tools.monitor.paper().cloned() else { return };
            let generation = touch(&state);
            let (state, tools, weak) = (state.clone(), tools.clone(), weak.clone());
            tools.runtime.clone().spawn_blocking(move || {
                let outcome = paper.reset();
                match &outcome {
                    Ok(()) => tracing::info!("paper roll replaced; count reset"),
                    Err(error) => tracing::error!(%error, "paper count not reset"),
                }
                let _ = weak.upgrade_in_event_loop(move |window| {
                    if lock(&state).generation != generation {
                        return;
                    }
                    match outcome {
                        Ok(()) => say(
                            &window,
                            &Text::new(
                                "Penghitung kertas dimulai lagi untuk gulungan baru.",
                                "Paper count restarted for the new roll.",
                            ),
                            false,
                        ),
                        Err(error) => say(
                            &window,
                            &Text::new(
                                format!("Penghitung kertas gagal disimpan: {error}"),
                                format!("Paper count not saved: {error}"),
                            ),
                            true,
                        ),
                    }
                    refresh(&window, &tools, &state);
                });
            });
        }
    });

    staff.on_check_backend({
        let (state, tools, weak) = (state.clone(), tools.clone(), weak.clone());
        move || {
            let Some(window) = weak.upgrade() else { return };
            let generation = touch(&state);
            window.global::<Staff>().set_backend_checking(true);
            let (state, client, weak) = (state.clone(), tools.client.clone(), weak.clone());
            tools.runtime.spawn(async move {
                let answer = client.health().await;
                let _ = weak.upgrade_in_event_loop(move |window| {
                    if lock(&state).generation != generation {
                        return;
                    }
                    let staff = window.global::<Staff>();
                    staff.set_backend_checking(false);
                    let (up, message) = match answer {
                        Ok((health, took)) => (
                            true,
                            Text::new(
                                format!(
                                    "Terhubung · {} ms · versi {}",
                                    took.as_millis(),
                                    health.version
                                ),
                                format!(
                                    "Connected · {} ms · version {}",
                                    took.as_millis(),
                                    health.version
                                ),
                            ),
                        ),
                        Err(error) => (
                            false,
                            Text::new(
                                format!("Tidak terhubung: {error}"),
                                format!("Not connected: {error}"),
                            ),
                        ),
                    };
                    tracing::info!(up, "backend check");
                    staff.set_backend_up(up);
                    staff.set_backend_status(message.get(lang_of(&window)).into());
                });
            });
        }
    });

    staff.on_force_sync({
        let (state, tools, weak) = (state.clone(), tools.clone(), weak.clone());
        move || {
            let Some(outbox) = tools.outbox.clone() else { return };
            let generation = touch(&state);
            let (state, tools, weak) = (state.clone(), tools.clone(), weak.clone());
            tools.runtime.clone().spawn_blocking(move || {
                let outcome = outbox.force_sync();
                let _ = weak.upgrade_in_event_loop(move |window| {
                    if lock(&state).generation != generation {
                        return;
                    }
                    match outcome {
                        Ok(n) => say(
                            &window,
                            &Text::new(
                                format!("{n} kiriman dikirim sekarang."),
                                format!("{n} submissions are being sent now."),
                            ),
                            false,
                        ),
                        Err(error) => say(
                            &window,
                            &Text::new(
                                format!("Antrean tidak dapat dibaca: {error}"),
                                format!("The queue cannot be read: {error}"),
                            ),
                            true,
                        ),
                    }
                    refresh(&window, &tools, &state);
                });
            });
        }
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

    // Staff mode left open closes itself.
    let idle = slint::Timer::default();
    idle.start(slint::TimerMode::Repeated, Duration::from_secs(1), {
        let (state, tools, weak) = (state.clone(), tools.clone(), weak.clone());
        move || {
            let Some(window) = weak.upgrade() else { return };
            if window.global::<Staff>().get_mode() == StaffMode::Closed {
                return;
            }
            let stale =
                lock(&state).last_touch.is_none_or(|t| t.elapsed() >= tools.options.idle_close);
            if stale {
                tracing::info!("staff mode closed after inactivity");
                close(&state, &weak);
            }
        }
    });

    StaffHandle { _idle: idle }
}

fn submit_pin(state: &Shared, tools: &Arc<StaffTools>, weak: &Weak<AppWindow>) {
    let Some(window) = weak.upgrade() else { return };
    let now = Instant::now();
    let mut s = lock(state);
    s.last_touch = Some(now);
    if s.checking || s.pin.len() < 4 {
        return;
    }
    if let Some(left) = s.locked() {
        s.pin.clear();
        drop(s);
        let staff = window.global::<Staff>();
        staff.set_pin_count(0);
        staff.set_pin_message(locked_text(left).get(lang_of(&window)).into());
        return;
    }
    let pin = std::mem::take(&mut s.pin);
    s.checking = true;
    let generation = s.generation;
    drop(s);
    let staff = window.global::<Staff>();
    staff.set_pin_count(0);
    staff.set_pin_busy(true);
    let pins = pins(&tools.config);
    let (state, tools, weak) = (state.clone(), tools.clone(), weak.clone());
    tools.runtime.clone().spawn_blocking(move || {
        let matched = check_pin(&pin, &pins);
        drop(pin);
        let _ = weak.upgrade_in_event_loop(move |window| {
            let mut s = lock(&state);
            s.checking = false;
            if s.generation != generation {
                return;
            }
            let staff = window.global::<Staff>();
            staff.set_pin_busy(false);
            let lang = lang_of(&window);
            match matched {
                Some(label) => {
                    s.pin_lock.succeeded();
                    s.who = Some(label.clone());
                    drop(s);
                    tracing::info!(who = %label, "staff mode opened");
                    staff.set_pin_message(SharedString::new());
                    staff.set_who(label.into());
                    staff.set_message(SharedString::new());
                    staff.set_tab(StaffTab::Printer);
                    staff.set_mode(StaffMode::Open);
                    refresh(&window, &tools, &state);
                }
                None => {
                    let attempt = s.pin_lock.failed(now_ms());
                    drop(s);
                    match attempt {
                        PinAttempt::Locked(length) => {
                            tracing::warn!("wrong staff PIN; keypad locked");
                            staff.set_pin_locked(true);
                            staff.set_pin_message(locked_text(length).get(lang).into());
                            unlock_after(&window, length);
                        }
                        PinAttempt::Left(left) => {
                            tracing::warn!(left, "wrong staff PIN");
                            let message = Text::new(
                                format!("PIN salah. Sisa {left} kali percobaan."),
                                format!("Wrong PIN. {left} attempts left."),
                            );
                            staff.set_pin_message(message.get(lang).into());
                        }
                    }
                }
            }
        });
    });
}

/// The label of the first provisioned PIN `pin` matches. Every hash is tried, so the time
/// taken does not tell which (or whether an early) one matched.
pub fn check_pin(pin: &str, pins: &[StaffPin]) -> Option<String> {
    let mut matched = None;
    for candidate in pins {
        let Ok(hash) = PasswordHash::new(&candidate.pin_hash) else {
            tracing::error!(label = %candidate.label, "staff PIN hash unreadable");
            continue;
        };
        if Argon2::default().verify_password(pin.as_bytes(), &hash).is_ok() && matched.is_none() {
            matched = Some(candidate.label.clone());
        }
    }
    matched
}

fn pins(config: &ConfigWatch) -> Vec<StaffPin> {
    config.borrow().as_ref().map(|c| c.staff_pins.clone()).unwrap_or_default()
}

/// Opens the keypad again once a lock of `length` from now has run out.
fn unlock_after(window: &AppWindow, length: Duration) {
    let weak = window.as_weak();
    slint::Timer::single_shot(length, move || {
        if let Some(window) = weak.upgrade() {
            let staff = window.global::<Staff>();
            staff.set_pin_locked(false);
            staff.set_pin_message(SharedString::new());
        }
    });
}

fn locked_text(left: Duration) -> Text {
    let minutes = left.as_secs().div_ceil(60).max(1);
    Text::new(
        format!("Terlalu banyak PIN salah. Coba lagi dalam {minutes} menit."),
        format!("Too many wrong PINs. Try again in {minutes} minutes."),
    )
}

/// Marks staff activity; returns the generation an answer must still match.
fn touch(state: &Shared) -> u64 {
    let mut s = lock(state);
    s.last_touch = Some(Instant::now());
    s.generation
}

/// Closes staff mode and clears everything it showed.
fn close(state: &Shared, weak: &Weak<AppWindow>) {
    {
        let mut s = lock(state);
        s.pin.clear();
        s.who = None;
        s.taps.clear();
        s.generation += 1;
        s.last_touch = None;
    }
    let Some(window) = weak.upgrade() else { return };
    let staff = window.global::<Staff>();
    staff.set_mode(StaffMode::Closed);
    staff.set_tab(StaffTab::Printer);
    staff.set_pin_count(0);
    staff.set_pin_busy(false);
    staff.set_pin_message(SharedString::new());
    staff.set_who(SharedString::new());
    staff.set_message(SharedString::new());
    staff.set_backend_status(SharedString::new());
    staff.set_backend_checking(false);
    staff.set_outbox_rows(ModelRc::new(VecModel::<SharedString>::default()));
    staff.set_outbox_summary(SharedString::new());
    staff.set_log_text(SharedString::new());
    staff.set_kiosk_info(SharedString::new());
}

fn lang_of(window: &AppWindow) -> Lang {
    if window.global::<Kiosk>().get_english() { Lang::En } else { Lang::Id }
}

fn text(value: Option<&Text>, lang: Lang) -> SharedString {
    value.map(|t| t.get(lang).into()).unwrap_or_default()
}

fn say(window: &AppWindow, message: &Text, bad: bool) {
    let staff = window.global::<Staff>();
    staff.set_message(message.get(lang_of(window)).into());
    staff.set_message_bad(bad);
}

fn printer_name(printer: &SharedPrinter) -> String {
    // A job in progress holds the lock: the name is not worth waiting for.
    match printer.try_lock() {
        Ok(printer) => printer.name(),
        Err(_) => "printer".into(),
    }
}

/// Prints a staff document (test page, reprint) off the UI thread and reports the outcome.
fn print_staff_job(
    window: &AppWindow,
    state: &Shared,
    tools: &Arc<StaffTools>,
    document: Document,
    (done, failed): (Text, Text),
) {
    let generation = touch(state);
    say(window, &Text::new("Mencetak…", "Printing…"), false);
    let (state, tools, weak) = (state.clone(), tools.clone(), window.as_weak());
    tools.runtime.clone().spawn_blocking(move || {
        let outcome = {
            let mut printer = tools.printer.lock().unwrap_or_else(|p| p.into_inner());
            tools.monitor.staff_job(|| printer.print(&document))
        };
        if let Err(error) = &outcome {
            tracing::error!(%error, "staff print failed");
        }
        let _ = weak.upgrade_in_event_loop(move |window| {
            if lock(&state).generation != generation {
                return;
            }
            match outcome {
                Ok(()) => say(&window, &done, false),
                Err(error) => say(
                    &window,
                    &Text::new(
                        format!("{}: {error}", failed.id),
                        format!("{}: {error}", failed.en),
                    ),
                    true,
                ),
            }
            refresh(&window, &tools, &state);
        });
    });
}

/// The printer test page: identity, a column ruler, the styles receipts use and a QR code,
/// so staff see at once whether the paper width, bold, double size and QR all work.
pub fn test_page(tools: &StaffTools, printer_name: &str, at: OffsetDateTime) -> Document {
    let local = at.to_offset(tools.utc_offset);
    let zone = match tools.utc_offset.whole_hours() {
        7 => "WIB".to_owned(),
        8 => "WITA".to_owned(),
        9 => "WIT".to_owned(),
        h => format!("UTC{h:+}"),
    };
    let columns = tools.paper.columns();
    let ruler: String = (1..=columns).map(|i| char::from(b'0' + (i % 10) as u8)).collect();
    let mut doc = Document::new(tools.paper);
    doc.text("ANJUNGAN MANDIRI", Style::center().bold())
        // 16 columns at double size on 58 mm paper: short enough for one line.
        .text("UJI PRINTER", Style::center().bold().double())
        .text("Halaman uji / Printer test page", Style::center())
        .rule()
        .pair("Kios", &tools.kiosk_id)
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
        .qr(format!("ANJUNGAN/TEST/1?kiosk={}", tools.kiosk_id))
        .text("Jika semua baris di atas terbaca, printer siap.", Style::center())
        .feed(2)
        .cut();
    doc
}

/// Redraws the open tab from the kiosk's current state.
fn refresh(window: &AppWindow, tools: &Arc<StaffTools>, _state: &Shared) {
    let staff = window.global::<Staff>();
    let lang = lang_of(window);
    match staff.get_tab() {
        StaffTab::Printer => {
            staff.set_printer_name(printer_name(&tools.printer).into());
            let status = tools.monitor.status();
            let state_text = match status {
                Some(status) => status.state.text(),
                None => Text::new(
                    "belum ada cetakan sejak anjungan dinyalakan",
                    "nothing printed since the kiosk started",
                ),
            };
            staff.set_printer_ok(
                status.is_none_or(|s| s.state == protocol::fleet::PrinterState::Online),
            );
            let error = tools.monitor.last_error().map(|e| format!(" ({e})")).unwrap_or_default();
            staff.set_printer_status(format!("{}{error}", state_text.get(lang)).into());
            let paper = tools.monitor.paper().map(|paper| {
                let left_m = paper.remaining_mm() as f64 / 1000.0;
                let roll_m = paper.roll().length_m;
                let warn = if paper.should_warn() {
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
            });
            staff.set_paper_status(text(paper.as_ref(), lang));
            staff.set_can_reprint(tools.monitor.last_receipt().is_some());
        }
        StaffTab::Network => {}
        StaffTab::Queue => match &tools.outbox {
            Some(outbox) => {
                staff.set_outbox_available(true);
                // A small local database read; the staff screen is not a citizen path.
                let (summary, rows) = match (outbox.depth(), outbox.list_masked(50)) {
                    (Ok(depth), Ok(entries)) => (
                        Text::new(
                            format!("{depth} kiriman menunggu dikirim ke layanan pusat."),
                            format!("{depth} submissions waiting for the central service."),
                        ),
                        entries
                            .iter()
                            .map(|e| {
                                let error = e
                                    .last_error
                                    .as_deref()
                                    .map(|x| format!(" · {x}"))
                                    .unwrap_or_default();
                                SharedString::from(format!(
                                    "{} · {} · {} · {}× · {} · {} {}{error}",
                                    e.ticket,
                                    crate::present::outbox::kind_text(e.kind).get(lang),
                                    crate::present::outbox::state_text(e.state).get(lang),
                                    e.attempts,
                                    e.subject,
                                    e.age.as_secs() / 60,
                                    if lang == Lang::En { "min ago" } else { "menit lalu" },
                                ))
                            })
                            .collect(),
                    ),
                    (Err(error), _) | (_, Err(error)) => (
                        Text::new(
                            format!("Antrean tidak dapat dibaca: {error}"),
                            format!("The queue cannot be read: {error}"),
                        ),
                        Vec::new(),
                    ),
                };
                staff.set_outbox_summary(summary.get(lang).into());
                staff.set_outbox_rows(ModelRc::new(VecModel::from(rows)));
            }
            None => {
                staff.set_outbox_available(false);
                staff.set_outbox_summary(
                    Text::new("Anjungan ini tidak memakai antrean.", "This kiosk has no outbox.")
                        .get(lang)
                        .into(),
                );
                staff.set_outbox_rows(ModelRc::new(VecModel::<SharedString>::default()));
            }
        },
        StaffTab::Today => {
            let today = counters().today(tools.utc_offset);
            staff.set_lookups_today(today.lookups as i32);
            staff.set_reports_today(today.reports as i32);
            staff.set_letters_today(today.letters as i32);
            staff.set_prints_today(today.prints as i32);
            let uptime = tools.started.elapsed().as_secs();
            let config = tools
                .config
                .borrow()
                .as_ref()
                .map(|c| c.config_version.clone())
                .unwrap_or_else(|| "-".into());
            let info = Text::new(
                format!(
                    "Kios {} · versi {} · menyala {} jam {} menit · konfigurasi {config}. Hitungan mulai dari nol setiap tengah malam dan saat aplikasi dimulai ulang.",
                    tools.kiosk_id,
                    env!("CARGO_PKG_VERSION"),
                    uptime / 3600,
                    uptime % 3600 / 60
                ),
                format!(
                    "Kiosk {} · version {} · up {} h {} min · configuration {config}. Counts start from zero at midnight and when the app restarts.",
                    tools.kiosk_id,
                    env!("CARGO_PKG_VERSION"),
                    uptime / 3600,
                    uptime % 3600 / 60
                ),
            );
            staff.set_kiosk_info(info.get(lang).into());
        }
        StaffTab::Log => {
            staff.set_log_text(crate::logring::tail(crate::logring::TAIL).join("\n").into());
        }
        StaffTab::System => {}
    }
}

/// Staff mode's pages in sample states, for `kiosk screenshots`: one PNG per page, language
/// and display size, written with the screenshot module's `snapshot`.
pub fn screenshots(
    app: &crate::app::KioskApp,
    dir: &std::path::Path,
    snapshot: impl Fn(&crate::app::KioskApp, &std::path::Path) -> anyhow::Result<()>,
) -> anyhow::Result<Vec<std::path::PathBuf>> {
    use crate::screenshot::SIZES;
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
