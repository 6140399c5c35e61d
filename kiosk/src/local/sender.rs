//! The task that drains the outbox: each queued submission is sent with its idempotency
//! key until the central service gives an answer that settles it.
//!
//! - 2xx: sent; the answer (the ticket's state) is kept, the payload wiped.
//! - 400/404/413/422 (an [`ApiError`] about the submission itself): refused for good,
//!   since sending the same bytes again cannot change the answer; the payload is wiped.
//! - 401, 429, 5xx, no connection, an answer this version cannot read: tried again after
//!   an exponential backoff with jitter, 1 s doubling up to 5 min, so a fleet of kiosks
//!   coming back online does not hit the service in one wave.
//!
//! The sender sleeps until the earliest submission is due and is woken at once by a new
//! submission, a finished immediate attempt, or staff's force-sync.

use std::time::Duration;

use protocol::api::{ApiError, ErrorCode, ReportRequest, TicketStatus};
use protocol::letter::LetterRequest;
use rand::Rng;

use super::outbox::{Kind, Outbox, Pending, unreadable_payload};
use super::{LocalError, now_ms};
use crate::client::{BackendClient, ClientError};

/// The first retry delay.
pub const BACKOFF_MIN: Duration = Duration::from_secs(1);
/// The longest delay between two attempts.
pub const BACKOFF_MAX: Duration = Duration::from_secs(300);

/// Delay before the next attempt after `failures` failed ones (1 or more). `jitter` in
/// `[0, 1)` spreads it over the upper half of the exponential step ("equal jitter").
pub fn backoff(failures: u32, jitter: f64) -> Duration {
    let step = BACKOFF_MIN
        .checked_mul(1u32.checked_shl(failures.saturating_sub(1)).unwrap_or(u32::MAX))
        .unwrap_or(BACKOFF_MAX)
        .min(BACKOFF_MAX);
    let jitter = jitter.clamp(0.0, 1.0);
    step.mul_f64(0.5 + 0.5 * jitter).max(BACKOFF_MIN)
}

/// What one attempt settled.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    Sent(TicketStatus),
    Refused(ApiError),
    Retry,
}

/// Whether a failed request may succeed when sent again unchanged.
fn retryable(error: &ClientError) -> bool {
    match error {
        ClientError::Api(api) => matches!(
            api.code,
            ErrorCode::Unauthorized
                | ErrorCode::RateLimited
                | ErrorCode::Unavailable
                | ErrorCode::Internal
        ),
        ClientError::Unreachable(_) | ClientError::BadResponse(_) => true,
    }
}

/// Sends one claimed submission and records what happened. Shared by the sender and the
/// immediate attempt of [`submit`](super::submit).
pub(crate) async fn attempt(
    outbox: &Outbox,
    client: &BackendClient,
    pending: Pending,
) -> Result<Outcome, LocalError> {
    let result = match pending.kind {
        Kind::Report => match serde_json::from_str::<ReportRequest>(&pending.payload) {
            Ok(request) => client.file_report(&request).await,
            Err(error) => Err(ClientError::Api(unreadable_payload(error))),
        },
        Kind::LetterRequest => match serde_json::from_str::<LetterRequest>(&pending.payload) {
            Ok(request) => client.file_letter(&request).await,
            Err(error) => Err(ClientError::Api(unreadable_payload(error))),
        },
    };
    let (id, ticket) = (pending.id, pending.ticket);
    let outcome = match result {
        Ok(status) => Outcome::Sent(status),
        Err(error) if retryable(&error) => {
            let failures = pending.attempts.saturating_add(1);
            let delay = backoff(failures, rand::rng().random::<f64>());
            tracing::info!(%ticket, failures, ?delay, %error, "not sent; will retry");
            let (outbox, why) = (outbox.clone(), error.to_string());
            let next_at = now_ms() + delay.as_millis() as i64;
            blocking(move || outbox.record_retry(id, &why, next_at)).await?;
            return Ok(Outcome::Retry);
        }
        Err(ClientError::Api(error)) => Outcome::Refused(error),
        Err(other) => Outcome::Refused(unreadable_payload(other)),
    };
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
        Outcome::Retry => {}
    }
    Ok(outcome)
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, LocalError> + Send + 'static,
) -> Result<T, LocalError> {
    tokio::task::spawn_blocking(work).await.map_err(|error| LocalError::Task(error.to_string()))?
}

/// The running sender. Dropping it does not stop the task; [`Sender::stop`] does.
pub struct Sender {
    task: tokio::task::JoinHandle<()>,
}

impl Sender {
    /// Starts draining `outbox` through `client` on `runtime`, for as long as the kiosk runs.
    pub fn spawn(
        outbox: Outbox,
        client: BackendClient,
        runtime: &tokio::runtime::Handle,
    ) -> Sender {
        Sender { task: runtime.spawn(run(outbox, client, None)) }
    }

    pub fn stop(self) {
        self.task.abort();
    }
}

/// Sends until the outbox has nothing queued (for the headless `kiosk outbox drain`);
/// returns how many submissions stayed queued when `give_up_after` passed.
pub async fn drain(outbox: Outbox, client: BackendClient, give_up_after: Duration) -> u64 {
    let deadline = tokio::time::Instant::now() + give_up_after;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_one_second_to_five_minutes_with_jitter() {
        assert_eq!(backoff(1, 0.0), Duration::from_secs(1));
        assert_eq!(backoff(1, 0.999), Duration::from_secs(1));
        for failures in 2..12 {
            let step = Duration::from_secs(1 << (failures - 1)).min(BACKOFF_MAX);
            let low = backoff(failures, 0.0);
            let high = backoff(failures, 0.999_999);
            assert_eq!(low, step / 2, "failures {failures}");
            assert!(high <= step && high > step.mul_f64(0.99), "failures {failures}: {high:?}");
        }
        for failures in [10, 20, 64, u32::MAX] {
            assert!(backoff(failures, 0.999) <= BACKOFF_MAX);
            assert!(backoff(failures, 0.0) >= BACKOFF_MAX / 2);
        }
    }
}
