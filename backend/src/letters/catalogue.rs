//! The letter catalogue: letter types as data, read from TOML (`backend/letters.toml` ships
//! inside the binary; `serve --letters FILE` replaces it), checked whole at start, so a
//! broken template is refused when the service starts, not when a citizen asks.

use std::collections::{BTreeMap, HashSet};

use minijinja::Environment;
use protocol::Text;
use protocol::letter::{Applicant, FieldSpec, LetterCode, LetterType};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The catalogue shipped with the service.
pub const DEFAULT_TOML: &str = include_str!("../../letters.toml");

/// How a type's requests are decided (see `rules.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueRule {
    /// Issued at the kiosk when the NIK came from the e-KTP.
    AtOnce,
    /// Always waits for the desa staff.
    Staff,
    /// At once only for a family recorded as poor (desil 1-4, or an active membership of a
    /// poverty program).
    Poverty,
    /// At once only when the registry records the applicant as not married.
    Unmarried,
}

/// One block of a type's body, its texts templates.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SectionDef {
    Paragraph {
        text: String,
    },
    Fields {
        rows: Vec<[String; 2]>,
    },
    /// The family's members, as a table.
    Members,
}

/// A letter type.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LetterDef {
    pub code: LetterCode,
    pub name: Text,
    #[serde(default)]
    pub note: Option<Text>,
    pub title: String,
    /// The default classification code in the number.
    pub classification: String,
    #[serde(default)]
    pub applicant: Applicant,
    pub issue: IssueRule,
    /// Days the letter is valid; `letter.valid_until` in the templates.
    #[serde(default)]
    pub valid_days: Option<u16>,
    pub fields: Vec<FieldSpec>,
    pub sections: Vec<SectionDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    #[serde(default)]
    poverty_programs: Vec<String>,
    letter: Vec<LetterDef>,
}

#[derive(Debug, thiserror::Error)]
pub enum LetterCatalogueError {
    #[error("letter catalogue: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("letter catalogue: {0}")]
    Invalid(String),
    #[error("letter catalogue, type {code}: {error}")]
    Template { code: String, error: String },
}

/// The catalogue, checked, with its templates compiled.
#[derive(Debug)]
pub struct LetterCatalogue {
    pub version: u32,
    /// A hash of the file: changes whenever any text changes, so kiosks' configuration
    /// follows.
    pub digest: String,
    pub poverty_programs: Vec<String>,
    types: Vec<LetterDef>,
    pub(super) templates: Environment<'static>,
}

/// A template's name in the environment: `<code>/<section>` or `<code>/<section>/<row>`.
pub(super) fn template_name(code: &LetterCode, section: usize, row: Option<usize>) -> String {
    match row {
        Some(row) => format!("{code}/{section}/{row}"),
        None => format!("{code}/{section}"),
    }
}

impl LetterCatalogue {
    pub fn parse(text: &str) -> Result<LetterCatalogue, LetterCatalogueError> {
        let file: File = toml::from_str(text)?;
        let mut seen = HashSet::new();
        for def in &file.letter {
            if !seen.insert(def.code.clone()) {
                return Err(LetterCatalogueError::Invalid(format!("type {} twice", def.code)));
            }
            check_def(def)?;
        }
        if file.letter.is_empty() {
            return Err(LetterCatalogueError::Invalid("no letter type".into()));
        }
        let mut templates = super::render::environment();
        for def in &file.letter {
            for (index, section) in def.sections.iter().enumerate() {
                let mut add = |name: String, source: &str| {
                    templates.add_template_owned(name, source.to_owned()).map_err(|error| {
                        LetterCatalogueError::Template {
                            code: def.code.to_string(),
                            error: error.to_string(),
                        }
                    })
                };
                match section {
                    SectionDef::Paragraph { text } => {
                        add(template_name(&def.code, index, None), text)?
                    }
                    SectionDef::Fields { rows } => {
                        for (row, [_, value]) in rows.iter().enumerate() {
                            add(template_name(&def.code, index, Some(row)), value)?;
                        }
                    }
                    SectionDef::Members => {}
                }
            }
        }
        let catalogue = LetterCatalogue {
            version: file.version,
            digest: hex::encode(&Sha256::digest(text.as_bytes())[..8]),
            poverty_programs: file.poverty_programs,
            types: file.letter,
            templates,
        };
        // Every template renders on a sample family: an unknown variable is caught now.
        for def in &catalogue.types {
            let sample = super::render::sample_facts(def);
            super::render::render(&catalogue, def, &sample).map_err(|error| {
                LetterCatalogueError::Template {
                    code: def.code.to_string(),
                    error: error.to_string(),
                }
            })?;
        }
        Ok(catalogue)
    }

    /// The catalogue shipped with the service.
    pub fn builtin() -> LetterCatalogue {
        LetterCatalogue::parse(DEFAULT_TOML).unwrap_or_else(|error| {
            panic!("the shipped letter catalogue is checked by its tests: {error}")
        })
    }

    /// `v<version> <digest>`: what an issued letter records of the catalogue that made it.
    pub fn label(&self) -> String {
        format!("v{} {}", self.version, self.digest)
    }

    pub fn types(&self) -> &[LetterDef] {
        &self.types
    }

    pub fn get(&self, code: &LetterCode) -> Option<&LetterDef> {
        self.types.iter().find(|def| &def.code == code)
    }

