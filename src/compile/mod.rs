//! Stage 3: checked program to bundle. Folding and simplification, dead and duplicate
//! rule elimination, cost-ordered conjuncts, then lowering to VM code (see docs/ENGINE.md).

mod lower;

use crate::bundle::{BodyCode, Bundle, ConstDef, FlatScalar, PolicyMeta, RuleCode, RuleOp};
use crate::check::program::{Effect, Program, TExpr, TKind};
use crate::reference;
use crate::schema::{ACTION_ENUM, CIPHER_ENUM, LOG_FIELD_ENUM, Schema};
use crate::types::Type;
use crate::value::Value;
use crate::vm::consts::FastHasher;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// The largest set a request may carry; bounds the static cost of quantifiers.
pub const MAX_REQUEST_SET: u32 = 1024;

/// A program the engine cannot represent (too many actions, a stack too deep), or a bug.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError(pub String);

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CompileError {}

/// The constant pool being built: each distinct (type, value) once.
#[derive(Default)]
pub(crate) struct Pool {
    consts: Vec<ConstDef>,
    /// For deduplication: a hash of each constant as checked (type and value) to the
    /// constants with that hash, compared in their flat form. (Keeping a copy of each
    /// checked value to compare instead was a tenth of compiling: a tree of its elements
    /// cloned, then dropped.)
    index: HashMap<u64, Vec<u32>, BuildHasherDefault<FastHasher>>,
    regexes: Vec<String>,
}

impl Pool {
    pub(crate) fn add(&mut self, ty: &Type, v: &Value) -> Result<u32, CompileError> {
        let h = {
            let mut hasher = FastHasher::default();
            ty.hash(&mut hasher);
            v.hash(&mut hasher);
            hasher.finish()
        };
        let items = match v {
            Value::Set(items) => items.iter().map(flat).collect::<Result<Vec<_>, _>>()?,
            other => vec![flat(other)?],
        };
        if let Some(same) = self.index.get(&h)
            && let Some(i) = same.iter().find(|&&i| {
                self.consts
                    .get(i as usize)
                    .is_some_and(|c| c.ty == *ty && c.items == items)
            })
        {
            return Ok(*i);
        }
        let i = u32::try_from(self.consts.len())
            .map_err(|_| CompileError("too many constants".into()))?;
        self.consts.push(ConstDef {
            ty: ty.clone(),
            items,
            domains: false,
        });
        self.index.entry(h).or_default().push(i);
        Ok(i)
    }

    pub(crate) fn mark_domains(&mut self, k: u32) {
        if let Some(c) = self.consts.get_mut(k as usize)
            && c.ty == Type::set_of(Type::String)
        {
            c.domains = true;
        }
    }

    pub(crate) fn regex(&mut self, pattern: &str) -> Result<u32, CompileError> {
        let i = match self.regexes.iter().position(|r| r == pattern) {
            Some(i) => i,
            None => {
                self.regexes.push(pattern.to_string());
                self.regexes.len() - 1
            }
        };
        u32::try_from(i).map_err(|_| CompileError("too many regular expressions".into()))
    }
}

fn flat(v: &Value) -> Result<FlatScalar, CompileError> {
    Ok(match crate::vm::scalar_of(v) {
        Some(crate::vm::consts::Scalar::Bool(b)) => FlatScalar::Bool(b),
        Some(crate::vm::consts::Scalar::Num(n)) => FlatScalar::Num(n),
        Some(crate::vm::consts::Scalar::Str(s)) => FlatScalar::Str(s.to_string()),
        Some(crate::vm::consts::Scalar::Ip(i)) => FlatScalar::Ip(i),
        Some(crate::vm::consts::Scalar::Cidr(c)) => FlatScalar::Cidr(c),
        Some(crate::vm::consts::Scalar::Label(l, c)) => FlatScalar::Label(l, c),
        None => return Err(CompileError("sets of sets cannot be compiled".into())),
    })
}

