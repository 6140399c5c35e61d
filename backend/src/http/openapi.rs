//! The OpenAPI document, generated from the handlers' annotations and the protocol types,
//! served at `/api/openapi.json`.

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Where the document is served, unauthenticated.
pub const DOCUMENT_PATH: &str = "/api/openapi.json";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Anjungan central service",
        description = "The API the village-hall kiosks call. Every /api/v1 request is signed: \
            x-kiosk-id, x-anjungan-timestamp (Unix seconds, within 120 s), x-anjungan-nonce \
            (16-64 letters or digits, single use) and x-anjungan-signature = hex HMAC-SHA256 \
            with the kiosk's key over \"ANJUNGAN-HMAC-SHA256\\n{method}\\n{path}\\n{timestamp}\
            \\n{nonce}\\n{hex sha256 of body}\". Staff endpoints (/api/v1/staff/...) take \
            `Authorization: Bearer <token>` from /api/v1/staff/login instead. Messages come in \
            Indonesian (id) and English (en)."
    ),
    paths(
        super::health::health,
        super::status::status,
        super::slip_seal::seal,
        super::reports::file,
        super::reports::ticket,
        super::letters::file,
        super::letters::print,
        super::letter_queue::waiting,
        super::letter_queue::preview,
        super::letter_queue::unmask,
        super::letter_queue::prepare,
        super::letter_queue::approve,
        super::letter_queue::reject,
        super::letter_queue::cancel,
        super::letter_pdf::pdf,
        super::report_queue::queue,
        super::report_queue::detail,
        super::report_queue::verify,
        super::report_queue::reject,
        super::report_queue::schedule,
        super::report_queue::deliver,
        super::report_batches::batches,
        super::fleet::heartbeat,
        super::fleet::config,
        super::fleet_staff::list,
        super::fleet_staff::detail,
        super::fleet_staff::configure,
        super::fleet_staff::set_pin,
        super::fleet_staff::audit_page,
        super::fleet_staff::audit_csv,
        super::fleet_staff::charts,
        super::fleet_pins::remove_pin,
        super::fleet_pins::desa_pins,
        super::fleet_pins::set_desa_pin,
        super::fleet_pins::remove_desa_pin,
        super::alerts::list,
        super::alerts::acknowledge,
        super::serials::last_serial,
        super::login::login,
        super::staff_password::change,
        super::staff::add_membership,
        super::staff::import_list,
        super::registry::population,
        super::registry::desil,
        super::registry_search::search,
        super::registry_search::family,
        super::registry_search::unmask,
        super::registry_search::programs,
        super::registry_search::dry_run_api,
        super::public_list::list,
        super::import_jobs::job,
        super::import_jobs::report,
        super::import_jobs::apply
    ),
    modifiers(&KioskSignature)
)]
pub struct ApiDoc;

struct KioskSignature;

impl Modify for KioskSignature {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "kiosk_signature",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "x-anjungan-signature",
                "HMAC-SHA256 request signature; see the description above",
            ))),
        );
        components.add_security_scheme(
            "staff_session",
            SecurityScheme::Http(
                utoipa::openapi::security::HttpBuilder::new()
                    .scheme(utoipa::openapi::security::HttpAuthScheme::Bearer)
                    .description(Some("Token from POST /api/v1/staff/login"))
                    .build(),
            ),
        );
    }
}

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
