//! Renders every kiosk screen headless to PNG, in both languages, at the display sizes the
//! kiosks ship with. No display server is needed: Slint's testing platform with the software
//! renderer draws into memory.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use hardware::printer::Paper;
use hardware::printer::sim::MemoryPrinter;
use protocol::api::{
    HouseholdMember, HouseholdStatus, Membership, MembershipState, Relation, StatusResponse,
};
use protocol::auth::KioskKey;
use protocol::{Lang, Nik, Text};
use slint::ComponentHandle;
use time::UtcOffset;

use crate::app::{KioskApp, Services, Settings, build};
use crate::client::{BackendClient, ClientError};
use crate::session::{Printing, Screen, Session};

/// Display sizes to render, width x height in pixels.
pub const SIZES: [(u32, u32); 2] = [(1280, 800), (1024, 600)];

/// Installs Slint's headless platform with a real (software) renderer. Call once per process,
/// before any window exists.
pub fn init_headless() -> anyhow::Result<()> {
    let backend = i_slint_backend_testing::TestingBackend::new(
        i_slint_backend_testing::TestingBackendOptions {
            mock_time: true,
            threading: false,
            renderer_name: Some("software".into()),
        },
    );
    slint::platform::set_platform(Box::new(backend))
        .map_err(|error| anyhow::anyhow!("cannot install headless platform: {error:?}"))
}

/// Writes one PNG per screen, language and size into `dir`; returns the files written.
pub fn write_all(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let services = Services {
        // Screenshots never reach a backend; the key only has to be well-formed.
        client: BackendClient::new("http://127.0.0.1:9", KioskKey::new("BWI-3510-0001", [0; 32])?)?,
        printer: Arc::new(Mutex::new(Box::new(MemoryPrinter::new(Paper::Mm58)))),
        runtime: runtime.handle().clone(),
    };
    let settings = Settings {
        kiosk_id: "BWI-3510-0001".into(),
        village_name: "Desa Bomo, Kecamatan Blimbingsari".into(),
        paper: Paper::Mm58,
        utc_offset: UtcOffset::from_hms(7, 0, 0)?,
        demo_hint: String::new(),
    };
    let app = build(settings, services)?;
    let mut written = Vec::new();
    for (width, height) in SIZES {
        app.window.window().set_size(slint::PhysicalSize::new(width, height));
        app.window.show()?;
        for lang in [Lang::Id, Lang::En] {
            for (name, scene) in scenes() {
                app.apply(|session| {
                    session.reset();
                    session.lang = lang;
                    scene(session);
                });
                let code = if lang == Lang::Id { "id" } else { "en" };
                let path = dir.join(format!("{name}-{code}-{width}x{height}.png"));
                snapshot(&app, &path)?;
                written.push(path);
            }
        }
    }
    // Staff mode's pages (kiosk/src/staff.rs).
    written.extend(crate::staff::screenshots(&app, dir, snapshot)?);
    Ok(written)
}

fn snapshot(app: &KioskApp, path: &Path) -> anyhow::Result<()> {
    let buffer = app.window.window().take_snapshot().context("take snapshot")?;
    let image =
        image::RgbaImage::from_raw(buffer.width(), buffer.height(), buffer.as_bytes().to_vec())
            .context("snapshot buffer size")?;
    image.save(path).with_context(|| format!("write {}", path.display()))
}

type Scene = fn(&mut Session);

/// Each screen in a state worth looking at.
pub fn scenes() -> Vec<(&'static str, Scene)> {
    vec![
        ("01-home", |_| {}),
        ("02-nik-entry", |s| s.screen = Screen::NikEntry),
        ("03-nik-typing", |s| {
            s.screen = Screen::NikEntry;
            s.digits = "35100152030".into();
        }),
        ("04-nik-invalid", |s| {
            s.screen = Screen::NikEntry;
            s.digits = "3510013102850001".into();
            let _ = s.submit();
        }),
        ("05-checking", |s| {
            s.screen = Screen::NikEntry;
            s.digits = "3510015203850002".into();
            s.busy = true;
        }),
        ("06-result", |s| {
            s.screen = Screen::Result;
            s.status = Some(sample_status(true));
        }),
        ("07-result-printed", |s| {
            s.screen = Screen::Result;
            s.status = Some(sample_status(true));
            s.printing = Printing::Done;
        }),
        ("08-result-none", |s| {
            s.screen = Screen::Result;
            s.status = Some(sample_status(false));
        }),
        ("09-failure", |s| {
            s.screen = Screen::Failure;
            s.failure = Some((
                Text::new("Layanan belum dapat digunakan", "Service not available"),
                ClientError::Unreachable(String::new()).text(),
            ));
        }),
    ]
}

fn active(program: &str, id: &str, en: &str, component: Option<&str>) -> Membership {
    Membership {
        program: program.into(),
        program_name: Text::new(id, en),
        component: component.map(Into::into),
        component_name: component.map(|_| Text::new("ibu hamil", "pregnant mother")),
        state: MembershipState::Active,
        since: "2020-05-06".into(),
    }
}

/// A pregnant woman in a PKH household whose husband receives nothing personally and whose
/// father-in-law teaches Quran: every kind of line the result screen can show.
pub fn sample_status(receives: bool) -> StatusResponse {
    let nik = Nik::parse("3510255203850002").map(|n| n.masked()).unwrap_or_default();
    let (person, household, members) = if receives {
        (
            vec![],
            vec![
                active(
                    "PKH",
                    "Program Keluarga Harapan (PKH)",
                    "Family Hope Program (PKH)",
                    Some("ibu_hamil"),
                ),
                active(
                    "APBD_SEMBAKO",
                    "Paket Sembako APBD Banyuwangi",
                    "Banyuwangi food package (APBD)",
                    None,
                ),
            ],
            vec![HouseholdMember {
                name: "S****** H*****".into(),
                relation: Relation::Parent,
                programs: vec![active(
                    "GURU_NGAJI",
                    "Insentif Guru Ngaji",
                    "Quran teacher incentive",
                    None,
                )],
            }],
        )
    } else {
        (vec![], vec![], vec![])
    };
    StatusResponse {
        nik,
        name: "S*** A*****".into(),
        district: "Blimbingsari".into(),
        village: "Bomo".into(),
        person,
        household: HouseholdStatus { kk: "3510********0007".into(), programs: household, members },
        checked_at: "2026-11-23T03:41:00Z".into(),
    }
}
