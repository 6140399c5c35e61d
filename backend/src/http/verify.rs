//! `GET /verify/{id}`: the public page whoever received a letter opens (a school, a hospital,
//! the police): genuine or not, what was signed, and whether the letter was cancelled.
//!
//! With `?qr=<the scanned QR payload>` the page also checks the seal itself against the
//! desa's key and that it names this letter. Names and NIKs are shown masked: the page
//! confirms the paper in hand, it does not repeat it. Every view is audited. HTML is
//! escaped; no script, no external resource.

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use protocol::letter::seal::LetterSeal;
use protocol::mask::mask_name;
use serde::Deserialize;

use super::{AppState, now};
use crate::store::{AuditEntry, IssuedRecord};

/// The page's route.
pub const PAGE_PATH: &str = "/verify/{id}";

#[derive(Debug, Deserialize)]
pub struct Scanned {
    qr: Option<String>,
}

/// `&`, `<`, `>`, `"` and `'` escaped, so stored text never becomes markup.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn masked_nik(nik: &str) -> String {
    protocol::Nik::parse(nik).map(|nik| nik.masked()).unwrap_or_else(|_| "-".into())
}

/// The verdict and its colour.
enum Verdict {
    Genuine,
    Cancelled,
    Unknown,
    Forged,
}

fn page(verdict: Verdict, letter: Option<&IssuedRecord>, detail: &str) -> String {
    let (class, id, en) = match verdict {
        Verdict::Genuine => {
            ("ok", "ASLI", "Genuine: issued and sealed by the desa, not cancelled.")
        }
        Verdict::Cancelled => {
            ("warn", "DIBATALKAN", "Cancelled: this letter was issued but is no longer valid.")
        }
        Verdict::Unknown => ("bad", "TIDAK DIKENAL", "Unknown: no letter with this number exists."),
        Verdict::Forged => (
            "bad",
            "TIDAK ASLI",
            "Not genuine: the QR code does not match the desa's seal or this letter.",
        ),
    };
    let mut rows = String::new();
    if let Some(letter) = letter {
        let document = &letter.document;
        let subject = document
            .body
            .iter()
            .find_map(|block| match block {
                protocol::letter::document::Block::Fields { rows } => {
                    rows.iter().find(|row| row.label == "Nama").map(|row| row.value.clone())
                }
                _ => None,
            })
            .unwrap_or_default();
        let mut row = |label: &str, value: &str| {
            rows.push_str(&format!(
                "<tr><th>{}</th><td>{}</td></tr>\n",
                escape(label),
                escape(value)
            ));
        };
        row("Surat / Letter", &document.title);
        row("Nomor / Number", &letter.number);
        row("Diterbitkan / Issued", &letter.issued_at);
        row("Desa", &document.kop.desa);
        row("Atas nama / Subject", &mask_name(&subject));
        row("NIK", &masked_nik(&letter.subject_nik));
        row(
            "Penandatangan / Signed by",
            &format!("{} ({})", document.signer.name, document.signer.position),
        );
        if let Some((at, by, why)) = &letter.cancelled {
            row("Dibatalkan / Cancelled", &format!("{at} oleh {by}: {why}"));
        }
    }
    format!(
        "<!doctype html>\n<html lang=\"id\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Periksa surat / Verify a letter</title>\
<style>body{{font-family:sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem;color:#111}}\
.verdict{{padding:1rem;border-radius:.5rem;font-size:1.25rem}}.ok{{background:#d7f5dd}}\
.warn{{background:#fff1c2}}.bad{{background:#ffd6d6}}th{{text-align:left;padding:.25rem 1rem .25rem 0;vertical-align:top}}\
td{{padding:.25rem 0}}</style></head><body>\
<h1>Pemeriksaan surat desa</h1>\
<p class=\"verdict {class}\"><strong>{id}</strong><br>{en}</p>\
<table>{rows}</table><p>{detail}</p>\
<p><small>Halaman ini menampilkan nama dan NIK tersamar: cocokkan dengan surat yang Anda pegang. \
This page shows the name and NIK masked: compare them with the letter in your hand.</small></p>\
</body></html>\n",
        detail = escape(detail),
    )
}

/// The public verification page.
pub async fn page_handler(state: &AppState, id: String, scanned: Option<String>) -> Response {
    let store = state.store.clone();
    let lookup = id.clone();
    let found = tokio::task::spawn_blocking(move || store.letter(&lookup)).await;
    let letter = match found {
        Ok(Ok(letter)) => letter,
        _ => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "Layanan sedang tidak tersedia / Service unavailable",
            )
                .into_response();
        }
    };
    let mut detail = String::new();
    let verdict = match (&letter, scanned) {
        (None, _) => Verdict::Unknown,
        (Some(letter), Some(payload)) => {
            let keys = {
                let store = state.store.clone();
                tokio::task::spawn_blocking(move || store.desa_public_keys())
                    .await
                    .ok()
                    .and_then(Result::ok)
            };
            match keys.map(|keys| LetterSeal::verify(&payload, &keys)) {
                Some(Ok(seal)) if seal.id == letter.id && seal.number == letter.number => {
                    detail =
                        "Segel QR cocok dengan kunci desa. / The QR seal matches the desa's key."
                            .into();
                    if letter.cancelled.is_some() { Verdict::Cancelled } else { Verdict::Genuine }
                }
                Some(Ok(_)) => Verdict::Forged,
                Some(Err(error)) => {
                    detail = error.text().id;
                    Verdict::Forged
                }
                None => Verdict::Unknown,
            }
        }
        (Some(letter), None) if letter.cancelled.is_some() => Verdict::Cancelled,
        (Some(_), None) => Verdict::Genuine,
    };
    let outcome = match verdict {
        Verdict::Genuine => "genuine",
        Verdict::Cancelled => "cancelled",
        Verdict::Unknown => "unknown",
        Verdict::Forged => "forged",
    };
    state.store.audit(AuditEntry {
        at: now(),
        actor: "public".into(),
        action: "letter_verify".into(),
        subject: format!(
            "letter:{}",
            id.chars().filter(char::is_ascii_alphanumeric).take(10).collect::<String>()
        ),
        outcome: outcome.into(),
    });
    let status =
        if matches!(verdict, Verdict::Unknown) { StatusCode::NOT_FOUND } else { StatusCode::OK };
    let html = page(verdict, letter.as_ref(), &detail);
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}

pub async fn page_route(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(scanned): Query<Scanned>,
) -> Response {
    page_handler(&state, id, scanned.qr).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_stored_text_is_escaped() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
    }
}
