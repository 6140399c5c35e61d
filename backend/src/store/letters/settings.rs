//! Each desa's letter settings: number format, classification codes, office address and the
//! kepala desa who signs what is issued at once at the kiosk.

use std::collections::BTreeMap;

use super::super::sql::{Db, params};
use super::super::{Store, StoreError};
use crate::letters::NumberFormat;
use crate::letters::number::DEFAULT_FORMAT;

/// A desa's letter settings; the defaults until the desa sets its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterSettings {
    pub desa_code: u64,
    pub number_format: String,
    /// Letter type code to classification code, overriding the catalogue's.
    pub codes: BTreeMap<String, String>,
    pub address: String,
    pub head_name: String,
    pub head_position: String,
    pub head_nip: Option<String>,
}

impl LetterSettings {
    pub fn defaults(desa_code: u64) -> LetterSettings {
        LetterSettings {
            desa_code,
            number_format: DEFAULT_FORMAT.into(),
            codes: BTreeMap::new(),
            address: String::new(),
            head_name: String::new(),
            head_position: String::new(),
            head_nip: None,
        }
    }

    pub fn format(&self) -> Result<NumberFormat, StoreError> {
        NumberFormat::parse(&self.number_format).map_err(StoreError::Invalid)
    }

    /// The classification code the desa numbers `letter` with, or the catalogue's.
    pub fn code_for<'a>(&'a self, letter: &str, catalogue_code: &'a str) -> &'a str {
        self.codes.get(letter).map(String::as_str).unwrap_or(catalogue_code)
    }

    /// Whether a letter can be issued at once: someone must be named to sign it.
    pub fn has_signer(&self) -> bool {
        !self.head_name.trim().is_empty() && !self.head_position.trim().is_empty()
    }

    /// Refuses settings that would print wrong: an invalid format, a control character, an
    /// overlong text.
    pub fn check(&self) -> Result<(), StoreError> {
        self.format()?;
        let texts = [&self.address, &self.head_name, &self.head_position]
            .into_iter()
            .chain(self.head_nip.as_ref())
            .chain(self.codes.values());
        for text in texts {
            if text.chars().count() > 120
                || text.chars().any(char::is_control)
                || text.contains('|')
            {
                return Err(StoreError::Invalid(format!(
                    "{text:?}: at most 120 characters, no control character and no |"
                )));
            }
        }
        Ok(())
    }
}

pub(super) fn read(db: &mut impl Db, desa_code: u64) -> Result<LetterSettings, StoreError> {
    let row = db.query_opt(
        "SELECT number_format, codes, address, head_name, head_position, head_nip
         FROM letter_settings WHERE desa_code = ?1",
        params![desa_code],
    )?;
    let Some(mut row) = row else { return Ok(LetterSettings::defaults(desa_code)) };
    let codes: String = row.get(1)?;
    Ok(LetterSettings {
        desa_code,
        number_format: row.get(0)?,
        codes: serde_json::from_str(&codes)
            .map_err(|e| StoreError::Corrupt(format!("letter codes of desa {desa_code}: {e}")))?,
        address: row.get(2)?,
        head_name: row.get(3)?,
        head_position: row.get(4)?,
        head_nip: row.get(5)?,
    })
}

impl Store {
    pub fn letter_settings(&self, desa_code: u64) -> Result<LetterSettings, StoreError> {
        read(&mut *self.pool.get()?, desa_code)
    }

    /// Keeps a desa's settings, audited in the same transaction.
    pub fn set_letter_settings(
        &self,
        settings: &LetterSettings,
        actor: &str,
    ) -> Result<(), StoreError> {
        settings.check()?;
        let codes = serde_json::to_string(&settings.codes)
            .map_err(|e| StoreError::Corrupt(format!("letter codes: {e}")))?;
        let now = super::super::fleet::now();
        self.write(|db| {
            db.execute(
                "INSERT INTO letter_settings (desa_code, number_format, codes, address, head_name,
                     head_position, head_nip, updated_at, updated_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (desa_code) DO UPDATE SET number_format = excluded.number_format,
                     codes = excluded.codes, address = excluded.address,
                     head_name = excluded.head_name, head_position = excluded.head_position,
                     head_nip = excluded.head_nip, updated_at = excluded.updated_at,
                     updated_by = excluded.updated_by",
                params![
                    settings.desa_code,
                    settings.number_format,
                    codes,
                    settings.address,
                    settings.head_name,
                    settings.head_position,
                    settings.head_nip,
                    now,
                    actor
                ],
            )?;
            super::super::audit::insert_in(
                db,
                &super::super::AuditEntry {
                    at: now.clone(),
                    actor: actor.to_owned(),
                    action: "letter_settings".into(),
                    subject: format!("desa:{}", settings.desa_code),
                    outcome: "saved".into(),
                },
            )
        })
    }
}
