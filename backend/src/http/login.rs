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
use crate::store::{AlertKind, AuditEntry, LimitScope, LoginGate, valid_username};

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

fn audit(state: &AppState, staff: &str, subject: String, outcome: &str) {
    state.store.audit(AuditEntry {
        at: now(),
        actor: format!("staff:{staff}"),
        action: "staff_login".into(),
        subject,
        outcome: outcome.into(),
    });
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
    // Nothing that could not be a username reaches the database or the logs.
    if !valid_username(&request.username) || request.password.len() > 1024 {
        return Err(refused());
    }
    if let Err(retry_after) = state.guard.allow_lookup("login:process", PROCESS_PER_MINUTE) {
        tracing::warn!("sign-ins refused: this process's limit");
        return Err(AppError::too_many_sign_ins(retry_after));
    }
    let address = peer.map_or_else(|| "unknown".to_owned(), |p| p.0.0.ip().to_string());
    let username = request.username.clone();
    let gate = {
        let (store, limits, username, address) =
            (state.store.clone(), state.login_limits, username.clone(), address.clone());
        tokio::task::spawn_blocking(move || {
            store.admit_login(&username, &address, unix_now(), &limits)
        })
        .await??
    };
    match gate {
        LoginGate::Open => {}
        LoginGate::Limited { scope, retry_after, first } => {
            if first {
                limit_reached(&state, &username, &address, scope);
            }
            return Err(AppError::too_many_sign_ins(Duration::from_secs(retry_after)));
        }
        LoginGate::Locked { until } => {
            let wait = u64::try_from(until - unix_now()).unwrap_or(1);
            return Err(AppError::too_many_sign_ins(Duration::from_secs(wait)));
        }
    }

    let Ok(Ok(_permit)) =
        tokio::time::timeout(CHECK_WAIT, state.password_checks.clone().acquire_owned()).await
    else {
        tracing::warn!("sign-in refused: every password check busy");
        return Err(AppError::busy(Duration::from_secs(5)));
    };
    let session = {
        let store = state.store.clone();
        let (username, password) = (username.clone(), request.password);
        tokio::task::spawn_blocking(move || {
            store.staff_login(&username, &password, unix_now(), SESSION_SECONDS)
        })
        .await??
    };
    let locked = {
        let (store, limits, name, ok) =
            (state.store.clone(), state.login_limits, username.clone(), session.is_some());
        tokio::task::spawn_blocking(move || store.login_outcome(&name, ok, unix_now(), &limits))
            .await??
    };
    let Some(session) = session else {
        tracing::warn!(username = %username, "staff sign-in refused");
        audit(&state, &username, String::new(), "refused");
        if locked.is_some() {
            audit(&state, &username, String::new(), "locked");
            raise(&state, &format!("staff:{username}"), "account locked after failed sign-ins");
        }
        return Err(refused());
    };
    audit(&state, &username, String::new(), "ok");
    let expires_at = time::OffsetDateTime::from_unix_timestamp(session.expires_at)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default();
    Ok(Json(LoginResponse { token: session.token, expires_at, desa_code: session.staff.desa_code })
        .into_response())
}

/// The first refusal of a minute by a limit: audited and alerted, once.
fn limit_reached(state: &AppState, username: &str, address: &str, scope: LimitScope) {
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
    audit(state, username, subject.clone(), outcome);
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
