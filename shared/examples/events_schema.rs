//! Prints the JSON Schema of the published events (SPEC 5.6): `make openapi` writes it to
//! `shared/events.schema.json`.

fn main() {
    print!("{}", corpnum::domain::event_schema_text());
}
