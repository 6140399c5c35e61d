//! The submit path, above the outbox (storage) and the sender (one attempt): what the UI
//! calls to file a citizen's submission, and the background task that keeps sending what
//! stays queued.
//!
//! A submission is committed to the outbox first, so its ticket may be printed whatever
//! happens next, then tried once at once; the citizen sees the decision if it comes within
//! [`SUBMIT_DEADLINE`], else a queued receipt. Every attempt, immediate or from the
//! background [`Sender`], is recorded the same way by `attempt`.
//!
//! The sender sleeps until the earliest submission is due and is woken at once by a new
//! submission, a finished immediate attempt, or staff's force-sync.

use std::time::Duration;

use protocol::api::{ApiError, ReportRequest, TicketStatus};
use protocol::ticket::Ticket;

use super::outbox::{Outbox, Pending, Submission};
use super::renumber::renumber;
use super::sender::{BACKOFF_MIN, Outcome, send};
use super::{LocalError, now_ms, serials};
use crate::client::BackendClient;

/// How long [`submit`] waits for the central service's decision before the citizen
/// gets a "queued" receipt instead.
pub const SUBMIT_DEADLINE: Duration = Duration::from_secs(4);

/// What the citizen is told after submitting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    /// The central service decided at once: show and print the decision.
    Decided(TicketStatus),
    /// Not decided yet (the service is out of reach or slow): the receipt says
    /// "antrean / queued" with this ticket; the outbox keeps sending it.
    Queued { ticket: Ticket },
    /// The central service refused the submission for good (unknown NIK, invalid phone,
    /// ...): show the reason; the ticket was never filed and must not be printed.
    Refused { ticket: Ticket, error: ApiError },
}

/// Files a submission the way the UI should: written to the outbox first (so its ticket
/// may be printed whatever happens next), then sent at once. The citizen sees the decision
/// if it comes within [`SUBMIT_DEADLINE`], else a queued receipt; the attempt keeps running
/// in the background and the sender takes over from there.
pub async fn submit(
    outbox: &Outbox,
    client: &BackendClient,
    submission: Submission,
) -> Result<Submitted, LocalError> {
    submit_within(outbox, client, submission, SUBMIT_DEADLINE).await
}

/// [`submit`] of a report with a chosen deadline.
pub async fn submit_report_within(
    outbox: &Outbox,
    client: &BackendClient,
    request: ReportRequest,
    deadline: Duration,
) -> Result<Submitted, LocalError> {
    submit_within(outbox, client, Submission::Report(request), deadline).await
}

/// [`submit`] with a chosen deadline.
pub async fn submit_within(
    outbox: &Outbox,
    client: &BackendClient,
    submission: Submission,
    deadline: Duration,
) -> Result<Submitted, LocalError> {
    let writer = outbox.clone();
    let (queued, claim) = blocking(move || writer.enqueue_claimed(&submission)).await?;
    let ticket = queued.ticket;
    let Some(claim) = claim else {
        // The same key was submitted before; the sender owns it.
        return Ok(Submitted::Queued { ticket });
    };
    let reader = outbox.clone();
    let id = queued.id;
    let Some(pending) = blocking(move || reader.pending(id)).await? else {
        return Ok(Submitted::Queued { ticket });
    };
    let (outbox, client) = (outbox.clone(), client.clone());
    let sending = tokio::spawn(async move {
        let outcome = attempt(&outbox, &client, pending).await;
        drop(claim);
        outcome
    });
    // A ticket replaced during the attempt: the slip carries the new one.
    Ok(match tokio::time::timeout(deadline, sending).await {
        Ok(Ok(Ok((Outcome::Sent(status), _)))) => Submitted::Decided(status),
        Ok(Ok(Ok((Outcome::Refused(error), ticket)))) => Submitted::Refused { ticket, error },
        Ok(Ok(Ok((Outcome::Retry { .. } | Outcome::TicketTaken, ticket)))) => {
            Submitted::Queued { ticket }
        }
        Ok(Ok(Err(error))) => {
            tracing::warn!(%error, %ticket, "recording the first attempt failed; it stays queued");
            Submitted::Queued { ticket }
        }
        Ok(Err(join)) => return Err(LocalError::Task(join.to_string())),
        // Too slow for the citizen to wait: the attempt goes on in the background.
        Err(_) => Submitted::Queued { ticket },
    })
}

/// Times one attempt may give a submission a new ticket and send it again; past that it is
/// retried later like any unsettled submission (never dropped).
const MOVES_PER_ATTEMPT: u32 = 3;

