//! Layout: blocks placed top to bottom on A4 pages, wrapped to their width, flowing onto
//! further pages; a table's header repeats on each page it spans.

use super::font::Style;

/// A4 in points.
pub(super) const PAGE: (f32, f32) = (595.28, 841.89);
const LEFT: f32 = 50.0;
const RIGHT: f32 = 50.0;
const TOP: f32 = 56.0;
/// Room kept at the bottom for the footer.
const BOTTOM: f32 = 64.0;
const WIDTH: f32 = PAGE.0 - LEFT - RIGHT;
/// Line height as a multiple of the font size.
const LEADING: f32 = 1.3;
/// Padding inside table cells.
const PAD: f32 = 3.0;

/// What is drawn on a page, in page coordinates (origin bottom left).
#[derive(Debug, Clone)]
pub(super) enum Op {
    Text {
        x: f32,
        y: f32,
        style: Style,
        size: f32,
        text: String,
    },
    Line {
        from: (f32, f32),
        to: (f32, f32),
        width: f32,
    },
    /// A grey band behind a table header.
    Band { x: f32, y: f32, w: f32, h: f32 },
}

/// A table column: its title and its share of the page width.
#[derive(Debug, Clone, Copy)]
pub struct Column<'a> {
    pub title: &'a str,
    pub share: f32,
}

/// A document being laid out.
pub struct Document {
    pub(super) pages: Vec<Vec<Op>>,
    /// Distance of the next block's top from the page's bottom.
    y: f32,
    pub(super) title: String,
    pub(super) lang: &'static str,
}

/// `text` broken into lines no wider than `width` at `size` (greedy, at spaces; a word
/// wider than the line is broken between characters). Line breaks in the text are kept.
pub(super) fn wrap(text: &str, style: Style, size: f32, width: f32) -> Vec<String> {
    let font = style.font();
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if font.width(&candidate, size) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // The word alone: break it if it is wider than the line.
            for c in word.chars() {
                line.push(c);
                if font.width(&line, size) > width && line.chars().count() > 1 {
                    line.pop();
                    lines.push(std::mem::take(&mut line));
                    line.push(c);
                }
            }
        }
        lines.push(line);
    }
    lines
}

impl Document {
    pub fn new(title: &str, lang: &'static str) -> Self {
        Self {
            pages: vec![Vec::new()],
            y: PAGE.1 - TOP,
            title: title.to_owned(),
            lang,
        }
    }

    fn page(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = PAGE.1 - TOP;
    }

    /// Room for `height` more points on this page, or a new page.
    fn room(&mut self, height: f32) {
        if self.y - height < BOTTOM {
            self.new_page();
        }
    }

    fn text(&mut self, x: f32, baseline: f32, style: Style, size: f32, text: String) {
        if !text.is_empty() {
            self.page().push(Op::Text {
                x,
                y: baseline,
                style,
                size,
                text,
            });
        }
    }

    /// Vertical space.
    pub fn gap(&mut self, points: f32) {
        self.y -= points;
    }

    /// A heading in bold.
    pub fn heading(&mut self, text: &str, size: f32) {
        self.room(size * LEADING * 2.0);
        self.paragraph(text, Style::Bold, size);
        self.gap(size * 0.4);
    }

    /// Wrapped text across the page's width.
    pub fn paragraph(&mut self, text: &str, style: Style, size: f32) {
        for line in wrap(text, style, size, WIDTH) {
            self.room(size * LEADING);
            self.y -= size * LEADING;
            let baseline = self.y + size * 0.3;
            self.text(LEFT, baseline, style, size, line);
        }
    }

    /// A label and its value beside it, the value wrapped in the rest of the width.
    pub fn field(&mut self, label: &str, value: &str, size: f32) {
        let label_width = WIDTH * 0.32;
        let labels = wrap(label, Style::Bold, size, label_width - 8.0);
        let values = wrap(value, Style::Regular, size, WIDTH - label_width);
        let lines = labels.len().max(values.len());
        for i in 0..lines {
            self.room(size * LEADING);
            self.y -= size * LEADING;
            let baseline = self.y + size * 0.3;
            if let Some(l) = labels.get(i) {
                self.text(LEFT, baseline, Style::Bold, size, l.clone());
            }
            if let Some(v) = values.get(i) {
                self.text(
                    LEFT + label_width,
                    baseline,
                    Style::Regular,
                    size,
                    v.clone(),
                );
            }
        }
    }

