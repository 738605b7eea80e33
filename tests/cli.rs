//! End-to-end tests of the `dictum` binary: exit codes, human and JSON output.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests and benchmarks fail loudly by design"
)]

mod common;

use std::path::PathBuf;

use common::{dictum, stderr, stdout};

fn scratch(name: &str) -> PathBuf {
    common::scratch("cli", name)
}

fn write(dir: &std::path::Path, name: &str, text: &[u8]) -> String {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

const GOOD: &str = r#"
const us_only = {"US"};
platform {
  policy "us servers" on instantiate {
    forbid when not (server.country in us_only);
    permit;
  }
}
"#;

const THREE_ERRORS: &str = r#"
platform {
  policy "p" on access {
    permit when client.contry == "US";
    permit when user.roles has 1;
    forbid when target.kind == external;
  }
}
"#;

#[test]
fn check_clean_file_exits_zero() {
    let d = scratch("clean");
    let f = write(&d, "good.policy", GOOD.as_bytes());
    let o = dictum(&["check", &f]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("checked 1 file: ok, 0 errors, 0 warnings"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn check_reports_every_error_and_exits_one() {
    let d = scratch("errors");
    let f = write(&d, "bad.policy", THREE_ERRORS.as_bytes());
    let o = dictum(&["check", &f]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    for code in ["E0201", "E0302", "E0206"] {
        assert!(err.contains(code), "missing {code} in:\n{err}");
    }
    assert!(err.contains("did you mean `country`?"), "{err}");
    assert!(err.contains("3 errors"), "{err}");
}

#[test]
fn check_warnings_only_exits_zero() {
    let d = scratch("warnings");
    let f = write(&d, "w.policy", b"const unused = 1;\n");
    let o = dictum(&["check", &f]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("W0103"));
}

#[test]
fn check_json_format_is_one_object_per_line() {
    let d = scratch("json");
    let f = write(&d, "bad.policy", THREE_ERRORS.as_bytes());
    let o = dictum(&["check", "--format", "json", &f]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(first["file"], f.as_str());
    assert_eq!(first["line"], 4);
    assert_eq!(first["column"], 24);
    assert_eq!(first["code"], "E0201");
    assert_eq!(first["severity"], "error");
    assert_eq!(
        first["message"],
        "entity `client` has no attribute `contry`"
    );
    assert_eq!(first["help"], "did you mean `country`?");
    for l in &lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        for key in [
            "file",
            "line",
            "column",
            "end_line",
            "end_column",
            "code",
            "severity",
            "message",
            "help",
        ] {
            assert!(v.get(key).is_some(), "missing {key} in {l}");
        }
    }
}

#[test]
fn check_walks_directories_recursively() {
    let d = scratch("tree");
    write(&d, "a/one.policy", GOOD.as_bytes());
    write(
        &d,
        "a/b/two.policy",
        b"platform { policy \"two\" on access { permit; } }\n",
    );
    write(&d, "a/notes.txt", b"not a policy");
    let o = dictum(&["check", d.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("checked 2 files"), "{}", stderr(&o));
}

#[test]
fn constants_are_shared_across_files() {
    let d = scratch("shared");
    write(&d, "consts.policy", b"const eu = {\"DE\", \"FR\"};\n");
    write(
        &d,
        "use.policy",
        b"platform { policy \"eu\" on access { forbid when client.country in eu; } }\n",
    );
    let o = dictum(&["check", d.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn invalid_utf8_is_a_diagnostic() {
    let d = scratch("utf8");
    let f = write(&d, "bin.policy", b"const x = \"\xff\xfe\";\n");
    let o = dictum(&["check", &f]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("E0105"), "{}", stderr(&o));
    assert!(stderr(&o).contains("not valid UTF-8"), "{}", stderr(&o));
}

#[test]
fn usage_and_io_errors_exit_two() {
    let o = dictum(&["check"]);
    assert_eq!(o.status.code(), Some(2));
    let o = dictum(&["check", "/no/such/file.policy"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot read `/no/such/file.policy`: no such file or directory"),
        "{}",
        stderr(&o)
    );
    let o = dictum(&["check", "--format", "xml", "x.policy"]);
    assert_eq!(o.status.code(), Some(2));
    let d = scratch("empty");
    let o = dictum(&["check", d.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no `.policy` files"));
    let o = dictum(&["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn help_on_every_command() {
    for args in [
        vec!["--help"],
        vec!["check", "--help"],
        vec!["schema", "--help"],
    ] {
        let o = dictum(&args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        assert!(stdout(&o).contains("Usage:"), "{args:?}");
    }
}

#[test]
fn schema_prints_and_extends() {
    let o = dictum(&["schema"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.contains("entity client {"), "{out}");
    assert!(out.contains("  posture?: posture;"), "{out}");
    assert!(out.contains("entity target on egress {"), "{out}");

    let d = scratch("schema");
    let s = write(
        &d,
        "project.schema",
        b"enum loyalty { bronze, silver, gold }\nentity user {\n  loyalty?: loyalty;\n}\n",
    );
    let o = dictum(&["schema", "--schema", &s]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("  loyalty?: loyalty;"));
    assert!(stdout(&o).contains("enum loyalty { bronze, silver, gold }"));

    // The extension is usable by policies, and guarded like any optional attribute.
    let p = write(&d, "p.policy", b"platform { policy \"gold\" on access { permit when user has loyalty and user.loyalty == gold; } }\n");
    let o = dictum(&["check", "--schema", &s, &p]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = dictum(&["check", &p]);
    assert_eq!(o.status.code(), Some(1));

    let bad = write(&d, "bad.schema", b"entity client {\n  ip: string;\n}\n");
    let o = dictum(&["schema", "--schema", &bad]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("E0502"), "{}", stderr(&o));
}

#[test]
fn schema_json_is_valid() {
    let o = dictum(&["schema", "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["attrs"].as_array().unwrap().len() > 30);
}

#[test]
fn policy_library_checks_clean() {
    let dir = common::repo().join("policies");
    let o = dictum(&["check", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(": ok, 0 errors, 0 warnings"),
        "{}",
        stderr(&o)
    );
}
