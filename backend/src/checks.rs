//! The glue every entry path uses: the stored record of a person and their family, turned into
//! the engine's inputs, decided by [`eligibility::decide`](crate::eligibility::decide).
//! Reports and imports both come through here, so they cannot judge differently.

use protocol::Nik;

use crate::eligibility::{
    Catalogue, Decision, Held, Holder, Member, Quota, Request, Subject, decide,
};
use crate::store::StatusRecord;

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
    };
    decide(catalogue, request, &person, &members, &held, quota, family.desa_code)
}
