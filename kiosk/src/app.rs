//! Wires the Slint UI to the session and the services: callbacks mutate the [`Session`],
//! slow work (network, printer) runs on the tokio runtime, and every change ends with
//! [`render`] drawing the session onto the window. The UI thread never waits.
//!
//! `idle` sends the kiosk home when nobody touches it; [`render`] is the one function that
//! draws the session; `flows` holds the callbacks that leave the UI thread.

mod flows;
mod idle;
mod render;

use std::rc::Rc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hardware::printer::{Paper, Printer};
use hardware::reader::{Reader, ReaderEvent};
use protocol::Lang;
use protocol::api::ReportReason;
use slint::{ComponentHandle, Model, ModelRc, VecModel};
use time::{OffsetDateTime, UtcOffset};
use tokio::sync::{broadcast, watch};

use crate::client::BackendClient;
use crate::scan::{ScannedCode, classify};
use crate::session::Session;
use crate::ui::{AppWindow, Kiosk, ProgramRow};

pub use render::render;

/// The kiosk's fixed identity and presentation settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub kiosk_id: String,
    pub village_name: String,
    pub paper: Paper,
    pub utc_offset: UtcOffset,
    /// Shown on the entry screen in demo mode: NIKs worth trying.
    pub demo_hint: String,
    /// Time without a touch before the "Masih di sini?" countdown
    /// ([`Settings::DEFAULT_IDLE_TIMEOUT`]; the agent may change it: [`KioskApp::set_idle_timeout`]).
    pub idle_timeout: Duration,
}

impl Settings {
    /// A minute: long enough to read a result, short enough that the next person in the
    /// queue does not find the last one's data.
    pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
    /// Seconds of the "Masih di sini?" countdown before the visit is wiped.
    pub const IDLE_COUNTDOWN: u32 = 10;
}

/// A printer shared between print jobs; jobs never overlap.
pub type SharedPrinter = Arc<Mutex<Box<dyn Printer>>>;

/// A press of "Panggil Petugas". Carries nothing about the visitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaffCall {
    /// Counts presses since start, so a listener sees every new call.
    pub seq: u64,
    pub at: OffsetDateTime,
}

/// What the flows need from the outside world.
#[derive(Clone)]
pub struct Services {
    pub client: BackendClient,
    pub printer: SharedPrinter,
    pub runtime: tokio::runtime::Handle,
    /// The latest "Panggil Petugas" press: the GPIO code (buzzer, LED) and the agent
    /// subscribe with `staff_calls.subscribe()` and wait on `changed()`.
    pub staff_calls: watch::Sender<Option<StaffCall>>,
    /// Events of the e-KTP reader and the QR scanner, when the kiosk has them
    /// ([`forward_reader`] feeds a reader in). A card on the NIK page fills the NIK; a
    /// scanned ticket QR opens it on the tracking page.
    pub id_input: Option<broadcast::Sender<ReaderEvent>>,
    /// The kiosk's durable outbox: reports and letter requests are written there (with a
    /// kiosk-issued ticket) before they are sent, so one filed while the central service is
    /// out of reach is queued, printed as such, and sent later. Without it they go straight
    /// over HTTP.
    pub outbox: Option<crate::local::Outbox>,
}

impl Services {
    /// Services without readers; nobody listens to staff calls yet.
    pub fn new(
        client: BackendClient,
        printer: SharedPrinter,
        runtime: tokio::runtime::Handle,
    ) -> Services {
        Services {
            client,
            printer,
            runtime,
            staff_calls: watch::Sender::new(None),
            id_input: None,
            outbox: None,
        }
    }

    /// Files reports through this outbox (run a [`crate::local::Sender`] beside it).
    pub fn with_outbox(mut self, outbox: crate::local::Outbox) -> Services {
        self.outbox = Some(outbox);
        self
    }

    /// Raises a staff call (the help page's "Panggil Petugas", or the kiosk's button): the
    /// buzzer and whoever else listens hear of it.
    pub fn call_staff(&self, from: &str) -> u64 {
        let mut seq = 0;
        self.staff_calls.send_modify(|call| {
            seq = call.map_or(1, |c| c.seq + 1);
            *call = Some(StaffCall { seq, at: OffsetDateTime::now_utc() });
        });
        tracing::warn!(seq, from, "a visitor calls the village staff");
        seq
    }

    /// Adds a channel for reader events (create it with `broadcast::channel(16)`).
    pub fn with_id_input(mut self, input: broadcast::Sender<ReaderEvent>) -> Services {
        self.id_input = Some(input);
        self
    }
}

