//! Free text typed on the on-screen keyboard.
//!
//! Keys send capital letters; a letter is written as a capital only at the start of the
//! text or of a sentence, so the visitor never needs a shift key and the text still reads
//! like a normal sentence.

use protocol::Text;
use protocol::api::REPORT_TEXT_MAX;

/// How long a text may be, in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextLimit(pub usize);

impl TextLimit {
    /// The report's description: what the central service accepts.
    pub const REPORT: TextLimit = TextLimit(REPORT_TEXT_MAX);
    /// A letter's purpose: one line on the letter.
    pub const LETTER_PURPOSE: TextLimit = TextLimit(protocol::letter::LETTER_PURPOSE_MAX);
}

/// Applies one key (`A`..`Z`, a digit, `,` `.` `-`, `space`, `back`, `clear`) to `text`.
/// Returns why a key was refused (the text is full), or `None`.
pub fn edit_text(text: &mut String, key: &str, limit: TextLimit) -> Option<Text> {
    match key {
        "back" => {
            text.pop();
            return None;
        }
        "clear" => {
            text.clear();
            return None;
        }
        _ => {}
    }
    let ch = match key {
        "space" => {
            // No leading or double spaces: they only confuse the count.
            if text.is_empty() || text.ends_with(' ') {
                return None;
            }
            ' '
        }
        _ => {
            let mut chars = key.chars();
            let (Some(ch), None) = (chars.next(), chars.next()) else { return None };
            if !(ch.is_ascii_alphanumeric() || ",.-".contains(ch)) {
                return None;
            }
            if sentence_start(text) { ch.to_ascii_uppercase() } else { ch.to_ascii_lowercase() }
        }
    };
    if text.chars().count() >= limit.0 {
        return Some(Text::new(
            format!("Teks sudah penuh: paling banyak {} huruf.", limit.0),
            format!("The text is full: at most {} characters.", limit.0),
        ));
    }
    text.push(ch);
    None
}

fn sentence_start(text: &str) -> bool {
    let trimmed = text.trim_end();
    trimmed.is_empty() || trimmed.ends_with('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(keys: &[&str]) -> String {
        let mut text = String::new();
        for key in keys {
            edit_text(&mut text, key, TextLimit(40));
        }
        text
    }

    #[test]
    fn capitals_only_at_the_start_of_a_sentence() {
        let keys = [
            "space", "S", "A", "K", "I", "T", "space", "space", "space", "3", ".", "space", "B",
            "U",
        ];
        assert_eq!(typed(&keys), "Sakit 3. Bu");
        assert_eq!(typed(&["A", "B", "back", "C"]), "Ac");
        assert_eq!(typed(&["A", "space", "B", "clear", "C"]), "C");
        assert_eq!(typed(&["é", "AB", "?", "Q"]), "Q", "only single keyboard keys");
    }

    #[test]
    fn a_full_text_refuses_more_and_says_so() {
        let mut text = "x".repeat(40);
        let error = edit_text(&mut text, "A", TextLimit(40)).expect("full");
        assert!(error.id.contains("40 huruf"));
        assert_eq!(text.len(), 40);
        assert_eq!(edit_text(&mut text, "back", TextLimit(40)), None);
        assert_eq!(text.len(), 39);
    }
}
