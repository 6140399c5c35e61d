//! The web console from the outside: a service with demo data and two desas ready to issue
//! letters, staff accounts, letter requests filed by real kiosk requests, and a small HTTP
//! client that keeps the console's cookies as a browser would (redirects not followed, so
//! each answer can be looked at).

use std::collections::BTreeMap;

use backend::Store;
use backend::store::StaffRole;
use protocol::api::TicketStatus;
use protocol::auth::KioskKey;
use protocol::letter::LETTERS_PATH;

use super::{Server, post_as};

/// The password `backend staff-add` gave every account of these tests.
pub const FIRST_PASSWORD: &str = "sementara-desa-1";
/// The password each account chooses at its first sign-in.
pub const OWN_PASSWORD: &str = "kopi-luwak-kebun-7";

/// A service with demo data, and two desas (`home`, `other`) with a kepala desa named and a
/// kiosk each.
pub struct World {
    pub server: Server,
    pub home: u64,
    pub other: u64,
    pub home_kiosk: KioskKey,
    pub other_kiosk: KioskKey,
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work).await.expect("join")
}

/// One column of what `sql` selects, as text.
pub async fn column(store: &Store, sql: String) -> Vec<String> {
    let store = store.clone();
    blocking(move || store.inspect(&sql).expect("query"))
        .await
        .into_iter()
        .map(|row| row[0].text().to_owned())
        .collect()
}

/// Runs a statement on the registry (to age a session, to plant a name).
pub async fn execute(store: &Store, sql: String) -> u64 {
    let store = store.clone();
    blocking(move || store.inspect_execute(&sql).expect("statement")).await
}

pub async fn world_with(options: backend::http::RouterOptions) -> World {
    let store = Store::open_temporary().expect("store");
    let summary =
        backend::demo::generate(&store, &backend::demo::DemoOptions { residents: 4000, seed: 7 })
            .expect("demo data");
    let listener = tokio::net::TcpListener::bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let key = store.register_kiosk("BWI-TEST-07", None, 600).expect("register kiosk");
    tokio::spawn(backend::serve_with_options(
        listener,
        store.clone(),
        options,
        std::future::pending(),
    ));
    let server = Server { url, store, summary, key };
    let desas: Vec<u64> = column(
        &server.store,
        "SELECT CAST(f.desa_code AS TEXT) FROM families f JOIN residents r ON r.kk = f.kk
         WHERE r.relation = 'head' AND r.life_status = 'alive'
         GROUP BY f.desa_code ORDER BY count(*) DESC, f.desa_code LIMIT 2"
            .into(),
    )
    .await
    .iter()
    .map(|code| code.parse().expect("desa code"))
    .collect();
    let (home, other) = (desas[0], desas[1]);
    let store = server.store.clone();
    let (home_kiosk, other_kiosk) = blocking(move || {
        for desa in [home, other] {
            let mut settings = store.letter_settings(desa).expect("settings");
            settings.head_name = "H. SUGENG RIYADI".into();
            settings.head_position = "Kepala Desa".into();
            settings.address = "Jl. Raya Desa No. 1".into();
            store.set_letter_settings(&settings, "cli:test").expect("saved");
        }
        (
            store.register_kiosk("BWI-BALAI-01", Some(home), 120).expect("kiosk"),
            store.register_kiosk("BWI-LAIN-01", Some(other), 120).expect("kiosk"),
        )
    })
    .await;
    World { server, home, other, home_kiosk, other_kiosk }
}

pub async fn world() -> World {
    world_with(backend::http::RouterOptions::default()).await
}

impl World {
    /// An account as `backend staff-add` makes it: its first password, to be changed.
    pub async fn staff(&self, username: &str, desa: Option<u64>, role: StaffRole, name: &str) {
        let (store, username, name) =
            (self.server.store.clone(), username.to_owned(), name.to_owned());
        blocking(move || {
            store.set_staff(&username, FIRST_PASSWORD, desa).expect("staff");
            store.set_staff_role(&username, role, &name, "Kepala Desa").expect("role");
        })
        .await;
    }

    /// The account's own password ([`OWN_PASSWORD`]) chosen, as after its first sign-in:
    /// the staff API serves it (an account still on its first password gets 403).
    pub async fn own_password(&self, username: &str) {
        let (store, username) = (self.server.store.clone(), username.to_owned());
        blocking(move || {
            store.change_staff_password(&username, OWN_PASSWORD, None).expect("own password")
        })
        .await;
    }

    /// Living heads of family of `desa`.
    pub async fn heads(&self, desa: u64) -> Vec<String> {
        column(
            &self.server.store,
            format!(
                "SELECT r.nik FROM residents r JOIN families f ON f.kk = r.kk
                 WHERE f.desa_code = {desa} AND r.relation = 'head' AND r.life_status = 'alive'
                 ORDER BY r.nik LIMIT 20"
            ),
        )
        .await
    }

    /// A letter request filed at `kiosk` with the NIK typed: it waits for the staff.
    pub async fn file(
        &self,
        kiosk: &KioskKey,
        applicant: &str,
        letter: &str,
        key: &str,
        fields: serde_json::Value,
    ) -> TicketStatus {
        self.file_as(kiosk, applicant, letter, key, fields, "keypad").await
    }

