//! `backend import`: a recipient list from a file, through the same entry point as the staff
//! API ([`backend::import::admit`]), with a progress bar and a per-row report file.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use backend::import::{ImportOptions, Requester, admit, report_writer, write_row};
use protocol::api::MembershipState;

use super::{DatabaseArgs, ProgramsArgs};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Program code from the catalogue, e.g. BLT_DD.
    #[arg(long)]
    program: String,
    /// Ten-digit desa code the list is for.
    #[arg(long)]
    desa: u64,
    /// State the accepted memberships start in.
    #[arg(long, default_value = "proposed", value_parser = ["proposed", "verified", "active"])]
    state: String,
    /// Per-row report (CSV). Defaults to FILE with `.report.csv` appended.
    #[arg(long)]
    report: Option<PathBuf>,
    #[command(flatten)]
    programs: ProgramsArgs,
    /// Check every row and write the report, but change nothing.
    #[arg(long)]
    dry_run: bool,
    file: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let catalogue = args.programs.load()?;
    let options = ImportOptions {
        state: MembershipState::parse(&args.state).context("state")?,
        since: time::OffsetDateTime::now_utc().date().to_string(),
        dry_run: args.dry_run,
    };
    let store = args.database.open_with(&catalogue)?;
    // The CLI acts for every desa; an unknown program or desa code is refused before any
    // file is touched.
    let requester = Requester { actor: super::actor(), desa: None };
    let list = admit(&store, &catalogue, &requester, &args.program, args.desa)?;
    let file = &args.file;
    let input = std::fs::File::open(file).with_context(|| format!("open {}", file.display()))?;
    let size = input.metadata().map(|m| m.len()).unwrap_or(0);
    let report_path = args.report.unwrap_or_else(|| {
        let mut name = file.as_os_str().to_owned();
        name.push(".report.csv");
        PathBuf::from(name)
    });
    let mut writer = report_writer(
        std::fs::File::create(&report_path)
            .with_context(|| format!("create {}", report_path.display()))?,
    )?;
    // Rows are about 40 bytes; the bar only needs to be roughly right.
    let bar = indicatif::ProgressBar::new((size / 40).max(1));
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/~{len} rows {per_sec} {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let mut write_error = None;
    let result = list.run(
        &store,
        &catalogue,
        &options,
        std::io::BufReader::new(input),
        |row| {
            if let Err(error) = write_row(&mut writer, row) {
                write_error.get_or_insert(error);
            }
        },
        |done| bar.set_position(done),
    );
    // The import audited itself; the entry must reach the disk before the process ends.
    store.flush_audit();
    let summary = result?;
    bar.finish_and_clear();
    writer.flush()?;
    if let Some(error) = write_error {
        return Err(error).context("write report");
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{} rows in {seconds:.1} s ({:.0} rows/s): {} accepted, {} rejected, {} over quota, {} not found, {} other desa, {} duplicate, {} malformed",
        summary.rows,
        summary.rows as f64 / seconds.max(1e-9),
        summary.accepted,
        summary.rejected,
        summary.over_quota,
        summary.not_found,
        summary.other_desa,
        summary.duplicate,
        summary.malformed
    );
    println!("report: {}", report_path.display());
    if summary.written {
        println!("{} memberships written", summary.accepted);
    } else if options.dry_run && summary.malformed + summary.duplicate == 0 {
        println!("dry run: {} memberships would be written; nothing changed", summary.accepted);
    } else if summary.malformed + summary.duplicate > 0 {
        anyhow::bail!("nothing written: fix the malformed or duplicated rows listed in the report");
    } else {
        println!("nothing to write");
    }
    Ok(())
}
