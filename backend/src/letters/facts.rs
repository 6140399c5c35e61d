//! The registry's facts about a letter's subject turned into the words a letter prints:
//! codes into labels ("Islam", "Petani/Pekebun"), the address written out, the family's
//! members for the SKTM's table.

use std::collections::BTreeMap;

use protocol::region::regions;

use super::render::{Desa, LetterFacts, Member, Person, Signer};
use super::rules::Standing;
use crate::population::codes::{self, CodeList};
use crate::store::{FamilyFacts, LetterSettings, ResidentFacts};

/// `PETANI/PEKEBUN` as `Petani/Pekebun`: OpenSID's labels are in capitals, letters print
/// them in title case.
fn title_case(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut start = true;
    for c in text.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        start = !c.is_alphanumeric();
    }
    out
}

fn label(list: &CodeList, code: Option<u8>) -> String {
    code.and_then(|code| list.get(code))
        .map(|code| title_case(&code.label.id))
        .unwrap_or_else(|| "-".into())
}

fn sex(stored: &str) -> &'static str {
    if stored == "female" { "Perempuan" } else { "Laki-laki" }
}

/// The desa as letters name it, from the region list.
pub fn desa(code: u64, settings: &LetterSettings) -> Desa {
    let r = regions();
    let name = r.village(code).map(|village| title_case(&village.name)).unwrap_or_default();
    let kecamatan =
        r.district((code / 10_000) as u32).map(|d| title_case(&d.name)).unwrap_or_default();
    let regency = r.regency((code / 1_000_000) as u32).map(|regency| regency.name.to_uppercase());
    let regency = regency.unwrap_or_default();
    let is_kota = regency.starts_with("KOTA ");
    let bare = ["KABUPATEN ", "KAB. ", "KOTA "]
        .iter()
        .find_map(|prefix| regency.strip_prefix(prefix))
        .unwrap_or(&regency);
    let kabupaten = title_case(bare);
    let regency_kind = if is_kota { "Kota" } else { "Kabupaten" }.to_owned();
    let kind = if (code / 1000) % 10 == 1 { "Kelurahan" } else { "Desa" };
    Desa {
        code,
        name,
        kecamatan,
        kabupaten,
        regency_kind,
        address: settings.address.clone(),
        kind: kind.into(),
    }
}

fn address(family: &FamilyFacts, desa: &Desa) -> String {
    let mut parts = Vec::new();
    if !family.address.trim().is_empty() {
        parts.push(family.address.trim().to_owned());
    }
    if !family.dusun.trim().is_empty() {
        parts.push(format!("Dusun {}", title_case(family.dusun.trim())));
    }
    match (family.rt.trim(), family.rw.trim()) {
        ("", "") => {}
        (rt, "") => parts.push(format!("RT {rt}")),
        ("", rw) => parts.push(format!("RW {rw}")),
        (rt, rw) => parts.push(format!("RT {rt} RW {rw}")),
    }
    parts.push(format!("{} {}", desa.kind, desa.name));
    parts.push(format!("Kecamatan {}", desa.kecamatan));
    parts.join(", ")
}

fn person(resident: &ResidentFacts, family: &FamilyFacts, desa: &Desa) -> Person {
    Person {
        name: resident.name.clone(),
        nik: resident.nik.clone(),
        kk: resident.kk.clone(),
        sex: sex(&resident.sex).into(),
        birth_place: title_case(&resident.birth_place),
        birth_date: resident.birth_date.clone(),
        religion: label(codes::agama(), resident.religion),
        occupation: label(codes::pekerjaan(), resident.occupation),
        marital_status: label(codes::status_kawin(), resident.marital_status),
        nationality: match resident.nationality {
            Some(code) => {
                codes::warganegara().get(code).map(|c| c.label.id.clone()).unwrap_or_default()
            }
            None => "WNI".into(),
        },
        education: label(codes::pendidikan(), resident.education),
        relation: label(codes::shdk(), resident.shdk),
        father_name: resident.father_name.clone(),
        mother_name: resident.mother_name.clone(),
        address: address(family, desa),
    }
}

/// What the rules weigh about the applicant.
pub fn standing(applicant: &str, family: &FamilyFacts) -> Standing {
    let me = family.members.iter().find(|member| member.nik == applicant);
    Standing {
        head_of_family: me
            .is_some_and(|me| me.relation == "head" || me.shdk == Some(codes::SHDK_HEAD)),
        desil: family.desil,
        active_programs: family.active_programs.clone(),
        marital_status: me.and_then(|me| me.marital_status),
    }
}

/// Everything the letter about `applicant` is made of; `None` when the applicant is not in
/// the family given.
pub fn letter_facts(
    applicant: &str,
    family: &FamilyFacts,
    settings: &LetterSettings,
    fields: BTreeMap<String, String>,
    date: time::Date,
    number: String,
    signer: Signer,
) -> Option<LetterFacts> {
    let desa = desa(family.desa_code, settings);
    let subject = family.members.iter().find(|member| member.nik == applicant)?;
    let head = family
        .members
        .iter()
        .find(|member| member.relation == "head" || member.shdk == Some(codes::SHDK_HEAD))
        .map(|head| head.name.clone())
        .unwrap_or_default();
    let members = family
        .members
        .iter()
        .filter(|member| member.life_status == "alive")
        .map(|member| {
            let born = protocol::letter::document::date_id(&member.birth_date).unwrap_or_default();
            Member {
                nik: member.nik.clone(),
                name: member.name.clone(),
                sex: if member.sex == "female" { "P" } else { "L" }.into(),
                birth: if member.birth_place.is_empty() {
                    born
                } else {
                    format!("{}, {born}", title_case(&member.birth_place))
                },
                relation: label(codes::shdk(), member.shdk),
            }
        })
        .collect();
    Some(LetterFacts {
        subject: person(subject, family, &desa),
        desa,
        family_head: head,
        members,
        fields,
        date,
        number,
        signer,
    })
}

/// The signer of a letter issued at once: the desa's kepala desa, from its settings.
pub fn head_signer(settings: &LetterSettings) -> Signer {
    Signer {
        position: settings.head_position.clone(),
        name: settings.head_name.clone(),
        nip: settings.head_nip.clone(),
        on_behalf: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capitals_are_written_in_title_case() {
        assert_eq!(title_case("PETANI/PEKEBUN"), "Petani/Pekebun");
        assert_eq!(title_case("BELUM KAWIN"), "Belum Kawin");
        assert_eq!(title_case("kepala keluarga"), "Kepala Keluarga");
    }

    #[test]
    fn a_desa_is_named_from_the_region_list() {
        let desa = desa(3510152001, &LetterSettings::defaults(3510152001));
        assert_eq!(desa.kind, "Desa");
        assert!(!desa.name.is_empty() && !desa.kecamatan.is_empty(), "{desa:?}");
        assert_eq!(
            (desa.regency_kind.as_str(), desa.kabupaten.as_str()),
            ("Kabupaten", "Banyuwangi")
        );
        // A kelurahan of a kota: the letterhead names the kota's government.
        let kota = super::desa(3573011001, &LetterSettings::defaults(3573011001));
        assert_eq!(
            (kota.regency_kind.as_str(), kota.kind.as_str()),
            ("Kota", "Kelurahan"),
            "{kota:?}"
        );
    }
}
