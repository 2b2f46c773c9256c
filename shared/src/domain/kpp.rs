use std::fmt;

use serde::{Deserialize, Serialize};

/// Tax registration reason code (КПП) of a legal entity: 4 digits (not starting `00`),
/// 2 digits or uppercase Latin letters, 3 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Kpp(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("KPP must be 9 characters: 4 digits, 2 digits or letters A-Z, 3 digits")]
pub struct KppError;

impl Kpp {
    pub fn parse(input: &str) -> Result<Self, KppError> {
        let s = input.trim();
        let b = s.as_bytes();
        let ok = b.len() == 9
            && b[..4].iter().all(u8::is_ascii_digit)
            && !s.starts_with("00")
            && b[4..6]
                .iter()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
            && b[6..].iter().all(u8::is_ascii_digit);
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(KppError)
        }
    }
}

impl AsRef<str> for Kpp {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Kpp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Kpp {
    type Error = KppError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Kpp> for String {
    fn from(value: Kpp) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table() {
        for ok in ["773601001", "7707AB001", "7707ZZ999", "010100000"] {
            assert!(Kpp::parse(ok).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("", "empty"),
            ("003601001", "region 00"),
            ("7707ab001", "lowercase letters"),
            ("77A601001", "letter in the first group"),
            ("7707AB00A", "letter in the last group"),
            ("77360100", "8 characters"),
            ("7736010011", "10 characters"),
            ("7707ЖЖ001", "Cyrillic letters"),
        ] {
            assert_eq!(Kpp::parse(bad), Err(KppError), "{why}");
        }
    }

    proptest! {
        #[test]
        fn generated_kpp_parses(head in "(0[1-9]|[1-9][0-9])[0-9]{2}", mid in "[0-9A-Z]{2}", tail in "[0-9]{3}") {
            let kpp = format!("{head}{mid}{tail}");
            prop_assert!(Kpp::parse(&kpp).is_ok());
        }

        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = Kpp::parse(&s);
        }
    }
}
