//! Golden diagnostic tests: each `tests/diagnostics/CODE_name.policy` is checked on its own;
//! the diagnostics (code, position, underlined text, message, labels, help, and the
//! rendered report) must equal `CODE_name.expected`, and one of them must carry CODE.
//! `DICTUM_BLESS=1 cargo test --test diagnostics` rewrites the golden files.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests and benchmarks fail loudly by design"
)]

mod common;

use dictum::check::check_sources;
use dictum::diagnostics::render;
use dictum::error::Diagnostic;
use dictum::schema::Schema;
use dictum::source::Sources;
use dictum::syntax::Limits;
use std::fmt::Write as _;

fn describe(sources: &Sources, diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let s = d.span();
        let (l1, c1) = sources.line_col(s.file, s.start);
        let (l2, c2) = sources.line_col(s.file, s.end);
        let sev = if d.is_error() { "error" } else { "warning" };
        writeln!(
            out,
            "{sev}[{}] {l1}:{c1}-{l2}:{c2} `{}`",
            d.code,
            sources.snippet(s)
        )
        .unwrap();
        writeln!(out, "  message: {}", d.message).unwrap();
        for (i, l) in d.labels.iter().enumerate() {
            if i == 0 {
                writeln!(out, "  label: {}", l.message).unwrap();
            } else {
                let (a, b) = sources.line_col(l.span.file, l.span.start);
                writeln!(
                    out,
                    "  also {a}:{b} `{}`: {}",
                    sources.snippet(l.span),
                    l.message
                )
                .unwrap();
            }
        }
        if let Some(h) = &d.help {
            writeln!(out, "  help: {h}").unwrap();
        }
    }
    out.push_str("\n---- rendered\n");
    for d in diags {
        out.push_str(&render(sources, d, false));
    }
    out
}

#[test]
fn diagnostics_match_golden_files() {
    let dir = common::repo().join("tests/diagnostics");
    let cases = common::files_with_ext(&dir, "policy");
    assert!(
        cases.len() >= 50,
        "expected at least 50 diagnostic cases, found {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_stem().unwrap().to_string_lossy().to_string();
        let code = name.split('_').next().unwrap().to_string();
        let text = std::fs::read_to_string(case).unwrap();
        let mut sources = Sources::new();
        sources.add(format!("{name}.policy"), text);
        let checked = check_sources(&sources, Schema::standard().unwrap(), &Limits::default());
        if !checked.diagnostics.iter().any(|d| d.code.as_str() == code) {
            failures.push(format!(
                "{name}: no diagnostic with code {code}; got {:?}",
                checked
                    .diagnostics
                    .iter()
                    .map(|d| d.code.as_str())
                    .collect::<Vec<_>>()
            ));
            continue;
        }
        if checked.has_errors() != checked.program.is_none() {
            failures.push(format!(
                "{name}: a program was produced despite errors, or withheld without one"
            ));
        }
        let actual = describe(&sources, &checked.diagnostics);
        if let Err(e) = common::golden(&case.with_extension("expected"), &actual) {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
