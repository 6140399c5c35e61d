//! The glue every entry path uses: the stored record of a person and their family, turned into
//! the engine's inputs, decided by [`eligibility::decide`](crate::eligibility::decide).
//! Reports and imports both come through here, so they cannot judge differently. And the one
//! check of a desa code that the CLI and the staff API apply alike.

use protocol::Nik;
use protocol::region::regions;

use crate::eligibility::{
    Catalogue, Decision, FamilyFacts, Held, Holder, Member, Quota, Request, Subject, decide,
};
use crate::store::StatusRecord;

/// Decides `request` for `subject` with what the registry holds of them and their family:
/// their sex, pregnancy and life status, the family's members, memberships, desa and DTSEN
/// desil.
pub fn decide_for(
    catalogue: &Catalogue,
    request: Request<'_>,
    subject: &Nik,
    family: &StatusRecord,
    quota: Quota,
) -> Decision {
    let members: Vec<Member<'_>> = family
        .members
        .iter()
        .map(|m| Member { nik: &m.nik, name: &m.name, relation: m.relation })
        .collect();
    let held: Vec<Held<'_>> = family
        .memberships
        .iter()
        .map(|m| Held {
            program: &m.program,
            component: m.component.as_deref(),
            holder: match &m.nik {
                Some(nik) => Holder::Person(nik),
                None => Holder::Household { member: m.member_nik.as_deref() },
            },
            state: m.state,
        })
        .collect();
    let person = Subject {
        nik: subject.as_str(),
        sex: family.sex,
        pregnant: family.pregnant,
        nursing: family.nursing,
        life_status: family.life_status,
    };
    let facts = FamilyFacts { desa: family.desa_code, desil: family.desil };
    decide(catalogue, request, &person, &members, &held, quota, facts)
}

/// A desa code the Kemendagri list does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown desa code {0}")]
pub struct UnknownDesa(pub u64);

/// Checks that `code` names a desa of the Kemendagri list: a recipient list, staff account or
/// PIN for a desa that does not exist would never apply to anyone.
pub fn known_desa(code: u64) -> Result<u64, UnknownDesa> {
    match regions().village(code) {
        Some(_) => Ok(code),
        None => Err(UnknownDesa(code)),
    }
}
