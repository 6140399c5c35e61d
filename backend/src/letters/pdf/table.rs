//! The family table: columns as wide as their content allows, a border round every cell,
//! and a row that does not fit the page starting a new one under the repeated header.

use super::text::{Face, Fonts, widest_word, wrap};
use super::{BOTTOM, LEFT, Layout, RIGHT, TOP, WIDTH, line_height};

/// Table text is a little smaller than the body, so six columns fit the width.
const TABLE_SIZE: f32 = 9.5;
const CELL_PAD_X: f32 = 4.0;
const CELL_PAD_Y: f32 = 2.5;
const BORDER: f32 = 0.6;

impl Layout<'_> {
    /// A table across the text width with a border round every cell; a row that does not
    /// fit starts a new page, which repeats the header.
    pub(super) fn table(&mut self, header: &[String], rows: &[Vec<String>]) {
        let clean = |cells: &[String]| -> Vec<String> {
            cells.iter().map(|cell| self.fonts.clean(cell)).collect()
        };
        let header = clean(header);
        let rows: Vec<Vec<String>> = rows.iter().map(|row| clean(row)).collect();
        let columns = rows.iter().map(Vec::len).chain([header.len()]).max().unwrap_or(0);
        if columns == 0 {
            return;
        }
        let widths = column_widths(self.fonts, &header, &rows, columns);
        // Short columns (the row number, L/P) are centred.
        let centred: Vec<bool> = (0..columns)
            .map(|column| {
                rows.iter().all(|row| row.get(column).is_none_or(|cell| cell.chars().count() <= 3))
            })
            .collect();
        let header_lines = self.cells(&header, &widths, true);
        self.keep(row_height(&header_lines) + row_height(&[vec![String::new()]]) + BORDER, BOTTOM);
        self.table_row(&header_lines, &widths, &vec![true; columns], true);
        for row in &rows {
            let lines = self.cells(row, &widths, false);
            if self.y + row_height(&lines) + BORDER > BOTTOM && self.y > TOP {
                self.close_table();
                self.new_page();
                self.table_row(&header_lines, &widths, &vec![true; columns], true);
            }
            self.table_row(&lines, &widths, &centred, false);
        }
        self.close_table();
    }

    /// The bottom border under the last row on a page (each row draws only its top, so
    /// borders between rows are not drawn twice as thick).
    fn close_table(&mut self) {
        self.page.rect(LEFT, self.y, WIDTH, BORDER, 0);
        self.y += BORDER;
    }

    /// Each cell of a row wrapped to its column.
    fn cells(&self, cells: &[String], widths: &[f32], bold: bool) -> Vec<Vec<String>> {
        let face = self.fonts.face(bold);
        widths
            .iter()
            .enumerate()
            .map(|(column, width)| {
                let text = cells.get(column).map(String::as_str).unwrap_or("");
                wrap(face, text, TABLE_SIZE, width - 2.0 * CELL_PAD_X)
            })
            .collect()
    }

    fn table_row(&mut self, cells: &[Vec<String>], widths: &[f32], centred: &[bool], bold: bool) {
        let height = row_height(cells);
        let top = self.y;
        if bold {
            self.page.rect(LEFT, top, WIDTH, height, 235);
        }
        let face = self.fonts.face(bold);
        let mut x = LEFT;
        for ((lines, width), centre) in cells.iter().zip(widths).zip(centred) {
            for (index, line) in lines.iter().enumerate() {
                let drawn = face.width(line, TABLE_SIZE);
                let left = match centre {
                    true => x + (width - drawn).max(0.0) / 2.0,
                    false => x + CELL_PAD_X,
                };
                let line_top = top + CELL_PAD_Y + index as f32 * line_height(TABLE_SIZE);
                self.text(left, line_top, TABLE_SIZE, bold, line.clone(), 0.0);
            }
            self.page.rect(x, top, BORDER, height, 0);
            x += width;
        }
        self.page.rect(RIGHT - BORDER, top, BORDER, height, 0);
        self.page.rect(LEFT, top, WIDTH, BORDER, 0);
        self.y += height;
    }
}

fn row_height(cells: &[Vec<String>]) -> f32 {
    let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
    lines as f32 * line_height(TABLE_SIZE) + 2.0 * CELL_PAD_Y
}

/// Column widths filling the text width: as wide as their content when it all fits,
/// otherwise each keeps its longest word and the rest is shared by how much more each
/// would take; only a table whose longest words alone overflow the page cuts words.
fn column_widths(
    fonts: &Fonts,
    header: &[String],
    rows: &[Vec<String>],
    columns: usize,
) -> Vec<f32> {
    let measure = |measure: &dyn Fn(&Face, &str) -> f32| -> Vec<f32> {
        (0..columns)
            .map(|column| {
                let head = header.get(column).map(|cell| measure(&fonts.bold, cell));
                let cells = rows.iter().filter_map(|row| row.get(column));
                cells.map(|cell| measure(&fonts.regular, cell)).chain(head).fold(0.0, f32::max)
                    + 2.0 * CELL_PAD_X
            })
            .collect()
    };
    let natural = measure(&|face, text| face.width(text, TABLE_SIZE));
    let least = measure(&|face, text| widest_word(face, text, TABLE_SIZE));
    let total: f32 = natural.iter().sum();
    if total <= WIDTH {
        return natural.iter().map(|width| width * WIDTH / total).collect();
    }
    let floor: f32 = least.iter().sum();
    if floor >= WIDTH {
        return least.iter().map(|width| width * WIDTH / floor).collect();
    }
    let wanted = total - floor;
    natural
        .iter()
        .zip(&least)
        .map(|(natural, least)| least + (natural - least) * (WIDTH - floor) / wanted)
        .collect()
}
