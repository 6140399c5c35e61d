//! Masking of personal data for screens, receipts and logs.

/// Keeps the first letter of each word of a name: `BUDI SANTOSO` -> `B*** S******`.
///
/// Enough for a person to recognise their own household on a slip, not enough for a
/// passer-by to learn who receives assistance.
pub fn mask_name(name: &str) -> String {
    name.split_whitespace()
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<String>>()
        .join(" ")
}

/// Masks any run of 16 digits in free text (log lines, error messages) as a NIK would be.
pub fn mask_digits_in(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let run = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        if run >= 16 {
            let digits = &text[i..i + run];
            out.push_str(&digits[..4]);
            out.extend(std::iter::repeat_n('*', run - 8));
            out.push_str(&digits[run - 4..]);
            i += run;
        } else if run > 0 {
            out.push_str(&text[i..i + run]);
            i += run;
        } else {
            let ch = text[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_initials() {
        assert_eq!(mask_name("BUDI SANTOSO"), "B*** S******");
        assert_eq!(mask_name("  Siti   Aminah "), "S*** A*****");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn digit_runs_in_text_are_masked() {
        assert_eq!(
            mask_digits_in("lookup nik=3510011203850001 ok, id 42"),
            "lookup nik=3510********0001 ok, id 42"
        );
        assert_eq!(mask_digits_in("Jl. Ketapang № 12"), "Jl. Ketapang № 12");
    }
}
