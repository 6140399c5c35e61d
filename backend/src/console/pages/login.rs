//! `/console/login` and `/console/logout`. Signing in goes through the same checks as the
//! API's sign-in (`http::login::check_password`: the limits per service, address and
//! account, the lockout, two Argon2 checks at a time), so the console is no way around
//! them. The form is protected before any session exists by a random pre-session cookie
//! and its token; a successful sign-in always opens a new session (never one the browser
//! brought along).

use std::net::SocketAddr;

use axum::extract::rejection::FormRejection;
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Extension, Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use protocol::Text;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::console::csrf::{self, Purpose};
use crate::console::layout::{self, Page};
use crate::console::reply::{self, Said};
use crate::console::session::{
    self, ConsoleUser, HOME_PATH, LOGIN_PATH, PASSWORD_PATH, cookie_value, unix_now,
};
use crate::http::AppState;
use crate::http::error::AppError;
use crate::http::login::{SignInRefused, check_password, peer_address};

/// How long the sign-in form's pre-session cookie lasts: a form left open over a working
/// day still signs in.
const SIGN_IN_COOKIE_SECONDS: i64 = 12 * 3600;

const PAGE: Page = Page { template: "login.html", title: ("Masuk", "Sign in"), nav: "" };

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Notice {
    expired: Option<String>,
    out: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct SignInForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

#[derive(Serialize)]
struct LoginView {
    action: &'static str,
    csrf: String,
    username: String,
    notice: Option<Said>,
    error: Option<Said>,
}

fn fresh_secret() -> String {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    hex::encode(secret)
}

fn page(state: &AppState, view: LoginView, status: StatusCode) -> Response {
    let mut response = layout::render(state, None, &PAGE, &view);
    *response.status_mut() = status;
    response
}

/// The sign-in form.
pub(crate) async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    notice: Result<Query<Notice>, QueryRejection>,
) -> Response {
    let options = &state.console.options;
    let (pre, fresh) = match cookie_value(&headers, options.sign_in_cookie()) {
        Some(pre) => (pre, false),
        None => (fresh_secret(), true),
    };
    let notice = notice.map(|Query(notice)| notice).unwrap_or_default();
    let notice = if notice.expired.is_some() {
        Some(Text::new(
            "Sesi Anda telah berakhir. Silakan masuk lagi.",
            "Your session has ended. Please sign in again.",
        ))
    } else if notice.out.is_some() {
        Some(Text::new("Anda telah keluar.", "You have signed out."))
    } else {
        None
    };
    let view = LoginView {
        action: LOGIN_PATH,
        csrf: csrf::token(&pre, Purpose::SignIn),
        username: String::new(),
        notice: notice.map(Said::from),
        error: None,
    };
    let mut response = page(&state, view, StatusCode::OK);
    if fresh {
        let cookie = options.cookie(options.sign_in_cookie(), &pre, Some(SIGN_IN_COOKIE_SECONDS));
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// A sign-in: a new session and on to the dashboard (or first to the password page).
pub(crate) async fn submit(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    form: Result<Form<SignInForm>, FormRejection>,
) -> Response {
    let options = state.console.options;
    let pre = cookie_value(&headers, options.sign_in_cookie());
    let form = match form {
        Ok(Form(form)) => form,
        Err(_) => {
            return reply::error_page(
                &state,
                None,
                StatusCode::BAD_REQUEST,
                Text::new("Isian tidak dapat dibaca.", "The form could not be read."),
            );
        }
    };
    let genuine = csrf::same_origin(&headers)
        && pre.as_deref().is_some_and(|pre| csrf::matches(pre, Purpose::SignIn, &form.csrf));
    let Some(pre) = pre.filter(|_| genuine) else {
        tracing::warn!("console sign-in form refused: token or origin");
        reply::audit(&state, "console:anonymous", "console_csrf", LOGIN_PATH, "refused");
        return session::forged(&state, None);
    };
    let address = peer_address(peer);
    let again = |error: Text, status: StatusCode| {
        let view = LoginView {
            action: LOGIN_PATH,
            csrf: csrf::token(&pre, Purpose::SignIn),
            username: form.username.clone(),
            notice: None,
            error: Some(error.into()),
        };
        page(&state, view, status)
    };
    let checked =
        match check_password(&state, "console", &form.username, form.password.clone(), &address)
            .await
        {
            Ok(checked) => checked,
            Err(SignInRefused::Failed(error)) => return reply::failure(&state, None, error),
            Err(refusal) => {
                let error = AppError::from(refusal);
                let (status, message) = error.parts();
                let mut response = again(message, status);
                if let Some(seconds) = error.retry_after() {
                    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
                }
                return response;
            }
        };
    let (store, username) = (state.store.clone(), checked.staff.username.clone());
    let opened =
        reply::blocking(move || store.open_console_session(&username, unix_now(), &options.limits))
            .await;
    let id = match opened {
        Ok(id) => id,
        Err(error) => return reply::failure(&state, None, error),
    };
    let to = if checked.must_change_password { PASSWORD_PATH } else { HOME_PATH };
    let mut response = reply::redirect(to);
    session::remember(&state, &mut response, &id);
    response
        .headers_mut()
        .append(header::SET_COOKIE, options.cookie(options.sign_in_cookie(), "", Some(0)));
    response
}

/// Signs out: the session's row is deleted, the cookie removed.
pub(crate) async fn logout(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
) -> Response {
    let (store, id) = (state.store.clone(), user.session_id.clone());
    if let Err(error) = reply::blocking(move || store.close_console_session(&id)).await {
        return reply::failure(&state, Some(&user), error);
    }
    reply::audit(&state, &user.actor(), "console_logout", "session", "done");
    let mut response = reply::redirect(&format!("{LOGIN_PATH}?out=1"));
    session::forget(&state, &mut response);
    response
}
