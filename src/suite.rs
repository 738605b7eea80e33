//! Running policy tests (`test` blocks, and JSON case tables) and measuring coverage:
//! what `dictum test` reports. Returns plain data; the CLI renders it.

use crate::check::program::{Expect, Outcome, Program, TExpr, TKind, TestCase, rule_matches};
use crate::engine::{Decision, Engine, Reason, RuleOutcome, Snapshot};
use crate::reference;
use crate::schema::{CIPHER_ENUM, LOG_FIELD_ENUM};
use crate::source::{Sources, Span};
use crate::types::Hook;
use crate::value::Value;
use std::cell::RefCell;
use std::collections::HashMap;

/// The outcome of one test.
#[derive(Clone, Debug)]
pub struct TestResult {
    /// The test's name.
    pub name: String,
    /// The hook it decides at.
    pub hook: Hook,
    /// The test's name in the source, where a failure points.
    pub span: Span,
    /// Each unmet expectation: (expected, actual), in words.
    pub failures: Vec<(String, String)>,
    /// The decision in words, with the deciding rule and where it is.
    pub actual: String,
    /// Every applicable rule: outcome, id, location and the values it read.
    pub explain: Vec<String>,
}

impl TestResult {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Coverage of one rule of one policy (instance).
#[derive(Clone, Debug, Default)]
pub struct RuleCoverage {
    /// The rule id, `SCOPE/POLICY#N`.
    pub id: String,
    /// The rule in the source.
    pub span: Span,
    /// The rule has a `when`.
    pub has_condition: bool,
    /// Some test evaluated the rule (its scope and action applied to the request).
    pub evaluated: bool,
    /// In some test the rule matched.
    pub matched: bool,
    /// In some test the rule was applicable but its condition was false.
    pub not_matched: bool,
    /// The atomic conditions inside its `when`; none when the whole condition is one atom.
    pub conditions: Vec<ConditionCoverage>,
}

/// Coverage of one atomic condition (a comparison, test or quantifier) of a rule.
#[derive(Clone, Debug)]
pub struct ConditionCoverage {
    /// The condition in the source.
    pub span: Span,
    /// Some test evaluated it to true.
    pub seen_true: bool,
    /// Some test evaluated it to false.
    pub seen_false: bool,
}

impl RuleCoverage {
    /// Outcomes this rule can have (2 with a condition, 1 without) plus 2 per condition.
    pub fn total(&self) -> usize {
        (if self.has_condition { 2 } else { 1 }) + 2 * self.conditions.len()
    }

    /// How many of the [`total`](Self::total) outcomes the tests produced.
    pub fn covered(&self) -> usize {
        let rule = if self.has_condition {
            usize::from(self.matched) + usize::from(self.not_matched)
        } else {
            usize::from(self.matched)
        };
        rule + self
            .conditions
            .iter()
            .map(|c| usize::from(c.seen_true) + usize::from(c.seen_false))
            .sum::<usize>()
    }

    /// Why the rule is not fully covered, if it is not.
    pub fn gap(&self) -> Option<&'static str> {
        if !self.evaluated {
            Some("never evaluated")
        } else if !self.matched {
            Some("never true")
        } else if self.has_condition && !self.not_matched {
            Some("never false")
        } else if self.conditions.iter().any(|c| !c.seen_true) {
            Some("a condition is never true")
        } else if self.conditions.iter().any(|c| !c.seen_false) {
            Some("a condition is never false")
        } else {
            None
        }
    }
}

/// Everything `dictum test` reports.
#[derive(Clone, Debug)]
pub struct Report {
    /// One result per test run, in program order.
    pub results: Vec<TestResult>,
    /// One entry per rule of every policy, in bundle order; `default` rules are left out.
    pub coverage: Vec<RuleCoverage>,
}

impl Report {
    /// How many tests passed.
    pub fn passed(&self) -> usize {
        self.results.iter().filter(|r| r.passed()).count()
    }

    /// How many tests failed.
    pub fn failed(&self) -> usize {
        self.results.len() - self.passed()
    }

    /// Covered outcomes over all outcomes, in percent (100 when there is nothing to cover).
    pub fn coverage_percent(&self) -> f64 {
        let total: usize = self.coverage.iter().map(RuleCoverage::total).sum();
        let covered: usize = self.coverage.iter().map(RuleCoverage::covered).sum();
        if total == 0 {
            100.0
        } else {
            covered as f64 * 100.0 / total as f64
        }
    }
}

