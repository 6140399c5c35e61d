//! `/console/password`: the account's own new password. An account whose password someone
//! else chose (`backend staff-add`, a reset) sees only this page until it has changed it.
//! The current password is checked behind the same limits as a sign-in (so a left-open
//! browser is no way to guess it), the new one must be at least ten characters, not the
//! username and not the current one, and is hashed with Argon2id as the staff store does.
//! Every other session of the account ends; this one stays.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, Extension, Form, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use protocol::Text;
use serde::{Deserialize, Serialize};

use crate::console::layout::{self, Page};
use crate::console::reply::{self, Said};
use crate::console::session::{ConsoleUser, HOME_PATH, PASSWORD_PATH};
use crate::http::AppState;
use crate::http::error::AppError;
use crate::http::login::{SignInRefused, check_password, peer_address};
use crate::store::{MIN_PASSWORD, Store};

const PAGE: Page =
    Page { template: "password.html", title: ("Ganti kata sandi", "Change password"), nav: "" };

/// Longest password taken (Argon2 hashes any length; this bounds the work).
const MAX_PASSWORD: usize = 1024;

#[derive(Debug, Deserialize)]
pub(crate) struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

#[derive(Serialize)]
struct PasswordView {
    action: &'static str,
    forced: bool,
    min: usize,
    error: Option<Said>,
}

/// Whether `new` may replace `current` for `username`; else why not.
pub(crate) fn policy(username: &str, current: &str, new: &str, confirm: &str) -> Result<(), Text> {
    if new.chars().count() < MIN_PASSWORD {
        return Err(Text::new(
            format!("Kata sandi baru paling sedikit {MIN_PASSWORD} huruf."),
            format!("The new password needs at least {MIN_PASSWORD} characters."),
        ));
    }
    if new.len() > MAX_PASSWORD {
        return Err(Text::new("Kata sandi baru terlalu panjang.", "The new password is too long."));
    }
    if new != confirm {
        return Err(Text::new(
            "Kedua isian kata sandi baru tidak sama.",
            "The two new passwords differ.",
        ));
    }
    if new.trim().eq_ignore_ascii_case(username) {
        return Err(Text::new(
            "Kata sandi tidak boleh sama dengan nama pengguna.",
            "The password must not be the username.",
        ));
    }
    if new == current {
        return Err(Text::new(
            "Kata sandi baru harus berbeda dari kata sandi sekarang.",
            "The new password must differ from the current one.",
        ));
    }
    Ok(())
}

fn page(state: &AppState, user: &ConsoleUser, error: Option<Text>, status: StatusCode) -> Response {
    let view = PasswordView {
        action: PASSWORD_PATH,
        forced: user.must_change_password,
        min: MIN_PASSWORD,
        error: error.map(Said::from),
    };
    let mut response = layout::render(state, Some(user), &PAGE, &view);
    *response.status_mut() = status;
    response
}

pub(crate) async fn form(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
) -> Response {
    reply::audit(&state, &user.actor(), "console_view", PASSWORD_PATH, "viewed");
    page(&state, &user, None, StatusCode::OK)
}

pub(crate) async fn change(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    form: Result<Form<PasswordForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return page(
            &state,
            &user,
            Some(Text::new("Isian tidak dapat dibaca.", "The form could not be read.")),
            StatusCode::BAD_REQUEST,
        );
    };
    let username = user.staff.username.clone();
    if let Err(why) = policy(&username, &form.current, &form.new, &form.confirm) {
        reply::audit(&state, &user.actor(), "console_password", "policy", "refused");
        return page(&state, &user, Some(why), StatusCode::BAD_REQUEST);
    }
    let address = peer_address(peer);
    match check_password(&state, "console", &username, form.current, &address).await {
        Ok(_) => {}
        Err(SignInRefused::Wrong) => {
            let why = Text::new("Kata sandi sekarang salah.", "The current password is wrong.");
            return page(&state, &user, Some(why), StatusCode::BAD_REQUEST);
        }
        Err(SignInRefused::Failed(error)) => return reply::failure(&state, Some(&user), error),
        Err(refusal) => {
            let error = AppError::from(refusal);
            let (status, message) = error.parts();
            let mut response = page(&state, &user, Some(message), status);
            if let Some(seconds) = error.retry_after() {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            return response;
        }
    }
    // Hashing costs what a check does: it waits for one of the same permits.
    let Ok(Ok(_permit)) = tokio::time::timeout(
        Duration::from_secs(10),
        state.password_checks.clone().acquire_owned(),
    )
    .await
    else {
        return reply::failure(&state, Some(&user), AppError::busy(Duration::from_secs(5)));
    };
    let (store, keep, new) =
        (state.store.clone(), Store::console_session_key(&user.session_id), form.new);
    let name = username.clone();
    if let Err(error) =
        reply::blocking(move || store.change_staff_password(&name, &new, Some(&keep))).await
    {
        return reply::failure(&state, Some(&user), error);
    }
    reply::audit(&state, &user.actor(), "console_password", "own", "changed");
    reply::redirect(HOME_PATH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_password_is_long_its_own_and_new() {
        let ok = "kebun-kopi-2026";
        assert!(policy("ani.sekdes", "sementara-123", ok, ok).is_ok());
        assert!(policy("ani.sekdes", "sementara-123", "pendek", "pendek").is_err());
        assert!(policy("ani.sekdes", "sementara-123", ok, "kebun-kopi-2027").is_err());
        assert!(policy("ani.sekdes1", "sementara-123", "ANI.SEKDES1", "ANI.SEKDES1").is_err());
        assert!(policy("ani.sekdes", "sementara-123", "sementara-123", "sementara-123").is_err());
        let long = "x".repeat(MAX_PASSWORD + 1);
        assert!(policy("ani.sekdes", "sementara-123", &long, &long).is_err());
    }
}
