//! `dictum test`: run the `test` blocks of the policies (and `*.cases.json` tables), report
//! like `cargo test`, as JUnit XML or JSON, and measure rule and condition coverage.

use crate::project::{self, Format as DiagFormat, plural};
use clap::ValueEnum;
use dictum::check::program::{Expect, Outcome, Program, TestCase};
use dictum::engine::Engine;
use dictum::source::{Sources, Span};
use dictum::suite::{Report, RuleCoverage};
use dictum::types::Hook;
use serde_json::{Value as Json, json};
use std::path::{Path, PathBuf};

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Junit,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoverageFormat {
    Human,
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: project::Input,
    /// Run only the tests whose name matches this regular expression
    #[arg(long, value_name = "REGEX")]
    filter: Option<String>,
    /// Output format of the results
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Report rule and condition coverage, with what is not covered and why
    #[arg(long)]
    coverage: bool,
    /// Format of the coverage report (implies --coverage)
    #[arg(long, value_enum)]
    coverage_format: Option<CoverageFormat>,
    /// Fail when coverage is below this percentage (implies --coverage)
    #[arg(long, value_name = "PERCENT")]
    fail_under: Option<f64>,
    /// Succeed when no test is found (an error otherwise)
    #[arg(long)]
    allow_empty: bool,
}

fn usage(msg: &str) -> u8 {
    eprintln!("error: {msg}");
    project::EXIT_USAGE
}

pub fn run(args: Args) -> u8 {
    let filter = match args.filter.as_deref().map(regex::Regex::new).transpose() {
        Ok(f) => f,
        Err(e) => return usage(&format!("invalid --filter: {e}")),
    };
    let limits = args.input.limits.limits();
    // Compile errors are diagnostics, but `dictum test` exits 2 on them: nothing was tested.
    let (sources, mut program) = match project::check_paths(
        &args.input.paths,
        args.input.schema.as_deref(),
        &limits,
        DiagFormat::Human,
        args.input.color.enabled(),
    ) {
        Ok(r) => r,
        Err(_) => return project::EXIT_USAGE,
    };
    if let Err(e) = add_case_tables(&args.input.paths, &sources, &mut program) {
        return usage(&e);
    }
    let accept = |name: &str| filter.as_ref().is_none_or(|f| f.is_match(name));
    let selected = program.tests.iter().filter(|t| accept(&t.name)).count();
    if selected == 0 && !args.allow_empty {
        return usage(if program.tests.is_empty() {
            "no tests found; write `test \"NAME\" on HOOK { ... }` blocks (or pass --allow-empty)"
        } else {
            "no test matches --filter (pass --allow-empty to accept that)"
        });
    }
    let report = match dictum::suite::run(&program, &sources, &accept) {
        Ok(r) => r,
        Err(e) => return usage(&e.to_string()),
    };
    match args.format {
        Format::Human => human(&report, &program, &sources),
        Format::Json => crate::outln!(
            "{}",
            json_report(
                &report,
                &program,
                &sources,
                args.coverage || args.fail_under.is_some()
            )
        ),
        Format::Junit => crate::out!("{}", junit(&report, &program, &sources)),
    }
    let want_coverage =
        args.coverage || args.coverage_format.is_some() || args.fail_under.is_some();
    let mut code = if report.failed() > 0 {
        project::EXIT_FAIL
    } else {
        project::EXIT_OK
    };
    if want_coverage {
        let pct = report.coverage_percent();
        match args.coverage_format {
            Some(CoverageFormat::Json) => crate::outln!("{}", coverage_json(&report, &sources)),
            _ if args.format == Format::Human => coverage_human(&report, &sources),
            _ => {}
        }
        if let Some(min) = args.fail_under
            && pct + 1e-9 < min
        {
            eprintln!("error: coverage {pct:.1}% is below --fail-under {min}%");
            code = project::EXIT_FAIL;
        }
    }
    code
}

