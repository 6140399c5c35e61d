//! The staff API (sign-in is in `login`): adding one person or household to a program, and importing a
//! recipient list. Both write paths are decided by the same engine as citizen reports, inside
//! the write transaction, and are limited to the desa the account acts for.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use protocol::api::{ApiError, ErrorCode, MembershipState};
use protocol::staff::{
    AddMembershipRequest, DecisionReason, DecisionResponse, IMPORTS_PATH, ImportResponse,
    ImportRow, MEMBERSHIPS_PATH,
};
use protocol::{Nik, NoKk, Text};
use serde::Deserialize;

use super::error::{ApiJson, JsonBody};
use super::{AppError, AppState, now};
use crate::checks::{UnknownDesa, decide_for};
use crate::eligibility::{Decision, Quota, Request as Asked, Unit};
use crate::import::{ImportError, ImportOptions, Requester, RowReport, admit};
use crate::store::{AuditEntry, NewMembership, StaffRecord, StoreError};

/// How long a sign-in lasts: one working day.
pub const SESSION_SECONDS: i64 = 10 * 3600;

/// Largest recipient list accepted in one request (about 400,000 rows).
pub const IMPORT_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// The staff member a request was authenticated as.
#[derive(Debug, Clone)]
pub struct Staff(pub StaffRecord);

impl JsonBody for AddMembershipRequest {}

fn other_desa() -> AppError {
    AppError::forbidden(Text::new(
        "Akun ini tidak berwenang untuk desa tersebut.",
        "This account may not act for that desa.",
    ))
}

fn unknown_program(code: &str) -> AppError {
    let shown: String = code.chars().filter(|c| c.is_ascii_graphic()).take(32).collect();
    AppError::bad_request(
        ErrorCode::UnknownProgram,
        Text::new(
            format!("Program {shown:?} tidak ada dalam katalog."),
            format!("Program {shown:?} is not in the catalogue."),
        ),
    )
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn audit(state: &AppState, staff: &str, action: &str, subject: String, outcome: &str) {
    state.store.audit(AuditEntry {
        at: now(),
        actor: format!("staff:{staff}"),
        action: action.into(),
        subject,
        outcome: outcome.into(),
    });
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix(protocol::staff::AUTHORIZATION_SCHEME)?.trim_start();
    (token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())).then_some(token)
}

/// The bearer token a request was authenticated with (the password change keeps it).
#[derive(Clone)]
pub struct SessionToken(pub String);

/// Middleware: a live staff session or `401`; an account that must still change the
/// password someone else set reaches only the password change (`403
/// password_change_required` elsewhere), as in the console.
pub async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(token) = bearer(request.headers()).map(str::to_owned) else {
        return super::guard::unauthorized().into_response();
    };
    let (store, lookup) = (state.store.clone(), token.clone());
    match tokio::task::spawn_blocking(move || store.staff_session(&lookup, unix_now())).await {
        Ok(Ok(Some((staff, must_change)))) => {
            if must_change && request.uri().path() != super::staff_password::PASSWORD_PATH {
                audit(&state, &staff.username, "staff_api", "password".into(), "change_required");
                return AppError::password_change_required().into_response();
            }
            request.extensions_mut().insert(Staff(staff));
            request.extensions_mut().insert(SessionToken(token));
            next.run(request).await
        }
        Ok(Ok(None)) => super::guard::unauthorized().into_response(),
        Ok(Err(error)) => AppError::from(error).into_response(),
        Err(error) => AppError::from(error).into_response(),
    }
}

fn reasons(decision: &Decision) -> Vec<DecisionReason> {
    match decision {
        Decision::Accepted => Vec::new(),
        Decision::Rejected(reasons) => reasons
            .iter()
            .map(|r| DecisionReason {
                code: r.code.as_str().into(),
                program: r.program.clone(),
                holder: r.holder.clone(),
                message: r.text.clone(),
            })
            .collect(),
    }
}

/// What a single add ended in, decided inside the write transaction.
enum Added {
    NotFound,
    OtherDesa,
    Decided(Decision),
}

