//! Kiosk authentication and lookup rate limits.
//!
//! Every `/api/v1` request must carry a valid signature from a registered, enabled kiosk
//! (see `protocol::auth`), a fresh timestamp and a nonce not seen before. Status lookups are
//! then limited per kiosk, so even a stolen key cannot enumerate the registry quickly.
//!
//! Nonces are checked in memory first (a replay to this instance costs nothing more), then
//! claimed durably before the request is served (`Store::claim_nonce`): in the database on
//! PostgreSQL, so a second instance refuses the same request, and in the disk spool on
//! SQLite. At start the nonces still inside the window are read back, so a request captured
//! before a restart does not replay after it.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use protocol::Text;
use protocol::auth::{
    AuthError, HEADER_KIOSK, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP, MAX_SKEW_SECONDS,
    SignedHeaders, verify,
};

use super::{AppError, AppState, BODY_LIMIT};
use crate::store::{Claim, KioskRecord};

/// The kiosk a request was authenticated as.
#[derive(Debug, Clone)]
pub struct Kiosk(pub String);

/// How long a kiosk's record is trusted before it is read again (a disabled kiosk is shut
/// out within this time).
const KIOSK_CACHE: Duration = Duration::from_secs(30);

/// Lookups a kiosk may make in a burst before the per-minute rate applies.
pub(super) const BURST: f64 = 10.0;

#[derive(Default)]
pub struct Guard {
    kiosks: Mutex<HashMap<String, (KioskRecord, Instant)>>,
    nonces: Mutex<Nonces>,
    buckets: Mutex<HashMap<String, Bucket>>,
    /// When each key's limit last refused (one entry per limited key: bounded by the fleet).
    refused: Mutex<HashMap<String, Instant>>,
}

/// Nonces seen inside the replay window, as 64-bit keyed hashes of (kiosk, nonce), with
/// their arrival second so the oldest can be dropped in order: O(1) per request and about
/// 32 bytes per remembered request.
#[derive(Default)]
struct Nonces {
    hasher: RandomState,
    seen: HashSet<u64>,
    by_second: VecDeque<(i64, Vec<u64>)>,
}

