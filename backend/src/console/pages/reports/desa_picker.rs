//! The desa picker of the reports queue and the batches: for a kabupaten account, "every
//! desa" and each desa that has reports; a desa account gets no picker (it always reads its
//! own desa, `http::report_desa::desa_filter`, whatever a hand-made `?desa=` says).

use axum::response::Response;
use serde::Serialize;

use crate::console::layout::desa_text;
use crate::console::reply;
use crate::console::session::ConsoleUser;
use crate::http::AppState;
use crate::http::report_desa::ALL;

#[derive(Serialize)]
pub(super) struct DesaChoice {
    value: String,
    label: String,
    selected: bool,
}

/// The picker's choices (`None` for a desa account), `shown` selected.
pub(super) async fn desa_choices(
    state: &AppState,
    user: &ConsoleUser,
    shown: Option<u64>,
) -> Result<Option<Vec<DesaChoice>>, Response> {
    if user.staff.desa_code.is_some() {
        return Ok(None);
    }
    let store = state.store.clone();
    let desas = match reply::blocking(move || store.report_desas()).await {
        Ok(desas) => desas,
        Err(error) => return Err(reply::failure(state, Some(user), error)),
    };
    let all = DesaChoice {
        value: ALL.to_owned(),
        label: "Semua desa · All desas".to_owned(),
        selected: shown.is_none(),
    };
    let mut choices = vec![all];
    // A desa asked for by hand that has no report yet is still shown as chosen.
    let extra = shown.filter(|code| !desas.contains(code));
    choices.extend(desas.into_iter().chain(extra).map(|code| DesaChoice {
        value: code.to_string(),
        label: format!("{} ({code})", desa_text(Some(code)).id),
        selected: shown == Some(code),
    }));
    Ok(Some(choices))
}

/// The `desa` part of a link that keeps the filter (empty for every desa).
pub(super) fn desa_param(shown: Option<u64>, own: Option<u64>) -> String {
    match shown.filter(|_| own.is_none()) {
        Some(code) => format!("&desa={code}"),
        None => String::new(),
    }
}
