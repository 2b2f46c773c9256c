//! `TryFrom` for the submission body: the one place raw input becomes a `SubmitApplication`.

use serde_json::Value;

use super::fields::{Errors, Obj};
use super::problem::{FieldCode, FieldError};
use crate::app::SubmitApplication;
use crate::domain::{
    Document, DocumentError, DocumentType, Employee, FullName, FullNameError, Inn, InnError, Kpp,
    MAX_DOCUMENTS, Ogrn, OgrnError, Organization, OrganizationError, OrganizationKind,
    OrganizationName, OrganizationNameError, PhoneNumber, Signature, SignatureError, Snils,
    SnilsError, missing_document_types, missing_documents,
};

/// Parses a whole submission, collecting every field error.
pub fn parse_submission(body: &Value) -> Result<SubmitApplication, Vec<FieldError>> {
    let mut errors = Errors::default();
    let Some(mut root) = Obj::new(body, "", FieldCode::MissingField, &mut errors) else {
        return Err(errors.0);
    };

    let organization = root.value("organization");
    let phone = root
        .string("phone", FieldCode::InvalidPhone, &mut errors)
        .and_then(|s| {
            PhoneNumber::parse(s)
                .map_err(|_| errors.push(phone_error("phone")))
                .ok()
        });
    let (organization, kind) = match organization {
        None => {
            errors.push(FieldError::missing("organization"));
            (None, None)
        }
        Some(v) => parse_organization(v, &mut errors),
    };
    let employee = match root.value("employee") {
        None => {
            errors.push(FieldError::missing("employee"));
            None
        }
        Some(v) => parse_employee(v, "employee", &mut errors),
    };
    let declared_types: Vec<DocumentType> = root
        .value("documents")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|d| d.get("type").and_then(Value::as_str))
                .filter_map(DocumentType::parse)
                .collect()
        })
        .unwrap_or_default();
    let documents = match root.value("documents") {
        None => {
            errors.push(FieldError::missing("documents"));
            None
        }
        Some(v) => parse_documents(v, &mut errors),
    };
    let signature = match root.value("signature") {
        None => Some(None),
        Some(v) => parse_signature(v, &mut errors),
    };
    if root.value("consent_personal_data") != Some(&Value::Bool(true)) {
        errors.push(FieldError::new(
            "consent_personal_data",
            FieldCode::ConsentRequired,
            "Необходимо согласие на обработку персональных данных",
            "Consent to the processing of personal data is required",
        ));
    }
    root.finish(&mut errors);

    // The INN's length tells which documents are needed, even when other fields are wrong.
    if let Some(kind) = kind {
        let missing = match &documents {
            Some(docs) => missing_documents(kind, docs),
            // Some documents are invalid: what is lacking still shows from their types.
            None if body.get("documents").is_some_and(Value::is_array) => {
                missing_document_types(kind, &declared_types)
            }
            None => Vec::new(),
        };
        if !missing.is_empty() {
            let names: Vec<&'static str> = missing.iter().map(|t| t.as_str()).collect();
            let mut e = FieldError::new(
                "documents",
                FieldCode::MissingDocuments,
                format!("Не хватает документов: {}", names.join(", ")),
                format!("Missing documents: {}", names.join(", ")),
            );
            if kind == OrganizationKind::LegalEntity && names.contains(&"power_of_attorney") {
                e.ru.push_str(
                    " (power_of_attorney и appointment_order взаимозаменяемы: нужен один из них)",
                );
                e.en.push_str(
                    " (power_of_attorney and appointment_order are alternatives: one is needed)",
                );
            }
            e.missing = names;
            errors.push(e);
        }
    }

    match (organization, phone, employee, documents, signature) {
        (Some(organization), Some(phone), Some(employee), Some(documents), Some(signature))
            if errors.is_empty() =>
        {
            Ok(SubmitApplication {
                organization,
                phone,
                employee,
                documents,
                signature,
                replaces: None,
            })
        }
        _ => Err(errors.0),
    }
}

