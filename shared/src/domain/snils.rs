use std::fmt;

use serde::{Deserialize, Serialize};

use super::checksum::{digits, strip_separators};

/// Below and at 001-001-998 a SNILS carries no check number.
const LAST_UNCHECKED: u32 = 1_001_998;

/// Individual insurance account number (СНИЛС) of an employee, stored as 11 digits.
///
/// Personal data: never log it; use [`Snils::masked`].
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Snils(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SnilsError {
    #[error("SNILS must be 11 digits, e.g. 112-233-445 95")]
    Format,
    #[error("SNILS check number does not match")]
    Checksum,
}

impl Snils {
    /// Accepts `112-233-445 95`, `11223344595` and other groupings with spaces or dashes.
    pub fn parse(input: &str) -> Result<Self, SnilsError> {
        let s = strip_separators(input.trim());
        let d = digits(&s).ok_or(SnilsError::Format)?;
        if d.len() != 11 {
            return Err(SnilsError::Format);
        }
        let number = d[..9].iter().fold(0u32, |acc, x| acc * 10 + x);
        let given = d[9] * 10 + d[10];
        if number > LAST_UNCHECKED && check_number(&d[..9]) != given {
            return Err(SnilsError::Checksum);
        }
        Ok(Self(s))
    }

    /// `112-233-445 95`.
    pub fn formatted(&self) -> String {
        let s = &self.0;
        format!("{}-{}-{} {}", &s[..3], &s[3..6], &s[6..9], &s[9..])
    }

    /// `***-***-445 95`: what logs and status responses show.
    pub fn masked(&self) -> String {
        let s = &self.0;
        format!("***-***-{} {}", &s[6..9], &s[9..])
    }
}

/// Weights 9..1 over the first nine digits; the sum itself below 100, `00` for 100 and
/// 101, otherwise the sum mod 101 (100 again giving `00`).
pub(crate) fn check_number(nine: &[u32]) -> u32 {
    let sum: u32 = nine.iter().zip((1..=9).rev()).map(|(d, w)| d * w).sum();
    match sum {
        0..=99 => sum,
        100 | 101 => 0,
        _ => (sum % 101) % 100,
    }
}

impl fmt::Debug for Snils {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Snils({})", self.masked())
    }
}

impl AsRef<str> for Snils {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Snils {
    type Error = SnilsError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Snils> for String {
    fn from(value: Snils) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn spec_samples() {
        for (input, canonical) in [
            ("112-233-445 95", "11223344595"),
            ("006-996-682 00", "00699668200"),
            ("11223344595", "11223344595"),
            ("112 233 445 95", "11223344595"),
        ] {
            assert_eq!(
                Snils::parse(input).map(String::from),
                Ok(canonical.to_owned()),
                "{input}"
            );
        }
        for bad in [
            "112-233-445 96",
            "112-233-445 94",
            "006-996-682 01",
            "006-996-682 10",
        ] {
            assert_eq!(Snils::parse(bad), Err(SnilsError::Checksum), "{bad}");
        }
    }

    #[test]
    fn low_numbers_are_accepted_on_format_alone() {
        assert!(Snils::parse("001-001-998 00").is_ok());
        assert!(Snils::parse("001-001-998 77").is_ok());
        assert_eq!(Snils::parse("001-001-999 77"), Err(SnilsError::Checksum));
    }

    #[test]
    fn format_errors() {
        for bad in [
            "",
            "112-233-445 9",
            "112-233-445 955",
            "112-233-44a 95",
            "112.233.445 95",
        ] {
            assert_eq!(Snils::parse(bad), Err(SnilsError::Format), "{bad}");
        }
    }

    #[test]
    fn display_forms() {
        let snils = Snils::parse("11223344595").unwrap();
        assert_eq!(snils.formatted(), "112-233-445 95");
        assert_eq!(snils.masked(), "***-***-445 95");
        assert_eq!(format!("{snils:?}"), "Snils(***-***-445 95)");
    }

    fn render(nine: &[u32], check: u32) -> String {
        let body: String = nine.iter().map(|d| d.to_string()).collect();
        format!("{body}{check:02}")
    }

    proptest! {
        #[test]
        fn generated_snils_parses_and_any_other_check_number_fails(
            nine in proptest::collection::vec(0u32..10, 9)
                .prop_filter("checked range", |d| d.iter().fold(0u32, |a, x| a * 10 + x) > LAST_UNCHECKED),
            other in 0u32..100) {
            let check = check_number(&nine);
            prop_assert!(Snils::parse(&render(&nine, check)).is_ok());
            prop_assume!(other != check);
            prop_assert_eq!(Snils::parse(&render(&nine, other)), Err(SnilsError::Checksum));
        }

        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = Snils::parse(&s);
        }
    }
}
