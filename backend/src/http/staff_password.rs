//! `POST /api/v1/staff/password`: the account's own new password from the JSON API. An
//! account whose password someone else set (`backend staff-add`, a reset) is refused every
//! other staff endpoint with `403 password_change_required` until it has chosen its own
//! (the guard in `staff::authenticate`), as the console sends it to its password page.
//!
//! The rules are the console's (`console::password_policy`: ten characters or more, not the
//! username, not the current one), the current password is checked behind the sign-in's
//! limits, the new one hashed with Argon2id by the staff store; every other session of the
//! account (other tokens, every console session) ends and the token it was changed with
//! stays.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Extension;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use protocol::Text;
use protocol::api::{ApiError, ErrorCode};
use serde::Deserialize;

use super::error::{ApiJson, JsonBody};
use super::login::{SignInRefused, check_password, peer_address};
use super::staff::{SessionToken, Staff};
use super::{AppError, AppState, now};
use crate::store::AuditEntry;

/// Where an account changes its own password.
pub const PASSWORD_PATH: &str = "/api/v1/staff/password";

/// The current password and the new one.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PasswordChange {
    pub current: String,
    /// At least ten characters, not the username, not the current password.
    pub new: String,
}

impl JsonBody for PasswordChange {
    const NAME_ID: &'static str = "Kata sandi";
    const NAME_EN: &'static str = "The password";
}

fn audit(state: &AppState, username: &str, outcome: &str) {
    state.store.audit(AuditEntry {
        at: now(),
        actor: format!("staff:{username}"),
        action: "staff_password".into(),
        subject: "own".into(),
        outcome: outcome.into(),
    });
}

/// Changes the signed-in account's password; the other sessions of the account end.
#[utoipa::path(post, path = PASSWORD_PATH, security(("staff_session" = [])),
    request_body = PasswordChange,
    responses((status = 204, description = "changed; this token stays, every other session ended"),
        (status = 400, body = ApiError, description = "the new password breaks a rule, or the current one is wrong"),
        (status = 401, body = ApiError), (status = 429, body = ApiError), (status = 503, body = ApiError)))]
pub async fn change(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    Extension(SessionToken(token)): Extension<SessionToken>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    ApiJson(body): ApiJson<PasswordChange>,
) -> Result<Response, AppError> {
    let username = staff.username.clone();
    if let Err(why) =
        crate::console::password_policy(&username, &body.current, &body.new, &body.new)
    {
        audit(&state, &username, "refused_policy");
        return Err(AppError::bad_request(ErrorCode::BadRequest, why));
    }
    let address = peer_address(peer);
    match check_password(&state, "staff", &username, body.current, &address).await {
        Ok(_) => {}
        Err(SignInRefused::Wrong) => {
            audit(&state, &username, "refused_current");
            return Err(AppError::bad_request(
                ErrorCode::BadRequest,
                Text::new("Kata sandi sekarang salah.", "The current password is wrong."),
            ));
        }
        Err(refusal) => return Err(refusal.into()),
    }
    // Hashing costs what a check does: it waits for one of the same permits.
    let Ok(Ok(_permit)) = tokio::time::timeout(
        Duration::from_secs(10),
        state.password_checks.clone().acquire_owned(),
    )
    .await
    else {
        return Err(AppError::busy(Duration::from_secs(5)));
    };
    let (store, name, new) = (state.store.clone(), username.clone(), body.new);
    tokio::task::spawn_blocking(move || {
        store.change_staff_password_keeping_token(&name, &new, &token)
    })
    .await??;
    audit(&state, &username, "changed");
    Ok(StatusCode::NO_CONTENT.into_response())
}
