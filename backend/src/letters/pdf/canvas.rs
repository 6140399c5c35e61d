//! Pages as lists of marks (text runs and filled rectangles) in points from the top-left
//! corner, laid out first and drawn with krilla after: the layout can count its pages (for
//! "Halaman 1 dari 2") and tests can inspect it without reading a PDF back.

use krilla::Document;
use krilla::color::luma;
use krilla::geom::{PathBuilder, Point, Rect, Transform};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule};

use super::PdfError;
use super::text::Fonts;

/// A4 in points.
pub(super) const PAGE_WIDTH: f32 = 595.28;
pub(super) const PAGE_HEIGHT: f32 = 841.89;

/// One thing drawn on a page.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Mark {
    /// A run of clean text on one line; `space_extra` widens each space (justified lines).
    Text { x: f32, baseline: f32, size: f32, bold: bool, text: String, space_extra: f32 },
    /// A filled rectangle: rules, cell borders, QR modules. `gray`: 0 black .. 255 white.
    Rect { x: f32, y: f32, width: f32, height: f32, gray: u8 },
    /// Large light text across the page's diagonal, drawn as outlines under everything
    /// else, so it marks the paper without becoming part of the letter's text.
    Watermark { text: String, size: f32 },
}

#[derive(Debug, Default, Clone)]
pub(super) struct Page {
    pub(super) marks: Vec<Mark>,
}

impl Page {
    pub(super) fn rect(&mut self, x: f32, y: f32, width: f32, height: f32, gray: u8) {
        self.marks.push(Mark::Rect { x, y, width, height, gray });
    }

    /// The four sides of a box, `line` thick, inside its outline.
    pub(super) fn frame(&mut self, x: f32, y: f32, width: f32, height: f32, line: f32) {
        self.rect(x, y, width, line, 0);
        self.rect(x, y + height - line, width, line, 0);
        self.rect(x, y, line, height, 0);
        self.rect(x + width - line, y, line, height, 0);
    }

    /// Every text of the page in drawing order.
    #[cfg(test)]
    pub(super) fn texts(&self) -> impl Iterator<Item = &str> {
        self.marks.iter().filter_map(|mark| match mark {
            Mark::Text { text, .. } => Some(text.as_str()),
            _ => None,
        })
    }
}

/// The pages drawn into one PDF.
pub(super) fn render(pages: &[Page], fonts: &Fonts, title: &str) -> Result<Vec<u8>, PdfError> {
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(title.to_owned())
            .language("id".to_owned())
            .creator("Anjungan".to_owned()),
    );
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).ok_or(PdfError::Layout)?;
    for marks in pages {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for mark in &marks.marks {
            match mark {
                Mark::Watermark { text, size } => {
                    let face = fonts.face(true);
                    let width = face.width(text, *size);
                    let angle = -(PAGE_HEIGHT.atan2(PAGE_WIDTH).to_degrees());
                    surface.push_transform(&Transform::from_rotate_at(
                        angle,
                        PAGE_WIDTH / 2.0,
                        PAGE_HEIGHT / 2.0,
                    ));
                    surface.set_fill(Some(fill(225)));
                    surface.draw_glyphs(
                        Point::from_xy((PAGE_WIDTH - width) / 2.0, PAGE_HEIGHT / 2.0 + size / 3.0),
                        &face.glyphs(text, *size, 0.0),
                        face.pdf.clone(),
                        text,
                        *size,
                        true,
                    );
                    surface.pop();
                }
                Mark::Text { x, baseline, size, bold, text, space_extra } => {
                    let face = fonts.face(*bold);
                    surface.set_fill(Some(fill(0)));
                    surface.draw_glyphs(
                        Point::from_xy(*x, *baseline),
                        &face.glyphs(text, *size, *space_extra),
                        face.pdf.clone(),
                        text,
                        *size,
                        false,
                    );
                }
                Mark::Rect { x, y, width, height, gray } => {
                    let Some(rect) = Rect::from_xywh(*x, *y, *width, *height) else { continue };
                    let mut path = PathBuilder::new();
                    path.push_rect(rect);
                    let Some(path) = path.finish() else { continue };
                    surface.set_fill(Some(fill(*gray)));
                    surface.draw_path(&path);
                }
            }
        }
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|error| PdfError::Pdf(format!("{error:?}")))
}

fn fill(gray: u8) -> Fill {
    Fill {
        paint: luma::Color::new(gray).into(),
        opacity: NormalizedF32::ONE,
        rule: FillRule::NonZero,
    }
}
