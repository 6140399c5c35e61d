//! `backend bench`: status lookups over HTTP on loopback against a synthetic registry;
//! `backend bench import`: loading a Banyuwangi-sized population file; `backend bench
//! letters`: making a letter (render, seal, PDF).

use std::path::PathBuf;

use backend::secrets::{KEY_FILE, KeySource};
use backend::store::Location;

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
    /// A PostgreSQL server to run the same lookups against right after SQLite, printed side
    /// by side (its registry is generated in that database on first use, reused after).
    #[arg(long, env = "ANJUNGAN_BENCH_POSTGRES")]
    postgres: Option<String>,
    #[command(subcommand)]
    what: Option<What>,
}

#[derive(clap::Subcommand)]
enum What {
    /// Load a generated OpenSID-layout population file into a fresh registry, on SQLite and
    /// (with --postgres) on PostgreSQL, first and again; prints rows/s and peak RSS.
    Import {
        #[arg(long, default_value_t = 1_700_000)]
        residents: u64,
        #[arg(long, default_value_t = 2020)]
        seed: u64,
        /// Where the generated file is kept (reused) and the SQLite registry is written.
        #[arg(long, default_value = "target/bench-import")]
        dir: PathBuf,
        /// PostgreSQL server to load into as well, in a schema of its own.
        #[arg(long, env = "ANJUNGAN_BENCH_POSTGRES")]
        postgres: Option<String>,
        /// Internal: the child process that loads into one database.
        #[arg(long, hide = true, value_enum)]
        only: Option<backend::bench::import::Database>,
    },
    /// Every letter type rendered, sealed and drawn as an A4 PDF, `--rounds` times; prints
    /// milliseconds per letter. Needs no database.
    Letters {
        #[arg(long, default_value_t = 20)]
        rounds: usize,
    },
}

/// Runs the bench on `--database`, or in its own data directory (not the service's).
pub fn run(args: Args, database: &DatabaseOption) -> anyhow::Result<()> {
    if let Some(What::Letters { rounds }) = args.what {
        println!("{}", backend::bench::letters::run(rounds)?);
        return Ok(());
    }
    if let Some(What::Import { residents, seed, dir, postgres, only }) = args.what {
        let options =
            backend::bench::import::ImportBenchOptions { residents, seed, dir, postgres, only };
        let report = backend::bench::import::run(&options)?;
        if only.is_none() {
            println!("{report}");
        }
        return Ok(());
    }
    let options = backend::bench::BenchOptions {
        residents: args.residents,
        seed: args.seed,
        duration: std::time::Duration::from_secs(args.seconds),
        concurrency: args.concurrency,
        server_threads: args.server_threads,
    };
    let first = database.location(&args.data_dir)?;
    // The bench kiosk's secret is sealed like any other, under a key of the bench's own.
    backend::data_dir::prepare_dir(&args.data_dir).map_err(super::refused)?;
    let secrets = KeySource::File(args.data_dir.join(KEY_FILE));
    let Some(postgres) = args.postgres else {
        println!(
            "{}",
            backend::bench::run(&first, &args.data_dir.join("spool"), &secrets, &options)?
        );
        return Ok(());
    };
    // Side by side in one run, so both see the same machine.
    // Each database with a spool of its own: a spool replays into the database it belongs to.
    let sqlite = backend::bench::run(&first, &args.data_dir.join("spool"), &secrets, &options)?;
    let postgres = backend::bench::run(
        &Location::Postgres(postgres),
        &args.data_dir.join("spool-postgresql"),
        &secrets,
        &options,
    )?;
    println!("== SQLite\n{sqlite}\n== PostgreSQL\n{postgres}");
    println!(
        "PostgreSQL / SQLite: lookups {:.0}%, p99 {:.2} ms vs {:.2} ms",
        100.0 * postgres.lookups_per_second() / sqlite.lookups_per_second().max(f64::MIN_POSITIVE),
        postgres.p99.as_secs_f64() * 1e3,
        sqlite.p99.as_secs_f64() * 1e3,
    );
    if let (Some(s), Some(p)) = (&sqlite.import, &postgres.import) {
        let rate = |i: &backend::bench::ImportFigures| i.rows as f64 / i.elapsed.as_secs_f64();
        println!("PostgreSQL / SQLite: list import {:.0}%", 100.0 * rate(p) / rate(s));
    }
    Ok(())
}
