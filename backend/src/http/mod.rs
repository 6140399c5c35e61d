//! The HTTP API. Handlers validate input at the boundary, call the store on the blocking
//! pool, and answer with the types of `protocol::api`. Every status lookup is audited.

mod alerts;
pub mod budget;
pub(crate) mod error;
mod fleet;
mod fleet_pins;
mod fleet_staff;
mod guard;
mod health;
mod import_jobs;
pub(crate) mod letter_pdf;
mod letter_queue;
mod letters;
pub(crate) mod login;
mod lookup_batch;
mod openapi;
pub(crate) mod public_list;
mod registry;
mod registry_search;
pub(crate) mod report_batches;
pub(crate) mod report_desa;
pub(crate) mod report_queue;
mod reports;
mod serials;
mod slip_seal;
mod staff;
mod staff_password;
mod status;
mod submit;
mod verify;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath};
use axum::http::Request;
use axum::routing::{get, post};
use protocol::Text;
use protocol::api::{AnswerDetail, ErrorCode, HEALTH_PATH, REPORTS_PATH, STATUS_PATH, TICKET_PATH};
use protocol::mask::mask_digits_in;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tower_http::trace::TraceLayer;

use crate::eligibility::Catalogue;
use crate::store::Store;
use error::AppError;
pub use guard::Kiosk;
use guard::{Guard, authenticate};
pub(crate) use registry::REGISTRY_BODY_LIMIT;
pub(crate) use staff::import_failure;

/// Largest request body accepted; no endpoint of this version needs more.
const BODY_LIMIT: usize = 64 * 1024;
/// Largest recipient list accepted, by the API and the console alike.
pub(crate) const IMPORT_BODY_LIMIT: usize = staff::IMPORT_BODY_LIMIT;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub(crate) store: Store,
    guard: Arc<Guard>,
    pub(crate) catalogue: Arc<Catalogue>,
    /// Held while a population or desil file is imported: one at a time.
    pub(crate) registry_lock: registry::ImportLock,
    /// What `/healthz` last counted.
    health: Arc<health::HealthCache>,
    /// Argon2 password checks that may run at once.
    pub(crate) password_checks: Arc<tokio::sync::Semaphore>,
    login_limits: crate::store::LoginLimits,
    /// Each kiosk's day of requests that take a NIK or a ticket.
    budgets: Arc<budget::DailyBudgets>,
    /// The most requests per minute any kiosk gets.
    ceiling: u32,
    /// What a kiosk is told of a resident of another desa.
    other_desa: AnswerDetail,
    /// Signs what kiosks apply (their configuration).
    signer: Arc<protocol::signed::SigningKey>,
    /// The letter types, their templates and rules.
    pub(crate) letters: Arc<crate::letters::LetterCatalogue>,
    /// Public address of the verification page (`https://.../verify`), printed on letters.
    pub(crate) verify_base: Option<String>,
    /// The web console's templates and session settings.
    pub(crate) console: Arc<crate::console::Console>,
    /// PostgreSQL's kiosk lookups, sent to the database together when they arrive together.
    lookups: Option<Arc<lookup_batch::LookupBatcher>>,
}

/// The API with the shipped program catalogue.
pub fn router(store: Store) -> Router {
    router_with(store, Catalogue::default_catalogue())
}

/// The API with a catalogue loaded by operations.
pub fn router_with(store: Store, catalogue: Catalogue) -> Router {
    router_with_options(store, catalogue, RouterOptions::default())
}

/// What operations choose about the API's answers and limits.
#[derive(Debug, Clone)]
pub struct RouterOptions {
    /// The most requests per minute any kiosk gets ([`budget::MAX_PER_MINUTE`]). Only the
    /// benchmark, whose one kiosk sends thousands a second through the same checks, sets
    /// it higher; the service never does.
    pub ceiling: u32,
    /// What a kiosk is told of a resident of another desa than its own.
    pub other_desa: AnswerDetail,
    /// The key kiosks' configurations are signed with (`backend serve` reads it from the
    /// data directory, [`crate::signing_key`]). `None`: a key made for this router alone,
    /// which no kiosk trusts unless it is handed the public key (tests, benchmarks).
    pub signer: Option<Arc<protocol::signed::SigningKey>>,
    /// The letter catalogue operations loaded; `None`: the one shipped with the service.
    pub letters: Option<Arc<crate::letters::LetterCatalogue>>,
    /// The public address letters print for verification (`serve --public-url` + `/verify`).
    pub verify_base: Option<String>,
    /// The web console's sessions and cookies.
    pub console: crate::console::ConsoleOptions,
    /// Where the console's import jobs keep their files (`serve`: `<data dir>/imports`);
    /// `None`: a directory of the process under the system's temporary directory.
    pub imports_dir: Option<std::path::PathBuf>,
}

