use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::inn::OrganizationKind;

/// Most documents one application may carry.
pub const MAX_DOCUMENTS: usize = 10;
/// Largest accepted document, 10 MiB.
pub const MAX_DOCUMENT_BYTES: u64 = 10 * 1024 * 1024;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DocumentType {
    RegistrationCertificate,
    Charter,
    PowerOfAttorney,
    AppointmentOrder,
    Other,
}

impl DocumentType {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "registration_certificate" => Self::RegistrationCertificate,
            "charter" => Self::Charter,
            "power_of_attorney" => Self::PowerOfAttorney,
            "appointment_order" => Self::AppointmentOrder,
            "other" => Self::Other,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::RegistrationCertificate => "registration_certificate",
            Self::Charter => "charter",
            Self::PowerOfAttorney => "power_of_attorney",
            Self::AppointmentOrder => "appointment_order",
            Self::Other => "other",
        }
    }

    /// The type in words, for documents a person reads.
    pub fn label(self, english: bool) -> &'static str {
        match (self, english) {
            (Self::RegistrationCertificate, false) => {
                "Свидетельство о регистрации / выписка ЕГРЮЛ (ЕГРИП)"
            }
            (Self::Charter, false) => "Устав",
            (Self::PowerOfAttorney, false) => "Доверенность",
            (Self::AppointmentOrder, false) => "Приказ о назначении",
            (Self::Other, false) => "Иной документ",
            (Self::RegistrationCertificate, true) => "Registration certificate / register extract",
            (Self::Charter, true) => "Charter",
            (Self::PowerOfAttorney, true) => "Power of attorney",
            (Self::AppointmentOrder, true) => "Appointment order",
            (Self::Other, true) => "Other document",
        }
    }
}

/// Descriptor of a PDF uploaded elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    #[serde(rename = "type")]
    pub doc_type: DocumentType,
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: u64,
    pub sha256: String,
}

/// Which part of a document descriptor is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("unknown document type")]
    Type,
    #[error("file name must be 1..255 characters and end in .pdf")]
    FileName,
    #[error("media type must be application/pdf")]
    MediaType,
    #[error("size must be 1..10485760 bytes")]
    Size,
    #[error("sha256 must be 64 lowercase hex characters")]
    Sha256,
}

impl Document {
    /// Checks one descriptor's fields; every problem is returned with its field name.
    pub fn parse(
        doc_type: &str,
        file_name: &str,
        media_type: &str,
        size_bytes: u64,
        sha256: &str,
    ) -> Result<Self, Vec<(&'static str, DocumentError)>> {
        let mut errors = Vec::new();
        let parsed_type = DocumentType::parse(doc_type);
        if parsed_type.is_none() {
            errors.push(("type", DocumentError::Type));
        }
        let name_len = file_name.chars().count();
        if !(5..=255).contains(&name_len)
            || !file_name.to_ascii_lowercase().ends_with(".pdf")
            || file_name
                .chars()
                .any(|c| c.is_control() || c == '/' || c == '\\')
        {
            errors.push(("file_name", DocumentError::FileName));
        }
        if media_type != "application/pdf" {
            errors.push(("media_type", DocumentError::MediaType));
        }
        if !(1..=MAX_DOCUMENT_BYTES).contains(&size_bytes) {
            errors.push(("size_bytes", DocumentError::Size));
        }
        if sha256.len() != 64
            || !sha256
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            errors.push(("sha256", DocumentError::Sha256));
        }
        match parsed_type {
            Some(doc_type) if errors.is_empty() => Ok(Self {
                doc_type,
                file_name: file_name.to_owned(),
                media_type: media_type.to_owned(),
                size_bytes,
                sha256: sha256.to_owned(),
            }),
            _ => Err(errors),
        }
    }
}

/// Document types an organization of `kind` must supply that `documents` lack.
///
/// A legal entity needs a registration certificate, a charter and one authority document
/// (power of attorney or appointment order: when neither is present both are listed, as
/// either satisfies the requirement). An entrepreneur needs a registration certificate.
pub fn missing_documents(kind: OrganizationKind, documents: &[Document]) -> Vec<DocumentType> {
    let types: Vec<DocumentType> = documents.iter().map(|d| d.doc_type).collect();
    missing_document_types(kind, &types)
}