pub fn phone_error(field: &str) -> FieldError {
    FieldError::new(
        field,
        FieldCode::InvalidPhone,
        "Номер должен быть российским: +7 и 10 цифр, например +7 916 123-45-67",
        "Must be a Russian number: +7 and 10 digits, e.g. +7 916 123-45-67",
    )
}

/// The organization, and the kind its INN's length tells even when something is wrong.
fn parse_organization(
    value: &Value,
    errors: &mut Errors,
) -> (Option<Organization>, Option<OrganizationKind>) {
    let Some(mut obj) = Obj::new(value, "organization", FieldCode::MissingField, errors) else {
        return (None, None);
    };
    let inn_raw = obj.string("inn", FieldCode::InvalidInn, errors);
    let kind = inn_raw.and_then(OrganizationKind::of_inn_input);
    let inn = inn_raw.and_then(|s| Inn::parse(s).map_err(|e| errors.push(inn_error(e))).ok());
    // An entrepreneur's OGRNIP may also be sent under its own name.
    let (ogrn_key, ogrn_raw) = match (obj.value("ogrn"), obj.value("ogrnip")) {
        (Some(_), Some(_)) => {
            errors.push(FieldError::new(
                "organization.ogrnip",
                FieldCode::InvalidOgrn,
                "Укажите только одно из полей ogrn и ogrnip",
                "Send only one of ogrn and ogrnip",
            ));
            ("ogrn", None)
        }
        (Some(v), None) => ("ogrn", Some(v)),
        (None, Some(v)) => ("ogrnip", Some(v)),
        (None, None) => {
            errors.push(FieldError::missing("organization.ogrn"));
            ("ogrn", None)
        }
    };
    let ogrn_path = obj.path(ogrn_key);
    let ogrn = ogrn_raw.and_then(|v| match v.as_str() {
        None => {
            errors.push(FieldError::new(
                &ogrn_path,
                FieldCode::InvalidOgrn,
                "Ожидается строка",
                "Must be a string",
            ));
            None
        }
        Some(s) => Ogrn::parse(s)
            .map_err(|e| errors.push(ogrn_error(&ogrn_path, e)))
            .ok(),
    });
    let kpp_raw = obj.optional_string("kpp", FieldCode::InvalidKpp, errors);
    let name = obj
        .string("name", FieldCode::InvalidOrganizationName, errors)
        .and_then(|s| {
            OrganizationName::parse(s)
                .map_err(|e| errors.push(org_name_error(e)))
                .ok()
        });
    obj.finish(errors);

    let kpp = match (kpp_raw, kind) {
        (Err(()), _) => None,
        (Ok(Some(_)), Some(OrganizationKind::Entrepreneur)) => {
            errors.push(kpp_not_allowed());
            None
        }
        (Ok(None), Some(OrganizationKind::LegalEntity)) => {
            errors.push(FieldError::missing("organization.kpp"));
            None
        }
        (Ok(Some(s)), _) => match Kpp::parse(s) {
            Ok(k) => Some(k),
            Err(_) => {
                errors.push(FieldError::new(
                    "organization.kpp",
                    FieldCode::InvalidKpp,
                    "КПП: 9 символов — 4 цифры, 2 цифры или латинские буквы A–Z, 3 цифры",
                    "KPP: 9 characters: 4 digits, 2 digits or letters A-Z, 3 digits",
                ));
                None
            }
        },
        (Ok(None), _) => None,
    };
    let (Some(inn), Some(ogrn), Some(name)) = (inn, ogrn, name) else {
        return (None, kind);
    };
    match Organization::new(inn, ogrn, kpp, name) {
        Ok(org) => (Some(org), kind),
        Err(problems) => {
            for p in problems {
                match p {
                    OrganizationError::InnOgrnMismatch => errors.push(FieldError::new(
                        &ogrn_path,
                        FieldCode::InnOgrnMismatch,
                        "ОГРН не соответствует ИНН: юрлицу нужен ОГРН (13 цифр), ИП — ОГРНИП (15 цифр)",
                        "OGRN does not match the INN: a legal entity has an OGRN (13 digits), an entrepreneur an OGRNIP (15 digits)",
                    )),
                    // Reported above from the INN's length, whatever else was wrong.
                    OrganizationError::KppMissing | OrganizationError::KppNotAllowed => {}
                }
            }
            (None, kind)
        }
    }
}

