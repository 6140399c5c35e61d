//! A letter type's templates filled from the registry and the citizen's answers into the
//! [`LetterDocument`] the kiosk's printer and the A4 PDF draw.
//!
//! Templates see plain values only (no object of ours): what a template can print is what
//! [`LetterFacts`] holds. Rendering never escapes for HTML; the drawing side strips control
//! characters (ESC/POS) or escapes (HTML, PDF) itself.

use std::collections::BTreeMap;

use minijinja::{Environment, UndefinedBehavior, Value, context};
use protocol::letter::document::{Block, FieldRow, Kop, LetterDocument, SignerBlock, date_id};
use serde::Serialize;

use super::catalogue::{LetterCatalogue, LetterDef, SectionDef, template_name};

/// The desa issuing the letter.
#[derive(Debug, Clone, Serialize)]
pub struct Desa {
    pub code: u64,
    /// `Aliyan`
    pub name: String,
    pub kecamatan: String,
    pub kabupaten: String,
    /// `KABUPATEN` or `KOTA`: what the letterhead's government is.
    pub regency_kind: String,
    /// The office's address for the letterhead.
    pub address: String,
    /// `Desa` or `Kelurahan`.
    pub kind: String,
}

/// A resident as a letter names them; codes already turned into words.
#[derive(Debug, Clone, Serialize)]
pub struct Person {
    pub name: String,
    pub nik: String,
    pub kk: String,
    pub sex: String,
    pub birth_place: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    pub religion: String,
    pub occupation: String,
    pub marital_status: String,
    pub nationality: String,
    pub education: String,
    pub relation: String,
    pub father_name: String,
    pub mother_name: String,
    /// `Dusun Krajan RT 001 RW 002, Desa Aliyan, Kecamatan Singojuruh`
    pub address: String,
}

/// A family member in the SKTM's table.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub nik: String,
    pub name: String,
    pub sex: String,
    /// `Banyuwangi, 12 Maret 1985`
    pub birth: String,
    pub relation: String,
}

/// Who signs.
#[derive(Debug, Clone, Serialize)]
pub struct Signer {
    /// `Kepala Desa Aliyan`
    pub position: String,
    pub name: String,
    pub nip: Option<String>,
    /// `a.n. Kepala Desa Aliyan` when a delegate signs; empty otherwise.
    pub on_behalf: String,
}

/// Everything a letter is made of.
#[derive(Debug, Clone)]
pub struct LetterFacts {
    pub desa: Desa,
    pub subject: Person,
    pub family_head: String,
    pub members: Vec<Member>,
    /// The citizen's answers, cleaned (`LetterDef::clean_fields`).
    pub fields: BTreeMap<String, String>,
    pub date: time::Date,
    /// The number, or what a preview shows in its place.
    pub number: String,
    pub signer: Signer,
}

/// The environment every catalogue's templates live in: strict about unknown variables, so a
/// typo in a template is refused at start (see `catalogue.rs`), with the two filters letters
/// need.
pub(super) fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_filter("date_id", |iso: String| date_id(&iso).unwrap_or(iso));
    env.add_filter("rupiah", rupiah);
    env
}

/// `1500000` as `1.500.000`; anything not digits as it is.
fn rupiah(digits: String) -> String {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return digits;
    }
    let trimmed = digits.trim_start_matches('0');
    let digits = if trimmed.is_empty() { "0" } else { trimmed };
    let mut out = String::new();
    for (index, c) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push('.');
        }
        out.push(c);
    }
    out
}

