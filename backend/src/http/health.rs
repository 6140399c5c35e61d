//! `GET /healthz`: liveness, the version, and the registry's size, for load balancers and
//! the kiosks' diagnostics. Not authenticated, so anyone on the network may call it as often
//! as they like: the resident count (a scan of an index of 1.7 million entries) is taken at
//! most once a minute, and every other call answers from memory.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use protocol::api::{HEALTH_PATH, Health};

use super::AppState;
use super::error::AppError;

/// How long a counted registry size is answered before it is counted again.
const COUNT_FOR: Duration = Duration::from_secs(60);

/// The last count and when it was taken.
#[derive(Default)]
pub(super) struct HealthCache {
    counted: Mutex<Option<(Instant, u64)>>,
}

impl HealthCache {
    fn fresh(&self) -> Option<u64> {
        let counted = self.counted.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        counted.filter(|(at, _)| at.elapsed() < COUNT_FOR).map(|(_, residents)| residents)
    }

    fn keep(&self, residents: u64) {
        let mut counted = self.counted.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *counted = Some((Instant::now(), residents));
    }
}

/// Liveness and registry size. Not authenticated.
#[utoipa::path(get, path = HEALTH_PATH, responses((status = 200, body = Health)))]
pub(super) async fn health(State(state): State<AppState>) -> Result<Json<Health>, AppError> {
    let residents = match state.health.fresh() {
        Some(residents) => residents,
        None => {
            // Callers arriving together while the count runs may each count once; the
            // minute after, none does.
            let store = state.store.clone();
            let residents = tokio::task::spawn_blocking(move || store.resident_count()).await??;
            state.health.keep(residents);
            residents
        }
    };
    Ok(Json(Health { status: "ok".into(), version: env!("CARGO_PKG_VERSION").into(), residents }))
}
