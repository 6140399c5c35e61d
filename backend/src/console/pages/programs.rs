//! `/console/programs`: the program catalogue as the engine reads it (level, unit,
//! components, what a program requires, what it may not be combined with, quotas, desil
//! range), read-only, and a dry run: would this NIK be accepted into program X now, and if
//! not, the engine's reasons. The dry run decides with [`crate::registry_access::dry_run`],
//! the registry facts and engine every real way into a program uses, and writes nothing but
//! its audit entry. A desa account tries only its own desa's residents: another's NIK
//! answers as an unknown one.

use axum::extract::rejection::FormRejection;
use axum::extract::{Extension, Form, State};
use axum::http::StatusCode;
use axum::response::Response;
use protocol::{Nik, Text};
use serde::{Deserialize, Serialize};

use crate::console::layout::{self, Page};
use crate::console::reply::{self, Said};
use crate::console::session::ConsoleUser;
use crate::eligibility::catalogue::{Program, Requirement, Rule};
use crate::eligibility::{Decision, Scope, Unit};
use crate::http::AppState;
use crate::registry_access::{DryRun, dry_run};

const PAGE: Page =
    Page { template: "programs.html", title: ("Program", "Programs"), nav: "programs" };

/// Where the dry-run form posts.
pub(crate) const DRY_RUN_PATH: &str = "/console/programs/dry-run";

fn said(id: &str, en: &str) -> Said {
    Said { id: id.into(), en: en.into() }
}

