//! The kiosk's HTTP client for the central service: https to the kabupaten's pinned CA
//! ([`trust`]), every request signed.

pub mod content_keys;
pub mod trust;

use std::sync::Arc;
use std::time::Duration;

use protocol::api::{ApiError, ErrorCode, StatusResponse, status_path};
use protocol::api::{REPORTS_PATH, ReportRequest, TicketStatus};
use protocol::auth::KioskKey;
use protocol::fleet::KioskConfig;
use protocol::letter::{LETTERS_PATH, LetterRequest};
use protocol::signed::{ContentKind, SIGNATURE_HEADER, SignatureError, SignedContent, TrustedKeys};
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
    /// Content the kiosk would apply (its configuration) without a signature of a trusted
    /// key for this kiosk: forged, changed on the way, or meant for another kiosk.
    #[error("content refused: {0}")]
    Unsigned(SignatureError),
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
            ClientError::Unsigned(_) => Text::new(
                "Isi dari layanan pusat ditolak: tanda tangannya tidak sah.",
                "Content from the central service refused: its signature is not valid.",
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
    /// Whose signatures the kiosk's configuration must carry; none until
    /// [`BackendClient::with_content_keys`], and then every configuration is refused.
    content_keys: Arc<TrustedKeys>,
}

/// A configuration as pulled: signed for this kiosk by a trusted key (checked), parsed, not
/// yet validated nor compared with the one held (the agent does both), with the signed
/// bytes to store.
#[derive(Debug, Clone)]
pub struct PulledConfig {
    pub config: KioskConfig,
    pub signed: SignedContent,
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
        Ok(BackendClient {
            base_url: base_url.trim_end_matches('/').to_string(),
            key,
            http,
            content_keys: Arc::default(),
        })
    }

    /// The central service's public keys ([`content_keys`]), which signed content must be
    /// signed with.
    pub fn with_content_keys(mut self, keys: TrustedKeys) -> BackendClient {
        self.content_keys = Arc::new(keys);
        self
    }

    pub fn content_keys(&self) -> &TrustedKeys {
        &self.content_keys
    }

    /// The kiosk's id, the audience every signed content must name.
    pub fn kiosk_id(&self) -> &str {
        self.key.id()
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

    /// This kiosk's configuration as the central service holds it, refused unless a trusted
    /// key signed exactly these bytes for this kiosk (checked before they are parsed).
    pub async fn config(&self) -> Result<PulledConfig, ClientError> {
        let signed =
            self.get_signed(protocol::fleet::CONFIG_PATH, ContentKind::KioskConfig).await?;
        let config = serde_json::from_str(&signed.body)
            .map_err(|error| ClientError::BadResponse(error.to_string()))?;
        Ok(PulledConfig { config, signed })
    }

    /// A signed `GET` whose answer is content of `kind` signed for this kiosk.
    async fn get_signed(
        &self,
        path: &str,
        kind: ContentKind,
    ) -> Result<SignedContent, ClientError> {
        let mut request = self.http.get(format!("{}{path}", self.base_url));
        for (name, value) in self.sign("GET", path, b"").pairs() {
            request = request.header(name, value);
        }
        let response =
            request.send().await.map_err(|error| ClientError::Unreachable(without_url(error)))?;
        if !response.status().is_success() {
            return json_answer(response).await;
        }
        let signature = response
            .headers()
            .get(SIGNATURE_HEADER)
            .map(|value| value.to_str().unwrap_or_default().to_owned());
        let body =
            response.bytes().await.map_err(|error| ClientError::Unreachable(without_url(error)))?;
        self.content_keys
            .verify_header(kind, self.key.id(), &body, signature.as_deref())
            .map_err(ClientError::Unsigned)?;
        let body = String::from_utf8(body.to_vec())
            .map_err(|_| ClientError::BadResponse("signed content is not UTF-8".into()))?;
        Ok(SignedContent { signature: signature.unwrap_or_default(), body })
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

    /// The desa's seal of what the service answers for `nik` now, for a printed slip's QR.
    pub async fn slip_seal(&self, nik: &protocol::Nik) -> Result<String, ClientError> {
        let path = protocol::api::slip_seal_path(nik.as_str());
        let answer: protocol::api::SlipSealResponse = self.post_json(&path, &()).await?;
        Ok(answer.seal)
    }

    /// The issued letter of a letter request's ticket, to print here; `409 letter_not_ready`
    /// while it waits for the desa staff (or was refused or cancelled).
    pub async fn print_letter(
        &self,
        ticket: &protocol::ticket::Ticket,
    ) -> Result<protocol::letter::IssuedLetter, ClientError> {
        self.get_json(&protocol::letter::letter_print_path(ticket)).await
    }
}