/// Adds one person (person programs) or their household (household programs) to a program,
/// if the engine accepts it. The membership starts as `proposed`, for verification.
#[utoipa::path(
    post,
    path = MEMBERSHIPS_PATH,
    request_body = AddMembershipRequest,
    security(("staff_session" = [])),
    responses(
        (status = 201, body = DecisionResponse, description = "accepted and written"),
        (status = 422, body = DecisionResponse, description = "rejected, with reasons"),
        (status = 400, body = ApiError, description = "invalid NIK or unknown program"),
        (status = 403, body = ApiError, description = "another desa"),
        (status = 404, body = ApiError, description = "resident_not_found"),
    )
)]
pub async fn add_membership(
    State(state): State<AppState>,
    axum::Extension(Staff(staff)): axum::Extension<Staff>,
    ApiJson(request): ApiJson<AddMembershipRequest>,
) -> Result<Response, AppError> {
    let nik = Nik::parse(&request.nik).map_err(|error| AppError::from(&error))?;
    let Some(program) = state.catalogue.program(&request.program).cloned() else {
        return Err(unknown_program(&request.program));
    };
    let component = request.component.filter(|c| !c.is_empty());
    let outcome = {
        let (store, catalogue, staff) =
            (state.store.clone(), state.catalogue.clone(), staff.clone());
        let component = component.clone();
        tokio::task::spawn_blocking(move || {
            store.transaction(|tx| -> Result<Added, StoreError> {
                let Some(facts) = tx.status(&nik)? else { return Ok(Added::NotFound) };
                if !staff.covers(facts.desa_code) {
                    return Ok(Added::OtherDesa);
                }
                let used = tx.quota_used(&program.code, facts.desa_code)?;
                let asked = Asked { program: &program.code, component: component.as_deref() };
                let decision = decide_for(&catalogue, asked, &nik, &facts, Quota { used });
                if decision.is_accepted() {
                    let (person, kk, member) = match program.unit {
                        Unit::Person => (Some(nik), None, None),
                        Unit::Household => (
                            None,
                            Some(
                                NoKk::parse(&facts.kk)
                                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                            ),
                            component.as_ref().map(|_| nik),
                        ),
                    };
                    tx.add_memberships(&[NewMembership {
                        program: program.code.clone(),
                        nik: person,
                        kk,
                        component: component.clone(),
                        member_nik: member,
                        state: MembershipState::Proposed,
                        since: time::OffsetDateTime::now_utc().date().to_string(),
                        desa_code: facts.desa_code,
                    }])?;
                }
                // Recorded with the membership it adds, in the same transaction.
                tx.audit(&AuditEntry {
                    at: super::now(),
                    actor: format!("staff:{}", staff.username),
                    action: "add_membership".into(),
                    subject: format!("{} {}", program.code, nik.masked()),
                    outcome: if decision.is_accepted() { "accepted" } else { "rejected" }.into(),
                })?;
                Ok(Added::Decided(decision))
            })
        })
        .await??
    };
    let subject = format!("{} {}", request.program, nik.masked());
    match outcome {
        Added::NotFound => {
            audit(&state, &staff.username, "add_membership", subject, "not_found");
            Err(AppError::not_found(
                ErrorCode::ResidentNotFound,
                Text::new(
                    "NIK ini tidak ada di data kependudukan.",
                    "This NIK is not in the registry.",
                ),
            ))
        }
        Added::OtherDesa => {
            audit(&state, &staff.username, "add_membership", subject, "forbidden");
            Err(other_desa())
        }
        Added::Decided(decision) => {
            let accepted = decision.is_accepted();
            let outcome = if accepted { "accepted" } else { "rejected" };
            tracing::info!(program = %request.program, nik = %nik.masked(), outcome, "add membership");
            let status =
                if accepted { StatusCode::CREATED } else { StatusCode::UNPROCESSABLE_ENTITY };
            let body = DecisionResponse { accepted, reasons: reasons(&decision) };
            Ok((status, Json(body)).into_response())
        }
    }
}

/// Query of an import: the list's program and desa, and the state its rows start in.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// Program code, e.g. `BLT_DD`.
    program: String,
    /// Ten-digit desa code.
    desa: u64,
    /// `proposed` (default), `verified` or `active`.
    #[serde(default)]
    state: Option<String>,
    /// `true`: check every row and report, write nothing.
    #[serde(default)]
    dry_run: bool,
}

