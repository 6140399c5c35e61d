//! The fleet endpoints a kiosk calls on its own: `POST /api/v1/kiosk/heartbeat` every
//! minute and `GET /api/v1/kiosk/config` at start and every few minutes. Both are signed
//! like every kiosk request; a kiosk only ever sees and reports on itself.

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use protocol::Text;
use protocol::api::{ApiError, ErrorCode};
use protocol::fleet::{
    CONFIG_PATH, HEARTBEAT_PATH, Heartbeat, HeartbeatAck, KioskConfig, LAST_ERROR_MAX, VERSION_MAX,
};
use protocol::mask::mask_digits_in;
use protocol::signed::{ContentKind, SIGNATURE_HEADER};

use super::error::{ApiJson, JsonBody};
use super::{AppError, AppState, Kiosk, now};
use crate::store::{AlertKind, AuditEntry};

impl JsonBody for Heartbeat {
    const NAME_ID: &'static str = "Heartbeat";
    const NAME_EN: &'static str = "The heartbeat";
}

/// Printable characters only, at most `max` of them.
fn printable(text: &str, max: usize) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// What is kept of a heartbeat: a version that fits, and an error line that holds no NIK
/// even if the kiosk forgot to mask it, cut to [`LAST_ERROR_MAX`].
fn clean(mut beat: Heartbeat) -> Result<Heartbeat, AppError> {
    if beat.version.is_empty()
        || beat.version.len() > VERSION_MAX
        || !beat.version.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(AppError::bad_request(
            ErrorCode::BadRequest,
            Text::new("Versi perangkat lunak tidak valid.", "Invalid software version."),
        ));
    }
    if time::OffsetDateTime::parse(&beat.sent_at, &time::format_description::well_known::Rfc3339)
        .is_err()
    {
        return Err(AppError::bad_request(
            ErrorCode::BadRequest,
            Text::new("Waktu kirim tidak valid.", "Invalid sent_at time."),
        ));
    }
    beat.last_error = beat
        .last_error
        .map(|error| printable(&mask_digits_in(&error), LAST_ERROR_MAX))
        .filter(|error| !error.is_empty());
    Ok(beat)
}

/// Records a kiosk's heartbeat and answers with the current configuration version.
#[utoipa::path(
    post,
    path = HEARTBEAT_PATH,
    request_body = Heartbeat,
    security(("kiosk_signature" = [])),
    responses(
        (status = 200, body = HeartbeatAck, description = "recorded; the current config_version"),
        (status = 400, body = ApiError),
        (status = 401, body = ApiError),
    )
)]
pub async fn heartbeat(
    State(state): State<AppState>,
    Extension(Kiosk(kiosk)): Extension<Kiosk>,
    ApiJson(beat): ApiJson<Heartbeat>,
) -> Result<Response, AppError> {
    let beat = clean(beat)?;
    let printer = beat.printer.map(|p| p.state.as_str()).unwrap_or("unknown");
    let entry = AuditEntry {
        at: now(),
        actor: format!("kiosk:{kiosk}"),
        action: "heartbeat".into(),
        subject: format!("version={} uptime={}s", beat.version, beat.uptime_seconds),
        outcome: format!(
            "printer={printer} queue={} door={} pin_failures={} pin_locked={}",
            beat.queue_depth.map_or("-".into(), |q| q.to_string()),
            beat.door_open.map_or("-", |open| if open { "open" } else { "closed" }),
            beat.pin_failures,
            beat.pin_locked,
        ),
    };
    let (newly_locked, config) = {
        let (store, kiosk, beat) = (state.store.clone(), kiosk.clone(), beat.clone());
        let letters = state.letters.for_kiosks();
        tokio::task::spawn_blocking(move || {
            let newly_locked = store.record_heartbeat(&kiosk, &beat, &now(), &entry)?;
            Ok::<_, crate::store::StoreError>((newly_locked, store.kiosk_config(&kiosk, &letters)?))
        })
        .await??
    };
    if newly_locked {
        raise_lockout(&state, &kiosk, beat.pin_failures).await;
    }
    tracing::debug!(%kiosk, printer, queue = ?beat.queue_depth, "heartbeat");
    // The kiosk authenticated a moment ago, so its row exists; an empty version only makes
    // the kiosk pull once more.
    let config_version = config.map(|c| c.config_version).unwrap_or_default();
    Ok(Json(HeartbeatAck { config_version }).into_response())
}

