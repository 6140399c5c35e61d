//! Structured logs on stderr. Handlers log masked NIKs only; the HTTP layer logs route
//! templates, not raw paths, so a NIK in a URL never reaches a log line.

/// Installs the subscriber: human-readable by default, JSON lines with `json`.
pub fn init(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,tower_http=info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}
