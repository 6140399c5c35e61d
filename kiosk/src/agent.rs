//! The kiosk's agent: a tokio task that tells the central service how the kiosk is (a
//! heartbeat every minute) and keeps its configuration current (pulled at start, every five
//! minutes, and at once when a heartbeat's answer names another version).
//!
//! A configuration is applied atomically (`config_file`): verified (signed by a trusted
//! key for this kiosk, issued no earlier than the one held), validated, written with its
//! signature to `<data-dir>/config.json` through a temporary file, fsync and rename, and only
//! then published on a `tokio::sync::watch` the UI and staff mode read. While the central
//! service is down or sends something invalid or unsigned, the last good configuration
//! stays, on disk and in memory, so a kiosk that restarts offline comes back with its village
//! name, services and staff PINs.

mod config_file;

use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use protocol::fleet::{Heartbeat, KioskConfig};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use tokio::sync::watch;

pub use config_file::{ApplyError, CONFIG_FILE, apply, load_stored};

use crate::app::KioskApp;
use crate::client::{BackendClient, ClientError};
use crate::diagnostics::PrinterMonitor;
use crate::ui::{Fleet, Kiosk};

/// How often the agent reports and pulls.
#[derive(Debug, Clone)]
pub struct AgentOptions {
    pub heartbeat_every: Duration,
    pub config_every: Duration,
    /// Where `config.json` is kept.
    pub data_dir: PathBuf,
}

impl AgentOptions {
    /// Every minute and every five minutes.
    pub fn new(data_dir: impl Into<PathBuf>) -> AgentOptions {
        AgentOptions {
            heartbeat_every: Duration::from_secs(60),
            config_every: Duration::from_secs(300),
            data_dir: data_dir.into(),
        }
    }
}

/// What the heartbeat reports, read fresh for every beat.
#[derive(Clone)]
pub struct AgentInputs {
    pub started: Instant,
    pub printer: PrinterMonitor,
    /// Depth of the outbox, when the kiosk has one.
    pub queue_depth: Option<watch::Receiver<u64>>,
    /// The door (tamper) switch. `None` until the GPIO door input is wired into the kiosk
    /// (hardware::gpio delivers it as events; the kiosk does not listen to them yet), so the
    /// heartbeat says "unknown" rather than a made-up "closed".
    pub door_open: Option<watch::Receiver<bool>>,
    /// The kiosk's database, whose staff keypad lockout the heartbeat reports (wrong PINs,
    /// locked or not); `None` reports none.
    pub staff_lock: Option<crate::local::LocalStore>,
}

/// The configuration as applied: `None` until one was ever received or stored.
pub type ConfigWatch = watch::Receiver<Option<Arc<KioskConfig>>>;

/// The running agent.
pub struct Agent {
    config: ConfigWatch,
    task: tokio::task::JoinHandle<()>,
}

impl Agent {
    /// The applied configuration; changes whenever a new one is applied.
    pub fn config(&self) -> ConfigWatch {
        self.config.clone()
    }

    /// Stops the task (tests; the kiosk runs it for its whole life).
    pub fn stop(self) {
        self.task.abort();
    }
}

/// Starts the agent on `runtime`. The stored configuration, if any, is published at once.
pub fn spawn(
    runtime: &tokio::runtime::Handle,
    client: BackendClient,
    kiosk_id: &str,
    options: AgentOptions,
    inputs: AgentInputs,
) -> Agent {
    let stored = load_stored(&options.data_dir, kiosk_id, client.content_keys()).map(Arc::new);
    let (publish, config) = watch::channel(stored);
    let kiosk_id = kiosk_id.to_owned();
    let task = runtime.spawn(run(client, kiosk_id, options, inputs, publish));
    Agent { config, task }
}

