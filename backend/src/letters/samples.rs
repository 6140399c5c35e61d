//! One made-up letter of every type, rendered and sealed with a fixed key: the fixtures of
//! the golden tests (the kiosk's ESC/POS, the A4 PDF) and what `backend letter samples`
//! prints for anyone reviewing the catalogue's texts.

use protocol::letter::LetterDocument;
use protocol::letter::seal::LetterSeal;
use protocol::signed::SigningKey;

use super::LetterCatalogue;
use super::render::{render, sample_facts};

/// The key samples are sealed with (never a desa's: a fixed seed anyone can see).
pub fn sample_key() -> SigningKey {
    SigningKey::from_seed([7; 32])
}

/// Every type of `catalogue` rendered on the sample family, numbered 1 and sealed.
pub fn samples(catalogue: &LetterCatalogue) -> Vec<(String, LetterDocument)> {
    let key = sample_key();
    catalogue
        .types()
        .iter()
        .enumerate()
        .filter_map(|(index, def)| {
            let mut facts = sample_facts(def);
            if let Some(purpose) = facts.fields.get_mut("purpose") {
                *purpose = "syarat pendaftaran beasiswa sekolah anak".into();
            }
            facts.number = format!("470/{:03}/35.10.15.2001/XII/2026", index + 1);
            let mut document = render(catalogue, def, &facts).ok()?;
            let id = format!("SAMPLE{:04}", index + 1);
            document.qr = LetterSeal {
                id: id.clone(),
                desa_code: facts.desa.code,
                letter: def.code.to_string(),
                number: facts.number.clone(),
                issued_on: "2026-12-07".into(),
                nik: facts.subject.nik.clone(),
                name: facts.subject.name.clone(),
            }
            .payload(&key);
            document.footer = vec![
                "Surat ini ditandatangani secara elektronik dengan kunci desa.".into(),
                format!("Periksa keaslian: https://anjungan.banyuwangikab.go.id/verify/{id}"),
            ];
            Some((def.code.to_string(), document))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::letter::seal::DesaKeys;

    #[test]
    fn every_type_renders_and_its_seal_verifies() {
        let catalogue = LetterCatalogue::builtin();
        let samples = samples(&catalogue);
        assert_eq!(samples.len(), catalogue.types().len());
        let mut keys = DesaKeys::new();
        keys.add(3510152001, sample_key().public_key());
        for (code, document) in &samples {
            let seal = LetterSeal::verify(&document.qr, &keys).expect("verifies");
            assert_eq!(&seal.letter, code);
            assert!(document.texts().iter().all(|text| !text.chars().any(char::is_control)));
        }
    }
}