/// Run every test of `program` whose name `filter` accepts, in parallel.
pub fn run(
    program: &Program,
    sources: &Sources,
    filter: &dyn Fn(&str) -> bool,
) -> Result<Report, crate::compile::CompileError> {
    let bundle = crate::compile::compile(program, sources)?;
    let engine = Engine::new(bundle).map_err(|e| crate::compile::CompileError(e.0))?;
    let snap = engine.snapshot();
    let tests: Vec<&TestCase> = program.tests.iter().filter(|t| filter(&t.name)).collect();
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 8);
    let chunk = tests.len().div_ceil(threads).max(1);
    let order = crate::compile::bundle_order(program);
    let mut results = Vec::with_capacity(tests.len());
    let mut traces: Vec<Trace> = Vec::new();
    std::thread::scope(|s| {
        let handles: Vec<_> = tests
            .chunks(chunk)
            .map(|part| {
                let snap = snap.clone();
                let order = &order;
                s.spawn(move || {
                    let mut out = Vec::with_capacity(part.len());
                    let mut trace = Trace::default();
                    for t in part {
                        out.push(run_one(&snap, t));
                        trace.record(program, order, t);
                    }
                    (out, trace)
                })
            })
            .collect();
        for h in handles {
            if let Ok((r, t)) = h.join() {
                results.extend(r);
                traces.push(t);
            }
        }
    });
    let coverage = coverage(program, &order, &snap, &traces);
    Ok(Report { results, coverage })
}

fn enum_names(snap: &Snapshot, name: &str, mask: u64) -> String {
    let s = snap.schema();
    let values = s
        .enum_named(name)
        .and_then(|e| s.enum_def(e))
        .map(|d| d.values.clone())
        .unwrap_or_default();
    let v: Vec<String> = (0..64)
        .filter(|i| mask & (1u64 << i) != 0)
        .filter_map(|i| values.get(i).cloned())
        .collect();
    format!("{{{}}}", v.join(", "))
}

fn describe(snap: &Snapshot, d: &Decision) -> String {
    let rule = d
        .rule
        .and_then(|r| snap.rule(r))
        .map(|r| format!(" by {} ({}:{}:{})", r.id, r.file, r.line, r.column));
    let what = match d.hook {
        Hook::Encrypt => match d.cipher {
            Some(c) => format!(
                "cipher {}",
                enum_names(snap, CIPHER_ENUM, 1u64 << c).trim_matches(['{', '}'])
            ),
            None => "deny".into(),
        },
        Hook::Log => format!(
            "record {}, redact {}",
            enum_names(snap, LOG_FIELD_ENUM, d.record),
            enum_names(snap, LOG_FIELD_ENUM, d.redact)
        ),
        _ => (if d.is_allow() { "allow" } else { "deny" }).into(),
    };
    let why = match d.reason {
        Reason::Rule | Reason::Default => String::new(),
        Reason::NoDefault => " (no rule matched and no default is declared)".into(),
        Reason::NoCipher => " (every cipher is forbidden)".into(),
        Reason::Missing(id) => format!(" (the request lacks `{}`)", snap.schema().attr_path(id)),
        Reason::SchemaMismatch => " (schema mismatch)".into(),
        Reason::Internal => " (internal error)".into(),
    };
    format!(
        "{what}{}{why}",
        if d.hook == Hook::Log {
            String::new()
        } else {
            rule.unwrap_or_default()
        }
    )
}

fn run_one(snap: &Snapshot, t: &TestCase) -> TestResult {
    let buf = snap.request_from_values(t.request.clone());
    let req = buf.view();
    let d = snap.decide(t.hook, &req);
    let rule = d.rule.and_then(|r| snap.rule(r));
    let mut failures = Vec::new();
    for e in &t.expect {
        match e {
            Expect::Outcome(o, by) => {
                let want = match o {
                    Outcome::Allow => "allow",
                    Outcome::Deny => "deny",
                };
                let outcome_ok = d.outcome == *o;
                let by_ok = match by {
                    None => true,
                    Some(r) => rule
                        .as_ref()
                        .is_some_and(|info| rule_matches(r, &info.id, info.policy)),
                };
                if !outcome_ok || !by_ok {
                    let expected = match by {
                        Some(r) => format!("{want} by `{r}`"),
                        None => want.to_string(),
                    };
                    failures.push((expected, describe(snap, &d)));
                }
            }
            Expect::Cipher(c) => {
                if d.cipher != Some(*c) {
                    let name = enum_names(snap, CIPHER_ENUM, 1u64 << c);
                    failures.push((
                        format!("cipher {}", name.trim_matches(['{', '}'])),
                        describe(snap, &d),
                    ));
                }
            }
            Expect::Record(m) => {
                if d.record != *m {
                    failures.push((
                        format!("record {}", enum_names(snap, LOG_FIELD_ENUM, *m)),
                        describe(snap, &d),
                    ));
                }
            }
            Expect::Redact(m) => {
                if d.redact != *m {
                    failures.push((
                        format!("redact {}", enum_names(snap, LOG_FIELD_ENUM, *m)),
                        describe(snap, &d),
                    ));
                }
            }
        }
    }
    let explain = if failures.is_empty() {
        Vec::new()
    } else {
        snap.explain(t.hook, &req)
            .into_iter()
            .map(|x| {
                let info = snap.rule(x.rule);
                let at = info
                    .as_ref()
                    .map(|r| format!("{} ({}:{}:{})", r.id, r.file, r.line, r.column))
                    .unwrap_or_default();
                let word = match x.outcome {
                    RuleOutcome::Matched => "matched",
                    RuleOutcome::NotMatched => "not matched",
                    RuleOutcome::NotApplicable => "not applicable",
                    RuleOutcome::Error => "error",
                };
                let vals: Vec<String> =
                    x.values.iter().map(|(p, v)| format!("{p} = {v}")).collect();
                if vals.is_empty() {
                    format!("{word:<14} {at}")
                } else {
                    format!("{word:<14} {at}\n{:<15}   read {}", "", vals.join(", "))
                }
            })
            .collect()
    };
    TestResult {
        name: t.name.clone(),
        hook: t.hook,
        span: t.span,
        failures,
        actual: describe(snap, &d),
        explain,
    }
}

