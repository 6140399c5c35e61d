//! Wires the Slint UI to the session and the services: callbacks mutate the [`Session`],
//! slow work (network, printer) runs on the tokio runtime, and every change ends with
//! [`render`] drawing the session onto the window. The UI thread never waits.

use std::rc::Rc;
use std::sync::{Arc, Mutex, MutexGuard};

use hardware::printer::{Paper, Printer};
use protocol::api::ErrorCode;
use protocol::{Lang, Text};
use slint::{ComponentHandle, Model, ModelRc, SharedString, VecModel};
use time::{OffsetDateTime, UtcOffset};

use crate::client::{BackendClient, ClientError};
use crate::present::program_lines;
use crate::session::{Printing, Screen, Session};
use crate::slip::{SlipContext, status_slip};
use crate::ui::{AppWindow, Kiosk, Page, PrintState, ProgramRow};

/// The kiosk's fixed identity and presentation settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub kiosk_id: String,
    pub village_name: String,
    pub paper: Paper,
    pub utc_offset: UtcOffset,
    /// Shown on the entry screen in demo mode: NIKs worth trying.
    pub demo_hint: String,
}

/// A printer shared between print jobs; jobs never overlap.
pub type SharedPrinter = Arc<Mutex<Box<dyn Printer>>>;

/// What the flows need from the outside world.
#[derive(Clone)]
pub struct Services {
    pub client: BackendClient,
    pub printer: SharedPrinter,
    pub runtime: tokio::runtime::Handle,
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
    let settings = Rc::new(settings);
    kiosk.set_rows(ModelRc::new(VecModel::<ProgramRow>::default()));

    let redraw = {
        let weak = window.as_weak();
        let session = session.clone();
        move || {
            if let Some(window) = weak.upgrade() {
                render(&window, &lock(&session));
            }
        }
    };
    let redraw = Rc::new(redraw);

    kiosk.on_toggle_language({
        let (session, redraw) = (session.clone(), redraw.clone());
        move || {
            {
                let mut s = lock(&session);
                s.lang = if s.lang == Lang::Id { Lang::En } else { Lang::Id };
            }
            redraw();
        }
    });
    kiosk.on_start_status_check({
        let (session, redraw) = (session.clone(), redraw.clone());
        move || {
            lock(&session).start_status_check();
            redraw();
        }
    });
    kiosk.on_go_home({
        let (session, redraw) = (session.clone(), redraw.clone());
        move || {
            lock(&session).reset();
            redraw();
        }
    });
    kiosk.on_nik_key({
        let (session, redraw) = (session.clone(), redraw.clone());
        move |key| {
            lock(&session).key(&key);
            redraw();
        }
    });
    kiosk.on_submit_nik({
        let (session, redraw, services) = (session.clone(), redraw.clone(), services.clone());
        let weak = window.as_weak();
        move || {
            let (nik, visit) = {
                let mut s = lock(&session);
                match s.submit() {
                    Ok(nik) => (nik, s.visit),
                    Err(error) => {
                        tracing::info!(reason = %error, "NIK refused at the kiosk");
                        drop(s);
                        redraw();
                        return;
                    }
                }
            };
            redraw();
            let client = services.client.clone();
            let session = session.clone();
            let weak = weak.clone();
            services.runtime.spawn(async move {
                let answer = client.status(&nik).await;
                match &answer {
                    Ok(_) => tracing::info!(nik = %nik.masked(), "status received"),
                    Err(error) => tracing::warn!(nik = %nik.masked(), %error, "status failed"),
                }
                let _ = weak.upgrade_in_event_loop(move |window| {
                    let mut s = lock(&session);
                    if s.visit != visit {
                        return; // The visitor has gone; forget the answer.
                    }
                    apply_status_answer(&mut s, answer);
                    render(&window, &s);
                });
            });
        }
    });
    kiosk.on_print_slip({
        let (session, redraw, services) = (session.clone(), redraw.clone(), services.clone());
        let weak = window.as_weak();
        let settings = settings.clone();
        move || {
            let (document, visit) = {
                let mut s = lock(&session);
                let Some(status) = s.status.as_ref() else { return };
                if s.printing == Printing::Printing {
                    return;
                }
                let context = SlipContext {
                    kiosk_id: &settings.kiosk_id,
                    village_name: &settings.village_name,
                    printed_at: OffsetDateTime::now_utc(),
                    offset: settings.utc_offset,
                    lang: s.lang,
                    paper: settings.paper,
                };
                let document = status_slip(status, &context);
                s.printing = Printing::Printing;
                (document, s.visit)
            };
            redraw();
            let printer = services.printer.clone();
            let session = session.clone();
            let weak = weak.clone();
            services.runtime.spawn_blocking(move || {
                let outcome = {
                    let mut printer = printer.lock().unwrap_or_else(|p| p.into_inner());
                    printer.print(&document)
                };
                if let Err(error) = &outcome {
                    tracing::error!(%error, "status slip not printed");
                }
                let _ = weak.upgrade_in_event_loop(move |window| {
                    let mut s = lock(&session);
                    if s.visit != visit {
                        return;
                    }
                    s.printing = match outcome {
                        Ok(()) => Printing::Done,
                        Err(_) => Printing::Failed(Text::new(
                            "Bukti tidak dapat dicetak karena printer bermasalah. Silakan hubungi petugas desa.",
                            "The slip could not be printed: the printer has a problem. Please ask the village staff.",
                        )),
                    };
                    render(&window, &s);
                });
            });
        }
    });

