//! The one error type of the HTTP layer. Every refusal, a body that cannot be read
//! included, answers with a status code and a `protocol::api::ApiError`: a stable `code`
//! and a bilingual message. Internal failures are logged once here and reach the client as
//! a fixed message, never their details.

use std::time::Duration;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use protocol::Text;
use protocol::api::{ApiError, ErrorCode};
use protocol::nik::NikError;
use serde::de::DeserializeOwned;

use crate::store::StoreError;

/// An error answer: status code, the body every client understands, and for a rate limit
/// the seconds to wait.
#[derive(Debug)]
pub struct AppError {
    status: StatusCode,
    body: ApiError,
    retry_after: Option<u64>,
}

impl AppError {
    fn new(status: StatusCode, code: ErrorCode, message: Text) -> AppError {
        AppError { status, body: ApiError { code, message }, retry_after: None }
    }

    /// `400`: input the caller can correct; `code` says which rule it broke.
    pub fn bad_request(code: ErrorCode, message: Text) -> AppError {
        AppError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// `400` for a NIK in a named field: "NIK pelapor: NIK harus 16 angka, ...".
    pub fn nik_field(error: &NikError, field: Text) -> AppError {
        let text = error.text();
        AppError::bad_request(
            error.into(),
            Text::new(format!("{}: {}", field.id, text.id), format!("{}: {}", field.en, text.en)),
        )
    }

    /// `404`: `code` names what is missing (a path, a resident, a ticket).
    pub fn not_found(code: ErrorCode, message: Text) -> AppError {
        AppError::new(StatusCode::NOT_FOUND, code, message)
    }

    /// `422`: a well-formed request the registry's facts rule out (a report about, or a
    /// letter for, a resident recorded as died or moved away); `code` says which fact.
    pub fn unprocessable(code: ErrorCode, message: Text) -> AppError {
        AppError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// `401`.
    pub fn unauthorized(message: Text) -> AppError {
        AppError::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, message)
    }

    /// `403`: an authenticated caller acting outside its scope.
    pub fn forbidden(message: Text) -> AppError {
        AppError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, message)
    }

