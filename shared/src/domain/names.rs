use std::fmt;

use serde::{Deserialize, Serialize};

/// Collapses runs of whitespace to one space and trims the ends.
fn normalise_spaces(input: &str) -> String {
    input.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Full name of the employee a number is bound to: 2–4 words of Cyrillic or Latin letters,
/// a hyphen or apostrophe allowed inside a word, 2..150 characters.
///
/// Personal data: its `Debug` is masked; never log it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FullName(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FullNameError {
    #[error("full name must be 2 to 150 characters")]
    Length,
    #[error("full name must have 2 to 4 words")]
    WordCount,
    #[error(
        "full name may contain only Cyrillic or Latin letters, with a hyphen or apostrophe inside a word"
    )]
    Characters,
}

fn is_name_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || matches!(c, 'А'..='я' | 'Ё' | 'ё')
}

fn is_word(word: &str) -> bool {
    let chars: Vec<char> = word.chars().collect();
    let joiner = |c: char| matches!(c, '-' | '\'' | '’');
    match (chars.first(), chars.last()) {
        (Some(&first), Some(&last)) if is_name_letter(first) && is_name_letter(last) => {
            chars.windows(2).all(|w| {
                (is_name_letter(w[0]) || is_name_letter(w[1])) && !(joiner(w[0]) && joiner(w[1]))
            }) && chars.iter().all(|&c| is_name_letter(c) || joiner(c))
        }
        _ => false,
    }
}

impl FullName {
    pub fn parse(input: &str) -> Result<Self, FullNameError> {
        let s = normalise_spaces(input);
        let len = s.chars().count();
        if !(2..=150).contains(&len) {
            return Err(FullNameError::Length);
        }
        let words: Vec<&str> = s.split(' ').collect();
        if !words.iter().all(|w| is_word(w)) {
            return Err(FullNameError::Characters);
        }
        if !(2..=4).contains(&words.len()) {
            return Err(FullNameError::WordCount);
        }
        Ok(Self(s))
    }
}

impl fmt::Debug for FullName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FullName(***)")
    }
}

impl AsRef<str> for FullName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for FullName {
    type Error = FullNameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<FullName> for String {
    fn from(value: FullName) -> Self {
        value.0
    }
}

/// Registered name of the organization, 1..500 characters after trimming, no control characters.
///
/// An entrepreneur's name is a person's name (`ИП Иванов Иван Иванович`), so its `Debug`
/// is masked like a full name's.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrganizationName(String);

impl fmt::Debug for OrganizationName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OrganizationName(***)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OrganizationNameError {
    #[error("organization name is empty")]
    Empty,
    #[error("organization name must be at most 500 characters without control characters")]
    Invalid,
}

impl OrganizationName {
    pub fn parse(input: &str) -> Result<Self, OrganizationNameError> {
        let s = normalise_spaces(input);
        if s.is_empty() {
            return Err(OrganizationNameError::Empty);
        }
        if s.chars().count() > 500 || s.chars().any(char::is_control) {
            return Err(OrganizationNameError::Invalid);
        }
        Ok(Self(s))
    }
}

impl AsRef<str> for OrganizationName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrganizationName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for OrganizationName {
    type Error = OrganizationNameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<OrganizationName> for String {
    fn from(value: OrganizationName) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn full_names() {
        for (input, expected) in [
            ("Иванов Иван Иванович", "Иванов Иван Иванович"),
            ("  Иванов   Иван  ", "Иванов Иван"),
            (
                "Салтыков-Щедрин Михаил Евграфович",
                "Салтыков-Щедрин Михаил Евграфович",
            ),
            ("O'Brien John", "O'Brien John"),
            ("Ёлкин Пётр", "Ёлкин Пётр"),
            ("Ли Ян", "Ли Ян"),
            ("Мария Анна Петрова Ивановна", "Мария Анна Петрова Ивановна"),
        ] {
            assert_eq!(
                FullName::parse(input).map(String::from),
                Ok(expected.to_owned()),
                "{input}"
            );
        }
        for (input, err) in [
            ("", FullNameError::Length),
            ("И", FullNameError::Length),
            ("Иванов", FullNameError::WordCount),
            (
                "Иванов Иван Иванович Петрович Сидоров",
                FullNameError::WordCount,
            ),
            ("Иванов 1ван", FullNameError::Characters),
            ("-Иванов Иван", FullNameError::Characters),
            ("Иванов- Иван", FullNameError::Characters),
            ("Ива--нов Иван", FullNameError::Characters),
            ("Иванов Иван!", FullNameError::Characters),
            ("Müller Hans", FullNameError::Characters),
        ] {
            assert_eq!(FullName::parse(input), Err(err), "{input}");
        }
        let long = format!("{} {}", "а".repeat(80), "б".repeat(80));
        assert_eq!(FullName::parse(&long), Err(FullNameError::Length));
    }

    #[test]
    fn full_name_debug_is_masked() {
        let name = FullName::parse("Иванов Иван").unwrap();
        assert!(!format!("{name:?}").contains("Иванов"));
    }

    #[test]
    fn organization_names() {
        assert_eq!(
            OrganizationName::parse("  ПАО  Пример ").map(String::from),
            Ok("ПАО Пример".into())
        );
        assert_eq!(
            OrganizationName::parse("   "),
            Err(OrganizationNameError::Empty)
        );
        assert!(OrganizationName::parse(&"я".repeat(500)).is_ok());
        assert_eq!(
            OrganizationName::parse(&"я".repeat(501)),
            Err(OrganizationNameError::Invalid)
        );
        assert_eq!(
            OrganizationName::parse("ООО\u{0}"),
            Err(OrganizationNameError::Invalid)
        );
    }

    proptest! {
        #[test]
        fn generated_names_parse(words in proptest::collection::vec("[А-Яа-яЁё]{1,20}|[A-Za-z]{1,20}", 2..=4)) {
            let input = words.join("  ");
            let name = FullName::parse(&input);
            prop_assert!(name.is_ok(), "{input}");
        }

        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = FullName::parse(&s);
            let _ = OrganizationName::parse(&s);
        }
    }
}
