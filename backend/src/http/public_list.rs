//! The public recipient list of a program in a desa, as pinned to the notice board at the
//! balai desa, the mosque or the church: the name (public on these boards by practice), the
//! dusun, RW and RT, the NIK masked, sorted by dusun, RW, RT and name; the desa's names, the
//! date on the desa's clock and the kepala desa who signs it. The console prints it on A4
//! (`/console/public-lists/{desa}/{program}`); the API answers the same list as JSON. A desa
//! account reaches only its own desa's list (another desa: 404); every view is audited.

use axum::Json;
use axum::extract::{Extension, Path, State};
use protocol::Text;
use protocol::api::{ApiError, ErrorCode};
use serde::Serialize;

use super::staff::Staff;
use super::{AppError, AppState, now};
use crate::store::{AuditEntry, PublicMember, Store, StoreError};

/// `GET`: the list ([`PublicList`]).
pub const PUBLIC_LIST_PATH: &str = "/api/v1/staff/public-lists/{desa}/{program}";

/// One line of the notice.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicListMember {
    /// 1, 2, ... in the order printed.
    pub no: usize,
    pub name: String,
    /// Masked: `3510********0001`.
    pub nik: String,
    pub dusun: String,
    pub rw: String,
    pub rt: String,
}

/// Who signs the notice: the kepala desa of the desa's letter settings.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicListSigner {
    pub position: String,
    /// Empty when the desa has not named its kepala desa (`backend letter settings`).
    pub name: String,
}

/// A program's public list in one desa.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicList {
    pub desa_code: u64,
    /// `Desa Bomo`
    pub desa: String,
    pub kecamatan: String,
    /// `Kabupaten Banyuwangi`
    pub kabupaten: String,
    pub program: String,
    pub program_name: Text,
    /// The day on the desa's clock, `YYYY-MM-DD`.
    pub date: String,
    /// `Bomo, 7 Desember 2026`
    pub place_date: String,
    pub total: usize,
    pub members: Vec<PublicListMember>,
    pub signer: PublicListSigner,
}

fn masked(nik: &str) -> String {
    protocol::Nik::parse(nik).map(|nik| nik.masked()).unwrap_or_else(|_| "****".into())
}

/// The list of `program` in `desa`; `None` when the catalogue has no such program.
pub(crate) fn build(
    store: &Store,
    catalogue: &crate::eligibility::Catalogue,
    desa: u64,
    program: &str,
) -> Result<Option<PublicList>, StoreError> {
    let Some(def) = catalogue.program(program) else { return Ok(None) };
    let members: Vec<PublicMember> = store.public_list(desa, &def.code)?;
    let settings = store.letter_settings(desa)?;
    let names = crate::letters::facts::desa(desa, &settings);
    let (offset, _) = crate::letters::number::desa_zone(desa);
    let today = time::OffsetDateTime::now_utc().to_offset(offset).date();
    let date = today.to_string();
    let spoken = protocol::letter::document::date_id(&date).unwrap_or_else(|| date.clone());
    let members: Vec<PublicListMember> = members
        .into_iter()
        .enumerate()
        .map(|(index, member)| PublicListMember {
            no: index + 1,
            nik: masked(&member.nik),
            name: member.name,
            dusun: member.dusun,
            rw: member.rw,
            rt: member.rt,
        })
        .collect();
    Ok(Some(PublicList {
        desa_code: desa,
        desa: format!("{} {}", names.kind, names.name),
        kecamatan: names.kecamatan.clone(),
        kabupaten: format!("{} {}", names.regency_kind, names.kabupaten),
        program: def.code.clone(),
        program_name: def.name.clone(),
        place_date: format!("{}, {spoken}", names.name),
        date,
        total: members.len(),
        members,
        signer: PublicListSigner {
            position: if settings.head_position.is_empty() {
                format!("Kepala {}", names.kind)
            } else {
                settings.head_position.clone()
            },
            name: settings.head_name.clone(),
        },
    }))
}

fn not_found() -> AppError {
    AppError::not_found(ErrorCode::NotFound, Text::new("Daftar tidak ditemukan.", "No such list."))
}

/// A program's public list in a desa: names, dusun/RW/RT, NIKs masked, sorted as printed.
#[utoipa::path(get, path = PUBLIC_LIST_PATH, security(("staff_session" = [])),
    params(("desa" = u64, Path, description = "the desa's ten-digit code"),
           ("program" = String, Path, description = "the program's code")),
    responses((status = 200, body = PublicList), (status = 401, body = ApiError),
              (status = 404, body = ApiError, description = "unknown program, or another desa")))]
pub async fn list(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    Path((desa, program)): Path<(String, String)>,
) -> Result<Json<PublicList>, AppError> {
    let audit = |subject: String, outcome: &str| {
        state.store.audit(AuditEntry {
            at: now(),
            actor: format!("staff:{}", staff.username),
            action: "public_list".into(),
            subject,
            outcome: outcome.into(),
        });
    };
    let desa = match desa.parse::<u64>() {
        Ok(desa) if staff.covers(desa) => desa,
        _ => {
            audit("desa".into(), "not_found");
            return Err(not_found());
        }
    };
    let (store, catalogue) = (state.store.clone(), state.catalogue.clone());
    let subject = format!("{} {desa}", program.chars().take(32).collect::<String>());
    let list =
        tokio::task::spawn_blocking(move || build(&store, &catalogue, desa, &program)).await??;
    match list {
        Some(list) => {
            audit(subject, &format!("listed {}", list.total));
            Ok(Json(list))
        }
        None => {
            audit(subject, "not_found");
            Err(not_found())
        }
    }
}
