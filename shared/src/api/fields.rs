//! Reading a JSON body field by field, so that every problem in a request is reported at
//! once with its path, and unknown fields are refused.

use serde_json::{Map, Value};

use super::problem::{FieldCode, FieldError};

/// Collected field errors of one request.
#[derive(Debug, Default)]
pub struct Errors(pub Vec<FieldError>);

impl Errors {
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A JSON object being read; remembers which keys were asked for.
pub struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
    known: Vec<&'static str>,
}

pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

impl<'a> Obj<'a> {
    /// The object at `path`; anything else is reported with `code`.
    pub fn new(value: &'a Value, path: &str, code: FieldCode, errors: &mut Errors) -> Option<Self> {
        match value {
            Value::Object(map) => Some(Self {
                map,
                path: path.to_owned(),
                known: Vec::new(),
            }),
            _ => {
                errors.push(FieldError::new(
                    path,
                    code,
                    "Ожидается объект",
                    "Must be an object",
                ));
                None
            }
        }
    }

    pub fn path(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// The raw value, `None` if absent or null.
    pub fn value(&mut self, key: &'static str) -> Option<&'a Value> {
        self.known.push(key);
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// A required string; absence is `missing_field`, another type is `code`.
    pub fn string(
        &mut self,
        key: &'static str,
        code: FieldCode,
        errors: &mut Errors,
    ) -> Option<&'a str> {
        match self.value(key) {
            None => {
                errors.push(FieldError::missing(self.path(key)));
                None
            }
            Some(v) => self.as_str(key, v, code, errors),
        }
    }

    /// An optional string; null and absence are both `None`.
    pub fn optional_string(
        &mut self,
        key: &'static str,
        code: FieldCode,
        errors: &mut Errors,
    ) -> Result<Option<&'a str>, ()> {
        match self.value(key) {
            None => Ok(None),
            Some(v) => self.as_str(key, v, code, errors).map(Some).ok_or(()),
        }
    }

    fn as_str(
        &self,
        key: &str,
        v: &'a Value,
        code: FieldCode,
        errors: &mut Errors,
    ) -> Option<&'a str> {
        match v.as_str() {
            Some(s) => Some(s),
            None => {
                errors.push(FieldError::new(
                    self.path(key),
                    code,
                    "Ожидается строка",
                    "Must be a string",
                ));
                None
            }
        }
    }

    /// Refuses keys that were never asked for.
    pub fn finish(self, errors: &mut Errors) {
        let mut unknown: Vec<&String> = self
            .map
            .keys()
            .filter(|k| !self.known.contains(&k.as_str()))
            .collect();
        unknown.sort();
        for key in unknown {
            errors.push(FieldError::new(
                join(&self.path, key),
                FieldCode::UnknownField,
                "Неизвестное поле",
                "Unknown field",
            ));
        }
    }
}
