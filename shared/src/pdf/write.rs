//! Writing the laid-out pages as a PDF: one Type 0 font per weight used, holding a subset
//! of the bundled font with just the glyphs drawn, its widths and a ToUnicode map; content
//! streams compressed.

use std::collections::{BTreeMap, BTreeSet};

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo};
use pdf_writer::{Content, Date, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use subsetter::GlyphRemapper;

use super::font::Style;
use super::layout::{Document, Op, PAGE};

fn compress(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}

/// A font as embedded: its subset's glyph ids by original id, and the character each
/// glyph stands for.
struct Embedded {
    style: Style,
    remapper: GlyphRemapper,
    chars: BTreeMap<u16, char>,
}

impl Embedded {
    /// The text as the subset's glyph ids, two bytes each (Identity-H).
    fn encode(&self, text: &str) -> Vec<u8> {
        let font = self.style.font();
        text.chars()
            .flat_map(|c| {
                let (glyph, _) = font.glyph(c);
                self.remapper.get(glyph).unwrap_or(0).to_be_bytes()
            })
            .collect()
    }

    fn resource_name(&self) -> Name<'static> {
        match self.style {
            Style::Regular => Name(b"F1"),
            Style::Bold => Name(b"F2"),
        }
    }
}

/// Six capital letters naming the subset, from the glyphs it holds (PDF 9.6.4).
fn subset_tag(glyphs: &BTreeSet<u16>) -> String {
    let mut hash: u32 = 2_166_136_261;
    for g in glyphs {
        for b in g.to_be_bytes() {
            hash = (hash ^ u32::from(b)).wrapping_mul(16_777_619);
        }
    }
    (0..6)
        .map(|i| char::from(b'A' + ((hash >> (i * 5)) % 26) as u8))
        .collect()
}

fn date(t: chrono::DateTime<chrono::Utc>) -> Date {
    use chrono::{Datelike, Timelike};
    Date::new(u16::try_from(t.year()).unwrap_or(2026))
        .month(t.month() as u8)
        .day(t.day() as u8)
        .hour(t.hour() as u8)
        .minute(t.minute() as u8)
        .second(t.second() as u8)
        .utc_offset_hour(0)
}

pub(super) fn write(doc: &Document, created: chrono::DateTime<chrono::Utc>) -> Vec<u8> {
    // The glyphs each weight draws, so each embedded font holds only those.
    let mut used: BTreeMap<Style, (BTreeSet<u16>, BTreeMap<u16, char>)> = BTreeMap::new();
    for page in &doc.pages {
        for op in page {
            if let Op::Text { style, text, .. } = op {
                let font = style.font();
                let entry = used.entry(*style).or_default();
                for c in text.chars() {
                    let (glyph, shown) = font.glyph(c);
                    entry.0.insert(glyph);
                    entry.1.entry(glyph).or_insert(shown);
                }
            }
        }
    }
    let embedded: Vec<(Embedded, BTreeSet<u16>)> = used
        .into_iter()
        .map(|(style, (glyphs, chars))| {
            let mut remapper = GlyphRemapper::new();
            for g in &glyphs {
                remapper.remap(*g);
            }
            (
                Embedded {
                    style,
                    remapper,
                    chars,
                },
                glyphs,
            )
        })
        .collect();

    let mut pdf = Pdf::new();
    let mut next = 1;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let catalog = alloc();
    let pages_ref = alloc();
    let info = alloc();
    let page_refs: Vec<(Ref, Ref)> = doc.pages.iter().map(|_| (alloc(), alloc())).collect();
    let font_refs: Vec<[Ref; 5]> = embedded
        .iter()
        .map(|_| [alloc(), alloc(), alloc(), alloc(), alloc()])
        .collect();

    pdf.catalog(catalog)
        .pages(pages_ref)
        .lang(TextStr(doc.lang));
    pdf.pages(pages_ref)
        .kids(page_refs.iter().map(|(p, _)| *p))
        .count(i32::try_from(page_refs.len()).unwrap_or(i32::MAX));
    pdf.document_info(info)
        .title(TextStr(&doc.title))
        .producer(TextStr("corpnum"))
        .creation_date(date(created));

    for ((embedded, glyphs), refs) in embedded.iter().zip(&font_refs) {
        write_font(&mut pdf, embedded, glyphs, *refs);
    }

    for (page, (page_ref, content_ref)) in doc.pages.iter().zip(&page_refs) {
        let mut content = Content::new();
        for op in page {
            match op {
                Op::Text {
                    x,
                    y,
                    style,
                    size,
                    text,
                } => {
                    let Some((font, _)) = embedded.iter().find(|(e, _)| e.style == *style) else {
                        continue;
                    };
                    content.begin_text();
                    content.set_font(font.resource_name(), *size);
                    content.set_text_matrix([1.0, 0.0, 0.0, 1.0, *x, *y]);
                    content.show(Str(&font.encode(text)));
                    content.end_text();
                }
                Op::Line { from, to, width } => {
                    content.set_line_width(*width);
                    content.move_to(from.0, from.1);
                    content.line_to(to.0, to.1);
                    content.stroke();
                }
                Op::Band { x, y, w, h } => {
                    content.save_state();
                    content.set_fill_gray(0.9);
                    content.rect(*x, *y, *w, *h);
                    content.fill_nonzero();
                    content.restore_state();
                }
            }
        }
        let stream = compress(&content.finish());
        pdf.stream(*content_ref, &stream)
            .filter(Filter::FlateDecode);
        let mut p = pdf.page(*page_ref);
        p.parent(pages_ref)
            .media_box(Rect::new(0.0, 0.0, PAGE.0, PAGE.1))
            .contents(*content_ref);
        let mut resources = p.resources();
        let mut fonts = resources.fonts();
        for ((e, _), refs) in embedded.iter().zip(&font_refs) {
            fonts.pair(e.resource_name(), refs[0]);
        }
        fonts.finish();
        resources.finish();
        p.finish();
    }
    pdf.finish()
}

