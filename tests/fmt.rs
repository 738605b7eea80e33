//! `dictum fmt`: the policy library, golden files, random programs and the CLI.
//!
//! Tree and comment preservation are checked here independently of the formatter's own
//! self-check: trees by their debug text with spans blanked out, comments by a small scanner
//! of its own.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests and benchmarks fail loudly by design"
)]

mod common;

use dictum::fmt::format_policy;
use dictum::source::FileId;
use dictum::syntax::{Limits, parse_policy};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------- helpers

/// The syntax tree of `text` without its spans, as text.
fn tree(text: &str) -> String {
    let f = parse_policy(FileId(0), text, &Limits::default())
        .unwrap_or_else(|d| panic!("does not parse: {}\n{text}", d.message));
    let spans = regex::Regex::new(r"Span \{ file: FileId\(\d+\), start: \d+, end: \d+ \}").unwrap();
    spans.replace_all(&format!("{f:?}"), "_").into_owned()
}

/// Every comment of `text`, sorted (a `//` comment without trailing whitespace).
fn comments(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    while i < b.len() {
        let next = b.get(i + 1).copied();
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'r' if next == Some(b'"') && (i == 0 || !ident(b[i - 1])) => {
                i += 2;
                while i < b.len() && b[i] != b'"' {
                    i += 1;
                }
                i += 1;
            }
            b'/' if next == Some(b'/') => {
                let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                out.push(text[i..end].trim_end().to_string());
                i = end;
            }
            b'/' if next == Some(b'*') => {
                let end = text[i + 2..].find("*/").map(|n| i + 2 + n + 2).unwrap();
                out.push(text[i..end].to_string());
                i = end;
            }
            _ => i += 1,
        }
    }
    out.sort();
    out
}

/// Format `text` and check everything the formatter promises; returns the output.
fn formats_well(name: &str, text: &str) -> String {
    let once = format_policy(text).unwrap_or_else(|d| panic!("{name}: {}\n{text}", d.message));
    let twice = format_policy(&once)
        .unwrap_or_else(|d| panic!("{name}: formatted text fails: {}\n{once}", d.message));
    assert_eq!(
        once, twice,
        "{name}: formatting is not idempotent\n--- input\n{text}\n--- once\n{once}"
    );
    assert_eq!(
        tree(text),
        tree(&once),
        "{name}: the tree changed\n--- input\n{text}\n--- output\n{once}"
    );
    assert_eq!(
        comments(text),
        comments(&once),
        "{name}: the comments changed\n--- input\n{text}\n--- output\n{once}"
    );
    for (n, line) in once.lines().enumerate() {
        assert_eq!(
            line,
            line.trim_end(),
            "{name}: trailing whitespace on line {}\n{once}",
            n + 1
        );
    }
    assert!(
        !once.contains("\n\n\n"),
        "{name}: two blank lines in a row\n{once}"
    );
    assert!(
        !once.starts_with('\n'),
        "{name}: starts with a blank line\n{once}"
    );
    assert!(
        once.is_empty() || (once.ends_with('\n') && !once.ends_with("\n\n")),
        "{name}: bad end of file\n{once:?}"
    );
    once
}

fn policy_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            policy_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "policy") {
            out.push(p);
        }
    }
}

// ---------------------------------------------------------------- the policy library

#[test]
fn policy_library_formats_and_keeps_its_meaning() {
    let mut files = Vec::new();
    policy_files(&common::repo().join("policies"), &mut files);
    files.sort();
    assert!(files.len() >= 20, "found only {} policy files", files.len());
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        formats_well(&f.display().to_string(), &text);
    }
}

// ---------------------------------------------------------------- golden files