/// [`missing_documents`] given only the types present (as declared, even by documents
/// that are otherwise invalid, so both problems are reported at once).
pub fn missing_document_types(
    kind: OrganizationKind,
    present: &[DocumentType],
) -> Vec<DocumentType> {
    let has = |t: DocumentType| present.contains(&t);
    let mut missing = Vec::new();
    if !has(DocumentType::RegistrationCertificate) {
        missing.push(DocumentType::RegistrationCertificate);
    }
    if kind == OrganizationKind::LegalEntity {
        if !has(DocumentType::Charter) {
            missing.push(DocumentType::Charter);
        }
        if !has(DocumentType::PowerOfAttorney) && !has(DocumentType::AppointmentOrder) {
            missing.push(DocumentType::PowerOfAttorney);
            missing.push(DocumentType::AppointmentOrder);
        }
    }
    missing
}

/// Qualified electronic signature offered with the application (optional).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    pub certificate_thumbprint: String,
    pub issuer: String,
    pub valid_until: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("certificate thumbprint must be 40 hex characters")]
    Thumbprint,
    #[error("issuer must be 1..500 characters")]
    Issuer,
    #[error("valid_until must be an RFC 3339 date or date-time")]
    ValidUntil,
}

impl Signature {
    pub fn parse(
        thumbprint: &str,
        issuer: &str,
        valid_until: &str,
    ) -> Result<Self, Vec<(&'static str, SignatureError)>> {
        let mut errors = Vec::new();
        if thumbprint.len() != 40 || !thumbprint.bytes().all(|b| b.is_ascii_hexdigit()) {
            errors.push(("certificate_thumbprint", SignatureError::Thumbprint));
        }
        let issuer = issuer.trim();
        if issuer.is_empty() || issuer.chars().count() > 500 || issuer.chars().any(char::is_control)
        {
            errors.push(("issuer", SignatureError::Issuer));
        }
        let until = parse_rfc3339_date_or_time(valid_until);
        if until.is_none() {
            errors.push(("valid_until", SignatureError::ValidUntil));
        }
        match until {
            Some(valid_until) if errors.is_empty() => Ok(Self {
                certificate_thumbprint: thumbprint.to_ascii_lowercase(),
                issuer: issuer.to_owned(),
                valid_until,
            }),
            _ => Err(errors),
        }
    }

    /// A certificate is valid through its `valid_until` instant.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.valid_until < now
    }
}

/// A full date (`2027-03-01`, valid through the end of that day, UTC) or a date-time.
fn parse_rfc3339_date_or_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(23, 59, 59)?.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    fn doc(t: DocumentType) -> Document {
        Document::parse(t.as_str(), "a.pdf", "application/pdf", 10, HASH).unwrap()
    }

    #[test]
    fn descriptor_errors_are_all_reported() {
        let errors =
            Document::parse("passport", "a.docx", "application/msword", 0, "ABC").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            ["type", "file_name", "media_type", "size_bytes", "sha256"]
        );
        assert!(
            Document::parse(
                "charter",
                "Устав.PDF",
                "application/pdf",
                MAX_DOCUMENT_BYTES,
                HASH
            )
            .is_ok()
        );
        assert!(
            Document::parse(
                "charter",
                "a.pdf",
                "application/pdf",
                MAX_DOCUMENT_BYTES + 1,
                HASH
            )
            .is_err()
        );
        assert!(
            Document::parse(
                "charter",
                "a.pdf",
                "application/pdf",
                1,
                &HASH.to_uppercase()
            )
            .is_err()
        );
    }

    #[test]
    fn required_sets() {
        use DocumentType::*;
        assert_eq!(
            missing_documents(OrganizationKind::LegalEntity, &[]),
            [
                RegistrationCertificate,
                Charter,
                PowerOfAttorney,
                AppointmentOrder
            ]
        );
        let full = [
            doc(RegistrationCertificate),
            doc(Charter),
            doc(AppointmentOrder),
        ];
        assert!(missing_documents(OrganizationKind::LegalEntity, &full).is_empty());
        assert_eq!(
            missing_documents(OrganizationKind::LegalEntity, &full[1..]),
            [RegistrationCertificate]
        );
        assert!(missing_documents(OrganizationKind::Entrepreneur, &full[..1]).is_empty());
        assert_eq!(
            missing_documents(OrganizationKind::Entrepreneur, &full[1..]),
            [RegistrationCertificate]
        );
    }

    #[test]
    fn signatures() {
        let thumb = "a".repeat(40);
        let s = Signature::parse(&thumb, "УЦ", "2030-01-01").unwrap();
        assert_eq!(s.valid_until.to_rfc3339(), "2030-01-01T23:59:59+00:00");
        assert!(Signature::parse(&thumb, "УЦ", "2030-01-01T10:00:00+03:00").is_ok());
        let errors = Signature::parse("xyz", " ", "tomorrow").unwrap_err();
        assert_eq!(errors.len(), 3);
    }
}
