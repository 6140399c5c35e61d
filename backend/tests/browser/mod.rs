//! A real headless Chromium for the console's browser tests: Debian's `chromium` driven by
//! its `chromium-driver` (WebDriver) on a free loopback port, through fantoccini.
//!
//! Without chromedriver the tests fail, saying how to install it (`scripts/setup.sh`);
//! `ANJUNGAN_SKIP_BROWSER=1` skips them instead, for machines that cannot have a browser.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

/// Set to `1` to skip the browser tests where no browser can be installed.
pub const SKIP_ENV: &str = "ANJUNGAN_SKIP_BROWSER";

/// A chromedriver process, killed when dropped.
pub struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn executable(names: &[&str]) -> Option<String> {
    let path = std::env::var("PATH").unwrap_or_default();
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
            .map(|found| found.display().to_string())
    })
}

impl Driver {
    /// Starts chromedriver, or `None` when the browser tests are to be skipped.
    pub async fn start() -> Option<Driver> {
        if std::env::var(SKIP_ENV).is_ok_and(|value| value == "1") {
            eprintln!("{SKIP_ENV}=1: browser test skipped");
            return None;
        }
        let Some(chromedriver) = executable(&["chromedriver", "chromium-driver"]) else {
            panic!(
                "chromedriver is not installed, so the console's browser tests cannot run. \
                 Install Debian's chromium and chromium-driver (scripts/setup.sh does), or set \
                 {SKIP_ENV}=1 to skip these tests on a machine without a browser."
            );
        };
        for _ in 0..3 {
            let port = super::common::free_port();
            let child = Command::new(&chromedriver)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start chromedriver");
            let mut driver = Driver { child, url: format!("http://127.0.0.1:{port}") };
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(15) {
                if let Ok(Some(_)) = driver.child.try_wait() {
                    break;
                }
                if reqwest::get(format!("{}/status", driver.url)).await.is_ok() {
                    return Some(driver);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let _ = driver.child.kill();
        }
        panic!("chromedriver did not start");
    }

    /// A fresh headless Chromium (its own profile: no cookies) with a viewport of
    /// `width` x `height` CSS pixels.
    pub async fn browser(&self, width: u32, height: u32) -> Client {
        let binary = executable(&["chromium", "chromium-browser"])
            .unwrap_or_else(|| "/usr/bin/chromium".to_owned());
        let capabilities = serde_json::json!({
            "goog:chromeOptions": {
                "binary": binary,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--hide-scrollbars",
                    "--force-device-scale-factor=1",
                    "--lang=id-ID",
                    format!("--window-size={width},{height}"),
                ],
            }
        });
        let serde_json::Value::Object(capabilities) = capabilities else { unreachable!() };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("a Chromium session");
        set_viewport(&client, width, height).await;
        client
    }
}

/// Sizes the window so that the page itself (its viewport) is `width` x `height`: the
/// window's frame takes some of the window's size.
pub async fn set_viewport(client: &Client, width: u32, height: u32) {
    client.set_window_size(width, height).await.expect("window size");
    let inner = run(client, "return [window.innerWidth, window.innerHeight];").await;
    let inner = |i: usize| inner[i].as_u64().and_then(|n| u32::try_from(n).ok()).unwrap_or(0);
    let (outer_w, outer_h) = (2 * width - inner(0).min(width), 2 * height - inner(1).min(height));
    client.set_window_size(outer_w, outer_h).await.expect("window size");
}

/// What the page says, as a reader sees it (entities decoded, markup gone).
pub async fn text(client: &Client) -> String {
    let said = run(client, "return document.body ? document.body.innerText : '';").await;
    said.as_str().unwrap_or_default().to_owned()
}

/// The path of the page the browser is on (and its query).
pub async fn path(client: &Client) -> String {
    let url = client.current_url().await.expect("url");
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

/// Types into the field `css`.
pub async fn fill(client: &Client, css: &str, value: &str) {
    let field = client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
    field.clear().await.expect("clear");
    field.send_keys(value).await.expect("type");
}

/// Clicks `css` (a link or a form's button) and waits until the page it leads to is
/// loaded: the old document carries a mark the new one does not.
pub async fn click(client: &Client, css: &str) {
    run(client, "window.__anjunganOld = true;").await;
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
    let started = Instant::now();
    loop {
        let state = client
            .execute(
                "return window.__anjunganOld === undefined && document.readyState === 'complete';",
                Vec::new(),
            )
            .await;
        if matches!(state, Ok(serde_json::Value::Bool(true))) {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "no new page after clicking {css}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs `script` in the page and returns its JSON value.
pub async fn run(client: &Client, script: &str) -> serde_json::Value {
    client.execute(script, Vec::new()).await.unwrap_or_else(|e| panic!("{script}: {e}"))
}

/// Saves the page as `docs/screenshots/console/<page>-<w>x<h>.png`: laid out in a viewport
/// of that size, and drawn to its full length (a page longer than the screen is scrolled
/// on the device; the picture shows all of it).
#[allow(dead_code)] // the fleet's browser test takes its pictures in console_browser's
pub async fn shot(client: &Client, page: &str, (width, height): (u32, u32)) {
    let length = run(client, "return document.documentElement.scrollHeight;").await;
    let length = length.as_u64().and_then(|n| u32::try_from(n).ok()).unwrap_or(height);
    set_viewport(client, width, length.max(height)).await;
    let png = client.screenshot().await.expect("screenshot");
    set_viewport(client, width, height).await;
    let image = image::load_from_memory(&png).expect("a PNG");
    assert_eq!(image.width(), width, "{page}: the viewport's width");
    assert!(image.height() >= height, "{page}: at least the viewport's height");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots/console");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    std::fs::write(dir.join(format!("{page}-{width}x{height}.png")), png).expect("write");
}

/// The sizes every console page is checked and pictured at: an office laptop and a phone.
#[allow(dead_code)]
pub const LAPTOP: (u32, u32) = (1366, 768);
#[allow(dead_code)]
pub const PHONE: (u32, u32) = (390, 844);

/// The first sign-in of an account `staff-add` made: its own password chosen, then the
/// dashboard.
#[allow(dead_code)]
pub async fn first_sign_in(client: &Client, base: &str, username: &str) {
    use crate::common::console::{FIRST_PASSWORD, OWN_PASSWORD};
    client.goto(&format!("{base}/console/login")).await.expect("login page");
    fill(client, "#username", username).await;
    fill(client, "#password", FIRST_PASSWORD).await;
    click(client, "form.stack button[type=submit]").await;
    assert_eq!(path(client).await, "/console/password");
    fill(client, "#current", FIRST_PASSWORD).await;
    fill(client, "#new", OWN_PASSWORD).await;
    fill(client, "#confirm", OWN_PASSWORD).await;
    click(client, "form.stack button[type=submit]").await;
    assert_eq!(path(client).await, "/console/");
}