/// A kiosk's keypad locked after wrong staff PINs: someone may be guessing them. Raised when
/// a heartbeat first reports the lock, so a lock lasting many heartbeats is one alert; a
/// later lockout counts on the same alert while it is open.
async fn raise_lockout(state: &AppState, kiosk: &str, failures: u32) {
    let (store, subject) = (state.store.clone(), format!("kiosk:{kiosk}"));
    let detail = format!("staff keypad locked after {failures} wrong PINs");
    let raised = tokio::task::spawn_blocking(move || {
        store.raise_alert(AlertKind::PinFailures, &subject, &detail)
    })
    .await;
    match raised {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::error!(%error, "alert not raised"),
        Err(error) => tracing::error!(%error, "alert task failed"),
    }
}

/// The calling kiosk's configuration: identity, desa, services, texts, staff PIN hashes,
/// stamped with when it was issued and signed with the service's key for this kiosk.
///
/// The signature travels in a response header over the exact body bytes rather than in an
/// envelope around the body: the body stays the `KioskConfig` it always was (one schema,
/// readable by any tool), no canonical JSON is needed on either side (the kiosk verifies the
/// bytes it received before parsing them), and the kiosk stores those bytes with the header
/// value to verify them again at its next start.
#[utoipa::path(
    get,
    path = CONFIG_PATH,
    security(("kiosk_signature" = [])),
    responses(
        (status = 200, body = KioskConfig, headers(
            ("anjungan-content-signature" = String,
             description = "`ed25519 <key id> <signature, hex>` over the body (protocol::signed)")
        )),
        (status = 401, body = ApiError),
    )
)]
pub async fn config(
    State(state): State<AppState>,
    Extension(Kiosk(kiosk)): Extension<Kiosk>,
) -> Result<Response, AppError> {
    let config = {
        let (store, kiosk) = (state.store.clone(), kiosk.clone());
        let letters = state.letters.for_kiosks();
        tokio::task::spawn_blocking(move || store.kiosk_config(&kiosk, &letters)).await??
    };
    let mut config = config.ok_or_else(AppError::internal)?;
    config.issued_at = now();
    let body = serde_json::to_vec(&config).map_err(|error| {
        tracing::error!(%error, "configuration not serialised");
        AppError::internal()
    })?;
    let signature = state.signer.sign(ContentKind::KioskConfig, &kiosk, &body);
    state.store.audit_read(AuditEntry {
        at: now(),
        actor: format!("kiosk:{kiosk}"),
        action: "config_pull".into(),
        subject: config.config_version.clone(),
        outcome: format!("pins={}", config.staff_pins.len()),
    })?;
    let headers = [
        (header::CONTENT_TYPE.as_str(), "application/json".to_owned()),
        (SIGNATURE_HEADER, signature.header_value()),
    ];
    Ok((headers, body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn beat(error: &str) -> Heartbeat {
        Heartbeat {
            version: "0.1.0".into(),
            uptime_seconds: 5,
            printer: None,
            queue_depth: None,
            door_open: None,
            last_error: Some(error.into()),
            sent_at: "2026-01-01T00:00:00Z".into(),
            pin_failures: 0,
            pin_locked: false,
        }
    }

    #[test]
    fn error_lines_are_masked_printable_and_bounded() {
        let kept = clean(beat("lookup 3510011203850001 failed\n\x1b[2J")).expect("clean");
        assert_eq!(kept.last_error.as_deref(), Some("lookup 3510********0001 failed  [2J"));
        let long = clean(beat(&"x".repeat(1000))).expect("clean");
        assert_eq!(long.last_error.map(|e| e.len()), Some(LAST_ERROR_MAX));
        assert!(clean(beat("  ")).expect("clean").last_error.is_none());
    }

    #[test]
    fn bad_versions_and_times_are_refused() {
        let mut b = beat("");
        b.version = "0.1 beta".into();
        assert!(clean(b).is_err());
        let mut b = beat("");
        b.sent_at = "yesterday".into();
        assert!(clean(b).is_err());
    }
}
