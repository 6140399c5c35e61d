//! Arbitrary user strings placed into a document through every method that takes text,
//! rendered to ESC/POS and decoded: exactly one reset, one cut and it comes last, no
//! unknown command, and no control character in any printed line.
#![no_main]

use hardware::printer::codepage::CodePage;
use hardware::printer::decode::{Command, decode};
use hardware::printer::render::render;
use hardware::printer::{Align, Column, Document, Paper, Style, Table};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u8, Vec<String>)| {
    let (choice, texts) = input;
    let paper = Paper::ALL[usize::from(choice) % Paper::ALL.len()];
    let page = CodePage::ALL[usize::from(choice / 4) % CodePage::ALL.len()];
    let text = |i: usize| texts.get(i).map(String::as_str).unwrap_or_default();
    let mut table =
        Table::new([Column::fill(text(0)), Column::new(text(1), 8).align(Align::Right)]);
    table.row([text(2), text(3)]).row([text(4), text(5), text(6)]);
    let mut doc = Document::with_code_page(paper, page);
    doc.text(text(0), Style::default())
        .text(text(1), Style::right().bold().double())
        .heading(text(2))
        .subheading(text(3))
        .pair(text(4), text(5))
        .table(&table)
        .qr(text(6));
    let _ = doc.code128(text(7));
    if choice & 1 == 1 {
        doc.cut();
    }
    doc.text(text(8), Style::center());
    let Ok(bytes) = render(&doc) else { return };
    let out = decode(&bytes);
    assert_eq!(out.count(&Command::Init), 1);
    assert_eq!(out.cuts, 1);
    assert_eq!(out.commands.last(), Some(&Command::Cut));
    assert!(out.unknown_commands().is_empty(), "{:?}", out.unknown_commands());
    for line in &out.lines {
        assert!(!line.text.chars().any(char::is_control), "{:?}", line.text);
        assert!(line.text.chars().all(|c| page.encode(c).is_some()), "{:?}", line.text);
    }
});