fn location(sources: &Sources, t: &TestCase) -> String {
    match &t.origin {
        Some(o) => o.clone(),
        None => span_text(sources, t.span),
    }
}

fn span_text(sources: &Sources, span: Span) -> String {
    let (l, c) = sources.line_col(span.file, span.start);
    format!("{}:{l}:{c}", sources.name(span.file))
}

fn tests_by_name<'p>(program: &'p Program) -> impl Fn(&str) -> Option<&'p TestCase> {
    move |name| program.tests.iter().find(|t| t.name == name)
}

fn human(report: &Report, program: &Program, sources: &Sources) {
    let find = tests_by_name(program);
    crate::outln!("\nrunning {}", plural(report.results.len(), "test"));
    for r in &report.results {
        crate::outln!(
            "test {} ... {}",
            r.name,
            if r.passed() { "ok" } else { "FAILED" }
        );
    }
    let failed: Vec<_> = report.results.iter().filter(|r| !r.passed()).collect();
    if !failed.is_empty() {
        crate::outln!("\nfailures:");
        for r in &failed {
            let at = find(&r.name)
                .map(|t| location(sources, t))
                .unwrap_or_default();
            crate::outln!("\n---- {} ({} test at {at}) ----", r.name, r.hook);
            for (expected, actual) in &r.failures {
                crate::outln!("  expected: {expected}");
                crate::outln!("  actual:   {actual}");
            }
            if !r.explain.is_empty() {
                crate::outln!("  rules that applied:");
                for line in &r.explain {
                    crate::outln!("    {line}");
                }
            }
        }
        crate::outln!("\nfailures:");
        for r in &failed {
            crate::outln!("    {}", r.name);
        }
    }
    crate::outln!(
        "\ntest result: {}. {} passed; {} failed\nresult: {} passed, {} failed",
        if failed.is_empty() { "ok" } else { "FAILED" },
        report.passed(),
        report.failed(),
        report.passed(),
        report.failed()
    );
}

fn json_report(report: &Report, program: &Program, sources: &Sources, with_coverage: bool) -> Json {
    let find = tests_by_name(program);
    let tests: Vec<Json> = report
        .results
        .iter()
        .map(|r| {
            let at = find(&r.name).map(|t| location(sources, t));
            json!({
                "name": r.name,
                "hook": r.hook.name(),
                "location": at,
                "status": if r.passed() { "passed" } else { "failed" },
                "actual": r.actual,
                "failures": r.failures.iter().map(|(e, a)| json!({"expected": e, "actual": a})).collect::<Vec<_>>(),
                "explain": r.explain,
            })
        })
        .collect();
    let mut v = json!({"passed": report.passed(), "failed": report.failed(), "tests": tests});
    if with_coverage && let Some(o) = v.as_object_mut() {
        o.insert("coverage".into(), coverage_json(report, sources));
    }
    v
}

fn xml(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&apos;".to_string(),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => String::new(),
            c => c.to_string(),
        })
        .collect()
}