/// What the reference interpreter saw while evaluating every applicable rule of each test.
#[derive(Default)]
struct Trace {
    /// (policy in bundle order, rule) -> seen true / seen false.
    rules: HashMap<(usize, usize), (bool, bool)>,
    /// (policy, rule, condition span) -> seen true / seen false.
    conditions: HashMap<(usize, usize, Span), (bool, bool)>,
}

impl Trace {
    fn record(
        &mut self,
        program: &Program,
        order: &[&crate::check::program::Policy],
        t: &TestCase,
    ) {
        for (pi, ri) in reference::applicable(program, t.hook, &t.request) {
            let Some(p) = order.get(pi) else { continue };
            let Some(rule) = program
                .bodies
                .get(p.body as usize)
                .and_then(|b| b.rules.get(ri))
            else {
                continue;
            };
            let log = RefCell::new(Vec::new());
            let env = reference::Env {
                schema: &program.schema,
                attrs: &t.request,
                params: &p.args,
                trace: Some(&log),
            };
            let result = match &rule.cond {
                None => Ok(true),
                Some(c) => reference::truth(c, &env, &mut Vec::new()),
            };
            let Ok(b) = result else { continue };
            let e = self.rules.entry((pi, ri)).or_default();
            if b {
                e.0 = true;
            } else {
                e.1 = true;
            }
            for (span, v) in log.into_inner() {
                let c = self.conditions.entry((pi, ri, span)).or_default();
                if v {
                    c.0 = true;
                } else {
                    c.1 = true;
                }
            }
        }
    }
}

/// The atomic conditions of a rule: boolean nodes that are not `and`, `or`, `not`, a
/// literal, or a presence test of a required attribute (which cannot be false).
fn atoms(e: &TExpr, program: &Program, out: &mut Vec<Span>) {
    e.walk(&mut |x| {
        let atomic = x.ty == crate::types::Type::Bool
            && !matches!(x.kind, TKind::And(..) | TKind::Or(..) | TKind::Not(_) | TKind::Lit(_))
            && !matches!(x.kind, TKind::Has(id) if program.schema.attr(id).is_some_and(|a| !a.optional));
        if atomic && !out.contains(&x.span) {
            out.push(x.span);
        }
    });
}

fn coverage(
    program: &Program,
    order: &[&crate::check::program::Policy],
    snap: &Snapshot,
    traces: &[Trace],
) -> Vec<RuleCoverage> {
    let mut out = Vec::new();
    for (pi, p) in order.iter().enumerate() {
        let Some(body) = program.bodies.get(p.body as usize) else {
            continue;
        };
        for (ri, rule) in body.rules.iter().enumerate() {
            // Defaults are not conditions; they apply or not with their scope.
            if matches!(
                rule.effect,
                crate::check::program::Effect::Default(_)
                    | crate::check::program::Effect::DefaultCipher(_)
            ) {
                continue;
            }
            let (mut t, mut f) = (false, false);
            for tr in traces {
                if let Some((a, b)) = tr.rules.get(&(pi, ri)) {
                    t |= a;
                    f |= b;
                }
            }
            let mut spans = Vec::new();
            if let Some(c) = &rule.cond {
                atoms(c, program, &mut spans);
                // A single atom that is the whole condition is the rule itself.
                spans.retain(|s| *s != c.span);
            }
            let conditions = spans
                .into_iter()
                .map(|span| {
                    let (mut ct, mut cf) = (false, false);
                    for tr in traces {
                        if let Some((a, b)) = tr.conditions.get(&(pi, ri, span)) {
                            ct |= a;
                            cf |= b;
                        }
                    }
                    ConditionCoverage {
                        span,
                        seen_true: ct,
                        seen_false: cf,
                    }
                })
                .collect();
            out.push(RuleCoverage {
                id: p.rule_id(ri),
                span: rule.span,
                has_condition: rule.cond.is_some(),
                evaluated: t || f,
                matched: t,
                not_matched: f,
                conditions,
            });
        }
    }
    let _ = snap;
    out
}

/// A value by its JSON form, for case tables: the same conversion a request uses.
pub fn json_request(
    snap: &Snapshot,
    base: &[Option<Value>],
    patch: &serde_json::Value,
) -> Result<Vec<Option<Value>>, crate::engine::RequestError> {
    // Parse the patch alone (it may be partial), then lay it over the base.
    let parsed = snap.request_from_json(&patch.to_string())?;
    let mut out = base.to_vec();
    for (i, v) in parsed.values().into_iter().enumerate() {
        if let (Some(v), Some(slot)) = (v, out.get_mut(i)) {
            *slot = Some(v);
        }
    }
    Ok(out)
}
