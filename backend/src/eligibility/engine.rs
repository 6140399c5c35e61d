//! The eligibility decision: may this person (or their household) be added to this program?
//!
//! Pure and storage-agnostic: every entry path (a staff member adding one person, a citizen's
//! report, a bulk import) loads the same facts and calls [`decide`], so the rules cannot
//! drift apart between paths.

use protocol::api::{MembershipState, Relation};
use protocol::mask::mask_name;
use protocol::{Sex, Text};

use super::catalogue::{Catalogue, Requirement, Scope, Unit};
use crate::population::LifeStatus;

/// The person the request is about.
#[derive(Debug, Clone)]
pub struct Subject<'a> {
    pub nik: &'a str,
    pub sex: Sex,
    pub pregnant: bool,
    pub nursing: bool,
    /// Only an alive resident who still lives here can be added to anything.
    pub life_status: LifeStatus,
}

/// What the registry knows of the subject's family as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FamilyFacts {
    /// The desa the family is registered in (its quota applies).
    pub desa: u64,
    /// DTSEN's welfare decile of the family (1 poorest .. 10), `None` when not ranked.
    pub desil: Option<u8>,
}

/// A member of the subject's KK (the subject included or not; both work).
#[derive(Debug, Clone)]
pub struct Member<'a> {
    pub nik: &'a str,
    pub name: &'a str,
    pub relation: Relation,
}

/// Who holds a membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder<'a> {
    /// A person-unit membership of this member.
    Person(&'a str),
    /// A household-unit membership of the KK; `member` is the person its component concerns.
    Household { member: Option<&'a str> },
}

/// A membership the family already has.
#[derive(Debug, Clone)]
pub struct Held<'a> {
    pub program: &'a str,
    pub component: Option<&'a str>,
    pub holder: Holder<'a>,
    pub state: MembershipState,
}

/// What is asked: a program, and for a household program with components, which component.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub program: &'a str,
    pub component: Option<&'a str>,
}

/// How much of the desa's quota is taken.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quota {
    pub used: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasonCode {
    Conflict,
    NotEligible,
    OverQuota,
    AlreadyMember,
    UnknownProgram,
    UnknownComponent,
    /// The subject is recorded as died, moved away, missing, ... (not alive and here).
    ResidentInactive,
    /// The program is for other DTSEN deciles than the family's.
    DesilOutOfRange,
    /// The program requires a DTSEN decile and the family has none.
    DesilUnranked,
}

impl ReasonCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::Conflict => "conflict",
            ReasonCode::NotEligible => "not_eligible",
            ReasonCode::OverQuota => "over_quota",
            ReasonCode::AlreadyMember => "already_member",
            ReasonCode::UnknownProgram => "unknown_program",
            ReasonCode::UnknownComponent => "unknown_component",
            ReasonCode::ResidentInactive => "resident_inactive",
            ReasonCode::DesilOutOfRange => "desil_out_of_range",
            ReasonCode::DesilUnranked => "desil_unranked",
        }
    }
}

/// Why a request was rejected, precise enough for staff to act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub code: ReasonCode,
    /// The program already held that conflicts, if any.
    pub program: Option<String>,
    /// Who holds it: a masked name and relation, or the family as a whole.
    pub holder: Option<String>,
    pub text: Text,
}