fn kpp_not_allowed() -> FieldError {
    FieldError::new(
        "organization.kpp",
        FieldCode::KppNotAllowed,
        "У индивидуального предпринимателя нет КПП",
        "An individual entrepreneur has no KPP",
    )
}

pub fn parse_employee(value: &Value, path: &str, errors: &mut Errors) -> Option<Employee> {
    let mut obj = Obj::new(value, path, FieldCode::MissingField, errors)?;
    let snils_path = obj.path("snils");
    let name_path = obj.path("full_name");
    let snils = obj
        .string("snils", FieldCode::InvalidSnils, errors)
        .and_then(|s| {
            Snils::parse(s)
                .map_err(|e| errors.push(snils_error(&snils_path, e)))
                .ok()
        });
    let full_name = obj
        .string("full_name", FieldCode::InvalidFullName, errors)
        .and_then(|s| {
            FullName::parse(s)
                .map_err(|e| errors.push(full_name_error(&name_path, e)))
                .ok()
        });
    obj.finish(errors);
    Some(Employee {
        snils: snils?,
        full_name: full_name?,
    })
}

pub fn parse_documents(value: &Value, errors: &mut Errors) -> Option<Vec<Document>> {
    let Some(items) = value.as_array() else {
        errors.push(FieldError::new(
            "documents",
            FieldCode::InvalidDocument,
            "Ожидается массив",
            "Must be an array",
        ));
        return None;
    };
    if items.len() > MAX_DOCUMENTS {
        errors.push(FieldError::new(
            "documents",
            FieldCode::InvalidDocument,
            "Не больше 10 документов",
            "At most 10 documents",
        ));
        return None;
    }
    let before = errors.0.len();
    let mut documents = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("documents[{i}]");
        let Some(mut obj) = Obj::new(item, &path, FieldCode::InvalidDocument, errors) else {
            continue;
        };
        let code = FieldCode::InvalidDocument;
        let doc_type = obj.string("type", code, errors);
        let file_name = obj.string("file_name", code, errors);
        let media_type = obj.string("media_type", code, errors);
        let size = match obj.value("size_bytes") {
            None => {
                errors.push(FieldError::missing(obj.path("size_bytes")));
                None
            }
            // Anything that is not a whole number (negative, fractional, text) is out of range.
            Some(v) => Some(v.as_u64().unwrap_or(0)),
        };
        let sha256 = obj.string("sha256", code, errors);
        obj.finish(errors);
        if let (Some(t), Some(f), Some(m), Some(s), Some(h)) =
            (doc_type, file_name, media_type, size, sha256)
        {
            match Document::parse(t, f, m, s, h) {
                Ok(d) => documents.push(d),
                Err(problems) => {
                    for (field, e) in problems {
                        errors.push(document_error(&format!("{path}.{field}"), e));
                    }
                }
            }
        }
    }
    (errors.0.len() == before).then_some(documents)
}

fn parse_signature(value: &Value, errors: &mut Errors) -> Option<Option<Signature>> {
    let mut obj = Obj::new(value, "signature", FieldCode::InvalidSignature, errors)?;
    let code = FieldCode::InvalidSignature;
    let thumb = obj.string("certificate_thumbprint", code, errors);
    let issuer = obj.string("issuer", code, errors);
    let until = obj.string("valid_until", code, errors);
    obj.finish(errors);
    let (thumb, issuer, until) = (thumb?, issuer?, until?);
    match Signature::parse(thumb, issuer, until) {
        Ok(s) => Some(Some(s)),
        Err(problems) => {
            for (field, e) in problems {
                errors.push(signature_error(&format!("signature.{field}"), e));
            }
            None
        }
    }
}

