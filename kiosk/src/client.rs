//! The kiosk's HTTP client for the central service: https to the kabupaten's pinned CA
//! ([`trust`]), every request signed.

pub mod trust;

use std::time::Duration;

use protocol::api::{ApiError, ErrorCode, StatusResponse, status_path};
use protocol::api::{REPORTS_PATH, ReportRequest, TicketStatus};
use protocol::auth::KioskKey;
use protocol::letter::{LETTERS_PATH, LetterRequest};
use protocol::{Nik, Text};
use rand::RngCore;
pub use trust::{Trust, TrustError};

/// Why a request to the central service gave no answer the citizen can use.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The service answered with an error it explained.
    #[error("backend refused: {:?}", .0.code)]
    Api(ApiError),
    /// No connection, a timeout, or a reset: the service is out of reach.
    #[error("backend unreachable: {0}")]
    Unreachable(String),
    /// The service answered something this version does not understand.
    #[error("unexpected answer from backend: {0}")]
    BadResponse(String),
}

impl ClientError {
    /// What to tell the citizen, Indonesian first.
    pub fn text(&self) -> Text {
        match self {
            ClientError::Api(error) => error.message.clone(),
            ClientError::Unreachable(_) => Text::new(
                "Layanan pusat sedang tidak dapat dihubungi. Silakan coba lagi sebentar lagi atau hubungi petugas desa.",
                "The central service cannot be reached right now. Please try again shortly or ask the village staff.",
            ),
            ClientError::BadResponse(_) => Text::new(
                "Terjadi gangguan pada layanan. Silakan hubungi petugas desa.",
                "The service answered unexpectedly. Please ask the village staff.",
            ),
        }
    }

    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ClientError::Api(error) => Some(error.code),
            _ => None,
        }
    }
}

/// A cheap-to-clone handle on the central service.
#[derive(Clone)]
pub struct BackendClient {
    base_url: String,
    key: KioskKey,
    http: reqwest::Client,
}

impl BackendClient {
    /// A client that signs every request with this kiosk's key and connects only as
    /// `trust` allows: refused here if `base_url` does not fit it (http with a pinned CA,
    /// or plain http to anything but loopback).
    pub fn new(base_url: &str, key: KioskKey, trust: Trust) -> Result<BackendClient, TrustError> {
        trust.check_url(base_url)?;
        let builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("anjungan-kiosk/", env!("CARGO_PKG_VERSION")));
        let http = trust
            .apply(builder)?
            .build()
            .map_err(|error| TrustError::Client(trust::error_chain(&error)))?;
        Ok(BackendClient { base_url: base_url.trim_end_matches('/').to_string(), key, http })
    }

    /// The person's and household's program memberships.
    pub async fn status(&self, nik: &Nik) -> Result<StatusResponse, ClientError> {
        let status = self.get_json(&status_path(nik.as_str())).await?;
        crate::diagnostics::counters().lookup();
        Ok(status)
    }

    /// A signed `GET` whose answer is JSON.
    async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let mut request = self.http.get(format!("{}{path}", self.base_url));
        for (name, value) in self.sign("GET", path, b"").pairs() {
            request = request.header(name, value);
        }
        let response =
            request.send().await.map_err(|error| ClientError::Unreachable(without_url(error)))?;
        json_answer(response).await
    }

    /// A signed `POST` of `body` as JSON whose answer is JSON.
    async fn post_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &impl serde::Serialize,
    ) -> Result<T, ClientError> {
        let body = serde_json::to_vec(body)
            .map_err(|error| ClientError::BadResponse(error.to_string()))?;
        let mut request = self
            .http
            .post(format!("{}{path}", self.base_url))
            .header("content-type", "application/json");
        for (name, value) in self.sign("POST", path, &body).pairs() {
            request = request.header(name, value);
        }
        let response = request
            .body(body)
            .send()
            .await
            .map_err(|error| ClientError::Unreachable(without_url(error)))?;
        json_answer(response).await
    }
}

