//! The parser and checker never panic or overflow the stack, whatever the input: deep
//! nesting, long chains, huge literals, random bytes and random token soups all end in a
//! program or a diagnostic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests and benchmarks fail loudly by design"
)]

use dictum::check::check_sources;
use dictum::error::Code;
use dictum::schema::Schema;
use dictum::source::{FileId, Sources};
use dictum::syntax::{Limits, parse_expr, parse_policy};
use proptest::prelude::*;

fn check_text(text: &str) -> dictum::check::Checked {
    let mut s = Sources::new();
    s.add("t.policy", text);
    check_sources(&s, Schema::standard().unwrap(), &Limits::default())
}

fn first_code(text: &str) -> Option<Code> {
    check_text(text).diagnostics.first().map(|d| d.code)
}

#[test]
fn deep_parentheses_are_an_error_not_a_crash() {
    for depth in [65, 1_000, 200_000] {
        let text = format!("const x = {}true{};", "(".repeat(depth), ")".repeat(depth));
        assert_eq!(
            first_code(&text),
            Some(Code::NestingTooDeep),
            "depth {depth}"
        );
    }
}

#[test]
fn deep_sets_and_unclosed_brackets_are_errors() {
    assert_eq!(first_code(&"{".repeat(100_000)), Some(Code::NestingTooDeep));
    assert_eq!(
        first_code(&format!("const x = {};", "{".repeat(100_000))),
        Some(Code::NestingTooDeep)
    );
}

#[test]
fn deep_set_types_are_an_error_not_a_crash() {
    // Types nest through `set<...>` without brackets; 800,000 levels (a 4 MB file) once
    // overflowed the stack.
    for depth in [65, 1_000, 800_000] {
        let ty = format!("{}int{}", "set<".repeat(depth), ">".repeat(depth));
        assert_eq!(
            first_code(&format!("const x: {ty} = {{}};")),
            Some(Code::NestingTooDeep),
            "constant type, depth {depth}"
        );
        assert_eq!(
            first_code(&format!(
                "template t(x: {ty}) on access {{ permit when user.authenticated; }}"
            )),
            Some(Code::NestingTooDeep),
            "parameter type, depth {depth}"
        );
        let limits = Limits {
            max_file_bytes: 8 << 20,
            ..Limits::default()
        };
        let schema = format!("entity extra on access {{ a: {ty}; }}");
        let diags = dictum::schema::load(
            FileId(0),
            &schema,
            &mut Schema::standard().unwrap(),
            &limits,
        );
        assert_eq!(
            diags.first().map(|d| d.code),
            Some(Code::NestingTooDeep),
            "schema attribute type, depth {depth}"
        );
    }
    // Comparisons are not types: a long chain of `>` and `<` outside types counts nothing.
    let text = format!(
        "platform {{ policy \"p\" on instantiate {{ permit when {}; }} }}",
        (0..100)
            .map(|i| format!("server.tier {} {i}", if i % 2 == 0 { ">" } else { "<" }))
            .collect::<Vec<_>>()
            .join(" or ")
    );
    assert!(!check_text(&text).has_errors());
}

#[test]
fn nesting_at_the_limit_checks_fine() {
    // 60 parentheses inside a rule, inside a policy and a block: just under the limit.
    let body = format!("{}user.authenticated{}", "(".repeat(60), ")".repeat(60));
    let text = format!("platform {{ policy \"p\" on access {{ permit when {body}; }} }}");
    let c = check_text(&text);
    assert!(!c.has_errors(), "{:?}", c.diagnostics);
}

#[test]
fn long_not_chains_are_an_error() {
    let text = format!("const x = {}true;", "not ".repeat(100_000));
    assert_eq!(first_code(&text), Some(Code::NestingTooDeep));
}

#[test]
fn long_and_or_chains_are_fine() {
    // Generated policies have long alternatives; they must not be limited by depth.
    let alts: Vec<String> = (0..20_000)
        .map(|i| format!("client.country == \"C{i}\""))
        .collect();
    let text = format!(
        "platform {{ policy \"p\" on access {{ permit when {}; }} }}",
        alts.join(" or ")
    );
    let c = check_text(&text);
    assert!(!c.has_errors(), "{:?}", c.diagnostics.first());
}

#[test]
fn long_sums_are_an_error() {
    let text = format!("const x = 1{};", " + 1".repeat(10_000));
    assert_eq!(first_code(&text), Some(Code::NestingTooDeep));
}

#[test]
fn nested_quantifiers_are_bounded() {
    let q: String = (0..200).map(|i| format!("any v{i} in {{1}}: ")).collect();
    let text = format!("platform {{ policy \"p\" on access {{ permit when {q}true; }} }}");
    assert_eq!(first_code(&text), Some(Code::NestingTooDeep));
}

