//! Indonesian mobile numbers as reports carry them: one rule for the kiosk, which checks as
//! the citizen types, and the central service, which checks again at its boundary.

/// An Indonesian mobile number in national form (`08...`, 10 to 13 digits), or `None`.
/// Accepts spaces, dashes, dots, brackets and a `+62`/`62` prefix.
pub fn normalise_phone(raw: &str) -> Option<String> {
    let digits: String =
        raw.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')')).collect();
    let national = if let Some(rest) = digits.strip_prefix("+62") {
        format!("0{rest}")
    } else if let Some(rest) = digits.strip_prefix("62") {
        format!("0{rest}")
    } else {
        digits
    };
    let valid = national.starts_with("08")
        && (10..=13).contains(&national.len())
        && national.bytes().all(|b| b.is_ascii_digit());
    valid.then_some(national)
}

#[cfg(test)]
mod tests {
    use super::normalise_phone;

    #[test]
    fn mobile_numbers_are_normalised_and_others_refused() {
        assert_eq!(normalise_phone("0812-3456-7890").as_deref(), Some("081234567890"));
        assert_eq!(normalise_phone("+62 812 3456 789").as_deref(), Some("08123456789"));
        assert_eq!(normalise_phone("6281234567890").as_deref(), Some("081234567890"));
        assert_eq!(normalise_phone("0331 123456"), None, "a landline");
        assert_eq!(normalise_phone("08123"), None);
        assert_eq!(normalise_phone("08x2345678901"), None);
        assert_eq!(normalise_phone("08123456789012"), None, "14 digits");
    }
}
