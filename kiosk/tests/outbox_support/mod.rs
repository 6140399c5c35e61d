//! Helpers of the outbox tests: a real central service on loopback (started now or later),
//! a TCP proxy in front of it that can refuse, hold a request or hold a response, and
//! report requests about people of the demo registry.

#![allow(dead_code)] // Each test binary uses a different subset.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use protocol::api::{ReportReason, ReportRequest};
use protocol::auth::KioskKey;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const KIOSK_ID: &str = "BWI-OUTBOX-01";

/// A central service with demo data whose HTTP side may not be listening yet.
pub struct Backend {
    pub store: backend::Store,
    pub key: KioskKey,
    pub examples: Vec<backend::demo::Example>,
    pub address: SocketAddr,
    pub url: String,
    listener: Option<TcpListener>,
}

impl Backend {
    /// Registry and kiosk registration, with a loopback port reserved for the API.
    pub async fn prepare() -> Backend {
        let store = backend::Store::open_temporary().expect("store");
        let options = backend::demo::DemoOptions { residents: 400, ..Default::default() };
        let summary = backend::demo::generate(&store, &options).expect("demo data");
        let key = store.register_kiosk(KIOSK_ID, None, 600).expect("register kiosk");
        assert!(key.issuer().is_some(), "kiosk-add gives the kiosk an issuer");
        let listener =
            TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind");
        let address = listener.local_addr().expect("address");
        Backend {
            store,
            key,
            examples: summary.examples,
            address,
            url: format!("http://{address}"),
            listener: Some(listener),
        }
    }

    /// Prepared and serving.
    pub async fn start() -> Backend {
        let mut backend = Backend::prepare().await;
        backend.serve().await;
        backend
    }

    /// Starts serving on the reserved address.
    pub async fn serve(&mut self) {
        let listener = match self.listener.take() {
            Some(listener) => listener,
            None => TcpListener::bind(self.address).await.expect("bind again"),
        };
        tokio::spawn(backend::serve(listener, self.store.clone()));
    }

    /// Frees the reserved port, so that connecting to it is refused (the service is down).
    pub fn close_port(&mut self) {
        self.listener = None;
    }

    pub fn nik(&self, description: &str) -> String {
        self.examples
            .iter()
            .find(|e| e.description.contains(description))
            .unwrap_or_else(|| panic!("no example {description:?}"))
            .nik
            .to_string()
    }

    pub async fn report_count(&self) -> u64 {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.report_count())
            .await
            .expect("join")
            .expect("count")
    }

    pub async fn ticket(
        &self,
        ticket: protocol::ticket::Ticket,
    ) -> Option<protocol::api::TicketStatus> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.ticket(&ticket))
            .await
            .expect("join")
            .expect("read")
    }
}

/// A citizen reporting themselves (the outbox chooses key and ticket).
pub fn self_report(nik: &str) -> ReportRequest {
    ReportRequest {
        reporter_nik: nik.to_string(),
        subject_nik: nik.to_string(),
        reason: ReportReason::LostJob,
        phone: "0812-3456-7890".into(),
        text: "Terkena PHK sejak bulan lalu.".into(),
        idempotency_key: String::new(),
        ticket: None,
        nik_entry: Default::default(),
    }
}

/// What the proxy does with new connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Forward both ways.
    Pass,
    /// Accept and close at once: the service looks down.
    Down,
    /// Read the request, never forward it.
    HoldRequest,
    /// Forward the request, swallow the answer.
    HoldResponse,
}

/// A TCP proxy in front of the central service.
#[derive(Clone)]
pub struct Proxy {
    pub url: String,
    mode: Arc<Mutex<Mode>>,
    /// Connections whose request bytes arrived and were held.
    pub requests_held: Arc<AtomicUsize>,
    /// Connections whose answer bytes arrived from the service and were held.
    pub responses_held: Arc<AtomicUsize>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr, mode: Mode) -> Proxy {
        let listener =
            TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind");
        let proxy = Proxy {
            url: format!("http://{}", listener.local_addr().expect("address")),
            mode: Arc::new(Mutex::new(mode)),
            requests_held: Arc::new(AtomicUsize::new(0)),
            responses_held: Arc::new(AtomicUsize::new(0)),
        };
        let accepting = proxy.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let mode = *accepting.mode.lock().expect("mode");
                tokio::spawn(accepting.clone().handle(client, upstream, mode));
            }
        });
        proxy
    }

    pub fn set(&self, mode: Mode) {
        *self.mode.lock().expect("mode") = mode;
    }

    async fn handle(self, mut client: TcpStream, upstream: SocketAddr, mode: Mode) {
        match mode {
            Mode::Down => drop(client),
            Mode::Pass => {
                if let Ok(mut server) = TcpStream::connect(upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                }
            }
            Mode::HoldRequest => {
                let mut buffer = [0u8; 4096];
                let mut counted = false;
                while let Ok(n) = client.read(&mut buffer).await {
                    if n == 0 {
                        break;
                    }
                    if !counted {
                        counted = true;
                        self.requests_held.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
            Mode::HoldResponse => {
                let Ok(server) = TcpStream::connect(upstream).await else { return };
                // The client's writing half is kept, unused: it never gets an answer.
                let (mut from_client, _to_client) = client.into_split();
                let (mut from_server, mut to_server) = server.into_split();
                // Moves the writer in, so the service sees the end when the client goes.
                let forward = async move {
                    let mut buffer = [0u8; 4096];
                    while let Ok(n) = from_client.read(&mut buffer).await {
                        if n == 0 || to_server.write_all(&buffer[..n]).await.is_err() {
                            break;
                        }
                    }
                };
                let swallow = async {
                    let mut buffer = [0u8; 4096];
                    let mut counted = false;
                    while let Ok(n) = from_server.read(&mut buffer).await {
                        if n == 0 {
                            break;
                        }
                        if !counted {
                            counted = true;
                            self.responses_held.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                };
                tokio::join!(forward, swallow);
            }
        }
    }
}

/// Polls `check` every 20 ms until it holds or `timeout` passes; returns whether it held.
pub async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