/// The answer to a refused import; the import has audited it already where that is due.
pub(crate) fn import_failure(error: ImportError) -> AppError {
    match error {
        ImportError::Store(error) => error.into(),
        ImportError::UnknownProgram(code) => unknown_program(&code),
        ImportError::UnknownDesa(UnknownDesa(desa)) => AppError::bad_request(
            ErrorCode::BadRequest,
            Text::new(
                format!("Kode desa {desa} tidak dikenal."),
                format!("Unknown desa code {desa}."),
            ),
        ),
        ImportError::Forbidden { .. } => other_desa(),
        error
        @ (ImportError::NoNikColumn | ImportError::UnknownColumn(_) | ImportError::Csv(_)) => {
            let detail = error.to_string();
            AppError::bad_request(
                ErrorCode::InvalidCsv,
                Text::new(
                    format!("Berkas CSV tidak dapat dibaca: {detail}"),
                    format!("The CSV file cannot be read: {detail}"),
                ),
            )
        }
    }
}

fn row(report: &RowReport) -> ImportRow {
    ImportRow {
        line: report.line,
        nik: report.nik.clone(),
        outcome: report.outcome.into(),
        reason: report.reason.clone(),
    }
}

/// Imports a recipient list (CSV: `nik`, optional `component` and `name` columns). Every
/// row is checked by the engine and the desa quota; accepted rows are written together, and
/// only when no row is malformed or duplicated (`422` then, with every row's outcome).
/// `Accept: text/csv` answers with the per-row report as CSV.
#[utoipa::path(
    post,
    path = IMPORTS_PATH,
    params(ImportQuery),
    request_body(content = String, content_type = "text/csv"),
    security(("staff_session" = [])),
    responses(
        (status = 200, body = ImportResponse, description = "checked; accepted rows written"),
        (status = 422, body = ImportResponse, description = "malformed or duplicated rows; nothing written"),
        (status = 400, body = ApiError, description = "unknown program, unreadable CSV"),
        (status = 403, body = ApiError, description = "another desa"),
        (status = 413, body = ApiError),
    )
)]
pub async fn import_list(
    State(state): State<AppState>,
    axum::Extension(Staff(staff)): axum::Extension<Staff>,
    query: Result<Query<ImportQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let Query(query) = query.map_err(|rejection| {
        AppError::bad_request(
            ErrorCode::BadRequest,
            Text::new(
                format!("Parameter impor tidak valid: {}", rejection.body_text()),
                format!("Invalid import parameters: {}", rejection.body_text()),
            ),
        )
    })?;
    let requester = Requester { actor: format!("staff:{}", staff.username), desa: staff.desa_code };
    let list = admit(&state.store, &state.catalogue, &requester, &query.program, query.desa)
        .map_err(import_failure)?;
    let membership_state = match query.state.as_deref() {
        None => MembershipState::Proposed,
        Some(text) => MembershipState::parse(text)
            .filter(|s| *s != MembershipState::Ended)
            .ok_or_else(|| {
                AppError::bad_request(
                    ErrorCode::BadRequest,
                    Text::new(
                        "Status awal harus proposed, verified atau active.",
                        "The starting state must be proposed, verified or active.",
                    ),
                )
            })?,
    };
    let options = ImportOptions {
        state: membership_state,
        since: time::OffsetDateTime::now_utc().date().to_string(),
        dry_run: query.dry_run,
    };
    let (summary, rows) = {
        let (store, catalogue) = (state.store.clone(), state.catalogue.clone());
        tokio::task::spawn_blocking(move || {
            let mut rows = Vec::new();
            list.run(&store, &catalogue, &options, body.as_ref(), |r| rows.push(r.clone()), |_| {})
                .map(|summary| (summary, rows))
        })
        .await?
        .map_err(import_failure)?
    };
    let refused = summary.malformed > 0 || summary.duplicate > 0;
    let status = if refused { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let wants_csv = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/csv"));
    if wants_csv {
        let mut writer =
            crate::import::report_writer(Vec::new()).map_err(|_| AppError::internal())?;
        for report in &rows {
            crate::import::write_row(&mut writer, report).map_err(|_| AppError::internal())?;
        }
        let bytes = writer.into_inner().map_err(|_| AppError::internal())?;
        return Ok(
            (status, [(header::CONTENT_TYPE, "text/csv; charset=utf-8")], bytes).into_response()
        );
    }
    let rows = rows.iter().map(row).collect();
    Ok((status, Json(ImportResponse { summary, rows })).into_response())
}
