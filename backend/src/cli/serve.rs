//! `backend serve`: the HTTP API until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use backend::server::{Limits, tls_config};

use super::{DatabaseArgs, ProgramsArgs, SecretsArgs};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    database: DatabaseArgs,
    #[arg(long, env = "ANJUNGAN_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    #[command(flatten)]
    programs: ProgramsArgs,
    #[command(flatten)]
    secrets: SecretsArgs,
    #[command(flatten)]
    signing: super::signing_key::KeyArgs,
    /// PEM certificate chain to serve HTTPS with (kiosks refuse plain HTTP). Without it the
    /// service speaks plain HTTP, for a TLS proxy on the same host (docs/security.md).
    #[arg(long, env = "ANJUNGAN_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of `--tls-cert`.
    #[arg(long, env = "ANJUNGAN_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Most client connections open at once; the next wait until one closes.
    #[arg(long, env = "ANJUNGAN_MAX_CONNECTIONS", default_value_t = 1024)]
    max_connections: usize,
    /// Seconds a client may take to send a request header (also how long an idle
    /// kept-alive connection stays open).
    #[arg(long, env = "ANJUNGAN_HEADER_TIMEOUT", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=120))]
    header_timeout: u64,
    /// What a kiosk is told of a resident of another desa than its own: `minimal` (the
    /// person's and household's programs, no family members) or `full`.
    #[arg(long, env = "ANJUNGAN_OTHER_DESA_ANSWERS", value_enum, default_value_t = OtherDesa::Minimal)]
    other_desa_answers: OtherDesa,
    /// The letter catalogue (TOML, as backend/letters.toml); without it, the shipped one.
    #[arg(long, env = "ANJUNGAN_LETTERS")]
    letters: Option<std::path::PathBuf>,
    /// The service's public address (`https://anjungan.example`): letters print
    /// `<it>/verify/<id>` under their QR code for whoever checks them.
    #[arg(long, env = "ANJUNGAN_PUBLIC_URL")]
    public_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OtherDesa {
    Minimal,
    Full,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let catalogue = args.programs.load()?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(tls_config(cert, key).context("TLS")?),
        _ => None,
    };
    let limits = Limits {
        header_timeout: Duration::from_secs(args.header_timeout),
        max_connections: args.max_connections.max(1),
        ..Limits::default()
    };
    let other_desa = match args.other_desa_answers {
        OtherDesa::Minimal => protocol::api::AnswerDetail::OtherDesa,
        OtherDesa::Full => protocol::api::AnswerDetail::Full,
    };
    let letters = match &args.letters {
        Some(path) => backend::letters::LetterCatalogue::parse(
            &std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?,
        )?,
        None => backend::letters::LetterCatalogue::builtin(),
    };
    let unknown = letters.unknown_programs(&|code| catalogue.program(code).is_some());
    anyhow::ensure!(
        unknown.is_empty(),
        "letter catalogue: poverty programs not in the program catalogue: {unknown:?}"
    );
    if let Some(url) = &args.public_url {
        anyhow::ensure!(
            url.starts_with("https://") || url.starts_with("http://"),
            "--public-url must be an http(s) address"
        );
    }
    let (store, _serving) = args.database.open_serving(&catalogue, &args.secrets)?;
    let signer = args.signing.open(&args.database.data_dir)?;
    tracing::info!(key_id = %signer.public_key().id(), "kiosk configurations signed");
    let options = backend::http::RouterOptions {
        other_desa,
        signer: Some(std::sync::Arc::new(signer)),
        letters: Some(std::sync::Arc::new(letters)),
        verify_base: args
            .public_url
            .as_deref()
            .map(|url| format!("{}/verify", url.trim_end_matches('/'))),
        // Browsers reach the console over https when the service serves TLS itself or its
        // public address (a proxy on the same host) is https: cookies are then Secure and
        // `__Host-` bound.
        console: backend::console::ConsoleOptions {
            https: tls.is_some()
                || args.public_url.as_deref().is_some_and(|url| url.starts_with("https://")),
            ..Default::default()
        },
        imports_dir: Some(args.database.data_dir.join("imports")),
        ..Default::default()
    };
    let (listen, data_dir) = (args.listen, args.database.data_dir);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listen on {listen}"))?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        tracing::info!(%listen, scheme, data_dir = %data_dir.display(), "serving");
        let router = backend::http::router_with_options(store.clone(), catalogue, options);
        backend::server::serve(listener, router, limits, tls, shutdown_signal()).await?;
        store.close_audit();
        tracing::info!("stopped");
        Ok(())
    })
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
}
