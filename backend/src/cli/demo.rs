//! `backend demo-data`: a deterministic synthetic Banyuwangi in an empty registry.

use std::time::Instant;

use backend::demo::{DemoOptions, generate_with_progress};

use super::DatabaseArgs;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Residents to generate (whole families, so a few more).
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..=5_000_000))]
    residents: u64,
    #[arg(long, default_value_t = 2020)]
    seed: u64,
    /// Add to a registry that already has residents.
    #[arg(long)]
    force: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let residents = args.residents as usize;
    let store = args.database.open()?;
    if !args.force && !store.is_empty()? {
        anyhow::bail!(
            "the registry in {} already has residents; use --force to add more",
            args.database.data_dir.display()
        );
    }
    let started = Instant::now();
    let mut last_report = Instant::now();
    let options = DemoOptions { residents, seed: args.seed };
    let summary = generate_with_progress(&store, &options, |done| {
        if last_report.elapsed().as_millis() >= 500 || done as usize >= residents {
            last_report = Instant::now();
            let percent = (done as f64 / residents as f64 * 100.0).min(100.0);
            eprint!("\rgenerating: {done} / {residents} residents ({percent:.0}%)");
        }
    })?;
    eprintln!();
    println!(
        "{} residents in {} families, {} memberships, in {:.1} s",
        summary.residents,
        summary.families,
        summary.memberships,
        started.elapsed().as_secs_f64()
    );
    println!("NIKs to try:");
    for example in &summary.examples {
        println!("  {}  {}", example.nik, example.description);
    }
    Ok(())
}
