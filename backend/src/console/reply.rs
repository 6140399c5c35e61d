//! What console handlers answer besides their page: redirects after a form (303, so a
//! reload does not post again), error pages in both languages, and the audit entries.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use protocol::Text;
use serde::Serialize;

use super::layout::{self, Page};
use super::session::ConsoleUser;
use crate::http::AppState;
use crate::http::error::AppError;
use crate::store::AuditEntry;

/// `303 See Other` to `to`: after a form, and to send someone to sign in.
pub(crate) fn redirect(to: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// Queues an audit entry (`subject` holds no personal datum unmasked).
pub(crate) fn audit(state: &AppState, actor: &str, action: &str, subject: &str, outcome: &str) {
    state.store.audit(AuditEntry {
        at: crate::http::now(),
        actor: actor.to_owned(),
        action: action.to_owned(),
        subject: subject.to_owned(),
        outcome: outcome.to_owned(),
    });
}

/// A message in both languages, as templates show it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Said {
    pub id: String,
    pub en: String,
}

impl From<Text> for Said {
    fn from(text: Text) -> Said {
        Said { id: text.id, en: text.en }
    }
}

#[derive(Serialize)]
struct ErrorView {
    status: u16,
    message: Said,
}

/// An error page with `status` and `message`, in the layout when someone is signed in.
pub(crate) fn error_page(
    state: &AppState,
    user: Option<&ConsoleUser>,
    status: StatusCode,
    message: Text,
) -> Response {
    let page = Page { template: "error.html", title: ("Kesalahan", "Error"), nav: "" };
    let view = ErrorView { status: status.as_u16(), message: message.into() };
    let mut response = layout::render(state, user, &page, &view);
    *response.status_mut() = status;
    response
}

/// An [`AppError`] from the code the API shares (the store, the letter PDF) as a page
/// with the same status and message.
pub(crate) fn failure(state: &AppState, user: Option<&ConsoleUser>, error: AppError) -> Response {
    let (status, message) = error.parts();
    let mut response = error_page(state, user, status, message);
    if let Some(seconds) = error.retry_after() {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// `404` in the console's words: an unknown page, or something of another desa (which
/// looks the same, so nothing can be probed across desas).
pub(crate) fn not_found(state: &AppState, user: Option<&ConsoleUser>) -> Response {
    error_page(
        state,
        user,
        StatusCode::NOT_FOUND,
        Text::new("Halaman atau data tidak ditemukan.", "No such page or record."),
    )
}

/// Runs store work on the blocking pool; its failure as the API would answer it.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, crate::store::StoreError> + Send + 'static,
) -> Result<T, AppError> {
    Ok(tokio::task::spawn_blocking(work).await??)
}
