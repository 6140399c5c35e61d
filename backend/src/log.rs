//! Structured logs on stderr. Handlers log masked NIKs only; the HTTP layer logs route
//! templates, not raw paths, so a NIK in a URL never reaches a log line.

/// Installs the subscriber: human-readable by default, JSON lines with `json`. `default`
/// applies when `RUST_LOG` is not set.
pub fn init(json: bool, default: &str) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default.into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}
