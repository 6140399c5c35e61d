//! A citizen's status lookup: `GET /api/v1/residents/{nik}/status`, rate-limited per kiosk,
//! audited whether or not the NIK is valid, and answered with names and numbers masked. A
//! resident recorded as died, moved away or missing is answered as such, with what they held
//! shown ended, and no more: no date, no cause.

use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::response::{IntoResponse, Response};
use protocol::api::{
    AnswerDetail, ApiError, ErrorCode, HouseholdMember, HouseholdStatus, LifeStatus, Membership,
    STATUS_PATH, StatusResponse,
};
use protocol::mask::{mask_digits_in, mask_name};
use protocol::region::regions;
use protocol::{Nik, Text};

use super::guard::{PendingClaim, settle};
use super::{AppError, AppState, Kiosk, now};
use crate::eligibility::Catalogue;
use crate::population;
use crate::store::{AuditEntry, KioskRecord, MembershipRecord, NonceClaim, StatusRecord};

/// A resident's and their family's program memberships, masked.
#[utoipa::path(
    get,
    path = STATUS_PATH,
    params(("nik" = String, Path, description = "16-digit NIK")),
    security(("kiosk_signature" = [])),
    responses(
        (status = 200, body = StatusResponse, description = "found; `life_status` says when the registry records the resident died, moved away or missing"),
        (status = 400, body = ApiError, description = "invalid NIK; `code` says why"),
        (status = 401, body = ApiError),
        (status = 404, body = ApiError, description = "resident_not_found"),
        (status = 429, body = ApiError, description = "lookup rate limit; see Retry-After"),
    )
)]
pub async fn status(
    State(state): State<AppState>,
    Extension(Kiosk(kiosk)): Extension<Kiosk>,
    Extension(kiosk_record): Extension<KioskRecord>,
    pending: Option<Extension<PendingClaim>>,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    let pending = pending.map(|Extension(pending)| pending);
    // Every attempt counts, valid or not: the limit is against trying many numbers.
    if let Err(refused) = super::budget::spend(&state, &kiosk, &kiosk_record).await {
        // Refused, but its nonce is used all the same: replayed after a restart or on
        // another instance, it must not be served either.
        if let Some(pending) = pending {
            claim_separately(&state, &kiosk, pending).await?;
        }
        return Err(refused);
    }
    let store = state.store.clone();
    let actor = format!("kiosk:{kiosk}");
    // PostgreSQL claims the nonce in the database, SQLite in the audit line below.
    let (db_claim, spool_claim) = match pending {
        Some(pending) if store.nonces_shared() => (Some(pending), None),
        other => (None, other),
    };
    let audit = |subject: String, outcome: &str| {
        let entry = AuditEntry {
            at: now(),
            actor: actor.clone(),
            action: "status_lookup".into(),
            subject,
            outcome: outcome.into(),
        };
        match &spool_claim {
            Some(pending) => store.audit_read_claiming(
                entry,
                NonceClaim { kiosk: &kiosk, nonce: &pending.nonce, seen_at: pending.seen_at },
            ),
            None => store.audit_read(entry),
        }
    };
    let nik = match Nik::parse(&raw) {
        Ok(nik) => nik,
        Err(error) => {
            if let Some(pending) = db_claim {
                let claim = claim_separately(&state, &kiosk, pending).await?;
                settle(&state, &kiosk, Some(&kiosk_record), claim, true)?;
            }
            tracing::info!(reason = %error, "invalid NIK refused");
            audit(mask_digits_in(&raw.chars().take(32).collect::<String>()), "invalid")?;
            return Err(AppError::from(&error));
        }
    };
    let record = match (db_claim, store.status_without_waiting(&nik)) {
        (Some(pending), _) => {
            // PostgreSQL: the lookup's statement claims the nonce too, one round trip,
            // shared with the lookups that arrived meanwhile.
            let (claim, record) = match &state.lookups {
                Some(batcher) => {
                    batcher.lookup(nik, &kiosk, &pending.nonce, pending.seen_at).await?
                }
                None => {
                    let (store, id) = (store.clone(), kiosk.clone());
                    tokio::task::spawn_blocking(move || {
                        let claim = NonceClaim {
                            kiosk: &id,
                            nonce: &pending.nonce,
                            seen_at: pending.seen_at,
                        };
                        store.status_claiming(&nik, claim)
                    })
                    .await??
                }
            };
            settle(&state, &kiosk, Some(&kiosk_record), claim, true)?;
            record
        }
        (None, Some(record)) => record?,
        (None, None) => {
            let store = store.clone();
            tokio::task::spawn_blocking(move || store.status(&nik)).await??
        }
    };
    let outcome = if record.is_some() { "found" } else { "not_found" };
    tracing::info!(nik = %nik.masked(), outcome, "status lookup");
    // On disk before the answer leaves: a lookup nobody could trace is refused instead.
    audit(nik.masked(), outcome)?;
    match record {
        Some(found) => {
            let other_desa = kiosk_record.desa_code.is_some_and(|own| own != found.desa_code);
            let mut answer = status_response(&state.catalogue, &nik, found);
            if other_desa && state.other_desa == AnswerDetail::OtherDesa {
                answer.household.members.clear();
                answer.detail = AnswerDetail::OtherDesa;
            }
            Ok(Json(answer).into_response())
        }
        None => Err(AppError::not_found(
            ErrorCode::ResidentNotFound,
            Text::new(
                "NIK ini tidak ditemukan dalam data desa. Periksa kembali angkanya atau hubungi petugas desa.",
                "This NIK is not in the village records. Check the digits or ask the village staff.",
            ),
        )),
    }
}

/// Claims a status lookup's nonce on its own, where no lookup statement or audit line
/// carries it (a refused or invalid request): in the database or the spool.
async fn claim_separately(
    state: &AppState,
    kiosk: &str,
    pending: PendingClaim,
) -> Result<crate::store::Claim, AppError> {
    let (store, id) = (state.store.clone(), kiosk.to_owned());
    let claim = tokio::task::spawn_blocking(move || {
        store.claim_nonce(&id, &pending.nonce, pending.seen_at, true)
    })
    .await??;
    Ok(claim)
}

/// What the kiosk may be told of a resident's life status: which kind, never when or why.
pub(super) fn life_status(status: population::LifeStatus) -> LifeStatus {
    match status {
        population::LifeStatus::Alive => LifeStatus::Alive,
        population::LifeStatus::Died => LifeStatus::Died,
        population::LifeStatus::MovedAway | population::LifeStatus::Left => LifeStatus::MovedAway,
        population::LifeStatus::Missing => LifeStatus::Missing,
        population::LifeStatus::Invalid => LifeStatus::Other,
    }
}

/// "... tercatat {this} di data kependudukan": how a refusal names a status not alive.
pub(super) fn recorded_as(status: LifeStatus) -> Text {
    match status {
        LifeStatus::Died => Text::new("tercatat meninggal dunia", "recorded as deceased"),
        LifeStatus::MovedAway => {
            Text::new("tercatat sudah pindah dari desa ini", "recorded as having moved away")
        }
        LifeStatus::Missing => Text::new("tercatat hilang", "recorded as missing"),
        LifeStatus::Alive | LifeStatus::Other => Text::new(
            "tidak lagi tercatat sebagai penduduk aktif",
            "no longer recorded as an active resident",
        ),
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
        // Ended by a death or a move: the day would tell when that was.
        since: if record.ended_reason.is_some() { String::new() } else { record.since.clone() },
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
        life_status: life_status(record.life_status),
        detail: AnswerDetail::Full,
    }
}