/// Compile a checked program. `sources` are the files it was checked from (for names and
/// positions in messages); the bundle records a hash of them.
pub fn compile(
    program: &Program,
    sources: &crate::source::Sources,
) -> Result<Bundle, CompileError> {
    let files: Vec<String> = sources.iter().map(|(_, f)| f.name.clone()).collect();
    let mut all = Vec::new();
    for (_, f) in sources.iter() {
        all.extend_from_slice(f.name.as_bytes());
        all.push(0);
        all.extend_from_slice(f.text.as_bytes());
        all.push(0);
    }
    let source_hash = crate::bundle::fnv1a(&all);
    let schema = &program.schema;
    let enum_len = |name: &str| {
        schema
            .enum_named(name)
            .and_then(|e| schema.enum_def(e))
            .map_or(0, |d| d.values.len())
    };
    for name in [ACTION_ENUM, CIPHER_ENUM, LOG_FIELD_ENUM] {
        if enum_len(name) > 64 {
            return Err(CompileError(format!(
                "enum `{name}` has {} values, more than the engine's limit of 64",
                enum_len(name)
            )));
        }
    }
    if schema.attrs.len() > crate::bundle::MAX_ATTRS {
        return Err(CompileError(format!(
            "the schema has {} attributes, more than the engine's limit of {}",
            schema.attrs.len(),
            crate::bundle::MAX_ATTRS
        )));
    }
    let mut pool = Pool::default();
    let mut bodies = Vec::with_capacity(program.bodies.len());
    for body in &program.bodies {
        let mut rules = Vec::new();
        let mut code = Vec::new();
        let mut max_stack = 0u16;
        let mut kept: Vec<(RuleOp, u64, Option<TExpr>)> = Vec::new();
        for (index, rule) in body.rules.iter().enumerate() {
            let (op, actions) = rule_op(&rule.effect);
            let cond = match &rule.cond {
                Some(c) => {
                    let folded = optimise(c, schema);
                    match folded.kind {
                        TKind::Lit(Value::Bool(false)) => continue, // dead rule
                        TKind::Lit(Value::Bool(true)) => None,
                        _ => Some(folded),
                    }
                }
                None => None,
            };
            // Duplicate rules of one body behave as one.
            let dup = kept.iter().any(|(o, a, c)| {
                *o == op
                    && *a == actions
                    && match (c, &cond) {
                        (None, None) => true,
                        (Some(x), Some(y)) => x.same(y),
                        _ => false,
                    }
            });
            if dup {
                continue;
            }
            kept.push((op, actions, cond.clone()));
            let (entry, cost) = match &cond {
                None => (None, 0),
                Some(c) => {
                    let entry = u32::try_from(code.len())
                        .map_err(|_| CompileError("body too large".into()))?;
                    let depth = lower::lower_condition(c, schema, &mut pool, &mut code)?;
                    max_stack = max_stack.max(depth);
                    (Some(entry), cost_of(c))
                }
            };
            let (line, column) = sources.line_col(rule.span.file, rule.span.start);
            rules.push(RuleCode {
                index: u16::try_from(index)
                    .map_err(|_| CompileError("too many rules in one policy".into()))?,
                op,
                actions,
                entry,
                cost,
                span: rule.span,
                line: u32::try_from(line).unwrap_or(u32::MAX),
                column: u32::try_from(column).unwrap_or(u32::MAX),
            });
        }
        if usize::from(max_stack) > crate::vm::MAX_STACK {
            return Err(CompileError(
                "an expression needs a deeper stack than the engine allows; simplify it".into(),
            ));
        }
        bodies.push(BodyCode {
            hook: body.hook,
            template: body.template.clone(),
            params: body.params.iter().map(|(_, t)| t.clone()).collect(),
            code,
            rules,
            max_stack,
            span: body.span,
        });
    }
    let mut policies = Vec::with_capacity(program.policies.len());
    for p in bundle_order(program) {
        let params: Vec<Type> = program
            .bodies
            .get(p.body as usize)
            .map(|b| b.params.iter().map(|(_, t)| t.clone()).collect())
            .unwrap_or_default();
        let mut args = Vec::with_capacity(p.args.len());
        for (v, t) in p.args.iter().zip(&params) {
            let k = pool.add(t, v)?;
            // A `set<string>` argument may be used with `under`: index it either way.
            pool.mark_domains(k);
            args.push(k);
        }
        policies.push(PolicyMeta {
            name: p.name.clone(),
            scope: p.scope.clone(),
            hook: p.hook,
            body: p.body,
            args,
            span: p.span,
        });
    }
    let reads = hook_reads(program)
        .into_iter()
        .map(|ids| ids.into_iter().map(|a| a.0).collect())
        .collect();
    Ok(Bundle {
        reads,
        dictum_version: env!("CARGO_PKG_VERSION").to_string(),
        source_hash,
        schema: schema.clone(),
        consts: pool.consts,
        regexes: pool.regexes,
        bodies,
        policies,
        files,
    })
}

