//! `backend bench`: the figures the central service is held to, measured on this machine.
//!
//! Generates (or reuses) a synthetic registry, serves it on loopback, and drives status
//! lookups from concurrent keep-alive clients in the same process for a fixed time. The
//! clients share the machine's cores with the server, so the figures are conservative.

use std::net::SocketAddr;

use std::time::{Duration, Instant};

use anyhow::Context;
use protocol::Nik;
use protocol::auth::KioskKey;

use crate::demo::{DemoOptions, generate_with_progress};
use crate::store::{Location, Store};

pub struct BenchOptions {
    pub residents: usize,
    pub seed: u64,
    pub duration: Duration,
    pub concurrency: usize,
    pub server_threads: usize,
}

/// What one run measured.
#[derive(Debug)]
pub struct BenchReport {
    pub residents: u64,
    pub generation: Option<Duration>,
    pub lookups: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub peak_rss_mb: f64,
    pub import: Option<ImportFigures>,
    /// CPU time the whole process (server and load generator) spent during the load: a
    /// figure that, unlike lookups/s, does not depend on what else the machine is doing.
    pub cpu_seconds: f64,
    /// Of which the load generator's thread.
    pub client_cpu_seconds: f64,
}

/// Name of the load generator's thread, so its CPU time can be told apart from the server's.
const CLIENT_THREAD: &str = "bench-client";

/// The import part of a run: recipient lists of the largest desas, every row checked by the
/// engine and written, then rolled back (a dry run) so the registry stays as it was.
#[derive(Debug)]
pub struct ImportFigures {
    pub program: String,
    pub desas: usize,
    pub rows: u64,
    pub accepted: u64,
    pub elapsed: Duration,
}

impl BenchReport {
    pub fn lookups_per_second(&self) -> f64 {
        self.lookups as f64 / self.elapsed.as_secs_f64()
    }
}

impl std::fmt::Display for BenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "registry:        {} residents", self.residents)?;
        if let Some(generation) = self.generation {
            let rate = self.residents as f64 / generation.as_secs_f64();
            writeln!(
                f,
                "generation:      {:.1} s ({rate:.0} residents/s)",
                generation.as_secs_f64()
            )?;
        }
        writeln!(
            f,
            "status lookups:  {:.0}/s over HTTP ({} in {:.1} s, {} errors)",
            self.lookups_per_second(),
            self.lookups,
            self.elapsed.as_secs_f64(),
            self.errors
        )?;
        if self.lookups > 0 {
            let per_lookup = self.cpu_seconds / self.lookups as f64;
            let server = (self.cpu_seconds - self.client_cpu_seconds) / self.lookups as f64;
            writeln!(
                f,
                "CPU per lookup:  {:.0} µs in all, {:.0} µs of it the server's \
                 (the server alone on 2 cores: {:.0} lookups/s)",
                per_lookup * 1e6,
                server * 1e6,
                2.0 / server
            )?;
        }
        writeln!(
            f,
            "latency:         p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            ms(self.p50),
            ms(self.p99),
            ms(self.max)
        )?;
        if let Some(import) = &self.import {
            writeln!(
                f,
                "import:          {:.0} rows/s with full checks ({} rows of {} desas for {}, \
                 {} accepted, {:.2} s, rolled back)",
                import.rows as f64 / import.elapsed.as_secs_f64(),
                import.rows,
                import.desas,
                import.program,
                import.accepted,
                import.elapsed.as_secs_f64()
            )?;
        }
        write!(
            f,
            "peak RSS:        {:.0} MB (server and load generator together)",
            self.peak_rss_mb
        )
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// User plus system CPU time of this process so far, from /proc/self/stat.
fn process_cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let Some(rest) = stat.rsplit_once(')').map(|(_, rest)| rest) else { return 0.0 };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after ')'.
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// CPU time of this process's threads whose name starts with `name` (a thread's name is at
/// most 15 bytes in /proc).
fn threads_cpu_seconds(name: &str) -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return 0.0 };
    tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("stat")).ok())
        .filter_map(|stat| {
            let (head, rest) = stat.rsplit_once(')')?;
            let comm = head.split_once('(')?.1;
            name.starts_with(comm).then(|| {
                let fields: Vec<&str> = rest.split_whitespace().collect();
                let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
                (ticks(11).unwrap_or(0.0) + ticks(12).unwrap_or(0.0)) / 100.0
            })
        })
        .sum()
}