#[test]
fn golden_files() {
    let dir = common::repo().join("tests/fmt");
    let cases = common::files_with_ext(&dir, "policy");
    assert!(cases.len() >= 5, "found only {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let text = std::fs::read_to_string(case).unwrap();
        let out = formats_well(&case.display().to_string(), &text);
        assert_ne!(
            out,
            text,
            "{}: the input of a golden test should not already be canonical",
            case.display()
        );
        if let Err(e) = common::golden(&case.with_extension("expected"), &out) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// docs/FORMAT.md shows canonical layout: each of its examples formats to itself.
#[test]
fn documented_examples_are_canonical() {
    let text = std::fs::read_to_string(common::repo().join("docs/FORMAT.md")).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match (&mut current, line.trim()) {
            (None, "```dictum") => current = Some(String::new()),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some(b), _) => {
                // The blocks sit in a list, indented by 2.
                b.push_str(line.strip_prefix("  ").unwrap_or(line));
                b.push('\n');
            }
            _ => {}
        }
    }
    assert!(blocks.len() >= 2);
    for b in blocks {
        assert_eq!(formats_well("docs/FORMAT.md", &b), b);
    }
}

// ---------------------------------------------------------------- corner cases

#[test]
fn corner_cases() {
    let cases: &[(&str, &str)] = &[
        ("", ""),
        ("\n\n  \n", ""),
        ("// only a comment", "// only a comment\n"),
        ("// a\n\n\n/* b */\n", "// a\n\n/* b */\n"),
        // Windows line endings, tabs, trailing spaces in a comment.
        (
            "const\tx = 1;   // note   \r\n\r\nconst y = 2;\r\n",
            "const x = 1; // note\n\nconst y = 2;\n",
        ),
        // Subtraction and negative numbers.
        ("const x = a-1 - -1+b;", "const x = a - 1 - -1 + b;\n"),
        // `>` then `=`.
        (
            "const x:set<string>={\"a\",};",
            "const x: set<string> = {\"a\"};\n",
        ),
        // A field of an integer keeps its space; a quantifier over a literal keeps its colon apart.
        ("const x = 1 .x;", "const x = 1 .x;\n"),
        (
            "const x = any t in 09:00 : t;",
            "const x = any t in 09:00 : t;\n",
        ),
        (
            "const x = all t in a + ::1 : t;",
            "const x = all t in a + ::1 : t;\n",
        ),
        ("const x = any t in s : t;", "const x = any t in s: t;\n"),
        // Literals exactly as written.
        (
            "const x = {r\"^\\d+$\", \"a\\\"b\\u{1F600}\", 007, 1h30m, 2001:DB8::/32, ::ffff:1.2.3.4, 2026-01-01T09:00:00Z, 17:30:00, action::read};",
            "const x = {r\"^\\d+$\", \"a\\\"b\\u{1F600}\", 007, 1h30m, 2001:DB8::/32, ::ffff:1.2.3.4, 2026-01-01T09:00:00Z, 17:30:00, action::read};\n",
        ),
        // Comment markers inside strings are not comments.
        (
            "const x = \"// no\" ; const y = r\"/* no */\";",
            "const x = \"// no\";\nconst y = r\"/* no */\";\n",
        ),
        // Empty blocks, with and without a comment.
        (
            "platform{policy \"p\" on access{}}",
            "platform {\n  policy \"p\" on access {}\n}\n",
        ),
        (
            "platform{policy \"p\" on access{/* todo */}}",
            "platform {\n  policy \"p\" on access { /* todo */\n  }\n}\n",
        ),
        (
            "platform{\n  // nothing yet\n}",
            "platform {\n  // nothing yet\n}\n",
        ),
        // Parentheses are kept, even redundant ones.
        (
            "const x = ((a)) or (not(b));",
            "const x = ((a)) or (not (b));\n",
        ),
        ("const x = f (a,b,) ;", "const x = f(a, b);\n"),
    ];
    for (input, expected) in cases {
        let out = formats_well(&format!("{input:?}"), input);
        assert_eq!(&out, expected, "input {input:?}");
    }
}

