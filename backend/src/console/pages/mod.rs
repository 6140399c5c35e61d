//! The console's pages, one module each.

pub(crate) mod alerts;
pub(crate) mod assets;
pub(crate) mod audit;
pub(crate) mod charts;
pub(crate) mod dashboard;
pub(crate) mod fleet;
pub(crate) mod imports;
pub(crate) mod letters;
pub(crate) mod login;
pub(crate) mod password;
pub(crate) mod programs;
pub(crate) mod public_lists;
pub(crate) mod registry;
pub(crate) mod reports;

use axum::extract::State;
use axum::response::Response;

use super::reply;
use crate::http::AppState;

/// Any path under `/console` no page answers.
pub(crate) async fn not_found(State(state): State<AppState>) -> Response {
    reply::not_found(&state, None)
}
