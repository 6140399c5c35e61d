//! Who may ask for a letter, and whether it is issued at once or waits for the desa staff.
//!
//! A letter prints the full NIK, birth date and address, so it is issued at once only to
//! someone who proved presence with the e-KTP in the reader; a NIK typed on the keypad always
//! sends the request to the staff, whose check of the KTP at the office is the proof. A dead
//! or moved-away resident is refused before these rules (`http::letters`).

use protocol::Text;
use protocol::api::NikEntry;
use protocol::letter::Applicant;

use super::catalogue::{IssueRule, LetterDef};

/// OpenSID's `status_kawin` code for "belum kawin".
pub const UNMARRIED: u8 = 1;

/// What the registry says that the rules weigh.
#[derive(Debug, Clone, Default)]
pub struct Standing {
    /// The applicant is the head of their KK.
    pub head_of_family: bool,
    /// The family's DTSEN desil, when imported.
    pub desil: Option<u8>,
    /// Programs the family (or a member) holds an active membership of.
    pub active_programs: Vec<String>,
    pub marital_status: Option<u8>,
}

/// The decision on a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Issued now, printed at the end of the flow.
    AtOnce,
    /// Waits for the desa staff; the text says why, on screen and on the slip.
    Staff(Text),
    /// Not made at all.
    Refused(Text),
}

pub fn decide(
    def: &LetterDef,
    standing: &Standing,
    entry: NikEntry,
    poverty_programs: &[String],
) -> Decision {
    if def.applicant == Applicant::HeadOfFamily && !standing.head_of_family {
        return Decision::Refused(Text::new(
            "Surat ini hanya dapat diajukan oleh kepala keluarga. Minta kepala keluarga Anda mengajukannya dengan KTP-nya.",
            "Only the head of the family can ask for this letter. Ask your head of family to ask for it with their KTP.",
        ));
    }
    let rule_allows = match def.issue {
        IssueRule::AtOnce => Ok(()),
        IssueRule::Staff => Err(Text::new(
            "Surat ini diperiksa petugas desa sebelum terbit.",
            "The village staff check this letter before it is issued.",
        )),
        IssueRule::Poverty => {
            let poor_by_desil = standing.desil.is_some_and(|desil| (1..=4).contains(&desil));
            let in_program =
                standing.active_programs.iter().any(|program| poverty_programs.contains(program));
            if poor_by_desil || in_program {
                Ok(())
            } else {
                Err(Text::new(
                    "Perlu verifikasi: keluarga Anda belum tercatat sebagai keluarga miskin (desil 1-4) atau penerima bansos, jadi petugas desa memeriksanya dahulu.",
                    "Needs verification: your family is not recorded as poor (decile 1-4) or as a bansos recipient, so the village staff check it first.",
                ))
            }
        }
        IssueRule::Unmarried if standing.marital_status == Some(UNMARRIED) => Ok(()),
        IssueRule::Unmarried => Err(Text::new(
            "Perlu verifikasi: data desa tidak mencatat Anda belum kawin, jadi petugas desa memeriksanya dahulu.",
            "Needs verification: the village records do not show you as not married, so the village staff check it first.",
        )),
    };
    match (rule_allows, entry) {
        // Typed: whatever else the staff check, they check the KTP too.
        (Err(why), NikEntry::Keypad) => Decision::Staff(Text::new(
            format!("{} Bawa KTP Anda ke kantor desa.", why.id),
            format!("{} Bring your KTP to the village office.", why.en),
        )),
        (Err(why), NikEntry::Card) => Decision::Staff(why),
        (Ok(()), NikEntry::Card) => Decision::AtOnce,
        (Ok(()), NikEntry::Keypad) => Decision::Staff(Text::new(
            "NIK diketik, bukan dibaca dari e-KTP: petugas desa mencocokkan KTP Anda sebelum surat terbit. Bawa KTP Anda.",
            "The NIK was typed, not read from the e-KTP: the village staff check your KTP before the letter is issued. Bring your KTP.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::letters::LetterCatalogue;
    use protocol::letter::LetterCode;

    fn decide_for(code: &str, standing: &Standing, entry: NikEntry) -> Decision {
        let catalogue = LetterCatalogue::builtin();
        let def = catalogue.get(&LetterCode::parse(code).expect("code")).expect("type");
        decide(def, standing, entry, &catalogue.poverty_programs)
    }

    fn head() -> Standing {
        Standing { head_of_family: true, ..Standing::default() }
    }

    #[test]
    fn the_sktm_is_issued_at_once_only_to_a_poor_family_with_the_card_read() {
        let poor = Standing { desil: Some(3), ..head() };
        assert_eq!(decide_for("sktm", &poor, NikEntry::Card), Decision::AtOnce);
        let in_pkh = Standing { desil: Some(7), active_programs: vec!["PKH".into()], ..head() };
        assert_eq!(decide_for("sktm", &in_pkh, NikEntry::Card), Decision::AtOnce);
        let Decision::Staff(why) =
            decide_for("sktm", &Standing { desil: Some(6), ..head() }, NikEntry::Card)
        else {
            panic!("a family not poor by desil or program waits");
        };
        assert!(why.id.starts_with("Perlu verifikasi") && why.en.starts_with("Needs verification"));
        let Decision::Staff(both) =
            decide_for("sktm", &Standing { desil: Some(6), ..head() }, NikEntry::Keypad)
        else {
            panic!("waits");
        };
        assert!(both.id.contains("Perlu verifikasi") && both.id.contains("Bawa KTP"), "{both:?}");
        let unknown = Standing { active_programs: vec!["GURU_NGAJI".into()], ..head() };
        assert!(matches!(decide_for("sktm", &unknown, NikEntry::Card), Decision::Staff(_)));
        let Decision::Staff(typed) = decide_for("sktm", &poor, NikEntry::Keypad) else {
            panic!("a typed NIK always waits");
        };
        assert!(typed.id.contains("Bawa KTP"), "{typed:?}");
    }

    #[test]
    fn only_the_head_of_family_asks_for_the_sktm() {
        let member = Standing { desil: Some(1), ..Standing::default() };
        assert!(matches!(decide_for("sktm", &member, NikEntry::Card), Decision::Refused(_)));
        assert_eq!(decide_for("domisili", &member, NikEntry::Card), Decision::AtOnce);
    }

    #[test]
    fn staff_types_always_wait_and_unmarried_follows_the_registry() {
        assert!(matches!(decide_for("usaha", &head(), NikEntry::Card), Decision::Staff(_)));
        let single = Standing { marital_status: Some(UNMARRIED), ..head() };
        assert_eq!(decide_for("belum_menikah", &single, NikEntry::Card), Decision::AtOnce);
        let married = Standing { marital_status: Some(2), ..head() };
        assert!(matches!(
            decide_for("belum_menikah", &married, NikEntry::Card),
            Decision::Staff(_)
        ));
    }
}
