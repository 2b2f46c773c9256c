//! Prints the OpenAPI document generated from the code: `make openapi` writes it to
//! `shared/openapi.json`.

fn main() {
    print!("{}", corpnum::api::openapi::document_text());
}
