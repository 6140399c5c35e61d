//! One family: its members (relation, sex, year of birth, life status), the DTSEN desil, the
//! memberships of the household and of each member (ended ones with why), and its history:
//! reports about its members and letters they asked for.
//!
//! Masked by default. Names, NIKs, birth dates and the address are shown in full only as
//! the answer to the unmask form, which needs a reason (a kind from the list and the staff's
//! own words): the reason is written to the audit log (`registry_unmask`) before the page
//! is answered, and the full page is that one answer alone. Nothing is remembered: the next
//! view is masked again and a new look needs a new reason. Another desa's family, by URL
//! or in a tampered form, answers 404 like a KK that does not exist.

use std::collections::HashMap;

use axum::extract::rejection::FormRejection;
use axum::extract::{Extension, Form, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use protocol::{NoKk, Text};
use serde::{Deserialize, Serialize};

use super::labels;
use crate::console::layout::{self, Page, desa_text, local_time};
use crate::console::pages::letters::{detail_href, type_name};
use crate::console::reply::{self, Said};
use crate::console::session::ConsoleUser;
use crate::http::AppState;
use crate::registry_access::{REASON_MAX, REASON_MIN, ReasonKind, UnmaskReason};
use crate::store::{AuditEntry, FamilyRecord, mask_number};

const PAGE: Page = Page { template: "family.html", title: ("Keluarga", "Family"), nav: "registry" };

#[derive(Debug, Deserialize)]
pub(crate) struct UnmaskForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    reason: String,
}

#[derive(Serialize)]
struct MemberRow {
    nik: String,
    name: String,
    relation: Said,
    sex: Said,
    born: String,
    life: Said,
    alive: bool,
}

#[derive(Serialize)]
struct MembershipRow {
    program: Said,
    holder: Said,
    component: String,
    state: Said,
    ended: bool,
    since: String,
    ended_why: Option<Said>,
}

#[derive(Serialize)]
struct HistoryRow {
    ticket: String,
    href: Option<String>,
    what: Said,
    who: String,
    at: String,
    state: Said,
    number: String,
}

#[derive(Serialize)]
struct Choice {
    value: &'static str,
    label: Said,
    selected: bool,
}

#[derive(Serialize)]
struct FamilyView {
    kk: String,
    action: String,
    desa: String,
    address: String,
    place: String,
    desil: Option<u8>,
    members: Vec<MemberRow>,
    memberships: Vec<MembershipRow>,
    reports: Vec<HistoryRow>,
    letters: Vec<HistoryRow>,
    unmasked: bool,
    /// The reason the full view was given for, as written to the audit log.
    reason_shown: Option<String>,
    kinds: Vec<Choice>,
    reason: String,
    reason_min: usize,
    reason_max: usize,
    error: Option<Said>,
}

fn said(id: &str, en: &str) -> Said {
    Said { id: id.into(), en: en.into() }
}

/// The family `raw` names, if it exists and the account covers its desa.
async fn family_of(
    state: &AppState,
    user: &ConsoleUser,
    raw: &str,
) -> Result<Option<FamilyRecord>, Response> {
    let Ok(kk) = NoKk::parse(raw.trim()) else { return Ok(None) };
    let store = state.store.clone();
    match reply::blocking(move || store.registry_family(&kk)).await {
        Ok(family) => Ok(family.filter(|family| user.staff.covers(family.desa_code))),
        Err(error) => Err(reply::failure(state, Some(user), error)),
    }
}