/// Peak resident set size of this process, from the kernel's high-water mark.
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find(|l| l.starts_with("VmHWM:")).and_then(|line| {
                line.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok())
            })
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// Runs the benchmark on the registry at `location`, generating it first when empty.
pub fn run(location: &Location, options: &BenchOptions) -> anyhow::Result<BenchReport> {
    let store = Store::open_location(location)?;
    let mut generation = None;
    if store.is_empty()? {
        let started = Instant::now();
        let target = options.residents;
        let mut last = Instant::now();
        generate_with_progress(
            &store,
            &DemoOptions { residents: target, seed: options.seed },
            |done| {
                if last.elapsed() >= Duration::from_millis(500) {
                    last = Instant::now();
                    eprint!("\rgenerating: {done} / {target} residents");
                }
            },
        )?;
        eprintln!();
        generation = Some(started.elapsed());
    }
    let residents = store.resident_count()?;
    let import = measure_import(&store)?;
    let niks = store.sample_niks(20_000, options.seed)?;
    // The load comes from one kiosk whose limit the benchmark lifts.
    let key = store.register_kiosk("BENCH", None, u32::MAX / 2)?;
    anyhow::ensure!(!niks.is_empty(), "the registry is empty");

    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.server_threads)
        .enable_all()
        .build()?;
    let listener =
        server.block_on(tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))))?;
    let address = listener.local_addr()?;
    server.spawn(crate::serve(listener, store));

    let clients = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(CLIENT_THREAD)
        .enable_all()
        .build()?;
    let cpu_before = process_cpu_seconds();
    let client_before = threads_cpu_seconds(CLIENT_THREAD);
    let (lookups, errors, elapsed, mut latencies) =
        clients.block_on(load(address, niks, key, options.concurrency, options.duration))?;
    let cpu_seconds = process_cpu_seconds() - cpu_before;
    let client_cpu_seconds = threads_cpu_seconds(CLIENT_THREAD) - client_before;
    latencies.sort_unstable();
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Ok(BenchReport {
        residents,
        generation,
        lookups,
        errors,
        elapsed,
        import,
        cpu_seconds,
        client_cpu_seconds,
        p50: percentile(0.50),
        p99: percentile(0.99),
        max: latencies.last().copied().unwrap_or_default(),
        peak_rss_mb: peak_rss_mb(),
    })
}

async fn load(
    address: SocketAddr,
    niks: Vec<Nik>,
    key: KioskKey,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<(u64, u64, Duration, Vec<Duration>)> {
    let niks = std::sync::Arc::new(niks);
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (niks, key) = (niks.clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            client_loop(address, &niks, &key, worker, deadline).await
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (latencies, task_errors) = task.await??;
        all.extend(latencies);
        errors += task_errors;
    }
    let elapsed = started.elapsed();
    Ok((all.len() as u64, errors, elapsed, all))
}

/// One keep-alive HTTP/1.1 connection sending lookups back to back. A bare hyper connection
/// keeps the load generator's own cost low, so the figures describe the server.
async fn client_loop(
    address: SocketAddr,
    niks: &[Nik],
    key: &KioskKey,
    worker: usize,
    deadline: Instant,
) -> anyhow::Result<(Vec<Duration>, u64)> {
    use http_body_util::{BodyExt, Empty};
    use hyper::body::Bytes;

    let stream = tokio::net::TcpStream::connect(address).await.context("connect")?;
    stream.set_nodelay(true)?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let mut latencies = Vec::with_capacity(1 << 16);
    let mut errors = 0u64;
    let mut index = worker * 7919;
    while Instant::now() < deadline {
        let nik = &niks[index % niks.len()];
        index += 1;
        let path = protocol::api::status_path(nik.as_str());
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let nonce = format!("w{worker}n{index:016}");
        let mut request = hyper::Request::get(&path).header("host", address.to_string());
        for (name, value) in key.sign("GET", &path, now, &nonce, b"").pairs() {
            request = request.header(name, value);
        }
        let request = request.body(Empty::<Bytes>::new())?;
        let sent = Instant::now();
        sender.ready().await?;
        let ok = match sender.send_request(request).await {
            Ok(response) => {
                let success = response.status().is_success();
                success && response.into_body().collect().await.is_ok()
            }
            Err(_) => false,
        };
        latencies.push(sent.elapsed());
        if !ok {
            errors += 1;
        }
    }
    Ok((latencies, errors))
}

/// Rows the import measurement aims for.
const IMPORT_ROWS: u64 = 50_000;

/// Imports the residents of the largest desas as candidates for a person program, one list
/// per desa as staff would, each as a dry run.
fn measure_import(store: &Store) -> anyhow::Result<Option<ImportFigures>> {
    use crate::import::{ImportOptions, import};
    let catalogue = crate::eligibility::Catalogue::default_catalogue();
    let program = "GURU_NGAJI";
    let mut lists = Vec::new();
    let mut rows = 0;
    for (desa, _) in store.largest_desas(64)? {
        if rows >= IMPORT_ROWS {
            break;
        }
        let niks = store.residents_of_desa(desa)?;
        rows += niks.len() as u64;
        let mut csv = String::from("nik\n");
        for nik in niks {
            csv.push_str(nik.as_str());
            csv.push('\n');
        }
        lists.push((desa, csv));
    }
    if lists.is_empty() {
        return Ok(None);
    }
    let (mut total, mut accepted) = (0, 0);
    let started = Instant::now();
    for (desa, csv) in &lists {
        let options = ImportOptions {
            program: program.into(),
            desa: *desa,
            state: protocol::api::MembershipState::Proposed,
            since: "2026-01-01".into(),
            dry_run: true,
        };
        let summary = import(store, &catalogue, &options, csv.as_bytes(), |_| {}, |_| {})?;
        total += summary.rows;
        accepted += summary.accepted;
    }
    Ok(Some(ImportFigures {
        program: program.into(),
        desas: lists.len(),
        rows: total,
        accepted,
        elapsed: started.elapsed(),
    }))
}
