//! Walking the data rows of a file: which sheets hold data and where their header is, then
//! every data row in order, with progress.

use super::ReadProgress;
use super::error::{ReadError, ReadFailure};
use super::source::{Flow, Row, Source};

/// A header is looked for among the first rows that are not blank.
const HEADER_SEARCH_ROWS: usize = 20;

/// Progress is reported at least this often.
const PROGRESS_ROWS: u64 = 10_000;
const PROGRESS_BYTES: u64 = 64 * 1024;

/// What [`walk`] calls for each data row: the plan's index, the line, the row.
pub(crate) type EachRow<'a, E> = dyn FnMut(usize, u64, &dyn Row) -> Result<(), E> + 'a;

/// A sheet with data: its index, its header's line, and what the header says.
pub(crate) struct SheetPlan<C> {
    pub sheet: usize,
    pub name: String,
    pub header_line: u64,
    pub columns: C,
}

/// OpenSID's workbook keeps its code tables in a sheet of this name; it is never data.
fn is_code_sheet(name: &str) -> bool {
    name.trim().eq_ignore_ascii_case("kode data")
}

/// The sheets whose first rows include one `recognise` takes for a header, in order.
pub(crate) fn find_headers<C>(
    source: &mut Source,
    recognise: &mut dyn FnMut(&dyn Row) -> Option<C>,
) -> Result<Vec<SheetPlan<C>>, ReadError> {
    let mut plans = Vec::new();
    for (sheet, name) in source.sheets().to_vec().into_iter().enumerate() {
        if is_code_sheet(&name) {
            continue;
        }
        let mut looked = 0;
        let mut found = None;
        let scanned = source.scan::<()>(sheet, &mut |place, row| {
            if row.is_blank() {
                return Ok(Flow::Continue);
            }
            looked += 1;
            if let Some(columns) = recognise(row) {
                found = Some((place.line, columns));
                return Ok(Flow::Stop);
            }
            Ok(if looked >= HEADER_SEARCH_ROWS { Flow::Stop } else { Flow::Continue })
        });
        match scanned {
            Ok(()) => {}
            Err(ReadFailure::Read(error)) => return Err(error),
            Err(ReadFailure::Sink(())) => {}
        }
        if let Some((header_line, columns)) = found {
            plans.push(SheetPlan { sheet, name, header_line, columns });
        }
    }
    Ok(plans)
}

/// Hands every data row of the planned sheets to `each` (with the plan's index), skipping
/// blank rows and stopping a sheet at OpenSID's end marker (`###` in the second column).
/// Returns the number of data rows.
pub(crate) fn walk<C, E>(
    source: &mut Source,
    plans: &[SheetPlan<C>],
    progress: &(dyn Fn(ReadProgress) + Sync),
    each: &mut EachRow<'_, E>,
) -> Result<u64, ReadFailure<E>> {
    let total_bytes = source.total_bytes();
    let mut rows = 0u64;
    let mut reported = (0u64, 0u64);
    progress(ReadProgress { done_bytes: 0, total_bytes, rows });
    for (index, plan) in plans.iter().enumerate() {
        source.scan(plan.sheet, &mut |place, row| {
            if place.line <= plan.header_line || row.is_blank() {
                return Ok(Flow::Continue);
            }
            if row.cell(1).text() == "###" {
                return Ok(Flow::Stop);
            }
            rows += 1;
            each(index, place.line, row)?;
            if rows - reported.0 >= PROGRESS_ROWS
                || place.done_bytes.saturating_sub(reported.1) >= PROGRESS_BYTES
            {
                reported = (rows, place.done_bytes.max(reported.1));
                progress(ReadProgress { done_bytes: reported.1, total_bytes, rows });
            }
            Ok(Flow::Continue)
        })?;
    }
    progress(ReadProgress { done_bytes: total_bytes, total_bytes, rows });
    Ok(rows)
}