#[test]
fn syntax_errors_are_the_parsers_diagnostics() {
    let d = format_policy("platform { policy \"p\" on access { permit when ; } }").unwrap_err();
    assert_eq!(d.code.as_str(), "E0101");
    let d = format_policy("const x = 10.0.0.1/8;").unwrap_err();
    assert_eq!(d.code.as_str(), "E0104");
}

#[test]
fn long_rules_break_before_top_level_operators() {
    let long = format!(
        "platform {{ policy \"p\" on access {{ permit when {} or z; }} }}",
        ["x == \"aaaaaaaaaaaaaaaa\""; 5].join(" and ")
    );
    let out = formats_well("long", &long);
    let lines: Vec<&str> = out.lines().collect();
    // `or` is the top-level chain; the `and`s inside its first operand stay on their line.
    assert_eq!(
        lines[2],
        format!(
            "    permit when {}",
            ["x == \"aaaaaaaaaaaaaaaa\""; 5].join(" and ")
        )
    );
    assert_eq!(lines[3], "        or z;");
    // At exactly 100 columns a rule stays on one line; at 101 it breaks.
    for (width, lines_expected) in [(100, 1), (101, 2)] {
        let head = "    permit when a and ";
        let name = "b".repeat(width - head.len() - 1);
        let text = format!("platform {{\n  policy \"p\" on access {{\n{head}{name};\n  }}\n}}\n");
        let out = formats_well("width", &text);
        assert_eq!(out.lines().count(), 4 + lines_expected, "{out}");
    }
}

// ---------------------------------------------------------------- random programs

/// Builds a random well-formed program from a byte string, as tokens joined by random
/// whitespace and comments. Running out of bytes always picks the smallest choice, so
/// every byte string gives a finite program and shrinking gives simpler ones.
struct Gen<'a> {
    bytes: &'a [u8],
    at: usize,
    text: String,
    comments: usize,
}

