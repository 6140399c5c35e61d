//! Letter requests at the kiosk: `POST /api/v1/letters` files one and decides it at once,
//! `GET /api/v1/letters/print/{ticket}` hands an issued letter to a kiosk of its desa.
//!
//! Decided on what the registry knows: the applicant must be registered and recorded alive
//! and living here (else refused, `resident_inactive`); a village certificate is made by the
//! desa the applicant is registered in, so a kiosk of another desa refuses it; the type's
//! rules (`letters::rules`) then issue it at once (an e-KTP read, a desa with a signer) or
//! send it to the staff with the reason. An issued letter is numbered, sealed and kept; the
//! kiosk prints it with the ticket.

use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::response::{IntoResponse, Response};
use protocol::Text;
use protocol::api::{ApiError, ErrorCode, ReportState, TicketStatus};
use protocol::letter::{
    IssuedLetter, LETTER_PRINT_PATH, LETTERS_PATH, LetterRequest, clean_purpose,
};

use super::error::{ApiJson, JsonBody};
use super::submit::{check_kiosk_ticket, filed, idempotency_key, nik_field, respond};
use super::{AppError, AppState, Kiosk, now};
use crate::letters::facts::{head_signer, standing};
use crate::letters::{Decision, decide};
use crate::store::{Issuing, KioskRecord, NewLetter, StoreError, village_name};

impl JsonBody for LetterRequest {
    const NAME_ID: &'static str = "Permohonan surat";
    const NAME_EN: &'static str = "The letter request";
}

fn unknown_letter() -> AppError {
    AppError::bad_request(
        ErrorCode::UnknownLetter,
        Text::new(
            "Jenis surat ini tidak tersedia. Pilih jenis surat dari daftar.",
            "This kind of letter is not offered. Choose one from the list.",
        ),
    )
}