fn inn_error(e: InnError) -> FieldError {
    let (ru, en) = match e {
        InnError::Format => (
            "ИНН: 10 цифр для юрлица или 12 цифр для ИП",
            "INN: 10 digits for a legal entity or 12 for an entrepreneur",
        ),
        InnError::ZeroRegion => (
            "ИНН юрлица не может начинаться с 00",
            "A legal entity's INN cannot start with 00",
        ),
        InnError::Checksum => (
            "Неверная контрольная цифра ИНН",
            "INN check digit does not match",
        ),
    };
    FieldError::new("organization.inn", FieldCode::InvalidInn, ru, en)
}

fn ogrn_error(path: &str, e: OgrnError) -> FieldError {
    let (ru, en) = match e {
        OgrnError::Format => (
            "ОГРН: 13 цифр, ОГРНИП: 15 цифр",
            "OGRN: 13 digits, OGRNIP: 15 digits",
        ),
        OgrnError::Checksum => (
            "Неверная контрольная цифра ОГРН",
            "OGRN check digit does not match",
        ),
    };
    FieldError::new(path, FieldCode::InvalidOgrn, ru, en)
}

fn org_name_error(e: OrganizationNameError) -> FieldError {
    match e {
        OrganizationNameError::Empty => FieldError::missing("organization.name"),
        OrganizationNameError::Invalid => FieldError::new(
            "organization.name",
            FieldCode::InvalidOrganizationName,
            "Название: до 500 символов, без управляющих символов",
            "Name: up to 500 characters, no control characters",
        ),
    }
}

pub fn snils_error(path: &str, e: SnilsError) -> FieldError {
    let (ru, en) = match e {
        SnilsError::Format => (
            "СНИЛС: 11 цифр, например 112-233-445 95",
            "SNILS: 11 digits, e.g. 112-233-445 95",
        ),
        SnilsError::Checksum => (
            "Неверное контрольное число СНИЛС",
            "SNILS check number does not match",
        ),
    };
    FieldError::new(path, FieldCode::InvalidSnils, ru, en)
}

pub fn full_name_error(path: &str, e: FullNameError) -> FieldError {
    let (ru, en) = match e {
        FullNameError::Length => (
            "ФИО: от 2 до 150 символов",
            "Full name: 2 to 150 characters",
        ),
        FullNameError::WordCount => ("ФИО: от 2 до 4 слов", "Full name: 2 to 4 words"),
        FullNameError::Characters => (
            "ФИО: только буквы кириллицы или латиницы, дефис или апостроф внутри слова",
            "Full name: Cyrillic or Latin letters only, a hyphen or apostrophe inside a word",
        ),
    };
    FieldError::new(path, FieldCode::InvalidFullName, ru, en)
}

fn document_error(path: &str, e: DocumentError) -> FieldError {
    let (ru, en) = match e {
        DocumentError::Type => (
            "Тип: registration_certificate, charter, power_of_attorney, appointment_order или other",
            "Type: registration_certificate, charter, power_of_attorney, appointment_order or other",
        ),
        DocumentError::FileName => (
            "Имя файла должно оканчиваться на .pdf",
            "The file name must end in .pdf",
        ),
        DocumentError::MediaType => (
            "Допускается только application/pdf",
            "Only application/pdf is accepted",
        ),
        DocumentError::Size => ("Размер: от 1 байта до 10 МиБ", "Size: 1 byte to 10 MiB"),
        DocumentError::Sha256 => (
            "sha256: 64 шестнадцатеричных символа в нижнем регистре",
            "sha256: 64 lowercase hex characters",
        ),
    };
    FieldError::new(path, FieldCode::InvalidDocument, ru, en)
}

fn signature_error(path: &str, e: SignatureError) -> FieldError {
    let (ru, en) = match e {
        SignatureError::Thumbprint => (
            "Отпечаток сертификата: 40 шестнадцатеричных символов",
            "Thumbprint: 40 hex characters",
        ),
        SignatureError::Issuer => (
            "Издатель: от 1 до 500 символов",
            "Issuer: 1 to 500 characters",
        ),
        SignatureError::ValidUntil => ("Дата в формате RFC 3339", "An RFC 3339 date or date-time"),
    };
    FieldError::new(path, FieldCode::InvalidSignature, ru, en)
}
