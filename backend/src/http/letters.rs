//! Letter requests: `POST /api/v1/letters`.
//!
//! Decided at once on what the registry knows: the applicant must be registered and recorded
//! alive and living here (else refused, `resident_inactive`), and a village certificate is
//! made by the desa the applicant is registered in, so a kiosk of another desa refuses it with
//! the desa to go to. Otherwise the request waits for the desa
//! staff (state `verification`); its ticket is tracked like a report's.

use axum::extract::{Extension, State};
use axum::response::Response;
use protocol::Text;
use protocol::api::{ApiError, ErrorCode, ReportState, TicketStatus};
use protocol::letter::{LETTERS_PATH, LetterRequest, clean_purpose};

use super::error::{ApiJson, JsonBody};
use super::submit::{answer_filed, check_kiosk_ticket, idempotency_key, nik_field};
use super::{AppError, AppState, Kiosk, now};
use crate::store::{KioskRecord, NewLetter, StoreError, village_name};

impl JsonBody for LetterRequest {
    const NAME_ID: &'static str = "Permohonan surat";
    const NAME_EN: &'static str = "The letter request";
}

/// Files a citizen's letter request and decides it at once.
#[utoipa::path(
    post,
    path = LETTERS_PATH,
    request_body = LetterRequest,
    security(("kiosk_signature" = [])),
    responses(
        (status = 201, body = TicketStatus, description = "filed: verification, or rejected (another desa's resident)"),
        (status = 200, body = TicketStatus, description = "same idempotency key: the first answer"),
        (status = 400, body = ApiError),
        (status = 401, body = ApiError),
        (status = 404, body = ApiError, description = "applicant's NIK not in the registry"),
        (status = 409, body = ApiError, description = "ticket_taken: the kiosk's own ticket belongs to another submission; file again under a new one"),
        (status = 413, body = ApiError),
        (status = 422, body = ApiError, description = "resident_inactive: the applicant is recorded as died, moved away or missing"),
    )
)]
pub async fn file(
    State(state): State<AppState>,
    Extension(Kiosk(kiosk)): Extension<Kiosk>,
    Extension(record): Extension<KioskRecord>,
    ApiJson(request): ApiJson<LetterRequest>,
) -> Result<Response, AppError> {
    super::budget::spend(&state, &kiosk, &record).await?;
    let applicant = nik_field(&request.applicant_nik, "NIK pemohon", "Applicant's NIK")?;
    let purpose = clean_purpose(&request.purpose)
        .map_err(|why| AppError::bad_request(ErrorCode::InvalidText, why))?;
    let key = idempotency_key(&request.idempotency_key)?;
    if let Some(ticket) = request.ticket {
        check_kiosk_ticket(&state, &kiosk, ticket).await?;
    }

    let (facts, kiosk_desa) = {
        let (store, id) = (state.store.clone(), kiosk.clone());
        tokio::task::spawn_blocking(move || {
            Ok::<_, StoreError>((store.status(&applicant)?, store.kiosk_desa(&id)?))
        })
        .await??
    };
    let Some(facts) = facts else {
        return Err(AppError::not_found(
            ErrorCode::ResidentNotFound,
            Text::new(
                "NIK pemohon tidak ditemukan dalam data desa. Silakan datang ke kantor desa dengan KTP dan Kartu Keluarga.",
                "The applicant's NIK is not in the village records. Please come to the village office with your ID card and family card.",
            ),
        ));
    };
    if !facts.life_status.is_active() {
        let recorded = super::status::recorded_as(super::status::life_status(facts.life_status));
        tracing::info!(applicant = %applicant.masked(), life_status = facts.life_status.as_str(), "letter for an inactive resident refused");
        return Err(AppError::unprocessable(
            ErrorCode::ResidentInactive,
            Text::new(
                format!(
                    "Pemilik NIK ini {} di data kependudukan, sehingga surat tidak dapat dibuat. Bila data ini keliru, datang ke kantor desa dengan KTP dan Kartu Keluarga.",
                    recorded.id
                ),
                format!(
                    "The owner of this NIK is {} in the population register, so no letter can be made. If this is wrong, please come to the village office with your ID card and family card.",
                    recorded.en
                ),
            ),
        ));
    }
    let (letter_state, decision) = match kiosk_desa {
        Some(desa) if desa != facts.desa_code => {
            let home = village_name(facts.desa_code);
            (
                ReportState::Rejected,
                Some(Text::new(
                    format!(
                        "Surat keterangan dibuat oleh desa tempat Anda terdaftar ({home}). Ajukan di anjungan atau kantor desa tersebut."
                    ),
                    format!(
                        "The certificate is made by the village you are registered in ({home}). Please ask at that village's kiosk or office."
                    ),
                )),
            )
        }
        _ => (ReportState::Verification, None),
    };
    let letter = NewLetter {
        kiosk: kiosk.clone(),
        idempotency_key: key.to_string(),
        applicant,
        desa_code: facts.desa_code,
        letter: request.letter,
        purpose,
        state: letter_state,
        decision,
        now: now(),
        ticket: request.ticket,
        nik_entry: request.nik_entry,
    };
    let entry = request.nik_entry;
    answer_filed(&state, &kiosk, "letter_request", entry, move |store, audit| {
        store.file_letter(&letter, audit)
    })
    .await
}
