//! Any bytes through the ESC/POS decoder (and the preview drawn from it): no panic, and what
//! it reports as printed text never holds a control character.
#![no_main]

use hardware::printer::Paper;
use hardware::printer::decode::decode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let decoded = decode(data);
    for line in &decoded.lines {
        assert!(!line.text.chars().any(char::is_control), "{:?}", line.text);
    }
    // The preview allocates by what the stream asks for; keep inputs to receipt size.
    if data.len() <= 4096 {
        let picture = hardware::printer::preview::render_bytes(data, Paper::Mm58);
        assert_eq!(picture.image.width(), Paper::Mm58.dot_width());
    }
});