/// Per hook, the attributes its policies read before any optimisation: every attribute in
/// a condition, `request.action` where a rule lists actions, and the scope attributes
/// (`object.domain`, `object.class`, `object.tags`, `object.owner`). The engine and the
/// reference interpreter both require the non-optional ones to be present (fail closed).
pub fn hook_reads(program: &Program) -> Vec<Vec<crate::schema::AttrId>> {
    let schema = &program.schema;
    let mut out: Vec<Vec<crate::schema::AttrId>> = vec![Vec::new(); crate::types::Hook::ALL.len()];
    for p in &program.policies {
        let Some(reads) = out.get_mut(p.hook.index()) else {
            continue;
        };
        let mut add = |id: Option<crate::schema::AttrId>| {
            if let Some(id) = id
                && !reads.contains(&id)
            {
                reads.push(id);
            }
        };
        if p.scope.domain.is_some() {
            add(schema.attr_named("object", "domain"));
        }
        if p.scope.class.is_some() {
            add(schema.attr_named("object", "class"));
        }
        if p.scope.tag.is_some() {
            add(schema.attr_named("object", "tags"));
        }
        if p.scope.user.is_some() {
            add(schema.attr_named("object", "owner"));
        }
        let Some(body) = program.bodies.get(p.body as usize) else {
            continue;
        };
        for r in &body.rules {
            if matches!(&r.effect, Effect::Permit(Some(_)) | Effect::Forbid(Some(_))) {
                add(schema.attr_named("request", "action"));
            }
            if let Some(c) = &r.cond {
                c.walk(&mut |x| {
                    if let TKind::Attr(id) | TKind::Has(id) = x.kind {
                        add(Some(id));
                    }
                });
            }
        }
    }
    for r in &mut out {
        r.sort();
    }
    out
}

/// Policies in bundle order: by scope specificity (platform, domain, class or tag, user),
/// source order within each. The reference interpreter uses the same order.
pub fn bundle_order(program: &Program) -> Vec<&crate::check::program::Policy> {
    let mut v: Vec<&crate::check::program::Policy> = program.policies.iter().collect();
    v.sort_by_key(|p| p.scope.specificity());
    v
}

fn mask(items: &[u32]) -> u64 {
    items
        .iter()
        .filter(|i| **i < 64)
        .fold(0u64, |m, i| m | (1u64 << i))
}

fn rule_op(e: &Effect) -> (RuleOp, u64) {
    let actions = |a: &Option<Vec<u32>>| a.as_ref().map_or(u64::MAX, |v| mask(v));
    match e {
        Effect::Permit(a) => (RuleOp::Permit, actions(a)),
        Effect::Forbid(a) => (RuleOp::Forbid, actions(a)),
        Effect::Default(o) => (RuleOp::Default(*o), u64::MAX),
        Effect::Use(c) => (RuleOp::Use(*c), u64::MAX),
        Effect::ForbidCiphers(c) => (
            RuleOp::ForbidCiphers(c.as_ref().map_or(u64::MAX, |v| mask(v))),
            u64::MAX,
        ),
        Effect::DefaultCipher(c) => (RuleOp::DefaultCipher(*c), u64::MAX),
        Effect::Record(f) => (RuleOp::Record(mask(f)), u64::MAX),
        Effect::Redact(f) => (RuleOp::Redact(mask(f)), u64::MAX),
    }
}

