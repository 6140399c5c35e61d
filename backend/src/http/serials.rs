//! `GET /api/v1/kiosk/last-serial`: the highest ticket serial the central service holds for
//! the calling kiosk's issuer. A kiosk whose database is new (re-imaged, or a replaced SD
//! card) asks before it numbers tickets of its own, so it does not hand out again a ticket
//! a citizen already holds. Signed like every kiosk request; a kiosk learns only its own.

use axum::Json;
use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Response};
use protocol::Text;
use protocol::api::{ApiError, ErrorCode};
use protocol::ticket::{LAST_SERIAL_PATH, LastSerial};

use super::{AppError, AppState, Kiosk, now};
use crate::store::{AuditEntry, KioskRecord};

/// The calling kiosk's issuer and the highest serial any submission holds under it.
#[utoipa::path(
    get,
    path = LAST_SERIAL_PATH,
    security(("kiosk_signature" = [])),
    responses(
        (status = 200, body = LastSerial),
        (status = 401, body = ApiError),
        (status = 409, body = ApiError, description = "invalid_ticket: the kiosk has no issuer number; renew its key"),
    )
)]
pub async fn last_serial(
    State(state): State<AppState>,
    Extension(Kiosk(kiosk)): Extension<Kiosk>,
    Extension(record): Extension<KioskRecord>,
) -> Result<Response, AppError> {
    let Some(issuer) = record.issuer else {
        return Err(AppError::conflict(
            ErrorCode::InvalidTicket,
            Text::new(
                "Anjungan ini belum punya nomor penerbit tiket: perbarui kuncinya dengan `backend kiosk-add`.",
                "This kiosk has no ticket issuer number: renew its key with `backend kiosk-add`.",
            ),
        ));
    };
    let store = state.store.clone();
    let last_serial = tokio::task::spawn_blocking(move || store.last_serial(issuer)).await??;
    state.store.audit(AuditEntry {
        at: now(),
        actor: format!("kiosk:{kiosk}"),
        action: "last_serial".into(),
        subject: format!("issuer={issuer}"),
        outcome: format!("last_serial={last_serial}"),
    });
    Ok(Json(LastSerial { issuer, last_serial }).into_response())
}
