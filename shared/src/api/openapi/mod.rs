//! The OpenAPI 3.1 document, generated from the route table (`routes`), the operation docs
//! (`operations`) and the typed bodies (`views`, `problem`, `requests`). `make openapi`
//! writes it to `shared/openapi.json`; a test fails when the committed file differs.

mod operations;
mod requests;

use serde_json::{Map, Value, json};

use super::problem::ProblemBody;
use super::routes::ROUTES;
use super::views;
use operations::{Header, Param, operation};

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for spec in ROUTES {
        let doc = operation(spec.route);
        let mut op = json!({
            "operationId": doc.id,
            "summary": doc.summary,
            "tags": [spec.function.name()],
            "x-function": spec.function.name(),
            "x-scopes": spec.route.scopes(),
            "security": [{ "portalJwt": [] }],
            "parameters": doc.params.iter().chain([&Param::AcceptLanguage]).map(|p| p.json()).collect::<Vec<_>>(),
        });
        if let Some(body) = &doc.body {
            op["requestBody"] = body.json();
        }
        let mut responses = Map::new();
        let (status, description, schema, headers) = doc.success;
        let mut success_headers = Map::new();
        for h in [Header::RequestId].iter().chain(headers) {
            success_headers.insert(h.name().into(), h.reference());
        }
        let mut content = Map::new();
        for media in operations::success_media(spec.route) {
            let body = if *media == "application/json" {
                json!({ "schema": { "$ref": format!("#/components/schemas/{schema}") } })
            } else {
                json!({ "schema": { "type": "string", "format": "binary" } })
            };
            content.insert((*media).to_owned(), body);
        }
        responses.insert(
            status.to_string(),
            json!({
                "description": description,
                "headers": success_headers,
                "content": content,
            }),
        );
        for (status, description, schema) in operations::other_successes(spec.route) {
            responses.insert(
                status.to_string(),
                json!({
                    "description": description,
                    "headers": { Header::RequestId.name(): Header::RequestId.reference(), Header::ETag.name(): Header::ETag.reference() },
                    "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } },
                }),
            );
        }
        for (status, description) in doc.problems {
            let mut headers = Map::new();
            headers.insert(
                Header::RequestId.name().into(),
                Header::RequestId.reference(),
            );
            if status == 429 {
                headers.insert(
                    Header::RetryAfter.name().into(),
                    Header::RetryAfter.reference(),
                );
            }
            responses.insert(
                status.to_string(),
                json!({
                    "description": description.unwrap_or_else(|| operations::problem_description(status)),
                    "headers": headers,
                    "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } },
                }),
            );
        }
        op["responses"] = Value::Object(responses);
        let item = paths
            .entry(spec.path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        item[spec.method.to_ascii_lowercase()] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "corpnum",
            "version": "1.0.0",
            "description": "Activation of an organization's corporate phone number on the government services portal. Errors are RFC 9457 problem documents; texts are Russian unless Accept-Language asks for English. Tokens are verified by API Gateway's JWT authorizer; x-scopes lists the scopes a route accepts (any one). Generated from the code (make openapi).",
        },
        "servers": [{ "url": "http://127.0.0.1:3000", "description": "make run" }],
        "security": [{ "portalJwt": [] }],
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "headers": {
                "RequestId": { "required": true, "schema": { "type": "string" }, "description": "The API Gateway request id, or the client's well-formed X-Request-Id" },
                "Location": { "required": true, "schema": { "type": "string" } },
                "ETag": { "required": true, "schema": { "type": "string", "pattern": "^\"[0-9]+\"$" }, "description": "The number's version (changes since the current binding began)" },
                "RetryAfter": { "required": true, "schema": { "type": "string", "pattern": "^[0-9]+$" } },
            },
            "securitySchemes": {
                "portalJwt": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "Claims: sub, org_inn (organization routes), scope (corpnum/org or corpnum/operator)." },
            },
        },
    })
}

/// The schemas of every body, named as the document refers to them.
fn schemas() -> Value {
    let mut settings = schemars::generate::SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    let mut generator = settings.into_generator();
    generator.subschema_for::<views::ApplicationCreated>();
    generator.subschema_for::<views::CodeConfirmed>();
    generator.subschema_for::<views::CodeResent>();
    generator.subschema_for::<views::ApplicationView>();
    generator.subschema_for::<views::NumberView>();
    generator.subschema_for::<views::DeactivationRequested>();
    generator.subschema_for::<views::DeactivationActView>();
    generator.subschema_for::<views::ReviewList>();
    generator.subschema_for::<views::ApplicationList>();
    generator.subschema_for::<views::NumberList>();
    generator.subschema_for::<ProblemBody>();
    generator.subschema_for::<requests::ApplicationSubmission>();
    generator.subschema_for::<requests::DocumentsAddition>();
    generator.subschema_for::<requests::CodeSubmission>();
    generator.subschema_for::<requests::DeactivationRequest>();
    generator.subschema_for::<requests::DeactivationConfirmation>();
    generator.subschema_for::<requests::Decision>();
    generator.subschema_for::<requests::EmployeeBody>();
    generator.subschema_for::<views::SuspensionRequested>();
    generator.subschema_for::<views::ResumptionRequested>();
    generator.subschema_for::<views::RestrictionView>();
    generator.subschema_for::<views::RestrictionRecord>();
    generator.subschema_for::<views::RestrictionList>();
    generator.subschema_for::<requests::SuspensionRequest>();
    generator.subschema_for::<requests::SuspensionConfirmation>();
    generator.subschema_for::<requests::ResumptionConfirmation>();
    generator.subschema_for::<requests::RestrictionRequest>();
    generator.subschema_for::<requests::RestrictionLift>();
    generator.subschema_for::<requests::ReplacementRequest>();
    Value::Object(generator.take_definitions(true).into_iter().collect())
}

/// The document as `make openapi` writes it.
pub fn document_text() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed `shared/openapi.json` is what the code generates: `make openapi`.
    #[test]
    fn the_committed_document_is_the_generated_one() {
        let committed: Value = serde_json::from_str(crate::api::OPENAPI)
            .unwrap_or_else(|e| panic!("shared/openapi.json: {e}"));
        assert!(
            committed == document(),
            "shared/openapi.json differs from what the code generates: run `make openapi`"
        );
    }

    /// Every schema the document refers to is defined.
    #[test]
    fn every_reference_resolves() {
        let doc = document();
        let text = doc.to_string();
        let schemas = doc["components"]["schemas"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for reference in text.split("\"#/components/schemas/").skip(1) {
            let name = reference.split('"').next().unwrap_or_default();
            assert!(
                schemas.contains_key(name),
                "{name} is referred to but not defined"
            );
        }
    }
}