/// Does the expression read the request, a parameter or a variable?
fn is_constant(e: &TExpr) -> bool {
    let mut c = true;
    e.walk(&mut |x| {
        if matches!(
            x.kind,
            TKind::Attr(_) | TKind::Has(_) | TKind::Param(_) | TKind::Var(_)
        ) {
            c = false;
        }
    });
    c
}

fn reads_optional(e: &TExpr, schema: &Schema) -> bool {
    let mut r = false;
    e.walk(&mut |x| match x.kind {
        TKind::Attr(id) if schema.attr(id).is_some_and(|a| a.optional) => r = true,
        TKind::Has(_) => r = true,
        _ => {}
    });
    r
}

fn lit(v: Value, ty: Type, span: crate::source::Span) -> TExpr {
    TExpr {
        kind: TKind::Lit(v),
        ty,
        span,
    }
}

/// Fold constants, simplify boolean structure, and order conjuncts by cost.
pub(crate) fn optimise(e: &TExpr, schema: &Schema) -> TExpr {
    // Any subexpression that reads nothing is computed now.
    if !matches!(e.kind, TKind::Lit(_)) && is_constant(e) {
        let env = reference::Env {
            schema,
            attrs: &[],
            params: &[],
            trace: None,
        };
        if let Ok(v) = reference::eval(e, &env, &mut Vec::new()) {
            return lit(v, e.ty.clone(), e.span);
        }
    }
    let rec = |x: &TExpr| Box::new(optimise(x, schema));
    let kind = match &e.kind {
        // A required attribute is always present once the request is accepted.
        TKind::Has(id) if schema.attr(*id).is_some_and(|a| !a.optional) => {
            return lit(Value::Bool(true), Type::Bool, e.span);
        }
        TKind::Not(a) => {
            let a = optimise(a, schema);
            match a.kind {
                TKind::Lit(Value::Bool(b)) => return lit(Value::Bool(!b), Type::Bool, e.span),
                TKind::Not(inner) => return *inner,
                _ => TKind::Not(Box::new(a)),
            }
        }
        TKind::And(..) => {
            let parts: Vec<TExpr> = e
                .conjuncts()
                .into_iter()
                .map(|c| optimise(c, schema))
                .collect();
            let mut kept = Vec::new();
            for p in parts {
                match p.kind {
                    TKind::Lit(Value::Bool(true)) => {}
                    TKind::Lit(Value::Bool(false)) => {
                        return lit(Value::Bool(false), Type::Bool, e.span);
                    }
                    _ => kept.push(p),
                }
            }
            return chain(order_by_cost(kept, schema), true, e.span);
        }
        TKind::Or(a, b) => {
            let (a, b) = (optimise(a, schema), optimise(b, schema));
            match (&a.kind, &b.kind) {
                (TKind::Lit(Value::Bool(true)), _) | (_, TKind::Lit(Value::Bool(true))) => {
                    return lit(Value::Bool(true), Type::Bool, e.span);
                }
                (TKind::Lit(Value::Bool(false)), _) => return b,
                (_, TKind::Lit(Value::Bool(false))) => return a,
                _ => TKind::Or(Box::new(a), Box::new(b)),
            }
        }
        TKind::Cmp(op, a, b) => TKind::Cmp(*op, rec(a), rec(b)),
        TKind::In(k, a, b) => TKind::In(*k, rec(a), rec(b)),
        TKind::HasAny(a, b) => TKind::HasAny(rec(a), rec(b)),
        TKind::HasAll(a, b) => TKind::HasAll(rec(a), rec(b)),
        TKind::Like(a, b) => TKind::Like(rec(a), rec(b)),
        TKind::Matches(a, p) => TKind::Matches(rec(a), p.clone()),
        TKind::Under(a, b) => TKind::Under(rec(a), rec(b)),
        TKind::Arith(op, a, b) => TKind::Arith(*op, rec(a), rec(b)),
        TKind::Field(acc, a) => TKind::Field(*acc, rec(a)),
        TKind::Lub(a, b) => TKind::Lub(rec(a), rec(b)),
        TKind::Glb(a, b) => TKind::Glb(rec(a), rec(b)),
        TKind::Label(a, bits) => TKind::Label(rec(a), *bits),
        TKind::Set(items) => TKind::Set(items.iter().map(|i| optimise(i, schema)).collect()),
        TKind::Quant(q, s, body) => {
            let (s, body) = (optimise(s, schema), optimise(body, schema));
            if let TKind::Lit(Value::Set(items)) = &s.kind
                && items.is_empty()
            {
                // any over nothing is false, all over nothing is true.
                return lit(
                    Value::Bool(matches!(q, crate::syntax::ast::Quantifier::All)),
                    Type::Bool,
                    e.span,
                );
            }
            TKind::Quant(*q, Box::new(s), Box::new(body))
        }
        other => other.clone(),
    };
    TExpr {
        kind,
        ty: e.ty.clone(),
        span: e.span,
    }
}