/// Citizen reports and letter requests (used by the outbox's sender, [`crate::local`]).
impl BackendClient {
    /// Files a report (`POST /api/v1/reports`): the decision with its ticket, the same
    /// answer again for a repeated idempotency key.
    pub async fn file_report(&self, report: &ReportRequest) -> Result<TicketStatus, ClientError> {
        let status = self.post_json(REPORTS_PATH, report).await?;
        crate::diagnostics::counters().report();
        Ok(status)
    }

    /// Files a letter request (`POST /api/v1/letters`), likewise.
    pub async fn file_letter(&self, letter: &LetterRequest) -> Result<TicketStatus, ClientError> {
        let status = self.post_json(LETTERS_PATH, letter).await?;
        crate::diagnostics::counters().letter();
        Ok(status)
    }
}

impl BackendClient {
    fn sign(&self, method: &str, path: &str, body: &[u8]) -> protocol::auth::SignedHeaders {
        let mut nonce = [0u8; 16];
        rand::rng().fill_bytes(&mut nonce);
        let nonce: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        self.key.sign(method, path, now, &nonce, body)
    }
}

/// reqwest errors carry the URL, which holds the NIK: drop it before the error is logged.
/// The causes stay (refused, timed out, a certificate the pinned CA did not issue).
fn without_url(error: reqwest::Error) -> String {
    trust::error_chain(&error.without_url())
}

/// The agent's and the staff screen's calls: heartbeat, configuration, health.
impl BackendClient {
    /// Sends a heartbeat; the answer names the current configuration version.
    pub async fn heartbeat(
        &self,
        beat: &protocol::fleet::Heartbeat,
    ) -> Result<protocol::fleet::HeartbeatAck, ClientError> {
        self.post_json(protocol::fleet::HEARTBEAT_PATH, beat).await
    }

    /// The highest ticket serial the central service holds under this kiosk's issuer
    /// (`GET /api/v1/kiosk/last-serial`), for [`crate::local::serials`].
    pub async fn last_serial(&self) -> Result<protocol::ticket::LastSerial, ClientError> {
        self.get_json(protocol::ticket::LAST_SERIAL_PATH).await
    }

    /// This kiosk's configuration as the central service holds it (not yet validated).
    pub async fn config(&self) -> Result<protocol::fleet::KioskConfig, ClientError> {
        self.get_json(protocol::fleet::CONFIG_PATH).await
    }

    /// `GET /healthz` (unsigned) and how long the answer took: the staff screen's network
    /// check.
    pub async fn health(
        &self,
    ) -> Result<(protocol::api::Health, std::time::Duration), ClientError> {
        let started = std::time::Instant::now();
        let response = self
            .http
            .get(format!("{}{}", self.base_url, protocol::api::HEALTH_PATH))
            .send()
            .await
            .map_err(|error| ClientError::Unreachable(without_url(error)))?;
        let health = json_answer(response).await?;
        Ok((health, started.elapsed()))
    }

    /// The central service's address, for the staff screen.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
}

/// A JSON body on success, the service's explained error otherwise.
async fn json_answer<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
) -> Result<T, ClientError> {
    let status = response.status();
    let body =
        response.bytes().await.map_err(|error| ClientError::Unreachable(without_url(error)))?;
    if status.is_success() {
        return serde_json::from_slice(&body)
            .map_err(|error| ClientError::BadResponse(error.to_string()));
    }
    match serde_json::from_slice::<ApiError>(&body) {
        Ok(error) => Err(ClientError::Api(error)),
        Err(_) if status.is_server_error() => {
            Err(ClientError::Unreachable(format!("HTTP {status}")))
        }
        Err(_) => Err(ClientError::BadResponse(format!("HTTP {status}"))),
    }
}

/// Tracking a ticket (the citizen's "Lacak Tiket").
impl BackendClient {
    /// Where a report or letter request stands: `GET /api/v1/tickets/{ticket}`.
    pub async fn ticket_status(
        &self,
        ticket: &protocol::ticket::Ticket,
    ) -> Result<TicketStatus, ClientError> {
        self.get_json(&protocol::api::ticket_path(ticket)).await
    }
}
