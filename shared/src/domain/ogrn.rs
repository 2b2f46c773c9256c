use std::fmt;

use serde::{Deserialize, Serialize};

use super::checksum::{digits, prefix_mod};
use super::inn::OrganizationKind;

/// Primary state registration number: OGRN (13 digits, legal entities) or OGRNIP
/// (15 digits, individual entrepreneurs), check digit verified.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Ogrn(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OgrnError {
    #[error("OGRN must be 13 digits, OGRNIP 15 digits")]
    Format,
    #[error("OGRN check digit does not match")]
    Checksum,
}

impl Ogrn {
    pub fn parse(input: &str) -> Result<Self, OgrnError> {
        let s = input.trim();
        let d = digits(s).ok_or(OgrnError::Format)?;
        let modulus = match d.len() {
            13 => 11,
            15 => 13,
            _ => return Err(OgrnError::Format),
        };
        let (body, check) = d.split_at(d.len() - 1);
        // The remainder's last digit: 10 → 0 for OGRN; 10, 11, 12 → 0, 1, 2 for OGRNIP.
        if prefix_mod(body, modulus) % 10 != u64::from(check[0]) {
            return Err(OgrnError::Checksum);
        }
        Ok(Self(s.to_owned()))
    }

    /// OGRN belongs to a legal entity, OGRNIP to an entrepreneur.
    pub fn kind(&self) -> OrganizationKind {
        if self.0.len() == 13 {
            OrganizationKind::LegalEntity
        } else {
            OrganizationKind::Entrepreneur
        }
    }
}

impl AsRef<str> for Ogrn {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Ogrn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Ogrn {
    type Error = OgrnError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Ogrn> for String {
    fn from(value: Ogrn) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn with_check(body: &[u32], modulus: u64) -> String {
        let check = prefix_mod(body, modulus) % 10;
        body.iter()
            .map(|d| d.to_string())
            .chain([check.to_string()])
            .collect()
    }

    fn bump(s: &str, delta: u32) -> String {
        let mut chars: Vec<char> = s.chars().collect();
        let last = chars.len() - 1;
        let d = chars[last].to_digit(10).unwrap();
        chars[last] = char::from_digit((d + delta) % 10, 10).unwrap();
        chars.into_iter().collect()
    }

    #[test]
    fn spec_samples_pass_and_fail_with_any_other_last_digit() {
        for (sample, kind) in [
            ("1027700132195", OrganizationKind::LegalEntity),
            ("1027700000019", OrganizationKind::LegalEntity),
            ("1027700000020", OrganizationKind::LegalEntity),
            ("304770000000031", OrganizationKind::Entrepreneur),
            ("304770000000042", OrganizationKind::Entrepreneur),
        ] {
            assert_eq!(Ogrn::parse(sample).map(|o| o.kind()), Ok(kind), "{sample}");
            for delta in 1..10 {
                assert_eq!(Ogrn::parse(&bump(sample, delta)), Err(OgrnError::Checksum));
            }
        }
    }

    #[test]
    fn format_errors() {
        for input in [
            "",
            "102770013219",
            "10277001321951",
            "10277001321a5",
            "3047700000000311",
        ] {
            assert_eq!(Ogrn::parse(input), Err(OgrnError::Format), "{input}");
        }
    }

    proptest! {
        #[test]
        fn generated_ogrn_parses_and_a_changed_check_digit_fails(
            body in proptest::collection::vec(0u32..10, 12), delta in 1u32..10) {
            let ogrn = with_check(&body, 11);
            prop_assert_eq!(Ogrn::parse(&ogrn).map(|o| o.kind()), Ok(OrganizationKind::LegalEntity));
            prop_assert_eq!(Ogrn::parse(&bump(&ogrn, delta)), Err(OgrnError::Checksum));
        }

        #[test]
        fn generated_ogrnip_parses_and_a_changed_check_digit_fails(
            body in proptest::collection::vec(0u32..10, 14), delta in 1u32..10) {
            let ogrnip = with_check(&body, 13);
            prop_assert_eq!(Ogrn::parse(&ogrnip).map(|o| o.kind()), Ok(OrganizationKind::Entrepreneur));
            prop_assert_eq!(Ogrn::parse(&bump(&ogrnip, delta)), Err(OgrnError::Checksum));
        }

        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = Ogrn::parse(&s);
        }
    }
}
