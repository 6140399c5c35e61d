//! Desa staff accounts and sessions. Passwords are hashed with Argon2id; a session is a
//! random bearer token of which only the SHA-256 is stored.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::sql::{Db, params};
use super::{Store, StoreError};

/// What a staff account may do. An operator prepares letters; a signer (the kepala desa or a
/// delegate) approves them and their name prints under the letter; an auditor reads only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StaffRole {
    #[default]
    Operator,
    Signer,
    Kabupaten,
    Auditor,
}

impl StaffRole {
    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Operator => "operator",
            StaffRole::Signer => "signer",
            StaffRole::Kabupaten => "kabupaten",
            StaffRole::Auditor => "auditor",
        }
    }

    pub fn parse(text: &str) -> Option<StaffRole> {
        [StaffRole::Operator, StaffRole::Signer, StaffRole::Kabupaten, StaffRole::Auditor]
            .into_iter()
            .find(|role| role.as_str() == text)
    }
}

/// Who is signed in, and for which desa.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRecord {
    pub username: String,
    /// `None`: a kabupaten operator, who may act for every desa.
    pub desa_code: Option<u64>,
    pub role: StaffRole,
    /// The name and position printed under a letter this account signs.
    pub full_name: String,
    pub position: String,
}

impl StaffRecord {
    /// Whether the account may act for `desa`.
    pub fn covers(&self, desa: u64) -> bool {
        self.desa_code.is_none_or(|own| own == desa)
    }
}

/// A session granted at sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffSession {
    pub token: String,
    pub staff: StaffRecord,
    /// Unix seconds.
    pub expires_at: i64,
}

/// An account whose password was just checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedStaff {
    pub staff: StaffRecord,
    /// The password was set by someone else: the console asks for a new one first.
    pub must_change_password: bool,
}

/// Shortest password accepted for a staff account.
pub const MIN_PASSWORD: usize = 10;

/// Usernames: 2 to 32 of a-z 0-9 . _ -, so they are safe in logs and audit lines.
pub fn valid_username(name: &str) -> bool {
    (2..=32).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

pub(super) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Store {
    /// Creates a staff account, or sets a new password (and desa) for an existing one. The
    /// password is one someone else chose: the account changes it at its first console
    /// sign-in.
    pub fn set_staff(
        &self,
        username: &str,
        password: &str,
        desa_code: Option<u64>,
    ) -> Result<(), StoreError> {
        if !valid_username(username) {
            return Err(StoreError::Invalid(format!(
                "username {username:?}: use 2-32 of a-z 0-9 . _ -"
            )));
        }
        let hash = hash_password(password)?;
        let now = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        self.write(|db| {
            db.execute(
                "INSERT INTO staff (username, password_hash, desa_code, enabled, created_at,
                     must_change_password)
                 VALUES (?1, ?2, ?3, TRUE, ?4, TRUE)
                 ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash,
                     desa_code = excluded.desa_code, enabled = TRUE, must_change_password = TRUE",
                params![username, hash, desa_code, now],
            )?;
            // A new password ends every session of the old one.
            end_sessions(db, username, None)?;
            Ok(())
        })
    }

    /// The account's own new password, from the console: it need not be changed again, and
    /// every other session of the account (API tokens, other browsers) ends; `keep`, the
    /// console session it was changed from (its id's hash), stays.
    pub fn change_staff_password(
        &self,
        username: &str,
        password: &str,
        keep: Option<&str>,
    ) -> Result<(), StoreError> {
        let hash = hash_password(password)?;
        self.write(|db| {
            let changed = db.execute(
                "UPDATE staff SET password_hash = ?1, must_change_password = FALSE
                 WHERE username = ?2 AND enabled",
                params![hash, username],
            )?;
            if changed == 0 {
                return Err(StoreError::Invalid(format!("no enabled account {username}")));
            }
            end_sessions(db, username, keep)
        })
    }

    /// Sets an account's role, and the name and position its approved letters print.
    pub fn set_staff_role(
        &self,
        username: &str,
        role: StaffRole,
        full_name: &str,
        position: &str,
    ) -> Result<bool, StoreError> {
        for text in [full_name, position] {
            if text.chars().count() > 80 || text.chars().any(char::is_control) || text.contains('|')
            {
                return Err(StoreError::Invalid(format!(
                    "{text:?}: at most 80 characters, no control character and no |"
                )));
            }
        }
        self.write(|db| {
            Ok(db.execute(
                "UPDATE staff SET role = ?1, full_name = ?2, position = ?3 WHERE username = ?4",
                params![role.as_str(), full_name, position, username],
            )? == 1)
        })
    }

    /// Disables an account and ends its sessions.
    pub fn disable_staff(&self, username: &str) -> Result<bool, StoreError> {
        self.write(|db| {
            end_sessions(db, username, None)?;
            Ok(db.execute(
                "UPDATE staff SET enabled = FALSE WHERE username = ?1",
                params![username],
            )? == 1)
        })
    }

    /// Checks a password: the account when it is right and the account enabled; `None`
    /// when the username or password is wrong or the account is disabled (the same answer
    /// for each, and the same work, so usernames cannot be probed).
    pub fn check_staff_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<CheckedStaff>, StoreError> {
        let row = self.pool.get()?.query_opt(
            "SELECT password_hash, enabled, must_change_password FROM staff WHERE username = ?1",
            params![username],
        )?;
        let (hash, enabled, must_change_password) = match row {
            Some(mut row) => (row.get::<String>(0)?, row.get::<bool>(1)?, row.get::<bool>(2)?),
            None => (UNKNOWN_USER_HASH.to_owned(), false, false),
        };
        let parsed =
            PasswordHash::new(&hash).map_err(|e| StoreError::Corrupt(format!("hash: {e}")))?;
        let matches = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        if !(matches && enabled) {
            return Ok(None);
        }
        let staff =
            self.staff_record(username)?.ok_or_else(|| StoreError::Corrupt("staff gone".into()))?;
        Ok(Some(CheckedStaff { staff, must_change_password }))
    }

    /// Opens an API session of `ttl_seconds` for an account whose password was checked.
    pub fn open_staff_session(
        &self,
        staff: StaffRecord,
        now: i64,
        ttl_seconds: i64,
    ) -> Result<StaffSession, StoreError> {
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        let token = hex::encode(secret);
        let expires_at = now + ttl_seconds;
        self.write(|db| {
            // Expired sessions of anyone are swept at each sign-in.
            db.execute("DELETE FROM staff_sessions WHERE expires_at <= ?1", params![now])?;
            db.execute(
                "INSERT INTO staff_sessions (token_hash, username, expires_at) VALUES (?1, ?2, ?3)",
                params![token_hash(&token), staff.username, expires_at],
            )?;
            Ok(())
        })?;
        Ok(StaffSession { token, staff, expires_at })
    }

    /// An account by name.
    pub fn staff_record(&self, username: &str) -> Result<Option<StaffRecord>, StoreError> {
        self.pool
            .get()?
            .query_opt(
                "SELECT username, desa_code, role, full_name, position FROM staff WHERE username = ?1",
                params![username],
            )?
            .map(|mut row| staff_row(&mut row))
            .transpose()
    }

    /// The staff member a bearer token belongs to, if the session is live, and whether the
    /// account must still change the password someone else set.
    pub fn staff_session(
        &self,
        token: &str,
        now: i64,
    ) -> Result<Option<(StaffRecord, bool)>, StoreError> {
        let row = self.pool.get()?.query_opt(
            "SELECT s.username, s.desa_code, s.role, s.full_name, s.position,
                    s.must_change_password FROM staff_sessions t
             JOIN staff s ON s.username = t.username
             WHERE t.token_hash = ?1 AND t.expires_at > ?2 AND s.enabled",
            params![token_hash(token), now],
        )?;
        row.map(|mut row| Ok((staff_row(&mut row)?, row.get::<bool>(5)?))).transpose()
    }

    /// The account's own new password, from the JSON API: like
    /// [`Store::change_staff_password`], but the API session `token` it was changed with
    /// stays, and every other session (other tokens, every console session) ends.
    pub fn change_staff_password_keeping_token(
        &self,
        username: &str,
        password: &str,
        token: &str,
    ) -> Result<(), StoreError> {
        let hash = hash_password(password)?;
        let kept = token_hash(token);
        self.write(|db| {
            let changed = db.execute(
                "UPDATE staff SET password_hash = ?1, must_change_password = FALSE
                 WHERE username = ?2 AND enabled",
                params![hash, username],
            )?;
            if changed == 0 {
                return Err(StoreError::Invalid(format!("no enabled account {username}")));
            }
            db.execute(
                "DELETE FROM staff_sessions WHERE username = ?1 AND token_hash <> ?2",
                params![username, kept],
            )?;
            db.execute("DELETE FROM console_sessions WHERE username = ?1", params![username])?;
            Ok(())
        })
    }
}

