//! A kabupaten operator's population or desil file, uploaded from the imports page: the
//! form (`multipart/form-data`) is streamed, never buffered. The session gate passes this
//! route's upload unread (`session::STREAMED_PATH`), its origin checked; here the form's
//! first field must be the session's CSRF token, checked before anything else is read, so a
//! forged upload leaves no file behind. The file then goes to a 0600 file in the imports
//! directory and is imported as a background job ([`super::run`]) holding the API's
//! `ImportLock`: one registry import at a time, whoever started it. Desa accounts and
//! auditors are refused (403) and are not shown the form.

use std::path::{Path, PathBuf};

use axum::extract::multipart::{Field, MultipartRejection};
use axum::extract::{Extension, Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use protocol::Text;
use tokio::io::AsyncWriteExt;

use super::jobs::{JobKind, NewJob, new_id, private_file};
use super::run::RegistryOptions;
use super::{PAGE, clean_name, form_view, job_href, may_load_registry};
use crate::console::csrf::{self, Purpose};
use crate::console::layout;
use crate::console::reply;
use crate::console::session::{ConsoleUser, refused};
use crate::http::{AppState, REGISTRY_BODY_LIMIT};

/// Where the form posts.
pub(crate) const REGISTRY_PATH: &str = "/console/imports/registry";

/// Why an upload was not started: the status and the bilingual reason shown on the form.
struct Refusal(StatusCode, Text);

fn bad(id: &str, en: &str) -> Refusal {
    Refusal(StatusCode::BAD_REQUEST, Text::new(id, en))
}

fn unreadable() -> Refusal {
    bad("Isian tidak dapat dibaca.", "The form could not be read.")
}

/// The form's fields besides the file.
#[derive(Default)]
struct Fields {
    kind: String,
    desa: String,
    regency: String,
    dry_run: bool,
    file_name: String,
    bytes: u64,
}

/// Removes a file when dropped, unless kept.
struct Partial(Option<PathBuf>);

impl Drop for Partial {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Starts a population or desil import from the upload form.
pub(crate) async fn start_registry(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    // Not a multipart form: the gate has read and checked it as any other form.
    let Ok(mut form) = form else {
        return again(&state, &user, unreadable()).await;
    };
    let token = match form.next_field().await {
        Ok(Some(field)) if field.name() == Some(csrf::FIELD) => field.text().await.ok(),
        _ => None,
    };
    if !token.is_some_and(|token| csrf::matches(&user.session_id, Purpose::Session, &token)) {
        return refused(&state, &user, REGISTRY_PATH, "bad_token");
    }
    if !may_load_registry(&user) {
        reply::audit(&state, &user.actor(), "console_registry_import", "registry", "forbidden");
        let why = Text::new(
            "Hanya operator kabupaten yang dapat memuat data penduduk.",
            "Only kabupaten operators may load population data.",
        );
        return reply::error_page(&state, Some(&user), StatusCode::FORBIDDEN, why);
    }
    let Ok(guard) = state.registry_lock.clone().try_lock_owned() else {
        reply::audit(&state, &user.actor(), "console_registry_import", "registry", "busy");
        let why = Text::new(
            "Impor lain sedang berjalan. Coba lagi setelah selesai.",
            "Another import is running. Try again when it has finished.",
        );
        return again(&state, &user, Refusal(StatusCode::CONFLICT, why)).await;
    };
    let jobs = state.console.imports.clone();
    // Room for this file: dry runs' uploads past their week go first.
    jobs.prune_uploads();
    let id = new_id();
    let mut partial = Partial(Some(jobs.upload_path(&id)));
    let checked = match read_fields(&mut form, &jobs.upload_path(&id)).await {
        Ok(fields) => check(fields),
        Err(refusal) => Err(refusal),
    };
    let (new, options) = match checked {
        Ok(checked) => checked,
        Err(refusal) => return again(&state, &user, refusal).await,
    };
    let new = NewJob { actor: user.actor(), ..new };
    let (kind, dry_run) = (new.kind, new.dry_run);
    match jobs.launch_registry(new, id, options, guard) {
        Ok(job) => {
            partial.0 = None;
            let subject = format!("job:{} {}", job.id, kind.as_str());
            let outcome = if dry_run { "started_dry_run" } else { "started" };
            reply::audit(&state, &user.actor(), "console_registry_import", &subject, outcome);
            reply::redirect(&job_href(&job.id))
        }
        Err(error) => {
            tracing::error!(%error, "console registry import not started");
            reply::failure(&state, Some(&user), crate::http::error::AppError::internal())
        }
    }
}

/// The imports page again, with why the upload was refused.
async fn again(state: &AppState, user: &ConsoleUser, Refusal(status, why): Refusal) -> Response {
    let mut view = form_view(state, user, (None, "", true), None).await;
    view.registry_error = Some(why.into());
    let mut response = layout::render(state, Some(user), &PAGE, &view);
    *response.status_mut() = status;
    response
}

/// The fields after the token; the file streamed to `path` as it arrives.
async fn read_fields(form: &mut Multipart, path: &Path) -> Result<Fields, Refusal> {
    let mut fields = Fields::default();
    while let Some(field) = form.next_field().await.map_err(|_| unreadable())? {
        match field.name().unwrap_or("") {
            "kind" => fields.kind = field.text().await.map_err(|_| unreadable())?,
            "desa" => fields.desa = field.text().await.map_err(|_| unreadable())?,
            "regency" => fields.regency = field.text().await.map_err(|_| unreadable())?,
            "dry_run" => fields.dry_run = true,
            "file" if fields.file_name.is_empty() => {
                fields.file_name = clean_name(field.file_name().unwrap_or(""));
                fields.bytes = stream(field, path).await?;
            }
            _ => {}
        }
    }
    Ok(fields)
}

/// Writes the file field to `path` (0600) chunk by chunk, at most the API's limit.
async fn stream(mut field: Field<'_>, path: &Path) -> Result<u64, Refusal> {
    let stored = |error: std::io::Error| {
        tracing::error!(%error, "registry upload not stored");
        Refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            Text::new("Berkas tidak dapat disimpan.", "The file could not be stored."),
        )
    };
    let file = private_file(path).map_err(stored)?;
    let mut file = tokio::fs::File::from_std(file);
    let mut bytes: u64 = 0;
    while let Some(chunk) = field.chunk().await.map_err(|_| {
        bad("Unggahan terputus atau terlalu besar.", "The upload was cut off or is too large.")
    })? {
        bytes += chunk.len() as u64;
        if bytes > REGISTRY_BODY_LIMIT as u64 {
            return Err(Refusal(
                StatusCode::PAYLOAD_TOO_LARGE,
                Text::new("Berkas terlalu besar.", "The file is too large."),
            ));
        }
        file.write_all(&chunk).await.map_err(stored)?;
    }
    file.sync_all().await.map_err(stored)?;
    Ok(bytes)
}

/// The fields checked at the boundary, as the API checks its query.
fn check(fields: Fields) -> Result<(NewJob, RegistryOptions), Refusal> {
    let kind = match JobKind::parse(fields.kind.trim()) {
        Some(kind) if kind.is_registry() => kind,
        _ => return Err(bad("Pilih jenis berkas.", "Choose the kind of file.")),
    };
    let desa = match fields.desa.trim() {
        "" => None,
        text => {
            match text.parse::<u64>().ok().and_then(|code| crate::checks::known_desa(code).ok()) {
                Some(code) => Some(code),
                None => {
                    return Err(bad(
                        "Kode desa harus 10 angka kode desa yang dikenal.",
                        "The desa code must be a known 10-digit desa code.",
                    ));
                }
            }
        }
    };
    let regency = match fields.regency.trim() {
        "" => None,
        text if text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit()) => text.parse().ok(),
        _ => {
            return Err(bad("Kode kabupaten harus 4 angka.", "The regency code must be 4 digits."));
        }
    };
    if kind == JobKind::Desil && (desa.is_some() || regency.is_some()) {
        return Err(bad(
            "Berkas desil tidak memakai kode desa atau kabupaten.",
            "A desil file takes no desa or regency code.",
        ));
    }
    if fields.bytes == 0 {
        return Err(bad("Pilih berkas yang berisi data.", "Choose a file with data."));
    }
    let new = NewJob {
        kind,
        desa,
        regency,
        program: String::new(),
        dry_run: fields.dry_run,
        actor: String::new(),
        file_name: fields.file_name,
    };
    Ok((new, RegistryOptions { desa, regency }))
}
