//! Check-digit arithmetic shared by the Russian registry identifiers.

/// Digits of an ASCII digit string. `None` if any character is not `0-9`.
pub(crate) fn digits(s: &str) -> Option<Vec<u32>> {
    s.chars().map(|c| c.to_digit(10)).collect()
}

/// `sum(d_i * w_i) mod 11 mod 10`: the INN check digit.
pub(crate) fn inn_check_digit(digits: &[u32], weights: &[u32]) -> u32 {
    let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
    sum % 11 % 10
}

/// The first `n` digits as a number, modulo `m`: OGRN and OGRNIP check.
pub(crate) fn prefix_mod(digits: &[u32], m: u64) -> u64 {
    digits
        .iter()
        .fold(0u64, |acc, d| (acc * 10 + u64::from(*d)) % m)
}

/// Removes the separators a person may type between digit groups.
pub(crate) fn strip_separators(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\u{a0}' | '\u{2011}' | '\u{2013}'))
        .collect()
}
