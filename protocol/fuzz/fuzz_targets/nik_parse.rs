//! Any bytes through the NIK and KK parsers: no panic, and whatever parses is 16 digits that
//! parse again to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocol::{Nik, NoKk};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(nik) = Nik::parse(text) {
        assert_eq!(nik.as_str().len(), 16);
        assert_eq!(Nik::parse(nik.as_str()), Ok(nik));
        assert!(!nik.masked().contains(&nik.as_str()[4..12]));
    }
    if let Ok(kk) = NoKk::parse(text) {
        assert_eq!(NoKk::parse(kk.as_str()), Ok(kk));
    }
});