    /// What kiosks are told: each type's name, applicant and fields.
    pub fn for_kiosks(&self) -> Vec<LetterType> {
        self.types
            .iter()
            .map(|def| LetterType {
                code: def.code.clone(),
                name: def.name.clone(),
                applicant: def.applicant,
                fields: def.fields.clone(),
                note: def.note.clone(),
            })
            .collect()
    }

    /// The programs the SKTM rule counts that the program catalogue does not know (checked
    /// at start against it).
    pub fn unknown_programs(&self, known: &dyn Fn(&str) -> bool) -> Vec<String> {
        self.poverty_programs.iter().filter(|code| !known(code)).cloned().collect()
    }
}

impl LetterDef {
    /// The request's answers checked against the type's fields: every answer cleaned, no
    /// field the type does not have. `purpose` is the request's own purpose field.
    pub fn clean_fields(
        &self,
        purpose: &str,
        given: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>, Text> {
        if let Some(unknown) = given.keys().find(|key| {
            key.as_str() == "purpose" || !self.fields.iter().any(|field| &field.key == *key)
        }) {
            return Err(Text::new(
                format!("Isian {unknown:?} tidak ada pada surat ini."),
                format!("This letter has no field {unknown:?}."),
            ));
        }
        let mut answers = BTreeMap::new();
        for field in &self.fields {
            let raw = if field.key == "purpose" {
                purpose
            } else {
                given.get(&field.key).map(String::as_str).unwrap_or("")
            };
            answers.insert(field.key.clone(), field.clean(raw)?);
        }
        Ok(answers)
    }
}

fn check_def(def: &LetterDef) -> Result<(), LetterCatalogueError> {
    let invalid = |why: String| LetterCatalogueError::Invalid(format!("type {}: {why}", def.code));
    if def.title.trim().is_empty() || def.title.chars().any(char::is_control) {
        return Err(invalid("title empty or with control characters".into()));
    }
    if def.classification.trim().is_empty() || def.classification.len() > 20 {
        return Err(invalid("classification code empty or longer than 20".into()));
    }
    if !def.fields.iter().any(|field| field.key == "purpose") {
        return Err(invalid("no `purpose` field".into()));
    }
    let mut keys = HashSet::new();
    for field in &def.fields {
        let valid_key = (1..=32).contains(&field.key.len())
            && field.key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid_key || !keys.insert(field.key.as_str()) {
            return Err(invalid(format!("field key {:?} invalid or twice", field.key)));
        }
        if field.max == 0 || field.max > 200 {
            return Err(invalid(format!("field {}: max must be 1-200", field.key)));
        }
    }
    if def.sections.is_empty() {
        return Err(invalid("no section".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_catalogue_has_the_ten_types() {
        let catalogue = LetterCatalogue::builtin();
        let codes: Vec<&str> = catalogue.types().iter().map(|def| def.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "sktm",
                "domisili",
                "usaha",
                "pengantar_skck",
                "belum_menikah",
                "pengantar_nikah",
                "kelahiran",
                "kematian",
                "penghasilan_ortu",
                "keterangan_umum"
            ]
        );
        let sktm = catalogue.get(&LetterCode::parse("sktm").expect("code")).expect("sktm");
        assert_eq!((sktm.applicant, sktm.issue), (Applicant::HeadOfFamily, IssueRule::Poverty));
        assert_eq!(catalogue.for_kiosks().len(), 10);
    }

    #[test]
    fn a_template_with_an_unknown_variable_is_refused_at_start() {
        let broken = DEFAULT_TOML.replacen("{{ subject.name }}", "{{ subject.nama }}", 1);
        let error = LetterCatalogue::parse(&broken).expect_err("refused");
        assert!(matches!(error, LetterCatalogueError::Template { .. }), "{error}");
        let unclosed = DEFAULT_TOML.replacen("{{ subject.nik }}", "{{ subject.nik ", 1);
        assert!(LetterCatalogue::parse(&unclosed).is_err());
    }

    #[test]
    fn a_type_without_purpose_or_with_a_duplicate_code_is_refused() {
        let twice = DEFAULT_TOML.replacen("code = \"domisili\"", "code = \"sktm\"", 1);
        assert!(LetterCatalogue::parse(&twice).expect_err("twice").to_string().contains("twice"));
        let no_purpose = DEFAULT_TOML.replace("key = \"purpose\"", "key = \"keperluan\"");
        assert!(LetterCatalogue::parse(&no_purpose).is_err());
    }

    #[test]
    fn answers_are_checked_against_the_types_fields() {
        let catalogue = LetterCatalogue::builtin();
        let usaha = catalogue.get(&LetterCode::parse("usaha").expect("code")).expect("usaha");
        let mut given = BTreeMap::new();
        given.insert("business_name".to_owned(), " Warung\x1b Bu Siti ".to_owned());
        given.insert("business_kind".to_owned(), "warung makan".to_owned());
        let answers = usaha.clean_fields("pengajuan KUR", &given).expect("valid");
        assert_eq!(answers["business_name"], "Warung Bu Siti");
        assert_eq!(answers["business_address"], "", "optional and empty");
        assert_eq!(answers["purpose"], "pengajuan KUR");
        given.insert("salary".to_owned(), "1".to_owned());
        assert!(usaha.clean_fields("pengajuan KUR", &given).is_err(), "a field it has not");
        given.remove("salary");
        given.remove("business_kind");
        assert!(usaha.clean_fields("pengajuan KUR", &given).is_err(), "a required field missing");
    }
}
