//! Staff sign-in, as someone on the network without credentials meets it.
//!
//! Each attempt passes, in order: a limit of this process kept in memory (a flood is
//! refused before it costs a database write); the database's limits per service, per
//! client address and per account, which hold across restarts and instances; the account's
//! lockout; and then, for at most [`PASSWORD_CHECKS`] at once, the Argon2 check, which
//! takes 19 MiB and a core's worth of work each. A limit passed, or an account locking,
//! is audited and alerted once per minute and key, never once per attempt.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{ConnectInfo, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use protocol::Text;
use protocol::api::ApiError;
use protocol::staff::{LOGIN_PATH, LoginRequest, LoginResponse};

use super::error::{ApiJson, JsonBody};
use super::staff::SESSION_SECONDS;
use super::{AppError, AppState, now};
use crate::store::{AlertKind, AuditEntry, CheckedStaff, LimitScope, LoginGate, valid_username};

/// Password checks running at once. Argon2id as configured takes 19 MiB: with the blocking
/// pool's 512 threads each checking one, 32 concurrent sign-ins reached 6.3 GB.
pub const PASSWORD_CHECKS: usize = 2;

/// How long a sign-in waits for a free password check before it is told to come back.
const CHECK_WAIT: Duration = Duration::from_secs(10);

/// Sign-ins per minute this process lets through to the database's limits at all.
const PROCESS_PER_MINUTE: u32 = 600;

impl JsonBody for LoginRequest {}