fn view(state: &AppState, full: &FamilyRecord, reason: Option<&UnmaskReason>) -> FamilyView {
    let shown = if reason.is_some() { full.clone() } else { full.masked() };
    // Who a NIK is, as this view may show them.
    let names: HashMap<&str, String> = full
        .members
        .iter()
        .zip(&shown.members)
        .map(|(member, shown)| (member.nik.as_str(), shown.name.clone()))
        .collect();
    let who = |nik: &str| names.get(nik).cloned().unwrap_or_else(|| mask_number(nik));
    let desa = Some(full.desa_code);
    FamilyView {
        kk: shown.kk.clone(),
        action: super::family_href(&full.kk),
        desa: desa_text(desa).id,
        address: shown.address.clone(),
        place: format!("{} RT {} / RW {}", full.dusun, full.rt, full.rw).trim().to_owned(),
        desil: full.desil,
        members: shown
            .members
            .iter()
            .map(|member| {
                let (life, alive) = labels::life(&member.life_status);
                MemberRow {
                    nik: member.nik.clone(),
                    name: member.name.clone(),
                    relation: labels::relation(&member.relation),
                    sex: labels::sex(&member.sex),
                    born: member.birth_date.clone(),
                    life,
                    alive,
                }
            })
            .collect(),
        memberships: full
            .memberships
            .iter()
            .map(|m| MembershipRow {
                program: m.program_name.clone().into(),
                holder: match &m.member_nik {
                    Some(nik) => Said { id: who(nik.as_str()), en: String::new() },
                    None => said("Seluruh keluarga", "The household"),
                },
                component: m.component.clone().unwrap_or_default(),
                state: labels::membership(&m.state),
                ended: m.state == "ended",
                since: m.since.clone(),
                ended_why: m.ended_reason.as_deref().map(|why| {
                    let (text, _) = labels::life(why);
                    let at = m.ended_at.clone().unwrap_or_default();
                    Said { id: format!("{} {at}", text.id), en: text.en }
                }),
            })
            .collect(),
        reports: full
            .reports
            .iter()
            .map(|r| HistoryRow {
                ticket: r.ticket.clone(),
                href: None,
                what: labels::report_reason(&r.reason),
                who: who(r.subject_nik.as_str()),
                at: local_time(&r.filed_at, desa),
                state: labels::report_state(&r.state),
                number: String::new(),
            })
            .collect(),
        letters: full
            .letters
            .iter()
            .map(|l| HistoryRow {
                ticket: l.ticket.clone(),
                href: Some(detail_href(&l.ticket)),
                what: type_name(state, &l.letter),
                who: who(l.applicant_nik.as_str()),
                at: local_time(&l.filed_at, desa),
                state: labels::letter_state(&l.state, l.number.is_some(), l.cancelled),
                number: l.number.clone().unwrap_or_default(),
            })
            .collect(),
        unmasked: reason.is_some(),
        reason_shown: reason.map(|r| format!("{} — {}", r.kind.text().id, r.text)),
        kinds: ReasonKind::ALL
            .into_iter()
            .map(|kind| Choice { value: kind.as_str(), label: kind.text().into(), selected: false })
            .collect(),
        reason: String::new(),
        reason_min: REASON_MIN,
        reason_max: REASON_MAX,
        error: None,
    }
}

/// `GET /console/registry/family/{kk}`: masked, audited.
pub(crate) async fn family(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    Path(raw): Path<String>,
) -> Response {
    let full = match family_of(&state, &user, &raw).await {
        Ok(Some(full)) => full,
        Ok(None) => {
            reply::audit(&state, &user.actor(), "registry_family", "kk", "not_found");
            return reply::not_found(&state, Some(&user));
        }
        Err(response) => return response,
    };
    let subject = format!("kk:{}", mask_number(&full.kk));
    reply::audit(&state, &user.actor(), "registry_family", &subject, "viewed_masked");
    layout::render(&state, Some(&user), &PAGE, &view(&state, &full, None))
}

/// `POST /console/registry/family/{kk}`: the family in full for this answer, with a
/// reason; the reason in the audit log before the answer. Without one: the masked page
/// again, saying what is missing.
pub(crate) async fn unmask(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    Path(raw): Path<String>,
    form: Result<Form<UnmaskForm>, FormRejection>,
) -> Response {
    let full = match family_of(&state, &user, &raw).await {
        Ok(Some(full)) => full,
        Ok(None) => {
            reply::audit(&state, &user.actor(), "registry_unmask", "kk", "not_found");
            return reply::not_found(&state, Some(&user));
        }
        Err(response) => return response,
    };
    let subject = format!("kk:{}", mask_number(&full.kk));
    let form = form
        .map(|Form(form)| form)
        .unwrap_or(UnmaskForm { kind: String::new(), reason: String::new() });
    let reason = match UnmaskReason::parse(&form.kind, &form.reason) {
        Ok(reason) => reason,
        Err(why) => {
            reply::audit(&state, &user.actor(), "registry_unmask", &subject, "no_reason");
            return refused(&state, &user, &full, &form, why);
        }
    };
    let entry = AuditEntry {
        at: crate::http::now(),
        actor: user.actor(),
        action: "registry_unmask".into(),
        subject,
        outcome: reason.audit_outcome(),
    };
    let store = state.store.clone();
    if let Err(error) = reply::blocking(move || store.audit_read(entry)).await {
        return reply::failure(&state, Some(&user), error);
    }
    layout::render(&state, Some(&user), &PAGE, &view(&state, &full, Some(&reason)))
}

/// The masked page with the form as it was sent and why it was refused.
fn refused(
    state: &AppState,
    user: &ConsoleUser,
    full: &FamilyRecord,
    form: &UnmaskForm,
    why: Text,
) -> Response {
    let mut page = view(state, full, None);
    page.error = Some(why.into());
    page.reason = form.reason.chars().take(REASON_MAX).collect();
    for choice in &mut page.kinds {
        choice.selected = choice.value == form.kind;
    }
    let mut response = layout::render(state, Some(user), &PAGE, &page);
    *response.status_mut() = StatusCode::BAD_REQUEST;
    response
}
