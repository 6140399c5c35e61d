//! `backend bench import`: a Banyuwangi-sized population file (1.7 M residents, generated in
//! OpenSID's layout) loaded into a fresh registry on SQLite and on PostgreSQL, side by side
//! in one run, then loaded again (every row unchanged: the re-import path). Prints rows/s,
//! CPU and the peak resident set of each load.
//!
//! The peak is the kernel's high-water mark, reset before each load (`clear_refs`), so each
//! figure is that load's own.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;

use crate::population::generate::{GenerateOptions, write_opensid_csv};
use crate::registry_import::{ImportRequest, Written, import_population};
use crate::store::Store;

pub struct ImportBenchOptions {
    pub residents: u64,
    pub seed: u64,
    /// Where the generated file and the SQLite registry are kept.
    pub dir: PathBuf,
    /// A PostgreSQL server to load into as well (a fresh schema, dropped after).
    pub postgres: Option<String>,
}

/// One load's figures.
pub struct Load {
    pub database: &'static str,
    pub pass: &'static str,
    pub rows: u64,
    pub seconds: f64,
    pub cpu_seconds: f64,
    pub peak_rss_mb: f64,
    pub inserted: u64,
    pub unchanged: u64,
    pub rejected: u64,
}

pub struct ImportBenchReport {
    pub file: PathBuf,
    pub file_mb: f64,
    pub generated_seconds: Option<f64>,
    pub loads: Vec<Load>,
}

pub fn run(options: &ImportBenchOptions) -> anyhow::Result<ImportBenchReport> {
    std::fs::create_dir_all(&options.dir)
        .with_context(|| format!("create {}", options.dir.display()))?;
    let file = options.dir.join(format!("opensid-{}-{}.csv", options.residents, options.seed));
    let generated_seconds = if file.exists() { None } else { Some(generate(&file, options)?) };
    let file_mb = std::fs::metadata(&file)?.len() as f64 / 1e6;
    let mut loads = Vec::new();
    let sqlite = options.dir.join("import-bench.sqlite3");
    for suffix in ["", "-wal", "-shm"] {
        let mut path = sqlite.clone().into_os_string();
        path.push(suffix);
        let _ = std::fs::remove_file(path);
    }
    {
        let store = Store::open(&sqlite)?;
        loads.push(load(&store, &file, "sqlite", "first", &options.dir)?);
        loads.push(load(&store, &file, "sqlite", "again", &options.dir)?);
    }
    let _ = std::fs::remove_file(&sqlite);
    if let Some(url) = &options.postgres {
        let store = Store::open_temporary_on(Some(url))?;
        loads.push(load(&store, &file, "postgresql", "first", &options.dir)?);
        loads.push(load(&store, &file, "postgresql", "again", &options.dir)?);
    }
    Ok(ImportBenchReport { file, file_mb, generated_seconds, loads })
}

fn generate(file: &Path, options: &ImportBenchOptions) -> anyhow::Result<f64> {
    let started = Instant::now();
    let partial = file.with_extension("partial");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&partial)?);
    let generate =
        GenerateOptions { residents: options.residents, seed: options.seed, regency: 3510 };
    write_opensid_csv(&mut out, &generate)?;
    std::io::Write::flush(&mut out)?;
    drop(out);
    std::fs::rename(&partial, file)?;
    Ok(started.elapsed().as_secs_f64())
}

fn load(
    store: &Store,
    file: &Path,
    database: &'static str,
    pass: &'static str,
    dir: &Path,
) -> anyhow::Result<Load> {
    reset_peak_rss();
    let request = ImportRequest {
        file: file.to_path_buf(),
        file_name: "bench.csv".into(),
        report: dir.join(format!("import-bench-{database}-{pass}.report.csv")),
        actor: "bench".into(),
        desa: None,
        regency: Some(3510),
        dry_run: false,
    };
    let cpu = super::process_cpu_seconds();
    let started = Instant::now();
    let report = import_population(store, &request, &|_| {})
        .map_err(|error| anyhow::anyhow!("{}", error.message().en))?;
    let seconds = started.elapsed().as_secs_f64();
    let cpu_seconds = super::process_cpu_seconds() - cpu;
    let (inserted, unchanged) = match report.written {
        Written::Population { inserted, unchanged, .. } => (inserted, unchanged),
        Written::Desil { .. } => (0, 0),
    };
    Ok(Load {
        database,
        pass,
        rows: report.summary.rows,
        seconds,
        cpu_seconds,
        peak_rss_mb: super::peak_rss_mb(),
        inserted,
        unchanged,
        rejected: report.summary.rejected,
    })
}

/// Resets this process's peak RSS to its current RSS (Linux: writing 5 to clear_refs).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

impl fmt::Display for ImportBenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "population import: {} ({:.0} MB)", self.file.display(), self.file_mb)?;
        if let Some(seconds) = self.generated_seconds {
            writeln!(f, "  generated in {seconds:.1} s")?;
        }
        writeln!(
            f,
            "  {:<11} {:<6} {:>9} {:>8} {:>10} {:>8} {:>9} {:>9} {:>9} {:>8}",
            "database",
            "pass",
            "rows",
            "seconds",
            "rows/s",
            "cpu s",
            "peak MB",
            "inserted",
            "unchanged",
            "rejected"
        )?;
        for load in &self.loads {
            writeln!(
                f,
                "  {:<11} {:<6} {:>9} {:>8.1} {:>10.0} {:>8.1} {:>9.0} {:>9} {:>9} {:>8}",
                load.database,
                load.pass,
                load.rows,
                load.seconds,
                load.rows as f64 / load.seconds.max(1e-9),
                load.cpu_seconds,
                load.peak_rss_mb,
                load.inserted,
                load.unchanged,
                load.rejected
            )?;
        }
        Ok(())
    }
}
