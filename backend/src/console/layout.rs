//! What every console page shares: the header with the product, the signed-in account
//! (name, role, desa) and the menu, the style sheet, the CSRF token of the session's forms,
//! and the words in both languages (Indonesian first, the English beside it in smaller
//! type: the `t` macro of `macros.html`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::reply::Said;
use super::session::{ConsoleUser, LOGOUT_PATH};
use crate::http::AppState;
use crate::store::{StaffRecord, StaffRole};

/// A page: its template, its title (Indonesian, English) and which menu entry it is.
pub(crate) struct Page {
    pub template: &'static str,
    pub title: (&'static str, &'static str),
    /// The key of its [`NAV`] entry; empty for pages outside the menu.
    pub nav: &'static str,
}

/// An entry of the menu, shown to the accounts `shown` lets see it.
pub(crate) struct Nav {
    pub key: &'static str,
    pub href: &'static str,
    pub id: &'static str,
    pub en: &'static str,
    pub shown: fn(&StaffRecord) -> bool,
}

fn everyone(_: &StaffRecord) -> bool {
    true
}

/// The menu, in order. Only pages that exist are in it; each later page adds its entry.
pub(crate) const NAV: &[Nav] = &[
    Nav { key: "dashboard", href: "/console/", id: "Dasbor", en: "Dashboard", shown: everyone },
    Nav { key: "letters", href: "/console/letters", id: "Surat", en: "Letters", shown: everyone },
    Nav { key: "reports", href: "/console/reports", id: "Laporan", en: "Reports", shown: everyone },
    Nav {
        key: "registry",
        href: "/console/registry",
        id: "Penduduk",
        en: "Registry",
        shown: everyone,
    },
    Nav {
        key: "programs",
        href: "/console/programs",
        id: "Program",
        en: "Programs",
        shown: everyone,
    },
    Nav { key: "imports", href: "/console/imports", id: "Impor", en: "Imports", shown: everyone },
    Nav {
        key: "public_lists",
        href: "/console/public-lists",
        id: "Daftar publik",
        en: "Public lists",
        shown: everyone,
    },
    Nav { key: "fleet", href: "/console/fleet", id: "Kios", en: "Fleet", shown: everyone },
    Nav { key: "audit", href: "/console/audit", id: "Audit", en: "Audit", shown: audit_readers },
    Nav { key: "charts", href: "/console/charts", id: "Grafik", en: "Charts", shown: everyone },
];

/// The audit log's readers (`audit_view::may_read`).
fn audit_readers(staff: &StaffRecord) -> bool {
    crate::audit_view::may_read(staff)
}

#[derive(Serialize)]
struct NavLink {
    href: &'static str,
    id: &'static str,
    en: &'static str,
    current: bool,
}

#[derive(Serialize)]
struct UserView {
    username: String,
    name: String,
    role: Said,
    desa: Said,
}

#[derive(Serialize)]
struct Layout<'a> {
    title: Said,
    user: Option<UserView>,
    nav: Vec<NavLink>,
    csrf: &'a str,
    css: &'a str,
    logout: &'static str,
}

/// What a role is called on screen. An operator without a desa acts for the whole
/// kabupaten (`staff-add` without `--desa`), and is called so.
pub(crate) fn role_text(role: StaffRole, desa: Option<u64>) -> Said {
    let (id, en) = match role {
        StaffRole::Operator if desa.is_none() => ("Operator kabupaten", "Kabupaten operator"),
        StaffRole::Operator => ("Operator desa", "Desa operator"),
        StaffRole::Signer => ("Penanda tangan", "Signer"),
        StaffRole::Kabupaten => ("Operator kabupaten", "Kabupaten operator"),
        StaffRole::Auditor => ("Auditor", "Auditor"),
    };
    Said { id: id.into(), en: en.into() }
}

/// A desa by name (`Desa Bomo, Kecamatan Blimbingsari`), or every desa.
pub(crate) fn desa_text(desa: Option<u64>) -> Said {
    match desa {
        Some(code) => {
            let name = crate::store::village_name(code);
            let name = if name.is_empty() { format!("Desa {code}") } else { name };
            Said { id: name.clone(), en: name }
        }
        None => Said { id: "Semua desa".into(), en: "All desas".into() },
    }
}

/// `2026-12-07T02:15:00Z` as the desa's clock shows it: `07-12-2026 09:15 WIB`.
pub(crate) fn local_time(rfc3339: &str, desa: Option<u64>) -> String {
    use time::format_description::well_known::Rfc3339;
    let Ok(at) = time::OffsetDateTime::parse(rfc3339, &Rfc3339) else {
        return rfc3339.to_owned();
    };
    let (offset, zone) = crate::letters::number::desa_zone(desa.unwrap_or(0));
    let at = at.to_offset(offset);
    format!(
        "{:02}-{:02}-{} {:02}:{:02} {zone}",
        at.day(),
        u8::from(at.month()),
        at.year(),
        at.hour(),
        at.minute()
    )
}

/// Renders `page` with `view` as `page` and the shared parts as `layout`.
pub(crate) fn render<C: Serialize>(
    state: &AppState,
    user: Option<&ConsoleUser>,
    page: &Page,
    view: &C,
) -> Response {
    let nav = match user {
        Some(user) if !user.must_change_password => NAV
            .iter()
            .filter(|entry| (entry.shown)(&user.staff))
            .map(|entry| NavLink {
                href: entry.href,
                id: entry.id,
                en: entry.en,
                current: entry.key == page.nav,
            })
            .collect(),
        _ => Vec::new(),
    };
    let layout = Layout {
        title: Said { id: page.title.0.into(), en: page.title.1.into() },
        user: user.map(|user| UserView {
            username: user.staff.username.clone(),
            name: if user.staff.full_name.is_empty() {
                user.staff.username.clone()
            } else {
                user.staff.full_name.clone()
            },
            role: role_text(user.staff.role, user.staff.desa_code),
            desa: desa_text(user.staff.desa_code),
        }),
        nav,
        csrf: user.map_or("", |user| user.csrf.as_str()),
        css: super::pages::assets::css_href(),
        logout: LOGOUT_PATH,
    };
    let context = minijinja::context! {
        layout => minijinja::Value::from_serialize(&layout),
        page => minijinja::Value::from_serialize(view),
    };
    match state.console.templates.render(page.template, context) {
        Ok(html) => {
            let mut response = html.into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
            response
        }
        Err(error) => {
            tracing::error!(%error, template = page.template, "console page not rendered");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Terjadi gangguan pada layanan pusat. / The central service had a problem.",
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_on_the_desas_clock() {
        assert_eq!(local_time("2026-12-07T02:15:00Z", Some(3510152001)), "07-12-2026 09:15 WIB");
        assert_eq!(local_time("2026-12-07T23:30:00Z", Some(5171012001)), "08-12-2026 07:30 WITA");
        assert_eq!(local_time("not a time", None), "not a time");
    }
}