    /// `403` `password_change_required`: the account must choose its own password first.
    pub fn password_change_required() -> AppError {
        AppError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::PasswordChangeRequired,
            Text::new(
                "Ganti kata sandi dulu: kata sandi akun ini dibuat orang lain.",
                "Change the password first: someone else set this account's password.",
            ),
        )
    }

    /// `409`: the request conflicts with work in progress (`code` says which).
    pub fn conflict(code: ErrorCode, message: Text) -> AppError {
        AppError::new(StatusCode::CONFLICT, code, message)
    }

    /// `413`.
    pub fn payload_too_large() -> AppError {
        AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            Text::new("Permintaan terlalu besar.", "Request too large."),
        )
    }

    /// `429` with `Retry-After`: whole seconds, at least one.
    pub fn rate_limited(retry_after: Duration) -> AppError {
        let seconds = retry_after.as_secs().max(1);
        AppError::too_many(
            seconds,
            Text::new(
                format!("Terlalu banyak pemeriksaan. Coba lagi dalam {seconds} detik."),
                format!("Too many lookups. Try again in {seconds} seconds."),
            ),
        )
    }

    /// `429` for sign-ins, with `Retry-After`: too many attempts, or a locked account (the
    /// same answer, so that a lockout does not tell which usernames exist).
    pub fn too_many_sign_ins(retry_after: Duration) -> AppError {
        let seconds = retry_after.as_secs().max(1);
        let (wait_id, wait_en) = if seconds < 120 {
            (format!("{seconds} detik"), format!("{seconds} seconds"))
        } else {
            let minutes = seconds.div_ceil(60);
            (format!("{minutes} menit"), format!("{minutes} minutes"))
        };
        AppError::too_many(
            seconds,
            Text::new(
                format!("Terlalu banyak percobaan masuk. Coba lagi dalam {wait_id}."),
                format!("Too many sign-in attempts. Try again in {wait_en}."),
            ),
        )
    }

    /// `429` with `Retry-After` and its own message.
    pub fn too_many(seconds: u64, message: Text) -> AppError {
        let mut error =
            AppError::new(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited, message);
        error.retry_after = Some(seconds);
        error
    }

    /// `503` with `Retry-After`: the service is too busy to take this now.
    pub fn busy(retry_after: Duration) -> AppError {
        let seconds = retry_after.as_secs().max(1);
        let mut error = AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unavailable,
            Text::new(
                format!("Layanan sedang sibuk. Coba lagi dalam {seconds} detik."),
                format!("The service is busy. Try again in {seconds} seconds."),
            ),
        );
        error.retry_after = Some(seconds);
        error
    }

    /// `503`: the request could not be audited (a full or read-only disk), so it is not
    /// answered. Operations see the cause in the log.
    pub fn audit_unavailable() -> AppError {
        let mut error = AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unavailable,
            Text::new(
                "Layanan pusat sedang tidak dapat mencatat permintaan. Silakan coba lagi nanti.",
                "The central service cannot record requests at the moment. Please try again later.",
            ),
        );
        error.retry_after = Some(60);
        error
    }

    /// `500` with a fixed message; the caller has logged what went wrong, if anything.
    pub fn internal() -> AppError {
        AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            Text::new(
                "Terjadi gangguan pada layanan pusat. Silakan coba lagi.",
                "The central service had a problem. Please try again.",
            ),
        )
    }

    /// The status and message, for a front that answers in HTML (the console).
    pub(crate) fn parts(&self) -> (StatusCode, Text) {
        (self.status, self.body.message.clone())
    }

    /// The seconds a rate limit asks to wait, if it is one.
    pub(crate) fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    /// The refusal of a JSON body: `413` when it is too large, else `400` naming the body
    /// and what was wrong with it.
    fn unreadable<T: JsonBody>(rejection: &JsonRejection) -> AppError {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return AppError::payload_too_large();
        }
        let detail = rejection.body_text();
        AppError::bad_request(
            ErrorCode::BadRequest,
            Text::new(
                format!("{} tidak dapat dibaca: {detail}", T::NAME_ID),
                format!("{} could not be read: {detail}", T::NAME_EN),
            ),
        )
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// A NIK refused at the boundary, in a path or a field of its own: `400` with its code.
impl From<&NikError> for AppError {
    fn from(error: &NikError) -> AppError {
        let body = ApiError::from(error);
        AppError::bad_request(body.code, body.message)
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> AppError {
        if let StoreError::Secrets(secrets) = &error
            && secrets.refuses_kiosk()
        {
            // The kiosk's stored secret does not open: it is not recognised, as a kiosk that
            // is not registered; operations need to know, since it cannot have come from the
            // service.
            tracing::error!(%error, "kiosk secret refused");
            return super::guard::unauthorized();
        }
        match &error {
            StoreError::Forbidden(why) => {
                tracing::warn!(%why, "refused");
                return AppError::forbidden(Text::new(
                    "Permintaan ini tidak diizinkan dari sini.",
                    "This request is not allowed from here.",
                ));
            }
            StoreError::LetterNotReady(why) => {
                tracing::info!(%why, "letter not ready");
                return AppError::conflict(
                    ErrorCode::LetterNotReady,
                    Text::new(
                        "Surat ini belum dapat dicetak: masih menunggu petugas desa, ditolak, atau dibatalkan.",
                        "This letter cannot be printed: it still waits for the village staff, was refused, or was cancelled.",
                    ),
                );
            }
            _ => {}
        }
        tracing::error!(%error, "store failure");
        match error {
            StoreError::AuditUnavailable(_) => AppError::audit_unavailable(),
            _ => AppError::internal(),
        }
    }
}

/// A blocking task that panicked (its panic is already reported) or was cancelled.
impl From<tokio::task::JoinError> for AppError {
    fn from(error: tokio::task::JoinError) -> AppError {
        tracing::error!(%error, "blocking task failed");
        AppError::internal()
    }
}

/// A request body read as JSON, named in the message that refuses it.
pub trait JsonBody: DeserializeOwned {
    /// What the body is, as the subject of "... tidak dapat dibaca".
    const NAME_ID: &'static str = "Isian";
    /// What the body is, as the subject of "... could not be read".
    const NAME_EN: &'static str = "The request";
}

/// `axum::Json`, except that a body it cannot read is refused with an [`AppError`], so a
/// malformed body gets the same error shape and words on every endpoint.
pub struct ApiJson<T>(pub T);

impl<T: JsonBody, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(body)) => Ok(ApiJson(body)),
            Err(rejection) => Err(AppError::unreadable::<T>(&rejection)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Named;

    impl JsonBody for Named {
        const NAME_ID: &'static str = "Isian contoh";
        const NAME_EN: &'static str = "The example";
    }

    async fn body_of(error: AppError) -> (StatusCode, Option<String>, ApiError) {
        let response = error.into_response();
        let status = response.status();
        let retry = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16).await.expect("body");
        (status, retry, serde_json::from_slice(&bytes).expect("an ApiError"))
    }

    async fn read(content_type: &str, body: &'static str) -> Result<ApiJson<Named>, AppError> {
        let request = Request::builder()
            .header(header::CONTENT_TYPE, content_type)
            .body(axum::body::Body::from(body))
            .expect("request");
        ApiJson::<Named>::from_request(request, &()).await
    }

    #[tokio::test]
    async fn an_unreadable_body_is_a_bad_request_naming_the_body() {
        let Err(error) = read("application/json", "{").await else { panic!("accepted") };
        let (status, _, body) = body_of(error).await;
        assert_eq!((status, body.code), (StatusCode::BAD_REQUEST, ErrorCode::BadRequest));
        assert!(body.message.id.starts_with("Isian contoh tidak dapat dibaca: "), "{body:?}");
        assert!(body.message.en.starts_with("The example could not be read: "), "{body:?}");

        let Err(error) = read("text/plain", "null").await else { panic!("accepted") };
        let (status, _, body) = body_of(error).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.message.en.contains("Content-Type: application/json"), "{body:?}");
    }

    #[tokio::test]
    async fn a_rate_limit_says_how_long_to_wait_in_whole_seconds() {
        let (status, retry, body) =
            body_of(AppError::rate_limited(Duration::from_millis(200))).await;
        assert_eq!((status, retry.as_deref()), (StatusCode::TOO_MANY_REQUESTS, Some("1")));
        assert_eq!(body.code, ErrorCode::RateLimited);
        assert!(body.message.en.contains("1 seconds"), "{body:?}");
    }

    #[tokio::test]
    async fn store_failures_hide_their_details() {
        let error = AppError::from(StoreError::Corrupt("row 7 of reports".into()));
        let (status, _, body) = body_of(error).await;
        assert_eq!((status, body.code), (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal));
        assert!(!body.message.en.contains("row 7"), "{body:?}");
    }

    #[tokio::test]
    async fn a_nik_in_a_field_is_named() {
        let error = protocol::Nik::parse("123").expect_err("too short");
        let (status, _, body) =
            body_of(AppError::nik_field(&error, Text::new("NIK pelapor", "Reporter's NIK"))).await;
        assert_eq!((status, body.code), (StatusCode::BAD_REQUEST, ErrorCode::NikWrongLength));
        assert!(body.message.id.starts_with("NIK pelapor: NIK harus 16 angka"), "{body:?}");
    }
}
