//! The reference interpreter: evaluates checked expressions directly, written to be
//! obviously right rather than fast. The checker uses it to compute constants; tests use it
//! as the oracle the compiled evaluator must agree with.

use crate::check::program::{
    Accessor, ArithOp, CmpOp, Effect, InKind, Outcome, Program, Scope, TExpr, TKind,
};
use crate::schema::{LatticeShape, Schema};
use crate::syntax::ast::Quantifier;
use crate::types::{Hook, Type};
use crate::value::Value;
use std::collections::BTreeSet;

/// What an expression may read.
pub struct Env<'a> {
    /// The schema the expression was checked against.
    pub schema: &'a Schema,
    /// The request's attributes, by [`AttrId`](crate::schema::AttrId); `None` when absent.
    pub attrs: &'a [Option<Value>],
    /// The template arguments of the policy being evaluated.
    pub params: &'a [Value],
    /// When set, every boolean subexpression evaluated is recorded with its result (by
    /// span): what `dictum test --coverage` counts.
    pub trace: Option<&'a std::cell::RefCell<Vec<(crate::source::Span, bool)>>>,
}

/// Evaluation failed. A well-typed expression over a valid request never fails; the one
/// expected case is a required attribute missing from the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvalError {
    /// The request lacks a required attribute (named by its path).
    Missing(String),
    /// Something the checker should have ruled out: a bug.
    Internal(String),
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EvalError::Missing(p) => write!(f, "the request has no value for `{p}`"),
            EvalError::Internal(m) => write!(f, "internal error: {m}"),
        }
    }
}

type R = Result<Value, EvalError>;

fn bug(what: &str) -> EvalError {
    EvalError::Internal(what.to_string())
}

/// Evaluate an expression. `vars` holds the values of enclosing quantifier variables.
pub fn eval(e: &TExpr, env: &Env<'_>, vars: &mut Vec<Value>) -> R {
    let v = eval_node(e, env, vars)?;
    if let (Some(t), Value::Bool(b)) = (env.trace, &v) {
        t.borrow_mut().push((e.span, *b));
    }
    Ok(v)
}

