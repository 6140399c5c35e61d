//! The HTTP API. Handlers validate input at the boundary, call the store on the blocking
//! pool, and answer with the types of `protocol::api`. Every status lookup is audited.

mod error;
mod fleet;
mod guard;
mod letters;
mod openapi;
mod reports;
mod staff;
mod submit;

pub use reports::REPORT_PROGRAM;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Extension, MatchedPath, Path, State};
use axum::http::Request;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use protocol::api::{
    ApiError, ErrorCode, HEALTH_PATH, Health, HouseholdMember, HouseholdStatus, Membership,
    REPORTS_PATH, STATUS_PATH, StatusResponse, TICKET_PATH,
};
use protocol::mask::{mask_digits_in, mask_name};
use protocol::region::regions;
use protocol::{Nik, Text};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tower_http::trace::TraceLayer;

use crate::eligibility::Catalogue;
use crate::store::{AuditEntry, KioskRecord, MembershipRecord, StatusRecord, Store};
use error::AppError;
pub use guard::Kiosk;
use guard::{Guard, authenticate};

/// Largest request body accepted; no endpoint of this version needs more.
const BODY_LIMIT: usize = 64 * 1024;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    store: Store,
    guard: Arc<Guard>,
    catalogue: Arc<Catalogue>,
}

/// The API with the shipped program catalogue.
pub fn router(store: Store) -> Router {
    router_with(store, Catalogue::default_catalogue())
}

/// The API with a catalogue loaded by operations.
pub fn router_with(store: Store, catalogue: Catalogue) -> Router {
    let state =
        AppState { store, guard: Arc::new(Guard::default()), catalogue: Arc::new(catalogue) };
    let kiosk_api = Router::new()
        .route(STATUS_PATH, get(status))
        .route(REPORTS_PATH, post(reports::file))
        .route(protocol::letter::LETTERS_PATH, post(letters::file))
        .route(TICKET_PATH, get(reports::ticket))
        .route(protocol::fleet::HEARTBEAT_PATH, post(fleet::heartbeat))
        .route(protocol::fleet::CONFIG_PATH, get(fleet::config))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), authenticate));
    let staff_api = Router::new()
        .route(protocol::staff::MEMBERSHIPS_PATH, post(staff::add_membership))
        .route(
            protocol::staff::IMPORTS_PATH,
            post(staff::import_list).layer(DefaultBodyLimit::max(staff::IMPORT_BODY_LIMIT)),
        )
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), staff::authenticate));
    Router::new()
        .route(HEALTH_PATH, get(health))
        .route(openapi::DOCUMENT_PATH, get(openapi::document))
        .route(protocol::staff::LOGIN_PATH, post(staff::login))
        .merge(kiosk_api)
        .merge(staff_api)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            // The route template, never the raw path: the raw path holds the NIK.
            let route = request
                .extensions()
                .get::<MatchedPath>()
                .map(|path| path.as_str().to_string())
                .unwrap_or_else(|| mask_digits_in(request.uri().path()));
            tracing::info_span!("http", method = %request.method(), route)
        }))
        .with_state(state)
}

/// Any path no route answers.
async fn not_found() -> AppError {
    AppError::not_found(ErrorCode::NotFound, Text::new("Alamat tidak dikenal.", "Unknown path."))
}

/// Liveness and registry size. Not authenticated.
#[utoipa::path(get, path = HEALTH_PATH, responses((status = 200, body = Health)))]
async fn health(State(state): State<AppState>) -> Result<Json<Health>, AppError> {
    let store = state.store;
    let residents = tokio::task::spawn_blocking(move || store.resident_count()).await??;
    Ok(Json(Health { status: "ok".into(), version: env!("CARGO_PKG_VERSION").into(), residents }))
}

fn now() -> String {
    OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default()
}