    /// A table: a bold header on a grey band, rows with their cells wrapped to the
    /// column's width and a rule under each. A row that does not fit the rest of the page
    /// goes on, line by line, on the next, below the header drawn again.
    pub fn table(&mut self, columns: &[Column<'_>], rows: &[Vec<String>], size: f32) {
        let total: f32 = columns
            .iter()
            .map(|c| c.share)
            .sum::<f32>()
            .max(f32::EPSILON);
        let widths: Vec<f32> = columns.iter().map(|c| WIDTH * c.share / total).collect();
        let line = size * LEADING;
        let header: Vec<Vec<String>> = columns
            .iter()
            .zip(&widths)
            .map(|(c, w)| wrap(c.title, Style::Bold, size, w - 2.0 * PAD))
            .collect();
        let header_lines = header.iter().map(Vec::len).max().unwrap_or(1);
        let header_height = header_lines as f32 * line + 2.0 * PAD;
        // A header is never left alone at the bottom of a page.
        self.room(header_height + line + 2.0 * PAD);
        self.table_header(&header, &widths, size);
        for row in rows {
            let cells: Vec<Vec<String>> = row
                .iter()
                .zip(&widths)
                .map(|(text, w)| wrap(text, Style::Regular, size, w - 2.0 * PAD))
                .collect();
            let lines = cells.iter().map(Vec::len).max().unwrap_or(1);
            let mut done = 0;
            while done < lines {
                let fit = (((self.y - BOTTOM - 2.0 * PAD) / line).floor().max(0.0)) as usize;
                let rest = lines - done;
                // A row moves whole to the next page rather than split, unless it is
                // taller than a page can hold.
                let page_holds = ((PAGE.1 - TOP - BOTTOM - header_height - 2.0 * PAD) / line)
                    .floor()
                    .max(1.0) as usize;
                if fit == 0 || (fit < rest && rest <= page_holds) {
                    self.new_page();
                    self.table_header(&header, &widths, size);
                    continue;
                }
                let take = fit.min(rest);
                let top = self.y;
                let mut x = LEFT;
                for (cell, w) in cells.iter().zip(&widths) {
                    for (i, text) in cell.iter().skip(done).take(take).enumerate() {
                        let baseline = top - PAD - (i as f32 + 1.0) * line + size * 0.3;
                        self.text(x + PAD, baseline, Style::Regular, size, text.clone());
                    }
                    x += w;
                }
                self.y -= take as f32 * line + 2.0 * PAD;
                done += take;
                let y = self.y;
                self.page().push(Op::Line {
                    from: (LEFT, y),
                    to: (LEFT + WIDTH, y),
                    width: 0.3,
                });
                if done < lines {
                    self.new_page();
                    self.table_header(&header, &widths, size);
                }
            }
        }
    }

    fn table_header(&mut self, header: &[Vec<String>], widths: &[f32], size: f32) {
        let line = size * LEADING;
        let lines = header.iter().map(Vec::len).max().unwrap_or(1);
        let height = lines as f32 * line + 2.0 * PAD;
        let top = self.y;
        self.page().push(Op::Band {
            x: LEFT,
            y: top - height,
            w: WIDTH,
            h: height,
        });
        let mut x = LEFT;
        for (cell, w) in header.iter().zip(widths) {
            for (i, text) in cell.iter().enumerate() {
                let baseline = top - PAD - (i as f32 + 1.0) * line + size * 0.3;
                self.text(x + PAD, baseline, Style::Bold, size, text.clone());
            }
            x += w;
        }
        self.y -= height;
    }

    /// The finished PDF: each page gets `footer(n, m)` at its foot (`n` of `m` pages).
    pub fn finish(
        mut self,
        footer: impl Fn(usize, usize) -> String,
        created: chrono::DateTime<chrono::Utc>,
    ) -> Vec<u8> {
        let count = self.pages.len();
        for (i, page) in self.pages.iter_mut().enumerate() {
            let text = footer(i + 1, count);
            let size = 8.0;
            let width = Style::Regular.font().width(&text, size);
            page.push(Op::Line {
                from: (LEFT, BOTTOM - 18.0),
                to: (LEFT + WIDTH, BOTTOM - 18.0),
                width: 0.3,
            });
            page.push(Op::Text {
                x: LEFT + WIDTH - width,
                y: BOTTOM - 30.0,
                style: Style::Regular,
                size,
                text,
            });
        }
        super::write::write(&self, created)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_every_word_within_the_width() {
        let text = "Заявка отклонена: ОГРН не совпадает с выпиской из ЕГРЮЛ, приложите \
                    действующий устав и доверенность сотрудника";
        let lines = wrap(text, Style::Regular, 10.0, 120.0);
        assert!(lines.len() > 2, "{lines:?}");
        for l in &lines {
            assert!(Style::Regular.font().width(l, 10.0) <= 120.0, "{l}");
        }
        assert_eq!(
            lines.join(" "),
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        let long = "Ж".repeat(100);
        let broken = wrap(&long, Style::Regular, 10.0, 50.0);
        assert_eq!(broken.concat(), long, "a long word is broken, not lost");
        assert_eq!(wrap("а\nб", Style::Regular, 10.0, 100.0), ["а", "б"]);
    }
}