#[test]
fn huge_literals_are_errors() {
    assert_eq!(
        first_code(&format!("const x = {};", "9".repeat(100_000))),
        Some(Code::InvalidLiteral)
    );
    let long_string = format!("const x = \"{}\";", "a".repeat(1 << 20));
    assert_eq!(first_code(&long_string), Some(Code::InvalidLiteral));
    let big_set: Vec<String> = (0..100_001).map(|i| i.to_string()).collect();
    assert_eq!(
        first_code(&format!("const x = {{{}}};", big_set.join(","))),
        Some(Code::InvalidLiteral)
    );
}

#[test]
fn oversized_files_are_rejected_before_parsing() {
    let limits = Limits {
        max_file_bytes: 100,
        ..Limits::default()
    };
    let err = parse_policy(FileId(0), &" ".repeat(101), &limits).unwrap_err();
    assert_eq!(err.code, Code::FileTooLarge);
}

#[test]
fn long_durations_and_ints_do_not_overflow() {
    assert_eq!(
        first_code("const d = 99999999999999999d;"),
        Some(Code::InvalidLiteral)
    );
    assert_eq!(
        first_code("const i = -9223372036854775808;"),
        Some(Code::UnusedConstant)
    );
}

#[test]
fn literals_parse_to_the_right_values() {
    let l = Limits::default();
    for (text, ok) in [
        ("10.0.0.0/8", true),
        ("2001:db8::/32", true),
        ("::1", true),
        ("fe80::1:2", true),
        ("09:30", true),
        ("2026-01-01T00:00:00Z", true),
        ("1h30m", true),
        ("object::x", true),
        ("1.2.3", false),
        ("1.5", false),
    ] {
        assert_eq!(parse_expr(FileId(0), text, &l).is_ok(), ok, "{text}");
    }
}

const TOKENS: &[&str] = &[
    "platform",
    "domain",
    "\"d\"",
    "policy",
    "\"p\"",
    "on",
    "access",
    "egress",
    "{",
    "}",
    "(",
    ")",
    "permit",
    "forbid",
    "when",
    "and",
    "or",
    "not",
    "in",
    "has",
    "any",
    "all",
    ":",
    ";",
    ",",
    ".",
    "client",
    "ip",
    "country",
    "==",
    "<=",
    "10.0.0.0/8",
    "::1",
    "09:00",
    "1h",
    "42",
    "-1",
    "\"x\"",
    "const",
    "c",
    "=",
    "template",
    "t",
    "use",
    "like",
    "matches",
    "under",
    "lub",
    "lattice",
    "<",
    "with",
    "class",
    "user",
    "default",
    "allow",
    "record",
    "redact",
    "client_ip",
    "encrypt",
    "log",
    "aes_256_gcm",
    "true",
    "false",
    "set",
    ">",
    "/*",
    "*/",
    "//",
    "\n",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = check_text(&text);
    }

    #[test]
    fn random_token_soup_never_panics(toks in proptest::collection::vec(proptest::sample::select(TOKENS), 0..120)) {
        let text = toks.join(" ");
        let c = check_text(&text);
        // A program exists exactly when there is no error.
        prop_assert_eq!(c.program.is_some(), !c.has_errors());
    }
}

#[test]
fn parser_findings_from_the_formatter_work() {
    // `name::value` is a qualified value even when its letters spell an IPv6 address.
    let c = check_text(
        "lattice hexes { cafe < face }\nconst x = hexes::face;\nplatform { policy \"p\" on access { permit when x == cafe; } }",
    );
    assert!(!c.has_errors(), "{:?}", c.diagnostics);
    // `ms` is not a duration unit (it used to be read as minutes then seconds).
    assert_eq!(first_code("const d = 100ms;"), Some(Code::Syntax));
    // `has any` is an operator, not a quantifier: many of them are not deep nesting.
    let chain: Vec<String> = (0..70)
        .map(|_| "object.tags has any {\"a\"}".to_string())
        .collect();
    let text = format!(
        "platform {{ policy \"p\" on access {{ permit when {}; }} }}",
        chain.join(" or ")
    );
    assert!(!check_text(&text).has_errors());
    // A raw string ending in a backslash does not hide what follows from the depth check.
    let text = format!(
        "const x = r\"\\\"; const y = {}1{};",
        "(".repeat(200_000),
        ")".repeat(200_000)
    );
    assert_eq!(first_code(&text), Some(Code::NestingTooDeep));
}

#[test]
fn rule_count_limit_is_a_diagnostic_and_configurable() {
    let rules: String = (0..50)
        .map(|i| format!("permit when server.tier == {i};\n"))
        .collect();
    let text = format!("platform {{ policy \"p\" on instantiate {{ {rules} }} }}");
    let mut s = Sources::new();
    s.add("t.policy", text);
    let tight = Limits {
        max_rules: 10,
        ..Limits::default()
    };
    let c = check_sources(&s, Schema::standard().unwrap(), &tight);
    assert_eq!(
        c.diagnostics.first().map(|d| d.code),
        Some(Code::FileTooLarge)
    );
    assert!(
        c.diagnostics[0]
            .message
            .contains("50 rules, more than the limit of 10")
    );
    let c = check_sources(&s, Schema::standard().unwrap(), &Limits::default());
    assert!(!c.has_errors());
}