impl Nonces {
    fn first_use(&mut self, kiosk: &str, nonce: &str, now: i64) -> bool {
        // A request older than the window is refused before it gets here, so anything that
        // arrived more than two windows ago can be forgotten.
        while let Some((second, _)) = self.by_second.front() {
            if now - second <= MAX_SKEW_SECONDS * 2 {
                break;
            }
            if let Some((_, hashes)) = self.by_second.pop_front() {
                for hash in hashes {
                    self.seen.remove(&hash);
                }
            }
        }
        let hash = self.hasher.hash_one((kiosk, nonce));
        if !self.seen.insert(hash) {
            return false;
        }
        match self.by_second.back_mut() {
            Some((second, hashes)) if *second == now => hashes.push(hash),
            _ => self.by_second.push_back((now, vec![hash])),
        }
        true
    }
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Guard {
    /// A guard that remembers the nonces the database holds from inside the replay window
    /// (those of a previous run, or of other instances). A database that cannot be read
    /// leaves it empty, with an error logged: the requests then fail at their claim.
    pub fn remembering(store: &crate::store::Store) -> Guard {
        let guard = Guard::default();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        match store.recent_nonces(now - crate::store::KEPT_SECONDS) {
            Ok(nonces) => {
                let mut memory = guard.nonces.lock().unwrap_or_else(|p| p.into_inner());
                for (kiosk, nonce, seen_at) in &nonces {
                    memory.first_use(kiosk, nonce, (*seen_at).min(now));
                }
                tracing::debug!(nonces = nonces.len(), "nonces of the replay window read back");
            }
            Err(error) => tracing::error!(%error, "nonces of the replay window not read back"),
        }
        guard
    }

    /// Remembers a nonce; false if it was already used inside the replay window.
    fn first_use(&self, kiosk: &str, nonce: &str, now: i64) -> bool {
        self.nonces.lock().unwrap_or_else(|p| p.into_inner()).first_use(kiosk, nonce, now)
    }

    /// Takes one lookup token from the kiosk's bucket.
    pub fn allow_lookup(&self, kiosk: &str, per_minute: u32) -> Result<(), Duration> {
        let rate = f64::from(per_minute) / 60.0;
        let capacity = BURST.max(rate);
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let bucket =
            buckets.entry(kiosk.to_string()).or_insert(Bucket { tokens: capacity, updated: now });
        let refill = now.duration_since(bucket.updated).as_secs_f64() * rate;
        bucket.tokens = (bucket.tokens + refill).min(capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / rate))
        }
    }

    /// Whether this refusal of `key` is the first in a minute: the one worth an alert.
    pub fn first_refusal(&self, key: &str) -> bool {
        let mut refused = self.refused.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        match refused.get(key) {
            Some(last) if now.duration_since(*last) < Duration::from_secs(60) => false,
            _ => {
                refused.insert(key.to_owned(), now);
                true
            }
        }
    }

    fn cached(&self, kiosk: &str) -> Option<KioskRecord> {
        let kiosks = self.kiosks.lock().unwrap_or_else(|p| p.into_inner());
        kiosks
            .get(kiosk)
            .filter(|(_, read)| read.elapsed() < KIOSK_CACHE)
            .map(|(record, _)| record.clone())
    }

    fn remember(&self, kiosk: &str, record: KioskRecord) {
        let mut kiosks = self.kiosks.lock().unwrap_or_else(|p| p.into_inner());
        kiosks.insert(kiosk.to_string(), (record, Instant::now()));
    }
}

/// The refusal of a request whose kiosk, signature, clock or nonce does not check out.
pub fn unauthorized() -> AppError {
    AppError::unauthorized(Text::new(
        "Kios tidak dikenali. Hubungi petugas kabupaten.",
        "This kiosk is not recognised. Contact the regency operators.",
    ))
}

fn header(headers: &HeaderMap, name: &'static str) -> Result<String, AuthError> {
    headers
        .get(name)
        .ok_or(AuthError::Missing(name))?
        .to_str()
        .map(str::to_string)
        .map_err(|_| AuthError::Malformed(name))
}

fn signed_headers(headers: &HeaderMap) -> Result<SignedHeaders, AuthError> {
    Ok(SignedHeaders {
        kiosk: header(headers, HEADER_KIOSK)?,
        timestamp: header(headers, HEADER_TIMESTAMP)?,
        nonce: header(headers, HEADER_NONCE)?,
        signature: header(headers, HEADER_SIGNATURE)?,
    })
}

/// A status lookup's nonce not claimed yet: on PostgreSQL the lookup's statement claims it
/// (`Store::status_claiming`), on SQLite its audit line keeps it
/// (`Store::audit_read_claiming`); the handler settles it before answering.
#[derive(Debug, Clone)]
pub struct PendingClaim {
    pub nonce: String,
    pub seen_at: i64,
}

/// Whether `path` is a status lookup's (`STATUS_PATH`: `/api/v1/residents/{nik}/status`).
fn is_status_path(path: &str) -> bool {
    path.strip_prefix("/api/v1/residents/")
        .and_then(|rest| rest.strip_suffix("/status"))
        .is_some_and(|nik| !nik.contains('/'))
}

/// What a durable claim of a request's nonce decides: a nonce used before (by this or
/// another instance) is a replay, answered 401; a counted request past the kiosk's minute,
/// counted across instances, is answered 429.
pub(super) fn settle(
    state: &AppState,
    kiosk: &str,
    record: Option<&KioskRecord>,
    claim: Claim,
    counted: bool,
) -> Result<(), AppError> {
    if !claim.first_use {
        let kiosk = protocol::mask::mask_digits_in(kiosk);
        tracing::warn!(error = %AuthError::Replayed, %kiosk, "request refused (another instance)");
        return Err(unauthorized());
    }
    match (counted, claim.last_minute, record) {
        (true, Some(last_minute), Some(record)) => {
            super::budget::shared_minute(state, kiosk, record, last_minute)
        }
        _ => Ok(()),
    }
}

