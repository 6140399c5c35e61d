//! Public recipient lists: `/console/public-lists` picks the program (and the desa, for a
//! kabupaten account); `/console/public-lists/{desa}/{program}` is the A4 page to print for
//! the notice board, built as the API's (`http::public_list::build`). The page prints with
//! the browser's own print (Ctrl+P, or the button `print.js` shows): the print style sheet
//! leaves only the paper. Another desa's list answers 404 to a desa account; every view is
//! audited.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Path, Query, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use crate::console::layout::{self, Page, desa_text};
use crate::console::reply::{self, Said};
use crate::console::session::ConsoleUser;
use crate::http::AppState;
use crate::http::public_list::{PublicList, build};

const CHOOSE: Page = Page {
    template: "public_lists.html",
    title: ("Daftar penerima publik", "Public recipient lists"),
    nav: "public_lists",
};

const LIST: Page = Page {
    template: "public_list.html",
    title: ("Daftar penerima", "Recipient list"),
    nav: "public_lists",
};

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Pick {
    #[serde(default)]
    desa: String,
    #[serde(default)]
    program: String,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

#[derive(Serialize)]
struct ChooseView {
    pick_desa: bool,
    desas: Vec<Choice>,
    programs: Vec<Choice>,
}

/// The choice of program and desa; with both given, the list itself.
pub(crate) async fn choose(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    pick: Result<Query<Pick>, QueryRejection>,
) -> Response {
    let pick = pick.map(|Query(pick)| pick).unwrap_or_default();
    let desa =
        user.staff.desa_code.map(|code| code.to_string()).unwrap_or_else(|| pick.desa.clone());
    if !pick.program.is_empty() && !desa.is_empty() {
        // Only codes go into the address: anything else is sent to the 404 of `page`.
        let safe = |text: &str| text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if safe(&desa) && safe(&pick.program) {
            return reply::redirect(&format!("/console/public-lists/{desa}/{}", pick.program));
        }
        return reply::not_found(&state, Some(&user));
    }
    let pick_desa = user.staff.desa_code.is_none();
    let desas = if pick_desa {
        let store = state.store.clone();
        reply::blocking(move || store.registry_desas()).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    reply::audit(&state, &user.actor(), "console_public_lists", "public_lists", "viewed");
    let view = ChooseView {
        pick_desa,
        desas: desas
            .into_iter()
            .map(|code| Choice {
                value: code.to_string(),
                label: format!("{} ({code})", desa_text(Some(code)).id),
            })
            .collect(),
        programs: state
            .catalogue
            .programs()
            .iter()
            .map(|program| Choice {
                value: program.code.clone(),
                label: format!("{} · {}", program.code, program.name.id),
            })
            .collect(),
    };
    layout::render(&state, Some(&user), &CHOOSE, &view)
}

#[derive(Serialize)]
struct ListView {
    list: PublicList,
    program_name: Said,
    print_js: &'static str,
}

/// The A4 page of one program's list in one desa.
pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    Path((desa, program)): Path<(String, String)>,
) -> Response {
    let desa = match desa.parse::<u64>() {
        Ok(code) if user.staff.covers(code) => code,
        _ => {
            reply::audit(&state, &user.actor(), "console_public_list", "desa", "not_found");
            return reply::not_found(&state, Some(&user));
        }
    };
    let subject = format!("{} {desa}", program.chars().take(32).collect::<String>());
    let (store, catalogue) = (state.store.clone(), state.catalogue.clone());
    let list = reply::blocking(move || build(&store, &catalogue, desa, &program)).await;
    let list = match list {
        Ok(Some(list)) => list,
        Ok(None) => {
            reply::audit(&state, &user.actor(), "console_public_list", &subject, "not_found");
            return reply::not_found(&state, Some(&user));
        }
        Err(error) => return reply::failure(&state, Some(&user), error),
    };
    let outcome = format!("listed {}", list.total);
    reply::audit(&state, &user.actor(), "console_public_list", &subject, &outcome);
    let view = ListView {
        program_name: list.program_name.clone().into(),
        list,
        print_js: super::assets::PRINT_JS_PATH,
    };
    layout::render(&state, Some(&user), &LIST, &view)
}
