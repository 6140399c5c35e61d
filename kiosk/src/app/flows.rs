//! The callbacks that leave the UI thread: lookups, submissions and printing. Each takes
//! what it needs from the session, runs on tokio, and comes back through the event loop;
//! an answer for a visitor who has already gone is dropped (the visit counter).

use std::rc::Rc;
use std::sync::Arc;

use hardware::printer::{Document, PrintError};
use protocol::api::{ErrorCode, StatusResponse, TicketKind, TicketStatus};
use protocol::ticket::Ticket;
use protocol::{Lang, Text};
use slint::Weak;
use time::OffsetDateTime;

use super::{Services, Settings};
use super::{SharedSession, lock, render};
use crate::client::ClientError;
use crate::local::{Submission, SubmissionState, Submitted};
use crate::present::{date_time_from_rfc3339, letter_printable, print_failure};
use crate::session::{Decision, EntryPurpose, LetterPrint, Printing, Screen, Session};
use crate::slip::{
    LetterSummary, ReportSummary, SlipContext, letter_slip, report_slip, status_slip,
};
use crate::ui::AppWindow;

/// Everything a callback needs, cheap to clone into each.
#[derive(Clone)]
pub(super) struct Context {
    pub window: Weak<AppWindow>,
    pub session: SharedSession,
    pub services: Services,
    pub settings: Arc<Settings>,
    pub redraw: Rc<dyn Fn()>,
}

/// What printing needs; unlike [`Context`] it may travel through a tokio task.
#[derive(Clone)]
struct PrintJob {
    window: Weak<AppWindow>,
    session: SharedSession,
    services: Services,
    settings: Arc<Settings>,
}

/// Where a submission goes: the one place that decides how a report or a letter request
/// reaches the central service. Through the kiosk's durable outbox when it has one: written
/// there with a kiosk-issued ticket first, then sent; if no decision comes in time it stays
/// queued and the receipt says so. Without an outbox (screenshots, tests of the UI alone)
/// it goes straight over HTTP.
async fn send(services: &Services, submission: Submission) -> Result<Decision, ClientError> {
    let Some(outbox) = &services.outbox else {
        let answer = match &submission {
            Submission::Report(report) => services.client.file_report(report).await,
            Submission::Letter(letter) => services.client.file_letter(letter).await,
        };
        return match answer {
            Ok(status) => Ok(Decision::Decided(status)),
            Err(ClientError::Api(error)) => Ok(Decision::Refused(error.message)),
            Err(other) => Err(other),
        };
    };
    match crate::local::submit(outbox, &services.client, submission).await {
        Ok(Submitted::Decided(status)) => Ok(Decision::Decided(status)),
        Ok(Submitted::Queued { ticket }) => Ok(Decision::Queued { ticket }),
        Ok(Submitted::Refused { error, .. }) => Ok(Decision::Refused(error.message)),
        // The kiosk's own disk failed: nothing was queued, so nothing may be promised.
        Err(error) => {
            tracing::error!(%error, "submission not queued");
            Err(ClientError::BadResponse(error.to_string()))
        }
    }
}

