//! The staff API's side of the console's Registry and Programs pages: the registry search,
//! one family (masked; in full only with a reason, which is audited before the answer), the
//! program catalogue and the program dry run. Same scope as the console: a desa account
//! reads its own desa, another desa's family or resident answers 404 like an unknown one;
//! a kabupaten account reads every desa. Every read is audited with subjects masked.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Path, Query, State};
use protocol::api::{ApiError, ErrorCode};
use protocol::staff::{DecisionReason, DecisionResponse};
use protocol::{Nik, NoKk, Text};
use serde::{Deserialize, Serialize};

use super::error::{ApiJson, JsonBody};
use super::staff::Staff;
use super::{AppError, AppState, now};
use crate::eligibility::Decision;
use crate::registry_access::{DryRun, ReasonKind, UnmaskReason, dry_run};
use crate::store::{
    AuditEntry, FamilyRecord, RegistryHit, RegistryQuery, StaffRecord, mask_number,
};

pub const SEARCH_PATH: &str = "/api/v1/staff/registry/search";
pub const FAMILY_PATH: &str = "/api/v1/staff/registry/families/{kk}";
pub const UNMASK_PATH: &str = "/api/v1/staff/registry/families/{kk}/unmask";
pub const PROGRAMS_PATH: &str = "/api/v1/staff/programs";
pub const DRY_RUN_PATH: &str = "/api/v1/staff/programs/dry-run";

/// Query of the search.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SearchQuery {
    /// A NIK or KK number (16 digits), or the start of a name (3 letters or more).
    q: String,
}

/// What a search found, masked.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    pub results: Vec<RegistryHit>,
    /// More matched than the 50 listed.
    pub truncated: bool,
}

/// Why the family is to be shown in full.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct UnmaskRequest {
    pub kind: ReasonKind,
    /// The staff's own words, 5 to 200 characters.
    pub reason: String,
}

impl JsonBody for UnmaskRequest {
    const NAME_ID: &'static str = "Alasan";
    const NAME_EN: &'static str = "The reason";
}

/// A dry run's question.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DryRunRequest {
    pub nik: String,
    pub program: String,
    #[serde(default)]
    pub component: Option<String>,
}

impl JsonBody for DryRunRequest {}

/// One program of the catalogue as the engine reads it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProgramSummary {
    pub code: String,
    pub name: Text,
    pub level: String,
    /// `person` or `household`.
    pub unit: String,
    pub components: Vec<String>,
    /// `female`, `pregnant_or_nursing`.
    pub requires: Vec<String>,
    /// `PROGRAM[/component]:scope` it may not be combined with.
    pub exclusions: Vec<String>,
    pub allowances: Vec<String>,
    /// The account's desa's quota (a kabupaten account: the default per desa).
    pub quota: Option<u32>,
    /// `lowest-highest` DTSEN deciles, if limited.
    pub desil: Option<String>,
    pub only_if_uncovered: bool,
    pub citizen_reports: bool,
}

fn entry(staff: &StaffRecord, action: &str, subject: String, outcome: &str) -> AuditEntry {
    AuditEntry {
        at: now(),
        actor: format!("staff:{}", staff.username),
        action: action.into(),
        subject,
        outcome: outcome.into(),
    }
}

fn invalid(text: Text) -> AppError {
    AppError::bad_request(ErrorCode::InvalidText, text)
}

fn family_gone() -> AppError {
    AppError::not_found(
        ErrorCode::NotFound,
        Text::new("Keluarga tidak ditemukan.", "No such family."),
    )
}

/// Residents by NIK, KK or the start of a name, masked, at most 50.
#[utoipa::path(get, path = SEARCH_PATH, security(("staff_session" = [])), params(SearchQuery),
    responses((status = 200, body = SearchResults), (status = 400, body = ApiError), (status = 401, body = ApiError)))]
pub async fn search(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    query: Result<Query<SearchQuery>, QueryRejection>,
) -> Result<Json<SearchResults>, AppError> {
    let text = query.map(|Query(query)| query.q).unwrap_or_default();
    let parsed = RegistryQuery::parse(&text).map_err(|error| {
        state.store.audit(entry(&staff, "registry_search", "refused".into(), "invalid"));
        invalid(error.text())
    })?;
    let label = parsed.audit_label();
    let (store, desa) = (state.store.clone(), staff.desa_code);
    let (hits, truncated) =
        tokio::task::spawn_blocking(move || store.search_registry(&parsed, desa)).await??;
    let outcome = format!("{} found", hits.len());
    state.store.audit(entry(&staff, "registry_search", label, &outcome));
    Ok(Json(SearchResults { results: hits.iter().map(RegistryHit::masked).collect(), truncated }))
}

/// The family of `raw` if the account covers its desa.
async fn family_of(
    state: &AppState,
    staff: &StaffRecord,
    raw: &str,
    action: &str,
) -> Result<FamilyRecord, AppError> {
    let found = match NoKk::parse(raw.trim()) {
        Ok(kk) => {
            let store = state.store.clone();
            tokio::task::spawn_blocking(move || store.registry_family(&kk)).await??
        }
        Err(_) => None,
    };
    match found.filter(|family| staff.covers(family.desa_code)) {
        Some(family) => Ok(family),
        None => {
            state.store.audit(entry(staff, action, "kk".into(), "not_found"));
            Err(family_gone())
        }
    }
}

/// One family, masked: members, memberships, reports and letters.
#[utoipa::path(get, path = FAMILY_PATH, security(("staff_session" = [])),
    params(("kk" = String, Path, description = "the family's KK number")),
    responses((status = 200, body = FamilyRecord), (status = 404, body = ApiError), (status = 401, body = ApiError)))]