/// Moves a reader's events onto the kiosk's broadcast channel (the UI and, later, staff
/// diagnostics listen there). The task owns the reader: it stops when the task ends.
pub fn forward_reader(
    mut reader: Reader,
    to: broadcast::Sender<ReaderEvent>,
    runtime: &tokio::runtime::Handle,
) -> tokio::task::JoinHandle<()> {
    runtime.spawn(async move {
        while let Some(event) = reader.recv().await {
            // No receiver yet is not an error: the event is simply not wanted.
            let _ = to.send(event);
        }
    })
}

type SharedSession = Arc<Mutex<Session>>;

fn lock(session: &SharedSession) -> MutexGuard<'_, Session> {
    // A panic while holding the lock leaves a session we can still show and reset.
    session.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The running kiosk UI: the window and the session it shows.
pub struct KioskApp {
    pub window: AppWindow,
    session: SharedSession,
    idle: Rc<idle::IdleWatch>,
}

impl KioskApp {
    /// Changes the session from outside the UI (screenshots, staff tools) and redraws.
    pub fn apply(&self, change: impl FnOnce(&mut Session)) {
        let mut session = lock(&self.session);
        change(&mut session);
        render(&self.window, &session);
    }

    /// A copy of what the session holds now.
    pub fn with_session<T>(&self, read: impl FnOnce(&Session) -> T) -> T {
        read(&lock(&self.session))
    }

    /// Offers the letter types of a pulled configuration; none (an older central service):
    /// the built-in three. A visitor on the way keeps the type already chosen.
    pub fn set_letters(&self, letters: Vec<protocol::letter::LetterType>) {
        let offered = crate::session::letter::offered_letters(letters);
        self.apply(|session| session.letter_types = offered);
    }

    /// Applies a new idle timeout (from the pulled configuration); counts from now.
    pub fn set_idle_timeout(&self, timeout: Duration) {
        self.idle.set_timeout(timeout);
    }

    /// Shows the "Masih di sini?" countdown at once (screenshots).
    pub fn show_idle_countdown(&self) {
        self.idle.went_idle_now();
    }
}

/// Creates the window and connects every callback.
pub fn build(settings: Settings, services: Services) -> Result<KioskApp, slint::PlatformError> {
    let window = AppWindow::new()?;
    // Indonesian first, whatever the system locale says.
    let _ = slint::select_bundled_translation("");
    let kiosk = window.global::<Kiosk>();
    kiosk.set_kiosk_id(settings.kiosk_id.clone().into());
    kiosk.set_village_name(settings.village_name.clone().into());
    kiosk.set_demo_hint(settings.demo_hint.clone().into());

    let session: SharedSession = Arc::new(Mutex::new(Session::default()));
    let settings = Arc::new(settings);
    kiosk.set_rows(ModelRc::new(VecModel::<ProgramRow>::default()));
    let idle = idle::IdleWatch::new(settings.idle_timeout, window.as_weak(), session.clone());

    // Every visitor action: change the session, draw it, and restart the idle clock.
    let redraw: Rc<dyn Fn()> = {
        let weak = window.as_weak();
        let session = session.clone();
        let idle = idle.clone();
        Rc::new(move || {
            if let Some(window) = weak.upgrade() {
                render(&window, &lock(&session));
            }
            idle.activity();
        })
    };
    let on = |change: fn(&mut Session)| {
        let (session, redraw) = (session.clone(), redraw.clone());
        move || {
            change(&mut lock(&session));
            redraw();
        }
    };

    kiosk.on_toggle_language(on(|s| s.lang = if s.lang == Lang::Id { Lang::En } else { Lang::Id }));
    kiosk.on_toggle_large_text(on(|s| s.large_text = !s.large_text));
    kiosk.on_toggle_contrast(on(|s| s.high_contrast = !s.high_contrast));
    kiosk.on_start_status_check(on(Session::start_status_check));
    kiosk.on_go_home(on(Session::reset));
    kiosk.on_go_back(on(Session::back));
    kiosk.on_start_report(on(Session::start_report));
    kiosk.on_start_track(on(Session::start_track));
    kiosk.on_start_letter(on(Session::start_letter));
    kiosk.on_start_help(on(|s| s.start(crate::session::Screen::Help)));
    kiosk.on_submit_phone(on(|s| {
        s.submit_phone();
    }));
    kiosk.on_submit_text(on(Session::submit_text));
    kiosk.on_accept_typed_nik(on(Session::accept_typed_nik));
    kiosk.on_skip_field(on(Session::skip_letter_field));
    kiosk.on_user_active({
        let idle = idle.clone();
        move || idle.activity()
    });
    kiosk.on_keep_visit({
        let idle = idle.clone();
        move || idle.activity()
    });

    let keyed = |change: fn(&mut Session, &str)| {
        let (session, redraw) = (session.clone(), redraw.clone());
        move |key: slint::SharedString| {
            change(&mut lock(&session), &key);
            redraw();
        }
    };
    kiosk.on_nik_key(keyed(Session::key));
    kiosk.on_phone_key(keyed(Session::phone_key));
    kiosk.on_text_key(keyed(Session::text_key));
    kiosk.on_ticket_key(keyed(Session::ticket_key));

    kiosk.on_choose_report_self({
        let (session, redraw) = (session.clone(), redraw.clone());
        move |about_self| {
            lock(&session).choose_report_self(about_self);
            redraw();
        }
    });
    kiosk.on_choose_reason({
        let (session, redraw) = (session.clone(), redraw.clone());
        move |reason| {
            if let Some(reason) = report_reason(reason) {
                lock(&session).choose_reason(reason);
            }
            redraw();
        }
    });
    kiosk.on_choose_letter(keyed(Session::choose_letter));
    kiosk.on_call_staff({
        let (session, redraw, services) = (session.clone(), redraw.clone(), services.clone());
        move || {
            lock(&session).staff_called = true;
            services.call_staff("help page");
            redraw();
        }
    });

    let context = flows::Context {
        window: window.as_weak(),
        session: session.clone(),
        services: services.clone(),
        settings: settings.clone(),
        redraw: redraw.clone(),
    };
    kiosk.on_submit_nik({
        let context = context.clone();
        move || context.submit_nik()
    });
    kiosk.on_print_slip({
        let context = context.clone();
        move || context.print_slip()
    });
    kiosk.on_submit_report({
        let context = context.clone();
        move || context.submit_report()
    });
    kiosk.on_submit_ticket({
        let context = context.clone();
        move || context.submit_ticket()
    });
    kiosk.on_submit_letter({
        let context = context.clone();
        move || context.submit_letter()
    });
    kiosk.on_print_letter({
        let context = context.clone();
        move || context.print_letter()
    });

    if let Some(input) = &services.id_input {
        listen_to_readers(input.subscribe(), &window, &session, &services.runtime);
    }

    render(&window, &lock(&session));
    Ok(KioskApp { window, session, idle })
}