/// Files a citizen's letter request and decides it at once.
#[utoipa::path(
    post,
    path = LETTERS_PATH,
    request_body = LetterRequest,
    security(("kiosk_signature" = [])),
    responses(
        (status = 201, body = TicketStatus, description = "filed: `verified` (issued: print it with the ticket), `verification` (waits for the desa staff; `reason` says why), or `rejected`"),
        (status = 200, body = TicketStatus, description = "same idempotency key: the first answer"),
        (status = 400, body = ApiError, description = "unknown_letter, invalid_field, invalid_text, ..."),
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
    let def = state.letters.get(&request.letter).ok_or_else(unknown_letter)?;
    let fields = def
        .clean_fields(&purpose, &request.fields)
        .map_err(|why| AppError::bad_request(ErrorCode::InvalidField, why))?;
    if let Some(ticket) = request.ticket {
        check_kiosk_ticket(&state, &kiosk, ticket).await?;
    }

    let (facts, family, kiosk_desa) = {
        let (store, id) = (state.store.clone(), kiosk.clone());
        tokio::task::spawn_blocking(move || {
            Ok::<_, StoreError>((
                store.status(&applicant)?,
                store.letter_family(&applicant)?,
                store.kiosk_desa(&id)?,
            ))
        })
        .await??
    };
    let (Some(facts), Some(family)) = (facts, family) else {
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
    let settings = {
        let (store, desa) = (state.store.clone(), facts.desa_code);
        tokio::task::spawn_blocking(move || store.letter_settings(desa)).await??
    };
    let decision = match kiosk_desa {
        Some(desa) if desa != facts.desa_code => {
            let home = village_name(facts.desa_code);
            Decision::Refused(Text::new(
                format!(
                    "Surat keterangan dibuat oleh desa tempat Anda terdaftar ({home}). Ajukan di anjungan atau kantor desa tersebut."
                ),
                format!(
                    "The certificate is made by the village you are registered in ({home}). Please ask at that village's kiosk or office."
                ),
            ))
        }
        _ => match decide(
            def,
            &standing(applicant.as_str(), &family),
            request.nik_entry,
            &state.letters.poverty_programs,
        ) {
            Decision::AtOnce if !settings.has_signer() => Decision::Staff(Text::new(
                "Surat ini ditandatangani petugas desa sebelum terbit.",
                "The village staff sign this letter before it is issued.",
            )),
            decision => decision,
        },
    };
    let (letter_state, reason, at_once) = match &decision {
        Decision::AtOnce => (ReportState::Verification, None, true),
        Decision::Staff(why) => (ReportState::Verification, Some(why.clone()), false),
        Decision::Refused(why) => (ReportState::Rejected, Some(why.clone()), false),
    };
    let letter = NewLetter {
        kiosk: kiosk.clone(),
        idempotency_key: key.to_string(),
        applicant,
        desa_code: facts.desa_code,
        letter: request.letter.clone(),
        purpose,
        fields: fields.clone(),
        state: letter_state,
        decision: reason,
        now: now(),
        ticket: request.ticket,
        nik_entry: request.nik_entry,
    };
    let entry = request.nik_entry;
    let (status, created) = filed(&state, &kiosk, "letter_request", entry, move |store, audit| {
        store.file_letter(&letter, audit)
    })
    .await?;
    if !at_once || !created {
        return Ok(respond(status, created));
    }
    // Issued now: the answer is the request's state after issuing.
    let ticket = status.ticket;
    let issuing = Issuing {
        ticket,
        letter: request.letter.clone(),
        classification: def.classification.clone(),
        desa_code: facts.desa_code,
        subject_nik: applicant.as_str().to_owned(),
        subject_name: facts.name.clone(),
        actor: format!("kiosk:{kiosk}"),
        date: crate::letters::number::desa_today(facts.desa_code, time::OffsetDateTime::now_utc()),
        verify_base: state.verify_base.clone(),
        catalogue: state.letters.label(),
    };
    let signer = head_signer(&settings);
    let catalogue = state.letters.clone();
    let store = state.store.clone();
    let issued = tokio::task::spawn_blocking(move || {
        crate::letters::workflow::issue(
            &store, &catalogue, &issuing, &family, &settings, fields, signer,
        )?;
        store.ticket(&issuing.ticket)
    });
    match issued.await? {
        Ok(Some(issued)) => Ok(respond(issued, true)),
        Ok(None) => Err(AppError::internal()),
        Err(error) => {
            // Filed but not issued: it waits for the staff like any other.
            tracing::error!(%error, "letter filed but not issued at once");
            Ok(respond(status, true))
        }
    }
}

/// An issued letter for printing, by its ticket, at a kiosk of the letter's desa.
#[utoipa::path(
    get,
    path = LETTER_PRINT_PATH,
    params(("ticket" = String, Path, description = "the request's ticket")),
    security(("kiosk_signature" = [])),
    responses(
        (status = 200, body = IssuedLetter, description = "the letter to print; `document.copy` from the second print on"),
        (status = 400, body = ApiError, description = "invalid_ticket"),
        (status = 403, body = ApiError, description = "another desa's letter"),
        (status = 404, body = ApiError, description = "no letter request with this ticket"),
        (status = 409, body = ApiError, description = "letter_not_ready: waiting for the staff, refused or cancelled"),
    )
)]
pub async fn print(
    State(state): State<AppState>,
    Extension(Kiosk(kiosk)): Extension<Kiosk>,
    Extension(record): Extension<KioskRecord>,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    super::budget::spend(&state, &kiosk, &record).await?;
    let ticket = super::submit::path_ticket(&raw)?;
    let store = state.store.clone();
    let actor = format!("kiosk:{kiosk}");
    let (letter, status) = tokio::task::spawn_blocking(move || {
        Ok::<_, StoreError>((
            store.print_letter(&ticket, record.desa_code, &actor)?,
            store.ticket(&ticket)?,
        ))
    })
    .await??;
    match (letter, status) {
        (Some(letter), _) => Ok(Json(letter).into_response()),
        (None, Some(_)) => Err(StoreError::LetterNotReady(format!("ticket {ticket}")).into()),
        (None, None) => Err(AppError::not_found(
            ErrorCode::NotFound,
            Text::new("Tiket ini tidak ditemukan.", "This ticket was not found."),
        )),
    }
}
