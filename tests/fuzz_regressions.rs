//! Replays every input the fuzzers found (tests/fuzz_regressions/TARGET/*) through the
//! same code path and oracle as the fuzz target (fuzz/fuzz_targets/TARGET.rs), so
//! `cargo test` keeps each finding fixed. docs/RELIABILITY.md lists the findings.
//!
//! Inputs are stored readable: the structured targets (`check`, `differential`, the token
//! and structured modes of `parse` and `fmt`) store the policy text the fuzzer's bytes
//! stood for (`cargo run --example render` in fuzz/ prints it), not the bytes.
//!
//! | folder          | file                      | replayed as |
//! |-----------------|---------------------------|-------------|
//! | `parse/`        | `*.policy`: any text      | parse (policy, expression, schema), check; compile and load an accepted program |
//! | `check/`        | `*.policy`                | check; an accepted program compiles, round-trips as a bundle, loads, and the VM agrees with the reference on the fixture request |
//! | `differential/` | `*.case`: policy text, a `---- requests` line, then one JSON request per line | VM against reference on every request at every hook |
//! | `bundle/`       | `*.bundle`: bundle bytes  | load; decide and explain every hook on the fixture request and an empty one, and decide in place |
//! | `fmt/`          | `*.policy`                | format: no error for a parseable file, same tree, same comments, idempotent |
//! | `request/`      | `*.json`                  | parse against the policy library's engine; decide and explain every hook; VM agrees with the reference |
//!
//! Each case runs under `catch_unwind`, and every failing case is reported, not just the
//! first.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests and benchmarks fail loudly by design"
)]

use dictum::check::check_sources;
use dictum::check::program::{Outcome, Program};
use dictum::engine::{Engine, Reason, Snapshot};
use dictum::error::Code;
use dictum::reference;
use dictum::schema::Schema;
use dictum::source::{FileId, Sources};
use dictum::syntax::Limits;
use dictum::types::Hook;
use dictum::value::Value;
use std::path::{Path, PathBuf};

const FIXTURE_REQUEST: &str = include_str!("fixtures/request.json");

fn schema() -> Schema {
    Schema::standard().unwrap()
}

/// The inputs of one target, sorted; README files are skipped.
fn inputs(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_regressions")
        .join(target);
    let mut v: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.is_file()
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("README"))
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

