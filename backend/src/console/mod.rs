//! The web console of desa staff and kabupaten operators: server-rendered HTML (minijinja
//! templates embedded in the binary, escaped), served by the same router as the API under
//! `/console`. Every core action is a plain `<form method=post>`; the page works without
//! JavaScript and loads nothing from elsewhere.
//!
//! The pieces, each in its own module: `session` (the cookie, the database session, the
//! forced password change, and the gate every signed-in route passes), `csrf` (form
//! tokens and the origin check), `templates` and `layout` (what every page shares:
//! header, navigation, the bilingual labels), `reply` (redirects and error pages),
//! `headers` (the security headers of every answer), and `pages`, one module per page.
//!
//! A later page is added by: a module in `pages/`, its template in
//! `backend/console/templates/` (listed in `templates::TEMPLATES`), its route below
//! (inside `signed_in` unless it is public), and, when it belongs in the menu, an entry of
//! `layout::NAV`.

mod csrf;
mod headers;
mod layout;
mod pages;
pub(crate) use pages::imports;
pub(crate) use pages::password::policy as password_policy;
mod reply;
mod session;
mod svg;
mod templates;

use axum::Router;
use axum::routing::{any, get, post};

use crate::http::AppState;
pub use session::ConsoleOptions;

/// What the console's handlers share, built once per router.
pub(crate) struct Console {
    options: ConsoleOptions,
    templates: templates::Templates,
    /// Imports running or run from the console (and read by the API), kept in the store.
    pub(crate) imports: std::sync::Arc<pages::imports::Jobs>,
}

impl Console {
    pub(crate) fn new(
        options: ConsoleOptions,
        imports_dir: Option<std::path::PathBuf>,
        store: crate::store::Store,
    ) -> Console {
        Console {
            options,
            templates: templates::Templates::load(),
            imports: std::sync::Arc::new(pages::imports::Jobs::new(imports_dir, store)),
        }
    }
}

/// The console's routes, merged into the API's router.
pub(crate) fn router(state: AppState) -> Router<AppState> {
    let signed_in = Router::new()
        .route("/console/", get(pages::dashboard::page))
        .route("/console/letters", get(pages::letters::list))
        .route(
            "/console/letters/{ticket}",
            get(pages::letters::detail).post(pages::letters::unmask),
        )
        .route("/console/letters/prepare", post(pages::letters::prepare))
        .route("/console/letters/approve", post(pages::letters::approve))
        .route("/console/letters/reject", post(pages::letters::reject))
        .route("/console/letters/cancel", post(pages::letters::cancel))
        .route("/console/letters/issued/{id}/pdf", get(pages::letters::pdf))
        .route(pages::reports::LIST_PATH, get(pages::reports::list))
        .route(pages::reports::BATCHES_PATH, get(pages::reports::batches))
        .route("/console/reports/{ticket}", get(pages::reports::detail))
        .route("/console/reports/verify", post(pages::reports::verify))
        .route("/console/reports/reject", post(pages::reports::reject))
        .route("/console/reports/schedule", post(pages::reports::schedule))
        .route("/console/reports/deliver", post(pages::reports::deliver))
        .route("/console/registry", get(pages::registry::search))
        .route(
            "/console/registry/family/{kk}",
            get(pages::registry::family).post(pages::registry::unmask),
        )
        .route("/console/programs", get(pages::programs::page))
        .route(pages::programs::DRY_RUN_PATH, post(pages::programs::dry_run_form))
        .route(
            "/console/imports",
            get(pages::imports::form)
                .post(pages::imports::start)
                .layer(axum::extract::DefaultBodyLimit::max(session::UPLOAD_LIMIT)),
        )
        .route(
            pages::imports::REGISTRY_PATH,
            post(pages::imports::start_registry)
                .layer(axum::extract::DefaultBodyLimit::max(crate::http::REGISTRY_BODY_LIMIT)),
        )
        .route("/console/imports/{job}", get(pages::imports::job))
        .route("/console/imports/{job}/report.csv", get(pages::imports::report))
        .route("/console/imports/{job}/apply", post(pages::imports::apply))
        .route("/console/public-lists", get(pages::public_lists::choose))
        .route("/console/public-lists/{desa}/{program}", get(pages::public_lists::page))
        .route("/console/fleet", get(pages::fleet::list))
        .route("/console/fleet/{kiosk}", get(pages::fleet::detail))
        .route("/console/fleet/{kiosk}/config", post(pages::fleet::configure))
        .route("/console/fleet/{kiosk}/pin", post(pages::fleet::set_pin))
        .route("/console/fleet/{kiosk}/pin/remove", post(pages::fleet::remove_pin))
        .route("/console/fleet-pins", post(pages::fleet::set_desa_pin))
        .route("/console/fleet-pins/remove", post(pages::fleet::remove_desa_pin))
        .route(pages::alerts::PATH, get(pages::alerts::page))
        .route("/console/alerts/{id}/acknowledge", post(pages::alerts::acknowledge))
        .route("/console/audit", get(pages::audit::page))
        .route("/console/audit.csv", get(pages::audit::export))
        .route("/console/charts", get(pages::charts::page))
        .route("/console/charts/{name}", get(pages::charts::image))
        .route(session::PASSWORD_PATH, get(pages::password::form).post(pages::password::change))
        .route(session::LOGOUT_PATH, post(pages::login::logout))
        .route_layer(axum::middleware::from_fn_with_state(state, session::require));
    Router::new()
        .route("/", get(|| async { reply::redirect(session::HOME_PATH) }))
        .route("/console", get(|| async { reply::redirect(session::HOME_PATH) }))
        .route(session::LOGIN_PATH, get(pages::login::form).post(pages::login::submit))
        .route(pages::assets::CSS_PATH, get(pages::assets::css))
        .route(pages::assets::PRINT_JS_PATH, get(pages::assets::print_js))
        .merge(signed_in)
        .route("/console/{*rest}", any(pages::not_found))
        .layer(axum::middleware::map_response(headers::secure))
}
