//! The numbers behind the console's charts, for the console (drawn as SVG, and in tables
//! under each chart) and the staff API alike, limited to what the account sees: its desa,
//! or every desa for kabupaten-wide accounts.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::fleet_admin::{FleetError, fleet_states};
use crate::store::{StaffRecord, Store};

/// Desas on the recipients-per-desa chart.
pub const TOP_DESAS: usize = 10;
/// Days on the reports chart.
pub const REPORT_DAYS: i64 = 30;
/// Days on the uptime chart.
pub const UPTIME_DAYS: i64 = 14;
/// Heartbeats a kiosk sends in a day it is up throughout (one a minute).
pub const BEATS_PER_DAY: f64 = 1440.0;

/// A bar: what it counts and how many.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Bar {
    pub key: String,
    pub label: String,
    pub value: u64,
}

/// A day's count.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DayCount {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub count: u64,
}

/// One kiosk's share of heartbeats received per day, in percent (0-100).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KioskUptime {
    pub kiosk: String,
    pub percent: Vec<f64>,
}

/// Every chart's numbers.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Charts {
    /// Active recipients per program, most first.
    pub programs: Vec<Bar>,
    /// Active recipients per desa, the [`TOP_DESAS`] with most.
    pub desas: Vec<Bar>,
    /// Reports filed per day over the last [`REPORT_DAYS`] days, oldest first, every day.
    pub reports: Vec<DayCount>,
    /// The days of [`Charts::uptime`], oldest first.
    pub uptime_days: Vec<String>,
    pub uptime: Vec<KioskUptime>,
}

/// The last `days` UTC days up to today, oldest first.
pub fn last_days(today: time::Date, days: i64) -> Vec<String> {
    (0..days)
        .rev()
        .filter_map(|back| today.checked_sub(time::Duration::days(back)))
        .map(|day| day.to_string())
        .collect()
}

/// The charts' numbers as `staff` may see them.
pub fn charts(store: &Store, staff: &StaffRecord) -> Result<Charts, FleetError> {
    let desa = staff.desa_code;
    let today = time::OffsetDateTime::now_utc().date();
    let programs = store
        .recipients_per_program(desa)?
        .into_iter()
        .map(|(code, name_id, _, value)| Bar { key: code, label: name_id, value })
        .collect();
    let desas = store
        .recipients_per_desa(desa, TOP_DESAS)?
        .into_iter()
        .map(|(code, value)| Bar {
            key: code.to_string(),
            label: protocol::region::regions()
                .village(code)
                .map(|village| village.name.clone())
                .unwrap_or_else(|| code.to_string()),
            value,
        })
        .collect();
    let report_days = last_days(today, REPORT_DAYS);
    let filed = store.reports_per_day(desa, &report_days[0])?;
    let reports = report_days
        .iter()
        .map(|day| DayCount {
            day: day.clone(),
            count: filed.iter().find(|(d, _)| d == day).map_or(0, |(_, n)| *n),
        })
        .collect();
    let uptime_days = last_days(today, UPTIME_DAYS);
    let beats = store.heartbeats_per_day(&uptime_days[0])?;
    let uptime = fleet_states(store, staff)?
        .into_iter()
        .map(|(kiosk, _)| KioskUptime {
            percent: uptime_days
                .iter()
                .map(|day| {
                    let n = beats.get(&(kiosk.id.clone(), day.clone())).copied().unwrap_or(0);
                    ((n as f64 / BEATS_PER_DAY).min(1.0) * 1000.0).round() / 10.0
                })
                .collect(),
            kiosk: kiosk.id,
        })
        .collect();
    Ok(Charts { programs, desas, reports, uptime_days, uptime })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_run_oldest_first_across_months() {
        let today = time::macros::date!(2026 - 03 - 02);
        assert_eq!(last_days(today, 3), ["2026-02-28", "2026-03-01", "2026-03-02"]);
    }
}