#[derive(Serialize)]
struct ProgramRow {
    code: String,
    name: Said,
    level: String,
    unit: Said,
    components: Vec<Said>,
    requires: Vec<Said>,
    exclusions: Vec<String>,
    allowances: Vec<String>,
    quota: String,
    desil: String,
    only_if_uncovered: bool,
    citizen_reports: bool,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct Outcome {
    accepted: bool,
    program: String,
    nik: String,
    reasons: Vec<Said>,
}

#[derive(Serialize)]
struct ProgramsView {
    programs: Vec<ProgramRow>,
    choices: Vec<Choice>,
    action: &'static str,
    nik: String,
    outcome: Option<Outcome>,
    error: Option<Said>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct DryRunForm {
    #[serde(default)]
    nik: String,
    /// `CODE` or `CODE/component`.
    #[serde(default)]
    program: String,
}

fn rule(rule: &Rule) -> String {
    let scope = match rule.scope {
        Scope::Person => "orang · person",
        Scope::Household => "keluarga · household",
    };
    match &rule.component {
        Some(component) => format!("{}/{component} ({scope})", rule.program),
        None => format!("{} ({scope})", rule.program),
    }
}

fn program_row(program: &Program, desa: Option<u64>) -> ProgramRow {
    let quota = match (desa, program.quota_per_desa) {
        (Some(desa), _) => program
            .quota_overrides
            .get(&desa.to_string())
            .copied()
            .or(program.quota_per_desa)
            .map(|q| q.to_string()),
        (None, Some(q)) if program.quota_overrides.is_empty() => Some(q.to_string()),
        (None, Some(q)) => Some(format!("{q} (+{} desa)", program.quota_overrides.len())),
        (None, None) => None,
    };
    ProgramRow {
        code: program.code.clone(),
        name: program.name.clone().into(),
        level: program.level.as_str().to_owned(),
        unit: match program.unit {
            Unit::Person => said("perorangan", "person"),
            Unit::Household => said("keluarga", "household"),
        },
        components: program.components.iter().map(|c| Said::from(c.name.clone())).collect(),
        requires: program
            .requires
            .iter()
            .map(|r| match r {
                Requirement::Female => said("perempuan", "female"),
                Requirement::PregnantOrNursing => {
                    said("hamil atau menyusui", "pregnant or nursing")
                }
            })
            .collect(),
        exclusions: program.exclusions.iter().map(rule).collect(),
        allowances: program.allowances.iter().map(rule).collect(),
        quota: quota.unwrap_or_else(|| "—".into()),
        desil: program.desil.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
        only_if_uncovered: program.only_if_uncovered,
        citizen_reports: program.citizen_reports,
    }
}

fn page_view(state: &AppState, user: &ConsoleUser, selected: &str, nik: String) -> ProgramsView {
    let programs = state.catalogue.programs();
    let mut choices = Vec::new();
    for program in programs {
        choices.push((program.code.clone(), format!("{} — {}", program.code, program.name.id)));
        for component in &program.components {
            choices.push((
                format!("{}/{}", program.code, component.code),
                format!("{} — {} / {}", program.code, program.name.id, component.name.id),
            ));
        }
    }
    ProgramsView {
        programs: programs.iter().map(|p| program_row(p, user.staff.desa_code)).collect(),
        choices: choices
            .into_iter()
            .map(|(value, label)| Choice { selected: value == selected, value, label })
            .collect(),
        action: DRY_RUN_PATH,
        nik,
        outcome: None,
        error: None,
    }
}

/// `GET /console/programs`.
pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
) -> Response {
    reply::audit(&state, &user.actor(), "program_catalogue", "-", "viewed");
    let view = page_view(&state, &user, "", String::new());
    layout::render(&state, Some(&user), &PAGE, &view)
}

fn refuse(state: &AppState, user: &ConsoleUser, mut view: ProgramsView, why: Text) -> Response {
    view.error = Some(why.into());
    let mut response = layout::render(state, Some(user), &PAGE, &view);
    *response.status_mut() = StatusCode::BAD_REQUEST;
    response
}

/// `POST /console/programs/dry-run`: the engine's answer for a NIK and a program.
pub(crate) async fn dry_run_form(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    form: Result<Form<DryRunForm>, FormRejection>,
) -> Response {
    let form = form.map(|Form(form)| form).unwrap_or_default();
    let typed: String = form.nik.chars().filter(|c| !c.is_whitespace()).take(16).collect();
    let mut view = page_view(&state, &user, form.program.trim(), typed.clone());
    let (code, component) = match form.program.trim().split_once('/') {
        Some((code, component)) => (code.to_owned(), Some(component.to_owned())),
        None => (form.program.trim().to_owned(), None),
    };
    let known = state.catalogue.program(&code).is_some_and(|program| {
        component.as_ref().is_none_or(|c| program.components.iter().any(|k| &k.code == c))
    });
    if !known {
        reply::audit(&state, &user.actor(), "program_dry_run", "-", "unknown_program");
        let why = Text::new("Pilih program dari daftar.", "Choose a program from the list.");
        return refuse(&state, &user, view, why);
    }
    let Ok(nik) = Nik::parse(&typed) else {
        reply::audit(&state, &user.actor(), "program_dry_run", &code, "invalid_nik");
        let why = Text::new(
            "NIK terdiri atas 16 angka dengan kode wilayah yang sah.",
            "A NIK has 16 digits with a valid region code.",
        );
        return refuse(&state, &user, view, why);
    };
    let subject = format!("{code} {}", nik.masked());
    let (store, catalogue, staff) =
        (state.store.clone(), state.catalogue.clone(), user.staff.clone());
    let (asked, part) = (code.clone(), component.clone());
    let result =
        reply::blocking(move || dry_run(&store, &catalogue, &staff, &nik, &asked, part.as_deref()))
            .await;
    let decision = match result {
        Ok(DryRun::Decided(decision)) => decision,
        Ok(DryRun::NotFound | DryRun::OtherDesa) => {
            reply::audit(&state, &user.actor(), "program_dry_run", &subject, "not_found");
            let why = Text::new(
                "NIK ini tidak ada di data kependudukan desa Anda.",
                "This NIK is not in your desa's population register.",
            );
            let mut response = refuse(&state, &user, view, why);
            *response.status_mut() = StatusCode::NOT_FOUND;
            return response;
        }
        Err(error) => return reply::failure(&state, Some(&user), error),
    };
    let accepted = decision.is_accepted();
    let outcome = if accepted { "accepted" } else { "rejected" };
    reply::audit(&state, &user.actor(), "program_dry_run", &subject, outcome);
    view.outcome = Some(Outcome {
        accepted,
        program: match &component {
            Some(component) => format!("{code}/{component}"),
            None => code,
        },
        nik: subject.split_once(' ').map(|(_, nik)| nik.to_owned()).unwrap_or_default(),
        reasons: match decision {
            Decision::Accepted => Vec::new(),
            Decision::Rejected(reasons) => reasons.into_iter().map(|r| r.text.into()).collect(),
        },
    });
    view.nik = String::new();
    layout::render(&state, Some(&user), &PAGE, &view)
}