/// Sends one claimed submission and records what happened in the outbox: the answer kept
/// and the payload wiped, or the next try scheduled. A ticket the central service already
/// holds for another submission is replaced (committed with a pointer from the old one,
/// [`renumber`]) and the submission sent again under the new one. Returns the outcome and
/// the submission's ticket after it.
async fn attempt(
    outbox: &Outbox,
    client: &BackendClient,
    mut pending: Pending,
) -> Result<(Outcome, Ticket), LocalError> {
    let mut outcome = send(client, &pending).await;
    let mut moves = 0;
    while matches!(outcome, Outcome::TicketTaken) && moves < MOVES_PER_ATTEMPT {
        moves += 1;
        // The counter is behind the service's: bring it up first, so the new ticket is
        // past every held one rather than the next taken one.
        if let Err(error) = serials::learn(outbox, client).await {
            tracing::warn!(%error, "ticket counter not checked before replacing a ticket");
        }
        let renumbering = outbox.clone();
        let id = pending.id;
        let Some((_moved, next)) = blocking(move || renumber(&renumbering, id)).await? else {
            break;
        };
        pending = next;
        outcome = send(client, &pending).await;
    }
    if matches!(outcome, Outcome::TicketTaken) {
        outcome = Outcome::Retry {
            error: format!("ticket {} taken after {moves} new tickets", pending.ticket),
            delay: super::backoff(pending.attempts.saturating_add(1), 0.5),
        };
    }
    let (id, ticket) = (pending.id, pending.ticket);
    let recorder = outbox.clone();
    match &outcome {
        Outcome::Sent(status) => {
            tracing::info!(%ticket, state = status.state.as_str(), "submission sent");
            let status = status.clone();
            blocking(move || recorder.record_sent(id, &status)).await?;
        }
        Outcome::Refused(error) => {
            tracing::warn!(%ticket, code = ?error.code, "submission refused for good");
            let error = error.clone();
            blocking(move || recorder.record_refused(id, &error)).await?;
        }
        Outcome::Retry { error, delay } => {
            let failures = pending.attempts.saturating_add(1);
            tracing::info!(%ticket, failures, ?delay, %error, "not sent; will retry");
            let why = error.clone();
            let next_at = now_ms() + delay.as_millis() as i64;
            blocking(move || recorder.record_retry(id, &why, next_at)).await?;
        }
        Outcome::TicketTaken => {}
    }
    Ok((outcome, ticket))
}

/// Runs a piece of outbox work (disk) off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, LocalError> + Send + 'static,
) -> Result<T, LocalError> {
    tokio::task::spawn_blocking(work).await.map_err(|error| LocalError::Task(error.to_string()))?
}

/// The running sender. Dropping it does not stop the task; [`Sender::stop`] does.
pub struct Sender {
    task: tokio::task::JoinHandle<()>,
    learning: tokio::task::JoinHandle<()>,
}

impl Sender {
    /// Starts draining `outbox` through `client` on `runtime`, for as long as the kiosk runs.
    pub fn spawn(
        outbox: Outbox,
        client: BackendClient,
        runtime: &tokio::runtime::Handle,
    ) -> Sender {
        // At start, before the first citizen: a re-imaged kiosk learns where its ticket
        // serials stand at the central service.
        let learning = runtime.spawn(serials::learn_until_known(outbox.clone(), client.clone()));
        Sender { task: runtime.spawn(run(outbox, client, None)), learning }
    }

    pub fn stop(self) {
        self.task.abort();
        self.learning.abort();
    }
}

/// Sends until the outbox has nothing queued (for the headless `kiosk outbox drain`);
/// returns how many submissions stayed queued when `give_up_after` passed.
pub async fn drain(outbox: Outbox, client: BackendClient, give_up_after: Duration) -> u64 {
    let deadline = tokio::time::Instant::now() + give_up_after;
    if let Ok(Err(error)) =
        tokio::time::timeout_at(deadline, serials::learn(&outbox, &client)).await
    {
        tracing::warn!(%error, "ticket counter not checked before draining");
    }
    let _ = tokio::time::timeout_at(deadline, run(outbox.clone(), client, Some(()))).await;
    let reader = outbox.clone();
    blocking(move || reader.depth()).await.unwrap_or(u64::MAX)
}

/// The sender loop; with `until_empty` it returns once nothing is queued.
async fn run(outbox: Outbox, client: BackendClient, until_empty: Option<()>) {
    loop {
        let taker = outbox.clone();
        match blocking(move || taker.take_due(now_ms())).await {
            Ok(Some((pending, claim))) => {
                if let Err(error) = attempt(&outbox, &client, pending).await {
                    tracing::error!(%error, "outbox: recording an attempt failed");
                    tokio::time::sleep(BACKOFF_MIN).await;
                }
                drop(claim);
                continue;
            }
            Ok(None) => {}
            Err(error) => {
                tracing::error!(%error, "outbox: reading the queue failed");
                outbox.woken_or(Duration::from_secs(5)).await;
                continue;
            }
        }
        let reader = outbox.clone();
        let next = blocking(move || Ok((reader.next_due_at()?, reader.depth()?))).await;
        let wait = match next {
            Ok((_, 0)) if until_empty.is_some() => return,
            Ok((Some(at), _)) => Duration::from_millis(u64::try_from(at - now_ms()).unwrap_or(0)),
            Ok((None, _)) => Duration::from_secs(3600),
            Err(error) => {
                tracing::error!(%error, "outbox: reading the queue failed");
                Duration::from_secs(5)
            }
        };
        if !wait.is_zero() {
            outbox.woken_or(wait).await;
        }
    }
}