/// Whether a request counts against the kiosk's budget: everything but its own heartbeat
/// and configuration pull takes a NIK or a ticket.
fn counted(path: &str) -> bool {
    path != protocol::fleet::HEARTBEAT_PATH && path != protocol::fleet::CONFIG_PATH
}

/// Middleware: authenticates the request or answers 401.
pub async fn authenticate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let body = match to_bytes(body, BODY_LIMIT).await {
        Ok(body) => body,
        Err(_) => return AppError::payload_too_large().into_response(),
    };
    let signed = match signed_headers(&parts.headers) {
        Ok(signed) => signed,
        Err(error) => {
            tracing::warn!(%error, "request refused");
            return unauthorized().into_response();
        }
    };
    let record = match state.guard.cached(&signed.kiosk) {
        Some(record) => Some(record),
        None => {
            let store = state.store.clone();
            let id = signed.kiosk.clone();
            match tokio::task::spawn_blocking(move || store.kiosk(&id)).await {
                Ok(Ok(Some(record))) => {
                    state.guard.remember(&signed.kiosk, record.clone());
                    Some(record)
                }
                Ok(Ok(None)) => None,
                Ok(Err(error)) => return AppError::from(error).into_response(),
                Err(error) => return AppError::from(error).into_response(),
            }
        }
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let outcome = match &record {
        Some(record) if record.enabled => {
            verify(&record.secret_hex, parts.method.as_str(), path, &signed, &body, now).and_then(
                |()| {
                    if state.guard.first_use(&signed.kiosk, &signed.nonce, now) {
                        Ok(())
                    } else {
                        Err(AuthError::Replayed)
                    }
                },
            )
        }
        _ => Err(AuthError::UnknownKiosk),
    };
    if let Err(error) = outcome {
        tracing::warn!(%error, kiosk = %protocol::mask::mask_digits_in(&signed.kiosk), "request refused");
        return unauthorized().into_response();
    }
    let counted = counted(parts.uri.path());
    // A status lookup claims its nonce with its own work: on PostgreSQL in the lookup's
    // statement (one round trip), on SQLite in its audit line (one append); the handler
    // settles the claim before it answers.
    let deferred = parts.method == axum::http::Method::GET && is_status_path(parts.uri.path());
    let mut pending = None;
    if deferred {
        pending = Some(PendingClaim { nonce: signed.nonce.clone(), seen_at: now });
    } else {
        let claim = if state.store.nonces_shared() {
            let (store, kiosk, nonce) =
                (state.store.clone(), signed.kiosk.clone(), signed.nonce.clone());
            match tokio::task::spawn_blocking(move || {
                store.claim_nonce(&kiosk, &nonce, now, counted)
            })
            .await
            {
                Ok(claim) => claim,
                Err(error) => return AppError::from(error).into_response(),
            }
        } else {
            state.store.claim_nonce(&signed.kiosk, &signed.nonce, now, counted)
        };
        let settled = claim
            .map_err(AppError::from)
            .and_then(|claim| settle(&state, &signed.kiosk, record.as_ref(), claim, counted));
        if let Err(refused) = settled {
            return refused.into_response();
        }
    }
    let mut request = Request::from_parts(parts, Body::from(body));
    if let Some(pending) = pending {
        request.extensions_mut().insert(pending);
    }
    request.extensions_mut().insert(Kiosk(signed.kiosk));
    if let Some(record) = record {
        request.extensions_mut().insert(record);
    }
    next.run(request).await
}
