//! A small PDF engine for the service's documents (SPEC 4.5, 4.6): A4 pages laid out top
//! to bottom (headings, label/value fields, paragraphs, tables whose header repeats on
//! every page), "Стр. N из M" footers, and text kept as text in an embedded subset of the
//! bundled font (`shared/assets/fonts`), with a ToUnicode map so it can be selected,
//! searched and extracted. Built on `pdf-writer` and `subsetter`; nothing runs outside
//! the process.

mod font;
mod layout;
mod write;

pub use font::Style;
pub use layout::{Column, Document};
