//! `backend bench`: status lookups over HTTP on loopback against a synthetic registry.

use std::path::PathBuf;

use super::DatabaseOption;

#[derive(clap::Args)]
pub struct Args {
    /// Where the benchmark registry is kept (generated on first use, reused after).
    #[arg(long, default_value = "target/bench-registry")]
    data_dir: PathBuf,
    #[arg(long, default_value_t = 2_000_000)]
    residents: usize,
    #[arg(long, default_value_t = 2020)]
    seed: u64,
    /// Seconds of load.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Concurrent keep-alive clients.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Server worker threads.
    #[arg(long, default_value_t = 2)]
    server_threads: usize,
}

/// Runs the bench on `--database`, or in its own data directory (not the service's).
pub fn run(args: Args, database: &DatabaseOption) -> anyhow::Result<()> {
    let options = backend::bench::BenchOptions {
        residents: args.residents,
        seed: args.seed,
        duration: std::time::Duration::from_secs(args.seconds),
        concurrency: args.concurrency,
        server_threads: args.server_threads,
    };
    println!("{}", backend::bench::run(&database.location(&args.data_dir)?, &options)?);
    Ok(())
}
