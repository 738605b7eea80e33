//! `dictum test` end to end: results, formats, coverage, exit codes, and a broken policy in
//! a copy of the library caught with a message a person understands.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests and benchmarks fail loudly by design"
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::dictum;

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn scratch(name: &str) -> PathBuf {
    common::scratch("policy-tests", name)
}

const POLICY: &str = r#"
const eu = {"DE", "FR"};
domain "bank.example" {
  policy "rights" on access {
    permit read when user.groups has "finance";
    forbid when client.country in eu and not (user.roles has "eu-ok");
  }
  policy "fips" on encrypt {
    use aes_256_gcm when object.tags has "fips";
    default chacha20_poly1305;
  }
  policy "logs" on log {
    record url, client_ip;
    redact client_ip when client.country in eu;
  }
}

fixture base {
  server.id = "s1";
  server.region = "r";
  server.country = "US";
  server.jurisdiction = "US";
  server.datacenter = "dc";
  server.tier = 1;
  server.manufacturer = "Oxide";
  server.generation = 5;
  server.certifications = {};
  client.ip = 10.0.0.1;
  client.country = "US";
  user.authenticated = true;
  user.credentials = {};
  user.roles = {};
  user.groups = {"finance"};
  object.id = "o";
  object.class = "c";
  object.domain = "bank.example";
  object.tags = {};
  object.clearance = secret;
  request.action = read;
  request.time = 2026-03-02T10:15:00Z;
  request.headers = {};
}

fixture eu_client from base {
  client.country = "DE";
}
"#;

const PASSING: &str = r#"
test "finance reads" on access {
  from base;
  expect allow by "rights#1";
}
test "eu clients blocked" on access {
  from eu_client;
  expect deny by "rights#2";
}
test "eu-ok role" on access {
  from eu_client;
  user.roles = {"eu-ok"};
  expect allow;
}
test "audit cannot read" on access {
  from base;
  user.groups = {"audit"};
  expect deny;
}
test "fips cipher" on encrypt {
  from base;
  object.tags = {"fips"};
  expect cipher aes_256_gcm;
}
test "default cipher" on encrypt {
  from base;
  expect cipher chacha20_poly1305;
}
test "eu logs" on log {
  from eu_client;
  expect record {url};
  expect redact {client_ip};
}
test "us logs" on log {
  from base;
  expect record {url, client_ip};
  expect redact {};
}
"#;

fn project(name: &str, tests: &str) -> PathBuf {
    let d = scratch(name);
    std::fs::write(d.join("bank.policy"), POLICY).unwrap();
    std::fs::write(d.join("bank_test.policy"), tests).unwrap();
    d
}

#[test]
fn passing_suite_with_full_coverage() {
    let d = project("pass", PASSING);
    let o = dictum(&[
        "test",
        "--coverage",
        "--fail-under",
        "100",
        d.to_str().unwrap(),
    ]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("test finance reads ... ok"), "{out}");
    assert!(out.contains("result: 8 passed, 0 failed"), "{out}");
    assert!(out.contains("coverage: 100.0%"), "{out}");
}

#[test]
fn failure_shows_expected_actual_and_the_rules() {
    let tests = format!(
        "{PASSING}\ntest \"wrong on purpose\" on access {{\n  from eu_client;\n  user.roles = {{\"eu-ok\"}};\n  expect deny;\n}}\n"
    );
    let d = project("fail", &tests);
    let o = dictum(&["test", d.to_str().unwrap()]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("test wrong on purpose ... FAILED"), "{out}");
    assert!(out.contains("expected: deny"), "{out}");
    assert!(
        out.contains("actual:   allow by domain \"bank.example\"/rights#1 ("),
        "{out}"
    );
    assert!(
        out.contains("not matched    domain \"bank.example\"/rights#2"),
        "{out}"
    );
    assert!(
        out.contains("read client.country = \"DE\", user.roles = {\"eu-ok\"}"),
        "{out}"
    );
    assert!(out.contains("result: 8 passed, 1 failed"), "{out}");
}

#[test]
fn coverage_names_what_is_missing_and_fail_under_fails() {
    let only_one = "test \"finance reads\" on access {\n  from base;\n  expect allow;\n}\n";
    let d = project("coverage", only_one);
    let o = dictum(&[
        "test",
        "--coverage",
        "--fail-under",
        "90",
        d.to_str().unwrap(),
    ]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("uncovered:"), "{out}");
    assert!(
        out.contains("domain \"bank.example\"/rights#1") && out.contains("never false"),
        "{out}"
    );
    assert!(
        out.contains("domain \"bank.example\"/fips#1") && out.contains("never evaluated"),
        "{out}"
    );
    assert!(out.contains("condition `client.country in eu`"), "{out}");
    assert!(out.contains("is below --fail-under 90%"), "{out}");
    let o = dictum(&["test", "--coverage-format", "json", d.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&o.stdout).to_string();
    let last = stdout.lines().last().unwrap();
    let v: serde_json::Value = serde_json::from_str(last).unwrap();
    assert!(v["percent"].as_f64().unwrap() < 50.0);
    let rights2 = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "domain \"bank.example\"/rights#2")
        .unwrap();
    assert_eq!(rights2["matched"], false);
    assert_eq!(rights2["not_matched"], true);
}