    /// A letter request filed at `kiosk`, the NIK entered as `entry` (`card`: read from the
    /// e-KTP, which may issue it at once).
    pub async fn file_as(
        &self,
        kiosk: &KioskKey,
        applicant: &str,
        letter: &str,
        key: &str,
        fields: serde_json::Value,
        entry: &str,
    ) -> TicketStatus {
        let body = serde_json::json!({
            "applicant_nik": applicant,
            "letter": letter,
            "purpose": "Syarat melamar pekerjaan",
            "idempotency_key": key,
            "nik_entry": entry,
            "fields": fields,
        });
        let response = post_as(&self.server, kiosk, LETTERS_PATH, &body).await;
        let status = response.status();
        let text = response.text().await.expect("body");
        assert_eq!(status, 201, "filed: {text}");
        serde_json::from_str(&text).expect("ticket JSON")
    }

    /// The ticket as a kiosk tracking it reads it.
    pub async fn ticket(&self, ticket: &str) -> TicketStatus {
        super::get(&self.server, &format!("/api/v1/tickets/{ticket}"))
            .await
            .json()
            .await
            .expect("ticket")
    }
}

/// One answer of the console.
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|value| value.to_str().ok())
    }

    /// The value of the first hidden `csrf` field of the page.
    pub fn csrf(&self) -> Option<String> {
        let at = self.body.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
        Some(self.body[at..].chars().take_while(|c| *c != '"').collect())
    }

    /// The body with the entities the templates escape turned back into characters.
    pub fn text(&self) -> String {
        self.body
            .replace("&#x2f;", "/")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#x27;", "'")
            .replace("&amp;", "&")
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or("")
    }

    /// Every `Set-Cookie` line.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .map(str::to_owned)
            .collect()
    }
}

/// A browser without a window: keeps cookies, follows nothing.
pub struct Console {
    pub base: String,
    client: reqwest::Client,
    pub cookies: BTreeMap<String, String>,
}

impl Console {
    pub fn new(base: &str) -> Console {
        Console {
            base: base.to_owned(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            cookies: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn keep(&mut self, response: reqwest::Response) -> Answer {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        for line in headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()) {
            let pair = line.split(';').next().unwrap_or("");
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if value.is_empty() || line.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        Answer { status, headers, body: response.text().await.expect("body") }
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("GET");
        self.keep(response).await
    }

    /// A form as a browser posts it, with the headers given (an `Origin`, say).
    pub async fn post_with(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .form(fields);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("POST");
        self.keep(response).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let origin = self.base.clone();
        self.post_with(path, fields, &[("origin", &origin)]).await
    }

    /// Opens the sign-in form and signs in.
    pub async fn sign_in(&mut self, username: &str, password: &str) -> Answer {
        let form = self.get("/console/login").await;
        assert_eq!(form.status, 200);
        let csrf = form.csrf().expect("the sign-in form's token");
        self.post(
            "/console/login",
            &[("username", username), ("password", password), ("csrf", &csrf)],
        )
        .await
    }

    /// Signs in with the first password and chooses [`OWN_PASSWORD`]; on the dashboard after.
    pub async fn sign_in_first_time(&mut self, username: &str) {
        let answer = self.sign_in(username, FIRST_PASSWORD).await;
        assert_eq!((answer.status, answer.location()), (303, Some("/console/password")));
        let form = self.get("/console/password").await;
        let csrf = form.csrf().expect("token");
        let changed = self
            .post(
                "/console/password",
                &[
                    ("current", FIRST_PASSWORD),
                    ("new", OWN_PASSWORD),
                    ("confirm", OWN_PASSWORD),
                    ("csrf", &csrf),
                ],
            )
            .await;
        assert_eq!(
            (changed.status, changed.location()),
            (303, Some("/console/")),
            "{}",
            changed.body
        );
    }

    /// The session id the browser holds.
    pub fn session(&self) -> Option<&str> {
        self.cookies.get("anjungan_session").map(String::as_str)
    }

    /// The CSRF token of this session's forms, read off the dashboard.
    pub async fn token(&mut self) -> String {
        self.get("/console/").await.csrf().expect("a form token on the dashboard")
    }
}

/// Waits for a fresh minute when less than 20 seconds of this one are left: sign-in limits
/// count per clock minute, and a test of them must not straddle two.
pub async fn early_in_a_minute() {
    let second = time::OffsetDateTime::now_utc().second();
    if second > 40 {
        tokio::time::sleep(std::time::Duration::from_secs(u64::from(61 - second))).await;
    }
}

/// A `multipart/form-data` body as a browser sends an upload form: the text fields, then
/// one file field `file` named `file_name`.
pub fn multipart(fields: &[(&str, &str)], file_name: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----anjungan-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

impl Console {
    /// An upload form (`multipart`'s content type and body) as a browser posts it.
    pub async fn post_multipart(
        &mut self,
        path: &str,
        (content_type, body): (String, Vec<u8>),
    ) -> Answer {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("origin", self.base.clone())
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("POST");
        self.keep(response).await
    }
}
