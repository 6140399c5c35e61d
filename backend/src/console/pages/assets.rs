//! The console's one style sheet, served by the service itself (no CDN), under an address
//! that names its content, so browsers may keep it for a day and still never use an old one.

use std::sync::OnceLock;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

pub(crate) const CSS_PATH: &str = "/console/static/console.css";

const CSS: &str = include_str!("../../../console/static/console.css");

/// `/console/static/console.css?v=<8 hex digits of its SHA-256>`.
pub(crate) fn css_href() -> &'static str {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| {
        let digest = Sha256::digest(CSS.as_bytes());
        format!("{CSS_PATH}?v={}", hex::encode(&digest[..4]))
    })
}

pub(crate) async fn css() -> Response {
    let mut response = CSS.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    response
}

/// The one script of the console: the print button of the public list (the page prints with
/// Ctrl+P without it). Served like the style sheet, so the CSP's `script-src 'self'` holds.
pub(crate) const PRINT_JS_PATH: &str = "/console/static/print.js";

const PRINT_JS: &str = include_str!("../../../console/static/print.js");

pub(crate) async fn print_js() -> Response {
    let mut response = PRINT_JS.into_response();
    let headers = response.headers_mut();
    headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    response
}