#[test]
fn junit_and_json_formats() {
    let tests = format!(
        "{PASSING}\ntest \"bad <&> name\" on access {{\n  from base;\n  expect deny;\n}}\n"
    );
    let d = project("formats", &tests);
    let o = dictum(&["test", "--format", "junit", d.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let xml = String::from_utf8_lossy(&o.stdout);
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
        "{xml}"
    );
    assert!(
        xml.contains("<testsuites name=\"dictum\" tests=\"9\" failures=\"1\">"),
        "{xml}"
    );
    assert!(
        xml.contains("<testsuite name=\"access\" tests=\"5\" failures=\"1\">"),
        "{xml}"
    );
    assert!(xml.contains("name=\"bad &lt;&amp;&gt; name\""), "{xml}");
    assert!(
        xml.contains("<failure message=\"expected deny, got allow by domain"),
        "{xml}"
    );
    assert_eq!(xml.matches("<testcase").count(), 9);
    let o = dictum(&["test", "--format", "json", d.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["passed"], 8);
    assert_eq!(v["failed"], 1);
    let bad = v["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "bad <&> name")
        .unwrap();
    assert_eq!(bad["status"], "failed");
    assert_eq!(bad["failures"][0]["expected"], "deny");
}

#[test]
fn filter_empty_and_errors() {
    let d = project("filter", PASSING);
    let o = dictum(&["test", "--filter", "^eu", d.to_str().unwrap()]);
    assert!(
        text(&o).contains("result: 3 passed, 0 failed"),
        "{}",
        text(&o)
    );
    let o = dictum(&["test", "--filter", "nothing-matches", d.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let o = dictum(&[
        "test",
        "--filter",
        "nothing-matches",
        "--allow-empty",
        d.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let o = dictum(&["test", "--filter", "(", d.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    // No tests at all.
    let e = scratch("empty");
    std::fs::write(e.join("p.policy"), POLICY).unwrap();
    let o = dictum(&["test", e.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("no tests found"), "{}", text(&o));
    // A test naming a rule that does not exist is a check error: exit 2 with the diagnostic.
    let bad = project(
        "badref",
        "test \"t\" on access {\n  from base;\n  expect allow by \"rihgts#1\";\n}\n",
    );
    let o = dictum(&["test", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("E0409") && text(&o).contains("did you mean `rights#1`?"),
        "{}",
        text(&o)
    );
}

#[test]
fn json_case_tables() {
    let d = project("cases", PASSING);
    std::fs::write(
        d.join("more.cases.json"),
        r#"{"hook": "access", "from": "base", "cases": [
            {"name": "json: audit denied", "request": {"user": {"groups": ["audit"]}}, "expect": "deny"},
            {"name": "json: finance reads", "expect": "allow", "by": "rights#1"}
        ]}"#,
    )
    .unwrap();
    let o = dictum(&["test", d.to_str().unwrap()]);
    assert!(
        text(&o).contains("result: 10 passed, 0 failed"),
        "{}",
        text(&o)
    );
    std::fs::write(
        d.join("more.cases.json"),
        r#"{"hook": "access", "from": "nope", "cases": []}"#,
    )
    .unwrap();
    let o = dictum(&["test", d.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("unknown fixture `nope`"), "{}", text(&o));
    std::fs::write(d.join("more.cases.json"), r#"{"hook": "access", "cases": [{"name": "x", "request": {"client": {"ip": "bad"}}, "expect": "deny"}]}"#).unwrap();
    let o = dictum(&["test", d.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("more.cases.json#1`: client.ip: expected an IP address"),
        "{}",
        text(&o)
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn the_library_passes_and_a_broken_change_is_caught() {
    let lib = common::repo().join("policies");
    let o = dictum(&["test", "--fail-under", "100", lib.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // Break one rule in a copy: the bank's readers lose the `audit` group.
    let d = scratch("broken-library");
    copy_dir(&lib, &d);
    let access = d.join("domains/bank.example/access.policy");
    let before = std::fs::read_to_string(&access).unwrap();
    let after = before.replacen("{\"finance\", \"audit\"}", "{\"finance\"}", 1);
    assert_ne!(before, after, "the rule to break was not found");
    std::fs::write(&access, after).unwrap();
    let o = dictum(&["test", d.to_str().unwrap()]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("FAILED"), "{out}");
    assert!(out.contains("expected: allow"), "{out}");
    assert!(out.contains("actual:   deny"), "{out}");
    assert!(out.contains("read user.groups = {\"audit\"}"), "{out}");
}