/// Ends the account's API and console sessions, but the console session `keep` (its id's
/// hash).
fn end_sessions(db: &mut impl Db, username: &str, keep: Option<&str>) -> Result<(), StoreError> {
    db.execute("DELETE FROM staff_sessions WHERE username = ?1", params![username])?;
    db.execute(
        "DELETE FROM console_sessions WHERE username = ?1 AND id_hash <> ?2",
        params![username, keep.unwrap_or("")],
    )?;
    Ok(())
}

/// An Argon2id hash (PHC string) of a password of at least [`MIN_PASSWORD`] characters.
fn hash_password(password: &str) -> Result<String, StoreError> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(StoreError::Invalid(format!(
            "password too short: at least {MIN_PASSWORD} characters"
        )));
    }
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| StoreError::Invalid(format!("cannot make salt: {e}")))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| StoreError::Invalid(format!("cannot hash password: {e}")))?
        .to_string())
}

pub(super) fn staff_row(row: &mut super::sql::Row) -> Result<StaffRecord, StoreError> {
    let role: String = row.get(2)?;
    Ok(StaffRecord {
        username: row.get(0)?,
        desa_code: row.get(1)?,
        role: StaffRole::parse(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("staff role {role:?}")))?,
        full_name: row.get(3)?,
        position: row.get(4)?,
    })
}

/// A valid Argon2id hash of a random password nobody knows, verified when the username does
/// not exist so that the answer takes as long as for a real account.
const UNKNOWN_USER_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$MX1tC1DaNc5mODRIwCPm4Qf4g1TG8mdVDfhqUFs0cXQ";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stand_in_hash_parses_and_matches_no_password() {
        let parsed = PasswordHash::new(UNKNOWN_USER_HASH).expect("valid PHC string");
        assert!(Argon2::default().verify_password(b"", &parsed).is_err());
        assert!(Argon2::default().verify_password(b"password123", &parsed).is_err());
    }

    #[test]
    fn usernames_are_plain() {
        assert!(valid_username("ani.sekdes"));
        assert!(!valid_username("Ani"));
        assert!(!valid_username("a"));
        assert!(!valid_username("ani sekdes"));
        assert!(!valid_username("ani\u{1b}[2J"));
    }
}
