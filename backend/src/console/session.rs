//! Who is signed in to the console: the session cookie, the session in the database, and
//! the gate ([`require`]) every signed-in route passes. The gate ends expired sessions,
//! holds an account whose password someone else chose on the password page, refuses a POST
//! whose CSRF token or origin is wrong (403, audited), and hands the page a [`ConsoleUser`].
//! One upload route ([`STREAMED_PATH`]) checks its token itself, before reading its file.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use protocol::Text;

use super::csrf::{self, Purpose};
use super::reply;
use crate::http::AppState;
use crate::store::{ConsoleLimits, ConsoleSession, StaffRecord};

pub(crate) const HOME_PATH: &str = "/console/";
pub(crate) const LOGIN_PATH: &str = "/console/login";
pub(crate) const LOGOUT_PATH: &str = "/console/logout";
pub(crate) const PASSWORD_PATH: &str = "/console/password";

/// Largest form body the console reads; its forms hold a reason at most.
const FORM_LIMIT: usize = 16 * 1024;
/// Largest upload form (`multipart/form-data`: a recipient list), as the API's import.
pub(crate) const UPLOAD_LIMIT: usize = crate::http::IMPORT_BODY_LIMIT;
/// The one route whose `multipart/form-data` POST the gate passes on unread, origin
/// checked: a population file is too large to buffer. Its handler
/// (`imports::start_registry`) checks the token, the form's first field, before reading
/// anything else; every other POST is read and checked here.
pub(crate) const STREAMED_PATH: &str = super::pages::imports::REGISTRY_PATH;

/// How the console's sessions behave.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConsoleOptions {
    pub limits: ConsoleLimits,
    /// Served over https (by the service itself or a proxy on the same host): cookies are
    /// `Secure` and carry the `__Host-` prefix, which browsers bind to this exact host.
    pub https: bool,
}

impl ConsoleOptions {
    /// The session cookie's name.
    pub(crate) fn session_cookie(&self) -> &'static str {
        if self.https { "__Host-anjungan" } else { "anjungan_session" }
    }

    /// The sign-in form's pre-session cookie's name.
    pub(crate) fn sign_in_cookie(&self) -> &'static str {
        if self.https { "__Host-anjungan-login" } else { "anjungan_login" }
    }

    /// A `Set-Cookie` value: HttpOnly, SameSite=Strict, the whole site, Secure over https;
    /// `max_age` in seconds (0 removes it), none: until the browser closes.
    pub(crate) fn cookie(&self, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
        let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
        if self.https {
            text.push_str("; Secure");
        }
        if let Some(seconds) = max_age {
            text.push_str(&format!("; Max-Age={seconds}"));
        }
        HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

/// The value of cookie `name` in a request, if it looks like one of ours (hex only).
pub(crate) fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
        .filter(|value| crate::store::valid_session_id(value))
}

/// The signed-in staff member, as the gate hands it to a page.
#[derive(Debug, Clone)]
pub(crate) struct ConsoleUser {
    pub staff: StaffRecord,
    /// The session id from the cookie (kept through a password change, ended at logout).
    pub session_id: String,
    /// The token this session's forms carry.
    pub csrf: String,
    pub must_change_password: bool,
}

impl ConsoleUser {
    /// The audit log's actor for what this user does in the console.
    pub(crate) fn actor(&self) -> String {
        format!("console:{}", self.staff.username)
    }
}

