//! The first pass: which families have exactly one valid head.
//!
//! A family's rows may be anywhere in the file, so before any row is handed on, the whole
//! file is read once: every row's NIK is noted (the repeat check must see the same rows
//! before a head as the second pass will), and every row with SHDK 1 is checked in full and,
//! if valid, counted for its KK. Memory: one `u64 -> u8` entry per family with a head and
//! one `u64` per NIK, never row text.

use std::collections::{HashMap, HashSet};

use protocol::NoKk;

use super::reason::RejectReason;
use crate::population::record::PersonRecord;

/// Heads counted per KK number.
#[derive(Debug, Default)]
pub(crate) struct Families {
    heads: HashMap<u64, u8>,
}

impl Families {
    /// Counts a head's row that passed every row check.
    pub(crate) fn note(&mut self, head: &PersonRecord) {
        if head.is_head() {
            let heads = self.heads.entry(number(&head.kk)).or_insert(0);
            *heads = heads.saturating_add(1);
        }
    }

    /// Whether the family of `kk` has exactly one valid head.
    pub(crate) fn check(&self, kk: &NoKk) -> Result<(), RejectReason> {
        match self.heads.get(&number(kk)).copied().unwrap_or(0) {
            1 => Ok(()),
            0 => Err(RejectReason::KkWithoutHead),
            _ => Err(RejectReason::KkManyHeads),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.heads.len()
    }
}

fn number(kk: &NoKk) -> u64 {
    // A NoKk is 16 ASCII digits, which always fit a u64.
    kk.as_str().parse().unwrap_or_default()
}

/// The NIKs seen so far in a pass, as numbers.
pub(crate) type SeenNiks = HashSet<u64>;
