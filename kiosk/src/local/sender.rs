//! One attempt at sending a queued submission, and what the central service's answer
//! means for it. Nothing here touches the outbox: [`submit`](mod@super::submit) records
//! the `Outcome` and decides when to try again.
//!
//! - 2xx: sent; the answer (the ticket's state) is kept, the payload wiped.
//! - 400/404/413/422 (an [`ApiError`] about the submission itself): refused for good,
//!   since sending the same bytes again cannot change the answer; the payload is wiped.
//! - 409 `ticket_taken`: the kiosk's own ticket belongs to another submission (the kiosk
//!   was re-imaged); the submit path gives it a new ticket and sends it again
//!   ([`super::renumber`]), never drops it.
//! - 401, 429, 5xx, no connection, an answer this version cannot read: tried again after
//!   an exponential backoff with jitter, 1 s doubling up to 5 min, so a fleet of kiosks
//!   coming back online does not hit the service in one wave.

use std::time::Duration;

use protocol::Text;
use protocol::api::{ApiError, ErrorCode, TicketStatus};
use rand::Rng;

use super::outbox::{Pending, Submission};
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
    /// The ticket belongs to another submission at the central service: file the same
    /// submission again under a new ticket.
    TicketTaken,
    /// Not settled: try again after `delay`; `error` says why (unmasked: the outbox masks
    /// what it stores).
    Retry {
        error: String,
        delay: Duration,
    },
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
        // Submissions are not signed content; were one refused so, a later answer may be.
        ClientError::Unreachable(_) | ClientError::BadResponse(_) | ClientError::Unsigned(_) => {
            true
        }
    }
}

/// Sends one claimed submission once and classifies the answer. Shared by the background
/// sender and the immediate attempt of [`submit`](mod@super::submit).
pub(crate) async fn send(client: &BackendClient, pending: &Pending) -> Outcome {
    let result = match pending.submission() {
        Ok(Submission::Report(request)) => client.file_report(&request).await,
        Ok(Submission::Letter(request)) => client.file_letter(&request).await,
        Err(error) => Err(ClientError::Api(unreadable_payload(error))),
    };
    classify(result, pending.attempts, rand::rng().random::<f64>())
}

/// What an answer means for a submission that failed `attempts` times before; `jitter` in
/// `[0, 1)` spreads the retry (see [`backoff`]).
fn classify(result: Result<TicketStatus, ClientError>, attempts: u32, jitter: f64) -> Outcome {
    match result {
        Ok(status) => Outcome::Sent(status),
        Err(ClientError::Api(error)) if error.code == ErrorCode::TicketTaken => {
            Outcome::TicketTaken
        }
        Err(error) if retryable(&error) => Outcome::Retry {
            delay: backoff(attempts.saturating_add(1), jitter),
            error: error.to_string(),
        },
        Err(ClientError::Api(error)) => Outcome::Refused(error),
        Err(other) => Outcome::Refused(unreadable_payload(other)),
    }
}

/// The error for a payload this version cannot read back: refused for good, since sending
/// it again cannot help. An [`ApiError`] like the service's own, so the citizen and the
/// staff screen see it the same way.
fn unreadable_payload(error: impl std::fmt::Display) -> ApiError {
    ApiError {
        code: ErrorCode::BadRequest,
        message: Text::new(
            format!("Data antrean rusak: {error}"),
            format!("Queued data is damaged: {error}"),
        ),
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

    fn api(code: ErrorCode) -> Result<TicketStatus, ClientError> {
        Err(ClientError::Api(ApiError { code, message: Text::new("x", "x") }))
    }

    /// Which answers settle a submission, and which are tried again after the backoff.
    #[test]
    fn answers_settle_or_retry_by_what_may_change() {
        use ErrorCode::*;
        let retried = |result: Result<TicketStatus, ClientError>| match classify(result, 3, 0.0) {
            Outcome::Retry { delay, .. } => Some(delay),
            Outcome::Refused(_) => None,
            Outcome::TicketTaken => panic!("ticket taken"),
            Outcome::Sent(status) => panic!("sent {status:?}"),
        };
        let fourth_try = Some(backoff(4, 0.0));
        for code in [Unauthorized, RateLimited, Unavailable, Internal] {
            assert_eq!(retried(api(code)), fourth_try, "{code:?}");
        }
        for code in [
            ResidentNotFound,
            ResidentInactive,
            InvalidPhone,
            InvalidText,
            BadRequest,
            PayloadTooLarge,
        ] {
            assert_eq!(retried(api(code)), None, "{code:?}");
        }
        for error in [ClientError::Unreachable("down".into()), ClientError::BadResponse("?".into())]
        {
            assert_eq!(retried(Err(error)), fourth_try);
        }
        assert!(matches!(classify(api(TicketTaken), 3, 0.0), Outcome::TicketTaken));
        let damaged = unreadable_payload("expected value");
        assert_eq!(damaged.code, BadRequest);
        assert_eq!(damaged.message.id, "Data antrean rusak: expected value");
    }
}
