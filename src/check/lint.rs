//! Warnings about rules that are well typed but cannot be what the author meant: rules that
//! can never fire, and permits that a forbid always overrides.
//!
//! Both analyses are syntactic and conservative: a warning is only given when it is
//! certain, never on a guess.

use super::Checker;
use super::program::{CmpOp, Effect, InKind, TExpr, TKind};
use crate::error::{Code, Diagnostic};
use crate::value::Value;

impl Checker<'_> {
    pub(super) fn lint(&mut self) {
        let mut warnings = Vec::new();
        for body in &self.bodies {
            for rule in &body.rules {
                let Some(cond) = &rule.cond else { continue };
                if let Some((a, b)) = contradiction(cond) {
                    let d =
                        Diagnostic::new(Code::NeverFires, rule.span, "this rule can never fire")
                            .label("its condition is always false")
                            .secondary(a.span, "this")
                            .secondary(b.span, "contradicts this")
                            .help("remove the rule or fix the condition");
                    warnings.push(d);
                } else if matches!(cond.kind, TKind::Lit(Value::Bool(false))) {
                    warnings.push(
                        Diagnostic::new(Code::NeverFires, rule.span, "this rule can never fire")
                            .label("its condition is `false`")
                            .help("remove the rule"),
                    );
                }
            }
        }
        warnings.extend(self.overridden_permits());
        self.diags.extend(warnings);
    }

    /// Permits for which some forbid applies in every case the permit does: same hook, a
    /// scope that covers the permit's, at least the permit's actions, and a condition made of
    /// a subset of the permit's conjuncts. Template bodies are skipped: their arguments
    /// differ per instance.
    fn overridden_permits(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for p in &self.policies {
            let Some(pbody) = self.bodies.get(p.body as usize) else {
                continue;
            };
            if pbody.template.is_some() {
                continue;
            }
            for permit in &pbody.rules {
                let Effect::Permit(pacts) = &permit.effect else {
                    continue;
                };
                let pconj: Vec<&TExpr> = permit
                    .cond
                    .as_ref()
                    .map(TExpr::conjuncts)
                    .unwrap_or_default();
                'forbids: for f in &self.policies {
                    if f.hook != p.hook || !f.scope.covers(&p.scope) {
                        continue;
                    }
                    let Some(fbody) = self.bodies.get(f.body as usize) else {
                        continue;
                    };
                    if fbody.template.is_some() {
                        continue;
                    }
                    for forbid in &fbody.rules {
                        let Effect::Forbid(facts) = &forbid.effect else {
                            continue;
                        };
                        let actions_covered = match (facts, pacts) {
                            (None, _) => true,
                            (Some(_), None) => false,
                            (Some(fa), Some(pa)) => pa.iter().all(|a| fa.contains(a)),
                        };
                        if !actions_covered {
                            continue;
                        }
                        let fconj: Vec<&TExpr> = forbid
                            .cond
                            .as_ref()
                            .map(TExpr::conjuncts)
                            .unwrap_or_default();
                        if fconj.iter().all(|fc| pconj.iter().any(|pc| pc.same(fc))) {
                            out.push(
                                Diagnostic::new(Code::AlwaysOverridden, permit.span, "this permit is always overridden by a forbid")
                                    .label("can never allow anything")
                                    .secondary(forbid.span, "this forbid matches whenever the permit does")
                                    .help("a forbid from any layer wins over every permit; narrow the forbid or remove the permit"),
                            );
                            break 'forbids;
                        }
                    }
                }
            }
        }
        out
    }
}

/// Two conjuncts of `cond` that cannot both hold, if there are such.
fn contradiction(cond: &TExpr) -> Option<(&TExpr, &TExpr)> {
    let conj = cond.conjuncts();
    for (i, a) in conj.iter().enumerate() {
        for b in conj.iter().skip(i + 1) {
            if excludes(a, b) || excludes(b, a) {
                return Some((a, b));
            }
        }
    }
    None
}

/// `a` and `b` cannot both be true.
fn excludes(a: &TExpr, b: &TExpr) -> bool {
    // `e` and `not e`
    if let TKind::Not(inner) = &b.kind
        && inner.same(a)
    {
        return true;
    }
    let (Some((x, op_a, va)), Some((y, op_b, vb))) = (constraint(a), constraint(b)) else {
        return false;
    };
    if !x.same(y) {
        return false;
    }
    match (op_a, op_b) {
        (Constraint::Eq, Constraint::Eq) => va != vb,
        (Constraint::Eq, Constraint::Ne) => va == vb,
        (Constraint::Eq, Constraint::In) => matches!(vb, Value::Set(s) if !s.contains(va)),
        (Constraint::In, Constraint::In) => {
            matches!((va, vb), (Value::Set(s), Value::Set(t)) if s.intersection(t).next().is_none())
        }
        (Constraint::Lt, Constraint::Ge) | (Constraint::Le, Constraint::Gt) => {
            va <= vb && same_kind(va, vb)
        }
        (Constraint::Lt, Constraint::Gt) => va <= vb && same_kind(va, vb),
        (Constraint::Le, Constraint::Ge) => va < vb && same_kind(va, vb),
        (Constraint::Eq, Constraint::Lt) => va >= vb && same_kind(va, vb),
        (Constraint::Eq, Constraint::Gt) => va <= vb && same_kind(va, vb),
        _ => false,
    }
}

fn same_kind(a: &Value, b: &Value) -> bool {
    // Lattice labels are partially ordered: never reason about them with `<`.
    std::mem::discriminant(a) == std::mem::discriminant(b) && !matches!(a, Value::Label { .. })
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Constraint {
    Eq,
    Ne,
    In,
    Lt,
    Le,
    Gt,
    Ge,
}

/// `subject OP constant`, normalised so the constant is on the right.
fn constraint(e: &TExpr) -> Option<(&TExpr, Constraint, &Value)> {
    match &e.kind {
        TKind::Cmp(op, l, r) => {
            let (subject, value, flipped) = match (&l.kind, &r.kind) {
                (_, TKind::Lit(v)) if !matches!(l.kind, TKind::Lit(_)) => (&**l, v, false),
                (TKind::Lit(v), _) if !matches!(r.kind, TKind::Lit(_)) => (&**r, v, true),
                _ => return None,
            };
            let c = match (op, flipped) {
                (CmpOp::Eq, _) => Constraint::Eq,
                (CmpOp::Ne, _) => Constraint::Ne,
                (CmpOp::Lt, false) | (CmpOp::Gt, true) => Constraint::Lt,
                (CmpOp::Le, false) | (CmpOp::Ge, true) => Constraint::Le,
                (CmpOp::Gt, false) | (CmpOp::Lt, true) => Constraint::Gt,
                (CmpOp::Ge, false) | (CmpOp::Le, true) => Constraint::Ge,
            };
            Some((subject, c, value))
        }
        TKind::In(InKind::Member, x, s) => match &s.kind {
            TKind::Lit(v) if !matches!(x.kind, TKind::Lit(_)) => Some((&**x, Constraint::In, v)),
            _ => None,
        },
        _ => None,
    }
}
