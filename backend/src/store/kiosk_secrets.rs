//! Kiosk secrets sealed at rest (see [`crate::secrets`]): the keys a store holds, and the
//! re-sealing of every secret in one transaction, audited: at start (plain-text secrets of
//! an older installation, or a rotation a crash interrupted) and by a rotation.

use std::sync::{Arc, RwLock};

use super::conn::Exclusivity;
use super::sql::{Db, Dialect, params};
use super::{Store, StoreError};
use crate::secrets::{self, KeySource, Keyring, MasterKey, SecretsError, Stored};

/// The keys a store seals and opens kiosk secrets with, and where they came from.
pub(crate) struct Sealer {
    keys: RwLock<Keyring>,
    source: KeySource,
}

impl Sealer {
    fn keys(&self) -> Keyring {
        self.keys.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set_keys(&self, keys: Keyring) {
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = keys;
    }

    /// The keys as the key file holds them now: another process (a rotation) may have
    /// changed it since this one started.
    fn reload(&self) -> Result<Keyring, SecretsError> {
        match self.source.load()? {
            Some(keys) if matches!(self.source, KeySource::File(_)) => {
                self.set_keys(keys.clone());
                Ok(keys)
            }
            _ => Ok(self.keys()),
        }
    }

    /// Opens the secret stored for `kiosk_id`. A value sealed under a key this process has
    /// not loaded makes it read the key file again once, so a running service follows a
    /// rotation done by the CLI.
    pub(super) fn open(&self, kiosk_id: &str, value: &str) -> Result<String, SecretsError> {
        match secrets::open(&self.keys(), kiosk_id, value) {
            Err(SecretsError::UnknownKey { .. }) if matches!(self.source, KeySource::File(_)) => {
                secrets::open(&self.reload()?, kiosk_id, value)
            }
            other => other,
        }
    }

    /// The key a new secret is sealed under, read from the key file afresh. Called inside
    /// the registration's write transaction: writers take turns, so a rotation that
    /// committed before is seen, and one that commits after re-seals this secret too.
    pub(super) fn sealing_key(&self) -> Result<MasterKey, SecretsError> {
        Ok(self.reload()?.current().clone())
    }
}

/// What a rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    pub old_key: String,
    pub new_key: String,
    /// Kiosk secrets sealed again under the new key.
    pub kiosks: usize,
}

/// Why secrets are re-sealed, as the audit entry names it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reseal {
    Start,
    Rotation,
}

impl Store {
    /// Attaches the master key: loaded from `source` (a missing key file is created, unless
    /// the database already holds secrets sealed under some key); refused when no secret of
    /// the database is sealed under a key it has. Then every secret not yet under the
    /// current key (plain text from before sealing, or left by an interrupted rotation) is
    /// sealed under it in one audited transaction, and a rotation's `.old` key goes.
    pub fn with_secrets(mut self, source: KeySource, actor: &str) -> Result<Store, StoreError> {
        let stored = self.sealed_key_ids()?;
        let keys = match (source.load()?, &source) {
            (Some(keys), _) => keys,
            (None, KeySource::File(path)) if stored.is_empty() => {
                let key = MasterKey::generate();
                secrets::create_key_file(path, &key)?;
                let path_shown = path.display();
                tracing::info!(path = %path_shown, key_id = key.id(), "kiosk secrets key created");
                Keyring::new(key)
            }
            (None, KeySource::File(path)) => {
                return Err(SecretsError::Missing { path: path.clone(), stored }.into());
            }
            (None, KeySource::Given { .. }) => return Err(SecretsError::NoKey.into()),
        };
        let unknown: Vec<String> =
            stored.iter().filter(|id| keys.find(id).is_none()).cloned().collect();
        if !stored.is_empty() && unknown.len() == stored.len() {
            return Err(SecretsError::WrongKey {
                origin: source.origin(),
                stored: unknown,
                loaded: keys.ids(),
            }
            .into());
        }
        if !unknown.is_empty() {
            // Some secrets under the key, some not: not a wrong key file but values that
            // could not be re-sealed (altered, or copied from another kiosk's row), left
            // under a key since retired. Those kiosks are refused; the rest are served.
            tracing::warn!(keys = ?unknown, "some kiosk secrets are sealed under a key not loaded");
        }
        let sealer = Arc::new(Sealer { keys: RwLock::new(keys), source });
        self.secrets = Some(sealer.clone());
        self.reseal(&sealer, actor, Reseal::Start)?;
        Ok(self)
    }