/// Whether the pulled configuration offers `service` (every service until one is pulled).
fn offers(window: &AppWindow, service: &str) -> bool {
    let fleet = window.global::<crate::ui::Fleet>();
    !fleet.get_configured() || fleet.get_services().iter().any(|code| code == service)
}

/// Card and scan events from the readers, applied to the page on screen.
fn listen_to_readers(
    mut events: broadcast::Receiver<ReaderEvent>,
    window: &AppWindow,
    session: &SharedSession,
    runtime: &tokio::runtime::Handle,
) {
    let weak = window.as_weak();
    let session = session.clone();
    runtime.spawn(async move {
        loop {
            let event = match events.recv().await {
                Ok(event) => event,
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "reader events dropped: the UI was busy");
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => break,
            };
            let session = session.clone();
            let posted = weak.upgrade_in_event_loop(move |window| {
                let used = {
                    let mut s = lock(&session);
                    match &event {
                        ReaderEvent::Card(card) => s.nik_read(&card.nik),
                        ReaderEvent::Scan(scanned) => match classify(scanned.as_str()) {
                            ScannedCode::Nik(nik) => s.nik_read(nik),
                            // A ticket's QR opens tracking only where the desa offers it.
                            ScannedCode::Ticket(ticket) => {
                                offers(&window, "track") && s.ticket_read(ticket)
                            }
                            ScannedCode::Other => {
                                tracing::info!(event = ?event, "reader event not used here");
                                false
                            }
                        },
                        ReaderEvent::Connected => {
                            tracing::info!("ID reader connected");
                            false
                        }
                        other => {
                            tracing::info!(event = ?other, "reader event not used here");
                            false
                        }
                    }
                };
                if used {
                    // A card or a scan is someone at the kiosk, as much as a touch.
                    window.global::<Kiosk>().invoke_user_active();
                    render(&window, &lock(&session));
                }
            });
            if posted.is_err() {
                break; // The window is gone.
            }
        }
    });
}

fn report_reason(reason: crate::ui::Reason) -> Option<ReportReason> {
    use crate::ui::Reason;
    match reason {
        Reason::LostJob => Some(ReportReason::LostJob),
        Reason::IncomeStopped => Some(ReportReason::IncomeStopped),
        Reason::Illness => Some(ReportReason::Illness),
        Reason::ElderlyAlone => Some(ReportReason::ElderlyAlone),
        Reason::Other => Some(ReportReason::Other),
        Reason::None => None,
    }
}