fn eval_node(e: &TExpr, env: &Env<'_>, vars: &mut Vec<Value>) -> R {
    match &e.kind {
        TKind::Lit(v) => Ok(v.clone()),
        TKind::Attr(id) => match env.attrs.get(id.0 as usize) {
            Some(Some(v)) => Ok(v.clone()),
            _ => Err(EvalError::Missing(env.schema.attr_path(*id))),
        },
        TKind::Has(id) => Ok(Value::Bool(matches!(
            env.attrs.get(id.0 as usize),
            Some(Some(_))
        ))),
        TKind::Param(i) => env
            .params
            .get(*i as usize)
            .cloned()
            .ok_or_else(|| bug("parameter out of range")),
        TKind::Var(i) => vars
            .get(*i as usize)
            .cloned()
            .ok_or_else(|| bug("variable out of range")),
        TKind::Not(a) => Ok(Value::Bool(!truth(a, env, vars)?)),
        TKind::And(a, b) => Ok(Value::Bool(truth(a, env, vars)? && truth(b, env, vars)?)),
        TKind::Or(a, b) => Ok(Value::Bool(truth(a, env, vars)? || truth(b, env, vars)?)),
        TKind::Cmp(op, a, b) => {
            let x = eval(a, env, vars)?;
            let y = eval(b, env, vars)?;
            Ok(Value::Bool(compare(*op, &x, &y)?))
        }
        TKind::In(kind, a, b) => {
            let x = eval(a, env, vars)?;
            let c = eval(b, env, vars)?;
            Ok(Value::Bool(match (kind, &c) {
                (InKind::Member, Value::Set(s)) => s.contains(&x),
                (InKind::Network, net) => in_network(&x, net)?,
                (InKind::AnyNetwork, Value::Set(s)) => {
                    let mut hit = false;
                    for n in s {
                        if in_network(&x, n)? {
                            hit = true;
                            break;
                        }
                    }
                    hit
                }
                _ => return Err(bug("membership on a non-set")),
            }))
        }
        TKind::HasAny(a, b) => {
            let (x, y) = (set(eval(a, env, vars)?)?, set(eval(b, env, vars)?)?);
            Ok(Value::Bool(x.intersection(&y).next().is_some()))
        }
        TKind::HasAll(a, b) => {
            let (x, y) = (set(eval(a, env, vars)?)?, set(eval(b, env, vars)?)?);
            Ok(Value::Bool(y.is_subset(&x)))
        }
        TKind::Like(a, b) => {
            let (text, pat) = (string(eval(a, env, vars)?)?, string(eval(b, env, vars)?)?);
            Ok(Value::Bool(glob_match(&pat, &text)))
        }
        TKind::Matches(a, pattern) => {
            let text = string(eval(a, env, vars)?)?;
            let re = regex::Regex::new(pattern).map_err(|_| bug("invalid regex after checking"))?;
            Ok(Value::Bool(re.is_match(&text)))
        }
        TKind::Under(a, b) => {
            let name = string(eval(a, env, vars)?)?;
            Ok(Value::Bool(match eval(b, env, vars)? {
                Value::Str(d) => is_under(&name, &d),
                Value::Set(ds) => ds
                    .iter()
                    .any(|d| matches!(d, Value::Str(d) if is_under(&name, d))),
                _ => return Err(bug("`under` on a non-string")),
            }))
        }
        TKind::Arith(op, a, b) => arith(*op, eval(a, env, vars)?, eval(b, env, vars)?),
        TKind::Field(acc, a) => field(*acc, eval(a, env, vars)?, &a.ty, env.schema),
        TKind::Lub(a, b) => bound(true, eval(a, env, vars)?, eval(b, env, vars)?),
        TKind::Glb(a, b) => bound(false, eval(a, env, vars)?, eval(b, env, vars)?),
        TKind::Label(level, bits) => match eval(level, env, vars)? {
            Value::Level(l) => Ok(Value::Label {
                level: l,
                compartments: *bits,
            }),
            _ => Err(bug("label level is not a level")),
        },
        TKind::Set(items) => {
            let mut out = BTreeSet::new();
            for i in items {
                out.insert(eval(i, env, vars)?);
            }
            Ok(Value::Set(out))
        }
        TKind::Quant(q, s, body) => {
            let elems = set(eval(s, env, vars)?)?;
            let want = matches!(q, Quantifier::Any);
            for v in elems {
                vars.push(v);
                let r = truth(body, env, vars);
                vars.pop();
                if r? == want {
                    return Ok(Value::Bool(want));
                }
            }
            Ok(Value::Bool(!want))
        }
    }
}

/// Evaluate a boolean expression.
pub fn truth(e: &TExpr, env: &Env<'_>, vars: &mut Vec<Value>) -> Result<bool, EvalError> {
    eval(e, env, vars)?
        .as_bool()
        .ok_or_else(|| bug("condition is not a bool"))
}

fn set(v: Value) -> Result<BTreeSet<Value>, EvalError> {
    match v {
        Value::Set(s) => Ok(s),
        _ => Err(bug("expected a set")),
    }
}

fn string(v: Value) -> Result<String, EvalError> {
    match v {
        Value::Str(s) => Ok(s),
        _ => Err(bug("expected a string")),
    }
}

fn compare(op: CmpOp, x: &Value, y: &Value) -> Result<bool, EvalError> {
    if let (
        Value::Label {
            level: la,
            compartments: ca,
        },
        Value::Label {
            level: lb,
            compartments: cb,
        },
    ) = (x, y)
    {
        // Dominance: a partial order, so `<` and `>` are not the negations of `>=`, `<=`.
        let le = la <= lb && ca & !cb == 0;
        let ge = la >= lb && cb & !ca == 0;
        return Ok(match op {
            CmpOp::Eq => x == y,
            CmpOp::Ne => x != y,
            CmpOp::Le => le,
            CmpOp::Ge => ge,
            CmpOp::Lt => le && x != y,
            CmpOp::Gt => ge && x != y,
        });
    }
    if std::mem::discriminant(x) != std::mem::discriminant(y) {
        return Err(bug("comparison of values of different kinds"));
    }
    Ok(match op {
        CmpOp::Eq => x == y,
        CmpOp::Ne => x != y,
        CmpOp::Lt => x < y,
        CmpOp::Le => x <= y,
        CmpOp::Gt => x > y,
        CmpOp::Ge => x >= y,
    })
}