impl Context {
    /// Runs `work` on tokio and applies its answer on the UI thread, if the visitor is
    /// still the same.
    fn spawn<T: Send + 'static>(
        &self,
        visit: u64,
        work: impl std::future::Future<Output = T> + Send + 'static,
        apply: impl FnOnce(&mut Session, T) + Send + 'static,
    ) {
        let (session, weak) = (self.session.clone(), self.window.clone());
        self.services.runtime.spawn(async move {
            let answer = work.await;
            let _ = weak.upgrade_in_event_loop(move |window| {
                let mut s = lock(&session);
                if s.visit != visit {
                    return; // The visitor has gone; forget the answer.
                }
                apply(&mut s, answer);
                render(&window, &s);
            });
        });
    }

    /// "Periksa" / "Lanjut" on the NIK page.
    pub fn submit_nik(&self) {
        let purpose = lock(&self.session).purpose;
        if purpose != EntryPurpose::Status {
            if let Err(reason) = lock(&self.session).accept_nik() {
                tracing::info!(reason = %reason.en, "NIK refused at the kiosk");
            }
            (self.redraw)();
            return;
        }
        let (nik, visit) = {
            let mut s = lock(&self.session);
            match s.submit() {
                Ok(nik) => {
                    s.status_nik = Some(nik);
                    (nik, s.visit)
                }
                Err(error) => {
                    tracing::info!(reason = %error, "NIK refused at the kiosk");
                    drop(s);
                    (self.redraw)();
                    return;
                }
            }
        };
        (self.redraw)();
        let client = self.services.client.clone();
        self.spawn(
            visit,
            async move {
                let answer = client.status(&nik).await;
                match &answer {
                    Ok(_) => tracing::info!(nik = %nik.masked(), "status received"),
                    Err(error) => tracing::warn!(nik = %nik.masked(), %error, "status failed"),
                }
                answer
            },
            apply_status_answer,
        );
    }

    /// "Kirim Laporan": the decision comes back and the ticket is printed at once.
    pub fn submit_report(&self) {
        let (request, visit) = {
            let mut s = lock(&self.session);
            match s.report_request() {
                Some(request) => (request, s.visit),
                None => return,
            }
        };
        let failed = Text::new("Laporan belum dapat dikirim", "The report could not be sent");
        self.file(
            visit,
            Submission::Report(request),
            Screen::ReportDone,
            (failed, Screen::ReportConfirm),
        );
    }

    /// "Ajukan": the letter request is filed like a report, and its slip printed at once.
    pub fn submit_letter(&self) {
        let (request, visit) = {
            let mut s = lock(&self.session);
            match s.letter_request() {
                Some(request) => (request, s.visit),
                None => return,
            }
        };
        let failed = Text::new(
            "Permohonan surat belum dapat dikirim",
            "The letter request could not be sent",
        );
        self.file(
            visit,
            Submission::Letter(request),
            Screen::LetterDone,
            (failed, Screen::LetterConfirm),
        );
    }

    /// Sends a submission; its decision is shown on `done` and its ticket printed, or the
    /// failure page offers to try again from `failure.1`.
    fn file(&self, visit: u64, submission: Submission, done: Screen, failure: (Text, Screen)) {
        (self.redraw)();
        let services = self.services.clone();
        let printing = self.print_job();
        let kind = submission.kind().as_str();
        self.spawn(
            visit,
            async move {
                let answer = send(&services, submission).await;
                match &answer {
                    Ok(decision) => tracing::info!(kind, ticket = ?decision.ticket(), "submitted"),
                    Err(error) => tracing::warn!(kind, %error, "not submitted"),
                }
                answer
            },
            move |s, answer| {
                s.busy = false;
                match answer {
                    Ok(decision) => {
                        // A letter issued at once is printed itself; anything else with a
                        // ticket gets its slip.
                        let issued = match &decision {
                            Decision::Decided(status) if letter_printable(status) => {
                                Some(status.ticket)
                            }
                            _ => None,
                        };
                        let print = decision.ticket().is_some();
                        s.decision = Some(decision);
                        s.screen = done;
                        match issued {
                            Some(ticket) => printing.print_letter_now(s, ticket),
                            None if print => printing.print_now(s),
                            None => {}
                        }
                    }
                    Err(error) => s.fail(failure.0, error.text(), failure.1),
                }
            },
        );
    }

    /// "Lacak": the ticket's state from the central service.
    pub fn submit_ticket(&self) {
        let (ticket, visit) = {
            let mut s = lock(&self.session);
            match s.submit_ticket() {
                Some(ticket) => (ticket, s.visit),
                None => {
                    drop(s);
                    (self.redraw)();
                    return;
                }
            }
        };
        (self.redraw)();
        let client = self.services.client.clone();
        let outbox = self.services.outbox.clone();
        let offset = self.settings.utc_offset;
        self.spawn(
            visit,
            async move {
                // A ticket this kiosk had to replace: the citizen's slip leads to the new one.
                let ticket = match &outbox {
                    Some(outbox) => replaced_here(outbox.clone(), ticket).await.unwrap_or(ticket),
                    None => ticket,
                };
                let answer = client.ticket_status(&ticket).await;
                // Unknown there, or the service is out of reach: it may still be queued here.
                let ask_here = match &answer {
                    Ok(_) => false,
                    Err(ClientError::Api(error)) => error.code == ErrorCode::NotFound,
                    Err(_) => true,
                };
                match outbox {
                    Some(outbox) if ask_here => match queued_here(outbox, ticket).await {
                        Some(Here::Queued(_, subject, kind)) => {
                            Err(Here::Queued(ticket, subject, kind))
                        }
                        Some(Here::Sent(status)) => Ok(status),
                        Some(Here::Service(_)) | None => answer.map_err(Here::Service),
                    },
                    _ => answer.map_err(Here::Service),
                }
            },
            move |s, answer| match answer {
                Err(Here::Queued(current, subject, kind)) => {
                    s.show_queued_ticket(current, subject, kind)
                }
                Err(Here::Sent(status)) | Ok(status) => {
                    let when = |lang| date_time_from_rfc3339(&status.updated_at, offset, lang);
                    let updated = when(Lang::Id).zip(when(Lang::En)).map(|(id, en)| Text::new(id, en));
                    s.show_ticket(status, updated)
                }
                Err(Here::Service(ClientError::Api(error)))
                    if matches!(error.code, ErrorCode::NotFound | ErrorCode::InvalidTicket) =>
                {
                    s.busy = false;
                    s.track.error = Some(if error.code == ErrorCode::NotFound {
                        Text::new(
                            format!("Tiket {ticket} tidak ditemukan. Periksa lagi nomornya pada bukti Anda."),
                            format!("Ticket {ticket} was not found. Please check the number on your receipt."),
                        )
                    } else {
                        error.message
                    });
                }
                Err(Here::Service(error)) => s.fail(
                    Text::new("Tiket belum dapat dilacak", "The ticket cannot be tracked now"),
                    error.text(),
                    Screen::TrackEntry,
                ),
            },
        );
    }

    /// "Cetak Surat": the issued letter of the ticket on screen (tracked, or just filed and
    /// not printed), fetched and printed.
    pub fn print_letter(&self) {
        {
            let mut s = lock(&self.session);
            let Some(ticket) = s.printable_letter() else { return };
            self.print_job().print_letter_now(&mut s, ticket);
        }
        (self.redraw)();
    }

    /// "Cetak Bukti" / "Cetak Lagi".
    pub fn print_slip(&self) {
        self.print_job().print_now(&mut lock(&self.session));
        (self.redraw)();
    }

    fn print_job(&self) -> PrintJob {
        PrintJob {
            window: self.window.clone(),
            session: self.session.clone(),
            services: self.services.clone(),
            settings: self.settings.clone(),
        }
    }
}

