//! `POST /api/v1/residents/{nik}/slip-seal`: the kiosk's desa seals what the status lookup
//! answers now, for the QR code on the printed slip. Asked only when a slip is printed, so
//! the signature costs nothing on the lookups nobody prints; counted against the kiosk's
//! budget, audited before it is answered, and never holding more than the slip shows (the
//! NIK masked, the programs by code).

use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::response::{IntoResponse, Response};
use protocol::api::{ApiError, ErrorCode, MembershipState, SLIP_SEAL_PATH, SlipSealResponse};
use protocol::letter::seal::SlipSeal;
use protocol::mask::mask_digits_in;
use protocol::{Nik, Text};

use super::{AppError, AppState, Kiosk, now};
use crate::store::{AuditEntry, KioskRecord, StatusRecord, StoreError};

/// What the slip's seal says the lookup answered: the programs held, or that none are, or
/// that the register no longer counts the person.
fn answer(record: &StatusRecord) -> String {
    if !record.life_status.is_active() {
        return super::status::recorded_as(super::status::life_status(record.life_status)).id;
    }
    let mut programs: Vec<&str> = record
        .memberships
        .iter()
        .filter(|m| m.state == MembershipState::Active)
        .map(|m| m.program.as_str())
        .collect();
    programs.sort_unstable();
    programs.dedup();
    if programs.is_empty() {
        "tidak terdaftar".into()
    } else {
        format!("terdaftar: {}", programs.join(", "))
    }
}

#[utoipa::path(
    post,
    path = SLIP_SEAL_PATH,
    params(("nik" = String, Path, description = "16-digit NIK")),
    security(("kiosk_signature" = [])),
    responses(
        (status = 200, body = SlipSealResponse),
        (status = 400, body = ApiError, description = "invalid NIK"),
        (status = 404, body = ApiError, description = "resident_not_found, or a kiosk of no desa"),
        (status = 429, body = ApiError),
    )
)]
pub async fn seal(
    State(state): State<AppState>,
    Extension(Kiosk(kiosk)): Extension<Kiosk>,
    Extension(record): Extension<KioskRecord>,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    super::budget::spend(&state, &kiosk, &record).await?;
    let nik = Nik::parse(&raw).map_err(|error| AppError::from(&error))?;
    let Some(desa) = record.desa_code else {
        return Err(AppError::not_found(
            ErrorCode::NotFound,
            Text::new(
                "Anjungan ini belum terdaftar pada desa: slip dicetak tanpa segel.",
                "This kiosk belongs to no desa: the slip prints without a seal.",
            ),
        ));
    };
    let store = state.store.clone();
    let (found, key) = tokio::task::spawn_blocking(move || {
        Ok::<_, StoreError>((store.status(&nik)?, store.desa_signing_key(desa)?))
    })
    .await??;
    let Some(found) = found else {
        return Err(AppError::not_found(
            ErrorCode::ResidentNotFound,
            Text::new(
                "NIK ini tidak ditemukan dalam data desa.",
                "This NIK is not in the village records.",
            ),
        ));
    };
    let id = crate::store::new_letter_id();
    let seal = SlipSeal {
        id: id.clone(),
        desa_code: desa,
        kiosk: kiosk.clone(),
        at: now(),
        nik: nik.masked(),
        answer: answer(&found),
    };
    state.store.audit_read(AuditEntry {
        at: now(),
        actor: format!("kiosk:{kiosk}"),
        action: "slip_seal".into(),
        subject: format!("{} slip:{id}", mask_digits_in(nik.as_str())),
        outcome: seal.answer.clone(),
    })?;
    Ok(Json(SlipSealResponse { seal: seal.payload(&key) }).into_response())
}