fn in_network(x: &Value, net: &Value) -> Result<bool, EvalError> {
    let Value::Cidr(outer) = net else {
        return Err(bug("network membership in a non-network"));
    };
    Ok(match x {
        Value::Ip(ip) => outer.contains(*ip),
        Value::Cidr(inner) => inner.prefix() >= outer.prefix() && outer.contains(inner.network()),
        _ => return Err(bug("network membership of a non-address")),
    })
}

fn arith(op: ArithOp, x: Value, y: Value) -> R {
    let f = |a: i64, b: i64| match op {
        ArithOp::Add => a.saturating_add(b),
        ArithOp::Sub => a.saturating_sub(b),
    };
    Ok(match (x, y) {
        (Value::Int(a), Value::Int(b)) => Value::Int(f(a, b)),
        (Value::Timestamp(a), Value::Duration(b)) => Value::Timestamp(f(a, b)),
        (Value::Timestamp(a), Value::Timestamp(b)) => Value::Duration(f(a, b)),
        (Value::Duration(a), Value::Duration(b)) => Value::Duration(f(a, b)),
        _ => return Err(bug("arithmetic on these values")),
    })
}

fn field(acc: Accessor, v: Value, ty: &Type, schema: &Schema) -> R {
    Ok(match (acc, v) {
        (Accessor::Weekday, Value::Timestamp(t)) => {
            // 1970-01-01 was a Thursday (index 3, Monday being 0).
            Value::Weekday(u8::try_from((t.div_euclid(86_400) + 3).rem_euclid(7)).unwrap_or(0))
        }
        (Accessor::TimeOfDay, Value::Timestamp(t)) => {
            Value::Time(u32::try_from(t.rem_euclid(86_400)).unwrap_or(0))
        }
        (Accessor::Hour, Value::Timestamp(t)) => Value::Int(t.rem_euclid(86_400) / 3600),
        (Accessor::Level, Value::Label { level, .. }) => Value::Level(level),
        (Accessor::Compartments, Value::Label { compartments, .. }) => {
            let Type::Lattice(l) = ty else {
                return Err(bug("compartments of a non-lattice"));
            };
            let Some(LatticeShape::Product {
                compartments: names,
                ..
            }) = schema.lattice(*l).map(|d| &d.shape)
            else {
                return Err(bug("compartments of a total order"));
            };
            Value::Set(
                (0..names.len())
                    .filter(|i| *i < 64 && compartments & (1u64 << i) != 0)
                    .filter_map(|i| u32::try_from(i).ok())
                    .map(Value::Enum)
                    .collect(),
            )
        }
        (Accessor::Size, Value::Set(s)) => Value::Int(i64::try_from(s.len()).unwrap_or(i64::MAX)),
        _ => return Err(bug("accessor on the wrong kind of value")),
    })
}

fn bound(upper: bool, x: Value, y: Value) -> R {
    Ok(match (x, y) {
        (Value::Level(a), Value::Level(b)) => Value::Level(if upper { a.max(b) } else { a.min(b) }),
        (
            Value::Label {
                level: la,
                compartments: ca,
            },
            Value::Label {
                level: lb,
                compartments: cb,
            },
        ) => {
            if upper {
                Value::Label {
                    level: la.max(lb),
                    compartments: ca | cb,
                }
            } else {
                Value::Label {
                    level: la.min(lb),
                    compartments: ca & cb,
                }
            }
        }
        _ => return Err(bug("bound of non-lattice values")),
    })
}

pub use crate::vm::consts::{glob_match, is_under};

/// A decision as the reference computes it. `rule` is (policy position in bundle order,
/// rule position in the policy as written).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefDecision {
    /// Allow or deny; at log, allow unless evaluation failed.
    pub outcome: Outcome,
    /// The deciding rule; `None` when no rule decided (log, the built-in deny, an error).
    pub rule: Option<(usize, usize)>,
    /// Encrypt: the chosen cipher (index in the `cipher` enum).
    pub cipher: Option<u32>,
    /// Log: fields recorded in clear (bit i: value i of `log_field`), redacted ones removed.
    pub record: u64,
    /// Log: fields redacted.
    pub redact: u64,
    /// Evaluation failed (a required attribute missing): the decision is deny.
    pub error: Option<EvalError>,
}

