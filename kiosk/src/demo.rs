//! `kiosk --demo`: an embedded central service on synthetic Banyuwangi data, so one command
//! shows the whole path on a laptop with no network and no hardware.

use std::net::SocketAddr;

use anyhow::Context;
use backend::demo::{DemoOptions, Example, generate};

/// A central service running inside the kiosk process.
pub struct EmbeddedBackend {
    pub url: String,
    pub examples: Vec<Example>,
    /// The demo kiosk's key, registered in the embedded service.
    pub key: protocol::auth::KioskKey,
    /// The embedded service's content signing key, public half: what the demo kiosk trusts
    /// instead of an installed key file.
    pub content_keys: protocol::signed::TrustedKeys,
}

/// Generates demo data in memory and serves it on a free loopback port.
pub async fn start(residents: usize, kiosk_id: &str) -> anyhow::Result<EmbeddedBackend> {
    start_with_limit(residents, kiosk_id, 60).await
}

/// [`start`], with the kiosk allowed `lookups_per_minute` status lookups (benchmarks lift it).
pub async fn start_with_limit(
    residents: usize,
    kiosk_id: &str,
    lookups_per_minute: u32,
) -> anyhow::Result<EmbeddedBackend> {
    let store = backend::Store::open_temporary().context("open in-memory store")?;
    let options = DemoOptions { residents, ..DemoOptions::default() };
    let summary = tokio::task::spawn_blocking({
        let store = store.clone();
        move || generate(&store, &options)
    })
    .await
    .context("demo data task")?
    .context("generate demo data")?;
    let key =
        store.register_kiosk(kiosk_id, None, lookups_per_minute).context("register demo kiosk")?;
    // A benchmark's kiosk asks far more than a hall's queue: its ceiling and daily cap are
    // lifted with its rate, as the backend's own benchmark does. The demo keeps the real ones.
    // A signing key for this run only; the demo kiosk trusts its public half.
    let signer = {
        use rand::RngCore;
        let mut seed = [0u8; 32];
        rand::rng().fill_bytes(&mut seed);
        protocol::signed::SigningKey::from_seed(seed)
    };
    let content_keys = protocol::signed::TrustedKeys::new(vec![signer.public_key()]);
    let mut options = backend::http::RouterOptions {
        signer: Some(std::sync::Arc::new(signer)),
        ..backend::http::RouterOptions::default()
    };
    if lookups_per_minute > options.ceiling {
        options.ceiling = lookups_per_minute;
        store.set_kiosk_daily_cap(kiosk_id, u32::MAX).context("lift the daily cap")?;
    }
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .context("bind loopback port")?;
    let address = listener.local_addr().context("local address")?;
    let router = backend::http::router_with_options(
        store,
        backend::eligibility::Catalogue::default_catalogue(),
        options,
    );
    tokio::spawn(async move {
        let limits = backend::server::Limits::default();
        let serving =
            backend::server::serve(listener, router, limits, None, std::future::pending());
        if let Err(error) = serving.await {
            tracing::error!(%error, "embedded backend stopped");
        }
    });
    tracing::info!(%address, residents = summary.residents, "embedded backend ready");
    Ok(EmbeddedBackend {
        url: format!("http://{address}"),
        examples: summary.examples,
        key,
        content_keys,
    })
}

/// The hint shown on the entry screen: a few NIKs to try.
pub fn hint(examples: &[Example]) -> String {
    let list: Vec<String> =
        examples.iter().take(4).map(|e| format!("{} ({})", e.nik, e.description)).collect();
    format!("Demo: {}", list.join(" · "))
}
