//! `backend serve`: the HTTP API until SIGINT or SIGTERM.

use std::net::SocketAddr;

use anyhow::Context;

use super::{DatabaseArgs, ProgramsArgs};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    database: DatabaseArgs,
    #[arg(long, env = "ANJUNGAN_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    #[command(flatten)]
    programs: ProgramsArgs,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let catalogue = args.programs.load()?;
    let store = args.database.open_with(&catalogue)?;
    let (listen, data_dir) = (args.listen, args.database.data_dir);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listen on {listen}"))?;
        tracing::info!(%listen, data_dir = %data_dir.display(), "serving");
        backend::serve_until(listener, store.clone(), catalogue, shutdown_signal()).await?;
        store.flush_audit();
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