fn iso(date: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

fn context(def: &LetterDef, facts: &LetterFacts) -> Value {
    let subject = &facts.subject;
    let birth_date = date_id(&subject.birth_date).unwrap_or_default();
    let birth = match (subject.birth_place.is_empty(), birth_date.is_empty()) {
        (false, false) => format!("{}, {birth_date}", subject.birth_place),
        (true, _) => birth_date.clone(),
        (false, true) => subject.birth_place.clone(),
    };
    let valid_until = def
        .valid_days
        .and_then(|days| facts.date.checked_add(time::Duration::days(i64::from(days))))
        .map(|until| date_id(&iso(until)).unwrap_or_default())
        .unwrap_or_default();
    context! {
        desa => context! {
            name => facts.desa.name,
            kecamatan => facts.desa.kecamatan,
            kabupaten => facts.desa.kabupaten,
            code_dotted => protocol::region::dotted_village(facts.desa.code),
        },
        subject => context! {
            name => subject.name,
            nik => subject.nik,
            kk => subject.kk,
            sex => subject.sex,
            birth_place => subject.birth_place,
            birth_date => birth_date,
            birth => birth,
            religion => subject.religion,
            occupation => subject.occupation,
            marital_status => subject.marital_status,
            nationality => subject.nationality,
            education => subject.education,
            relation => subject.relation,
            father_name => subject.father_name,
            mother_name => subject.mother_name,
            address => subject.address,
        },
        family => context! {
            kk => subject.kk,
            head => facts.family_head,
            members => facts.members,
        },
        fields => facts.fields,
        letter => context! {
            date => date_id(&iso(facts.date)).unwrap_or_default(),
            valid_until => valid_until,
        },
        signer => context! {
            position => facts.signer.position,
            name => facts.signer.name,
        },
    }
}

/// Renders a type into a document. The QR is empty: the seal is made when the letter is
/// issued (`store::letters`), over the number this document carries.
pub fn render(
    catalogue: &LetterCatalogue,
    def: &LetterDef,
    facts: &LetterFacts,
) -> Result<LetterDocument, minijinja::Error> {
    let ctx = context(def, facts);
    let fill = |name: String| -> Result<String, minijinja::Error> {
        let text = catalogue.templates.get_template(&name)?.render(&ctx)?;
        Ok(protocol::letter::seal::clean_field(&text))
    };
    let mut body = Vec::new();
    for (index, section) in def.sections.iter().enumerate() {
        body.push(match section {
            SectionDef::Paragraph { .. } => {
                Block::Paragraph { text: fill(template_name(&def.code, index, None))? }
            }
            SectionDef::Fields { rows } => Block::Fields {
                rows: rows
                    .iter()
                    .enumerate()
                    .map(|(row, [label, _])| {
                        Ok(FieldRow {
                            label: label.clone(),
                            value: fill(template_name(&def.code, index, Some(row)))?,
                        })
                    })
                    .collect::<Result<_, minijinja::Error>>()?,
            },
            SectionDef::Members => Block::Table {
                header: ["No", "NIK", "Nama", "L/P", "Tempat/Tgl. Lahir", "Hubungan"]
                    .map(String::from)
                    .to_vec(),
                rows: facts
                    .members
                    .iter()
                    .enumerate()
                    .map(|(index, member)| {
                        vec![
                            (index + 1).to_string(),
                            member.nik.clone(),
                            member.name.clone(),
                            member.sex.clone(),
                            member.birth.clone(),
                            member.relation.clone(),
                        ]
                    })
                    .collect(),
            },
        });
    }
    let desa = &facts.desa;
    Ok(LetterDocument {
        kop: Kop {
            government: format!(
                "PEMERINTAH {} {}",
                desa.regency_kind.to_uppercase(),
                desa.kabupaten.to_uppercase()
            ),
            kecamatan: format!("KECAMATAN {}", desa.kecamatan.to_uppercase()),
            desa: format!("{} {}", desa.kind.to_uppercase(), desa.name.to_uppercase()),
            address: desa.address.clone(),
        },
        title: def.title.clone(),
        number: facts.number.clone(),
        body,
        signer: SignerBlock {
            place_date: format!("{}, {}", desa.name, date_id(&iso(facts.date)).unwrap_or_default()),
            on_behalf: facts.signer.on_behalf.clone(),
            position: facts.signer.position.clone(),
            name: facts.signer.name.clone(),
            nip: facts.signer.nip.clone(),
        },
        qr: String::new(),
        footer: Vec::new(),
        copy: false,
    })
}

/// A made-up family to render every template with when the catalogue is read.
pub(crate) fn sample_facts(def: &LetterDef) -> LetterFacts {
    let person = Person {
        name: "SITI AMINAH".into(),
        nik: "3510154305880001".into(),
        kk: "3510150101100001".into(),
        sex: "Perempuan".into(),
        birth_place: "Banyuwangi".into(),
        birth_date: "1988-05-03".into(),
        religion: "Islam".into(),
        occupation: "Petani/Pekebun".into(),
        marital_status: "Kawin".into(),
        nationality: "WNI".into(),
        education: "SLTP/Sederajat".into(),
        relation: "Kepala Keluarga".into(),
        father_name: "AHMAD".into(),
        mother_name: "FATIMAH".into(),
        address: "Dusun Krajan RT 001 RW 002, Desa Aliyan".into(),
    };
    let fields = def.fields.iter().map(|field| (field.key.clone(), sample_answer(field))).collect();
    LetterFacts {
        desa: Desa {
            code: 3510152001,
            name: "Aliyan".into(),
            kecamatan: "Rogojampi".into(),
            kabupaten: "Banyuwangi".into(),
            regency_kind: "Kabupaten".into(),
            address: "Jl. Raya Aliyan No. 1".into(),
            kind: "Desa".into(),
        },
        members: vec![Member {
            nik: person.nik.clone(),
            name: person.name.clone(),
            sex: "P".into(),
            birth: "Banyuwangi, 3 Mei 1988".into(),
            relation: person.relation.clone(),
        }],
        family_head: person.name.clone(),
        subject: person,
        fields,
        date: time::macros::date!(2026 - 12 - 07),
        number: "470/001/35.10.15.2001/XII/2026".into(),
        signer: Signer {
            position: "Kepala Desa Aliyan".into(),
            name: "H. SUGENG".into(),
            nip: None,
            on_behalf: String::new(),
        },
    }
}

fn sample_answer(field: &protocol::letter::FieldSpec) -> String {
    match field.kind {
        protocol::letter::FieldKind::Text => "contoh".into(),
        protocol::letter::FieldKind::Digits => "1500000".into(),
        protocol::letter::FieldKind::Date => "2026-12-01".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::letter::LetterCode;

    #[test]
    fn amounts_are_written_with_thousands_dots() {
        assert_eq!(rupiah("1500000".into()), "1.500.000");
        assert_eq!(rupiah("950".into()), "950");
        assert_eq!(rupiah("0012000".into()), "12.000");
        assert_eq!(rupiah("12a".into()), "12a");
    }

    #[test]
    fn the_sktm_lists_the_family_and_says_until_when_it_holds() {
        let catalogue = LetterCatalogue::builtin();
        let def = catalogue.get(&LetterCode::parse("sktm").expect("code")).expect("sktm");
        let mut facts = sample_facts(def);
        facts.fields.insert("purpose".into(), "syarat beasiswa".into());
        facts.subject.name = "SITI\x1b[2J AMINAH".into();
        let document = render(&catalogue, def, &facts).expect("renders");
        assert_eq!(document.title, "SURAT KETERANGAN TIDAK MAMPU");
        assert_eq!(document.kop.desa, "DESA ALIYAN");
        let texts = document.texts().join("\n");
        assert!(texts.contains("syarat beasiswa"), "{texts}");
        assert!(texts.contains("6 Januari 2027"), "valid 30 days: {texts}");
        assert!(texts.contains("Banyuwangi, 3 Mei 1988"), "{texts}");
        assert!(!texts.contains('\x1b'), "control bytes never reach a document");
        assert!(
            document
                .body
                .iter()
                .any(|block| matches!(block, Block::Table { rows, .. } if rows.len() == 1))
        );
    }
}