async fn run(
    client: BackendClient,
    kiosk_id: String,
    options: AgentOptions,
    inputs: AgentInputs,
    publish: watch::Sender<Option<Arc<KioskConfig>>>,
) {
    let mut beats = tokio::time::interval(options.heartbeat_every);
    beats.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut pulls = tokio::time::interval(options.config_every);
    pulls.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let pull_now = tokio::select! {
            _ = pulls.tick() => true,
            _ = beats.tick() => {
                let beat = heartbeat(&inputs);
                match client.heartbeat(&beat).await {
                    Ok(ack) => {
                        let current = publish.borrow().as_ref().map(|c| c.config_version.clone());
                        // Another version on the service: pull now rather than in minutes.
                        current.as_deref() != Some(ack.config_version.as_str())
                    }
                    Err(error) => {
                        tracing::info!(%error, "heartbeat not delivered");
                        false
                    }
                }
            }
        };
        if pull_now {
            pull(&client, &kiosk_id, &options.data_dir, &publish).await;
        }
    }
}

async fn pull(
    client: &BackendClient,
    kiosk_id: &str,
    data_dir: &Path,
    publish: &watch::Sender<Option<Arc<KioskConfig>>>,
) {
    match client.config().await {
        Ok(pulled) => {
            let (data_dir, kiosk_id, publish) =
                (data_dir.to_owned(), kiosk_id.to_owned(), publish.clone());
            let keys = client.content_keys().clone();
            // The fsyncs block: keep them off the async workers.
            let applied = tokio::task::spawn_blocking(move || {
                apply(&data_dir, &kiosk_id, &keys, pulled.signed, &publish)
            })
            .await;
            match applied {
                Ok(Ok(_)) => {}
                Ok(Err(error)) => error.log("pulled"),
                Err(error) => tracing::error!(%error, "configuration task failed"),
            }
        }
        Err(ClientError::Unsigned(error)) => ApplyError::Signature(error).log("pulled"),
        Err(error) => tracing::info!(%error, "configuration not pulled; keeping the last good one"),
    }
}

/// The heartbeat from what the kiosk knows right now.
pub fn heartbeat(inputs: &AgentInputs) -> Heartbeat {
    let last_error = crate::logring::last_error().or_else(|| inputs.printer.last_error());
    let pins = match &inputs.staff_lock {
        Some(store) => crate::local::pin_lock::reported(store, crate::local::now_ms())
            .unwrap_or_else(|error| {
                tracing::error!(%error, "staff lock unreadable for the heartbeat");
                Default::default()
            }),
        None => Default::default(),
    };
    Heartbeat {
        version: env!("CARGO_PKG_VERSION").into(),
        uptime_seconds: inputs.started.elapsed().as_secs(),
        printer: inputs.printer.status(),
        queue_depth: inputs.queue_depth.as_ref().map(|depth| *depth.borrow()),
        door_open: inputs.door_open.as_ref().map(|door| *door.borrow()),
        last_error: last_error.map(|e| protocol::mask::mask_digits_in(&e)),
        sent_at: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        pin_failures: pins.failures,
        pin_locked: pins.locked,
    }
}

/// Shows each applied configuration on the window: the village name, the services in their
/// order and the notice line (the `Fleet` global the pages read), the letter types it
/// offers; hands the idle timeout to `set_idle_timeout` (the flows'
/// `KioskApp::set_idle_timeout`). Runs on the Slint event loop, so the UI is only touched
/// there.
pub fn follow_in_ui(
    app: Rc<KioskApp>,
    mut config: ConfigWatch,
    set_idle_timeout: impl Fn(Duration) + 'static,
) -> Result<slint::JoinHandle<()>, slint::EventLoopError> {
    show(&app, config.borrow_and_update().as_deref(), &set_idle_timeout);
    slint::spawn_local(async move {
        while config.changed().await.is_ok() {
            let current = config.borrow_and_update().clone();
            show(&app, current.as_deref(), &set_idle_timeout);
        }
    })
}

