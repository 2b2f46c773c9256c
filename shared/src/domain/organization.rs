use serde::{Deserialize, Serialize};

use super::{FullName, Inn, Kpp, Ogrn, OrganizationKind, OrganizationName, Snils};

/// The applying organization, its identifiers consistent with its kind: a legal entity has
/// a 10-digit INN, an OGRN and a KPP; an entrepreneur a 12-digit INN, an OGRNIP and no KPP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    pub inn: Inn,
    pub ogrn: Ogrn,
    pub kpp: Option<Kpp>,
    pub name: OrganizationName,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OrganizationError {
    #[error("OGRN does not match the kind of INN")]
    InnOgrnMismatch,
    #[error("a legal entity needs a KPP")]
    KppMissing,
    #[error("an entrepreneur has no KPP")]
    KppNotAllowed,
}

impl Organization {
    /// Combines parsed identifiers, checking that they describe one kind of organization.
    pub fn new(
        inn: Inn,
        ogrn: Ogrn,
        kpp: Option<Kpp>,
        name: OrganizationName,
    ) -> Result<Self, Vec<OrganizationError>> {
        let mut errors = Vec::new();
        if ogrn.kind() != inn.kind() {
            errors.push(OrganizationError::InnOgrnMismatch);
        }
        match (inn.kind(), &kpp) {
            (OrganizationKind::LegalEntity, None) => errors.push(OrganizationError::KppMissing),
            (OrganizationKind::Entrepreneur, Some(_)) => {
                errors.push(OrganizationError::KppNotAllowed)
            }
            _ => {}
        }
        if errors.is_empty() {
            Ok(Self {
                inn,
                ogrn,
                kpp,
                name,
            })
        } else {
            Err(errors)
        }
    }

    pub fn kind(&self) -> OrganizationKind {
        self.inn.kind()
    }
}

/// The employee a number is bound to. Personal data: `Debug` shows only masked values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Employee {
    pub snils: Snils,
    pub full_name: FullName,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(
        inn: &str,
        ogrn: &str,
        kpp: Option<&str>,
    ) -> Result<Organization, Vec<OrganizationError>> {
        Organization::new(
            Inn::parse(inn).unwrap(),
            Ogrn::parse(ogrn).unwrap(),
            kpp.map(|k| Kpp::parse(k).unwrap()),
            OrganizationName::parse("ООО Пример").unwrap(),
        )
    }

    #[test]
    fn kinds_must_agree() {
        assert!(org("7707083893", "1027700132195", Some("773601001")).is_ok());
        assert!(org("500100732259", "304770000000031", None).is_ok());
        assert_eq!(
            org("7707083893", "304770000000031", Some("773601001")).unwrap_err(),
            [OrganizationError::InnOgrnMismatch]
        );
        assert_eq!(
            org("7707083893", "1027700132195", None).unwrap_err(),
            [OrganizationError::KppMissing]
        );
        assert_eq!(
            org("500100732259", "1027700132195", Some("773601001")).unwrap_err(),
            [
                OrganizationError::InnOgrnMismatch,
                OrganizationError::KppNotAllowed
            ]
        );
    }
}
