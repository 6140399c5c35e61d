//! The family check: a KK's rows are used only when exactly one of them is a valid head.
//!
//! A family's rows may be anywhere in the file, so its verdict is known only once the whole
//! file is read. The reader reads once: every row is checked on its own and handed on, while
//! this tally counts, per KK, the accepted rows and the valid heads among them. At the end
//! the families without exactly one head are [`UnfitFamily`]s, whose rows the writer takes
//! back out of what it staged. Memory: a few bytes per family, never row text.

use std::collections::HashMap;

use protocol::{Nik, NoKk};

use super::Rejection;
use super::reason::RejectReason;
use crate::population::record::PersonRecord;

/// What is known of one KK so far.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    heads: u8,
    /// The file's sheet (plan) of the first row naming it, for the report's detail.
    plan: u16,
    rows: u32,
}

/// Accepted rows and valid heads, per KK number.
#[derive(Debug, Default)]
pub(crate) struct Families {
    tallies: HashMap<u64, Tally>,
}

impl Families {
    /// Counts a row that passed every check of its own.
    pub(crate) fn note(&mut self, plan: usize, record: &PersonRecord) {
        let tally = self
            .tallies
            .entry(number(&record.kk))
            .or_insert(Tally { plan: u16::try_from(plan).unwrap_or(u16::MAX), ..Tally::default() });
        tally.rows = tally.rows.saturating_add(1);
        if record.is_head() {
            tally.heads = tally.heads.saturating_add(1);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.tallies.len()
    }

    /// The families without exactly one valid head, in KK order, each with the detail its
    /// rows' rejections give (`detail` of the sheet its first row is on and the masked KK);
    /// and how many accepted rows they take back.
    pub(crate) fn unfit(&self, detail: impl Fn(usize, &NoKk) -> String) -> (Vec<UnfitFamily>, u64) {
        let mut unfit = Vec::new();
        let mut rows = 0u64;
        for (&kk, tally) in &self.tallies {
            let reason = match tally.heads {
                1 => continue,
                0 => RejectReason::KkWithoutHead,
                _ => RejectReason::KkManyHeads,
            };
            let Ok(kk) = NoKk::parse(&format!("{kk:016}")) else { continue };
            rows += u64::from(tally.rows);
            let detail = detail(usize::from(tally.plan), &kk);
            unfit.push(UnfitFamily { kk, reason, detail });
        }
        unfit.sort_by(|a, b| a.kk.as_str().cmp(b.kk.as_str()));
        (unfit, rows)
    }
}

/// A family whose rows each passed on their own, but which has no valid head (SHDK 1) or
/// more than one: every one of its rows is refused, for this reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnfitFamily {
    pub kk: NoKk,
    pub reason: RejectReason,
    /// The KK's column and the number masked, as a report shows it.
    pub detail: String,
}

impl UnfitFamily {
    /// The rejection of one of the family's rows.
    pub fn rejection(&self, line: u64, nik: &Nik) -> Rejection {
        Rejection {
            line,
            nik: Some(nik.masked()),
            reason: self.reason,
            detail: self.detail.clone(),
        }
    }
}

fn number(kk: &NoKk) -> u64 {
    // A NoKk is 16 ASCII digits, which always fit a u64.
    kk.as_str().parse().unwrap_or_default()
}

/// The NIKs seen so far in the file, as numbers.
pub(crate) type SeenNiks = std::collections::HashSet<u64>;