/// The Type 0 font, its CID font, descriptor, subset file and ToUnicode map.
fn write_font(pdf: &mut Pdf, e: &Embedded, glyphs: &BTreeSet<u16>, refs: [Ref; 5]) {
    let [type0, cid, descriptor, file, to_unicode] = refs;
    let font = e.style.font();
    let name = format!("{}+{}", subset_tag(glyphs), font.postscript_name);
    let system_info = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };
    pdf.type0_font(type0)
        .base_font(Name(name.as_bytes()))
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid)
        .to_unicode(to_unicode);

    // Widths of the subset's glyphs, in the subset's order (0 is .notdef).
    let mut by_new: Vec<(u16, u16)> = glyphs
        .iter()
        .filter_map(|g| e.remapper.get(*g).map(|n| (n, *g)))
        .collect();
    by_new.sort_unstable();
    let mut c = pdf.cid_font(cid);
    c.subtype(CidFontType::Type2)
        .base_font(Name(name.as_bytes()))
        .system_info(system_info)
        .font_descriptor(descriptor)
        .default_width(0.0)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    {
        let mut widths = c.widths();
        for (new, old) in &by_new {
            widths.consecutive(*new, [font.advance(*old)]);
        }
    }
    c.finish();

    let (ascent, descent, cap, bbox) = font.metrics();
    pdf.font_descriptor(descriptor)
        .name(Name(name.as_bytes()))
        .flags(FontFlags::NON_SYMBOLIC)
        .bbox(Rect::new(bbox[0], bbox[1], bbox[2], bbox[3]))
        .italic_angle(0.0)
        .ascent(ascent)
        .descent(descent)
        .cap_height(cap)
        .stem_v(if e.style == Style::Bold { 120.0 } else { 80.0 })
        .font_file2(file);

    let subset =
        subsetter::subset(font.data, 0, &e.remapper).unwrap_or_else(|_| font.data.to_vec());
    let compressed = compress(&subset);
    pdf.stream(file, &compressed)
        .filter(Filter::FlateDecode)
        .pair(
            Name(b"Length1"),
            i32::try_from(subset.len()).unwrap_or(i32::MAX),
        );

    let mut cmap = pdf_writer::types::UnicodeCmap::new(Name(b"Custom"), system_info);
    for (old, shown) in &e.chars {
        if let Some(new) = e.remapper.get(*old) {
            cmap.pair(new, *shown);
        }
    }
    pdf.cmap(to_unicode, &cmap.finish());
}
