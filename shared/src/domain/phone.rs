use std::fmt;

use serde::{Deserialize, Serialize};

/// A Russian phone number in canonical E.164 form, `+7` and ten digits.
///
/// Russian national numbers begin with 3, 4, 8 or 9; `+7 6…` and `+7 7…` belong to
/// Kazakhstan and are refused.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

/// Masked like a log line, so a `{:?}` of anything holding a number cannot leak it.
impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("not a Russian phone number: expected +7 and 10 digits")]
    Invalid,
}

impl PhoneNumber {
    /// Parses what a person types: `+7 916 123-45-67`, `8 (916) 123-45-67`, `79161234567`.
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let trimmed = input.trim();
        let (plus, rest) = match trimmed.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let mut digits = String::with_capacity(11);
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '(' | ')' | '\u{a0}' => {}
                _ => return Err(PhoneError::Invalid),
            }
        }
        if digits.len() != 11 {
            return Err(PhoneError::Invalid);
        }
        let national = match (plus, &digits[..1]) {
            (true, "7") | (false, "7") | (false, "8") => &digits[1..],
            _ => return Err(PhoneError::Invalid),
        };
        Self::from_national(national)
    }

    /// Parses a path segment: the canonical form (its `+` possibly percent-encoded)
    /// or 11 digits starting with 7. Nothing else, so one number has few spellings in URLs.
    pub fn parse_path(segment: &str) -> Result<Self, PhoneError> {
        let rest = segment
            .strip_prefix('+')
            .or_else(|| segment.strip_prefix("%2B"))
            .or_else(|| segment.strip_prefix("%2b"))
            .unwrap_or(segment);
        if rest.len() != 11 || !rest.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PhoneError::Invalid);
        }
        match rest.strip_prefix('7') {
            Some(national) => Self::from_national(national),
            None => Err(PhoneError::Invalid),
        }
    }

    fn from_national(national: &str) -> Result<Self, PhoneError> {
        match national.as_bytes().first() {
            Some(b'3' | b'4' | b'8' | b'9') => Ok(Self(format!("+7{national}"))),
            _ => Err(PhoneError::Invalid),
        }
    }

    /// The number for logs: `+7******4567`.
    pub fn masked(&self) -> String {
        format!("+7******{}", &self.0[self.0.len() - 4..])
    }
}

impl AsRef<str> for PhoneNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = PhoneError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PhoneNumber> for String {
    fn from(value: PhoneNumber) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_the_spellings_people_type() {
        for input in [
            "+7 916 123-45-67",
            "8 (916) 123-45-67",
            "79161234567",
            "+79161234567",
            "89161234567",
            " +7(916)1234567 ",
        ] {
            assert_eq!(
                PhoneNumber::parse(input).map(String::from),
                Ok("+79161234567".to_owned()),
                "{input}"
            );
        }
    }

    #[test]
    fn refuses_everything_else() {
        for (input, why) in [
            ("", "empty"),
            ("9161234567", "ten digits without a country code"),
            ("+8 916 123-45-67", "8 with a plus is not a trunk prefix"),
            ("+7916123456", "too short"),
            ("+791612345678", "too long"),
            ("+7 916 123-45-6a", "a letter"),
            ("+7 716 123-45-67", "Kazakhstan range"),
            ("+7 016 123-45-67", "unassigned range"),
            ("+1 916 123-45-67", "another country"),
            ("+7 916 123.45.67", "dots are not separators"),
            ("++79161234567", "double plus"),
            ("７９１６１２３４５６７", "full-width digits"),
        ] {
            assert!(PhoneNumber::parse(input).is_err(), "{why}: {input}");
        }
    }

    #[test]
    fn path_form_is_strict() {
        for ok in ["+79161234567", "%2B79161234567", "79161234567"] {
            assert_eq!(
                PhoneNumber::parse_path(ok).map(String::from),
                Ok("+79161234567".into())
            );
        }
        for bad in ["89161234567", "+7 916 1234567", "9161234567", "+7916123456"] {
            assert!(PhoneNumber::parse_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn masking_keeps_only_the_last_four_digits() {
        let phone = PhoneNumber::parse("+79161234567").unwrap();
        assert_eq!(phone.masked(), "+7******4567");
    }

    proptest! {
        #[test]
        fn every_russian_number_parses_in_every_spelling(first in "[3489]", rest in "[0-9]{9}") {
            let national = format!("{first}{rest}");
            let canonical = format!("+7{national}");
            for spelling in [
                canonical.clone(),
                format!("8{national}"),
                format!("7{national}"),
                format!("+7 ({}) {}-{}-{}", &national[..3], &national[3..6], &national[6..8], &national[8..]),
            ] {
                prop_assert_eq!(PhoneNumber::parse(&spelling).map(String::from), Ok(canonical.clone()));
            }
        }

        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = PhoneNumber::parse(&s);
            let _ = PhoneNumber::parse_path(&s);
        }
    }
}
