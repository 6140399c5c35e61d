//! The registry's stored codes as the console's pages say them, in both languages.

use protocol::api::{MembershipState, ReportReason, ReportState};

use crate::console::reply::Said;

fn said(id: &str, en: &str) -> Said {
    Said { id: id.into(), en: en.into() }
}

/// `head`, `spouse`, ... as the KK names them.
pub(crate) fn relation(code: &str) -> Said {
    match code {
        "head" => said("Kepala keluarga", "Head"),
        "spouse" => said("Istri/suami", "Spouse"),
        "child" => said("Anak", "Child"),
        "parent" => said("Orang tua", "Parent"),
        _ => said("Lainnya", "Other"),
    }
}

pub(crate) fn sex(code: &str) -> Said {
    match code {
        "female" => said("Perempuan", "Female"),
        _ => said("Laki-laki", "Male"),
    }
}

/// A life status, and whether it is the ordinary one.
pub(crate) fn life(code: &str) -> (Said, bool) {
    let text = match code {
        "alive" => said("Hidup", "Alive"),
        "died" => said("Meninggal", "Died"),
        "moved_away" => said("Pindah", "Moved away"),
        "missing" => said("Hilang", "Missing"),
        "left" => said("Pergi", "Left"),
        _ => said("Tidak valid", "Invalid"),
    };
    (text, code == "alive")
}

pub(crate) fn membership(code: &str) -> Said {
    let state = match code {
        "proposed" => MembershipState::Proposed,
        "verified" => MembershipState::Verified,
        "active" => MembershipState::Active,
        _ => MembershipState::Ended,
    };
    state.text().into()
}

pub(crate) fn report_state(code: &str) -> Said {
    ReportState::parse(code).map_or_else(|| said(code, code), |state| state.text().into())
}

pub(crate) fn report_reason(code: &str) -> Said {
    match serde_json::from_value::<ReportReason>(serde_json::Value::String(code.to_owned())) {
        Ok(ReportReason::LostJob) => said("Kehilangan pekerjaan", "Lost their job"),
        Ok(ReportReason::IncomeStopped) => said("Penghasilan terhenti", "Income stopped"),
        Ok(ReportReason::Illness) => said("Sakit atau disabilitas", "Illness or disability"),
        Ok(ReportReason::ElderlyAlone) => said("Lansia tanpa penopang", "Elderly, no support"),
        Ok(ReportReason::Other) => said("Lainnya", "Other"),
        Err(_) => said(code, code),
    }
}

/// A letter request's state.
pub(crate) fn letter_state(code: &str, issued: bool, cancelled: bool) -> Said {
    match (code, issued, cancelled) {
        (_, _, true) => said("dibatalkan", "cancelled"),
        (_, true, false) => said("diterbitkan", "issued"),
        ("verification", ..) => said("menunggu petugas desa", "waiting for the staff"),
        _ => report_state(code),
    }
}
