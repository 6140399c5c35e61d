//! `backend bench`: the figures the central service is held to, measured on this machine.
//!
//! Generates (or reuses) a synthetic registry, serves it on loopback, and drives status
//! lookups from concurrent keep-alive clients in the same process for a fixed time. The
//! clients share the machine's cores with the server, so the figures are conservative.

pub mod import;
pub mod letters;

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
pub(crate) fn process_cpu_seconds() -> f64 {
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

/// Runs the benchmark on the registry at `location`, generating it first when empty. The
/// store audits through a spool in `spool_dir`, as a serving instance does, and its kiosk's
/// secret is sealed under the key of `secrets`.
pub fn run(
    location: &Location,
    spool_dir: &std::path::Path,
    secrets: &crate::secrets::KeySource,
    options: &BenchOptions,
) -> anyhow::Result<BenchReport> {
    crate::data_dir::prepare_dir(spool_dir)?;
    let store = Store::open_serving(location, spool_dir)?.with_secrets(secrets.clone(), "bench")?;
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
    store.set_kiosk_daily_cap("BENCH", u32::MAX)?;
    anyhow::ensure!(!niks.is_empty(), "the registry is empty");

    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.server_threads)
        .enable_all()
        .build()?;
    let listener =
        server.block_on(tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))))?;
    let address = listener.local_addr()?;
    let lifted = crate::http::RouterOptions {
        ceiling: u32::MAX / 2,
        ..crate::http::RouterOptions::default()
    };
    let router = crate::http::router_with_options(
        store.clone(),
        crate::eligibility::Catalogue::default_catalogue(),
        lifted,
    );
    server.spawn(crate::server::serve(
        listener,
        router,
        crate::server::Limits::default(),
        None,
        std::future::pending(),
    ));

    // The load generator: one thread with a single-threaded runtime, so everything it
    // costs is that thread's CPU time.
    let (concurrency, duration) = (options.concurrency, options.duration);
    let cpu_before = process_cpu_seconds();
    let client = std::thread::Builder::new().name(CLIENT_THREAD.into()).spawn(move || {
        let before = threads_cpu_seconds(CLIENT_THREAD);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let result = runtime.block_on(load(address, niks, key, concurrency, duration));
        drop(runtime);
        result.map(|figures| (figures, threads_cpu_seconds(CLIENT_THREAD) - before))
    })?;
    let ((lookups, errors, elapsed, mut latencies), client_cpu_seconds) =
        client.join().map_err(|_| anyhow::anyhow!("the load generator panicked"))??;
    let cpu_seconds = process_cpu_seconds() - cpu_before;
    // Written out and the spool emptied, as at a clean stop (not part of the figures).
    store.close_audit();
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
    // The paths are the same every round; building them here keeps the clients' loop to
    // what a kiosk does per request: sign it, send it, read the answer.
    let paths: Vec<String> =
        niks.iter().map(|nik| protocol::api::status_path(nik.as_str())).collect();
    let paths = std::rc::Rc::new(paths);
    let key = std::rc::Rc::new(key);
    let started = Instant::now();
    let deadline = started + duration;
    let local = tokio::task::LocalSet::new();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (paths, key) = (paths.clone(), key.clone());
        tasks.push(local.spawn_local(async move {
            client_loop(address, &paths, &key, worker, deadline).await
        }));
    }
    let tasks = local.run_until(async move {
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await);
        }
        results
    });
    let tasks = tasks.await;
    let mut all = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (latencies, task_errors) = task??;
        all.extend(latencies);
        errors += task_errors;
    }
    let elapsed = started.elapsed();
    Ok((all.len() as u64, errors, elapsed, all))
}

/// One keep-alive HTTP/1.1 connection sending signed lookups back to back. The client is
/// written out by hand (one write per request into a reused buffer, the answer read by its
/// Content-Length) so that the load generator's own cost stays small beside the server's;
/// every answer is read whole, and any status but 200 counts as an error.
async fn client_loop(
    address: SocketAddr,
    paths: &[String],
    key: &KioskKey,
    worker: usize,
    deadline: Instant,
) -> anyhow::Result<(Vec<Duration>, u64)> {
    use std::fmt::Write as _;
    use tokio::io::AsyncWriteExt;

    let mut stream = tokio::net::TcpStream::connect(address).await.context("connect")?;
    stream.set_nodelay(true)?;
    let host = address.to_string();
    let mut latencies = Vec::with_capacity(1 << 16);
    let mut errors = 0u64;
    let mut index = worker * 7919;
    // Nonces unique to this run: the service remembers the last runs' for the replay window,
    // across restarts.
    let run: u32 = rand::random();
    let mut nonce = String::with_capacity(40);
    let mut request = Vec::with_capacity(512);
    let mut response = Response::default();
    while Instant::now() < deadline {
        let path = &paths[index % paths.len()];
        index += 1;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        nonce.clear();
        let _ = write!(nonce, "r{run:08x}w{worker}n{index:016}");
        let signed = key.sign("GET", path, now, &nonce, b"");
        request.clear();
        for part in ["GET ", path, " HTTP/1.1\r\nhost: ", &host, "\r\n"] {
            request.extend_from_slice(part.as_bytes());
        }
        for (name, value) in signed.pairs() {
            for part in [name, ": ", value, "\r\n"] {
                request.extend_from_slice(part.as_bytes());
            }
        }
        request.extend_from_slice(b"\r\n");
        let sent = Instant::now();
        stream.write_all(&request).await.context("send")?;
        let status = response.read(&mut stream).await?;
        latencies.push(sent.elapsed());
        if status != 200 {
            errors += 1;
        }
    }
    Ok((latencies, errors))
}

