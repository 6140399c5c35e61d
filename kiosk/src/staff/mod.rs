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
//!
//! The parts: `pin` (the gesture and the keypad), `tabs` (what each tab shows, drawn from a
//! plain view so the screenshots draw the same way), `actions` (the buttons), `test_page`
//! (the printer test page) and `messages` (every sentence staff mode says).

mod actions;
pub(crate) mod messages;
mod pin;
pub(crate) mod tabs;
mod test_page;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use hardware::printer::Paper;
use protocol::{Lang, Text};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel, Weak};
use time::UtcOffset;

use crate::agent::ConfigWatch;
use crate::app::SharedPrinter;
use crate::client::BackendClient;
use crate::diagnostics::PrinterMonitor;
use crate::local::outbox::Outbox;
use crate::local::{LocalStore, PinLock, now_ms};
use crate::ui::{AppWindow, Kiosk, Staff, StaffMode, StaffTab};

pub use pin::check_pin;
pub use test_page::test_page;

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
    /// ... for the first of these, then the next, the last for every further lock (until
    /// the right PIN).
    pub lock_lengths: Vec<Duration>,
    /// Staff mode closes itself after this long untouched.
    pub idle_close: Duration,
}

impl Default for StaffOptions {
    fn default() -> StaffOptions {
        StaffOptions {
            taps: 5,
            tap_window: Duration::from_secs(3),
            lock_after: 5,
            lock_lengths: crate::local::pin_lock::DEFAULT_LOCK_LENGTHS.to_vec(),
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
    /// The kiosk's time zone (from its settings): the test page's time and "today".
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

/// What every staff callback works with: staff mode's state, its tools and the window.
/// Cheap to clone into each callback.
#[derive(Clone)]
struct Ctx {
    state: Shared,
    tools: Arc<StaffTools>,
    weak: Weak<AppWindow>,
}

impl Ctx {
    /// Marks staff activity; returns the generation an answer must still match.
    fn touch(&self) -> u64 {
        let mut s = lock(&self.state);
        s.last_touch = Some(Instant::now());
        s.generation
    }

    /// Whether staff mode is still the one an answer of `generation` was asked in.
    fn current(&self, generation: u64) -> bool {
        lock(&self.state).generation == generation
    }
}

/// Keeps staff mode's timer alive; hold it as long as the window.
pub struct StaffHandle {
    _idle: slint::Timer,
}

/// Connects the `Staff` global's callbacks on `window`.
pub fn install(window: &AppWindow, tools: StaffTools) -> StaffHandle {
    let pin_lock = pin::open_lock(&tools);
    let state: Shared =
        Arc::new(Mutex::new(State { pin_lock: Arc::new(pin_lock), ..State::default() }));
    let ctx = Ctx { state, tools: Arc::new(tools), weak: window.as_weak() };
    let staff = window.global::<Staff>();
    staff.set_backend_url(ctx.tools.client.base_url().into());
    pin::connect(&staff, &ctx);
    tabs::connect(&staff, &ctx);
    actions::connect(&staff, &ctx);
    staff.on_leave({
        let ctx = ctx.clone();
        move || {
            tracing::info!("staff mode closed");
            close(&ctx.state, &ctx.weak)
        }
    });
    StaffHandle { _idle: close_when_idle(&ctx) }
}

/// Staff mode left open closes itself.
fn close_when_idle(ctx: &Ctx) -> slint::Timer {
    let idle = slint::Timer::default();
    idle.start(slint::TimerMode::Repeated, Duration::from_secs(1), {
        let ctx = ctx.clone();
        move || {
            let Some(window) = ctx.weak.upgrade() else { return };
            if window.global::<Staff>().get_mode() == StaffMode::Closed {
                return;
            }
            let stale = lock(&ctx.state)
                .last_touch
                .is_none_or(|t| t.elapsed() >= ctx.tools.options.idle_close);
            if stale {
                tracing::info!("staff mode closed after inactivity");
                close(&ctx.state, &ctx.weak);
            }
        }
    });
    idle
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

/// Shows an outcome on the open tab's message line (red when `bad`).
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