/// Run `f` on every input of `target`, collecting panics; fail listing all of them.
fn replay(target: &str, f: impl Fn(&[u8]) + std::panic::RefUnwindSafe) {
    let mut failures = Vec::new();
    let files = inputs(target);
    for path in &files {
        let data = std::fs::read(path).unwrap();
        if let Err(e) = std::panic::catch_unwind(|| f(&data)) {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!(
                "{}: {}",
                path.display(),
                msg.lines().take(6).collect::<Vec<_>>().join("\n    ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} `{target}` regression inputs fail:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// Check one file as a project: no internal error, a program exactly when no error.
fn check_text(text: &str) -> (Sources, dictum::check::Checked) {
    let mut sources = Sources::new();
    sources.add("fuzz.policy", text);
    let checked = check_sources(&sources, schema(), &Limits::default());
    if let Some(d) = checked
        .diagnostics
        .iter()
        .find(|d| d.code == Code::Internal)
    {
        panic!("internal error from the checker: {}", d.message);
    }
    assert_eq!(
        checked.program.is_some(),
        !checked.has_errors(),
        "a program exists exactly when there is no error"
    );
    (sources, checked)
}

fn compile_and_load(program: &Program, sources: &Sources) -> Engine {
    let bundle = dictum::compile::compile(program, sources)
        .unwrap_or_else(|e| panic!("the checker accepted a program the compiler rejects: {e}"));
    let bytes = bundle.encode().unwrap();
    let decoded = dictum::bundle::Bundle::decode(&bytes)
        .unwrap_or_else(|e| panic!("a compiled bundle does not decode/verify: {e}"));
    assert!(decoded == bundle, "bundle round trip is not exact");
    Engine::new(decoded).unwrap_or_else(|e| panic!("a compiled bundle does not load: {e}"))
}

/// tests/differential.rs `check_agreement`, for one request.
fn agree(program: &Program, snap: &Snapshot, values: &[Option<Value>]) {
    let buf = snap.request_from_values(values.to_vec());
    let req = buf.view();
    for hook in Hook::ALL {
        let vm = snap.decide(hook, &req);
        let rf = reference::decide(program, hook, values);
        if let Some(reference::EvalError::Internal(m)) = &rf.error {
            panic!("reference runtime error on a well-typed policy at {hook}: {m}");
        }
        assert!(vm.reason != Reason::Internal, "VM internal error at {hook}");
        assert_eq!(vm.outcome, rf.outcome, "outcome at {hook}");
        let vm_rule = vm.rule.and_then(|r| {
            let p = snap.bundle().policies.get(r.policy as usize)?;
            let body = snap.bundle().bodies.get(p.body as usize)?;
            Some((
                r.policy as usize,
                usize::from(body.rules.get(r.rule as usize)?.index),
            ))
        });
        if hook != Hook::Log {
            assert_eq!(vm_rule, rf.rule, "deciding rule at {hook}");
        }
        assert_eq!(vm.cipher, rf.cipher, "cipher at {hook}");
        assert_eq!(vm.record, rf.record, "record at {hook}");
        assert_eq!(vm.redact, rf.redact, "redact at {hook}");
        if rf.error.is_some() {
            assert!(
                matches!(vm.reason, Reason::Missing(_)),
                "a missing attribute must deny with reason missing, got {:?}",
                vm.reason
            );
            assert_eq!(vm.outcome, Outcome::Deny);
        }
        for e in snap.explain(hook, &req) {
            assert!(
                snap.rule(e.rule).is_some(),
                "explain names a rule that does not exist"
            );
        }
    }
}

#[test]
fn parse_regressions() {
    replay("parse", |data| {
        let text = text(data);
        let limits = Limits::default();
        if let Err(d) = dictum::syntax::parse_policy(FileId(0), &text, &limits) {
            assert!(
                d.code != Code::Internal,
                "internal error from the parser: {}",
                d.message
            );
        }
        if let Err(d) = dictum::syntax::parse_expr(FileId(0), &text, &limits) {
            assert!(
                d.code != Code::Internal,
                "internal error from the expression parser: {}",
                d.message
            );
        }
        let mut base = schema();
        let diags = dictum::schema::load(FileId(0), &text, &mut base, &limits);
        assert!(
            diags.iter().all(|d| d.code != Code::Internal),
            "internal error from the schema loader"
        );
        let (sources, checked) = check_text(&text);
        if let Some(program) = checked.program {
            compile_and_load(&program, &sources);
        }
    });
}

#[test]
fn check_regressions() {
    replay("check", |data| {
        let text = text(data);
        let (sources, checked) = check_text(&text);
        if let Some(program) = checked.program {
            let engine = compile_and_load(&program, &sources);
            let snap = engine.snapshot();
            let buf = snap.request_from_json(FIXTURE_REQUEST).unwrap();
            agree(&program, &snap, &buf.values());
        }
    });
}

#[test]
fn differential_regressions() {
    replay("differential", |data| {
        let text = text(data);
        let (policy, requests) = text
            .split_once("---- requests\n")
            .expect("a `---- requests` line");
        let (sources, checked) = check_text(policy);
        if checked
            .diagnostics
            .iter()
            .any(|d| d.code == Code::ConflictingDefaults)
        {
            return;
        }
        let program = checked.program.unwrap_or_else(|| {
            panic!(
                "the case's program does not check: {:?}",
                checked.diagnostics
            )
        });
        let engine = compile_and_load(&program, &sources);
        let snap = engine.snapshot();
        for json in requests.lines().filter(|l| !l.trim().is_empty()) {
            let buf = snap
                .request_from_json(json)
                .unwrap_or_else(|e| panic!("request rejected: {e}"));
            agree(&program, &snap, &buf.values());
        }
    });
}

#[test]
fn bundle_regressions() {
    replay("bundle", |data| {
        let Ok(engine) = Engine::from_bytes(data) else {
            return;
        };
        let snap = engine.snapshot();
        if let Ok(buf) = snap.request_from_json(FIXTURE_REQUEST) {
            let r = buf.view();
            for h in Hook::ALL {
                let d = snap.decide(h, &r);
                if let Some(rule) = d.rule {
                    let _ = snap.rule(rule);
                }
                let _ = snap.explain(h, &r);
            }
        }
        let empty = snap.request();
        for h in Hook::ALL {
            let _ = snap.decide(h, &empty);
            let _ = snap.explain(h, &empty);
        }
        // In place, through whichever of a few attributes the bundle's schema has.
        let roles = vec!["reader".to_string()];
        let mut l = snap.layout::<Vec<String>>();
        let _ = l.str("client.country", |r| r[0].as_str());
        let _ = l.str("object.domain", |r| r[0].as_str());
        let _ = l.strings("user.roles", |r| r.as_slice());
        let l = l.build();
        for h in Hook::ALL {
            let _ = snap.decide_in_place(h, &l, &roles);
        }
        let _ = snap.bundle().hook_costs();
        let _ = dictum::disasm::disassemble(snap.bundle());
    });
}

#[test]
fn fmt_regressions() {
    replay("fmt", |data| {
        let text = text(data);
        let limits = Limits::default();
        let Ok(tree) = dictum::syntax::parse_policy(FileId(0), &text, &limits) else {
            return;
        };
        let out = dictum::fmt::format_policy(&text).unwrap_or_else(|d| {
            panic!(
                "formatting a file that parses failed: [{:?}] {}",
                d.code, d.message
            )
        });
        let again = dictum::syntax::parse_policy(
            FileId(0),
            &out,
            &Limits {
                max_file_bytes: usize::MAX,
                ..limits
            },
        )
        .unwrap_or_else(|d| panic!("formatted text does not parse: {}", d.message));
        assert!(
            dictum::fmt::tree::same_tree(&tree, &again),
            "formatting changed the tree:\n{out}"
        );
        let mut before = dictum::fmt::lexer::comments(&text).unwrap();
        let mut after = dictum::fmt::lexer::comments(&out).unwrap();
        before.sort();
        after.sort();
        assert_eq!(before, after, "formatting lost or changed a comment");
        let twice = dictum::fmt::format_policy(&out)
            .unwrap_or_else(|d| panic!("formatting formatted text failed: {}", d.message));
        assert!(
            twice == out,
            "formatting is not idempotent:\n--- once ---\n{out}\n--- twice ---\n{twice}"
        );
    });
}

/// The policy library, checked and compiled, as the `request` target loads it.
fn library() -> (Program, Engine) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut files = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "policy") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut sources = Sources::new();
    for f in &files {
        sources.add(
            f.strip_prefix(&root).unwrap().display().to_string(),
            std::fs::read_to_string(f).unwrap(),
        );
    }
    let checked = check_sources(&sources, schema(), &Limits::default());
    let program = checked.program.expect("the policy library checks");
    let engine = compile_and_load(&program, &sources);
    (program, engine)
}

#[test]
fn request_regressions() {
    if inputs("request").is_empty() {
        return;
    }
    let (program, engine) = library();
    let snap = engine.snapshot();
    replay("request", |data| {
        let Ok(buf) = snap.request_from_json(&text(data)) else {
            return;
        };
        agree(&program, &snap, &buf.values());
    });
}
