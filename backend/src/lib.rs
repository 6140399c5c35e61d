/*!
The Anjungan central service: the registry of residents, families and program memberships,
and the HTTP API the kiosks call.

- [`store`]: SQLite storage behind domain-level methods (migrations, connection pool, audit).
- [`http`]: the axum router; input validated at the boundary, NIKs masked in logs.
- [`demo`]: a deterministic synthetic Banyuwangi for demos, tests and benchmarks.
- [`eligibility`]: the program catalogue (`programs.toml`) and the pure eligibility engine.
- [`population`] and [`registry_import`]: the kabupaten's population and DTSEN files, read,
  checked and loaded into the registry.
*/

pub mod audit_export;
pub mod audit_view;
pub mod bench;
pub mod chart_data;
pub mod checks;
pub mod console;
pub mod data_dir;
pub mod demo;
pub mod eligibility;
pub mod fleet_admin;
pub mod http;
pub mod import;
pub mod letters;
pub mod log;
pub mod population;
pub mod registry_access;
pub mod registry_import;
pub mod secrets;
pub mod server;
pub mod signing_key;
pub mod store;
pub mod workflow;

pub use http::router;
pub use store::{Store, StoreError};

/// Serves the API on `listener` until the returned future is dropped or the process ends.
pub async fn serve(listener: tokio::net::TcpListener, store: Store) -> std::io::Result<()> {
    server::serve(listener, router(store), server::Limits::default(), None, std::future::pending())
        .await
}

/// Serves until `shutdown` completes, then finishes the requests in flight.
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    store: Store,
    catalogue: eligibility::Catalogue,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = http::router_with(store, catalogue);
    server::serve(listener, router, server::Limits::default(), None, shutdown).await
}

/// [`serve_until`] with the options operations choose, the signing key among them (tests
/// whose kiosks verify the configuration they pull).
pub async fn serve_with_options(
    listener: tokio::net::TcpListener,
    store: Store,
    options: http::RouterOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router =
        http::router_with_options(store, eligibility::Catalogue::default_catalogue(), options);
    server::serve(listener, router, server::Limits::default(), None, shutdown).await
}