/// A resident's and their family's program memberships, masked.
#[utoipa::path(
    get,
    path = STATUS_PATH,
    params(("nik" = String, Path, description = "16-digit NIK")),
    security(("kiosk_signature" = [])),
    responses(
        (status = 200, body = StatusResponse),
        (status = 400, body = ApiError, description = "invalid NIK; `code` says why"),
        (status = 401, body = ApiError),
        (status = 404, body = ApiError, description = "resident_not_found"),
        (status = 429, body = ApiError, description = "lookup rate limit; see Retry-After"),
    )
)]
async fn status(
    State(state): State<AppState>,
    Extension(Kiosk(kiosk)): Extension<Kiosk>,
    Extension(record): Extension<KioskRecord>,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    // Every attempt counts, valid or not: the limit is against trying many numbers.
    if let Err(retry_after) = state.guard.allow_lookup(&kiosk, record.lookups_per_minute) {
        tracing::warn!(%kiosk, "lookup rate limit reached");
        return Err(AppError::rate_limited(retry_after));
    }
    let store = state.store;
    let actor = format!("kiosk:{kiosk}");
    let nik = match Nik::parse(&raw) {
        Ok(nik) => nik,
        Err(error) => {
            tracing::info!(reason = %error, "invalid NIK refused");
            store.audit(AuditEntry {
                at: now(),
                actor,
                action: "status_lookup".into(),
                subject: mask_digits_in(&raw.chars().take(32).collect::<String>()),
                outcome: "invalid".into(),
            });
            return Err(AppError::from(&error));
        }
    };
    let record = match store.status_without_waiting(&nik) {
        Some(record) => record?,
        None => {
            let store = store.clone();
            tokio::task::spawn_blocking(move || store.status(&nik)).await??
        }
    };
    let outcome = if record.is_some() { "found" } else { "not_found" };
    tracing::info!(nik = %nik.masked(), outcome, "status lookup");
    store.audit(AuditEntry {
        at: now(),
        actor,
        action: "status_lookup".into(),
        subject: nik.masked(),
        outcome: outcome.into(),
    });
    match record {
        Some(record) => Ok(Json(status_response(&state.catalogue, &nik, record)).into_response()),
        None => Err(AppError::not_found(
            ErrorCode::ResidentNotFound,
            Text::new(
                "NIK ini tidak ditemukan dalam data desa. Periksa kembali angkanya atau hubungi petugas desa.",
                "This NIK is not in the village records. Check the digits or ask the village staff.",
            ),
        )),
    }
}

fn membership(catalogue: &Catalogue, record: &MembershipRecord) -> Membership {
    let component_name = record.component.as_deref().and_then(|code| {
        let program = catalogue.program(&record.program)?;
        program.components.iter().find(|c| c.code == code).map(|c| c.name.clone())
    });
    Membership {
        program: record.program.clone(),
        program_name: record.program_name.clone(),
        component: record.component.clone(),
        component_name,
        state: record.state,
        since: record.since.clone(),
    }
}

/// Builds the masked answer: the subject's own programs, the household's, and each other
/// member's, with names reduced to initials.
fn status_response(catalogue: &Catalogue, nik: &Nik, record: StatusRecord) -> StatusResponse {
    let membership = |m: &MembershipRecord| membership(catalogue, m);
    let r = regions();
    let district =
        r.district((record.desa_code / 10_000) as u32).map(|d| d.name.clone()).unwrap_or_default();
    let village = r.village(record.desa_code).map(|v| v.name.clone()).unwrap_or_default();
    let personal = |member: &str| -> Vec<Membership> {
        record
            .memberships
            .iter()
            .filter(|m| m.nik.as_deref() == Some(member))
            .map(membership)
            .collect()
    };
    let household_programs = record.memberships.iter().filter(|m| m.kk.is_some()).map(membership);
    let members = record
        .members
        .iter()
        .filter(|member| member.nik != nik.as_str())
        .map(|member| HouseholdMember {
            name: mask_name(&member.name),
            relation: member.relation,
            programs: personal(&member.nik),
        })
        .collect();
    let kk = protocol::NoKk::parse(&record.kk).map(|kk| kk.masked()).unwrap_or_else(|_| {
        // Stored KKs are validated on the way in; mask whatever is there regardless.
        mask_digits_in(&record.kk)
    });
    StatusResponse {
        nik: nik.masked(),
        name: mask_name(&record.name),
        district,
        village,
        person: personal(nik.as_str()),
        household: HouseholdStatus { kk, programs: household_programs.collect(), members },
        checked_at: now(),
    }
}
