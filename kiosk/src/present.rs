//! Turns a status answer into the words shown on screen and printed on the slip, so the
//! screen and the paper always say the same thing.

use protocol::api::{Membership, MembershipState, StatusResponse};
use protocol::{Lang, Text};
use time::{OffsetDateTime, UtcOffset};

/// One "who receives what" line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramLine {
    pub who: String,
    pub program: String,
    pub detail: String,
    pub active: bool,
}

/// Every membership of the person, the household as a unit, and each family member.
pub fn program_lines(status: &StatusResponse, lang: Lang) -> Vec<ProgramLine> {
    let you = Text::new("Anda", "You");
    let family = Text::new("Keluarga (KK)", "Family (KK)");
    let mut lines = Vec::new();
    let mut push = |who: String, membership: &Membership| {
        lines.push(ProgramLine {
            who,
            program: membership.program_name.get(lang).to_string(),
            detail: detail(membership, lang),
            active: membership.state == MembershipState::Active,
        });
    };
    for membership in &status.person {
        push(you.get(lang).to_string(), membership);
    }
    for membership in &status.household.programs {
        push(family.get(lang).to_string(), membership);
    }
    for member in &status.household.members {
        for membership in &member.programs {
            push(format!("{} ({})", member.name, member.relation.text().get(lang)), membership);
        }
    }
    lines
}

fn detail(membership: &Membership, lang: Lang) -> String {
    let state = membership.state.text();
    let since = date_from_iso(&membership.since, lang).unwrap_or_else(|| membership.since.clone());
    let state_and_since = match lang {
        Lang::Id => format!("{} sejak {since}", state.get(lang)),
        Lang::En => format!("{} since {since}", state.get(lang)),
    };
    let component = membership.component_name.as_ref().map(|name| match lang {
        Lang::Id => format!("komponen {}", name.id),
        Lang::En => format!("{} component", name.en),
    });
    match component {
        Some(component) => format!("{component} · {state_and_since}"),
        None => state_and_since,
    }
}

const MONTHS_ID: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn month_name(month: u8, lang: Lang) -> &'static str {
    let index = usize::from(month.clamp(1, 12) - 1);
    match lang {
        Lang::Id => MONTHS_ID[index],
        Lang::En => MONTHS_EN[index],
    }
}

/// `2026-11-23` -> `23 November 2026`.
pub fn date_from_iso(iso: &str, lang: Lang) -> Option<String> {
    let mut parts = iso.get(..10)?.split('-');
    let year: u16 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    (1..=12).contains(&month).then(|| format!("{day} {} {year}", month_name(month, lang)))
}

/// Local date and time as Indonesians write it: `23 November 2026 10.41 WIB`.
pub fn date_time(moment: OffsetDateTime, offset: UtcOffset, lang: Lang) -> String {
    let local = moment.to_offset(offset);
    let zone = match offset.whole_hours() {
        7 => "WIB",
        8 => "WITA",
        9 => "WIT",
        _ => "",
    };
    let separator = match lang {
        Lang::Id => '.',
        Lang::En => ':',
    };
    format!(
        "{} {} {} {:02}{separator}{:02} {zone}",
        local.day(),
        month_name(u8::from(local.month()), lang),
        local.year(),
        local.hour(),
        local.minute()
    )
    .trim_end()
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::api::{HouseholdMember, HouseholdStatus, Relation};

    fn membership(program: &str, name: &str, component: Option<&str>) -> Membership {
        Membership {
            program: program.into(),
            program_name: Text::new(name, name),
            component: component.map(Into::into),
            component_name: component.map(|_| Text::new("ibu hamil", "pregnant mother")),
            state: MembershipState::Active,
            since: "2020-05-06".into(),
        }
    }

    #[test]
    fn lines_name_who_receives_what() {
        let status = StatusResponse {
            nik: "3510********0001".into(),
            name: "S*** A*****".into(),
            district: "Blimbingsari".into(),
            village: "Bomo".into(),
            person: vec![membership("NUTRISI", "Paket Nutrisi", None)],
            household: HouseholdStatus {
                kk: "3510********0003".into(),
                programs: vec![membership("PKH", "PKH", Some("ibu_hamil"))],
                members: vec![HouseholdMember {
                    name: "B*** S******".into(),
                    relation: Relation::Head,
                    programs: vec![membership("BST", "BST Kemensos", None)],
                }],
            },
            checked_at: "2026-11-23T03:00:00Z".into(),
        };
        let lines = program_lines(&status, Lang::Id);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].who, "Anda");
        assert_eq!(lines[1].detail, "komponen ibu hamil · aktif sejak 6 Mei 2020");
        assert_eq!(lines[2].who, "B*** S****** (Kepala Keluarga)");
        let english = program_lines(&status, Lang::En);
        assert_eq!(english[1].detail, "pregnant mother component · active since 6 May 2020");
    }

    #[test]
    fn dates_in_indonesian() {
        let moment = OffsetDateTime::from_unix_timestamp(1_795_405_260).expect("valid");
        let wib = UtcOffset::from_hms(7, 0, 0).expect("valid");
        assert_eq!(date_time(moment, wib, Lang::Id), "23 November 2026 10.41 WIB");
        assert_eq!(date_time(moment, wib, Lang::En), "23 November 2026 10:41 WIB");
    }
}
