//! What the fleet pages and the staff API read and change: the kiosks an account sees,
//! one kiosk with its configuration, heartbeats and alerts, and the two changes (settings,
//! a staff PIN), each checked against [`super::may_configure`] and the input rules first.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{FleetError, PinInput, SettingsInput, clean_pin, clean_settings, may_configure, sees};
use crate::store::{AlertRecord, AuditEntry, KioskState, PinScope, StaffRecord, Store};

/// Heartbeats listed on a kiosk's page.
pub const RECENT_HEARTBEATS: usize = 20;
/// A kiosk whose last heartbeat is older than this is shown as offline (it beats every
/// minute; three missed in a row is more than a slow network).
pub const OFFLINE_AFTER_SECONDS: i64 = 180;

/// One kiosk in the fleet list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FleetKiosk {
    pub id: String,
    pub desa_code: Option<u64>,
    pub enabled: bool,
    pub version: Option<String>,
    /// When its last heartbeat arrived (RFC 3339 UTC); none: it never sent one.
    pub last_seen: Option<String>,
    /// Its last heartbeat is at most [`OFFLINE_AFTER_SECONDS`] old.
    pub online: bool,
    /// `online`, `paper_near_end`, `paper_out`, `cover_open`, `offline`; none: unknown.
    pub printer: Option<String>,
    pub paper_remaining_mm: Option<i64>,
    pub door_open: Option<bool>,
    /// Submissions waiting in its outbox.
    pub outbox: Option<i64>,
    pub open_alerts: u64,
}

/// A heartbeat as the audit log keeps it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HeartbeatLine {
    pub at: String,
    pub summary: String,
    pub state: String,
}

/// An alert about a kiosk.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KioskAlert {
    pub id: String,
    pub kind: String,
    pub detail: String,
    pub first_at: String,
    pub last_at: String,
    pub count: u64,
    pub open: bool,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<String>,
    pub note: Option<String>,
}

/// One kiosk with its configuration, recent heartbeats and alerts.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FleetKioskDetail {
    pub kiosk: FleetKiosk,
    pub config_version: String,
    pub services: Vec<String>,
    pub notice_id: Option<String>,
    pub notice_en: Option<String>,
    pub idle_timeout_seconds: u32,
    /// Labels of the staff PINs that open this kiosk (its own and its desa's); never a PIN
    /// or its hash.
    pub pin_labels: Vec<String>,
    /// The kiosk's own PINs' labels (each may be withdrawn here).
    pub kiosk_pin_labels: Vec<String>,
    /// Its desa's PINs' labels (withdrawn for the whole desa, not here).
    pub desa_pin_labels: Vec<String>,
    pub heartbeats: Vec<HeartbeatLine>,
    pub alerts: Vec<KioskAlert>,
    /// Whether the asking account may change it.
    pub may_configure: bool,
}

/// What a change answers: the configuration version the kiosk will pull.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ConfigChanged {
    pub config_version: String,
}

fn seconds_since(rfc3339: &str) -> Option<i64> {
    let at = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .ok()?;
    Some((time::OffsetDateTime::now_utc() - at).whole_seconds())
}

fn kiosk_view(state: KioskState, alerts: &[AlertRecord]) -> FleetKiosk {
    let subject = format!("kiosk:{}", state.id);
    let online = state
        .last_seen
        .as_deref()
        .and_then(seconds_since)
        .is_some_and(|age| age <= OFFLINE_AFTER_SECONDS);
    FleetKiosk {
        open_alerts: alerts
            .iter()
            .filter(|a| a.subject == subject && a.acknowledged_by.is_none())
            .count() as u64,
        id: state.id,
        desa_code: state.desa_code,
        enabled: state.enabled,
        version: state.version,
        last_seen: state.last_seen,
        online,
        printer: state.printer.map(|p| p.as_str().to_owned()),
        paper_remaining_mm: state.paper_remaining_mm,
        door_open: state.door_open,
        outbox: state.outbox,
    }
}

/// Alerts looked at per list; open ones are few (one per kind and subject).
const ALERTS_READ: usize = 500;

/// The kiosks `staff` sees, by desa and id, each with its count of open alerts.
pub fn fleet_states(
    store: &Store,
    staff: &StaffRecord,
) -> Result<Vec<(KioskState, u64)>, FleetError> {
    let now = crate::http::now();
    let day = crate::store::day_of(&now);
    let states = store.kiosk_states(staff.desa_code, day)?;
    let alerts = store.alerts(false, ALERTS_READ)?;
    Ok(states
        .into_iter()
        .filter(|state| sees(staff, state.desa_code))
        .map(|state| {
            let open = kiosk_view(state.clone(), &alerts).open_alerts;
            (state, open)
        })
        .collect())
}

/// The kiosks `staff` sees, as the API lists them.
pub fn fleet(store: &Store, staff: &StaffRecord) -> Result<Vec<FleetKiosk>, FleetError> {
    let now = crate::http::now();
    let day = crate::store::day_of(&now);
    let states = store.kiosk_states(staff.desa_code, day)?;
    let alerts = store.alerts(false, ALERTS_READ)?;
    Ok(states
        .into_iter()
        .filter(|state| sees(staff, state.desa_code))
        .map(|state| kiosk_view(state, &alerts))
        .collect())
}

