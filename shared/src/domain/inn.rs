use std::fmt;

use serde::{Deserialize, Serialize};

use super::checksum::{digits, inn_check_digit};

const LEGAL_WEIGHTS: [u32; 9] = [2, 4, 10, 3, 5, 9, 4, 6, 8];
const PERSON_WEIGHTS_11: [u32; 10] = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
const PERSON_WEIGHTS_12: [u32; 11] = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8];

/// Taxpayer number (ИНН) of an organization: 10 digits for a legal entity, 12 for an
/// individual entrepreneur, check digits verified.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Inn(String);

/// Which kind of organization an INN (and so an application) belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganizationKind {
    LegalEntity,
    Entrepreneur,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InnError {
    #[error("INN must be 10 digits (legal entity) or 12 digits (entrepreneur)")]
    Format,
    #[error("a legal entity's INN cannot start with 00")]
    ZeroRegion,
    #[error("INN check digit does not match")]
    Checksum,
}

impl OrganizationKind {
    /// The kind an INN's length tells (10 digits: legal entity, 12: entrepreneur), even
    /// when its check digits are wrong, so the rules for the kind can still be applied.
    pub fn of_inn_input(input: &str) -> Option<Self> {
        match digits(input.trim())?.len() {
            10 => Some(Self::LegalEntity),
            12 => Some(Self::Entrepreneur),
            _ => None,
        }
    }
}

impl Inn {
    pub fn parse(input: &str) -> Result<Self, InnError> {
        let s = input.trim();
        let d = digits(s).ok_or(InnError::Format)?;
        match d.len() {
            10 => {
                if s.starts_with("00") {
                    return Err(InnError::ZeroRegion);
                }
                if inn_check_digit(&d[..9], &LEGAL_WEIGHTS) != d[9] {
                    return Err(InnError::Checksum);
                }
            }
            12 => {
                if inn_check_digit(&d[..10], &PERSON_WEIGHTS_11) != d[10]
                    || inn_check_digit(&d[..11], &PERSON_WEIGHTS_12) != d[11]
                {
                    return Err(InnError::Checksum);
                }
            }
            _ => return Err(InnError::Format),
        }
        Ok(Self(s.to_owned()))
    }

    pub fn kind(&self) -> OrganizationKind {
        if self.0.len() == 10 {
            OrganizationKind::LegalEntity
        } else {
            OrganizationKind::Entrepreneur
        }
    }
}

impl AsRef<str> for Inn {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Inn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Inn {
    type Error = InnError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Inn> for String {
    fn from(value: Inn) -> Self {
        value.0
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A valid legal-entity INN built from nine free digits.
    pub fn legal_inn(body: &[u32]) -> String {
        let check = inn_check_digit(body, &LEGAL_WEIGHTS);
        body.iter()
            .chain([check].iter())
            .map(|d| d.to_string())
            .collect()
    }

    /// A valid entrepreneur INN built from ten free digits.
    pub fn person_inn(body: &[u32]) -> String {
        let mut d = body.to_vec();
        d.push(inn_check_digit(&d, &PERSON_WEIGHTS_11));
        d.push(inn_check_digit(&d, &PERSON_WEIGHTS_12));
        d.iter().map(|d| d.to_string()).collect()
    }

    fn bump_last(s: &str, delta: u32) -> String {
        let mut chars: Vec<char> = s.chars().collect();
        let last = chars.len() - 1;
        let d = chars[last].to_digit(10).unwrap();
        chars[last] = char::from_digit((d + delta) % 10, 10).unwrap();
        chars.into_iter().collect()
    }

    #[test]
    fn spec_samples_pass_and_fail_with_any_other_last_digit() {
        for (sample, kind) in [
            ("7707083893", OrganizationKind::LegalEntity),
            ("7701234560", OrganizationKind::LegalEntity),
            ("500100732259", OrganizationKind::Entrepreneur),
            ("771234567859", OrganizationKind::Entrepreneur),
        ] {
            assert_eq!(Inn::parse(sample).map(|i| i.kind()), Ok(kind), "{sample}");
            for delta in 1..10 {
                let broken = bump_last(sample, delta);
                assert_eq!(Inn::parse(&broken), Err(InnError::Checksum), "{broken}");
            }
        }
    }

    #[test]
    fn format_errors() {
        for (input, err) in [
            ("", InnError::Format),
            ("770708389", InnError::Format),
            ("77070838933", InnError::Format),
            ("77070838a3", InnError::Format),
            ("7707 083893", InnError::Format),
            ("0007083893", InnError::ZeroRegion),
        ] {
            assert_eq!(Inn::parse(input), Err(err), "{input}");
        }
    }

    proptest! {
        #[test]
        fn every_generated_legal_inn_parses(body in proptest::collection::vec(0u32..10, 9)
            .prop_filter("region 00 is not issued", |b| !(b[0] == 0 && b[1] == 0))) {
            let inn = legal_inn(&body);
            prop_assert_eq!(Inn::parse(&inn).map(|i| i.kind()), Ok(OrganizationKind::LegalEntity));
        }

        #[test]
        fn a_changed_legal_check_digit_fails(body in proptest::collection::vec(0u32..10, 9)
            .prop_filter("region 00", |b| !(b[0] == 0 && b[1] == 0)), delta in 1u32..10) {
            let inn = bump_last(&legal_inn(&body), delta);
            prop_assert_eq!(Inn::parse(&inn), Err(InnError::Checksum));
        }

        #[test]
        fn every_generated_entrepreneur_inn_parses(body in proptest::collection::vec(0u32..10, 10)) {
            let inn = person_inn(&body);
            prop_assert_eq!(Inn::parse(&inn).map(|i| i.kind()), Ok(OrganizationKind::Entrepreneur));
        }

        #[test]
        fn a_changed_entrepreneur_check_digit_fails(body in proptest::collection::vec(0u32..10, 10),
            delta in 1u32..10, which in 0usize..2) {
            let mut chars: Vec<char> = person_inn(&body).chars().collect();
            let i = 10 + which;
            let d = chars[i].to_digit(10).unwrap();
            chars[i] = char::from_digit((d + delta) % 10, 10).unwrap();
            let inn: String = chars.into_iter().collect();
            prop_assert_eq!(Inn::parse(&inn), Err(InnError::Checksum));
        }

        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = Inn::parse(&s);
        }
    }
}
