//! A letter as staff see it before they have given a reason: every run of 16 digits (the
//! applicant's NIK, a KK number, family members' NIKs in a table) masked as lists mask them,
//! and no seal (the QR code carries the full NIK and name, so a scan of the screen would
//! read them). What prints is the unmasked document: the console and the API show it only
//! for an audited reason (`registry_access::UnmaskReason`).

use protocol::letter::LetterDocument;
use protocol::letter::document::Block;
use protocol::mask::mask_digits_in;

/// `document` with its NIKs and KK numbers masked and its seal left out.
pub fn masked(document: &LetterDocument) -> LetterDocument {
    let mut shown = document.clone();
    let mask = |text: &mut String| *text = mask_digits_in(text);
    for text in [
        &mut shown.kop.government,
        &mut shown.kop.kecamatan,
        &mut shown.kop.desa,
        &mut shown.kop.address,
        &mut shown.title,
        &mut shown.number,
        &mut shown.signer.place_date,
        &mut shown.signer.on_behalf,
        &mut shown.signer.position,
        &mut shown.signer.name,
    ] {
        mask(text);
    }
    shown.signer.nip.iter_mut().for_each(mask);
    shown.footer.iter_mut().for_each(mask);
    for block in &mut shown.body {
        match block {
            Block::Paragraph { text } => mask(text),
            Block::Fields { rows } => rows.iter_mut().for_each(|row| {
                mask(&mut row.label);
                mask(&mut row.value);
            }),
            Block::Table { header, rows } => {
                header.iter_mut().for_each(mask);
                rows.iter_mut().flatten().for_each(mask);
            }
        }
    }
    shown.qr.clear();
    shown
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::letters::catalogue::LetterCatalogue;
    use crate::letters::samples::samples;

    #[test]
    fn no_sixteen_digits_and_no_seal_are_left() {
        for (_, document) in samples(&LetterCatalogue::builtin()) {
            assert!(!document.qr.is_empty());
            let shown = masked(&document);
            assert!(shown.qr.is_empty());
            for text in shown.texts() {
                let longest =
                    text.split(|c: char| !c.is_ascii_digit()).map(str::len).max().unwrap_or(0);
                assert!(longest < 16, "{text}");
            }
        }
    }
}
