//! Free text a person adds to a decision or a request.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A comment: trimmed, 1..=2000 characters, no control characters but line breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Comment(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a comment is at most 2000 characters, without control characters but line breaks")]
pub struct CommentError;

impl Comment {
    pub const MAX_CHARS: usize = 2000;

    /// `None` for text that is empty once trimmed: no comment.
    pub fn parse(input: &str) -> Result<Option<Self>, CommentError> {
        let trimmed = input.trim();
        if trimmed.chars().count() > Self::MAX_CHARS
            || trimmed.chars().any(|c| c.is_control() && c != '\n')
        {
            return Err(CommentError);
        }
        Ok((!trimmed.is_empty()).then(|| Self(trimmed.to_owned())))
    }
}

impl AsRef<str> for Comment {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Comment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Comment {
    type Error = CommentError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)?.ok_or(CommentError)
    }
}

impl From<Comment> for String {
    fn from(value: Comment) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_trimmed_and_bounded() {
        assert_eq!(
            Comment::parse("  Устав нечитаем \n"),
            Ok(Some(Comment("Устав нечитаем".into())))
        );
        assert_eq!(Comment::parse("   "), Ok(None));
        assert_eq!(
            Comment::parse("строка 1\nстрока 2").map(|c| c.is_some()),
            Ok(true)
        );
        assert_eq!(
            Comment::parse(&"я".repeat(2000)).map(|c| c.is_some()),
            Ok(true)
        );
        assert_eq!(Comment::parse(&"я".repeat(2001)), Err(CommentError));
        assert_eq!(Comment::parse("bell\u{7}"), Err(CommentError));
        assert_eq!(Comment::parse("tab\there"), Err(CommentError));
    }
}