fn junit(report: &Report, program: &Program, sources: &Sources) -> String {
    let find = tests_by_name(program);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"dictum\" tests=\"{}\" failures=\"{}\">\n",
        report.results.len(),
        report.failed()
    ));
    for hook in Hook::ALL {
        let rs: Vec<_> = report.results.iter().filter(|r| r.hook == hook).collect();
        if rs.is_empty() {
            continue;
        }
        let failures = rs.iter().filter(|r| !r.passed()).count();
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\">\n",
            hook.name(),
            rs.len()
        ));
        for r in rs {
            let t = find(&r.name);
            let (file, line) = match t {
                Some(t) if t.origin.is_none() => (
                    sources.name(t.span.file).to_string(),
                    sources.line_col(t.span.file, t.span.start).0,
                ),
                Some(t) => (t.origin.clone().unwrap_or_default(), 0),
                None => (String::new(), 0),
            };
            out.push_str(&format!(
                "    <testcase name=\"{}\" classname=\"dictum.{}\" file=\"{}\" line=\"{line}\"",
                xml(&r.name),
                hook.name(),
                xml(&file)
            ));
            if r.passed() {
                out.push_str("/>\n");
            } else {
                let msg: Vec<String> = r
                    .failures
                    .iter()
                    .map(|(e, a)| format!("expected {e}, got {a}"))
                    .collect();
                let mut body: Vec<String> = r
                    .failures
                    .iter()
                    .map(|(e, a)| format!("expected: {e}\nactual:   {a}"))
                    .collect();
                body.extend(r.explain.iter().cloned());
                out.push_str(&format!(
                    ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                    xml(&msg.join("; ")),
                    xml(&body.join("\n"))
                ));
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn source_line(sources: &Sources, span: Span) -> String {
    let Some(f) = sources.get(span.file) else {
        return String::new();
    };
    let (line, _) = sources.line_col(span.file, span.start);
    f.text
        .lines()
        .nth(line.saturating_sub(1))
        .unwrap_or("")
        .trim()
        .to_string()
}

fn coverage_human(report: &Report, sources: &Sources) {
    let total: usize = report.coverage.iter().map(RuleCoverage::total).sum();
    let covered: usize = report.coverage.iter().map(RuleCoverage::covered).sum();
    let rules_full = report.coverage.iter().filter(|r| r.gap().is_none()).count();
    crate::outln!(
        "\ncoverage: {:.1}% ({covered} of {total} outcomes; {rules_full} of {} rules fully covered)",
        report.coverage_percent(),
        report.coverage.len()
    );
    let gaps: Vec<_> = report
        .coverage
        .iter()
        .filter(|r| r.gap().is_some())
        .collect();
    if gaps.is_empty() {
        return;
    }
    crate::outln!("uncovered:");
    for r in gaps {
        crate::outln!(
            "  {}  {}  {}",
            r.id,
            span_text(sources, r.span),
            r.gap().unwrap_or_default()
        );
        crate::outln!("      {}", source_line(sources, r.span));
        for c in &r.conditions {
            let why = match (c.seen_true, c.seen_false) {
                (false, false) => "never evaluated",
                (false, true) => "never true",
                (true, false) => "never false",
                (true, true) => continue,
            };
            crate::outln!(
                "      condition `{}` at {}: {why}",
                sources.snippet(c.span),
                span_text(sources, c.span)
            );
        }
    }
}

fn coverage_json(report: &Report, sources: &Sources) -> Json {
    let rules: Vec<Json> = report
        .coverage
        .iter()
        .map(|r| {
            let (line, column) = sources.line_col(r.span.file, r.span.start);
            json!({
                "id": r.id,
                "file": sources.name(r.span.file),
                "line": line,
                "column": column,
                "evaluated": r.evaluated,
                "matched": r.matched,
                "not_matched": r.not_matched,
                "has_condition": r.has_condition,
                "gap": r.gap(),
                "conditions": r.conditions.iter().map(|c| {
                    let (l, col) = sources.line_col(c.span.file, c.span.start);
                    json!({"text": sources.snippet(c.span), "line": l, "column": col, "true": c.seen_true, "false": c.seen_false})
                }).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({"percent": report.coverage_percent(), "rules": rules})
}

/// Every `*.cases.json` under the paths: tables of cases on top of a fixture.
fn case_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    fn walk(p: &Path, out: &mut Vec<PathBuf>) {
        if p.is_dir() {
            if let Ok(rd) = std::fs::read_dir(p) {
                for e in rd.flatten() {
                    walk(&e.path(), out);
                }
            }
        } else if p.to_string_lossy().ends_with(".cases.json") {
            out.push(p.to_path_buf());
        }
    }
    let mut out = Vec::new();
    for p in paths {
        walk(p, &mut out);
    }
    out.sort();
    out
}

/// Load the JSON case tables into `program.tests`. The format is in docs/TESTING.md.
fn add_case_tables(
    paths: &[PathBuf],
    sources: &Sources,
    program: &mut Program,
) -> Result<(), String> {
    let files = case_files(paths);
    if files.is_empty() {
        return Ok(());
    }
    let bundle = dictum::compile::compile(program, sources).map_err(|e| e.to_string())?;
    let engine = Engine::new(bundle).map_err(|e| e.to_string())?;
    let snap = engine.snapshot();
    let schema = snap.schema().clone();
    for f in files {
        let name = f.display().to_string();
        let text = std::fs::read_to_string(&f)
            .map_err(|e| format!("cannot read `{name}`: {}", e.to_string().to_lowercase()))?;
        let doc: Json =
            serde_json::from_str(&text).map_err(|e| format!("`{name}`: invalid JSON: {e}"))?;
        let bad = |what: &str| format!("`{name}`: {what}");
        let hook = doc
            .get("hook")
            .and_then(Json::as_str)
            .and_then(Hook::from_name)
            .ok_or_else(|| bad("`hook` must name a hook"))?;
        let base: Vec<Option<dictum::value::Value>> = match doc.get("from").and_then(Json::as_str) {
            Some(fx) => program
                .fixtures
                .iter()
                .find(|(n, _)| n == fx)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| bad(&format!("unknown fixture `{fx}`")))?,
            None => vec![None; schema.attrs.len()],
        };
        let cases = doc
            .get("cases")
            .and_then(Json::as_array)
            .ok_or_else(|| bad("`cases` must be an array"))?;
        for (i, c) in cases.iter().enumerate() {
            let at = format!("{name}#{}", i + 1);
            let bad = |what: String| format!("`{at}`: {what}");
            let case_name = c
                .get("name")
                .and_then(Json::as_str)
                .ok_or_else(|| bad("each case needs a `name`".into()))?;
            let patch = c.get("request").cloned().unwrap_or_else(|| json!({}));
            let request = dictum::suite::json_request(&snap, &base, &patch)
                .map_err(|e| bad(e.to_string()))?;
            let mut expect = Vec::new();
            if let Some(o) = c.get("expect").and_then(Json::as_str) {
                let outcome = match o {
                    "allow" => Outcome::Allow,
                    "deny" => Outcome::Deny,
                    other => {
                        return Err(bad(format!("`expect` is `allow` or `deny`, not `{other}`")));
                    }
                };
                expect.push(Expect::Outcome(
                    outcome,
                    c.get("by").and_then(Json::as_str).map(str::to_string),
                ));
            }
            let enum_index =
                |e: &str, v: &str| schema.enum_named(e).and_then(|id| schema.enum_value(id, v));
            if let Some(ci) = c.get("cipher").and_then(Json::as_str) {
                let i = enum_index(dictum::schema::CIPHER_ENUM, ci)
                    .ok_or_else(|| bad(format!("unknown cipher `{ci}`")))?;
                expect.push(Expect::Cipher(i));
            }
            for (key, record) in [("record", true), ("redact", false)] {
                if let Some(list) = c.get(key).and_then(Json::as_array) {
                    let mut m = 0u64;
                    for v in list {
                        let f = v.as_str().unwrap_or("");
                        let i = enum_index(dictum::schema::LOG_FIELD_ENUM, f)
                            .ok_or_else(|| bad(format!("unknown log field `{f}`")))?;
                        m |= 1u64 << i;
                    }
                    expect.push(if record {
                        Expect::Record(m)
                    } else {
                        Expect::Redact(m)
                    });
                }
            }
            if expect.is_empty() {
                return Err(bad(
                    "a case needs `expect`, `cipher`, `record` or `redact`".into()
                ));
            }
            program.tests.push(TestCase {
                name: case_name.to_string(),
                hook,
                request,
                expect,
                span: Span::default(),
                origin: Some(at),
            });
        }
    }
    Ok(())
}
