//! The decisions of the policy library (`policies/`), case by case, at every hook and for
//! every tenant, through the embedding API and through `dictum eval` (from sources and from
//! a compiled bundle).
//!
//! Every expectation below was derived by reading `policies/` and the combination rules of
//! docs/LANGUAGE.md ("How decisions combine (exactly)"), never by copying the engine's
//! output: when the engine disagrees, the engine is wrong.
//!
//! A case is a tenant's base request (`tests/decisions/<domain>.json`: every required
//! attribute filled with realistic values, `target` left out) with a JSON merge patch
//! (RFC 7396: objects merge member by member, `null` removes a member, anything else
//! replaces) applied on top. Before the patch, `request.action` is set to the hook's
//! usual action (`start`, `read`, `send`; encrypt and log keep `read`).
//!
//! The base requests are placed on Wednesday 2026-03-11 at 10:15 UTC: inside the bank's
//! trading hours, the agency's review hours, the games season (after its beta week) and
//! outside the studio's maintenance hour.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests and benchmarks fail loudly by design"
)]

mod common;

use dictum::engine::{Engine, Reason, Snapshot};
use dictum::types::Hook;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

// ---------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Tenant {
    Bank,
    Agency,
    Docs,
    Games,
}

use Tenant::{Agency, Bank, Docs, Games};

impl Tenant {
    const ALL: [Tenant; 4] = [Bank, Agency, Docs, Games];

    fn domain(self) -> &'static str {
        match self {
            Bank => "bank.example",
            Agency => "agency.gov.example",
            Docs => "docs.example",
            Games => "games.example",
        }
    }

    fn base(self) -> Value {
        let path = common::repo()
            .join("tests/decisions")
            .join(format!("{}.json", self.domain()));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let v: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(v["object"]["domain"], self.domain(), "{}", path.display());
        v
    }
}