    /// Seals every kiosk secret under a new master key in one audited transaction, after
    /// switching the key file (the old key kept as `.old` until the commit, so a crash at
    /// any step leaves a state that starts). Only a key file can be rotated.
    pub fn rotate_secrets(&self, actor: &str) -> Result<Rotation, StoreError> {
        let sealer = self.sealer()?;
        let KeySource::File(path) = &sealer.source else {
            return Err(SecretsError::NotAFile { origin: sealer.source.origin() }.into());
        };
        let old = sealer.reload()?.current().clone();
        let new = MasterKey::generate();
        secrets::install_new_key(path, &old, &new)?;
        sealer.set_keys(Keyring::new(new.clone()).with_older(old.clone()));
        let kiosks = self.reseal(sealer, actor, Reseal::Rotation)?;
        Ok(Rotation { old_key: old.id().to_owned(), new_key: new.id().to_owned(), kiosks })
    }

    pub(super) fn sealer(&self) -> Result<&Sealer, SecretsError> {
        self.secrets.as_deref().ok_or(SecretsError::NoKey)
    }

    /// The ids of the keys the stored secrets are sealed under.
    fn sealed_key_ids(&self) -> Result<Vec<String>, StoreError> {
        let mut ids = Vec::new();
        let sql = "SELECT secret FROM kiosks UNION ALL SELECT secret_sealed FROM desa_keys";
        for mut row in self.pool.get()?.query(sql, &[])? {
            let value: String = row.get(0)?;
            if let Stored::Sealed { key_id } = Stored::of(&value)
                && !ids.iter().any(|id| id == key_id)
            {
                ids.push(key_id.to_owned());
            }
        }
        Ok(ids)
    }

    /// Seals every secret not under the current key under it, in one transaction with its
    /// audit entry; then forgets older keys (and the key file's `.old`). On SQLite, bytes a
    /// plain-text secret leaves behind are zeroed (`secure_delete`) and the WAL emptied.
    fn reseal(&self, sealer: &Sealer, actor: &str, why: Reseal) -> Result<usize, StoreError> {
        let keys = sealer.keys();
        let current = keys.current();
        let mut conn = self.pool.get()?;
        let sqlite = conn.dialect() == Dialect::Sqlite;
        if sqlite {
            conn.batch("PRAGMA secure_delete = ON")?;
        }
        let done = conn.transaction(Exclusivity::Exclusive, |db| {
            let mut rows = Vec::new();
            for mut row in db.query("SELECT id, secret FROM kiosks ORDER BY id", &[])? {
                rows.push((row.get::<String>(0)?, row.get::<String>(1)?));
            }
            let (mut plain, mut older) = (0usize, 0usize);
            for (id, value) in rows {
                let secret = match Stored::of(&value) {
                    Stored::Sealed { key_id } if key_id == current.id() => continue,
                    Stored::Plain => {
                        plain += 1;
                        value
                    }
                    _ => match secrets::open(&keys, &id, &value) {
                        Ok(secret) => {
                            older += 1;
                            secret
                        }
                        Err(error) => {
                            // Left as it is: the kiosk is refused until registered again.
                            let kiosk = protocol::mask::mask_digits_in(&id);
                            tracing::warn!(%kiosk, %error, "kiosk secret not re-sealed");
                            continue;
                        }
                    },
                };
                let sealed = secrets::seal(current, &id, &secret);
                db.execute("UPDATE kiosks SET secret = ?1 WHERE id = ?2", params![sealed, id])?;
            }
            // The desas' letter sealing keys are sealed the same way: a rotation carries them
            // over, or every letter after it would fail to issue.
            older += super::letters::reseal_desa_keys(db, &keys, current)?;
            let (action, subject, outcome) = match why {
                Reseal::Start if plain + older == 0 => return Ok((0, 0)),
                Reseal::Start => (
                    "kiosk_secrets_sealed",
                    format!("plain={plain} older_key={older}"),
                    format!("key={}", current.id()),
                ),
                Reseal::Rotation => (
                    "kiosk_secrets_rotated",
                    format!("kiosks={}", plain + older),
                    format!("key={} old={}", current.id(), keys.ids()[1..].join(",")),
                ),
            };
            db.execute(
                "INSERT INTO audit (at, actor, action, subject, outcome)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![super::fleet::now(), actor, action, subject, outcome],
            )?;
            Ok::<_, StoreError>((plain, older))
        });
        if sqlite {
            conn.batch("PRAGMA secure_delete = OFF")?;
        }
        let (plain, older) = done?;
        if sqlite && plain > 0 {
            conn.batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
        }
        if plain + older > 0 {
            tracing::info!(plain, older_key = older, key_id = current.id(), "kiosk secrets sealed");
        }
        if keys.has_older() {
            if let KeySource::File(path) = &sealer.source {
                secrets::forget_old(path)?;
            }
            sealer.set_keys(Keyring::new(current.clone()));
        }
        Ok(plain + older)
    }
}
