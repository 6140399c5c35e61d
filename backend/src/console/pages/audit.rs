//! The audit log: `/console/audit` filters by actor, action, outcome, a piece of the
//! subject and a range of days, fifty entries a page newest first; `/console/audit.csv`
//! exports everything the filter selects, streamed a page at a time (`audit_export`;
//! masked, formula cells defused). Audit entries carry no desa, so only kabupaten-wide operators
//! and auditors read them (`audit_view::may_read`); a desa account is refused 403. Every
//! view and export is itself audited.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use protocol::Text;
use serde::Serialize;

use crate::audit_export::described;
use crate::audit_view::{self, AuditLine, AuditQuery, PAGE_SIZE};
use crate::console::layout::{self, Page};
use crate::console::reply::{self, Said};
use crate::console::session::ConsoleUser;
use crate::http::AppState;

const PAGE: Page = Page { template: "audit.html", title: ("Audit", "Audit log"), nav: "audit" };

#[derive(Serialize)]
struct AuditView {
    query: AuditQuery,
    entries: Vec<AuditLine>,
    page: usize,
    prev: Option<String>,
    next: Option<String>,
    export: String,
    error: Option<Said>,
}

fn forbidden(state: &AppState, user: &ConsoleUser) -> Response {
    reply::error_page(
        state,
        Some(user),
        StatusCode::FORBIDDEN,
        Text::new(
            "Log audit hanya untuk operator kabupaten dan auditor.",
            "The audit log is for kabupaten operators and auditors only.",
        ),
    )
}

/// The query string of `query` on page `page`.
fn href(path: &str, query: &AuditQuery, page: Option<usize>) -> String {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    let fields = [
        ("actor", query.actor.as_str()),
        ("action", &query.action),
        ("outcome", &query.outcome),
        ("subject", &query.subject),
        ("from", &query.from),
        ("to", &query.to),
    ];
    let mut pairs: Vec<String> = fields
        .iter()
        .map(|(name, value)| format!("{name}={}", utf8_percent_encode(value, NON_ALPHANUMERIC)))
        .collect();
    if let Some(page) = page {
        pairs.push(format!("page={page}"));
    }
    format!("{path}?{}", pairs.join("&"))
}

/// `GET /console/audit`.
pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Response {
    if !audit_view::may_read(&user.staff) {
        reply::audit(&state, &user.actor(), "console_audit", "audit", "forbidden");
        return forbidden(&state, &user);
    }
    let query = query.map(|Query(query)| query).unwrap_or_default();
    let (filter, page) = match query.clean() {
        Ok(clean) => clean,
        Err(why) => {
            reply::audit(&state, &user.actor(), "console_audit", "audit", "invalid");
            let view = AuditView {
                export: String::new(),
                query,
                entries: Vec::new(),
                page: 1,
                prev: None,
                next: None,
                error: Some(why.into()),
            };
            let mut response = layout::render(&state, Some(&user), &PAGE, &view);
            *response.status_mut() = StatusCode::BAD_REQUEST;
            return response;
        }
    };
    let (store, wanted) = (state.store.clone(), filter.clone());
    // One more than a page: whether a next page exists.
    let read =
        reply::blocking(move || store.search_audit(&wanted, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE))
            .await;
    let mut entries = match read {
        Ok(entries) => entries,
        Err(error) => return reply::failure(&state, Some(&user), error),
    };
    let more = entries.len() > PAGE_SIZE;
    entries.truncate(PAGE_SIZE);
    let subject = format!("{} page={page}", described(&filter));
    reply::audit(&state, &user.actor(), "console_audit", &subject, "viewed");
    let view = AuditView {
        prev: (page > 1).then(|| href("/console/audit", &query, Some(page - 1))),
        next: more.then(|| href("/console/audit", &query, Some(page + 1))),
        export: href("/console/audit.csv", &query, None),
        entries: entries.into_iter().map(audit_view::line).collect(),
        query,
        page,
        error: None,
    };
    layout::render(&state, Some(&user), &PAGE, &view)
}

/// `GET /console/audit.csv`: what the filter selects, newest first.
pub(crate) async fn export(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Response {
    const ACTION: &str = "console_audit_export";
    if !audit_view::may_read(&user.staff) {
        reply::audit(&state, &user.actor(), ACTION, "audit", "forbidden");
        return forbidden(&state, &user);
    }
    let query = query.map(|Query(query)| query).unwrap_or_default();
    let filter = match query.clean() {
        Ok((filter, _)) => filter,
        Err(why) => {
            reply::audit(&state, &user.actor(), ACTION, "audit", "invalid");
            return reply::error_page(&state, Some(&user), StatusCode::BAD_REQUEST, why);
        }
    };
    match crate::audit_export::export(state.store.clone(), filter, &user.actor(), ACTION) {
        Ok(response) => response,
        Err(error) => reply::failure(&state, Some(&user), error.into()),
    }
}
