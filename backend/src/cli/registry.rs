//! `backend registry import FILE` and `backend registry desil FILE`: a kabupaten's
//! population file (OpenSID or SIAK layout, CSV or XLSX) or a DTSEN desil file into the
//! registry, through [`backend::registry_import`], with a progress bar and a per-row report.

use std::path::PathBuf;
use std::time::Instant;

use backend::registry_import::{self, ImportReport, ImportRequest, Progress, Written};

use super::DatabaseArgs;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Load or update residents and families from a population file: every row checked,
    /// upserted by NIK, every change recorded; rejected rows are listed in the report.
    Import {
        #[command(flatten)]
        common: Common,
        /// Ten-digit desa code of every row, for a file without a desa column (an OpenSID
        /// export of one desa).
        #[arg(long)]
        desa: Option<u64>,
        /// Four-digit kabupaten code the rows must lie in, e.g. 3510 (Banyuwangi); SIAK's
        /// Kecamatan and Desa/Kel names are looked up inside it.
        #[arg(long)]
        regency: Option<u32>,
    },
    /// Set each family's DTSEN desil from a file with No KK, NIK and Desil columns.
    Desil {
        #[command(flatten)]
        common: Common,
    },
}

#[derive(clap::Args)]
struct Common {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Per-row report (CSV). Defaults to FILE with `.report.csv` appended.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Check every row and compute every change, write the report, change nothing.
    #[arg(long)]
    dry_run: bool,
    file: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let (common, desa, regency, desil) = match args.command {
        Command::Import { common, desa, regency } => (common, desa, regency, false),
        Command::Desil { common } => (common, None, None, true),
    };
    if let Some(desa) = desa {
        backend::checks::known_desa(desa)?;
    }
    let store = common.database.open()?;
    let report = common.report.clone().unwrap_or_else(|| {
        let mut name = common.file.as_os_str().to_owned();
        name.push(".report.csv");
        PathBuf::from(name)
    });
    let request = ImportRequest {
        file_name: common
            .file
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default(),
        file: common.file,
        report,
        actor: super::actor(),
        desa,
        regency,
        dry_run: common.dry_run,
    };
    let bar = indicatif::ProgressBar::new(1);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg:48} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let progress = |step: Progress| {
        bar.set_message(step.label());
        match step {
            Progress::Reading(read) => {
                bar.set_length(read.total_bytes.max(1));
                bar.set_position(read.done_bytes);
            }
            Progress::Merging => bar.set_position(bar.length().unwrap_or(1)),
        }
    };
    let started = Instant::now();
    let result = if desil {
        registry_import::import_desil(&store, &request, &progress)
    } else {
        registry_import::import_population(&store, &request, &progress)
    };
    // The import audited itself; the entry must reach the disk before the process ends.
    store.flush_audit();
    bar.finish_and_clear();
    match result {
        Ok(report) => {
            print_report(&report, started.elapsed().as_secs_f64());
            Ok(())
        }
        Err(error) => {
            let message = error.message();
            tracing::debug!(%error, "registry import failed");
            anyhow::bail!("{}\n       {}", message.id, message.en)
        }
    }
}

fn print_report(report: &ImportReport, seconds: f64) {
    let summary = &report.summary;
    println!(
        "{} ({}): {} rows in {seconds:.1} s ({:.0} rows/s), {} accepted, {} rejected",
        report.id,
        summary.layout.as_str(),
        summary.rows,
        summary.rows as f64 / seconds.max(1e-9),
        summary.accepted,
        summary.rejected,
    );
    match report.written {
        Written::Population { inserted, updated, unchanged, families_new, memberships_ended } => {
            println!(
                "residents: {inserted} new, {updated} changed, {unchanged} unchanged; \
                 {families_new} new families; {memberships_ended} memberships ended"
            );
        }
        Written::Desil { matched, changed } => {
            println!(
                "families: {matched} matched, {changed} changed; {} rows matched no family",
                report.counts.unmatched
            );
        }
    }
    println!(
        "report: {} ({} rejected, {} changes)",
        report.report.display(),
        report.counts.rejected + report.counts.unmatched,
        report.counts.changed
    );
    if report.dry_run {
        println!("uji coba / dry run: tidak ada yang berubah / nothing changed");
    }
}
