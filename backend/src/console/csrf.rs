//! Cross-site request forgery: every form carries a token only a page of the console can
//! know, and a POST whose token is missing or wrong is refused (and audited by the gate).
//!
//! A signed-in form's token is an HMAC-SHA256 keyed with the session id (which only the
//! browser holds, in an HttpOnly cookie), so nothing more is stored and a copy of the
//! database forges none. The sign-in form, before any session, uses a random pre-session
//! cookie the same way. On top, a request whose `Origin`, `Referer` or `Sec-Fetch-Site`
//! shows it came from another site is refused when the browser sends them. With
//! `Referrer-Policy: no-referrer` browsers send `Origin: null` on the console's own forms,
//! so `null` tells nothing and only the token decides then.

use axum::http::{HeaderMap, header};
use hmac::{Hmac, Mac};
use percent_encoding::percent_decode_str;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The form field every console form carries its token in.
pub(crate) const FIELD: &str = "csrf";

/// What a token is for: a session's forms, or the sign-in form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    Session,
    SignIn,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::Session => b"anjungan console csrf v1",
            Purpose::SignIn => b"anjungan console sign-in v1",
        }
    }
}

fn mac(secret: &str, purpose: Purpose) -> HmacSha256 {
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(purpose.label());
    mac
}

/// The token of the forms of the session (or pre-session) whose cookie holds `secret`.
pub(crate) fn token(secret: &str, purpose: Purpose) -> String {
    hex::encode(mac(secret, purpose).finalize().into_bytes())
}

/// Whether `given` is the token for `secret`, compared in constant time.
pub(crate) fn matches(secret: &str, purpose: Purpose, given: &str) -> bool {
    let Ok(given) = hex::decode(given) else { return false };
    mac(secret, purpose).verify_slice(&given).is_ok()
}

/// A field of an `application/x-www-form-urlencoded` body, decoded; the first of its name.
pub(crate) fn form_field(body: &[u8], name: &str) -> Option<String> {
    let body = std::str::from_utf8(body).ok()?;
    body.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(key)? == name).then(|| decode(value)).flatten()
    })
}

fn decode(text: &str) -> Option<String> {
    percent_decode_str(&text.replace('+', " ")).decode_utf8().ok().map(|text| text.into_owned())
}

/// A text field of a `multipart/form-data` body (an upload form), the first of its name.
pub(crate) async fn multipart_field(
    content_type: &axum::http::HeaderValue,
    body: bytes::Bytes,
    name: &str,
) -> Option<String> {
    use axum::extract::{FromRequest, Multipart};
    let request = axum::http::Request::builder()
        .header(header::CONTENT_TYPE, content_type.clone())
        .body(axum::body::Body::from(body))
        .ok()?;
    let mut form = Multipart::from_request(request, &()).await.ok()?;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some(name) {
            return field.text().await.ok();
        }
    }
    None
}

/// `host[:port]` of an absolute URL, lower-cased.
fn authority(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    Some(authority.to_ascii_lowercase())
}

/// Whether what the browser says of a POST's source (when it says anything) is this
/// console itself: `Sec-Fetch-Site` same-origin (or none: typed by the user), and the host
/// of `Origin` and `Referer` that of the request.
pub(crate) fn same_origin(headers: &HeaderMap) -> bool {
    let text = |name| headers.get(name).and_then(|value| value.to_str().ok());
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site"))
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    let host = text(header::HOST).map(str::to_ascii_lowercase);
    for source in [text(header::ORIGIN).filter(|origin| *origin != "null"), text(header::REFERER)]
        .into_iter()
        .flatten()
    {
        if host.is_none() || authority(source) != host {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn a_token_is_bound_to_its_session_and_purpose() {
        let session = "a".repeat(64);
        let token = token(&session, Purpose::Session);
        assert_eq!(token.len(), 64);
        assert!(matches(&session, Purpose::Session, &token));
        assert!(!matches(&session, Purpose::SignIn, &token), "a sign-in token is another");
        assert!(!matches(&"b".repeat(64), Purpose::Session, &token), "another session's");
        assert!(!matches(&session, Purpose::Session, ""));
        assert!(!matches(&session, Purpose::Session, "zz"));
        assert!(!matches(&session, Purpose::Session, &token[..62]));
    }

    #[test]
    fn form_fields_are_decoded() {
        let body = b"ticket=0-17-3&reason=data+KK%20beda%3F&csrf=ab12";
        assert_eq!(form_field(body, "reason").as_deref(), Some("data KK beda?"));
        assert_eq!(form_field(body, "csrf").as_deref(), Some("ab12"));
        assert_eq!(form_field(body, "missing"), None);
        assert_eq!(form_field(b"csrf", "csrf").as_deref(), Some(""));
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn posts_from_elsewhere_are_told_apart_when_the_browser_says_so() {
        let host = ("host", "127.0.0.1:8080");
        assert!(same_origin(&headers(&[host])), "nothing said: the token decides");
        assert!(same_origin(&headers(&[host, ("origin", "http://127.0.0.1:8080")])));
        assert!(same_origin(&headers(&[host, ("origin", "null")])), "no-referrer's null");
        assert!(same_origin(&headers(&[host, ("sec-fetch-site", "same-origin")])));
        assert!(!same_origin(&headers(&[host, ("origin", "https://evil.example")])));
        assert!(!same_origin(&headers(&[host, ("origin", "http://127.0.0.1:8081")])));
        assert!(!same_origin(&headers(&[host, ("referer", "http://evil.example/x")])));
        assert!(!same_origin(&headers(&[host, ("sec-fetch-site", "cross-site")])));
        assert!(!same_origin(&headers(&[host, ("sec-fetch-site", "same-site")])));
        assert!(!same_origin(&headers(&[("origin", "http://127.0.0.1:8080")])), "no Host");
        assert!(same_origin(&headers(&[host, ("referer", "http://127.0.0.1:8080/console/x?y")])));
    }
}
