//! What a finished job's page shows of its per-row report, by kind: the outcomes a row can
//! have (the filter and the counts), one report row as a table row, and the sentence that
//! says what happened. A recipient list's report is `line,nik,outcome,reason_id,reason_en`;
//! a registry file's is `registry_import::ReportWriter`'s (`import,line,nik,kk,outcome,...`).

use serde::Serialize;

use super::{Job, JobKind, JobState};
use crate::console::reply::Said;

/// The outcomes of a recipient list's row, in the order the filter offers them.
const LIST_OUTCOMES: &[(&str, &str, &str)] = &[
    ("accepted", "diterima", "accepted"),
    ("rejected", "ditolak", "rejected"),
    ("over_quota", "melebihi kuota", "over quota"),
    ("not_found", "tidak ditemukan", "not found"),
    ("other_desa", "desa lain", "other desa"),
    ("duplicate", "ganda", "duplicate"),
    ("malformed", "rusak", "malformed"),
];

/// The outcomes of a population or desil file's report row.
const REGISTRY_OUTCOMES: &[(&str, &str, &str)] = &[
    ("rejected", "ditolak", "rejected"),
    ("unmatched", "tidak cocok", "unmatched"),
    ("changed", "berubah", "changed"),
];

pub(super) fn outcomes(kind: JobKind) -> &'static [(&'static str, &'static str, &'static str)] {
    if kind.is_registry() { REGISTRY_OUTCOMES } else { LIST_OUTCOMES }
}

fn said(id: &str, en: &str) -> Said {
    Said { id: id.into(), en: en.into() }
}

/// The rows read and each outcome's count, in [`outcomes`]' order, once finished.
pub(super) fn counts(state: &JobState) -> Option<(u64, Vec<u64>)> {
    match state {
        JobState::Finished(s) => Some((
            s.rows,
            vec![
                s.accepted,
                s.rejected,
                s.over_quota,
                s.not_found,
                s.other_desa,
                s.duplicate,
                s.malformed,
            ],
        )),
        JobState::Registry(s) => Some((s.rows, vec![s.rejected, s.unmatched, s.changed])),
        _ => None,
    }
}

#[derive(Serialize)]
pub(super) struct RowView {
    line: String,
    nik: String,
    outcome: Said,
    tone: &'static str,
    reason: Option<Said>,
}

/// The columns of `kind`'s report: line, NIK, outcome, reason (Indonesian, English).
fn columns(kind: JobKind) -> [usize; 5] {
    if kind.is_registry() { [1, 2, 4, 9, 10] } else { [0, 1, 2, 3, 4] }
}

/// A report row's outcome key.
pub(super) fn outcome_of(kind: JobKind, row: &csv::StringRecord) -> &str {
    row.get(columns(kind)[2]).unwrap_or("")
}

pub(super) fn row_view(kind: JobKind, row: &csv::StringRecord) -> RowView {
    let [line, nik, outcome, reason_id, reason_en] = columns(kind);
    let cell = |at: usize| row.get(at).unwrap_or("");
    let key = cell(outcome);
    let (id, en) = outcomes(kind)
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, id, en)| (*id, *en))
        .unwrap_or((key, key));
    let tone = match key {
        "accepted" | "changed" => "ok",
        "malformed" | "duplicate" | "rejected" if kind.is_registry() || key != "rejected" => "bad",
        _ => "warn",
    };
    // A desil row names its family by KK when it names no NIK.
    let nik = match cell(nik) {
        "" if kind.is_registry() => cell(3),
        nik => nik,
    };
    RowView {
        line: cell(line).into(),
        nik: nik.into(),
        outcome: said(id, en),
        tone,
        reason: match (cell(reason_id), cell(reason_en)) {
            ("", "") => None,
            (id, en) => Some(said(id, en)),
        },
    }
}

/// What a finished job did, in a sentence, and its tone.
pub(super) fn note(job: &Job, state: &JobState) -> Option<(Said, &'static str)> {
    Some(match state {
        JobState::Finished(summary) if summary.written => (
            said(
                "Ditulis: baris yang diterima masuk daftar penerima.",
                "Written: the accepted rows are on the recipient list.",
            ),
            "ok",
        ),
        JobState::Finished(_) if job.dry_run => (
            said(
                "Uji coba selesai: tidak ada yang ditulis.",
                "Dry run finished: nothing was written.",
            ),
            "ok",
        ),
        JobState::Finished(_) => (
            said(
                "Tidak ditulis: ada baris rusak atau ganda. Perbaiki berkasnya lalu unggah lagi.",
                "Not written: some rows are malformed or duplicated. Fix the file and upload it again.",
            ),
            "bad",
        ),
        JobState::Registry(_) if job.dry_run => (
            said(
                "Uji coba selesai: registri tidak berubah. Laporan menunjukkan apa yang akan berubah.",
                "Dry run finished: the registry did not change. The report shows what would change.",
            ),
            "ok",
        ),
        JobState::Registry(s) => (
            said(
                &format!(
                    "Ditulis ke registri: {} penduduk baru, {} diperbarui, {} KK baru.",
                    s.inserted, s.updated, s.families_new
                ),
                &format!(
                    "Written to the registry: {} residents new, {} updated, {} families new.",
                    s.inserted, s.updated, s.families_new
                ),
            ),
            "ok",
        ),
        _ => return None,
    })
}