impl Gen<'_> {
    fn pick(&mut self, n: usize) -> usize {
        let b = self.bytes.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b as usize % n
    }

    fn one<'s>(&mut self, of: &[&'s str]) -> &'s str {
        of[self.pick(of.len())]
    }

    /// Whitespace or comments between two tokens: never empty.
    fn sep(&mut self) {
        self.comments += 1;
        let n = self.comments;
        let s = match self.pick(24) {
            0..=11 => " ".to_string(),
            12 => "\n    ".to_string(),
            13 => "\n\n\n".to_string(),
            14 => "\t".to_string(),
            15 => "\r\n".to_string(),
            16 => format!(" /* c{n} */ "),
            17 => format!("/*c{n}*/"),
            18 => format!(" // c{n} \"q\" /* x\n"),
            19 => format!("\n  // c{n}\n\n  "),
            20 => format!("\n/* c{n} a\n   b ** / */\n"),
            21 => format!(" /** c{n} **/\n\n"),
            22 => format!("\n\n  /* c{n} */ "),
            _ => format!("   //// c{n}\n"),
        };
        self.text.push_str(&s);
    }

    fn tok(&mut self, t: &str) {
        self.sep();
        self.text.push_str(t);
    }

    fn ident(&mut self) {
        let i = self.one(&[
            "x", "read", "user", "object", "tags", "level", "a_1", "_b", "permit", "policy", "r",
            "anyx", "notx", "domain",
        ]);
        self.tok(i);
    }

    fn string(&mut self) {
        let s = self.one(&[
            "\"p\"",
            "\"a b\"",
            "\"http://x.example/*y*/\"",
            "\"// not a comment\"",
            "\"esc \\\" \\\\ \\n \\t \\u{1F600}\"",
            "r\"^\\d+$\"",
            "r\"/* raw */\"",
            "\"\"",
            "\"ünïcödé\"",
        ]);
        self.tok(s);
    }

    fn hook(&mut self) {
        let h = self.one(&["access", "instantiate", "egress", "encrypt", "log"]);
        self.tok(h);
    }

    fn ty(&mut self, depth: usize) {
        if depth > 0 && self.pick(3) == 2 {
            self.tok("set");
            self.tok("<");
            self.ty(depth - 1);
            self.tok(">");
        } else {
            let t = self.one(&["string", "int", "cidr", "weekday"]);
            self.tok(t);
        }
    }

    fn leaf(&mut self) {
        match self.pick(4) {
            0 => self.ident(),
            1 => self.string(),
            _ => {
                let l = self.one(&[
                    "0",
                    "42",
                    "-7",
                    "007",
                    "true",
                    "false",
                    "10.1.2.3",
                    "::1",
                    "fe80::1",
                    "2001:db8::8a2e:370:7334",
                    "::ffff:10.0.0.1",
                    "10.0.0.0/8",
                    "2001:db8::/32",
                    "0.0.0.0/0",
                    "90s",
                    "1h30m",
                    "7d",
                    "09:00",
                    "17:30:00",
                    "2026-01-01T09:00:00Z",
                    "action::read",
                    "clearance::secret",
                ]);
                self.tok(l);
            }
        }
    }

    fn expr(&mut self, d: usize) {
        if d > 0 && self.pick(6) == 5 {
            let q = self.one(&["any", "all"]);
            self.tok(q);
            self.ident();
            self.tok("in");
            self.sum(d - 1);
            self.tok(":");
            self.expr(d - 1);
        } else {
            self.or(d);
        }
    }

    fn or(&mut self, d: usize) {
        self.and(d);
        for _ in 0..self.pick(3) {
            self.tok("or");
            self.and(d);
        }
    }

    fn and(&mut self, d: usize) {
        self.not(d);
        for _ in 0..self.pick(4) {
            self.tok("and");
            self.not(d);
        }
    }

    fn not(&mut self, d: usize) {
        for _ in 0..self.pick(4) / 2 {
            self.tok("not");
        }
        self.sum(d);
        if self.pick(2) == 1 {
            let op = self.one(&[
                "==", "!=", "<=", ">=", "<", ">", "in", "has", "like", "matches", "under",
                "has any", "has all",
            ]);
            for w in op.split(' ') {
                self.tok(w);
            }
            self.sum(d);
        }
    }

    fn sum(&mut self, d: usize) {
        self.postfix(d);
        for _ in 0..self.pick(4) / 2 {
            let op = self.one(&["+", "-"]);
            self.tok(op);
            self.postfix(d);
        }
    }

    fn postfix(&mut self, d: usize) {
        let fields_allowed = self.primary(d);
        if fields_allowed && self.pick(3) == 2 {
            for _ in 0..=self.pick(2) {
                self.tok(".");
                self.ident();
            }
        }
    }

    /// Returns whether `.field` may follow.
    fn primary(&mut self, d: usize) -> bool {
        if d == 0 {
            self.leaf();
            return false;
        }
        match self.pick(6) {
            1 => {
                self.tok("(");
                self.expr(d - 1);
                self.tok(")");
                true
            }
            2 => {
                let f = self.one(&["lub", "glb", "label"]);
                self.tok(f);
                self.args(d - 1);
                true
            }
            3 => {
                self.tok("{");
                let n = self.pick(4);
                self.list(n, |g| g.expr(d - 1));
                self.tok("}");
                false
            }
            5 => {
                self.ident();
                true
            }
            _ => {
                self.leaf();
                false
            }
        }
    }

    /// `n` comma-separated things, maybe with a trailing comma.
    fn list(&mut self, n: usize, mut each: impl FnMut(&mut Self)) {
        for i in 0..n {
            if i > 0 {
                self.tok(",");
            }
            each(self);
        }
        if n > 0 && self.pick(3) == 2 {
            self.tok(",");
        }
    }

    fn args(&mut self, d: usize) {
        self.tok("(");
        let n = self.pick(4);
        self.list(n, |g| g.expr(d));
        self.tok(")");
    }

    fn names(&mut self) {
        self.ident();
        for _ in 0..self.pick(3) {
            self.tok(",");
            self.ident();
        }
    }

    fn rules(&mut self) {
        self.tok("{");
        for _ in 0..self.pick(5) {
            match self.pick(6) {
                0 | 1 => {
                    let kw = self.one(&["permit", "forbid"]);
                    self.tok(kw);
                    if self.pick(2) == 1 {
                        self.names();
                    }
                    self.when();
                }
                2 => {
                    self.tok("use");
                    self.ident();
                    self.when();
                }
                3 => {
                    self.tok("default");
                    self.ident();
                }
                _ => {
                    let kw = self.one(&["record", "redact"]);
                    self.tok(kw);
                    self.names();
                    self.when();
                }
            }
            self.tok(";");
        }
        self.tok("}");
    }

    fn when(&mut self) {
        if self.pick(4) != 0 {
            self.tok("when");
            let d = self.pick(4);
            self.expr(d);
        }
    }

    fn use_decl(&mut self) {
        self.tok("use");
        self.ident();
        self.args(2);
        if self.pick(2) == 1 {
            self.tok("as");
            self.string();
        }
        self.tok(";");
    }

    fn block(&mut self, depth: usize) {
        self.tok("{");
        for _ in 0..self.pick(4) {
            match self.pick(if depth > 0 { 4 } else { 2 }) {
                0 => {
                    self.tok("policy");
                    self.string();
                    self.tok("on");
                    self.hook();
                    self.rules();
                }
                1 => self.use_decl(),
                _ => {
                    let kw = self.one(&["class", "tag", "user"]);
                    self.tok(kw);
                    self.string();
                    self.block(depth - 1);
                }
            }
        }
        self.tok("}");
    }

    fn program(&mut self) {
        for _ in 0..self.pick(5) {
            match self.pick(7) {
                0 => {
                    self.tok("const");
                    self.ident();
                    if self.pick(2) == 1 {
                        self.tok(":");
                        self.ty(2);
                    }
                    self.tok("=");
                    self.expr(3);
                    self.tok(";");
                }
                1 => {
                    self.tok("lattice");
                    self.ident();
                    self.tok("{");
                    self.ident();
                    for _ in 0..self.pick(3) {
                        self.tok("<");
                        self.ident();
                    }
                    self.tok("}");
                }
                2 => {
                    self.tok("lattice");
                    self.ident();
                    self.tok("=");
                    self.ident();
                    self.tok("with");
                    self.tok("{");
                    let n = self.pick(3) + 1;
                    self.list(n, |g| g.ident());
                    self.tok("}");
                    self.tok(";");
                }
                3 => {
                    self.tok("template");
                    self.ident();
                    self.tok("(");
                    let n = self.pick(3);
                    self.list(n, |g| {
                        g.ident();
                        g.tok(":");
                        g.ty(2);
                    });
                    self.tok(")");
                    self.tok("on");
                    self.hook();
                    self.rules();
                }
                4 => {
                    self.tok("platform");
                    self.block(0);
                }
                5 => {
                    self.tok("domain");
                    self.string();
                    self.block(1);
                }
                _ => {
                    self.tok("domain");
                    self.string();
                    self.use_decl();
                }
            }
        }
        self.sep();
    }
}

