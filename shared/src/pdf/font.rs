//! The bundled fonts: parsed once per process, measured per character.

use std::sync::LazyLock;

/// The weight of a run of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Style {
    Regular,
    Bold,
}

impl Style {
    pub const ALL: [Self; 2] = [Self::Regular, Self::Bold];

    pub(super) fn font(self) -> &'static Font {
        match self {
            Self::Regular => &REGULAR,
            Self::Bold => &BOLD,
        }
    }
}

/// One font: its file, its metrics, and its glyphs by character.
pub(super) struct Font {
    pub data: &'static [u8],
    pub postscript_name: &'static str,
    face: ttf_parser::Face<'static>,
    /// Glyph of `?`, drawn for a character the font lacks (so nothing silently vanishes).
    replacement: u16,
}

static REGULAR: LazyLock<Font> = LazyLock::new(|| {
    Font::new(
        include_bytes!("../../assets/fonts/CorpnumSans-Regular.ttf"),
        "CorpnumSans-Regular",
    )
});
static BOLD: LazyLock<Font> = LazyLock::new(|| {
    Font::new(
        include_bytes!("../../assets/fonts/CorpnumSans-Bold.ttf"),
        "CorpnumSans-Bold",
    )
});

impl Font {
    fn new(data: &'static [u8], postscript_name: &'static str) -> Self {
        // The bundled files are fixed at build time; a unit test parses both.
        #[allow(clippy::expect_used)]
        let face = ttf_parser::Face::parse(data, 0).expect("bundled font parses");
        let replacement = face.glyph_index('?').map_or(0, |g| g.0);
        Self {
            data,
            postscript_name,
            face,
            replacement,
        }
    }

    /// The glyph drawn for `c`, and the character it stands for (`?` when the font lacks
    /// `c`).
    pub fn glyph(&self, c: char) -> (u16, char) {
        match self.face.glyph_index(c) {
            Some(g) => (g.0, c),
            None => (self.replacement, '?'),
        }
    }

    /// Advance of a glyph in thousandths of the font size (PDF glyph space).
    pub fn advance(&self, glyph: u16) -> f32 {
        let units = f32::from(self.face.units_per_em());
        let advance = self
            .face
            .glyph_hor_advance(ttf_parser::GlyphId(glyph))
            .map_or(0.0, f32::from);
        advance * 1000.0 / units
    }

    /// Width of `text` at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| self.advance(self.glyph(c).0))
            .sum::<f32>()
            * size
            / 1000.0
    }

    /// (ascent, descent, cap height, bounding box) in glyph space.
    pub fn metrics(&self) -> (f32, f32, f32, [f32; 4]) {
        let scale = 1000.0 / f32::from(self.face.units_per_em());
        let b = self.face.global_bounding_box();
        (
            f32::from(self.face.ascender()) * scale,
            f32::from(self.face.descender()) * scale,
            f32::from(self.face.capital_height().unwrap_or(self.face.ascender())) * scale,
            [
                f32::from(b.x_min) * scale,
                f32::from(b.y_min) * scale,
                f32::from(b.x_max) * scale,
                f32::from(b.y_max) * scale,
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_fonts_cover_russian_and_the_documents_punctuation() {
        for style in Style::ALL {
            let font = style.font();
            for c in "АБВЁЖЩЪЯабвёжщъя№«»—–…₽0123456789ABCxyz.,:;()".chars()
            {
                assert_eq!(font.glyph(c).1, c, "{c} in {}", font.postscript_name);
            }
            assert!(font.width("Стр. 1 из 2", 10.0) > 0.0);
        }
        // A character outside the cut is drawn as a question mark, never dropped.
        assert_eq!(Style::Regular.font().glyph('→').1, '?');
    }
}
