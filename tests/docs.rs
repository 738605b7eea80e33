//! The examples in the documentation are real: every ```dictum block of README.md and
//! docs/*.md checks without errors or warnings.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests and benchmarks fail loudly by design"
)]

mod common;

use dictum::check::check_sources;
use dictum::schema::Schema;
use dictum::source::Sources;
use dictum::syntax::Limits;

fn blocks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```dictum") => current = Some(String::new()),
            (Some(_), "```") => out.extend(current.take()),
            (Some(b), l) => {
                b.push_str(l);
                b.push('\n');
            }
            _ => {}
        }
    }
    out
}

#[test]
fn documented_examples_check_clean() {
    let root = common::repo();
    let mut files = vec![root.join("README.md")];
    files.extend(common::files_with_ext(&root.join("docs"), "md"));
    let mut count = 0;
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, block) in blocks(&text).into_iter().enumerate() {
            count += 1;
            let mut sources = Sources::new();
            sources.add(format!("{}#{}", f.display(), i + 1), block.clone());
            let c = check_sources(&sources, Schema::standard().unwrap(), &Limits::default());
            let codes: Vec<&str> = c.diagnostics.iter().map(|d| d.code.as_str()).collect();
            // Examples may define constants they do not use; anything else is a doc bug.
            let bad: Vec<&&str> = codes
                .iter()
                .filter(|c| **c != "W0103" && **c != "W0104")
                .collect();
            assert!(
                bad.is_empty(),
                "{} block {}: {:?}\n{block}",
                f.display(),
                i + 1,
                c.diagnostics
            );
        }
    }
    assert!(count >= 4, "found only {count} examples");
}