impl Default for RouterOptions {
    fn default() -> RouterOptions {
        RouterOptions {
            ceiling: budget::MAX_PER_MINUTE,
            other_desa: AnswerDetail::OtherDesa,
            signer: None,
            letters: None,
            verify_base: None,
            console: crate::console::ConsoleOptions::default(),
            imports_dir: None,
        }
    }
}

/// A signing key for a router nobody gave one.
fn throwaway_signer() -> Arc<protocol::signed::SigningKey> {
    use rand::RngCore;
    let mut seed = [0u8; 32];
    rand::rng().fill_bytes(&mut seed);
    Arc::new(protocol::signed::SigningKey::from_seed(seed))
}

/// The API with the options operations chose.
pub fn router_with_options(store: Store, catalogue: Catalogue, options: RouterOptions) -> Router {
    let guard = Arc::new(Guard::remembering(&store));
    let lookups = match store.nonces_shared() {
        true => match lookup_batch::LookupBatcher::start(store.clone()) {
            Ok(batcher) => Some(batcher),
            Err(error) => {
                tracing::error!(%error, "status lookups not batched: no runner thread");
                None
            }
        },
        false => None,
    };
    let state = AppState {
        store: store.clone(),
        guard,
        catalogue: Arc::new(catalogue),
        registry_lock: registry::ImportLock::default(),
        health: Arc::new(health::HealthCache::default()),
        password_checks: Arc::new(tokio::sync::Semaphore::new(login::PASSWORD_CHECKS)),
        login_limits: crate::store::LoginLimits::default(),
        budgets: Arc::new(budget::DailyBudgets::default()),
        ceiling: options.ceiling,
        other_desa: options.other_desa,
        signer: options.signer.unwrap_or_else(throwaway_signer),
        letters: options
            .letters
            .unwrap_or_else(|| Arc::new(crate::letters::LetterCatalogue::builtin())),
        verify_base: options.verify_base,
        console: Arc::new(crate::console::Console::new(
            options.console,
            options.imports_dir,
            store,
        )),
        lookups,
    };
    let kiosk_api = Router::new()
        .route(STATUS_PATH, get(status::status))
        .route(protocol::api::SLIP_SEAL_PATH, post(slip_seal::seal))
        .route(REPORTS_PATH, post(reports::file))
        .route(protocol::letter::LETTERS_PATH, post(letters::file))
        .route(protocol::letter::LETTER_PRINT_PATH, get(letters::print))
        .route(TICKET_PATH, get(reports::ticket))
        .route(protocol::fleet::HEARTBEAT_PATH, post(fleet::heartbeat))
        .route(protocol::fleet::CONFIG_PATH, get(fleet::config))
        .route(protocol::ticket::LAST_SERIAL_PATH, get(serials::last_serial))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), authenticate));
    let staff_api = Router::new()
        .route(protocol::staff::MEMBERSHIPS_PATH, post(staff::add_membership))
        .route(
            protocol::staff::IMPORTS_PATH,
            post(staff::import_list).layer(DefaultBodyLimit::max(staff::IMPORT_BODY_LIMIT)),
        )
        // Raw bodies, streamed to disk and limited by the handler itself.
        .route(protocol::registry::POPULATION_PATH, post(registry::population))
        .route(protocol::registry::DESIL_PATH, post(registry::desil))
        .route(protocol::staff::LETTER_QUEUE_PATH, get(letter_queue::waiting))
        .route(protocol::staff::LETTER_PREVIEW_PATH, get(letter_queue::preview))
        .route(letter_queue::LETTER_UNMASK_PATH, post(letter_queue::unmask))
        .route(protocol::staff::LETTER_PREPARE_PATH, post(letter_queue::prepare))
        .route(protocol::staff::LETTER_APPROVE_PATH, post(letter_queue::approve))
        .route(protocol::staff::LETTER_REJECT_PATH, post(letter_queue::reject))
        .route(protocol::staff::LETTER_CANCEL_PATH, post(letter_queue::cancel))
        .route(letter_pdf::LETTER_PDF_PATH, get(letter_pdf::pdf))
        .route(protocol::staff::REPORT_QUEUE_PATH, get(report_queue::queue))
        // A fixed segment, matched before the ticket of the route below.
        .route(protocol::staff::REPORT_BATCHES_PATH, get(report_batches::batches))
        .route(protocol::staff::REPORT_DETAIL_PATH, get(report_queue::detail))
        .route(protocol::staff::REPORT_VERIFY_PATH, post(report_queue::verify))
        .route(protocol::staff::REPORT_REJECT_PATH, post(report_queue::reject))
        .route(protocol::staff::REPORT_SCHEDULE_PATH, post(report_queue::schedule))
        .route(protocol::staff::REPORT_DELIVER_PATH, post(report_queue::deliver))
        .route(registry_search::SEARCH_PATH, get(registry_search::search))
        .route(registry_search::FAMILY_PATH, get(registry_search::family))
        .route(registry_search::UNMASK_PATH, post(registry_search::unmask))
        .route(registry_search::PROGRAMS_PATH, get(registry_search::programs))
        .route(registry_search::DRY_RUN_PATH, post(registry_search::dry_run_api))
        .route(public_list::PUBLIC_LIST_PATH, get(public_list::list))
        .route(import_jobs::IMPORT_JOB_PATH, get(import_jobs::job))
        .route(import_jobs::IMPORT_JOB_REPORT_PATH, get(import_jobs::report))
        .route(import_jobs::IMPORT_JOB_APPLY_PATH, post(import_jobs::apply))
        .route(fleet_staff::FLEET_PATH, get(fleet_staff::list))
        .route(fleet_staff::FLEET_KIOSK_PATH, get(fleet_staff::detail))
        .route(fleet_staff::FLEET_CONFIG_PATH, post(fleet_staff::configure))
        .route(fleet_staff::FLEET_PIN_PATH, post(fleet_staff::set_pin))
        .route(fleet_staff::AUDIT_PATH, get(fleet_staff::audit_page))
        .route(fleet_staff::AUDIT_CSV_PATH, get(fleet_staff::audit_csv))
        .route(fleet_staff::CHARTS_PATH, get(fleet_staff::charts))
        .route(staff_password::PASSWORD_PATH, post(staff_password::change))
        .route(fleet_pins::FLEET_PIN_REMOVE_PATH, post(fleet_pins::remove_pin))
        .route(
            fleet_pins::DESA_PINS_PATH,
            get(fleet_pins::desa_pins).post(fleet_pins::set_desa_pin),
        )
        .route(fleet_pins::DESA_PIN_REMOVE_PATH, post(fleet_pins::remove_desa_pin))
        .route(alerts::ALERTS_PATH, get(alerts::list))
        .route(alerts::ALERT_ACKNOWLEDGE_PATH, post(alerts::acknowledge))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), staff::authenticate));
    Router::new()
        .route(HEALTH_PATH, get(health::health))
        .route(openapi::DOCUMENT_PATH, get(openapi::document))
        .route(protocol::staff::LOGIN_PATH, post(login::login))
        .route(verify::PAGE_PATH, get(verify::page_route))
        .merge(kiosk_api)
        .merge(staff_api)
        .merge(crate::console::router(state.clone()))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            // The route template, never the raw path: the raw path holds the NIK.
            let route = request
                .extensions()
                .get::<MatchedPath>()
                .map(|path| path.as_str().to_string())
                .unwrap_or_else(|| mask_digits_in(request.uri().path()));
            tracing::info_span!("http", method = %request.method(), route)
        }))
        .with_state(state)
}

/// Any path no route answers.
async fn not_found() -> AppError {
    AppError::not_found(ErrorCode::NotFound, Text::new("Alamat tidak dikenal.", "Unknown path."))
}

pub(crate) fn now() -> String {
    OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default()
}
