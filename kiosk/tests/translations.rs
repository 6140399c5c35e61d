//! Every text the UI marks with `@tr` has its English translation in
//! `lang/en/LC_MESSAGES/anjungan-kiosk.po`, under the component it stands in (Slint's
//! `msgctxt`). A missing entry would show Indonesian to an English reader without any
//! error, so it is caught here; an entry no component uses any more is reported too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// `(context, msgid)` pairs.
type Keys = BTreeSet<(String, String)>;

/// The `@tr("...")` texts of one `.slint` file, with the component or global they are in.
fn marked_texts(source: &str, keys: &mut Keys) {
    let mut context = String::new();
    for line in source.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let start = usize::from(words.first() == Some(&"export"));
        if matches!(words.get(start), Some(&"component") | Some(&"global"))
            && let Some(name) = words.get(start + 1)
        {
            context = name.trim_end_matches('{').to_string();
        }
        let mut rest = line;
        while let Some(at) = rest.find("@tr(\"") {
            let text = &rest[at + 5..];
            let mut msgid = String::new();
            let mut chars = text.char_indices();
            let mut end = text.len();
            while let Some((index, ch)) = chars.next() {
                match ch {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            msgid.push(escaped);
                        }
                    }
                    '"' => {
                        end = index + 1;
                        break;
                    }
                    other => msgid.push(other),
                }
            }
            assert!(!context.is_empty(), "@tr(\"{msgid}\") outside any component");
            keys.insert((context.clone(), msgid));
            rest = &text[end..];
        }
    }
}

/// A `"..."` string of a `.po` line, unescaped.
fn po_string(value: &str) -> String {
    let inner = value.trim().trim_start_matches('"').trim_end_matches('"');
    inner.replace("\\\"", "\"").replace("\\n", "\n").replace("\\\\", "\\")
}

/// The `.po` file's entries: `(context, msgid)` to `msgstr`.
fn translations(po: &str) -> BTreeMap<(String, String), String> {
    let mut entries = BTreeMap::new();
    let (mut context, mut msgid) = (String::new(), None::<String>);
    for line in po.lines() {
        if let Some(value) = line.strip_prefix("msgctxt ") {
            context = po_string(value);
        } else if let Some(value) = line.strip_prefix("msgid ") {
            msgid = Some(po_string(value));
        } else if let Some(value) = line.strip_prefix("msgstr ")
            && let Some(id) = msgid.take().filter(|id| !id.is_empty())
        {
            entries.insert((std::mem::take(&mut context), id), po_string(value));
        }
    }
    entries
}

fn slint_files(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read ui directory") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            slint_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "slint") {
            found.push(path);
        }
    }
}

#[test]
fn every_marked_text_has_an_english_translation() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    slint_files(&root.join("ui"), &mut files);
    let mut keys = Keys::new();
    for file in &files {
        marked_texts(&std::fs::read_to_string(file).expect("read .slint"), &mut keys);
    }
    assert!(keys.len() > 100, "only {} texts found: is the parser broken?", keys.len());
    let po = std::fs::read_to_string(root.join("lang/en/LC_MESSAGES/anjungan-kiosk.po"))
        .expect("read .po");
    let english = translations(&po);

    let missing: Vec<_> = keys
        .iter()
        .filter(|key| english.get(*key).is_none_or(|text| text.trim().is_empty()))
        .collect();
    assert!(missing.is_empty(), "{} texts without English: {missing:#?}", missing.len());
    let unused: Vec<_> = english.keys().filter(|key| !keys.contains(*key)).collect();
    assert!(unused.is_empty(), "{} translations no component uses: {unused:#?}", unused.len());
}

#[test]
fn the_parsers_read_what_they_are_given() {
    let mut keys = Keys::new();
    marked_texts(
        "export component HomePage inherits Rectangle {\n  text: @tr(\"Kios {}\", x) + @tr(\"Kata \\\"kutip\\\"\");\n}\n",
        &mut keys,
    );
    let expected: Keys = [("HomePage", "Kios {}"), ("HomePage", "Kata \"kutip\"")]
        .into_iter()
        .map(|(c, m)| (c.to_string(), m.to_string()))
        .collect();
    assert_eq!(keys, expected);
    let entries = translations("msgctxt \"HomePage\"\nmsgid \"Kios {}\"\nmsgstr \"Kiosk {}\"\n");
    assert_eq!(
        entries.get(&("HomePage".to_string(), "Kios {}".to_string())).map(String::as_str),
        Some("Kiosk {}")
    );
}
