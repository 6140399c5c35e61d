//! The headers every console answer carries: a Content-Security-Policy that lets the page
//! load only the console's own style sheet (and script, should one be added), post forms
//! only to itself and be framed by no one; no MIME sniffing; no referrer; and, unless the
//! answer says otherwise (the style sheet), no caching, since pages hold personal data.

use axum::http::{HeaderValue, header};
use axum::response::Response;

/// The console's Content-Security-Policy.
pub(crate) const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the security headers to an answer of the console.
pub(crate) async fn secure(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