pub async fn family(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    Path(raw): Path<String>,
) -> Result<Json<FamilyRecord>, AppError> {
    let full = family_of(&state, &staff, &raw, "registry_family").await?;
    let subject = format!("kk:{}", mask_number(&full.kk));
    state.store.audit(entry(&staff, "registry_family", subject, "viewed_masked"));
    Ok(Json(full.masked()))
}

/// One family in full, for a reason written to the audit log before the answer.
#[utoipa::path(post, path = UNMASK_PATH, security(("staff_session" = [])),
    params(("kk" = String, Path, description = "the family's KK number")),
    request_body = UnmaskRequest,
    responses((status = 200, body = FamilyRecord), (status = 400, body = ApiError), (status = 404, body = ApiError)))]
pub async fn unmask(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    Path(raw): Path<String>,
    ApiJson(request): ApiJson<UnmaskRequest>,
) -> Result<Json<FamilyRecord>, AppError> {
    let full = family_of(&state, &staff, &raw, "registry_unmask").await?;
    let subject = format!("kk:{}", mask_number(&full.kk));
    let reason = match UnmaskReason::parse(request.kind.as_str(), &request.reason) {
        Ok(reason) => reason,
        Err(why) => {
            state.store.audit(entry(&staff, "registry_unmask", subject, "no_reason"));
            return Err(invalid(why));
        }
    };
    let audit = entry(&staff, "registry_unmask", subject, &reason.audit_outcome());
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || store.audit_read(audit)).await??;
    Ok(Json(full))
}

/// The program catalogue, read-only.
#[utoipa::path(get, path = PROGRAMS_PATH, security(("staff_session" = [])),
    responses((status = 200, body = [ProgramSummary]), (status = 401, body = ApiError)))]
pub async fn programs(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
) -> Json<Vec<ProgramSummary>> {
    state.store.audit(entry(&staff, "program_catalogue", "-".into(), "viewed"));
    let rule = |r: &crate::eligibility::catalogue::Rule| {
        let scope = match r.scope {
            crate::eligibility::Scope::Person => "person",
            crate::eligibility::Scope::Household => "household",
        };
        match &r.component {
            Some(component) => format!("{}/{component}:{scope}", r.program),
            None => format!("{}:{scope}", r.program),
        }
    };
    let summaries = state
        .catalogue
        .programs()
        .iter()
        .map(|p| ProgramSummary {
            code: p.code.clone(),
            name: p.name.clone(),
            level: p.level.as_str().into(),
            unit: p.unit.as_str().into(),
            components: p.components.iter().map(|c| c.code.clone()).collect(),
            requires: p
                .requires
                .iter()
                .map(|r| match r {
                    crate::eligibility::catalogue::Requirement::Female => "female".into(),
                    crate::eligibility::catalogue::Requirement::PregnantOrNursing => {
                        "pregnant_or_nursing".into()
                    }
                })
                .collect(),
            exclusions: p.exclusions.iter().map(rule).collect(),
            allowances: p.allowances.iter().map(rule).collect(),
            quota: match staff.desa_code {
                Some(desa) => state.catalogue.quota(&p.code, desa),
                None => p.quota_per_desa,
            },
            desil: p.desil.map(|d| format!("{}-{}", d.lowest, d.highest)),
            only_if_uncovered: p.only_if_uncovered,
            citizen_reports: p.citizen_reports,
        })
        .collect();
    Json(summaries)
}

/// Would this NIK be accepted into the program now, and if not, why. Writes nothing.
#[utoipa::path(post, path = DRY_RUN_PATH, security(("staff_session" = [])),
    request_body = DryRunRequest,
    responses((status = 200, body = DecisionResponse), (status = 400, body = ApiError), (status = 404, body = ApiError)))]
pub async fn dry_run_api(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    ApiJson(request): ApiJson<DryRunRequest>,
) -> Result<Json<DecisionResponse>, AppError> {
    let nik = Nik::parse(&request.nik).map_err(|error| AppError::from(&error))?;
    let component = request.component.filter(|c| !c.is_empty());
    let known = state.catalogue.program(&request.program).is_some_and(|program| {
        component.as_ref().is_none_or(|c| program.components.iter().any(|k| &k.code == c))
    });
    if !known {
        state.store.audit(entry(&staff, "program_dry_run", "-".into(), "unknown_program"));
        return Err(AppError::bad_request(
            ErrorCode::UnknownProgram,
            Text::new("Program tidak ada dalam katalog.", "No such program in the catalogue."),
        ));
    }
    let subject = format!("{} {}", request.program, nik.masked());
    let (store, catalogue, who) = (state.store.clone(), state.catalogue.clone(), staff.clone());
    let program = request.program.clone();
    let result = tokio::task::spawn_blocking(move || {
        dry_run(&store, &catalogue, &who, &nik, &program, component.as_deref())
    })
    .await??;
    let decision = match result {
        DryRun::Decided(decision) => decision,
        DryRun::NotFound | DryRun::OtherDesa => {
            state.store.audit(entry(&staff, "program_dry_run", subject, "not_found"));
            return Err(AppError::not_found(
                ErrorCode::ResidentNotFound,
                Text::new(
                    "NIK ini tidak ada di data kependudukan desa Anda.",
                    "This NIK is not in your desa's population register.",
                ),
            ));
        }
    };
    let outcome = if decision.is_accepted() { "accepted" } else { "rejected" };
    state.store.audit(entry(&staff, "program_dry_run", subject, outcome));
    let reasons = match &decision {
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
    };
    Ok(Json(DecisionResponse { accepted: decision.is_accepted(), reasons }))
}
