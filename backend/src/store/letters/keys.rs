//! Each desa's Ed25519 sealing key. Made on the desa's first letter, kept sealed under the
//! service's secrets key (like kiosk secrets, `secrets.key`), never sent anywhere; its public
//! half is published for verifiers (`backend letter public-keys`, `/verify`).

use protocol::letter::seal::DesaKeys;
use protocol::signed::{PublicKey, SigningKey};
use rand::RngCore;

use super::super::sql::{Db, params};
use super::super::{Store, StoreError};

/// Seals every desa key not under `current` under it (inside the caller's transaction, a
/// master key rotation's); answers how many were re-sealed. A key that does not open is left
/// as it is and reported: its desa's next letter makes a new key.
pub(in crate::store) fn reseal_desa_keys(
    db: &mut impl Db,
    keys: &crate::secrets::Keyring,
    current: &crate::secrets::MasterKey,
) -> Result<usize, StoreError> {
    let mut rows = Vec::new();
    for mut row in db.query("SELECT desa_code, key_id, secret_sealed FROM desa_keys", &[])? {
        rows.push((row.get::<i64>(0)?, row.get::<String>(1)?, row.get::<String>(2)?));
    }
    let mut resealed = 0;
    for (desa, key_id, value) in rows {
        if matches!(crate::secrets::Stored::of(&value), crate::secrets::Stored::Sealed { key_id } if key_id == current.id())
        {
            continue;
        }
        let name = sealed_name(desa as u64);
        match crate::secrets::open(keys, &name, &value) {
            Ok(secret) => {
                let sealed = crate::secrets::seal(current, &name, &secret);
                db.execute(
                    "UPDATE desa_keys SET secret_sealed = ?1 WHERE desa_code = ?2 AND key_id = ?3",
                    params![sealed, desa, key_id],
                )?;
                resealed += 1;
            }
            Err(error) => {
                tracing::warn!(desa, %error, "desa letter key not re-sealed");
                db.execute(
                    "UPDATE desa_keys SET retired_at = ?1 WHERE desa_code = ?2 AND key_id = ?3 AND retired_at IS NULL",
                    params![super::super::fleet::now(), desa, key_id],
                )?;
            }
        }
    }
    Ok(resealed)
}

/// The name a desa's sealed secret is bound to (the sealing's associated data), so a sealed
/// key copied onto another desa's row does not open.
fn sealed_name(desa_code: u64) -> String {
    format!("desa-letter-key:{desa_code}")
}

impl Store {
    /// The desa's current sealing key, made (and audited) if it has none yet. Runs inside
    /// the issuing transaction: writers take turns, so two first letters of a desa at once
    /// still make one key.
    pub(super) fn desa_key_in(
        &self,
        db: &mut impl Db,
        desa_code: u64,
    ) -> Result<SigningKey, StoreError> {
        let sealer = self.sealer()?;
        let row = db.query_opt(
            "SELECT secret_sealed FROM desa_keys
             WHERE desa_code = ?1 AND retired_at IS NULL ORDER BY created_at DESC LIMIT 1",
            params![desa_code],
        )?;
        if let Some(mut row) = row {
            let sealed: String = row.get(0)?;
            let secret = sealer.open(&sealed_name(desa_code), &sealed)?;
            let mut seed = [0u8; 32];
            hex::decode_to_slice(&secret, &mut seed)
                .map_err(|_| StoreError::Corrupt(format!("sealing key of desa {desa_code}")))?;
            return Ok(SigningKey::from_seed(seed));
        }
        let mut seed = [0u8; 32];
        rand::rng().fill_bytes(&mut seed);
        let key = SigningKey::from_seed(seed);
        let master = sealer.sealing_key()?;
        let sealed = crate::secrets::seal(&master, &sealed_name(desa_code), &hex::encode(seed));
        let public = key.public_key();
        let now = super::super::fleet::now();
        db.execute(
            "INSERT INTO desa_keys (desa_code, key_id, public_key, secret_sealed, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![desa_code, public.id().to_string(), public.line(), sealed, now],
        )?;
        super::super::audit::insert_in(
            db,
            &super::super::AuditEntry {
                at: now,
                actor: "service".into(),
                action: "desa_key_created".into(),
                subject: format!("desa:{desa_code} key:{}", public.id()),
                outcome: "created".into(),
            },
        )?;
        Ok(key)
    }

    /// The desa's current public key, made now if it has none: published to verifiers before
    /// the desa's first letter (`backend letter public-keys --desa`).
    pub fn ensure_desa_key(&self, desa_code: u64) -> Result<PublicKey, StoreError> {
        self.write(|db| Ok(self.desa_key_in(db, desa_code)?.public_key()))
    }

    /// The desa's current signing key (made if it has none), for sealing a status slip.
    pub fn desa_signing_key(&self, desa_code: u64) -> Result<SigningKey, StoreError> {
        self.write(|db| self.desa_key_in(db, desa_code))
    }

    /// Every desa's public keys, retired ones included (they still verify old letters).
    pub fn desa_public_keys(&self) -> Result<DesaKeys, StoreError> {
        let rows = self.pool.get()?.query(
            "SELECT desa_code, public_key FROM desa_keys ORDER BY desa_code, created_at",
            &[],
        )?;
        let mut keys = DesaKeys::new();
        for mut row in rows {
            let desa: i64 = row.get(0)?;
            let line: String = row.get(1)?;
            let key = PublicKey::parse_line(&line)
                .map_err(|why| StoreError::Corrupt(format!("public key of desa {desa}: {why}")))?;
            keys.add(desa as u64, key);
        }
        Ok(keys)
    }
}