impl PrintJob {
    /// Prints the slip of the page on screen, unless one is printing already. A status
    /// slip first asks the desa's seal of the answer (once, at most 3 s; without it the
    /// slip prints with the unsigned reference).
    fn print_now(&self, s: &mut Session) {
        if s.printing == Printing::Printing {
            return;
        }
        if s.screen == Screen::Result
            && !s.seal_asked
            && let Some(nik) = s.status_nik
        {
            s.seal_asked = true;
            s.printing = Printing::Printing;
            let (job, visit) = (self.clone(), s.visit);
            self.services.runtime.spawn(async move {
                let asked = job.services.client.slip_seal(&nik);
                let seal = match tokio::time::timeout(SEAL_WAIT, asked).await {
                    Ok(Ok(seal)) => Some(seal),
                    Ok(Err(error)) => {
                        tracing::warn!(%error, "status slip printed without a seal");
                        None
                    }
                    Err(_) => {
                        tracing::warn!("status slip printed without a seal: no answer in time");
                        None
                    }
                };
                let weak = job.window.clone();
                let _ = weak.upgrade_in_event_loop(move |window| {
                    let mut s = lock(&job.session);
                    if s.visit != visit {
                        return;
                    }
                    s.slip_seal = seal;
                    s.printing = Printing::Idle;
                    job.print_now(&mut s);
                    render(&window, &s);
                });
            });
            return;
        }
        let Some(document) = slip_for(s, &self.settings) else { return };
        s.printing = Printing::Printing;
        let visit = s.visit;
        let printer = self.services.printer.clone();
        let (session, weak) = (self.session.clone(), self.window.clone());
        self.services.runtime.spawn_blocking(move || {
            let outcome = {
                let mut printer = printer.lock().unwrap_or_else(|p| p.into_inner());
                printer.print(&document)
            };
            if let Err(error) = &outcome {
                tracing::error!(%error, "slip not printed");
            }
            let _ = weak.upgrade_in_event_loop(move |window| {
                let mut s = lock(&session);
                if s.visit != visit {
                    return;
                }
                s.printing = match &outcome {
                    Ok(()) => Printing::Done,
                    Err(error) => Printing::Failed(print_failure(error)),
                };
                render(&window, &s);
            });
        });
    }
}