fn str_attr<'v>(
    program: &Program,
    attrs: &'v [Option<Value>],
    entity: &str,
    attr: &str,
) -> Option<&'v Value> {
    let id = program.schema.attr_named(entity, attr)?;
    attrs.get(id.0 as usize)?.as_ref()
}

fn scope_applies(program: &Program, scope: &Scope, attrs: &[Option<Value>]) -> bool {
    let is = |entity: &str, attr: &str, want: &Option<String>| match want {
        None => true,
        Some(w) => matches!(str_attr(program, attrs, entity, attr), Some(Value::Str(s)) if s == w),
    };
    let tag_ok = match &scope.tag {
        None => true,
        Some(t) => {
            matches!(str_attr(program, attrs, "object", "tags"), Some(Value::Set(s)) if s.contains(&Value::Str(t.clone())))
        }
    };
    is("object", "domain", &scope.domain)
        && is("object", "class", &scope.class)
        && tag_ok
        && is("object", "owner", &scope.user)
}

/// The rules that apply to a request at a hook: (policy position in bundle order, rule
/// position in the policy), in bundle order. A permit or forbid whose action list excludes
/// the request's action does not apply.
pub fn applicable(program: &Program, hook: Hook, attrs: &[Option<Value>]) -> Vec<(usize, usize)> {
    let action = match str_attr(program, attrs, "request", "action") {
        Some(Value::Enum(i)) => Some(*i),
        _ => None,
    };
    let acts = |a: &Option<Vec<u32>>| match (a, action) {
        (None, _) => true,
        (Some(list), Some(x)) => list.contains(&x),
        (Some(_), None) => false,
    };
    let mut out = Vec::new();
    for (pi, p) in crate::compile::bundle_order(program)
        .into_iter()
        .enumerate()
    {
        if p.hook != hook || !scope_applies(program, &p.scope, attrs) {
            continue;
        }
        let Some(body) = program.bodies.get(p.body as usize) else {
            continue;
        };
        for (ri, r) in body.rules.iter().enumerate() {
            let applies = match &r.effect {
                Effect::Permit(a) | Effect::Forbid(a) => acts(a),
                _ => true,
            };
            if applies {
                out.push((pi, ri));
            }
        }
    }
    out
}