fn refused() -> AppError {
    AppError::unauthorized(Text::new(
        "Nama pengguna atau kata sandi salah.",
        "Wrong username or password.",
    ))
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// `channel`: `staff` for the JSON API, `console` for the web console.
fn audit(state: &AppState, channel: &str, staff: &str, subject: String, outcome: &str) {
    state.store.audit(AuditEntry {
        at: now(),
        actor: format!("{channel}:{staff}"),
        action: "staff_login".into(),
        subject,
        outcome: outcome.into(),
    });
}

/// Why a password check did not let someone in, for each front (the JSON API, the console)
/// to answer in its own way.
#[derive(Debug)]
pub(crate) enum SignInRefused {
    /// Wrong username or password, or a disabled account (one answer for all three).
    Wrong,
    /// Past a limit, or the account locked: come back after this long (the same answer
    /// for both, so that a lockout does not tell which usernames exist).
    Limited(Duration),
    /// Every password check busy.
    Busy(Duration),
    /// The store failed; already logged.
    Failed(AppError),
}

impl From<SignInRefused> for AppError {
    fn from(refusal: SignInRefused) -> AppError {
        match refusal {
            SignInRefused::Wrong => refused(),
            SignInRefused::Limited(wait) => AppError::too_many_sign_ins(wait),
            SignInRefused::Busy(wait) => AppError::busy(wait),
            SignInRefused::Failed(error) => error,
        }
    }
}

impl From<crate::store::StoreError> for SignInRefused {
    fn from(error: crate::store::StoreError) -> SignInRefused {
        SignInRefused::Failed(error.into())
    }
}

impl From<tokio::task::JoinError> for SignInRefused {
    fn from(error: tokio::task::JoinError) -> SignInRefused {
        SignInRefused::Failed(error.into())
    }
}

/// One password check behind every protection of this module: this process's limit, the
/// database's limits and the account's lockout, then the Argon2 check when one of
/// [`PASSWORD_CHECKS`] is free; the outcome counted, audited as `channel:username` and
/// alerted. Both the JSON sign-in and the console's (sign-in and password change) go
/// through it.
pub(crate) async fn check_password(
    state: &AppState,
    channel: &str,
    username: &str,
    password: String,
    address: &str,
) -> Result<CheckedStaff, SignInRefused> {
    // Nothing that could not be a username reaches the database or the logs.
    if !valid_username(username) || password.len() > 1024 {
        return Err(SignInRefused::Wrong);
    }
    if let Err(retry_after) = state.guard.allow_lookup("login:process", PROCESS_PER_MINUTE) {
        tracing::warn!("sign-ins refused: this process's limit");
        return Err(SignInRefused::Limited(retry_after));
    }
    let gate = {
        let (store, limits, username, address) =
            (state.store.clone(), state.login_limits, username.to_owned(), address.to_owned());
        tokio::task::spawn_blocking(move || {
            store.admit_login(&username, &address, unix_now(), &limits)
        })
        .await??
    };
    match gate {
        LoginGate::Open => {}
        LoginGate::Limited { scope, retry_after, first } => {
            if first {
                limit_reached(state, channel, username, address, scope);
            }
            return Err(SignInRefused::Limited(Duration::from_secs(retry_after)));
        }
        LoginGate::Locked { until } => {
            let wait = u64::try_from(until - unix_now()).unwrap_or(1);
            return Err(SignInRefused::Limited(Duration::from_secs(wait)));
        }
    }

    let Ok(Ok(_permit)) =
        tokio::time::timeout(CHECK_WAIT, state.password_checks.clone().acquire_owned()).await
    else {
        tracing::warn!("sign-in refused: every password check busy");
        return Err(SignInRefused::Busy(Duration::from_secs(5)));
    };
    let checked = {
        let (store, username) = (state.store.clone(), username.to_owned());
        tokio::task::spawn_blocking(move || store.check_staff_password(&username, &password))
            .await??
    };
    let locked = {
        let (store, limits, name, ok) =
            (state.store.clone(), state.login_limits, username.to_owned(), checked.is_some());
        tokio::task::spawn_blocking(move || store.login_outcome(&name, ok, unix_now(), &limits))
            .await??
    };
    let Some(checked) = checked else {
        tracing::warn!(username = %username, channel, "staff sign-in refused");
        audit(state, channel, username, String::new(), "refused");
        if locked.is_some() {
            audit(state, channel, username, String::new(), "locked");
            raise(state, &format!("staff:{username}"), "account locked after failed sign-ins");
        }
        return Err(SignInRefused::Wrong);
    };
    audit(state, channel, username, String::new(), "ok");
    Ok(checked)
}

/// Signs a staff member in: a bearer token for the working day.
#[utoipa::path(
    post,
    path = LOGIN_PATH,
    request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 401, body = ApiError),
        (status = 429, body = ApiError, description = "too many attempts, or the account is locked for a while; see Retry-After"),
        (status = 503, body = ApiError, description = "too many sign-ins at once; see Retry-After"),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Response, AppError> {
    let address = peer_address(peer);
    let checked =
        check_password(&state, "staff", &request.username, request.password, &address).await?;
    let session = {
        let store = state.store.clone();
        tokio::task::spawn_blocking(move || {
            store.open_staff_session(checked.staff, unix_now(), SESSION_SECONDS)
        })
        .await??
    };
    let expires_at = time::OffsetDateTime::from_unix_timestamp(session.expires_at)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default();
    Ok(Json(LoginResponse { token: session.token, expires_at, desa_code: session.staff.desa_code })
        .into_response())
}

/// The client's address as the per-address limit counts it.
pub(crate) fn peer_address(peer: Option<Extension<ConnectInfo<SocketAddr>>>) -> String {
    peer.map_or_else(|| "unknown".to_owned(), |p| p.0.0.ip().to_string())
}

/// The first refusal of a minute by a limit: audited and alerted, once.
fn limit_reached(
    state: &AppState,
    channel: &str,
    username: &str,
    address: &str,
    scope: LimitScope,
) {
    let (subject, outcome, detail) = match scope {
        LimitScope::Service => (
            "service".to_owned(),
            "limited_service",
            "sign-ins for the whole service past their limit",
        ),
        LimitScope::Address => (
            format!("ip:{address}"),
            "limited_address",
            "sign-ins from one address past their limit",
        ),
        LimitScope::Account => (
            format!("staff:{username}"),
            "limited_account",
            "sign-ins to one account past their limit",
        ),
    };
    audit(state, channel, username, subject.clone(), outcome);
    raise(state, &subject, detail);
}

fn raise(state: &AppState, subject: &str, detail: &str) {
    let (store, subject, detail) = (state.store.clone(), subject.to_owned(), detail.to_owned());
    tokio::task::spawn_blocking(move || {
        if let Err(error) = store.raise_alert(AlertKind::LoginLockout, &subject, &detail) {
            tracing::error!(%error, "alert not raised");
        }
    });
}
