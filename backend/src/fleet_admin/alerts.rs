//! Alerts as staff see and acknowledge them. An alert about a kiosk (`kiosk:<id>`) belongs
//! to the kiosk's desa: that desa's staff and kabupaten accounts see it; every other alert
//! (a locked-out account, a refused audit write) is the kabupaten's alone. Another desa's
//! alert is "not found", as its kiosks are. Acknowledging takes it off the open list; it
//! stays in the history with who, when and the note. Auditors read only.

use protocol::mask::mask_digits_in;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{FleetError, invalid, sees};
use crate::store::{AlertRecord, AlertState, StaffRecord, StaffRole, Store};

/// Alerts read per list; open ones are few (one per kind and subject).
const ALERTS_READ: usize = 500;
/// Longest note an acknowledgement keeps.
pub const NOTE_MAX: usize = 200;

/// One alert with its acknowledgement, if any.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AlertView {
    pub id: String,
    /// `lookup_burst`, `daily_cap`, `login_lockout`, `pin_failures`, `audit_refused`.
    pub kind: String,
    /// Masked identifiers only: `kiosk:<id>`, `staff:<user>`, `ip:<address>`.
    pub subject: String,
    /// The kiosk it is about, if it is about one.
    pub kiosk: Option<String>,
    pub desa_code: Option<u64>,
    pub detail: String,
    pub first_at: String,
    pub last_at: String,
    pub count: u64,
    pub open: bool,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<String>,
    pub note: Option<String>,
}

/// Alerts by state.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct AlertList {
    pub alerts: Vec<AlertView>,
}

/// The list's filter: `open` (the default), `acknowledged` (the history) or `all`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertQuery {
    #[serde(default)]
    pub state: Option<String>,
}

impl AlertQuery {
    pub fn clean(&self) -> Result<AlertState, FleetError> {
        match self.state.as_deref().map(str::trim) {
            None | Some("") => Ok(AlertState::Open),
            Some(text) => AlertState::parse(text).ok_or_else(|| {
                invalid(
                    "Keadaan: open, acknowledged atau all.",
                    "State: open, acknowledged or all.",
                )
            }),
        }
    }
}

/// An acknowledgement as a form or a JSON body sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct AcknowledgeInput {
    /// Optional, at most 200 characters; NIK-like digit runs are masked before it is kept.
    #[serde(default)]
    pub note: String,
}

/// The note to keep, or what is wrong with it.
pub fn clean_note(note: &str) -> Result<Option<String>, FleetError> {
    let note = note.trim();
    if note.chars().count() > NOTE_MAX || note.chars().any(char::is_control) {
        return Err(FleetError::Invalid(protocol::Text::new(
            format!("Catatan paling banyak {NOTE_MAX} karakter, tanpa karakter kendali."),
            format!("The note is at most {NOTE_MAX} characters, no control characters."),
        )));
    }
    Ok((!note.is_empty()).then(|| mask_digits_in(note)))
}

/// The alert's desa as far as `staff` may know it: `Err(NotFound)` when it may not see it.
fn seen(store: &Store, staff: &StaffRecord, alert: AlertRecord) -> Result<AlertView, FleetError> {
    let (kiosk, desa_code) = match alert.kiosk() {
        Some(id) => {
            let record = store.kiosk(id)?.ok_or(FleetError::NotFound)?;
            if !sees(staff, record.desa_code) {
                return Err(FleetError::NotFound);
            }
            (Some(id.to_owned()), record.desa_code)
        }
        None if staff.desa_code.is_none() => (None, None),
        None => return Err(FleetError::NotFound),
    };
    Ok(AlertView {
        open: alert.acknowledged_at.is_none(),
        id: alert.id,
        kind: alert.kind.as_str().to_owned(),
        subject: alert.subject,
        kiosk,
        desa_code,
        detail: alert.detail,
        first_at: alert.first_at,
        last_at: alert.last_at,
        count: alert.count,
        acknowledged_by: alert.acknowledged_by,
        acknowledged_at: alert.acknowledged_at,
        note: alert.note,
    })
}

/// The alerts in `state` that `staff` sees, newest first.
pub fn alerts(
    store: &Store,
    staff: &StaffRecord,
    state: AlertState,
) -> Result<Vec<AlertView>, FleetError> {
    let mut seen_alerts = Vec::new();
    for alert in store.alerts_in(state, ALERTS_READ)? {
        match seen(store, staff, alert) {
            Ok(view) => seen_alerts.push(view),
            Err(FleetError::NotFound) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(seen_alerts)
}

/// Whether `staff` may acknowledge alerts it sees: everyone but auditors.
pub fn may_acknowledge(staff: &StaffRecord) -> bool {
    staff.role != StaffRole::Auditor
}

/// Acknowledges alert `id` as `by` (the audit's actor) with `note`.
pub fn acknowledge(
    store: &Store,
    staff: &StaffRecord,
    id: &str,
    by: &str,
    note: &str,
) -> Result<AlertView, FleetError> {
    let valid_id = !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_hexdigit());
    if !valid_id {
        return Err(FleetError::NotFound);
    }
    let alert = store.alert(id)?.ok_or(FleetError::NotFound)?;
    seen(store, staff, alert)?;
    if !may_acknowledge(staff) {
        return Err(FleetError::Forbidden);
    }
    let note = clean_note(note)?;
    if !store.acknowledge_alert(id, by, note.as_deref())? {
        return Err(invalid(
            "Peringatan ini sudah dilihat.",
            "This alert was already acknowledged.",
        ));
    }
    let alert = store.alert(id)?.ok_or(FleetError::NotFound)?;
    seen(store, staff, alert)
}