/// Cheapest conjuncts first, except that conjuncts involving optional attributes (reads or
/// presence tests) keep their places, so no read moves before its guard.
fn order_by_cost(parts: Vec<TExpr>, schema: &Schema) -> Vec<TExpr> {
    let mut out = Vec::with_capacity(parts.len());
    let mut run: Vec<TExpr> = Vec::new();
    for p in parts {
        if reads_optional(&p, schema) {
            run.sort_by_key(cost_of);
            out.append(&mut run);
            out.push(p);
        } else {
            run.push(p);
        }
    }
    run.sort_by_key(cost_of);
    out.append(&mut run);
    out
}

fn chain(mut parts: Vec<TExpr>, and: bool, span: crate::source::Span) -> TExpr {
    let Some(mut acc) = parts.pop() else {
        return lit(Value::Bool(and), Type::Bool, span);
    };
    // Right-nested, so evaluation order is the order of `parts`.
    while let Some(p) = parts.pop() {
        let s = p.span.join(acc.span);
        let kind = if and {
            TKind::And(Box::new(p), Box::new(acc))
        } else {
            TKind::Or(Box::new(p), Box::new(acc))
        };
        acc = TExpr {
            kind,
            ty: Type::Bool,
            span: s,
        };
    }
    acc
}

/// An upper bound on the instructions one evaluation executes.
pub fn cost_of(e: &TExpr) -> u32 {
    let c = |x: &TExpr| cost_of(x);
    let set_bound = |s: &TExpr| match &s.kind {
        TKind::Lit(Value::Set(items)) => u32::try_from(items.len()).unwrap_or(u32::MAX),
        TKind::Field(crate::check::program::Accessor::Compartments, _) => 64,
        _ => MAX_REQUEST_SET,
    };
    match &e.kind {
        TKind::Lit(_) | TKind::Attr(_) | TKind::Has(_) | TKind::Param(_) | TKind::Var(_) => 1,
        TKind::Not(a) | TKind::Matches(a, _) | TKind::Field(_, a) | TKind::Label(a, _) => {
            c(a).saturating_add(1)
        }
        TKind::And(a, b) | TKind::Or(a, b) => c(a).saturating_add(c(b)).saturating_add(1),
        TKind::Cmp(_, a, b)
        | TKind::In(_, a, b)
        | TKind::HasAny(a, b)
        | TKind::HasAll(a, b)
        | TKind::Like(a, b)
        | TKind::Under(a, b)
        | TKind::Arith(_, a, b)
        | TKind::Lub(a, b)
        | TKind::Glb(a, b) => match (&a.kind, &b.kind) {
            // Computed sets expand into one comparison per element.
            (_, TKind::Set(items)) | (TKind::Set(items), _) => {
                let n = u32::try_from(items.len()).unwrap_or(u32::MAX);
                items
                    .iter()
                    .map(c)
                    .fold(0u32, u32::saturating_add)
                    .saturating_add(n.saturating_mul(c(a).min(c(b)).saturating_add(2)))
            }
            _ => c(a).saturating_add(c(b)).saturating_sub(1).max(1),
        },
        TKind::Set(items) => items.iter().map(c).fold(0u32, u32::saturating_add),
        TKind::Quant(_, s, body) => c(s)
            .saturating_add(3)
            .saturating_add(set_bound(s).saturating_mul(c(body).saturating_add(2))),
    }
}
