//! `backend bench import`: a Banyuwangi-sized population file (1.7 M residents, generated in
//! OpenSID's layout) loaded into a fresh registry on SQLite and on PostgreSQL, side by side
//! in one run, then loaded again (every row unchanged: the re-import path). Prints rows/s,
//! CPU and the peak resident set of each load.
//!
//! Each database's loads run in a child process of their own (this binary again, with
//! `--only`), so the peak resident set of one is not inflated by what the allocator kept
//! from the other; within a child the kernel's high-water mark is reset before each load
//! (`clear_refs`), so each figure is that load's own.

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
    /// Set in the child processes: load into this database only, here, and print the
    /// figures as lines for the parent to parse.
    pub only: Option<Database>,
}

/// Which database a child process loads into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Database {
    Sqlite,
    Postgresql,
}

impl Database {
    fn name(self) -> &'static str {
        match self {
            Database::Sqlite => "sqlite",
            Database::Postgresql => "postgresql",
        }
    }
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
    if let Some(database) = options.only {
        for load in load_here(options, &file, database)? {
            println!("{}", load.line());
        }
        return Ok(ImportBenchReport { file, file_mb, generated_seconds, loads: Vec::new() });
    }
    let mut loads = Vec::new();
    loads.extend(load_in_child(options, Database::Sqlite)?);
    if options.postgres.is_some() {
        loads.extend(load_in_child(options, Database::Postgresql)?);
    }
    Ok(ImportBenchReport { file, file_mb, generated_seconds, loads })
}

/// Both loads (first and again) into `database`, in this process.
fn load_here(
    options: &ImportBenchOptions,
    file: &Path,
    database: Database,
) -> anyhow::Result<Vec<Load>> {
    let name = database.name();
    let mut loads = Vec::new();
    match database {
        Database::Sqlite => {
            let sqlite = options.dir.join("import-bench.sqlite3");
            let remove = || {
                for suffix in ["", "-wal", "-shm"] {
                    let mut path = sqlite.clone().into_os_string();
                    path.push(suffix);
                    let _ = std::fs::remove_file(path);
                }
            };
            remove();
            {
                let store = Store::open(&sqlite)?;
                loads.push(load(&store, file, name, "first", &options.dir)?);
                loads.push(load(&store, file, name, "again", &options.dir)?);
            }
            remove();
        }
        Database::Postgresql => {
            let url = options.postgres.as_deref().context("no PostgreSQL server given")?;
            let store = Store::open_temporary_on(Some(url))?;
            loads.push(load(&store, file, name, "first", &options.dir)?);
            loads.push(load(&store, file, name, "again", &options.dir)?);
        }
    }
    Ok(loads)
}

/// Runs `database`'s loads in a child process (this binary, `bench import --only`) and
/// reads its figures back. The server's URL goes by environment, not on the command line
/// where any local user could read it.
fn load_in_child(options: &ImportBenchOptions, database: Database) -> anyhow::Result<Vec<Load>> {
    let exe = std::env::current_exe().context("find this program")?;
    let mut command = std::process::Command::new(exe);
    command
        .args(["bench", "import", "--residents", &options.residents.to_string()])
        .args(["--seed", &options.seed.to_string(), "--only", database.name()])
        .arg("--dir")
        .arg(&options.dir)
        .env_remove("ANJUNGAN_BENCH_POSTGRES")
        .stderr(std::process::Stdio::inherit());
    if let (Database::Postgresql, Some(url)) = (database, &options.postgres) {
        command.env("ANJUNGAN_BENCH_POSTGRES", url);
    }
    let output = command.output().context("run the load in a child process")?;
    anyhow::ensure!(output.status.success(), "the {} load failed", database.name());
    let text = String::from_utf8_lossy(&output.stdout);
    let loads: Vec<Load> = text.lines().filter_map(Load::parse).collect();
    anyhow::ensure!(loads.len() == 2, "the {} load printed no figures:\n{text}", database.name());
    Ok(loads)
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

impl Load {
    /// The figures as one line a parent process reads back with [`Load::parse`].
    fn line(&self) -> String {
        format!(
            "LOAD {} {} {} {} {} {} {} {} {}",
            self.database,
            self.pass,
            self.rows,
            self.seconds,
            self.cpu_seconds,
            self.peak_rss_mb,
            self.inserted,
            self.unchanged,
            self.rejected
        )
    }

    fn parse(line: &str) -> Option<Load> {
        let mut fields = line.strip_prefix("LOAD ")?.split(' ');
        let database = match fields.next()? {
            "sqlite" => "sqlite",
            "postgresql" => "postgresql",
            _ => return None,
        };
        let pass = match fields.next()? {
            "first" => "first",
            "again" => "again",
            _ => return None,
        };
        let mut number = || fields.next()?.parse::<f64>().ok();
        let (rows, seconds, cpu_seconds, peak_rss_mb) =
            (number()?, number()?, number()?, number()?);
        let (inserted, unchanged, rejected) = (number()?, number()?, number()?);
        Some(Load {
            database,
            pass,
            rows: rows as u64,
            seconds,
            cpu_seconds,
            peak_rss_mb,
            inserted: inserted as u64,
            unchanged: unchanged as u64,
            rejected: rejected as u64,
        })
    }
}

/// Resets this process's peak RSS to its current RSS (Linux: writing 5 to clear_refs).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

impl fmt::Display for ImportBenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.loads.is_empty() {
            // A child process: its figures are already printed, as lines for the parent.
            return Ok(());
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_load_crosses_from_child_to_parent_intact() {
        let load = Load {
            database: "postgresql",
            pass: "again",
            rows: 1_700_000,
            seconds: 21.25,
            cpu_seconds: 30.5,
            peak_rss_mb: 187.5,
            inserted: 0,
            unchanged: 1_699_990,
            rejected: 10,
        };
        let back = Load::parse(&load.line()).expect("parsed");
        assert_eq!(back.line(), load.line());
        assert!(Load::parse("LOAD mysql first 1 1 1 1 1 1 1").is_none());
        assert!(Load::parse("generating: 10 / 20").is_none());
    }
}