/// The kiosk `id` if `staff` sees it.
pub fn kiosk(
    store: &Store,
    staff: &StaffRecord,
    id: &str,
    letters: &[protocol::letter::LetterType],
) -> Result<FleetKioskDetail, FleetError> {
    kiosk_with_state(store, staff, id, letters).map(|(detail, _)| detail)
}

/// [`kiosk`] with the state the console's table draws.
pub fn kiosk_with_state(
    store: &Store,
    staff: &StaffRecord,
    id: &str,
    letters: &[protocol::letter::LetterType],
) -> Result<(FleetKioskDetail, KioskState), FleetError> {
    if !protocol::auth::valid_kiosk_id(id) {
        return Err(FleetError::NotFound);
    }
    let record = store.kiosk(id)?.ok_or(FleetError::NotFound)?;
    if !sees(staff, record.desa_code) {
        return Err(FleetError::NotFound);
    }
    let now = crate::http::now();
    let day = crate::store::day_of(&now);
    let state = store
        .kiosk_states(record.desa_code, day)?
        .into_iter()
        .find(|state| state.id == id)
        .ok_or(FleetError::NotFound)?;
    let alerts = store.alerts(true, ALERTS_READ)?;
    let config = store.kiosk_config(id, letters)?.ok_or(FleetError::NotFound)?;
    let notice = config.notice().cloned();
    let subject = format!("kiosk:{id}");
    let detail = FleetKioskDetail {
        kiosk: kiosk_view(state.clone(), &alerts),
        config_version: config.config_version,
        services: config.services,
        notice_id: notice.as_ref().map(|n| n.id.clone()),
        notice_en: notice.map(|n| n.en),
        idle_timeout_seconds: config.idle_timeout_seconds,
        pin_labels: config.staff_pins.into_iter().map(|pin| pin.label).collect(),
        kiosk_pin_labels: store.pin_labels(&PinScope::Kiosk(id.to_owned()))?,
        desa_pin_labels: match record.desa_code {
            Some(desa) => store.pin_labels(&PinScope::Desa(desa))?,
            None => Vec::new(),
        },
        heartbeats: store
            .heartbeat_history(id, RECENT_HEARTBEATS)?
            .into_iter()
            .map(|entry: AuditEntry| HeartbeatLine {
                at: entry.at,
                summary: entry.subject,
                state: entry.outcome,
            })
            .collect(),
        alerts: alerts
            .into_iter()
            .filter(|alert| alert.subject == subject)
            .map(|alert| KioskAlert {
                id: alert.id,
                kind: alert.kind.as_str().to_owned(),
                detail: alert.detail,
                first_at: alert.first_at,
                last_at: alert.last_at,
                count: alert.count,
                open: alert.acknowledged_at.is_none(),
                acknowledged_by: alert.acknowledged_by,
                acknowledged_at: alert.acknowledged_at,
                note: alert.note,
            })
            .collect(),
        may_configure: may_configure(staff, record.desa_code),
    };
    Ok((detail, state))
}

/// The desa of kiosk `id` if `staff` may change it: not found when it does not see it,
/// forbidden when it sees but may not change it.
pub(super) fn changeable(store: &Store, staff: &StaffRecord, id: &str) -> Result<(), FleetError> {
    if !protocol::auth::valid_kiosk_id(id) {
        return Err(FleetError::NotFound);
    }
    let record = store.kiosk(id)?.ok_or(FleetError::NotFound)?;
    if !sees(staff, record.desa_code) {
        return Err(FleetError::NotFound);
    }
    if !may_configure(staff, record.desa_code) {
        return Err(FleetError::Forbidden);
    }
    Ok(())
}

/// Sets kiosk `id`'s configuration; answers the version the kiosk will pull.
pub fn configure(
    store: &Store,
    staff: &StaffRecord,
    id: &str,
    input: &SettingsInput,
    letters: &[protocol::letter::LetterType],
) -> Result<ConfigChanged, FleetError> {
    changeable(store, staff, id)?;
    let settings = clean_settings(input)?;
    store.set_kiosk_settings(id, &settings)?;
    let config = store.kiosk_config(id, letters)?.ok_or(FleetError::NotFound)?;
    Ok(ConfigChanged { config_version: config.config_version })
}

/// Sets (or resets) a staff PIN on kiosk `id`; answers the version the kiosk will pull.
pub fn set_pin(
    store: &Store,
    staff: &StaffRecord,
    id: &str,
    input: &PinInput,
    letters: &[protocol::letter::LetterType],
) -> Result<ConfigChanged, FleetError> {
    changeable(store, staff, id)?;
    let (label, pin) = clean_pin(input)?;
    store.set_kiosk_pin(&PinScope::Kiosk(id.to_owned()), &label, &pin)?;
    let config = store.kiosk_config(id, letters)?.ok_or(FleetError::NotFound)?;
    Ok(ConfigChanged { config_version: config.config_version })
}
