//! Golden bytecode listings: each `tests/disasm/NAME.policy` compiles to the listing in
//! `NAME.disasm` (`DICTUM_BLESS=1 cargo test --test disasm` regenerates them). They show
//! what the optimiser did; a change to code generation shows up here first.
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

#[test]
fn listings_match_golden_files() {
    let dir = common::repo().join("tests/disasm");
    let cases = common::files_with_ext(&dir, "policy");
    assert!(cases.len() >= 5);
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let mut sources = Sources::new();
        sources.add(name.clone(), std::fs::read_to_string(case).unwrap());
        let checked = check_sources(&sources, Schema::standard().unwrap(), &Limits::default());
        let program = checked
            .program
            .unwrap_or_else(|| panic!("{name}: {:?}", checked.diagnostics));
        let bundle = dictum::compile::compile(&program, &sources).unwrap();
        let listing = dictum::disasm::disassemble(&bundle);
        // The listing of the decoded bundle is the same: disasm shows what is stored.
        let decoded = dictum::bundle::Bundle::decode(&bundle.encode().unwrap()).unwrap();
        assert_eq!(listing, dictum::disasm::disassemble(&decoded));
        // Source hashes change with the dictum version's sources; keep listings stable.
        let listing = listing.replace(
            &format!("sources {:016x}", bundle.source_hash),
            "sources <hash>",
        );
        if let Err(e) = common::golden(&case.with_extension("disasm"), &listing) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn disasm_cli_prints_a_bundle() {
    let out = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("disasm-cli.bundle");
    let src = common::repo().join("tests/disasm/finance.policy");
    let o = std::process::Command::new(common::dictum_bin())
        .args([
            "compile",
            src.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("static cost access"));
    let o = std::process::Command::new(common::dictum_bin())
        .args(["disasm", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("in.anynetwork client.ip"), "{text}");
    std::fs::write(&out, b"not a bundle").unwrap();
    let o = std::process::Command::new(common::dictum_bin())
        .args(["disasm", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("is not a valid bundle: not a dictum bundle")
    );
}