    render(&window, &lock(&session));
    Ok(KioskApp { window, session })
}

fn apply_status_answer(
    session: &mut Session,
    answer: Result<protocol::api::StatusResponse, ClientError>,
) {
    session.busy = false;
    match answer {
        Ok(status) => {
            session.status = Some(status);
            session.screen = Screen::Result;
        }
        // The number is wrong or unknown: the visitor can fix it on the same screen.
        Err(ClientError::Api(error))
            if error.code == ErrorCode::ResidentNotFound || is_nik_error(error.code) =>
        {
            session.entry_error = Some(error.message);
        }
        Err(error) => {
            session.failure = Some((
                Text::new("Layanan belum dapat digunakan", "Service not available"),
                error.text(),
            ));
            session.screen = Screen::Failure;
        }
    }
}

fn is_nik_error(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::NikWrongLength
            | ErrorCode::NikNotDigits
            | ErrorCode::NikUnknownProvince
            | ErrorCode::NikUnknownRegency
            | ErrorCode::NikUnknownDistrict
            | ErrorCode::NikInvalidDate
            | ErrorCode::NikSerialZero
    )
}

/// Draws the session onto the window. Everything visible comes from here.
fn render(window: &AppWindow, session: &Session) {
    let lang = session.lang;
    let kiosk = window.global::<Kiosk>();
    let _ = slint::select_bundled_translation(if lang == Lang::En { "en" } else { "" });
    kiosk.set_english(lang == Lang::En);
    kiosk.set_page(match session.screen {
        Screen::Home => Page::Home,
        Screen::NikEntry => Page::NikEntry,
        Screen::Result => Page::Result,
        Screen::Failure => Page::Failure,
    });
    kiosk.set_nik_display(session.grouped_digits().into());
    kiosk.set_nik_count(session.digits.len() as i32);
    kiosk.set_busy(session.busy);
    kiosk.set_entry_error(text(session.entry_error.as_ref(), lang));

    match &session.status {
        Some(status) => {
            kiosk.set_subject_name(status.name.clone().into());
            kiosk.set_subject_nik(status.nik.clone().into());
            kiosk.set_kk_masked(status.household.kk.clone().into());
            kiosk.set_subject_place(format!("{}, {}", status.village, status.district).into());
            kiosk.set_receives_any(status.receives_any());
            let lines: Vec<ProgramRow> = program_lines(status, lang)
                .into_iter()
                .map(|line| ProgramRow {
                    who: line.who.into(),
                    program: line.program.into(),
                    detail: line.detail.into(),
                    active: line.active,
                })
                .collect();
            set_rows(&kiosk, lines);
        }
        None => {
            for setter in [
                Kiosk::set_subject_name,
                Kiosk::set_subject_nik,
                Kiosk::set_kk_masked,
                Kiosk::set_subject_place,
            ] {
                setter(&kiosk, SharedString::new());
            }
            kiosk.set_receives_any(false);
            set_rows(&kiosk, Vec::new());
        }
    }

    let (state, message) = match &session.printing {
        Printing::Idle => (PrintState::Idle, None),
        Printing::Printing => {
            (PrintState::Printing, Some(Text::new("Mencetak bukti…", "Printing the slip…")))
        }
        Printing::Done => (
            PrintState::Done,
            Some(Text::new(
                "Bukti sudah dicetak. Silakan ambil di bawah layar.",
                "The slip has been printed. Please take it below the screen.",
            )),
        ),
        Printing::Failed(reason) => (PrintState::Failed, Some(reason.clone())),
    };
    kiosk.set_print_state(state);
    kiosk.set_print_message(text(message.as_ref(), lang));

    let (title, message) = match &session.failure {
        Some((title, message)) => (Some(title), Some(message)),
        None => (None, None),
    };
    kiosk.set_failure_title(text(title, lang));
    kiosk.set_failure_message(text(message, lang));
}

fn set_rows(kiosk: &Kiosk<'_>, lines: Vec<ProgramRow>) {
    let model = kiosk.get_rows();
    match model.as_any().downcast_ref::<VecModel<ProgramRow>>() {
        Some(rows) => rows.set_vec(lines),
        None => kiosk.set_rows(ModelRc::new(VecModel::from(lines))),
    }
}

fn text(value: Option<&Text>, lang: Lang) -> SharedString {
    value.map(|t| t.get(lang).into()).unwrap_or_default()
}