/// RFC 7396 JSON merge patch.
fn merge(base: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *base = patch.clone();
        return;
    };
    if !base.is_object() {
        *base = json!({});
    }
    if let Value::Object(b) = base {
        for (k, v) in p {
            if v.is_null() {
                b.remove(k);
            } else {
                merge(b.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

fn merged(mut base: Value, patch: Value) -> Value {
    merge(&mut base, &patch);
    base
}

/// An external host as an egress target.
fn ext(domain: &str) -> Value {
    json!({"kind": "external", "domain": domain, "clearance": "unclassified"})
}

/// Another object worker as an egress target.
fn obj(domain: &str, clearance: &str) -> Value {
    json!({"kind": "object", "domain": domain, "clearance": clearance})
}

/// A value of the `label` product lattice.
fn label(level: &str, compartments: &[&str]) -> Value {
    json!({"level": level, "compartments": compartments})
}

fn hook_name(h: Hook) -> &'static str {
    match h {
        Hook::Instantiate => "instantiate",
        Hook::Access => "access",
        Hook::Egress => "egress",
        Hook::Encrypt => "encrypt",
        Hook::Log => "log",
    }
}

// ---------------------------------------------------------------------------------------
// Expectations
// ---------------------------------------------------------------------------------------

/// Why a decision came out as it did (`Decision::reason`, or the `reason` of `dictum eval`).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Why {
    Rule,
    Default,
    NoDefault,
    NoCipher,
    /// The request lacks this required attribute.
    Missing(String),
    Other(String),
}

#[derive(Clone, Debug)]
enum RuleExp {
    /// Do not check the deciding rule.
    Any,
    /// No rule decided.
    None,
    /// This rule decided (`SCOPE/POLICY#N`).
    Id(&'static str),
}

#[derive(Clone, Debug)]
struct Expect {
    /// `Some(true)` allow, `Some(false)` deny, `None`: not checked (log).
    allow: Option<bool>,
    why: Option<Why>,
    /// For a missing attribute, an entity prefix (`target.`) when any attribute of it may be named.
    missing_prefix: Option<&'static str>,
    rule: RuleExp,
    /// Encrypt: the chosen cipher (`Some(None)`: none).
    cipher: Option<Option<&'static str>>,
    /// Log: recorded and redacted fields.
    log: Option<(Vec<&'static str>, Vec<&'static str>)>,
}

impl Expect {
    fn base(allow: Option<bool>, why: Option<Why>, rule: RuleExp) -> Expect {
        Expect {
            allow,
            why,
            missing_prefix: None,
            rule,
            cipher: None,
            log: None,
        }
    }

    fn describe(&self) -> String {
        let mut s = match self.allow {
            Some(true) => "allow".to_string(),
            Some(false) => "deny".to_string(),
            None => String::new(),
        };
        if let Some(c) = &self.cipher {
            s = format!("{s} cipher={}", c.unwrap_or("none"));
        }
        if let Some((r, x)) = &self.log {
            s = format!("{s} record={r:?} redact={x:?}");
        }
        if let Some(w) = &self.why {
            s = format!("{s} ({w:?})");
        }
        if let Some(p) = self.missing_prefix {
            s = format!("{s} (missing {p}*)");
        }
        match &self.rule {
            RuleExp::Id(id) => format!("{s} by {id}"),
            RuleExp::None => format!("{s} by no rule"),
            RuleExp::Any => s,
        }
        .trim()
        .to_string()
    }
}

/// Allowed by a permit rule.
fn allow(id: &'static str) -> Expect {
    Expect::base(Some(true), Some(Why::Rule), RuleExp::Id(id))
}

/// Denied by a forbid rule.
fn deny(id: &'static str) -> Expect {
    Expect::base(Some(false), Some(Why::Rule), RuleExp::Id(id))
}

/// Allowed by a declared `default allow`.
fn allow_default(id: &'static str) -> Expect {
    Expect::base(Some(true), Some(Why::Default), RuleExp::Id(id))
}

/// Denied by a declared `default deny`.
fn deny_default(id: &'static str) -> Expect {
    Expect::base(Some(false), Some(Why::Default), RuleExp::Id(id))
}

/// Encrypt: a `use` rule chose the cipher.
fn cipher(c: &'static str, id: &'static str) -> Expect {
    Expect {
        cipher: Some(Some(c)),
        ..Expect::base(Some(true), Some(Why::Rule), RuleExp::Id(id))
    }
}

/// Encrypt: a `default CIPHER` chose the cipher.
fn cipher_default(c: &'static str, id: &'static str) -> Expect {
    Expect {
        cipher: Some(Some(c)),
        ..Expect::base(Some(true), Some(Why::Default), RuleExp::Id(id))
    }
}

/// Encrypt: every candidate and default is forbidden; fail closed.
fn no_cipher() -> Expect {
    Expect {
        cipher: Some(None),
        ..Expect::base(Some(false), Some(Why::NoCipher), RuleExp::None)
    }
}

/// Log: the recorded (in clear) and redacted fields.
fn log(record: &[&'static str], redact: &[&'static str]) -> Expect {
    Expect {
        log: Some((record.to_vec(), redact.to_vec())),
        ..Expect::base(None, None, RuleExp::Any)
    }
}

/// Deny because the request lacks a required attribute.
fn missing(path: &str) -> Expect {
    Expect::base(
        Some(false),
        Some(Why::Missing(path.to_string())),
        RuleExp::None,
    )
}

/// Deny because the request lacks some required attribute of an entity (`target.`).
fn missing_in(prefix: &'static str) -> Expect {
    Expect {
        missing_prefix: Some(prefix),
        ..Expect::base(Some(false), None, RuleExp::None)
    }
}

/// Where each (non-template) rule named by a case is written: file under `policies/`, line,
/// column of its first keyword. Rules of template instances (`residency`, `trading hours`,
/// `office networks`, ...) are not listed: their source position is not documented.
const SITES: &[(&str, &str, u32, u32)] = &[
    // platform
    ("platform/fedramp#1", "platform/certifications.policy", 6, 5),
    ("platform/itar#1", "platform/certifications.policy", 11, 5),
    ("platform/pci#1", "platform/certifications.policy", 16, 5),
    (
        "platform/placement default#1",
        "platform/defaults.policy",
        6,
        5,
    ),
    (
        "platform/access default#1",
        "platform/defaults.policy",
        11,
        5,
    ),
    (
        "platform/egress default#1",
        "platform/defaults.policy",
        16,
        5,
    ),
    (
        "platform/default cipher#1",
        "platform/encryption.policy",
        5,
        5,
    ),
    (
        "platform/internal ranges#1",
        "platform/network.policy",
        5,
        5,
    ),
    (
        "platform/compromised devices#1",
        "platform/network.policy",
        10,
        5,
    ),
    // bank.example
    (
        r#"domain "bank.example"/client countries#1"#,
        "domains/bank.example/access.policy",
        5,
        5,
    ),
    (
        r#"domain "bank.example"/credentials#1"#,
        "domains/bank.example/access.policy",
        13,
        5,
    ),
    (
        r#"domain "bank.example"/rights#1"#,
        "domains/bank.example/access.policy",
        18,
        5,
    ),
    (
        r#"domain "bank.example"/rights#2"#,
        "domains/bank.example/access.policy",
        19,
        5,
    ),
    (
        r#"domain "bank.example"/rights#3"#,
        "domains/bank.example/access.policy",
        20,
        5,
    ),
    (
        r#"domain "bank.example"/rights#4"#,
        "domains/bank.example/access.policy",
        21,
        5,
    ),
    (
        r#"domain "bank.example"/external auditor#1"#,
        "domains/bank.example/access.policy",
        26,
        5,
    ),
    (
        r#"domain "bank.example"/payment networks#1"#,
        "domains/bank.example/egress.policy",
        5,
        5,
    ),
    (
        r#"domain "bank.example"/payment networks#2"#,
        "domains/bank.example/egress.policy",
        6,
        5,
    ),
    (
        r#"domain "bank.example"/payment networks#3"#,
        "domains/bank.example/egress.policy",
        7,
        5,
    ),
    (
        r#"domain "bank.example"/no sandbox#1"#,
        "domains/bank.example/egress.policy",
        12,
        5,
    ),
    (
        r#"domain "bank.example"/who sends#1"#,
        "domains/bank.example/egress.policy",
        17,
        5,
    ),
    (
        r#"domain "bank.example"/who sends#2"#,
        "domains/bank.example/egress.policy",
        19,
        5,
    ),
    (
        r#"domain "bank.example"/blocked networks#1"#,
        "domains/bank.example/egress.policy",
        25,
        5,
    ),
    (
        r#"domain "bank.example"/internal messages#1"#,
        "domains/bank.example/egress.policy",
        30,
        5,
    ),
    (
        r#"domain "bank.example"/counterparties#1"#,
        "domains/bank.example/egress.policy",
        35,
        5,
    ),
    (
        r#"domain "bank.example"/counterparties#2"#,
        "domains/bank.example/egress.policy",
        36,
        5,
    ),
    (
        r#"domain "bank.example"/counterparties#3"#,
        "domains/bank.example/egress.policy",
        39,
        5,
    ),
    (
        r#"domain "bank.example"/ciphers#1"#,
        "domains/bank.example/encryption.policy",
        5,
        5,
    ),
    (
        r#"domain "bank.example"/ciphers#2"#,
        "domains/bank.example/encryption.policy",
        6,
        5,
    ),
    (
        r#"domain "bank.example" tag "financial"/fips cipher#1"#,
        "domains/bank.example/financial.policy",
        6,
        7,
    ),
    (
        r#"domain "bank.example" tag "financial"/financial residency#1"#,
        "domains/bank.example/financial.policy",
        11,
        7,
    ),
    (
        r#"domain "bank.example" class "ledger"/append only#1"#,
        "domains/bank.example/ledger.policy",
        6,
        7,
    ),
    (
        r#"domain "bank.example"/placement default#1"#,
        "domains/bank.example/placement.policy",
        9,
        5,
    ),
    (
        r#"domain "bank.example"/hardware#1"#,
        "domains/bank.example/placement.policy",
        14,
        5,
    ),
    (
        r#"domain "bank.example"/who starts#1"#,
        "domains/bank.example/placement.policy",
        19,
        5,
    ),
    (
        r#"domain "bank.example"/who starts#2"#,
        "domains/bank.example/placement.policy",
        20,
        5,
    ),
    (
        r#"domain "bank.example"/moves#1"#,
        "domains/bank.example/placement.policy",
        27,
        5,
    ),
    (
        r#"domain "bank.example"/managed devices#1"#,
        "domains/bank.example/placement.policy",
        32,
        5,
    ),
    (
        r#"domain "bank.example"/managed devices#4"#,
        "domains/bank.example/placement.policy",
        35,
        5,
    ),
    (
        r#"domain "bank.example"/managed devices#5"#,
        "domains/bank.example/placement.policy",
        36,
        5,
    ),
    (
        r#"domain "bank.example" user "alice@bank.example"/assistant#1"#,
        "users/alice@bank.example.policy",
        7,
        7,
    ),
    (
        r#"domain "bank.example" user "alice@bank.example"/board portal#1"#,
        "users/alice@bank.example.policy",
        12,
        7,
    ),
    // agency.gov.example
    (
        r#"domain "agency.gov.example"/client origin#1"#,
        "domains/agency.gov.example/access.policy",
        5,
        5,
    ),
    (
        r#"domain "agency.gov.example"/piv#1"#,
        "domains/agency.gov.example/access.policy",
        11,
        5,
    ),
    (
        r#"domain "agency.gov.example"/gfe only#1"#,
        "domains/agency.gov.example/access.policy",
        16,
        5,
    ),
    (
        r#"domain "agency.gov.example"/gfe only#2"#,
        "domains/agency.gov.example/access.policy",
        17,
        5,
    ),
    (
        r#"domain "agency.gov.example"/rights#1"#,
        "domains/agency.gov.example/access.policy",
        22,
        5,
    ),
    (
        r#"domain "agency.gov.example"/rights#2"#,
        "domains/agency.gov.example/access.policy",
        23,
        5,
    ),
    (
        r#"domain "agency.gov.example"/rights#3"#,
        "domains/agency.gov.example/access.policy",
        24,
        5,
    ),
    (
        r#"domain "agency.gov.example"/compartment access#1"#,
        "domains/agency.gov.example/access.policy",
        30,
        5,
    ),
    (
        r#"domain "agency.gov.example"/compartment access#2"#,
        "domains/agency.gov.example/access.policy",
        31,
        5,
    ),
    (
        r#"domain "agency.gov.example"/no write-down#1"#,
        "domains/agency.gov.example/egress.policy",
        5,
        5,
    ),
    (
        r#"domain "agency.gov.example"/no write-down#2"#,
        "domains/agency.gov.example/egress.policy",
        6,
        5,
    ),
    (
        r#"domain "agency.gov.example"/compartments#1"#,
        "domains/agency.gov.example/egress.policy",
        11,
        5,
    ),
    (
        r#"domain "agency.gov.example"/interagency#1"#,
        "domains/agency.gov.example/egress.policy",
        18,
        5,
    ),
    (
        r#"domain "agency.gov.example"/interagency#2"#,
        "domains/agency.gov.example/egress.policy",
        19,
        5,
    ),
    (
        r#"domain "agency.gov.example"/allied release#1"#,
        "domains/agency.gov.example/egress.policy",
        27,
        5,
    ),
    (
        r#"domain "agency.gov.example"/external hosts#1"#,
        "domains/agency.gov.example/egress.policy",
        36,
        5,
    ),
    (
        r#"domain "agency.gov.example"/external hosts#2"#,
        "domains/agency.gov.example/egress.policy",
        37,
        5,
    ),
    (
        r#"domain "agency.gov.example"/public affairs#1"#,
        "domains/agency.gov.example/egress.policy",
        42,
        5,
    ),
    (
        r#"domain "agency.gov.example" tag "itar"/no export#1"#,
        "domains/agency.gov.example/egress.policy",
        49,
        7,
    ),
    (
        r#"domain "agency.gov.example" tag "itar"/no export#2"#,
        "domains/agency.gov.example/egress.policy",
        50,
        7,
    ),
    (
        r#"domain "agency.gov.example"/ciphers#1"#,
        "domains/agency.gov.example/encryption.policy",
        5,
        5,
    ),
    (
        r#"domain "agency.gov.example"/us only#1"#,
        "domains/agency.gov.example/placement.policy",
        6,
        5,
    ),
    (
        r#"domain "agency.gov.example"/us only#2"#,
        "domains/agency.gov.example/placement.policy",
        7,
        5,
    ),
    (
        r#"domain "agency.gov.example"/fedramp everywhere#1"#,
        "domains/agency.gov.example/placement.policy",
        12,
        5,
    ),
    (
        r#"domain "agency.gov.example"/classified placement#1"#,
        "domains/agency.gov.example/placement.policy",
        17,
        5,
    ),
    (
        r#"domain "agency.gov.example"/classified placement#2"#,
        "domains/agency.gov.example/placement.policy",
        18,
        5,
    ),
    (
        r#"domain "agency.gov.example"/crypto facilities#1"#,
        "domains/agency.gov.example/placement.policy",
        25,
        5,
    ),
    // docs.example
    (
        r#"domain "docs.example"/sharing#1"#,
        "domains/docs.example/access.policy",
        5,
        5,
    ),
    (
        r#"domain "docs.example"/sharing#2"#,
        "domains/docs.example/access.policy",
        6,
        5,
    ),
    (
        r#"domain "docs.example"/sharing#3"#,
        "domains/docs.example/access.policy",
        7,
        5,
    ),
    (
        r#"domain "docs.example"/owner#1"#,
        "domains/docs.example/access.policy",
        12,
        5,
    ),
    (
        r#"domain "docs.example"/published#1"#,
        "domains/docs.example/access.policy",
        17,
        5,
    ),
    (
        r#"domain "docs.example"/pii in the eu#1"#,
        "domains/docs.example/access.policy",
        22,
        5,
    ),
    (
        r#"domain "docs.example"/sync#1"#,
        "domains/docs.example/egress.policy",
        5,
        5,
    ),
    (
        r#"domain "docs.example"/integrations#1"#,
        "domains/docs.example/egress.policy",
        10,
        5,
    ),
    (
        r#"domain "docs.example"/integrations#2"#,
        "domains/docs.example/egress.policy",
        11,
        5,
    ),
    (
        r#"domain "docs.example"/managed sharing#1"#,
        "domains/docs.example/egress.policy",
        16,
        5,
    ),
    (
        r#"domain "docs.example"/pii stays in the eu#1"#,
        "domains/docs.example/egress.policy",
        22,
        5,
    ),
    (
        r#"domain "docs.example"/eu jurisdiction#1"#,
        "domains/docs.example/residency.policy",
        9,
        5,
    ),
    (
        r#"domain "docs.example" user "bob@docs.example"/team#1"#,
        "users/bob@docs.example.policy",
        6,
        7,
    ),
    (
        r#"domain "docs.example" user "bob@docs.example"/blog#1"#,
        "users/bob@docs.example.policy",
        11,
        7,
    ),
    // games.example
    (
        r#"domain "games.example"/maintenance window#1"#,
        "domains/games.example/studio.policy",
        11,
        5,
    ),
    (
        r#"domain "games.example"/players#1"#,
        "domains/games.example/studio.policy",
        16,
        5,
    ),
    (
        r#"domain "games.example"/banned networks#1"#,
        "domains/games.example/studio.policy",
        21,
        5,
    ),
    (
        r#"domain "games.example"/season#1"#,
        "domains/games.example/studio.policy",
        26,
        5,
    ),
    (
        r#"domain "games.example"/season#2"#,
        "domains/games.example/studio.policy",
        28,
        5,
    ),
    (
        r#"domain "games.example" class "session"/session placement#1"#,
        "domains/games.example/session.policy",
        6,
        7,
    ),
    (
        r#"domain "games.example" class "session"/session rights#1"#,
        "domains/games.example/session.policy",
        11,
        7,
    ),
    (
        r#"domain "games.example" class "session"/session rights#2"#,
        "domains/games.example/session.policy",
        12,
        7,
    ),
    (
        r#"domain "games.example" class "session"/session host#1"#,
        "domains/games.example/session.policy",
        17,
        7,
    ),
    (
        r#"domain "games.example" class "session"/session mesh#1"#,
        "domains/games.example/session.policy",
        22,
        7,
    ),
    (
        r#"domain "games.example" class "session"/session cipher#1"#,
        "domains/games.example/session.policy",
        27,
        7,
    ),
    (
        r#"domain "games.example" user "carol@games.example"/nearby servers#1"#,
        "users/carol@games.example.policy",
        6,
        7,
    ),
    (
        r#"domain "games.example" user "carol@games.example"/squad#1"#,
        "users/carol@games.example.policy",
        11,
        7,
    ),
    (
        r#"domain "games.example" user "carol@games.example"/streaming#1"#,
        "users/carol@games.example.policy",
        16,
        7,
    ),
];

/// Rules of template instances: their ids are checked, their source position is not.
const TEMPLATE_RULES: &[&str] = &[
    r#"domain "bank.example"/residency#1"#,
    r#"domain "bank.example"/trading hours#1"#,
    r#"domain "bank.example"/office networks#1"#,
    r#"domain "agency.gov.example"/government networks#1"#,
    r#"domain "agency.gov.example" tag "declassification"/review hours#1"#,
    r#"domain "docs.example"/residency#1"#,
    r#"domain "games.example"/launch regions#1"#,
    r#"domain "games.example"/partner services#1"#,
];

/// The policy name and layer a rule id implies: `SCOPE/POLICY#N`, layer from the scope.
fn policy_and_layer(id: &str) -> (&str, &'static str) {
    let (scope, rest) = id.split_once('/').unwrap_or(("", id));
    let policy = rest.rsplit_once('#').map_or(rest, |(p, _)| p);
    let layer = if scope == "platform" {
        "platform"
    } else if scope.contains(" user \"") {
        "user"
    } else {
        "domain"
    };
    (policy, layer)
}

// ---------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------

struct Case {
    name: &'static str,
    tenant: Tenant,
    hook: Hook,
    patch: Value,
    expect: Expect,
}

impl Case {
    fn request(&self) -> Value {
        let mut r = self.tenant.base();
        let action = match self.hook {
            Hook::Instantiate => "start",
            Hook::Access => "read",
            Hook::Egress => "send",
            Hook::Encrypt | Hook::Log => "read",
        };
        merge(&mut r, &json!({"request": {"action": action}}));
        merge(&mut r, &self.patch);
        r
    }
}

fn case(name: &'static str, tenant: Tenant, hook: Hook, patch: Value, expect: Expect) -> Case {
    Case {
        name,
        tenant,
        hook,
        patch,
        expect,
    }
}

const I: Hook = Hook::Instantiate;
const A: Hook = Hook::Access;
const E: Hook = Hook::Egress;
const C: Hook = Hook::Encrypt;
const L: Hook = Hook::Log;

const PLACEMENT_DEFAULT: &str = "platform/placement default#1";
const ACCESS_DEFAULT: &str = "platform/access default#1";
const EGRESS_DEFAULT: &str = "platform/egress default#1";
const DEFAULT_CIPHER: &str = "platform/default cipher#1";

/// Every log field except `headers` (agency: everything is recorded, headers may be redacted).
const ALL_BUT_HEADERS: &[&str] = &[
    "timestamp",
    "url",
    "timing",
    "client_ip",
    "user_agent",
    "identity",
    "notes",
];

fn cases() -> Vec<Case> {
    vec![
        // ============================== bank.example ==============================
        // ---- instantiate: platform certifications; domain residency(bank_countries),
        //      `default deny`, hardware, who starts, moves, managed devices, trading hours.
        case(
            "bank/instantiate: an operator starts a worker",
            Bank,
            I,
            json!({}),
            allow(r#"domain "bank.example"/who starts#1"#),
        ),
        case(
            "bank/instantiate: finance staff start a financial worker",
            Bank,
            I,
            json!({"user": {"roles": []}}),
            allow(r#"domain "bank.example"/who starts#2"#),
        ),
        case(
            "bank/instantiate: nothing permits, the bank's default deny beats the platform's allow",
            Bank,
            I,
            json!({"user": {"roles": [], "groups": []}}),
            deny_default(r#"domain "bank.example"/placement default#1"#),
        ),
        case(
            "bank/instantiate: migrate needs no operator and ignores trading hours",
            Bank,
            I,
            json!({"user": {"authenticated": false, "roles": [], "groups": []},
                   "request": {"action": "migrate", "time": "2026-03-14T23:00:00Z"}}),
            allow(r#"domain "bank.example"/moves#1"#),
        ),
        case(
            "bank/instantiate: follow from an unmanaged client (managed devices is start-only)",
            Bank,
            I,
            json!({"client": {"posture": "unmanaged"}, "request": {"action": "follow"}}),
            allow(r#"domain "bank.example"/moves#1"#),
        ),
        case(
            "bank/instantiate: no start on a Saturday",
            Bank,
            I,
            json!({"request": {"time": "2026-03-14T10:00:00Z"}}),
            deny(r#"domain "bank.example"/trading hours#1"#),
        ),
        case(
            "bank/instantiate: trading hours close at 19:00",
            Bank,
            I,
            json!({"request": {"time": "2026-03-11T19:00:00Z"}}),
            deny(r#"domain "bank.example"/trading hours#1"#),
        ),
        case(
            "bank/instantiate: one second before close",
            Bank,
            I,
            json!({"request": {"time": "2026-03-11T18:59:59Z"}}),
            allow(r#"domain "bank.example"/who starts#1"#),
        ),
        case(
            "bank/instantiate: residency template with the bank's countries refuses DE",
            Bank,
            I,
            json!({"server": {"country": "DE", "jurisdiction": "EU"}}),
            deny(r#"domain "bank.example"/residency#1"#),
        ),
        case(
            "bank/instantiate: residency template with the bank's countries accepts GB",
            Bank,
            I,
            json!({"server": {"country": "GB", "jurisdiction": "GB"}}),
            allow(r#"domain "bank.example"/who starts#1"#),
        ),
        case(
            "bank/instantiate: old hardware",
            Bank,
            I,
            json!({"server": {"tier": 3, "generation": 3}}),
            deny(r#"domain "bank.example"/hardware#1"#),
        ),
        case(
            "bank/instantiate: old hardware from the audited vendor",
            Bank,
            I,
            json!({"server": {"tier": 3, "generation": 3, "manufacturer": "Oxide"}}),
            allow(r#"domain "bank.example"/who starts#1"#),
        ),
        case(
            "bank/instantiate: no posture reported",
            Bank,
            I,
            json!({"client": {"posture": null}}),
            deny(r#"domain "bank.example"/managed devices#1"#),
        ),
        case(
            "bank/instantiate: user agent regex is anchored",
            Bank,
            I,
            json!({"client": {"user_agent": "Mozilla/5.0 BankDesk/4.2"}}),
            deny(r#"domain "bank.example"/managed devices#4"#),
        ),
        case(
            "bank/instantiate: start from outside the office networks",
            Bank,
            I,
            json!({"client": {"ip": "203.0.113.5"}}),
            deny(r#"domain "bank.example"/managed devices#5"#),
        ),
        case(
            "bank/instantiate: platform PCI forbid beats the bank's permit",
            Bank,
            I,
            json!({"object": {"tags": ["financial", "pci"]}, "server": {"certifications": ["iso27001", "pci-dss"]}}),
            deny("platform/pci#1"),
        ),
        case(
            "bank/instantiate: PCI data in a PCI DSS and SOC 2 data center",
            Bank,
            I,
            json!({"object": {"tags": ["financial", "pci"]}, "server": {"certifications": ["pci-dss", "soc2"]}}),
            allow(r#"domain "bank.example"/who starts#1"#),
        ),
        case(
            "bank/instantiate: missing server.tier",
            Bank,
            I,
            json!({"server": {"tier": null}}),
            missing("server.tier"),
        ),
        // ---- access: platform compromised devices, `default deny`; domain client countries,
        //      office networks, credentials, rights, external auditor; class ledger; user alice.
        case(
            "bank/access: finance reads",
            Bank,
            A,
            json!({}),
            allow(r#"domain "bank.example"/rights#1"#),
        ),
        case(
            "bank/access: finance writes financial data",
            Bank,
            A,
            json!({"request": {"action": "write"}}),
            allow(r#"domain "bank.example"/rights#2"#),
        ),
        case(
            "bank/access: audit reads",
            Bank,
            A,
            json!({"user": {"groups": ["audit"]}}),
            allow(r#"domain "bank.example"/rights#1"#),
        ),
        case(
            "bank/access: audit may not write (per-action rights)",
            Bank,
            A,
            json!({"user": {"groups": ["audit"]}, "request": {"action": "write"}}),
            deny_default(ACCESS_DEFAULT),
        ),
        case(
            "bank/access: finance may not write non-financial data",
            Bank,
            A,
            json!({"object": {"tags": []}, "request": {"action": "write"}}),
            deny_default(ACCESS_DEFAULT),
        ),
        case(
            "bank/access: records manager deletes",
            Bank,
            A,
            json!({"user": {"roles": ["records-manager"], "groups": []}, "request": {"action": "delete"}}),
            allow(r#"domain "bank.example"/rights#3"#),
        ),
        case(
            "bank/access: batch runner executes",
            Bank,
            A,
            json!({"user": {"roles": ["batch-runner"], "groups": []}, "request": {"action": "execute"}}),
            allow(r#"domain "bank.example"/rights#4"#),
        ),
        case(
            "bank/access: finance may not execute",
            Bank,
            A,
            json!({"request": {"action": "execute"}}),
            deny_default(ACCESS_DEFAULT),
        ),
        case(
            "bank/access: client outside the office networks (CIDR)",
            Bank,
            A,
            json!({"client": {"ip": "203.0.113.9"}}),
            deny(r#"domain "bank.example"/office networks#1"#),
        ),
        case(
            "bank/access: IPv6 office network",
            Bank,
            A,
            json!({"client": {"ip": "2001:db8:ba4c:1::17"}}),
            allow(r#"domain "bank.example"/rights#1"#),
        ),
        case(
            "bank/access: IPv6 next to the office /48",
            Bank,
            A,
            json!({"client": {"ip": "2001:db8:ba4d::17"}}),
            deny(r#"domain "bank.example"/office networks#1"#),
        ),
        case(
            "bank/access: client in DE",
            Bank,
            A,
            json!({"client": {"country": "DE"}}),
            deny(r#"domain "bank.example"/client countries#1"#),
        ),
        case(
            "bank/access: platform forbid (compromised device) beats the bank's permit",
            Bank,
            A,
            json!({"client": {"posture": "compromised"}}),
            deny("platform/compromised devices#1"),
        ),
        case(
            "bank/access: no hardware key",
            Bank,
            A,
            json!({"user": {"credentials": ["password"]}}),
            deny(r#"domain "bank.example"/credentials#1"#),
        ),
        case(
            "bank/access: not authenticated",
            Bank,
            A,
            json!({"user": {"authenticated": false}}),
            deny(r#"domain "bank.example"/credentials#1"#),
        ),
        case(
            "bank/access: external auditor reads",
            Bank,
            A,
            json!({"user": {"id": "auditor@kpmg.example", "roles": [], "groups": []}}),
            allow(r#"domain "bank.example"/external auditor#1"#),
        ),
        case(
            "bank/access: external auditor may not write",
            Bank,
            A,
            json!({"user": {"id": "auditor@kpmg.example", "roles": [], "groups": []}, "request": {"action": "write"}}),
            deny_default(ACCESS_DEFAULT),
        ),
        case(
            "bank/access: ledgers are appended to",
            Bank,
            A,
            json!({"object": {"class": "ledger"}, "request": {"action": "write"}}),
            allow(r#"domain "bank.example"/rights#2"#),
        ),
        case(
            "bank/access: ledgers are not modified (class scope)",
            Bank,
            A,
            json!({"object": {"class": "ledger"}, "request": {"action": "modify"}}),
            deny(r#"domain "bank.example" class "ledger"/append only#1"#),
        ),
        case(
            "bank/access: ledgers are not deleted, even by a records manager",
            Bank,
            A,
            json!({"object": {"class": "ledger"}, "user": {"roles": ["records-manager"]}, "request": {"action": "delete"}}),
            deny(r#"domain "bank.example" class "ledger"/append only#1"#),
        ),
        case(
            "bank/access: modify on a non-ledger is fine",
            Bank,
            A,
            json!({"request": {"action": "modify"}}),
            allow(r#"domain "bank.example"/rights#2"#),
        ),
        case(
            "bank/access: alice's assistant reads her object (user scope)",
            Bank,
            A,
            json!({"object": {"owner": "alice@bank.example"}, "user": {"id": "dan@bank.example", "roles": [], "groups": []}}),
            allow(r#"domain "bank.example" user "alice@bank.example"/assistant#1"#),
        ),
        case(
            "bank/access: the assistant may not read someone else's object",
            Bank,
            A,
            json!({"object": {"owner": "frank@bank.example"}, "user": {"id": "dan@bank.example", "roles": [], "groups": []}}),
            deny_default(ACCESS_DEFAULT),
        ),
        case(
            "bank/access: the assistant may not write alice's object",
            Bank,
            A,
            json!({"object": {"owner": "alice@bank.example"}, "user": {"id": "dan@bank.example", "roles": [], "groups": []},
                   "request": {"action": "write"}}),
            deny_default(ACCESS_DEFAULT),
        ),
        case(
            "bank/access: target is not available at access: a partial one is ignored",
            Bank,
            A,
            json!({"target": {"kind": "external"}}),
            allow(r#"domain "bank.example"/rights#1"#),
        ),
        case(
            "bank/access: an instantiate action matches no access permit",
            Bank,
            A,
            json!({"request": {"action": "start"}}),
            deny_default(ACCESS_DEFAULT),
        ),
        case(
            "bank/access: the bank's forbid beats alice's permit",
            Bank,
            A,
            json!({"object": {"owner": "alice@bank.example"}, "user": {"id": "dan@bank.example", "roles": [], "groups": []},
                   "client": {"country": "FR"}}),
            deny(r#"domain "bank.example"/client countries#1"#),
        ),
        // ---- egress: platform internal ranges, `default deny`; domain payment networks,
        //      no sandbox, who sends, blocked networks, internal messages, counterparties;
        //      tag financial: financial residency; user alice: board portal.
        case(
            "bank/egress: payment host by exact name",
            Bank,
            E,
            json!({"target": ext("api.swift.example")}),
            allow(r#"domain "bank.example"/payment networks#1"#),
        ),
        case(
            "bank/egress: exact names do not cover subdomains",
            Bank,
            E,
            json!({"target": ext("eu.api.swift.example")}),
            deny_default(EGRESS_DEFAULT),
        ),
        case(
            "bank/egress: the bank's services by wildcard",
            Bank,
            E,
            json!({"target": ext("reports.bank.example")}),
            allow(r#"domain "bank.example"/payment networks#3"#),
        ),
        case(
            "bank/egress: the wildcard needs a subdomain",
            Bank,
            E,
            json!({"target": ext("bank.example")}),
            deny_default(EGRESS_DEFAULT),
        ),
        case(
            "bank/egress: sandbox hosts (under) beat the wildcard",
            Bank,
            E,
            json!({"target": ext("ci.sandbox.bank.example")}),
            deny(r#"domain "bank.example"/no sandbox#1"#),
        ),
        case(
            "bank/egress: the sandbox domain itself is under itself",
            Bank,
            E,
            json!({"target": ext("sandbox.bank.example")}),
            deny(r#"domain "bank.example"/no sandbox#1"#),
        ),
        case(
            "bank/egress: payment peering address (CIDR /15)",
            Bank,
            E,
            json!({"target": merged(ext("peer-7.example"), json!({"ip": "198.19.200.1"}))}),
            allow(r#"domain "bank.example"/payment networks#2"#),
        ),
        case(
            "bank/egress: address next to the peering range",
            Bank,
            E,
            json!({"target": merged(ext("peer-7.example"), json!({"ip": "198.20.0.1"}))}),
            deny_default(EGRESS_DEFAULT),
        ),
        case(
            "bank/egress: platform internal ranges beat the bank's permit",
            Bank,
            E,
            json!({"target": merged(ext("api.swift.example"), json!({"ip": "10.1.2.3"}))}),
            deny("platform/internal ranges#1"),
        ),
        case(
            "bank/egress: fraud-blocked IPv6 network",
            Bank,
            E,
            json!({"target": merged(ext("api.swift.example"), json!({"ip": "2001:db8:bad::1"}))}),
            deny(r#"domain "bank.example"/blocked networks#1"#),
        ),
        case(
            "bank/egress: only treasury sends out",
            Bank,
            E,
            json!({"user": {"roles": ["bank-operator"]}, "target": ext("api.swift.example")}),
            deny(r#"domain "bank.example"/who sends#1"#),
        ),
        case(
            "bank/egress: only from managed devices",
            Bank,
            E,
            json!({"client": {"posture": "unmanaged"}, "target": ext("api.swift.example")}),
            deny(r#"domain "bank.example"/who sends#2"#),
        ),
        case(
            "bank/egress: payment permits are send-only",
            Bank,
            E,
            json!({"request": {"action": "receive"}, "target": ext("api.swift.example")}),
            deny_default(EGRESS_DEFAULT),
        ),
        case(
            "bank/egress: bank workers message each other",
            Bank,
            E,
            json!({"target": obj("bank.example", "confidential")}),
            allow(r#"domain "bank.example"/internal messages#1"#),
        ),
        case(
            "bank/egress: financial data to an unclassified worker",
            Bank,
            E,
            json!({"target": obj("bank.example", "unclassified")}),
            deny(r#"domain "bank.example"/counterparties#3"#),
        ),
        case(
            "bank/egress: counterparty subdomain in GB (under)",
            Bank,
            E,
            json!({"target": merged(obj("eu.clearing.example", "secret"), json!({"location": "GB"}))}),
            allow(r#"domain "bank.example"/counterparties#1"#),
        ),
        case(
            "bank/egress: counterparty in DE",
            Bank,
            E,
            json!({"target": merged(obj("eu.clearing.example", "secret"), json!({"location": "DE"}))}),
            deny(r#"domain "bank.example"/counterparties#2"#),
        ),
        case(
            "bank/egress: financial data to a counterparty of unknown location (tag scope)",
            Bank,
            E,
            json!({"target": obj("custodian.example", "secret")}),
            deny(r#"domain "bank.example" tag "financial"/financial residency#1"#),
        ),
        case(
            "bank/egress: other data to a counterparty of unknown location",
            Bank,
            E,
            json!({"object": {"tags": []}, "target": obj("custodian.example", "secret")}),
            allow(r#"domain "bank.example"/counterparties#1"#),
        ),
        case(
            "bank/egress: receiving from a counterparty of unknown location",
            Bank,
            E,
            json!({"request": {"action": "receive"}, "target": obj("custodian.example", "secret")}),
            allow(r#"domain "bank.example"/counterparties#1"#),
        ),
        case(
            "bank/egress: alice mails the board portal (user scope)",
            Bank,
            E,
            json!({"object": {"owner": "alice@bank.example"}, "target": ext("board.portal.example")}),
            allow(r#"domain "bank.example" user "alice@bank.example"/board portal#1"#),
        ),
        case(
            "bank/egress: the board portal only for alice's objects",
            Bank,
            E,
            json!({"object": {"owner": "erin@bank.example"}, "target": ext("board.portal.example")}),
            deny_default(EGRESS_DEFAULT),
        ),
        case(
            "bank/egress: the bank's forbid beats alice's permit",
            Bank,
            E,
            json!({"object": {"owner": "alice@bank.example"}, "user": {"roles": []}, "target": ext("board.portal.example")}),
            deny(r#"domain "bank.example"/who sends#1"#),
        ),
        case(
            "bank/egress: missing target.clearance",
            Bank,
            E,
            json!({"target": {"kind": "external", "domain": "api.swift.example"}}),
            missing("target.clearance"),
        ),
        // ---- encrypt: platform default chacha20, fips only, cnsa key size; domain ciphers;
        //      tag financial: fips cipher.
        case(
            "bank/encrypt: financial data, tag scope first",
            Bank,
            C,
            json!({}),
            cipher(
                "aes_256_gcm",
                r#"domain "bank.example" tag "financial"/fips cipher#1"#,
            ),
        ),
        case(
            "bank/encrypt: financial and fips, the tag scope is more specific",
            Bank,
            C,
            json!({"object": {"tags": ["fips", "financial"]}}),
            cipher(
                "aes_256_gcm",
                r#"domain "bank.example" tag "financial"/fips cipher#1"#,
            ),
        ),
        case(
            "bank/encrypt: fips objects use AES-256-GCM",
            Bank,
            C,
            json!({"object": {"tags": ["fips"]}}),
            cipher("aes_256_gcm", r#"domain "bank.example"/ciphers#1"#),
        ),
        case(
            "bank/encrypt: other objects: the domain's default (most specific)",
            Bank,
            C,
            json!({"object": {"tags": []}}),
            cipher_default("chacha20_poly1305", r#"domain "bank.example"/ciphers#2"#),
        ),
        case(
            "bank/encrypt: secret objects without fips keep ChaCha20",
            Bank,
            C,
            json!({"object": {"tags": [], "clearance": "secret"}}),
            cipher_default("chacha20_poly1305", r#"domain "bank.example"/ciphers#2"#),
        ),
        // ---- log: platform default logging, no credentials; domain regulatory log;
        //      class ledger: ledger audit; user alice: notes.
        case(
            "bank/log: regulatory log",
            Bank,
            L,
            json!({}),
            log(
                &[
                    "timestamp",
                    "url",
                    "timing",
                    "identity",
                    "client_ip",
                    "user_agent",
                ],
                &[],
            ),
        ),
        case(
            "bank/log: ledgers keep headers and notes (class scope)",
            Bank,
            L,
            json!({"object": {"class": "ledger"}}),
            log(
                &[
                    "timestamp",
                    "url",
                    "timing",
                    "identity",
                    "client_ip",
                    "user_agent",
                    "headers",
                    "notes",
                ],
                &[],
            ),
        ),
        case(
            "bank/log: credential headers: redaction wins over the ledger's record",
            Bank,
            L,
            json!({"object": {"class": "ledger"}, "request": {"headers": ["accept", "authorization"]}}),
            log(
                &[
                    "timestamp",
                    "url",
                    "timing",
                    "identity",
                    "client_ip",
                    "user_agent",
                    "notes",
                ],
                &["headers"],
            ),
        ),
        case(
            "bank/log: alice keeps notes (user scope)",
            Bank,
            L,
            json!({"object": {"owner": "alice@bank.example"}}),
            log(
                &[
                    "timestamp",
                    "url",
                    "timing",
                    "identity",
                    "client_ip",
                    "user_agent",
                    "notes",
                ],
                &[],
            ),
        ),
        // ============================== agency.gov.example ==============================
        // ---- instantiate: platform certifications, `default allow`; domain us only, fedramp
        //      everywhere, classified placement, crypto facilities; tag declassification.
        case(
            "agency/instantiate: nothing forbids: the platform's default allow",
            Agency,
            I,
            json!({}),
            allow_default(PLACEMENT_DEFAULT),
        ),
        case(
            "agency/instantiate: server outside the US",
            Agency,
            I,
            json!({"server": {"country": "DE", "jurisdiction": "EU"}}),
            deny(r#"domain "agency.gov.example"/us only#1"#),
        ),
        case(
            "agency/instantiate: US server under another jurisdiction",
            Agency,
            I,
            json!({"server": {"jurisdiction": "EU"}}),
            deny(r#"domain "agency.gov.example"/us only#1"#),
        ),
        case(
            "agency/instantiate: client outside the US",
            Agency,
            I,
            json!({"client": {"country": "CA"}}),
            deny(r#"domain "agency.gov.example"/us only#2"#),
        ),
        case(
            "agency/instantiate: gov tag without FedRAMP: the platform's forbid comes first",
            Agency,
            I,
            json!({"server": {"certifications": ["fedramp-high", "itar"]}}),
            deny("platform/fedramp#1"),
        ),
        case(
            "agency/instantiate: untagged without FedRAMP: the agency's own forbid",
            Agency,
            I,
            json!({"object": {"tags": []}, "server": {"certifications": ["itar"]}}),
            deny(r#"domain "agency.gov.example"/fedramp everywhere#1"#),
        ),
        case(
            "agency/instantiate: ITAR data outside an ITAR data center",
            Agency,
            I,
            json!({"object": {"tags": ["gov", "itar"]}, "server": {"certifications": ["fedramp", "fedramp-high"]}}),
            deny("platform/itar#1"),
        ),
        case(
            "agency/instantiate: secret without FedRAMP High",
            Agency,
            I,
            json!({"object": {"clearance": "secret"}, "server": {"certifications": ["fedramp", "itar"]}}),
            deny(r#"domain "agency.gov.example"/classified placement#1"#),
        ),
        case(
            "agency/instantiate: secret with FedRAMP High",
            Agency,
            I,
            json!({"object": {"clearance": "secret"}}),
            allow_default(PLACEMENT_DEFAULT),
        ),
        case(
            "agency/instantiate: label level raises the clearance (lub)",
            Agency,
            I,
            json!({"object": {"label": label("top_secret", &[])}, "server": {"certifications": ["fedramp", "itar"]}}),
            deny(r#"domain "agency.gov.example"/classified placement#2"#),
        ),
        case(
            "agency/instantiate: crypto compartment needs Type 1",
            Agency,
            I,
            json!({"object": {"label": label("secret", &["crypto"])}}),
            deny(r#"domain "agency.gov.example"/crypto facilities#1"#),
        ),
        case(
            "agency/instantiate: top secret crypto+nato dominates secret crypto",
            Agency,
            I,
            json!({"object": {"label": label("top_secret", &["crypto", "nato"])}}),
            deny(r#"domain "agency.gov.example"/crypto facilities#1"#),
        ),
        case(
            "agency/instantiate: top secret nato does not dominate secret crypto",
            Agency,
            I,
            json!({"object": {"label": label("top_secret", &["nato"])}}),
            allow_default(PLACEMENT_DEFAULT),
        ),
        case(
            "agency/instantiate: confidential crypto is below secret crypto",
            Agency,
            I,
            json!({"object": {"label": label("confidential", &["crypto"])}}),
            allow_default(PLACEMENT_DEFAULT),
        ),
        case(
            "agency/instantiate: crypto compartment in a Type 1 facility",
            Agency,
            I,
            json!({"object": {"label": label("secret", &["crypto"])},
                   "server": {"certifications": ["fedramp", "fedramp-high", "itar", "nsa-type1"]}}),
            allow_default(PLACEMENT_DEFAULT),
        ),
        case(
            "agency/instantiate: declassification review on a Friday (tag scope template)",
            Agency,
            I,
            json!({"object": {"tags": ["gov", "declassification"]}, "request": {"time": "2026-03-13T10:00:00Z"}}),
            deny(r#"domain "agency.gov.example" tag "declassification"/review hours#1"#),
        ),
        case(
            "agency/instantiate: declassification review on Thursday 16:59",
            Agency,
            I,
            json!({"object": {"tags": ["gov", "declassification"]}, "request": {"time": "2026-03-12T16:59:00Z"}}),
            allow_default(PLACEMENT_DEFAULT),
        ),
        case(
            "agency/instantiate: declassification review closes at 17:00",
            Agency,
            I,
            json!({"object": {"tags": ["gov", "declassification"]}, "request": {"time": "2026-03-12T17:00:00Z"}}),
            deny(r#"domain "agency.gov.example" tag "declassification"/review hours#1"#),
        ),
        case(
            "agency/instantiate: declassification review opens at 09:00",
            Agency,
            I,
            json!({"object": {"tags": ["gov", "declassification"]}, "request": {"time": "2026-03-12T08:59:59Z"}}),
            deny(r#"domain "agency.gov.example" tag "declassification"/review hours#1"#),
        ),
        case(
            "agency/instantiate: review hours bind starts only",
            Agency,
            I,
            json!({"object": {"tags": ["gov", "declassification"]},
                   "request": {"action": "migrate", "time": "2026-03-13T10:00:00Z"}}),
            allow_default(PLACEMENT_DEFAULT),
        ),
        case(
            "agency/instantiate: review hours only for the tag",
            Agency,
            I,
            json!({"request": {"time": "2026-03-13T10:00:00Z"}}),
            allow_default(PLACEMENT_DEFAULT),
        ),
        // ---- access: domain client origin, government networks, piv, gfe only, rights,
        //      compartment access.
        case(
            "agency/access: analyst reads",
            Agency,
            A,
            json!({}),
            allow(r#"domain "agency.gov.example"/rights#1"#),
        ),
        case(
            "agency/access: analyst may not write",
            Agency,
            A,
            json!({"request": {"action": "write"}}),
            deny_default(ACCESS_DEFAULT),
        ),
        case(
            "agency/access: case officer modifies",
            Agency,
            A,
            json!({"user": {"groups": ["case-officers"]}, "request": {"action": "modify"}}),
            allow(r#"domain "agency.gov.example"/rights#2"#),
        ),
        case(
            "agency/access: records officer deletes",
            Agency,
            A,
            json!({"user": {"roles": ["us-person", "records-officer"], "groups": []}, "request": {"action": "delete"}}),
            allow(r#"domain "agency.gov.example"/rights#3"#),
        ),
        case(
            "agency/access: client jurisdiction unknown",
            Agency,
            A,
            json!({"client": {"jurisdiction": null}}),
            deny(r#"domain "agency.gov.example"/client origin#1"#),
        ),
        case(
            "agency/access: client off the government networks (template, agency constants)",
            Agency,
            A,
            json!({"client": {"ip": "198.51.100.7"}}),
            deny(r#"domain "agency.gov.example"/government networks#1"#),
        ),
        case(
            "agency/access: client on the government IPv6 network",
            Agency,
            A,
            json!({"client": {"ip": "2001:db8:60:7::5"}}),
            allow(r#"domain "agency.gov.example"/rights#1"#),
        ),
        case(
            "agency/access: PIV without MFA (has all)",
            Agency,
            A,
            json!({"user": {"credentials": ["piv"]}}),
            deny(r#"domain "agency.gov.example"/piv#1"#),
        ),
        case(
            "agency/access: not a US person",
            Agency,
            A,
            json!({"user": {"roles": []}}),
            deny(r#"domain "agency.gov.example"/piv#1"#),
        ),
        case(
            "agency/access: a phone is not GFE",
            Agency,
            A,
            json!({"client": {"device_type": "phone"}}),
            deny(r#"domain "agency.gov.example"/gfe only#2"#),
        ),
        case(
            "agency/access: no posture reported",
            Agency,
            A,
            json!({"client": {"posture": null}}),
            deny(r#"domain "agency.gov.example"/gfe only#1"#),
        ),
        case(
            "agency/access: compromised device: platform first",
            Agency,
            A,
            json!({"client": {"posture": "compromised"}}),
            deny("platform/compromised devices#1"),
        ),
        case(
            "agency/access: user label dominates the object's",
            Agency,
            A,
            json!({"object": {"label": label("secret", &["nato"])}}),
            allow(r#"domain "agency.gov.example"/rights#1"#),
        ),
        case(
            "agency/access: user label lacks the object's compartment",
            Agency,
            A,
            json!({"object": {"label": label("secret", &["crypto"])}}),
            deny(r#"domain "agency.gov.example"/compartment access#1"#),
        ),
        case(
            "agency/access: user without a label sees no labelled object",
            Agency,
            A,
            json!({"object": {"label": label("confidential", &[])}, "user": {"label": null}}),
            deny(r#"domain "agency.gov.example"/compartment access#1"#),
        ),
        case(
            "agency/access: object clearance above the user's",
            Agency,
            A,
            json!({"object": {"clearance": "top_secret"}}),
            deny(r#"domain "agency.gov.example"/compartment access#2"#),
        ),
        case(
            "agency/access: top secret user reads top secret",
            Agency,
            A,
            json!({"object": {"clearance": "top_secret"}, "user": {"clearance": "top_secret"}}),
            allow(r#"domain "agency.gov.example"/rights#1"#),
        ),
        case(
            "agency/access: secret object, user without clearance",
            Agency,
            A,
            json!({"object": {"clearance": "secret"}, "user": {"clearance": null}}),
            deny(r#"domain "agency.gov.example"/compartment access#2"#),
        ),
        // ---- egress: domain no write-down, compartments, interagency, allied release,
        //      external hosts, public affairs; tag itar: no export.
        case(
            "agency/egress: send up to a secret agency worker",
            Agency,
            E,
            json!({"target": obj("agency.gov.example", "secret")}),
            allow(r#"domain "agency.gov.example"/interagency#1"#),
        ),
        case(
            "agency/egress: no write-down: top secret to secret",
            Agency,
            E,
            json!({"object": {"clearance": "top_secret"}, "target": obj("agency.gov.example", "secret")}),
            deny(r#"domain "agency.gov.example"/no write-down#1"#),
        ),
        case(
            "agency/egress: send at the same level",
            Agency,
            E,
            json!({"object": {"clearance": "secret"}, "target": obj("agency.gov.example", "secret")}),
            allow(r#"domain "agency.gov.example"/interagency#1"#),
        ),
        case(
            "agency/egress: receiving from below is reading down: allowed",
            Agency,
            E,
            json!({"object": {"clearance": "top_secret"}, "request": {"action": "receive"},
                   "target": obj("agency.gov.example", "unclassified")}),
            allow(r#"domain "agency.gov.example"/interagency#1"#),
        ),
        case(
            "agency/egress: receiving from above is writing down: forbidden",
            Agency,
            E,
            json!({"request": {"action": "receive"}, "target": obj("agency.gov.example", "secret")}),
            deny(r#"domain "agency.gov.example"/no write-down#2"#),
        ),
        case(
            "agency/egress: target label dominates the object's",
            Agency,
            E,
            json!({"object": {"clearance": "secret", "label": label("secret", &["nato"])},
                   "target": merged(obj("agency.gov.example", "secret"), json!({"label": label("top_secret", &["nato", "sigint"])}))}),
            allow(r#"domain "agency.gov.example"/interagency#1"#),
        ),
        case(
            "agency/egress: target label lacks a compartment",
            Agency,
            E,
            json!({"object": {"clearance": "secret", "label": label("secret", &["crypto"])},
                   "target": merged(obj("agency.gov.example", "secret"), json!({"label": label("secret", &["nato"])}))}),
            deny(r#"domain "agency.gov.example"/compartments#1"#),
        ),
        case(
            "agency/egress: labelled object to an unlabelled target",
            Agency,
            E,
            json!({"object": {"label": label("secret", &["nato"])}, "target": obj("agency.gov.example", "secret")}),
            deny(r#"domain "agency.gov.example"/compartments#1"#),
        ),
        case(
            "agency/egress: partner agency in the US (under)",
            Agency,
            E,
            json!({"target": merged(obj("ops.dhs.gov.example", "secret"), json!({"location": "US"}))}),
            allow(r#"domain "agency.gov.example"/interagency#2"#),
        ),
        case(
            "agency/egress: partner agency abroad",
            Agency,
            E,
            json!({"target": merged(obj("ops.dhs.gov.example", "secret"), json!({"location": "DE"}))}),
            deny_default(EGRESS_DEFAULT),
        ),
        case(
            "agency/egress: partner agency of unknown location",
            Agency,
            E,
            json!({"target": obj("doe.gov.example", "secret")}),
            deny_default(EGRESS_DEFAULT),
        ),
        case(
            "agency/egress: partner permit is send-only",
            Agency,
            E,
            json!({"request": {"action": "receive"},
                   "target": merged(obj("ops.dhs.gov.example", "confidential"), json!({"location": "US"}))}),
            deny_default(EGRESS_DEFAULT),
        ),
        case(
            "agency/egress: ally receives releasable material (glb)",
            Agency,
            E,
            json!({"object": {"label": label("confidential", &["nato"])},
                   "target": merged(obj("mod.uk.example", "secret"), json!({"org": "UK MOD", "label": label("secret", &["nato"])}))}),
            allow(r#"domain "agency.gov.example"/allied release#1"#),
        ),
        case(
            "agency/egress: ally: level above the release ceiling",
            Agency,
            E,
            json!({"object": {"label": label("top_secret", &["nato"])},
                   "target": merged(obj("nato.example", "top_secret"), json!({"org": "NATO", "label": label("top_secret", &["nato"])}))}),
            deny_default(EGRESS_DEFAULT),
        ),
        case(
            "agency/egress: ally: compartment outside the release ceiling",
            Agency,
            E,
            json!({"object": {"clearance": "secret", "label": label("secret", &["nato", "sigint"])},
                   "target": merged(obj("nato.example", "secret"), json!({"org": "NATO", "label": label("secret", &["nato", "sigint"])}))}),
            deny_default(EGRESS_DEFAULT),
        ),
        case(
            "agency/egress: PAO publishes unclassified data to a gov host",
            Agency,
            E,
            json!({"object": {"clearance": "unclassified"}, "user": {"id": "pao@agency.gov.example"},
                   "target": ext("data.gov.example")}),
            allow(r#"domain "agency.gov.example"/external hosts#1"#),
        ),
        case(
            "agency/egress: gov.example itself is under gov.example",
            Agency,
            E,
            json!({"object": {"clearance": "unclassified"}, "user": {"id": "pao@agency.gov.example"},
                   "target": ext("gov.example")}),
            allow(r#"domain "agency.gov.example"/external hosts#1"#),
        ),
        case(
            "agency/egress: a look-alike domain is not under gov.example",
            Agency,
            E,
            json!({"object": {"clearance": "unclassified"}, "user": {"id": "pao@agency.gov.example"},
                   "target": ext("notgov.example")}),
            deny_default(EGRESS_DEFAULT),
        ),
        case(
            "agency/egress: nothing classified leaves for an external host",
            Agency,
            E,
            json!({"user": {"id": "pao@agency.gov.example"}, "target": ext("data.gov.example")}),
            deny(r#"domain "agency.gov.example"/external hosts#2"#),
        ),
        case(
            "agency/egress: only the PAO publishes",
            Agency,
            E,
            json!({"object": {"clearance": "unclassified"}, "target": ext("data.gov.example")}),
            deny(r#"domain "agency.gov.example"/public affairs#1"#),
        ),
        case(
            "agency/egress: anonymous user does not publish",
            Agency,
            E,
            json!({"object": {"clearance": "unclassified"}, "user": {"id": null}, "target": ext("data.gov.example")}),
            deny(r#"domain "agency.gov.example"/public affairs#1"#),
        ),
        case(
            "agency/egress: ITAR never goes abroad (tag scope)",
            Agency,
            E,
            json!({"object": {"tags": ["gov", "itar"]},
                   "target": merged(obj("agency.gov.example", "secret"), json!({"location": "DE"}))}),
            deny(r#"domain "agency.gov.example" tag "itar"/no export#1"#),
        ),
        case(
            "agency/egress: ITAR never goes to an allied organisation",
            Agency,
            E,
            json!({"object": {"tags": ["gov", "itar"]},
                   "target": merged(obj("agency.gov.example", "secret"), json!({"org": "NATO"}))}),
            deny(r#"domain "agency.gov.example" tag "itar"/no export#2"#),
        ),
        case(
            "agency/egress: ITAR within the US",
            Agency,
            E,
            json!({"object": {"tags": ["gov", "itar"]},
                   "target": merged(obj("agency.gov.example", "secret"), json!({"location": "US"}))}),
            allow(r#"domain "agency.gov.example"/interagency#1"#),
        ),
        case(
            "agency/egress: platform internal ranges",
            Agency,
            E,
            json!({"object": {"clearance": "unclassified"}, "user": {"id": "pao@agency.gov.example"},
                   "target": merged(ext("data.gov.example"), json!({"ip": "172.20.1.1"}))}),
            deny("platform/internal ranges#1"),
        ),
        // ---- encrypt: the agency's AES-256-GCM only.
        case(
            "agency/encrypt: AES-256-GCM",
            Agency,
            C,
            json!({}),
            cipher("aes_256_gcm", r#"domain "agency.gov.example"/ciphers#1"#),
        ),
        case(
            "agency/encrypt: top secret fips data: AES-256-GCM",
            Agency,
            C,
            json!({"object": {"tags": ["fips"], "clearance": "top_secret"}}),
            cipher("aes_256_gcm", r#"domain "agency.gov.example"/ciphers#1"#),
        ),
        case(
            "agency/encrypt: missing object.clearance",
            Agency,
            C,
            json!({"object": {"clearance": null}}),
            missing("object.clearance"),
        ),
        // ---- log: the agency's full audit trail.
        case(
            "agency/log: full audit trail",
            Agency,
            L,
            json!({}),
            log(
                &[
                    "timestamp",
                    "url",
                    "timing",
                    "client_ip",
                    "user_agent",
                    "identity",
                    "headers",
                    "notes",
                ],
                &[],
            ),
        ),
        case(
            "agency/log: credential headers redacted over the agency's record",
            Agency,
            L,
            json!({"request": {"headers": ["accept", "proxy-authorization"]}}),
            log(ALL_BUT_HEADERS, &["headers"]),
        ),
        // ============================== docs.example ==============================
        // ---- instantiate: domain residency(eu_countries), eu jurisdiction.
        case(
            "docs/instantiate: EU server: the platform's default allow",
            Docs,
            I,
            json!({}),
            allow_default(PLACEMENT_DEFAULT),
        ),
        case(
            "docs/instantiate: residency template with the EU constant refuses the US",
            Docs,
            I,
            json!({"server": {"country": "US", "jurisdiction": "US"}}),
            deny(r#"domain "docs.example"/residency#1"#),
        ),
        case(
            "docs/instantiate: residency refuses GB",
            Docs,
            I,
            json!({"server": {"country": "GB", "jurisdiction": "GB"}}),
            deny(r#"domain "docs.example"/residency#1"#),
        ),
        case(
            "docs/instantiate: EU country, US jurisdiction",
            Docs,
            I,
            json!({"server": {"jurisdiction": "US"}}),
            deny(r#"domain "docs.example"/eu jurisdiction#1"#),
        ),
        case(
            "docs/instantiate: IE server",
            Docs,
            I,
            json!({"server": {"country": "IE"}}),
            allow_default(PLACEMENT_DEFAULT),
        ),
        case(
            "docs/instantiate: PCI without certifications (platform)",
            Docs,
            I,
            json!({"object": {"tags": ["pci"]}}),
            deny("platform/pci#1"),
        ),
        case(
            "docs/instantiate: the platform's ITAR rule applies to every tenant",
            Docs,
            I,
            json!({"object": {"tags": ["itar"]}}),
            deny("platform/itar#1"),
        ),
        // ---- access: domain sharing, owner, published, pii in the eu; user bob: team.
        case(
            "docs/access: reader reads",
            Docs,
            A,
            json!({}),
            allow(r#"domain "docs.example"/sharing#1"#),
        ),
        case(
            "docs/access: reader may not write",
            Docs,
            A,
            json!({"request": {"action": "write"}}),
            deny_default(ACCESS_DEFAULT),
        ),
        case(
            "docs/access: editor writes",
            Docs,
            A,
            json!({"user": {"groups": ["editors"]}, "request": {"action": "write"}}),
            allow(r#"domain "docs.example"/sharing#2"#),
        ),
        case(
            "docs/access: editor may not delete",
            Docs,
            A,
            json!({"user": {"groups": ["editors"]}, "request": {"action": "delete"}}),
            deny_default(ACCESS_DEFAULT),
        ),
        case(
            "docs/access: doc-owner role deletes",
            Docs,
            A,
            json!({"user": {"roles": ["doc-owner"]}, "request": {"action": "delete"}}),
            allow(r#"domain "docs.example"/sharing#3"#),
        ),
        case(
            "docs/access: the owner deletes (object.owner)",
            Docs,
            A,
            json!({"object": {"owner": "eve@docs.example"}, "user": {"groups": []}, "request": {"action": "delete"}}),
            allow(r#"domain "docs.example"/owner#1"#),
        ),
        case(
            "docs/access: published documents are public (all)",
            Docs,
            A,
            json!({"object": {"tags": ["published"]}, "user": {"id": null, "authenticated": false, "groups": []}}),
            allow(r#"domain "docs.example"/published#1"#),
        ),
        case(
            "docs/access: published documents with personal data are not",
            Docs,
            A,
            json!({"object": {"tags": ["published", "pii-health"]}, "user": {"id": null, "authenticated": false, "groups": []}}),
            deny_default(ACCESS_DEFAULT),
        ),
        case(
            "docs/access: personal data to a client outside the EU (any)",
            Docs,
            A,
            json!({"object": {"tags": ["pii-contacts"]}, "client": {"country": "US"}}),
            deny(r#"domain "docs.example"/pii in the eu#1"#),
        ),
        case(
            "docs/access: personal data to a client in the EU",
            Docs,
            A,
            json!({"object": {"tags": ["pii-contacts"]}}),
            allow(r#"domain "docs.example"/sharing#1"#),
        ),
        case(
            "docs/access: bob's team edits his documents (user scope)",
            Docs,
            A,
            json!({"object": {"owner": "bob@docs.example"}, "user": {"groups": ["team-atlas"]}, "request": {"action": "write"}}),
            allow(r#"domain "docs.example" user "bob@docs.example"/team#1"#),
        ),
        case(
            "docs/access: bob's team may not delete",
            Docs,
            A,
            json!({"object": {"owner": "bob@docs.example"}, "user": {"groups": ["team-atlas"]}, "request": {"action": "delete"}}),
            deny_default(ACCESS_DEFAULT),
        ),
        case(
            "docs/access: bob's team on someone else's document",
            Docs,
            A,
            json!({"user": {"groups": ["team-atlas"]}, "request": {"action": "write"}}),
            deny_default(ACCESS_DEFAULT),
        ),
        case(
            "docs/access: bob's team must be signed in",
            Docs,
            A,
            json!({"object": {"owner": "bob@docs.example"}, "user": {"authenticated": false, "groups": ["team-atlas"]},
                   "request": {"action": "write"}}),
            deny_default(ACCESS_DEFAULT),
        ),
        case(
            "docs/access: the bank's ledger class scope does not reach docs.example",
            Docs,
            A,
            json!({"object": {"class": "ledger"}, "user": {"groups": ["editors"]}, "request": {"action": "modify"}}),
            allow(r#"domain "docs.example"/sharing#2"#),
        ),
        case(
            "docs/access: alice's user scope lives in bank.example only",
            Docs,
            A,
            json!({"object": {"owner": "alice@bank.example"}, "user": {"id": "dan@bank.example", "groups": []}}),
            deny_default(ACCESS_DEFAULT),
        ),
        case(
            "docs/access: missing user.authenticated",
            Docs,
            A,
            json!({"user": {"authenticated": null}}),
            missing("user.authenticated"),
        ),
        // ---- egress: domain sync, integrations, managed sharing, pii stays in the eu; user bob: blog.
        case(
            "docs/egress: integration by exact name",
            Docs,
            E,
            json!({"target": ext("hooks.slack.example")}),
            allow(r#"domain "docs.example"/integrations#1"#),
        ),
        case(
            "docs/egress: the company's services by wildcard",
            Docs,
            E,
            json!({"target": ext("wiki.docs.example")}),
            allow(r#"domain "docs.example"/integrations#2"#),
        ),
        case(
            "docs/egress: the wildcard needs a subdomain",
            Docs,
            E,
            json!({"target": ext("docs.example")}),
            deny_default(EGRESS_DEFAULT),
        ),
        case(
            "docs/egress: sharing from an unmanaged device",
            Docs,
            E,
            json!({"client": {"posture": "unmanaged"}, "target": ext("hooks.slack.example")}),
            deny(r#"domain "docs.example"/managed sharing#1"#),
        ),
        case(
            "docs/egress: bob's blog subdomain (under, user scope)",
            Docs,
            E,
            json!({"object": {"owner": "bob@docs.example"}, "target": ext("www.bob.blog.example")}),
            allow(r#"domain "docs.example" user "bob@docs.example"/blog#1"#),
        ),
        case(
            "docs/egress: bob's blog itself",
            Docs,
            E,
            json!({"object": {"owner": "bob@docs.example"}, "target": ext("bob.blog.example")}),
            allow(r#"domain "docs.example" user "bob@docs.example"/blog#1"#),
        ),
        case(
            "docs/egress: a look-alike is not under bob's blog",
            Docs,
            E,
            json!({"object": {"owner": "bob@docs.example"}, "target": ext("notbob.blog.example")}),
            deny_default(EGRESS_DEFAULT),
        ),
        case(
            "docs/egress: bob's blog for someone else's document",
            Docs,
            E,
            json!({"target": ext("bob.blog.example")}),
            deny_default(EGRESS_DEFAULT),
        ),
        case(
            "docs/egress: document workers sync",
            Docs,
            E,
            json!({"target": obj("docs.example", "unclassified")}),
            allow(r#"domain "docs.example"/sync#1"#),
        ),
        case(
            "docs/egress: document workers receive from each other",
            Docs,
            E,
            json!({"request": {"action": "receive"}, "target": obj("docs.example", "unclassified")}),
            allow(r#"domain "docs.example"/sync#1"#),
        ),
        case(
            "docs/egress: personal data to a worker in the US",
            Docs,
            E,
            json!({"object": {"tags": ["pii-health"]},
                   "target": merged(obj("docs.example", "unclassified"), json!({"location": "US"}))}),
            deny(r#"domain "docs.example"/pii stays in the eu#1"#),
        ),
        case(
            "docs/egress: personal data to a worker in IE",
            Docs,
            E,
            json!({"object": {"tags": ["pii-health"]},
                   "target": merged(obj("docs.example", "unclassified"), json!({"location": "IE"}))}),
            allow(r#"domain "docs.example"/sync#1"#),
        ),
        case(
            "docs/egress: other organisations' workers",
            Docs,
            E,
            json!({"target": obj("partner.example", "unclassified")}),
            deny_default(EGRESS_DEFAULT),
        ),
        // ---- encrypt: only the platform's rules.
        case(
            "docs/encrypt: the platform default",
            Docs,
            C,
            json!({}),
            cipher_default("chacha20_poly1305", DEFAULT_CIPHER),
        ),
        case(
            "docs/encrypt: fips: the only default is forbidden: fail closed",
            Docs,
            C,
            json!({"object": {"tags": ["fips"]}}),
            no_cipher(),
        ),
        case(
            "docs/encrypt: the bank's financial tag scope does not reach docs.example",
            Docs,
            C,
            json!({"object": {"tags": ["financial"]}}),
            cipher_default("chacha20_poly1305", DEFAULT_CIPHER),
        ),
        case(
            "docs/encrypt: secret data keeps the platform default",
            Docs,
            C,
            json!({"object": {"clearance": "secret"}}),
            cipher_default("chacha20_poly1305", DEFAULT_CIPHER),
        ),
        // ---- log: domain edit history, eu clients, pii logs.
        case(
            "docs/log: EU client: client IP recorded and redacted: redaction wins",
            Docs,
            L,
            json!({}),
            log(
                &["timestamp", "url", "timing", "identity", "user_agent"],
                &["client_ip"],
            ),
        ),
        case(
            "docs/log: US client writing: headers and client IP",
            Docs,
            L,
            json!({"client": {"country": "US"}, "request": {"action": "write", "method": "PUT"}}),
            log(
                &[
                    "timestamp",
                    "url",
                    "timing",
                    "identity",
                    "client_ip",
                    "user_agent",
                    "headers",
                ],
                &[],
            ),
        ),
        case(
            "docs/log: no method, no headers",
            Docs,
            L,
            json!({"client": {"country": "US"}, "request": {"method": null}}),
            log(
                &[
                    "timestamp",
                    "url",
                    "timing",
                    "identity",
                    "client_ip",
                    "user_agent",
                ],
                &[],
            ),
        ),
        case(
            "docs/log: personal data: no identity or user agent",
            Docs,
            L,
            json!({"client": {"country": "US"}, "object": {"tags": ["pii-health"]}}),
            log(
                &["timestamp", "url", "timing", "client_ip"],
                &["identity", "user_agent"],
            ),
        ),
        case(
            "docs/log: credentials in a POST: the platform's redaction wins",
            Docs,
            L,
            json!({"client": {"country": "US"}, "request": {"method": "POST", "headers": ["cookie"]}}),
            log(
                &[
                    "timestamp",
                    "url",
                    "timing",
                    "identity",
                    "client_ip",
                    "user_agent",
                ],
                &["headers"],
            ),
        ),
        // ============================== games.example ==============================
        // ---- instantiate: domain launch regions (residency), maintenance window;
        //      class session: session placement; user carol: nearby servers.
        case(
            "games/instantiate: NL server: the platform's default allow",
            Games,
            I,
            json!({}),
            allow_default(PLACEMENT_DEFAULT),
        ),
        case(
            "games/instantiate: maintenance hour",
            Games,
            I,
            json!({"request": {"time": "2026-03-11T04:30:00Z"}}),
            deny(r#"domain "games.example"/maintenance window#1"#),
        ),
        case(
            "games/instantiate: migrations go on during maintenance",
            Games,
            I,
            json!({"request": {"action": "migrate", "time": "2026-03-11T04:30:00Z"}}),
            allow_default(PLACEMENT_DEFAULT),
        ),
        case(
            "games/instantiate: residency template with the games constant refuses FR",
            Games,
            I,
            json!({"server": {"country": "FR"}}),
            deny(r#"domain "games.example"/launch regions#1"#),
        ),
        case(
            "games/instantiate: residency template with the games constant accepts JP",
            Games,
            I,
            json!({"server": {"country": "JP", "jurisdiction": "JP"}}),
            allow_default(PLACEMENT_DEFAULT),
        ),
        case(
            "games/instantiate: new session on old hardware (class scope)",
            Games,
            I,
            json!({"object": {"class": "session"}, "server": {"generation": 2}}),
            deny(r#"domain "games.example" class "session"/session placement#1"#),
        ),
        case(
            "games/instantiate: a session follows its players onto old hardware",
            Games,
            I,
            json!({"object": {"class": "session"}, "server": {"generation": 2}, "request": {"action": "follow"}}),
            allow_default(PLACEMENT_DEFAULT),
        ),
        case(
            "games/instantiate: old hardware is fine for lobbies",
            Games,
            I,
            json!({"server": {"generation": 2}}),
            allow_default(PLACEMENT_DEFAULT),
        ),
        case(
            "games/instantiate: carol's session in JP (user scope)",
            Games,
            I,
            json!({"object": {"class": "session", "owner": "carol@games.example"}, "server": {"country": "JP", "jurisdiction": "JP"}}),
            deny(r#"domain "games.example" user "carol@games.example"/nearby servers#1"#),
        ),
        case(
            "games/instantiate: carol's session in DE",
            Games,
            I,
            json!({"object": {"class": "session", "owner": "carol@games.example"}, "server": {"country": "DE"}}),
            allow_default(PLACEMENT_DEFAULT),
        ),
        case(
            "games/instantiate: carol's session in FR: the domain's forbid comes first",
            Games,
            I,
            json!({"object": {"class": "session", "owner": "carol@games.example"}, "server": {"country": "FR"}}),
            deny(r#"domain "games.example"/launch regions#1"#),
        ),
        case(
            "games/instantiate: carol's session migrates to JP",
            Games,
            I,
            json!({"object": {"class": "session", "owner": "carol@games.example"}, "server": {"country": "JP", "jurisdiction": "JP"},
                   "request": {"action": "migrate"}}),
            allow_default(PLACEMENT_DEFAULT),
        ),
        // ---- access: domain players, banned networks, season; class session: session
        //      rights, session host; user carol: squad.
        case(
            "games/access: a signed-in player reads",
            Games,
            A,
            json!({}),
            allow(r#"domain "games.example"/players#1"#),
        ),
        case(
            "games/access: anonymous players do not",
            Games,
            A,
            json!({"user": {"authenticated": false}}),
            deny_default(ACCESS_DEFAULT),
        ),
        case(
            "games/access: players do not write lobbies",
            Games,
            A,
            json!({"request": {"action": "write"}}),
            deny_default(ACCESS_DEFAULT),
        ),
        case(
            "games/access: players write their session (class scope)",
            Games,
            A,
            json!({"object": {"class": "session"}, "request": {"action": "write"}}),
            allow(r#"domain "games.example" class "session"/session rights#1"#),
        ),
        case(
            "games/access: players do not end a session",
            Games,
            A,
            json!({"object": {"class": "session"}, "request": {"action": "delete"}}),
            deny_default(ACCESS_DEFAULT),
        ),
        case(
            "games/access: a game master ends a session",
            Games,
            A,
            json!({"object": {"class": "session"}, "user": {"roles": ["game-master"], "groups": []}, "request": {"action": "delete"}}),
            allow(r#"domain "games.example" class "session"/session rights#2"#),
        ),
        case(
            "games/access: the host ends their session (object.owner)",
            Games,
            A,
            json!({"object": {"class": "session", "owner": "pat@games.example"}, "request": {"action": "delete"}}),
            allow(r#"domain "games.example" class "session"/session host#1"#),
        ),
        case(
            "games/access: owning a lobby gives no host rights",
            Games,
            A,
            json!({"object": {"owner": "pat@games.example"}, "request": {"action": "delete"}}),
            deny_default(ACCESS_DEFAULT),
        ),
        case(
            "games/access: cheat farm (CIDR /25)",
            Games,
            A,
            json!({"client": {"ip": "203.0.113.200"}}),
            deny(r#"domain "games.example"/banned networks#1"#),
        ),
        case(
            "games/access: below the cheat farm's /25",
            Games,
            A,
            json!({"client": {"ip": "203.0.113.5"}}),
            allow(r#"domain "games.example"/players#1"#),
        ),
        case(
            "games/access: cheat farm over IPv6",
            Games,
            A,
            json!({"client": {"ip": "2001:db8:c4ea::9"}}),
            deny(r#"domain "games.example"/banned networks#1"#),
        ),
        case(
            "games/access: ranked write in the beta week without the beta role",
            Games,
            A,
            json!({"object": {"class": "session", "tags": ["ranked"]}, "request": {"action": "write", "time": "2026-03-05T12:00:00Z"}}),
            deny(r#"domain "games.example"/season#2"#),
        ),
        case(
            "games/access: ranked write in the beta week by a beta tester",
            Games,
            A,
            json!({"object": {"class": "session", "tags": ["ranked"]}, "user": {"roles": ["beta-tester"]},
                   "request": {"action": "write", "time": "2026-03-05T12:00:00Z"}}),
            allow(r#"domain "games.example" class "session"/session rights#1"#),
        ),
        case(
            "games/access: ranked write before the season",
            Games,
            A,
            json!({"object": {"class": "session", "tags": ["ranked"]}, "user": {"roles": ["beta-tester"]},
                   "request": {"action": "write", "time": "2026-02-20T12:00:00Z"}}),
            deny(r#"domain "games.example"/season#1"#),
        ),
        case(
            "games/access: ranked write in the season's last second",
            Games,
            A,
            json!({"object": {"class": "session", "tags": ["ranked"]}, "request": {"action": "write", "time": "2026-05-24T23:59:59Z"}}),
            allow(r#"domain "games.example" class "session"/session rights#1"#),
        ),
        case(
            "games/access: ranked write when the season has ended",
            Games,
            A,
            json!({"object": {"class": "session", "tags": ["ranked"]}, "request": {"action": "write", "time": "2026-05-25T00:00:00Z"}}),
            deny(r#"domain "games.example"/season#1"#),
        ),
        case(
            "games/access: ranked reads are not limited to the season",
            Games,
            A,
            json!({"object": {"tags": ["ranked"]}, "request": {"time": "2026-06-01T12:00:00Z"}}),
            allow(r#"domain "games.example"/players#1"#),
        ),
        case(
            "games/access: carol's squad joins her session (user scope)",
            Games,
            A,
            json!({"object": {"class": "session", "owner": "carol@games.example"}, "user": {"groups": ["carol-squad"]},
                   "request": {"action": "write"}}),
            allow(r#"domain "games.example" user "carol@games.example"/squad#1"#),
        ),
        case(
            "games/access: carol's squad does not end her session",
            Games,
            A,
            json!({"object": {"class": "session", "owner": "carol@games.example"}, "user": {"groups": ["carol-squad"]},
                   "request": {"action": "delete"}}),
            deny_default(ACCESS_DEFAULT),
        ),
        case(
            "games/access: carol's squad in someone else's session",
            Games,
            A,
            json!({"object": {"class": "session", "owner": "dave@games.example"}, "user": {"groups": ["carol-squad"]},
                   "request": {"action": "write"}}),
            deny_default(ACCESS_DEFAULT),
        ),
        case(
            "games/access: compromised device (platform)",
            Games,
            A,
            json!({"client": {"posture": "compromised"}}),
            deny("platform/compromised devices#1"),
        ),
        // ---- egress: domain partner services (egress_allowlist); class session: session
        //      mesh; user carol: streaming.
        case(
            "games/egress: telemetry subdomain (template, under)",
            Games,
            E,
            json!({"target": ext("eu.telemetry.games.example")}),
            allow(r#"domain "games.example"/partner services#1"#),
        ),
        case(
            "games/egress: the store",
            Games,
            E,
            json!({"target": ext("store.console.example")}),
            allow(r#"domain "games.example"/partner services#1"#),
        ),
        case(
            "games/egress: the parent of a partner domain is not under it",
            Games,
            E,
            json!({"target": ext("console.example")}),
            deny_default(EGRESS_DEFAULT),
        ),
        case(
            "games/egress: a partner name as a prefix is not under it",
            Games,
            E,
            json!({"target": ext("voice.chat.example.evil.example")}),
            deny_default(EGRESS_DEFAULT),
        ),
        case(
            "games/egress: the allowlist is send-only",
            Games,
            E,
            json!({"request": {"action": "receive"}, "target": ext("eu.telemetry.games.example")}),
            deny_default(EGRESS_DEFAULT),
        ),
        case(
            "games/egress: sessions talk to the studio's workers (class scope)",
            Games,
            E,
            json!({"object": {"class": "session"}, "target": obj("games.example", "unclassified")}),
            allow(r#"domain "games.example" class "session"/session mesh#1"#),
        ),
        case(
            "games/egress: lobbies do not",
            Games,
            E,
            json!({"target": obj("games.example", "unclassified")}),
            deny_default(EGRESS_DEFAULT),
        ),
        case(
            "games/egress: sessions do not talk to other organisations' workers",
            Games,
            E,
            json!({"object": {"class": "session"}, "target": obj("other.example", "unclassified")}),
            deny_default(EGRESS_DEFAULT),
        ),
        case(
            "games/egress: carol streams her session (user scope, like)",
            Games,
            E,
            json!({"object": {"class": "session", "owner": "carol@games.example"}, "target": ext("ingest-fra.stream.example")}),
            allow(r#"domain "games.example" user "carol@games.example"/streaming#1"#),
        ),
        case(
            "games/egress: the streaming glob needs `ingest-`",
            Games,
            E,
            json!({"object": {"class": "session", "owner": "carol@games.example"}, "target": ext("ingest.stream.example")}),
            deny_default(EGRESS_DEFAULT),
        ),
        case(
            "games/egress: cloud metadata address (platform)",
            Games,
            E,
            json!({"target": merged(ext("eu.telemetry.games.example"), json!({"ip": "169.254.169.254"}))}),
            deny("platform/internal ranges#1"),
        ),
        case(
            "games/egress: a request without a target",
            Games,
            E,
            json!({}),
            missing_in("target."),
        ),
        // ---- encrypt: class session: session cipher.
        case(
            "games/encrypt: lobbies: the platform default",
            Games,
            C,
            json!({}),
            cipher_default("chacha20_poly1305", DEFAULT_CIPHER),
        ),
        case(
            "games/encrypt: sessions use AES-128-GCM (class scope)",
            Games,
            C,
            json!({"object": {"class": "session"}}),
            cipher(
                "aes_128_gcm",
                r#"domain "games.example" class "session"/session cipher#1"#,
            ),
        ),
        case(
            "games/encrypt: secret session: AES-128 forbidden, fall back to the default",
            Games,
            C,
            json!({"object": {"class": "session", "clearance": "secret"}}),
            cipher_default("chacha20_poly1305", DEFAULT_CIPHER),
        ),
        case(
            "games/encrypt: secret fips session: everything forbidden",
            Games,
            C,
            json!({"object": {"class": "session", "clearance": "secret", "tags": ["fips"]}}),
            no_cipher(),
        ),
        case(
            "games/encrypt: fips session: AES-128-GCM is FIPS",
            Games,
            C,
            json!({"object": {"class": "session", "tags": ["fips"]}}),
            cipher(
                "aes_128_gcm",
                r#"domain "games.example" class "session"/session cipher#1"#,
            ),
        ),
        case(
            "games/encrypt: fips lobby: fail closed",
            Games,
            C,
            json!({"object": {"tags": ["fips"]}}),
            no_cipher(),
        ),
        // ---- log: class session: session logs; user carol: streamer privacy.
        case(
            "games/log: lobbies: the platform baseline",
            Games,
            L,
            json!({}),
            log(&["timestamp", "url", "timing"], &[]),
        ),
        case(
            "games/log: sessions: notes, never client IPs",
            Games,
            L,
            json!({"object": {"class": "session"}}),
            log(&["timestamp", "url", "timing", "notes"], &["client_ip"]),
        ),
        case(
            "games/log: carol's sessions hide her user agent too",
            Games,
            L,
            json!({"object": {"class": "session", "owner": "carol@games.example"}}),
            log(
                &["timestamp", "url", "timing", "notes"],
                &["client_ip", "user_agent"],
            ),
        ),
        case(
            "games/log: API keys in headers",
            Games,
            L,
            json!({"request": {"headers": ["x-api-key"]}}),
            log(&["timestamp", "url", "timing"], &["headers"]),
        ),
        // ---- an object of a domain without policies: only the platform layer applies.
        case(
            "other domain/instantiate: no tenant residency, the platform's allow",
            Games,
            I,
            json!({"object": {"domain": "arcade.example"}, "server": {"country": "FR"}}),
            allow_default(PLACEMENT_DEFAULT),
        ),
        case(
            "other domain/access: no tenant permit, the platform's deny",
            Games,
            A,
            json!({"object": {"domain": "arcade.example"}}),
            deny_default(ACCESS_DEFAULT),
        ),
        case(
            "other domain/egress: no tenant allowlist",
            Games,
            E,
            json!({"object": {"domain": "arcade.example"}, "target": ext("eu.telemetry.games.example")}),
            deny_default(EGRESS_DEFAULT),
        ),
        case(
            "other domain/encrypt: a session class means nothing there",
            Games,
            C,
            json!({"object": {"domain": "arcade.example", "class": "session"}}),
            cipher_default("chacha20_poly1305", DEFAULT_CIPHER),
        ),
        case(
            "other domain/log: the platform baseline",
            Games,
            L,
            json!({"object": {"domain": "arcade.example", "class": "session"}, "request": {"headers": ["cookie"]}}),
            log(&["timestamp", "url", "timing"], &["headers"]),
        ),
        case(
            "games/log: missing request.headers",
            Games,
            L,
            json!({"request": {"headers": null}}),
            missing("request.headers"),
        ),
    ]
}

// ---------------------------------------------------------------------------------------
// Comparing
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct RuleSeen {
    id: String,
    policy: String,
    layer: String,
    file: String,
    line: u64,
    column: u64,
}

#[derive(Clone, Debug)]
struct Actual {
    allow: bool,
    why: Why,
    rule: Option<RuleSeen>,
    cipher: Option<String>,
    record: BTreeSet<String>,
    redact: BTreeSet<String>,
}

impl Actual {
    fn describe(&self) -> String {
        let mut s = format!(
            "{} ({:?})",
            if self.allow { "allow" } else { "deny" },
            self.why
        );
        if let Some(c) = &self.cipher {
            s = format!("{s} cipher={c}");
        }
        if !self.record.is_empty() || !self.redact.is_empty() {
            s = format!("{s} record={:?} redact={:?}", self.record, self.redact);
        }
        match &self.rule {
            Some(r) => format!(
                "{s} by {} [{} {} {}:{}:{}]",
                r.id, r.policy, r.layer, r.file, r.line, r.column
            ),
            None => format!("{s} by no rule"),
        }
    }
}

/// Everything in `actual` that contradicts `c.expect`.
fn mismatches(c: &Case, actual: &Actual) -> Vec<String> {
    let e = &c.expect;
    let mut out = Vec::new();
    if let Some(a) = e.allow
        && a != actual.allow
    {
        out.push(format!(
            "decision: expected {}",
            if a { "allow" } else { "deny" }
        ));
    }
    if let Some(w) = &e.why
        && *w != actual.why
    {
        out.push(format!("reason: expected {w:?}, got {:?}", actual.why));
    }
    if let Some(p) = e.missing_prefix
        && !matches!(&actual.why, Why::Missing(m) if m.starts_with(p))
    {
        out.push(format!(
            "reason: expected a missing `{p}*` attribute, got {:?}",
            actual.why
        ));
    }
    match (&e.rule, &actual.rule) {
        (RuleExp::Any, _) | (RuleExp::None, None) => {}
        (RuleExp::None, Some(r)) => out.push(format!("rule: expected none, got {}", r.id)),
        (RuleExp::Id(id), None) => out.push(format!("rule: expected {id}, got none")),
        (RuleExp::Id(id), Some(r)) => {
            if r.id != *id {
                out.push(format!("rule: expected {id}, got {}", r.id));
            } else {
                let (policy, layer) = policy_and_layer(id);
                if r.policy != policy {
                    out.push(format!(
                        "rule policy: expected {policy:?}, got {:?}",
                        r.policy
                    ));
                }
                if r.layer != layer {
                    out.push(format!("rule layer: expected {layer}, got {}", r.layer));
                }
                if let Some((_, file, line, column)) = SITES.iter().find(|s| s.0 == *id) {
                    let file_ok = r
                        .file
                        .replace('\\', "/")
                        .ends_with(&format!("policies/{file}"));
                    if !file_ok || r.line != u64::from(*line) || r.column != u64::from(*column) {
                        out.push(format!(
                            "rule site: expected policies/{file}:{line}:{column}, got {}:{}:{}",
                            r.file, r.line, r.column
                        ));
                    }
                }
            }
        }
    }
    if let Some(cph) = &e.cipher
        && cph.map(str::to_string) != actual.cipher
    {
        out.push(format!("cipher: expected {cph:?}, got {:?}", actual.cipher));
    }
    if let Some((record, redact)) = &e.log {
        let record: BTreeSet<String> = record.iter().map(|s| s.to_string()).collect();
        let redact: BTreeSet<String> = redact.iter().map(|s| s.to_string()).collect();
        if record != actual.record {
            out.push(format!(
                "record: expected {record:?}, got {:?}",
                actual.record
            ));
        }
        if redact != actual.redact {
            out.push(format!(
                "redact: expected {redact:?}, got {:?}",
                actual.redact
            ));
        }
    }
    out
}

fn report(c: &Case, via: &str, actual: Result<Actual, String>) -> Option<String> {
    let problems = match &actual {
        Ok(a) => mismatches(c, a),
        Err(e) => vec![format!("no decision: {e}")],
    };
    if problems.is_empty() {
        return None;
    }
    let got = match &actual {
        Ok(a) => a.describe(),
        Err(e) => e.clone(),
    };
    Some(format!(
        "[{via}] {} (hook {})\n    expected: {}\n    actual:   {got}\n    {}\n    request: {}",
        c.name,
        hook_name(c.hook),
        c.expect.describe(),
        problems.join("\n    "),
        c.request()
    ))
}

// ---------------------------------------------------------------------------------------
// Through the API
// ---------------------------------------------------------------------------------------

fn policy_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = entry.unwrap().path();
        if p.is_dir() {
            policy_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "policy") {
            out.push(p);
        }
    }
}

fn library_engine() -> Engine {
    let root = common::repo();
    let mut files = Vec::new();
    policy_files(&root.join("policies"), &mut files);
    files.sort();
    let texts: Vec<(String, String)> = files
        .iter()
        .map(|p| {
            let name = p
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (name, std::fs::read_to_string(p).unwrap())
        })
        .collect();
    assert!(
        texts.len() >= 20,
        "expected the whole policy library, found {} files",
        texts.len()
    );
    let refs: Vec<(&str, &str)> = texts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    Engine::from_sources(&refs)
        .unwrap_or_else(|e| panic!("the policy library does not compile:\n{e}"))
}

fn enum_names(snap: &Snapshot, name: &str, mask: u64) -> Vec<String> {
    let s = snap.schema();
    let values = s
        .enum_named(name)
        .and_then(|e| s.enum_def(e))
        .map(|d| d.values.clone())
        .unwrap_or_default();
    (0..64usize)
        .filter(|i| mask & (1u64 << i) != 0)
        .map(|i| values.get(i).cloned().unwrap_or_else(|| format!("#{i}")))
        .collect()
}

fn decide_api(snap: &Snapshot, hook: Hook, request: &Value) -> Result<Actual, String> {
    let buf = snap
        .request_from_json(&request.to_string())
        .map_err(|e| format!("request rejected: {e}"))?;
    let d = snap.decide(hook, &buf.view());
    assert_eq!(d.hook, hook);
    let why = match d.reason {
        Reason::Rule => Why::Rule,
        Reason::Default => Why::Default,
        Reason::NoDefault => Why::NoDefault,
        Reason::NoCipher => Why::NoCipher,
        Reason::Missing(id) => Why::Missing(snap.schema().attr_path(id)),
        other => Why::Other(format!("{other:?}")),
    };
    let rule = match d.rule {
        None => None,
        Some(r) => {
            let info = snap.rule(r).ok_or_else(|| {
                format!("decision names rule {r:?}, which the bundle does not have")
            })?;
            Some(RuleSeen {
                id: info.id.clone(),
                policy: info.policy.to_string(),
                layer: info.layer.name().to_string(),
                file: info.file.to_string(),
                line: u64::from(info.line),
                column: u64::from(info.column),
            })
        }
    };
    let cipher = d.cipher.map(|c| {
        enum_names(snap, dictum::schema::CIPHER_ENUM, 1u64 << c)
            .into_iter()
            .next()
            .unwrap_or_else(|| format!("#{c}"))
    });
    Ok(Actual {
        allow: d.is_allow(),
        why,
        rule,
        cipher,
        record: enum_names(snap, dictum::schema::LOG_FIELD_ENUM, d.record)
            .into_iter()
            .collect(),
        redact: enum_names(snap, dictum::schema::LOG_FIELD_ENUM, d.redact)
            .into_iter()
            .collect(),
    })
}

#[test]
fn table_covers_every_hook_and_tenant() {
    let cases = cases();
    let mut names = BTreeSet::new();
    for c in &cases {
        assert!(names.insert(c.name), "duplicate case name: {}", c.name);
        if let RuleExp::Id(id) = c.expect.rule {
            assert!(
                SITES.iter().any(|s| s.0 == id) || TEMPLATE_RULES.contains(&id),
                "{}: rule {id} is in neither SITES nor TEMPLATE_RULES",
                c.name
            );
        }
    }
    for t in Tenant::ALL {
        assert!(
            t.base().get("target").is_none(),
            "{t:?}: the base request must leave `target` to the egress cases"
        );
    }
    assert!(cases.len() >= 60, "only {} cases", cases.len());
    for hook in Hook::ALL {
        for t in Tenant::ALL {
            let here: Vec<&Case> = cases
                .iter()
                .filter(|c| c.hook == hook && c.tenant == t)
                .collect();
            assert!(!here.is_empty(), "no case for {t:?} at {}", hook_name(hook));
        }
        if matches!(
            hook,
            Hook::Instantiate | Hook::Access | Hook::Egress | Hook::Encrypt
        ) {
            for outcome in [true, false] {
                assert!(
                    cases
                        .iter()
                        .any(|c| c.hook == hook && c.expect.allow == Some(outcome)),
                    "no {} case at {}",
                    if outcome { "allow" } else { "deny" },
                    hook_name(hook)
                );
            }
        }
    }
}

#[test]
fn library_decisions_through_the_api() {
    let engine = library_engine();
    let snap = engine.snapshot();
    let cases = cases();
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| report(c, "api", decide_api(&snap, c.hook, &c.request())))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from the documented decision:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

// ---------------------------------------------------------------------------------------
// Through the CLI
// ---------------------------------------------------------------------------------------

fn dictum(args: &[&str]) -> Output {
    Command::new(common::dictum_bin())
        .args(args)
        .current_dir(common::repo())
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("decisions")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn why_from_cli(reason: &str) -> Why {
    match reason {
        "rule" => Why::Rule,
        "default" => Why::Default,
        "no rule matched and no default is declared" => Why::NoDefault,
        "no cipher is allowed" => Why::NoCipher,
        r => match r
            .strip_prefix("the request lacks `")
            .and_then(|s| s.strip_suffix('`'))
        {
            Some(path) => Why::Missing(path.to_string()),
            None => Why::Other(r.to_string()),
        },
    }
}

fn strings(v: &Value) -> Result<BTreeSet<String>, String> {
    v.as_array()
        .ok_or_else(|| format!("expected an array, got {v}"))?
        .iter()
        .map(|x| {
            x.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("expected a string, got {x}"))
        })
        .collect()
}

fn actual_from_cli(hook: Hook, v: &Value) -> Result<Actual, String> {
    if let Some(e) = v.get("error") {
        return Err(format!("dictum eval rejected the request: {e}"));
    }
    if v["hook"] != hook_name(hook) {
        return Err(format!(
            "hook: expected {}, got {}",
            hook_name(hook),
            v["hook"]
        ));
    }
    let allow = match v["decision"].as_str() {
        Some("allow") => true,
        Some("deny") => false,
        _ => return Err(format!("bad decision in {v}")),
    };
    let why = why_from_cli(
        v["reason"]
            .as_str()
            .ok_or_else(|| format!("no reason in {v}"))?,
    );
    let rule = match &v["rule"] {
        Value::Null => None,
        r => Some(RuleSeen {
            id: r["id"]
                .as_str()
                .ok_or_else(|| format!("rule without id in {v}"))?
                .to_string(),
            policy: r["policy"].as_str().unwrap_or_default().to_string(),
            layer: r["layer"].as_str().unwrap_or_default().to_string(),
            file: r["file"].as_str().unwrap_or_default().to_string(),
            line: r["line"].as_u64().unwrap_or_default(),
            column: r["column"].as_u64().unwrap_or_default(),
        }),
    };
    let cipher = match &v["cipher"] {
        Value::Null => None,
        c => Some(
            c.as_str()
                .ok_or_else(|| format!("bad cipher in {v}"))?
                .to_string(),
        ),
    };
    Ok(Actual {
        allow,
        why,
        rule,
        cipher,
        record: strings(&v["record"])?,
        redact: strings(&v["redact"])?,
    })
}

/// Run `dictum eval SOURCE --hook H --request FILE --format json` on every case of the hook
/// (one JSON-lines file) and compare; returns the failures.
fn eval_hook(dir: &Path, source: &[&str], via: &str, hook: Hook, cases: &[&Case]) -> Vec<String> {
    let file = dir.join(format!("{}.jsonl", hook_name(hook)));
    let lines: Vec<String> = cases.iter().map(|c| c.request().to_string()).collect();
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let file = file.to_string_lossy().into_owned();
    let mut args: Vec<&str> = vec!["eval"];
    args.extend_from_slice(source);
    args.extend_from_slice(&[
        "--hook",
        hook_name(hook),
        "--request",
        &file,
        "--format",
        "json",
    ]);
    let o = dictum(&args);
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    let mut failures = Vec::new();
    if o.status.code() != Some(0) {
        failures.push(format!(
            "[{via}] `dictum {}` exited with {:?}\nstderr:\n{stderr}",
            args.join(" "),
            o.status.code()
        ));
    }
    let mut by_request: BTreeMap<u64, Value> = BTreeMap::new();
    for line in stdout.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<Value>(line) {
            Ok(v) => match v["request"].as_u64() {
                Some(n) => {
                    by_request.insert(n, v);
                }
                None => failures.push(format!(
                    "[{via}] output line without a request number: {line}"
                )),
            },
            Err(e) => failures.push(format!("[{via}] output line is not JSON ({e}): {line}")),
        }
    }
    if by_request.len() != cases.len() {
        failures.push(format!(
            "[{via}] {}: {} requests, {} decisions\nstdout:\n{stdout}\nstderr:\n{stderr}",
            hook_name(hook),
            cases.len(),
            by_request.len()
        ));
    }
    for (i, c) in cases.iter().enumerate() {
        let actual = match by_request.get(&(i as u64 + 1)) {
            Some(v) => actual_from_cli(hook, v),
            None => Err("no output line for this request".to_string()),
        };
        failures.extend(report(c, via, actual));
    }
    failures
}

#[test]
fn library_decisions_through_the_cli() {
    let dir = scratch("cli");
    let cases = cases();
    let mut failures = Vec::new();
    for hook in Hook::ALL {
        let here: Vec<&Case> = cases.iter().filter(|c| c.hook == hook).collect();
        failures.extend(eval_hook(&dir, &["policies/"], "cli", hook, &here));
    }
    assert!(
        failures.is_empty(),
        "{} problems:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn library_decisions_through_a_compiled_bundle() {
    let dir = scratch("bundle");
    let bundle = dir.join("library.bundle").to_string_lossy().into_owned();
    let o = dictum(&["compile", "policies/", "-o", &bundle]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "dictum compile failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        Path::new(&bundle).is_file(),
        "dictum compile wrote no bundle"
    );
    let cases = cases();
    let mut failures = Vec::new();
    for hook in Hook::ALL {
        let here: Vec<&Case> = cases.iter().filter(|c| c.hook == hook).collect();
        failures.extend(eval_hook(
            &dir,
            &["--bundle", &bundle],
            "bundle",
            hook,
            &here,
        ));
    }
    assert!(
        failures.is_empty(),
        "{} problems:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn eval_rejects_a_request_with_a_bad_field() {
    let dir = scratch("bad-field");
    let good = Bank.base();
    let bad = merged(Bank.base(), json!({"client": {"ip": "not-an-ip"}}));
    let file = dir.join("bad.json");
    std::fs::write(&file, serde_json::to_string_pretty(&bad).unwrap()).unwrap();
    let file = file.to_string_lossy().into_owned();

    let o = dictum(&["eval", "policies/", "--hook", "access", "--request", &file]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(1),
        "stdout:\n{}\nstderr:\n{stderr}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(
        stderr.contains("client.ip"),
        "the error does not name `client.ip`:\n{stderr}"
    );
    assert!(stderr.contains("error"), "{stderr}");

    let o = dictum(&[
        "eval",
        "policies/",
        "--hook",
        "access",
        "--request",
        &file,
        "--format",
        "json",
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(
        o.status.code(),
        Some(1),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("not one JSON object ({e}):\n{stdout}"));
    assert_eq!(v["path"], "client.ip", "{v}");
    assert!(
        v["error"].as_str().is_some_and(|e| e.contains("client.ip")),
        "{v}"
    );

    // In JSON lines, the bad request is reported and the good ones are still decided.
    let lines = format!("{good}\n{bad}\n{good}\n");
    let file = dir.join("mixed.jsonl");
    std::fs::write(&file, lines).unwrap();
    let file = file.to_string_lossy().into_owned();
    let o = dictum(&[
        "eval",
        "policies/",
        "--hook",
        "access",
        "--request",
        &file,
        "--format",
        "json",
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(1), "{stdout}");
    let out: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(out.len(), 3, "{stdout}");
    assert_eq!(out[0]["decision"], "allow", "{stdout}");
    assert_eq!(out[1]["path"], "client.ip", "{stdout}");
    assert_eq!(out[2]["decision"], "allow", "{stdout}");
    assert_eq!(out[2]["request"], 3, "{stdout}");
}