impl PrintJob {
    /// Fetches the issued letter of `ticket` and prints it at the kiosk's paper width. If
    /// either fails on the done page, the ticket slip prints instead, to print the letter
    /// later with it.
    fn print_letter_now(&self, s: &mut Session, ticket: Ticket) {
        if s.letter_print == LetterPrint::Printing {
            return;
        }
        s.letter_print = LetterPrint::Printing;
        let visit = s.visit;
        let job = self.clone();
        self.services.runtime.spawn(async move {
            let outcome = job.fetch_and_print(ticket).await;
            let weak = job.window.clone();
            let _ = weak.upgrade_in_event_loop(move |window| {
                let mut s = lock(&job.session);
                if s.visit != visit {
                    return;
                }
                match outcome {
                    Ok(()) => s.letter_print = LetterPrint::Printed,
                    Err(why) => {
                        s.letter_print = LetterPrint::Failed(why);
                        if s.screen == Screen::LetterDone {
                            job.print_now(&mut s);
                        }
                    }
                }
                render(&window, &s);
            });
        });
    }

    async fn fetch_and_print(&self, ticket: Ticket) -> Result<(), Text> {
        let letter = self.services.client.print_letter(&ticket).await.map_err(|error| {
            tracing::warn!(%ticket, %error, "issued letter not fetched");
            error.text()
        })?;
        let document = crate::letter_print::letter_document(&letter, self.settings.paper);
        let printer = self.services.printer.clone();
        let printed = tokio::task::spawn_blocking(move || {
            let mut printer = printer.lock().unwrap_or_else(|p| p.into_inner());
            printer.print(&document)
        })
        .await;
        match printed {
            Ok(Ok(())) => {
                tracing::info!(%ticket, copy = letter.document.copy, "letter printed");
                Ok(())
            }
            Ok(Err(error)) => {
                tracing::error!(%ticket, %error, "letter not printed");
                Err(letter_print_failure(&error))
            }
            Err(error) => {
                tracing::error!(%ticket, %error, "letter print job lost");
                Err(printer_problem())
            }
        }
    }
}