/// The reading side of a client connection: bytes received and not yet consumed.
#[derive(Default)]
struct Response {
    buffer: Vec<u8>,
}

impl Response {
    /// Reads one whole answer (head and body) and returns its status code.
    async fn read(&mut self, stream: &mut tokio::net::TcpStream) -> anyhow::Result<u16> {
        loop {
            if let Some((status, head, body)) = parse_head(&self.buffer)? {
                while self.buffer.len() < head + body {
                    self.fill(stream).await?;
                }
                self.buffer.drain(..head + body);
                return Ok(status);
            }
            self.fill(stream).await?;
        }
    }

    async fn fill(&mut self, stream: &mut tokio::net::TcpStream) -> anyhow::Result<()> {
        use tokio::io::AsyncReadExt;
        self.buffer.reserve(16 * 1024);
        let read = stream.read_buf(&mut self.buffer).await.context("receive")?;
        anyhow::ensure!(read > 0, "the server closed the connection");
        Ok(())
    }
}

/// The status code, the length of the head (blank line included) and the body's length
/// (from Content-Length), once the head is complete; `None` while it is not.
fn parse_head(bytes: &[u8]) -> anyhow::Result<Option<(u16, usize, usize)>> {
    let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else {
        anyhow::ensure!(bytes.len() < 64 * 1024, "response head too long");
        return Ok(None);
    };
    let head = std::str::from_utf8(&bytes[..end]).context("response head is not text")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse::<u16>().ok())
        .with_context(|| format!("bad status line {status_line:?}"))?;
    let mut length = None;
    for line in lines {
        let (name, value) = line.split_once(':').context("bad header line")?;
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(value.trim().parse::<usize>().context("bad content-length")?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            anyhow::bail!("chunked answers are not expected from this server");
        }
    }
    let length = length.context("answer without content-length")?;
    Ok(Some((status, end + 4, length)))
}

/// Rows the import measurement aims for.
const IMPORT_ROWS: u64 = 50_000;

/// Imports the residents of the largest desas as candidates for a person program, one list
/// per desa as staff would, each as a dry run.
fn measure_import(store: &Store) -> anyhow::Result<Option<ImportFigures>> {
    use crate::import::{ImportOptions, Requester, admit};
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
    let requester = Requester { actor: "bench".into(), desa: None };
    let options = ImportOptions {
        state: protocol::api::MembershipState::Proposed,
        since: "2026-01-01".into(),
        dry_run: true,
    };
    let started = Instant::now();
    for (desa, csv) in &lists {
        let list = admit(store, &catalogue, &requester, program, *desa)?;
        let summary = list.run(store, &catalogue, &options, csv.as_bytes(), |_| {}, |_| {})?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_by_their_content_length() {
        let answer =
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nContent-Length: 2\r\n\r\n{}";
        assert_eq!(parse_head(answer).expect("valid"), Some((200, answer.len() - 2, 2)));
        assert_eq!(parse_head(&answer[..20]).expect("incomplete"), None);
        let refused = b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(parse_head(refused).expect("valid"), Some((401, refused.len(), 0)));
        for bad in [
            &b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\n\r\n",
            b"SMTP 200\r\ncontent-length: 0\r\n\r\n",
        ] {
            assert!(parse_head(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn a_short_run_looks_up_residents_without_errors() {
        let dir = tempfile::tempdir().expect("temp dir");
        let options = BenchOptions {
            residents: 500,
            seed: 7,
            duration: Duration::from_millis(500),
            concurrency: 3,
            server_threads: 1,
        };
        let secrets = crate::secrets::KeySource::File(dir.path().join("secrets.key"));
        let location = Location::Sqlite(dir.path().join("bench.sqlite3"));
        let report = run(&location, &dir.path().join("spool"), &secrets, &options).expect("bench");
        assert!(report.lookups > 0, "{report}");
        assert_eq!(report.errors, 0, "{report}");
        assert!(report.residents >= 500, "{report}");
    }
}