impl Reason {
    /// The reason as it may be told to someone reporting another person: that the person is
    /// already covered or not eligible, never by which program.
    pub fn public_text(&self) -> Text {
        match self.code {
            ReasonCode::Conflict | ReasonCode::AlreadyMember => Text::new(
                "Orang ini atau keluarganya sudah tercatat menerima bantuan lain.",
                "This person or their family is already recorded as receiving assistance.",
            ),
            ReasonCode::OverQuota => Text::new(
                "Kuota program ini untuk desa tersebut sudah penuh.",
                "This program's quota for that village is full.",
            ),
            // What the status page tells anyone who types the NIK, no more.
            ReasonCode::ResidentInactive => Text::new(
                "Orang ini tidak lagi tercatat sebagai penduduk aktif di data kependudukan.",
                "This person is no longer recorded as an active resident in the population register.",
            ),
            _ => Text::new(
                "Orang ini tidak memenuhi syarat program ini.",
                "This person does not meet the program's conditions.",
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Accepted,
    Rejected(Vec<Reason>),
}

impl Decision {
    pub fn is_accepted(&self) -> bool {
        matches!(self, Decision::Accepted)
    }

    pub fn reasons(&self) -> &[Reason] {
        match self {
            Decision::Accepted => &[],
            Decision::Rejected(reasons) => reasons,
        }
    }
}

impl Requirement {
    /// Whether `subject` meets this requirement of a program.
    pub fn met_by(self, subject: &Subject<'_>) -> bool {
        match self {
            Requirement::Female => subject.sex == Sex::Female,
            Requirement::PregnantOrNursing => subject.pregnant || subject.nursing,
        }
    }
}

fn counts(state: MembershipState) -> bool {
    state != MembershipState::Ended
}

/// How the registry records a resident who is not alive and here, as the reason of a refusal:
/// "... tercatat {this}".
fn inactive_words(status: LifeStatus) -> (&'static str, &'static str) {
    match status {
        LifeStatus::Died => ("meninggal dunia", "recorded as deceased"),
        LifeStatus::MovedAway | LifeStatus::Left => ("sudah pindah", "recorded as moved away"),
        LifeStatus::Missing => ("hilang", "recorded as missing"),
        LifeStatus::Invalid | LifeStatus::Alive => {
            ("dengan data yang tidak valid", "recorded with an invalid entry")
        }
    }
}

/// Decides one request. `quota.used` counts the desa's current memberships of the program.
pub fn decide(
    catalogue: &Catalogue,
    request: Request<'_>,
    subject: &Subject<'_>,
    members: &[Member<'_>],
    held: &[Held<'_>],
    quota: Quota,
    family: FamilyFacts,
) -> Decision {
    let Some(program) = catalogue.program(request.program) else {
        return Decision::Rejected(vec![Reason {
            code: ReasonCode::UnknownProgram,
            program: None,
            holder: None,
            text: Text::new(
                format!("Program {} tidak dikenal.", request.program),
                format!("Unknown program {}.", request.program),
            ),
        }]);
    };
    let mut reasons = Vec::new();
    if let Some(component) = request.component
        && !program.components.iter().any(|c| c.code == component)
    {
        reasons.push(Reason {
            code: ReasonCode::UnknownComponent,
            program: None,
            holder: None,
            text: Text::new(
                format!("{} tidak mempunyai komponen {component}.", program.name.id),
                format!("{} has no component {component}.", program.name.en),
            ),
        });
        return Decision::Rejected(reasons);
    }

    // Nothing else matters for someone who died or left: every entry path stops here.
    if !subject.life_status.is_active() {
        let (id, en) = inactive_words(subject.life_status);
        return Decision::Rejected(vec![Reason {
            code: ReasonCode::ResidentInactive,
            program: None,
            holder: None,
            text: Text::new(
                format!(
                    "Ditolak untuk {}: yang bersangkutan tercatat {id} di data kependudukan.",
                    program.name.id
                ),
                format!(
                    "Rejected for {}: the person is {en} in the population register.",
                    program.name.en
                ),
            ),
        }]);
    }

    for requirement in &program.requires {
        if !requirement.met_by(subject) {
            let (id, en) = match requirement {
                Requirement::Female => ("hanya untuk perempuan", "for women only"),
                Requirement::PregnantOrNursing => {
                    ("hanya untuk ibu hamil atau menyusui", "for pregnant or nursing mothers only")
                }
            };
            reasons.push(Reason {
                code: ReasonCode::NotEligible,
                program: None,
                holder: None,
                text: Text::new(
                    format!("Ditolak: {} {id}.", program.name.id),
                    format!("Rejected: {} is {en}.", program.name.en),
                ),
            });
        }
    }

    if let Some(range) = program.desil {
        let (code, id, en) = match family.desil {
            Some(desil) if range.contains(desil) => (None, String::new(), String::new()),
            Some(desil) => (
                Some(ReasonCode::DesilOutOfRange),
                format!("keluarga ini desil {desil}"),
                format!("this family is in decile {desil}"),
            ),
            None => (
                Some(ReasonCode::DesilUnranked),
                "keluarga ini belum diperingkat".to_string(),
                "this family is not ranked".to_string(),
            ),
        };
        if let Some(code) = code {
            reasons.push(Reason {
                code,
                program: None,
                holder: None,
                text: Text::new(
                    format!(
                        "Ditolak: {} hanya untuk keluarga desil {range} DTSEN; {id}.",
                        program.name.id
                    ),
                    format!(
                        "Rejected: {} is only for families in DTSEN decile {range}; {en}.",
                        program.name.en
                    ),
                ),
            });
        }
    }

    let describe = |nik: &str| -> String {
        match members.iter().find(|m| m.nik == nik) {
            Some(m) if m.nik == subject.nik => "orang yang sama / the same person".into(),
            Some(m) => format!("{} ({})", mask_name(m.name), m.relation.text().id),
            None => "anggota keluarga".into(),
        }
    };
    let holder_text = |holder: Holder<'_>| -> (String, Text) {
        match holder {
            Holder::Person(nik) if nik == subject.nik => {
                ("subject".into(), Text::new("yang bersangkutan", "the person"))
            }
            Holder::Person(nik) => {
                let who = describe(nik);
                (
                    who.clone(),
                    Text::new(format!("{who} dalam KK yang sama"), format!("{who} in the same KK")),
                )
            }
            Holder::Household { member: Some(nik) } if nik == subject.nik => {
                ("subject".into(), Text::new("yang bersangkutan", "the person"))
            }
            Holder::Household { .. } => {
                ("KK".into(), Text::new("keluarga (KK) yang sama", "the same family (KK)"))
            }
        }
    };

    // A conflict with a held membership, worded by `text(whom, held program's name)`.
    let conflict_reason = |membership: &Held<'_>, text: &dyn Fn(&Text, &Text) -> Text| {
        let held_name = catalogue
            .program(membership.program)
            .map(|p| p.name.clone())
            .unwrap_or_else(|| Text::new(membership.program, membership.program));
        let (holder, whom) = holder_text(membership.holder);
        Reason {
            code: ReasonCode::Conflict,
            program: Some(membership.program.to_string()),
            holder: Some(holder),
            text: text(&whom, &held_name),
        }
    };

    // Already in this program: the person, or the household for a household program.
    for membership in held.iter().filter(|h| h.program == program.code && counts(h.state)) {
        let same = match (program.unit, membership.holder) {
            (Unit::Person, Holder::Person(nik)) => nik == subject.nik,
            (Unit::Household, Holder::Household { .. }) => true,
            _ => false,
        };
        if same {
            let (holder, whom) = holder_text(membership.holder);
            reasons.push(Reason {
                code: ReasonCode::AlreadyMember,
                program: Some(program.code.clone()),
                holder: Some(holder),
                text: Text::new(
                    format!("Ditolak: {} sudah terdaftar di {}.", whom.id, program.name.id),
                    format!("Rejected: {} is already in {}.", whom.en, program.name.en),
                ),
            });
        }
    }

    for conflict in catalogue.conflicts_of(&program.code) {
        if conflict.requested_component.is_some()
            && conflict.requested_component.as_deref() != request.component
        {
            continue;
        }
        for membership in
            held.iter().filter(|h| h.program == conflict.held_program && counts(h.state))
        {
            if conflict.held_component.is_some()
                && conflict.held_component.as_deref() != membership.component
            {
                continue;
            }
            let concerns_subject = match membership.holder {
                Holder::Person(nik) => nik == subject.nik,
                Holder::Household { member } => member == Some(subject.nik),
            };
            if conflict.scope == Scope::Person && !concerns_subject {
                continue;
            }
            reasons.push(conflict_reason(membership, &|whom, held| {
                Text::new(
                    format!(
                        "Ditolak untuk {}: {} sudah menerima {}.",
                        program.name.id, whom.id, held.id
                    ),
                    format!(
                        "Rejected for {}: {} already receives {}.",
                        program.name.en, whom.en, held.en
                    ),
                )
            }));
        }
    }

    if program.only_if_uncovered {
        for membership in held.iter().filter(|h| counts(h.state) && h.program != program.code) {
            reasons.push(conflict_reason(membership, &|whom, held| {
                Text::new(
                    format!(
                        "Ditolak: {} hanya untuk keluarga yang belum menerima bantuan; {} menerima {}.",
                        program.name.id, whom.id, held.id
                    ),
                    format!(
                        "Rejected: {} is only for families receiving nothing; {} receives {}.",
                        program.name.en, whom.en, held.en
                    ),
                )
            }));
        }
    }

    if let Some(limit) = catalogue.quota(&program.code, family.desa)
        && quota.used >= limit
    {
        reasons.push(Reason {
            code: ReasonCode::OverQuota,
            program: None,
            holder: None,
            text: Text::new(
                format!("Ditolak: kuota {} desa ini ({limit}) sudah penuh.", program.name.id),
                format!("Rejected: this desa's quota for {} ({limit}) is full.", program.name.en),
            ),
        });
    }

    if reasons.is_empty() { Decision::Accepted } else { Decision::Rejected(reasons) }
}