/// How long a status slip waits for the desa's seal before it prints without one.
const SEAL_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Why the letter did not come out of the printer, for the citizen.
fn letter_print_failure(error: &PrintError) -> Text {
    match error {
        PrintError::PaperOut => Text::new(
            "Kertas printer habis, surat tidak tercetak.",
            "The printer is out of paper, so the letter did not print.",
        ),
        PrintError::CoverOpen => Text::new(
            "Tutup printer terbuka, surat tidak tercetak.",
            "The printer cover is open, so the letter did not print.",
        ),
        _ => printer_problem(),
    }
}

fn printer_problem() -> Text {
    Text::new(
        "Printer bermasalah, surat tidak tercetak.",
        "The printer has a problem, so the letter did not print.",
    )
}

/// What this kiosk's own queue knows about a ticket.
enum Here {
    /// Still waiting to be sent under this ticket; the reported person or applicant,
    /// masked, and what it is.
    Queued(Ticket, String, TicketKind),
    /// Sent earlier; the central service's answer then.
    Sent(TicketStatus),
    /// Not here: the central service's own answer stands.
    Service(ClientError),
}

/// The ticket that replaced `ticket` at this kiosk ([`crate::local::renumber`]), if any.
async fn replaced_here(outbox: crate::local::Outbox, ticket: Ticket) -> Option<Ticket> {
    let store = outbox.store().clone();
    let found =
        tokio::task::spawn_blocking(move || crate::local::renumber::replacement(&store, &ticket))
            .await
            .ok()?;
    match found {
        Ok(new) => new,
        Err(error) => {
            tracing::error!(%error, "kiosk ticket moves unreadable");
            None
        }
    }
}

async fn queued_here(outbox: crate::local::Outbox, ticket: Ticket) -> Option<Here> {
    let entry = tokio::task::spawn_blocking(move || outbox.entry(&ticket)).await.ok()?;
    match entry {
        Ok(Some(entry)) => match (entry.state, entry.answer) {
            (SubmissionState::Queued, _) => {
                Some(Here::Queued(entry.ticket, entry.subject, entry.kind.ticket_kind()))
            }
            (SubmissionState::Sent, Some(status)) => Some(Here::Sent(status)),
            _ => None,
        },
        Ok(None) => None,
        Err(error) => {
            tracing::error!(%error, "kiosk queue unreadable");
            None
        }
    }
}

/// The document for the page on screen: a status slip, a report ticket or a letter note.
fn slip_for(s: &Session, settings: &Settings) -> Option<Document> {
    let context = SlipContext {
        seal: s.slip_seal.as_deref(),
        kiosk_id: &settings.kiosk_id,
        village_name: &settings.village_name,
        printed_at: OffsetDateTime::now_utc(),
        offset: settings.utc_offset,
        lang: s.lang,
        paper: settings.paper,
    };
    match s.screen {
        Screen::Result => Some(status_slip(s.status.as_ref()?, &context)),
        Screen::ReportDone => {
            let decision = s.decision.as_ref().filter(|d| d.ticket().is_some())?;
            let reporter = s.report.reporter.as_ref()?;
            let summary = ReportSummary {
                reporter,
                subject: if s.report.about_self { None } else { s.report.subject.as_ref() },
                reason: s.report.reason?,
            };
            Some(report_slip(decision, &summary, &context))
        }
        Screen::LetterDone => {
            let letter = LetterSummary {
                name: &s.letter.letter.as_ref()?.name,
                applicant: s.letter.applicant.as_ref()?,
                purpose: &s.letter.purpose,
                nik_entry: s.letter.applicant_entry,
            };
            let decision = s.decision.as_ref().filter(|d| d.ticket().is_some())?;
            Some(letter_slip(decision, &letter, &context))
        }
        _ => None,
    }
}

fn apply_status_answer(session: &mut Session, answer: Result<StatusResponse, ClientError>) {
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
        Err(error) => session.fail(
            Text::new("Layanan belum dapat digunakan", "Service not available"),
            error.text(),
            Screen::NikEntry,
        ),
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
