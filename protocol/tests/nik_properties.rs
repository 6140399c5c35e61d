//! Properties of NIK parsing over generated inputs: every well-formed NIK round-trips its
//! fields, every malformed one is refused with the right kind, and nothing panics.

use proptest::prelude::*;
use protocol::region::regions;
use protocol::{Nik, NikError, NoKk, Sex};

/// Districts of a few regencies across the country, including Banyuwangi.
fn district() -> impl Strategy<Value = u32> {
    let codes: Vec<u32> = [3510, 1101, 3171, 5171, 9471, 7371]
        .iter()
        .flat_map(|regency| regions().districts_of(*regency))
        .map(|(code, _)| code)
        .collect();
    proptest::sample::select(codes)
}

fn days_in(month: u32, yy: u32) -> u32 {
    match month {
        2 if yy.is_multiple_of(4) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

proptest! {
    #[test]
    fn well_formed_niks_round_trip(
        district in district(),
        month in 1u32..=12,
        yy in 0u32..=99,
        day_seed in 0u32..31,
        female in any::<bool>(),
        serial in 1u32..=9999,
    ) {
        let day = day_seed % days_in(month, yy) + 1;
        let coded_day = if female { day + 40 } else { day };
        let text = format!("{district:06}{coded_day:02}{month:02}{yy:02}{serial:04}");
        let nik = Nik::parse(&text).expect("well-formed NIK");
        prop_assert_eq!(nik.as_str(), text.as_str());
        prop_assert_eq!(nik.district_code(), district);
        prop_assert_eq!(nik.sex(), if female { Sex::Female } else { Sex::Male });
        prop_assert_eq!(u32::from(nik.birth_date().day), day);
        prop_assert_eq!(u32::from(nik.birth_date().month), month);
        prop_assert_eq!(u32::from(nik.serial()), serial);
        let masked = nik.masked();
        prop_assert!(!masked.contains(&text[4..12]), "district and birth date hidden");
        prop_assert_eq!(masked.len(), 16);
    }

    #[test]
    fn days_that_no_one_is_born_on_are_refused(
        district in district(),
        day in prop_oneof![Just(0u32), 32u32..=40, 72u32..=99],
        month in 1u32..=12,
        yy in 0u32..=99,
    ) {
        let text = format!("{district:06}{day:02}{month:02}{yy:02}0001");
        prop_assert_eq!(
            Nik::parse(&text),
            Err(NikError::InvalidDate { day: day as u8, month: month as u8 })
        );
    }

    #[test]
    fn wrong_lengths_are_reported_as_such(digits in "[0-9]{0,15}|[0-9]{17,30}") {
        prop_assert_eq!(Nik::parse(&digits), Err(NikError::WrongLength { found: digits.len() }));
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = Nik::parse(&text);
        let _ = NoKk::parse(&text);
    }

    #[test]
    fn valid_niks_pass_serde(district in district(), serial in 1u32..=9999) {
        let text = format!("{district:06}010190{serial:04}");
        let json = format!("\"{text}\"");
        let nik: Nik = serde_json::from_str(&json).expect("deserialize");
        prop_assert_eq!(serde_json::to_string(&nik).expect("serialize"), json);
    }
}