pub(crate) fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Middleware of every signed-in route; see the module's documentation.
pub(crate) async fn require(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let console = &state.console;
    let cookie = console.options.session_cookie();
    let Some(id) = cookie_value(request.headers(), cookie) else {
        return reply::redirect(LOGIN_PATH);
    };
    let lookup = {
        let (store, id, limits) = (state.store.clone(), id.clone(), console.options.limits);
        tokio::task::spawn_blocking(move || store.console_session(&id, unix_now(), &limits)).await
    };
    let (staff, must_change_password) = match lookup {
        Ok(Ok(ConsoleSession::Live { staff, must_change_password })) => {
            (staff, must_change_password)
        }
        Ok(Ok(ConsoleSession::Expired)) => {
            reply::audit(&state, "console:anonymous", "console_session", "session", "expired");
            let mut response = reply::redirect(&format!("{LOGIN_PATH}?expired=1"));
            forget(&state, &mut response);
            return response;
        }
        Ok(Ok(ConsoleSession::Unknown)) => {
            let mut response = reply::redirect(LOGIN_PATH);
            forget(&state, &mut response);
            return response;
        }
        Ok(Err(error)) => return reply::failure(&state, None, error.into()),
        Err(error) => return reply::failure(&state, None, error.into()),
    };
    let user = ConsoleUser {
        csrf: csrf::token(&id, Purpose::Session),
        staff,
        session_id: id,
        must_change_password,
    };
    let request = if request.method() == Method::POST {
        match checked_form(&state, &user, request).await {
            Ok(request) => request,
            Err(response) => return response,
        }
    } else {
        request
    };
    let path = request.uri().path();
    if user.must_change_password && path != PASSWORD_PATH && path != LOGOUT_PATH {
        return reply::redirect(PASSWORD_PATH);
    }
    let mut request = request;
    request.extensions_mut().insert(user);
    next.run(request).await
}

/// A POST's body read (bounded) and its token and origin checked; the request rebuilt with
/// the same body for the page, or the refusal.
async fn checked_form(
    state: &AppState,
    user: &ConsoleUser,
    request: Request,
) -> Result<Request, Response> {
    let (parts, body) = request.into_parts();
    let same_origin = csrf::same_origin(&parts.headers);
    let multipart = parts
        .headers
        .get(header::CONTENT_TYPE)
        .filter(|value| value.as_bytes().starts_with(b"multipart/form-data"))
        .cloned();
    if multipart.is_some() && parts.uri.path() == STREAMED_PATH {
        // Hundreds of megabytes are not buffered here: the origin is checked now, the
        // token by the handler from the form's first field, before it reads the file.
        if !same_origin {
            return Err(refused(state, user, parts.uri.path(), "other_origin"));
        }
        return Ok(Request::from_parts(parts, body));
    }
    let limit = if multipart.is_some() { UPLOAD_LIMIT } else { FORM_LIMIT };
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return Err(reply::error_page(
            state,
            Some(user),
            StatusCode::PAYLOAD_TOO_LARGE,
            Text::new("Isian terlalu besar.", "The form is too large."),
        ));
    };
    let token = match &multipart {
        Some(content_type) => csrf::multipart_field(content_type, bytes.clone(), csrf::FIELD).await,
        None => csrf::form_field(&bytes, csrf::FIELD),
    }
    .unwrap_or_default();
    if !same_origin || !csrf::matches(&user.session_id, Purpose::Session, &token) {
        let why = if same_origin { "bad_token" } else { "other_origin" };
        return Err(refused(state, user, parts.uri.path(), why));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// A form refused for its token or origin (`why`): logged, audited, answered 403.
pub(crate) fn refused(state: &AppState, user: &ConsoleUser, path: &str, why: &str) -> Response {
    tracing::warn!(username = %user.staff.username, path, why, "console form refused");
    reply::audit(state, &user.actor(), "console_csrf", path, why);
    forged(state, Some(user))
}

/// The answer to a form that did not come from a page of this console (or came from one
/// too old: signed out and in again since).
pub(crate) fn forged(state: &AppState, user: Option<&ConsoleUser>) -> Response {
    reply::error_page(
        state,
        user,
        StatusCode::FORBIDDEN,
        Text::new(
            "Formulir ini tidak sah atau sudah kedaluwarsa. Muat ulang halaman lalu coba lagi.",
            "This form is not valid or has expired. Reload the page and try again.",
        ),
    )
}

/// Removes the session cookie from the browser.
pub(crate) fn forget(state: &AppState, response: &mut Response) {
    let options = &state.console.options;
    response
        .headers_mut()
        .append(header::SET_COOKIE, options.cookie(options.session_cookie(), "", Some(0)));
}

/// Sets the session cookie: until the browser closes, the database decides the rest.
pub(crate) fn remember(state: &AppState, response: &mut Response, id: &str) {
    let options = &state.console.options;
    response
        .headers_mut()
        .append(header::SET_COOKIE, options.cookie(options.session_cookie(), id, None));
}
