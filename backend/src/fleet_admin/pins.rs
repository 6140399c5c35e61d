//! Withdrawing a kiosk's staff PIN, and desa-wide PINs: one PIN every kiosk of a desa
//! accepts, kept once (`kiosk_pins` with a desa code) and carried in each of those kiosks'
//! signed configurations beside their own, in the same `staff_pins` list the kiosk already
//! reads, so the wire format does not change. The same rule as a kiosk's PINs decides who
//! may change them ([`super::may_configure`]); another desa's PINs are "not found".

use protocol::Text;
use protocol::region::regions;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::view::changeable;
use super::{ConfigChanged, FleetError, PinInput, clean_pin, invalid, may_configure};
use crate::store::{PinScope, StaffRecord, Store};

/// A PIN to withdraw, by its label.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct PinLabel {
    pub label: String,
}

/// A desa-wide PIN to set (or reset).
#[derive(Clone, Default, Deserialize, ToSchema)]
pub struct DesaPinInput {
    /// Ten-digit code of the desa whose kiosks accept it.
    pub desa_code: u64,
    pub label: String,
    /// 6 to 8 digits; kept only as its Argon2id hash.
    pub pin: String,
}

/// A desa-wide PIN to withdraw.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct DesaPinLabel {
    pub desa_code: u64,
    pub label: String,
}

/// The desa-wide PINs an account sees, by label (never a PIN or its hash).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DesaPins {
    pub pins: Vec<DesaPinLabel>,
}

fn clean_label(label: &str) -> Result<String, FleetError> {
    let label = label.trim();
    if protocol::fleet::valid_pin_label(label) {
        Ok(label.to_owned())
    } else {
        Err(invalid(
            "Nama PIN 1 sampai 32 karakter, tanpa karakter kendali.",
            "A PIN's label is 1 to 32 characters, no control characters.",
        ))
    }
}

fn no_such_pin() -> FleetError {
    invalid("Tidak ada PIN dengan nama itu.", "No PIN has that label.")
}

/// Withdraws kiosk `id`'s own PIN `label`; the kiosk's next configuration no longer
/// carries it. A desa-wide PIN of the same label stays (it is withdrawn for the desa).
pub fn remove_pin(
    store: &Store,
    staff: &StaffRecord,
    id: &str,
    label: &str,
    letters: &[protocol::letter::LetterType],
) -> Result<ConfigChanged, FleetError> {
    changeable(store, staff, id)?;
    let label = clean_label(label)?;
    if !store.remove_kiosk_pin(&PinScope::Kiosk(id.to_owned()), &label)? {
        return Err(no_such_pin());
    }
    let config = store.kiosk_config(id, letters)?.ok_or(FleetError::NotFound)?;
    Ok(ConfigChanged { config_version: config.config_version })
}

/// Whether `staff` may change desa `desa`'s PINs: another desa (or a code that names no
/// desa) is not found, a desa it sees but may not change forbidden.
pub fn desa_changeable(staff: &StaffRecord, desa: u64) -> Result<(), FleetError> {
    if !staff.covers(desa) || regions().village(desa).is_none() {
        return Err(FleetError::NotFound);
    }
    if !may_configure(staff, Some(desa)) {
        return Err(FleetError::Forbidden);
    }
    Ok(())
}

/// The desa-wide PINs `staff` sees: its desa's, or every desa's for kabupaten accounts.
pub fn desa_pins(store: &Store, staff: &StaffRecord) -> Result<DesaPins, FleetError> {
    let pins = store.desa_pins(staff.desa_code)?;
    Ok(DesaPins {
        pins: pins
            .into_iter()
            .map(|(desa_code, label)| DesaPinLabel { desa_code, label })
            .collect(),
    })
}

/// Sets (or resets) a PIN every kiosk of the desa accepts.
pub fn set_desa_pin(
    store: &Store,
    staff: &StaffRecord,
    input: &DesaPinInput,
) -> Result<DesaPins, FleetError> {
    desa_changeable(staff, input.desa_code)?;
    let (label, pin) = clean_pin(&PinInput { label: input.label.clone(), pin: input.pin.clone() })?;
    store.set_kiosk_pin(&PinScope::Desa(input.desa_code), &label, &pin)?;
    desa_pins(store, staff)
}

/// Withdraws a desa-wide PIN; every kiosk of the desa stops accepting it at its next pull.
pub fn remove_desa_pin(
    store: &Store,
    staff: &StaffRecord,
    input: &DesaPinLabel,
) -> Result<DesaPins, FleetError> {
    desa_changeable(staff, input.desa_code)?;
    let label = clean_label(&input.label)?;
    if !store.remove_kiosk_pin(&PinScope::Desa(input.desa_code), &label)? {
        return Err(no_such_pin());
    }
    desa_pins(store, staff)
}

/// The refusal of a removal sent without its confirmation box ticked.
pub fn unconfirmed() -> Text {
    Text::new(
        "Centang \"Ya, hapus\" untuk menghapus PIN.",
        "Tick \"Yes, remove\" to remove the PIN.",
    )
}