fn show(app: &KioskApp, config: Option<&KioskConfig>, set_idle_timeout: &impl Fn(Duration)) {
    let Some(config) = config else { return };
    let window = &app.window;
    if !config.village_name.is_empty() {
        window.global::<Kiosk>().set_village_name(config.village_name.clone().into());
    }
    let fleet = window.global::<Fleet>();
    let services: Vec<SharedString> =
        config.known_services().into_iter().map(SharedString::from).collect();
    fleet.set_services(ModelRc::new(VecModel::from(services)));
    let notice = config.notice();
    fleet.set_notice_id(notice.map(|t| t.id.clone()).unwrap_or_default().into());
    fleet.set_notice_en(notice.map(|t| t.en.clone()).unwrap_or_default().into());
    fleet.set_idle_timeout_seconds(config.idle_timeout_seconds as i32);
    fleet.set_configured(true);
    app.set_letters(config.letters.clone());
    set_idle_timeout(Duration::from_secs(u64::from(config.idle_timeout_seconds)));
}

#[cfg(test)]
mod tests {
    use protocol::signed::{ContentKind, SignedContent, SigningKey, TrustedKeys};

    use super::*;

    fn config(version: &str, issued_at: &str) -> KioskConfig {
        KioskConfig {
            config_version: version.into(),
            kiosk_id: "BWI-1".into(),
            desa_code: None,
            village_name: "Desa Bomo".into(),
            services: vec!["status".into()],
            texts: Default::default(),
            staff_pins: vec![],
            idle_timeout_seconds: 60,
            letters: Vec::new(),
            issued_at: issued_at.into(),
        }
    }

    fn signed(key: &SigningKey, config: &KioskConfig) -> SignedContent {
        let body = serde_json::to_string(config).expect("JSON");
        let signature = key.sign(ContentKind::KioskConfig, &config.kiosk_id, body.as_bytes());
        SignedContent { signature: signature.header_value(), body }
    }

    #[test]
    fn a_configuration_that_cannot_be_saved_is_not_published() {
        let key = SigningKey::from_seed([9; 32]);
        let keys = TrustedKeys::new(vec![key.public_key()]);
        let dir = tempfile::tempdir().expect("temp dir");
        let v1 = config("v1", "2026-12-07T01:00:00Z");
        // A file where the data directory should be: nothing can be written under it.
        let blocked = dir.path().join("blocked");
        std::fs::write(&blocked, b"").expect("file");
        let (publish, watch) = watch::channel(None);
        let error =
            apply(&blocked, "BWI-1", &keys, signed(&key, &v1), &publish).expect_err("unsaveable");
        assert!(matches!(error, ApplyError::Save { .. }), "{error}");
        assert!(watch.borrow().is_none(), "not published without being saved");

        assert!(apply(dir.path(), "BWI-1", &keys, signed(&key, &v1), &publish).expect("applied"));
        let again = config("v1", "2026-12-07T01:05:00Z");
        assert!(!apply(dir.path(), "BWI-1", &keys, signed(&key, &again), &publish).expect("same"));
        let mut other = config("v2", "2026-12-07T01:10:00Z");
        other.idle_timeout_seconds = 2;
        assert!(matches!(
            apply(dir.path(), "BWI-1", &keys, signed(&key, &other), &publish),
            Err(ApplyError::Invalid(_))
        ));
        assert_eq!(watch.borrow().as_ref().map(|c| c.config_version.as_str()), Some("v1"));
        assert_eq!(
            load_stored(dir.path(), "BWI-1", &keys).map(|c| c.config_version),
            Some("v1".into())
        );
        assert_eq!(
            load_stored(dir.path(), "BWI-2", &keys),
            None,
            "another kiosk's file is refused"
        );
        let stranger = TrustedKeys::new(vec![SigningKey::from_seed([8; 32]).public_key()]);
        assert_eq!(load_stored(dir.path(), "BWI-1", &stranger), None, "an untrusted key's file");
    }
}