fn random_program(bytes: &[u8]) -> String {
    let mut g = Gen {
        bytes,
        at: 0,
        text: String::new(),
        comments: 0,
    };
    g.program();
    g.text
}

proptest! {
    // 500 cases by default; `DICTUM_FMT_CASES=100000` for a long search.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("DICTUM_FMT_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(500),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_programs_format_well(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let text = random_program(&bytes);
        formats_well("random program", &text);
    }
}

/// The generator does reach the interesting parts.
#[test]
fn random_programs_are_varied() {
    let mut all = String::new();
    for seed in 0..200u32 {
        let bytes: Vec<u8> = (0..600u32)
            .map(|i| {
                (seed
                    .wrapping_mul(2_654_435_761)
                    .wrapping_add(i.wrapping_mul(40_503))
                    >> 7) as u8
            })
            .collect();
        all.push_str(&random_program(&bytes));
    }
    for needle in [
        "template", "lattice", "domain", "class", "any", "has any", "/*", "//", "r\"", "::1", "{",
        "(", ".", "\r\n",
    ] {
        assert!(
            all.contains(needle),
            "the generator never produced `{needle}`"
        );
    }
}

// ---------------------------------------------------------------- the command

use common::{dictum, stderr, stdout};

fn scratch(name: &str) -> PathBuf {
    common::scratch("fmt", name)
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

const MESSY: &str =
    "// access\nplatform{policy \"p\" on access{permit read,write when a==1 ;   // trailing\n}}\n";
const TIDY: &str = "// access\nplatform {\n  policy \"p\" on access {\n    permit read, write when a == 1; // trailing\n  }\n}\n";

#[test]
fn cli_check_lists_files_that_would_change() {
    let d = scratch("check");
    let messy = write(&d, "a/messy.policy", MESSY);
    write(&d, "a/b/tidy.policy", TIDY);
    let o = dictum(&["fmt", "--check", d.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stdout(&o), format!("{messy}\n"));
    assert!(
        stderr(&o).contains("checked 2 files: 1 would change, 1 unchanged"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_to_string(&messy).unwrap(),
        MESSY,
        "--check must not write"
    );
}

#[test]
fn cli_check_on_clean_files_exits_zero() {
    let d = scratch("clean");
    let tidy = write(&d, "tidy.policy", TIDY);
    let o = dictum(&["fmt", "--check", &tidy]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
}

#[test]
fn cli_rewrites_in_place() {
    let d = scratch("rewrite");
    let messy = write(&d, "messy.policy", MESSY);
    let tidy = write(&d, "tidy.policy", TIDY);
    let o = dictum(&["fmt", d.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "", "only a summary, on stderr");
    assert!(
        stderr(&o).contains("formatted 2 files: 1 changed, 1 unchanged"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read_to_string(&messy).unwrap(), TIDY);
    assert_eq!(std::fs::read_to_string(&tidy).unwrap(), TIDY);
    let o = dictum(&["fmt", "--check", d.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn cli_syntax_error_is_reported_and_other_files_still_formatted() {
    let d = scratch("syntax");
    let bad = write(
        &d,
        "bad.policy",
        "platform {\n  policy \"p\" on access {\n    permit when a == ;\n  }\n}\n",
    );
    let messy = write(&d, "messy.policy", MESSY);
    let o = dictum(&["fmt", d.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("E0101") && err.contains("bad.policy:3:"),
        "{err}"
    );
    assert!(
        err.contains("formatted 2 files: 1 changed, 0 unchanged, 1 with errors"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&messy).unwrap(), TIDY);
    assert!(std::fs::read_to_string(&bad).unwrap().contains("a == ;"));
    let o = dictum(&["fmt", "--check", &bad]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    // Not UTF-8: the same diagnostic as `dictum check`.
    let p = d.join("bin.policy");
    std::fs::write(&p, b"const x = \"\xff\";\n").unwrap();
    let o = dictum(&["fmt", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("E0105") && stderr(&o).contains("not valid UTF-8"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn cli_usage_and_io_errors_exit_two() {
    let o = dictum(&["fmt"]);
    assert_eq!(o.status.code(), Some(2));
    let o = dictum(&["fmt", "/no/such/file.policy"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot read `/no/such/file.policy`"),
        "{}",
        stderr(&o)
    );
    let d = scratch("empty");
    let o = dictum(&["fmt", d.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no `.policy` files"), "{}", stderr(&o));
}

#[test]
fn cli_help() {
    let o = dictum(&["fmt", "--help"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(
        out.contains("Usage: dictum fmt") && out.contains("--check") && out.contains("Exit status"),
        "{out}"
    );
    let o = dictum(&["--help"]);
    assert!(stdout(&o).contains("fmt"), "{}", stdout(&o));
}