/// Decide at one hook, exactly as docs/LANGUAGE.md says, directly over the checked program.
pub fn decide(program: &Program, hook: Hook, attrs: &[Option<Value>]) -> RefDecision {
    let mut d = RefDecision {
        outcome: Outcome::Deny,
        rule: None,
        cipher: None,
        record: 0,
        redact: 0,
        error: None,
    };
    // A request lacking a required attribute that this hook's policies read is denied.
    let reads = crate::compile::hook_reads(program);
    for id in reads
        .get(hook.index())
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let required = program.schema.attr(*id).is_some_and(|a| !a.optional);
        if required && !matches!(attrs.get(id.0 as usize), Some(Some(_))) {
            d.error = Some(EvalError::Missing(program.schema.attr_path(*id)));
            return d;
        }
    }
    let action = match str_attr(program, attrs, "request", "action") {
        Some(Value::Enum(i)) => Some(*i),
        _ => None,
    };
    // Applicable rules in bundle order: (policy position, rule position, specificity, rule, args).
    let mut rules: Vec<(
        usize,
        usize,
        u8,
        &crate::check::program::CheckedRule,
        &[Value],
    )> = Vec::new();
    for (pi, p) in crate::compile::bundle_order(program)
        .into_iter()
        .enumerate()
    {
        if p.hook != hook || !scope_applies(program, &p.scope, attrs) {
            continue;
        }
        let Some(body) = program.bodies.get(p.body as usize) else {
            continue;
        };
        for (ri, r) in body.rules.iter().enumerate() {
            rules.push((pi, ri, p.scope.specificity(), r, &p.args));
        }
    }
    let holds =
        |r: &crate::check::program::CheckedRule, args: &[Value]| -> Result<bool, EvalError> {
            match &r.cond {
                None => Ok(true),
                Some(c) => truth(
                    c,
                    &Env {
                        schema: &program.schema,
                        attrs,
                        params: args,
                        trace: None,
                    },
                    &mut Vec::new(),
                ),
            }
        };
    let acts = |a: &Option<Vec<u32>>| match (a, action) {
        (None, _) => true,
        (Some(list), Some(x)) => list.contains(&x),
        (Some(_), None) => false,
    };
    let result: Result<(), EvalError> = (|| {
        match hook {
            Hook::Instantiate | Hook::Access | Hook::Egress => {
                for (pi, ri, _, r, args) in &rules {
                    if let Effect::Forbid(a) = &r.effect
                        && acts(a)
                        && holds(r, args)?
                    {
                        d.rule = Some((*pi, *ri));
                        return Ok(());
                    }
                }
                for (pi, ri, _, r, args) in &rules {
                    if let Effect::Permit(a) = &r.effect
                        && acts(a)
                        && holds(r, args)?
                    {
                        d.outcome = Outcome::Allow;
                        d.rule = Some((*pi, *ri));
                        return Ok(());
                    }
                }
                let mut best: Option<(u8, Outcome, (usize, usize))> = None;
                for (pi, ri, spec, r, _) in &rules {
                    if let Effect::Default(o) = r.effect {
                        let better = match best {
                            None => true,
                            Some((s, bo, _)) => {
                                *spec > s
                                    || (*spec == s && o == Outcome::Deny && bo == Outcome::Allow)
                            }
                        };
                        if better {
                            best = Some((*spec, o, (*pi, *ri)));
                        }
                    }
                }
                if let Some((_, o, at)) = best {
                    d.outcome = o;
                    d.rule = Some(at);
                }
            }
            Hook::Encrypt => {
                let mut forbidden = 0u64;
                for (_, _, _, r, args) in &rules {
                    if let Effect::ForbidCiphers(c) = &r.effect
                        && holds(r, args)?
                    {
                        forbidden |= c.as_ref().map_or(u64::MAX, |v| {
                            v.iter()
                                .filter(|i| **i < 64)
                                .fold(0, |m, i| m | (1u64 << i))
                        });
                    }
                }
                let allowed = |c: u32| c < 64 && forbidden & (1u64 << c) == 0;
                // Most specific first, then bundle order (a stable sort keeps it).
                let mut by_priority: Vec<&(
                    usize,
                    usize,
                    u8,
                    &crate::check::program::CheckedRule,
                    &[Value],
                )> = rules.iter().collect();
                by_priority.sort_by_key(|(_, _, spec, _, _)| std::cmp::Reverse(*spec));
                for (pi, ri, _, r, args) in &by_priority {
                    if let Effect::Use(c) = r.effect
                        && allowed(c)
                        && holds(r, args)?
                    {
                        d.outcome = Outcome::Allow;
                        d.cipher = Some(c);
                        d.rule = Some((*pi, *ri));
                        return Ok(());
                    }
                }
                for (pi, ri, _, r, _) in &by_priority {
                    if let Effect::DefaultCipher(c) = r.effect
                        && allowed(c)
                    {
                        d.outcome = Outcome::Allow;
                        d.cipher = Some(c);
                        d.rule = Some((*pi, *ri));
                        return Ok(());
                    }
                }
            }
            Hook::Log => {
                let mask = |v: &[u32]| {
                    v.iter()
                        .filter(|i| **i < 64)
                        .fold(0u64, |m, i| m | (1u64 << i))
                };
                for (_, _, _, r, args) in &rules {
                    match &r.effect {
                        Effect::Record(f) if holds(r, args)? => d.record |= mask(f),
                        Effect::Redact(f) if holds(r, args)? => d.redact |= mask(f),
                        _ => {}
                    }
                }
                d.record &= !d.redact;
                d.outcome = Outcome::Allow;
            }
        }
        Ok(())
    })();
    if let Err(e) = result {
        return RefDecision {
            outcome: Outcome::Deny,
            rule: None,
            cipher: None,
            record: 0,
            redact: 0,
            error: Some(e),
        };
    }
    d
}
