//! The registry: `/console/registry` searches residents by NIK, KK number or the start of a
//! name (a desa account in its own desa, a kabupaten account in every desa, the desa then
//! shown), at most [`SEARCH_LIMIT`] at a time, always masked; `/console/registry/family/{kk}`
//! shows one family ([`family`]). Every search is audited with the query masked; a query the
//! search does not take is told why in both languages and searches nothing.

mod family;
pub(crate) mod labels;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use crate::console::layout::{self, Page, desa_text};
use crate::console::reply::{self, Said};
use crate::console::session::ConsoleUser;
use crate::http::AppState;
use crate::store::{RegistryHit, RegistryQuery, SEARCH_LIMIT};
pub(crate) use family::{family, unmask};

const PAGE: Page =
    Page { template: "registry.html", title: ("Penduduk", "Registry"), nav: "registry" };

/// A family's page.
pub(crate) fn family_href(kk: &str) -> String {
    format!("/console/registry/family/{kk}")
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SearchQuery {
    #[serde(default)]
    q: String,
}

#[derive(Serialize)]
struct HitRow {
    href: String,
    nik: String,
    name: String,
    kk: String,
    relation: Said,
    sex: Said,
    born: String,
    life: Said,
    alive: bool,
    desa: String,
}

#[derive(Serialize)]
struct SearchView {
    q: String,
    searched: bool,
    /// Every desa's (a kabupaten account): the desa is a column.
    all: bool,
    hits: Vec<HitRow>,
    truncated: bool,
    limit: usize,
    error: Option<Said>,
}

fn row(hit: &RegistryHit) -> HitRow {
    let shown = hit.masked();
    let (life, alive) = labels::life(&hit.life_status);
    HitRow {
        href: family_href(&hit.kk),
        nik: shown.nik,
        name: shown.name,
        kk: shown.kk,
        relation: labels::relation(&hit.relation),
        sex: labels::sex(&hit.sex),
        born: shown.birth_date,
        life,
        alive,
        desa: desa_text(Some(hit.desa_code)).id,
    }
}

/// `GET /console/registry`, with `?q=` a search.
pub(crate) async fn search(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    query: Result<Query<SearchQuery>, QueryRejection>,
) -> Response {
    let q = query.map(|Query(query)| query.q).unwrap_or_default();
    let mut view = SearchView {
        q: q.trim().chars().take(80).collect(),
        searched: false,
        all: user.staff.desa_code.is_none(),
        hits: Vec::new(),
        truncated: false,
        limit: SEARCH_LIMIT,
        error: None,
    };
    if q.trim().is_empty() {
        return layout::render(&state, Some(&user), &PAGE, &view);
    }
    let parsed = match RegistryQuery::parse(&q) {
        Ok(parsed) => parsed,
        Err(error) => {
            reply::audit(&state, &user.actor(), "registry_search", "refused", "invalid");
            view.error = Some(error.text().into());
            let mut response = layout::render(&state, Some(&user), &PAGE, &view);
            *response.status_mut() = StatusCode::BAD_REQUEST;
            return response;
        }
    };
    let (store, desa, label) = (state.store.clone(), user.staff.desa_code, parsed.audit_label());
    let (hits, truncated) =
        match reply::blocking(move || store.search_registry(&parsed, desa)).await {
            Ok(found) => found,
            Err(error) => return reply::failure(&state, Some(&user), error),
        };
    reply::audit(
        &state,
        &user.actor(),
        "registry_search",
        &label,
        &format!("{} found", hits.len()),
    );
    view.searched = true;
    view.truncated = truncated;
    view.hits = hits.iter().map(row).collect();
    layout::render(&state, Some(&user), &PAGE, &view)
}
