//! Typing of expressions: name resolution, operator typing, and presence guards for
//! optional attributes.

use super::Checker;
use super::program::{Accessor, ArithOp, CmpOp, InKind, TExpr, TKind};
use crate::error::{Code, Diagnostic, did_you_mean};
use crate::schema::{AttrId, LatticeShape};
use crate::source::Span;
use crate::syntax::ast::{BinOp, Expr, ExprKind, Ident, Literal};
use crate::types::{Hook, Type, WEEKDAYS};
use crate::value::Value;
use std::collections::BTreeSet;

/// What an expression may refer to.
#[derive(Clone, Debug, Default)]
pub struct Ctx {
    /// The hook of the policy; `None` inside constants and template arguments, which must
    /// be computable when checking.
    pub hook: Option<Hook>,
    /// Template parameters.
    pub params: Vec<(String, Type)>,
    /// Quantifier variables, outermost first.
    pub vars: Vec<(String, Type)>,
    /// Optional attributes known to be present here.
    pub present: Vec<AttrId>,
}

/// Attributes known present when an expression is true, and when it is false.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub if_true: Vec<AttrId>,
    pub if_false: Vec<AttrId>,
}

pub type Typed = Option<(TExpr, Facts)>;

fn lit(v: Value, ty: Type, span: Span) -> TExpr {
    TExpr {
        kind: TKind::Lit(v),
        ty,
        span,
    }
}

fn typed(kind: TKind, ty: Type, span: Span) -> Typed {
    Some((TExpr { kind, ty, span }, Facts::default()))
}

impl Checker<'_> {
    /// The attribute `field` of the entity named `ent` (which exists), or an error listing
    /// the entity's attributes. Shared by expressions and by fixture and test statements.
    pub(super) fn entity_attr(&mut self, ent: &Ident, field: &Ident) -> Option<AttrId> {
        if let Some(id) = self.schema.attr_named(&ent.name, &field.name) {
            return Some(id);
        }
        let names: Vec<String> = self
            .schema
            .entity_named(&ent.name)
            .map(|(_, e)| {
                e.attrs
                    .iter()
                    .filter_map(|id| self.schema.attr(*id).map(|a| a.name.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let d = Diagnostic::new(
            Code::UnknownAttribute,
            field.span,
            format!("entity `{}` has no attribute `{}`", ent.name, field.name),
        )
        .label("unknown attribute");
        let help = did_you_mean(&field.name, names.iter().map(String::as_str))
            .unwrap_or_else(|| format!("its attributes are {}", backticked(&names)));
        self.error(d.help(help));
        None
    }

    /// Type an expression; `expected` guides bare enum values and lattice levels. Reports
    /// problems and returns `None` when the expression has none usable type.
    pub(super) fn expr(&mut self, e: &Expr, ctx: &Ctx, expected: Option<&Type>) -> Typed {
        let span = e.span;
        match &e.kind {
            ExprKind::Paren(inner) => self.expr(inner, ctx, expected),
            ExprKind::Lit(l) => {
                let (v, t) = literal(l);
                Some((lit(v, t, span), Facts::default()))
            }
            ExprKind::Name(id) => self.name(id, ctx, expected).map(|t| (t, Facts::default())),
            ExprKind::Qualified(ty, val) => {
                self.qualified(ty, val, span).map(|t| (t, Facts::default()))
            }
            ExprKind::Field(base, field) => self.field(base, field, ctx, span),
            ExprKind::Set(items) => self.set_lit(items, ctx, expected, span),
            ExprKind::Call(name, args) => self.call(name, args, ctx, expected, span),
            ExprKind::Not(a) => {
                let (a, f) = self.boolean(a, ctx)?;
                Some((
                    TExpr {
                        kind: TKind::Not(Box::new(a)),
                        ty: Type::Bool,
                        span,
                    },
                    Facts {
                        if_true: f.if_false,
                        if_false: f.if_true,
                    },
                ))
            }
            ExprKind::And(a, b) => {
                let ra = self.boolean(a, ctx);
                let mut inner = ctx.clone();
                if let Some((_, f)) = &ra {
                    inner.present.extend(f.if_true.iter().copied());
                }
                let rb = self.boolean(b, &inner);
                let ((a, fa), (b, fb)) = (ra?, rb?);
                let mut if_true = fa.if_true;
                if_true.extend(fb.if_true);
                let if_false = intersect(&fa.if_false, &fb.if_false);
                Some((
                    TExpr {
                        kind: TKind::And(Box::new(a), Box::new(b)),
                        ty: Type::Bool,
                        span,
                    },
                    Facts { if_true, if_false },
                ))
            }
            ExprKind::Or(a, b) => {
                let ra = self.boolean(a, ctx);
                let mut inner = ctx.clone();
                if let Some((_, f)) = &ra {
                    inner.present.extend(f.if_false.iter().copied());
                }
                let rb = self.boolean(b, &inner);
                let ((a, fa), (b, fb)) = (ra?, rb?);
                let if_true = intersect(&fa.if_true, &fb.if_true);
                let mut if_false = fa.if_false;
                if_false.extend(fb.if_false);
                Some((
                    TExpr {
                        kind: TKind::Or(Box::new(a), Box::new(b)),
                        ty: Type::Bool,
                        span,
                    },
                    Facts { if_true, if_false },
                ))
            }
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b, ctx, span),
            ExprKind::Quant(q, var, set, body) => {
                let (s, _) = self.expr(set, ctx, None)?;
                let Type::Set(elem) = &s.ty else {
                    self.error(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            set.span,
                            format!("a quantifier ranges over a set, not {}", self.a(&s.ty)),
                        )
                        .label("not a set"),
                    );
                    return None;
                };
                if ctx.vars.iter().any(|(n, _)| *n == var.name) {
                    self.error(
                        Diagnostic::new(
                            Code::Duplicate,
                            var.span,
                            format!("variable `{}` is already bound", var.name),
                        )
                        .label("shadows an enclosing quantifier variable")
                        .help("choose another name"),
                    );
                    return None;
                }
                let mut inner = ctx.clone();
                inner.vars.push((var.name.clone(), (**elem).clone()));
                let (body, _) = self.boolean(body, &inner)?;
                typed(
                    TKind::Quant(*q, Box::new(s), Box::new(body)),
                    Type::Bool,
                    span,
                )
            }
        }
    }

    /// Type an expression that must be a bool.
    pub(super) fn boolean(&mut self, e: &Expr, ctx: &Ctx) -> Typed {
        let (t, f) = self.expr(e, ctx, Some(&Type::Bool))?;
        if t.ty != Type::Bool {
            self.error(
                Diagnostic::new(
                    Code::TypeMismatch,
                    e.span,
                    format!("expected a condition, found {}", self.a(&t.ty)),
                )
                .label("not a bool")
                .help("compare it with something, e.g. `==`, `in` or `has`"),
            );
            return None;
        }
        Some((t, f))
    }

    fn ty(&self, t: &Type) -> String {
        self.schema.type_name(t)
    }

    /// "a `string`", "an `int`": a type with its article, for messages.
    fn a(&self, t: &Type) -> String {
        article(&self.ty(t))
    }

    /// Is this a bare name that only the expected type can resolve?
    fn needs_context(&self, e: &Expr, ctx: &Ctx) -> bool {
        match &e.kind {
            ExprKind::Paren(i) => self.needs_context(i, ctx),
            ExprKind::Name(id) => {
                !ctx.vars.iter().any(|(n, _)| *n == id.name)
                    && !ctx.params.iter().any(|(n, _)| *n == id.name)
                    && !self.has_const(&id.name)
            }
            ExprKind::Set(items) => items.iter().all(|i| self.needs_context(i, ctx)),
            _ => false,
        }
    }

    fn name(&mut self, id: &Ident, ctx: &Ctx, expected: Option<&Type>) -> Option<TExpr> {
        let span = id.span;
        if let Some(i) = ctx.vars.iter().rposition(|(n, _)| *n == id.name) {
            let ty = ctx.vars.get(i).map(|(_, t)| t.clone())?;
            return Some(TExpr {
                kind: TKind::Var(u32::try_from(i).ok()?),
                ty,
                span,
            });
        }
        if let Some(i) = ctx.params.iter().position(|(n, _)| *n == id.name) {
            let ty = ctx.params.get(i).map(|(_, t)| t.clone())?;
            return Some(TExpr {
                kind: TKind::Param(u32::try_from(i).ok()?),
                ty,
                span,
            });
        }
        if self.has_const(&id.name) {
            let (v, t) = self.const_value(&id.name, span)?;
            return Some(lit(v, t, span));
        }
        // Enum values and lattice levels: the expected type decides first.
        if let Some(t) = expected.map(strip_set)
            && let Some(v) = self.value_of_type(&id.name, t)
        {
            return Some(lit(v, t.clone(), span));
        }
        let mut found: Vec<(Value, Type, String)> = Vec::new();
        for (i, e) in self.schema.enums.iter().enumerate() {
            if let Some(pos) = e.values.iter().position(|v| *v == id.name) {
                let eid = crate::types::EnumId(u32::try_from(i).ok()?);
                found.push((
                    Value::Enum(u32::try_from(pos).ok()?),
                    Type::Enum(eid),
                    e.name.clone(),
                ));
            }
        }
        for (i, l) in self.schema.lattices.iter().enumerate() {
            if let LatticeShape::Levels(ls) = &l.shape
                && let Some(pos) = ls.iter().position(|v| *v == id.name)
            {
                let lid = crate::types::LatticeId(u32::try_from(i).ok()?);
                found.push((
                    Value::Level(u32::try_from(pos).ok()?),
                    Type::Lattice(lid),
                    l.name.clone(),
                ));
            }
        }
        if let Some(pos) = WEEKDAYS.iter().position(|d| *d == id.name) {
            found.push((
                Value::Weekday(u8::try_from(pos).ok()?),
                Type::Weekday,
                "weekday".into(),
            ));
        }
        match found.len() {
            1 => {
                let (v, t, _) = found.pop()?;
                Some(lit(v, t, span))
            }
            0 => {
                if self.schema.entity_named(&id.name).is_some() {
                    self.error(
                        Diagnostic::new(Code::TypeMismatch, span, format!("entity `{}` is not a value", id.name))
                            .label("an entity, not a value")
                            .help(format!("name one of its attributes, e.g. `{}.id`, or test one with `{} has ATTR`", id.name, id.name)),
                    );
                    return None;
                }
                // With an enum or lattice expected, say which values would fit.
                let expected_values: Option<(String, Vec<String>)> = match expected.map(strip_set) {
                    Some(Type::Enum(e)) => self
                        .schema
                        .enum_def(*e)
                        .map(|d| (d.name.clone(), d.values.clone())),
                    Some(Type::Lattice(l)) => match self.schema.lattice(*l) {
                        Some(d) => match &d.shape {
                            LatticeShape::Levels(ls) => Some((d.name.clone(), ls.clone())),
                            LatticeShape::Product { .. } => None,
                        },
                        None => None,
                    },
                    _ => None,
                };
                if let Some((tname, values)) = expected_values {
                    let help = did_you_mean(&id.name, values.iter().map(String::as_str))
                        .unwrap_or_else(|| {
                            format!("the values of `{tname}` are {}", backticked(&values))
                        });
                    self.error(
                        Diagnostic::new(
                            Code::UnknownName,
                            span,
                            format!("`{}` is not a value of `{tname}`", id.name),
                        )
                        .label(format!("expected a `{tname}` here"))
                        .help(help),
                    );
                    return None;
                }
                let d = Diagnostic::new(
                    Code::UnknownName,
                    span,
                    format!("unknown name `{}`", id.name),
                )
                .label("not defined");
                let mut names: Vec<String> = ctx.vars.iter().map(|(n, _)| n.clone()).collect();
                names.extend(ctx.params.iter().map(|(n, _)| n.clone()));
                names.extend(self.const_names());
                names.extend(
                    self.schema
                        .enums
                        .iter()
                        .flat_map(|e| e.values.iter().cloned()),
                );
                names.extend(self.schema.lattices.iter().flat_map(|l| match &l.shape {
                    LatticeShape::Levels(ls) => ls.clone(),
                    LatticeShape::Product { .. } => Vec::new(),
                }));
                let help = did_you_mean(&id.name, names.iter().map(String::as_str)).unwrap_or_else(|| {
                    "names are constants, template parameters, quantifier variables, enum values and lattice levels".into()
                });
                self.error(d.help(help));
                None
            }
            _ => {
                let kinds: Vec<String> = found
                    .iter()
                    .map(|(_, _, k)| format!("`{}::{}`", k, id.name))
                    .collect();
                self.error(
                    Diagnostic::new(
                        Code::AmbiguousValue,
                        span,
                        format!("`{}` is a value of several types", id.name),
                    )
                    .label("ambiguous here")
                    .help(format!("qualify it: {}", kinds.join(" or "))),
                );
                None
            }
        }
    }

    /// A bare name as a value of the given enum, lattice or weekday type.
    fn value_of_type(&self, name: &str, t: &Type) -> Option<Value> {
        match t {
            Type::Enum(e) => self.schema.enum_value(*e, name).map(Value::Enum),
            Type::Lattice(l) => self.schema.lattice_level(*l, name).map(Value::Level),
            Type::Weekday => WEEKDAYS
                .iter()
                .position(|d| *d == name)
                .and_then(|p| u8::try_from(p).ok())
                .map(Value::Weekday),
            _ => None,
        }
    }

    fn qualified(&mut self, ty: &Ident, val: &Ident, span: Span) -> Option<TExpr> {
        let t = if let Some(e) = self.schema.enum_named(&ty.name) {
            Type::Enum(e)
        } else if let Some(l) = self.schema.lattice_named(&ty.name) {
            Type::Lattice(l)
        } else if ty.name == "weekday" {
            Type::Weekday
        } else {
            let names = self
                .schema
                .enums
                .iter()
                .map(|e| e.name.as_str())
                .chain(self.schema.lattices.iter().map(|l| l.name.as_str()));
            let d = Diagnostic::new(
                Code::UnknownItem,
                ty.span,
                format!("unknown enum or lattice `{}`", ty.name),
            )
            .label("not a type");
            let d = match did_you_mean(&ty.name, names) {
                Some(h) => d.help(h),
                None => d,
            };
            self.error(d);
            return None;
        };
        if let Type::Lattice(l) = &t
            && let Some(LatticeShape::Product { .. }) = self.schema.lattice(*l).map(|d| &d.shape)
        {
            self.error(
                Diagnostic::new(
                    Code::TypeMismatch,
                    span,
                    format!("`{}` is a product lattice and has no bare values", ty.name),
                )
                .label("not a value")
                .help(format!("write `{}(LEVEL, {{COMPARTMENTS}})`", ty.name)),
            );
            return None;
        }
        match self.value_of_type(&val.name, &t) {
            Some(v) => Some(lit(v, t, span)),
            None => {
                let values: Vec<String> = match &t {
                    Type::Enum(e) => self
                        .schema
                        .enum_def(*e)
                        .map(|d| d.values.clone())
                        .unwrap_or_default(),
                    Type::Lattice(l) => match self.schema.lattice(*l).map(|d| &d.shape) {
                        Some(LatticeShape::Levels(ls)) => ls.clone(),
                        _ => Vec::new(),
                    },
                    _ => WEEKDAYS.iter().map(|s| s.to_string()).collect(),
                };
                let d = Diagnostic::new(
                    Code::UnknownName,
                    val.span,
                    format!("`{}` has no value `{}`", ty.name, val.name),
                )
                .label("unknown value");
                let help = did_you_mean(&val.name, values.iter().map(String::as_str))
                    .unwrap_or_else(|| format!("the values are {}", backticked(&values)));
                self.error(d.help(help));
                None
            }
        }
    }

    fn field(&mut self, base: &Expr, field: &Ident, ctx: &Ctx, span: Span) -> Typed {
        // `entity.attr`, unless the entity name is shadowed by a value.
        if let ExprKind::Name(ent) = &base.kind
            && !ctx.vars.iter().any(|(n, _)| *n == ent.name)
            && !ctx.params.iter().any(|(n, _)| *n == ent.name)
            && !self.has_const(&ent.name)
        {
            let id = self.attr_ref(ent, field, ctx)?;
            let attr = self.schema.attr(id)?.clone();
            if attr.optional && !ctx.present.contains(&id) {
                self.error(
                    Diagnostic::new(
                        Code::UnguardedOptional,
                        span,
                        format!(
                            "attribute `{}.{}` is optional and may be absent here",
                            ent.name, field.name
                        ),
                    )
                    .label("read without a presence test")
                    .help(format!(
                        "test it first: `{} has {} and ...`",
                        ent.name, field.name
                    )),
                );
                return None;
            }
            return typed(TKind::Attr(id), attr.ty, span);
        }
        let (b, _) = self.expr(base, ctx, None)?;
        let acc = match (&b.ty, field.name.as_str()) {
            (Type::Timestamp, "weekday") => Some((Accessor::Weekday, Type::Weekday)),
            (Type::Timestamp, "time_of_day") => Some((Accessor::TimeOfDay, Type::Time)),
            (Type::Timestamp, "hour") => Some((Accessor::Hour, Type::Int)),
            (Type::Set(_), "size") => Some((Accessor::Size, Type::Int)),
            (Type::Lattice(l), "level") | (Type::Lattice(l), "compartments") => {
                match self.schema.lattice(*l).map(|d| &d.shape) {
                    Some(LatticeShape::Product { base, .. }) if field.name == "level" => {
                        Some((Accessor::Level, Type::Lattice(*base)))
                    }
                    Some(LatticeShape::Product { .. }) => self
                        .schema
                        .compartment_enum(*l)
                        .map(|e| (Accessor::Compartments, Type::set_of(Type::Enum(e)))),
                    _ => None,
                }
            }
            _ => None,
        };
        match acc {
            Some((a, t)) => typed(TKind::Field(a, Box::new(b)), t, span),
            None => {
                let avail = match &b.ty {
                    Type::Timestamp => "`.weekday`, `.time_of_day` and `.hour`",
                    Type::Set(_) => "`.size`",
                    Type::Lattice(_) => "`.level` and `.compartments` (on a product lattice)",
                    _ => "none",
                };
                self.error(
                    Diagnostic::new(
                        Code::UnknownAttribute,
                        field.span,
                        format!("{} has no field `{}`", self.a(&b.ty), field.name),
                    )
                    .label("unknown field")
                    .help(format!("fields of this type: {avail}")),
                );
                None
            }
        }
    }

    /// Resolve `entity.attr` and check the entity is available at this hook.
    fn attr_ref(&mut self, ent: &Ident, field: &Ident, ctx: &Ctx) -> Option<AttrId> {
        let Some((_, entity)) = self.schema.entity_named(&ent.name) else {
            let d = Diagnostic::new(
                Code::UnknownEntity,
                ent.span,
                format!("unknown entity `{}`", ent.name),
            )
            .label("not an entity");
            let help = did_you_mean(
                &ent.name,
                self.schema.entities.iter().map(|e| e.name.as_str()),
            )
            .unwrap_or_else(|| {
                let names: Vec<String> = self
                    .schema
                    .entities
                    .iter()
                    .map(|e| e.name.clone())
                    .collect();
                format!("the entities are {}", backticked(&names))
            });
            self.error(d.help(help));
            return None;
        };
        let entity = entity.clone();
        let Some(hook) = ctx.hook else {
            self.error(
                Diagnostic::new(
                    Code::NotConstant,
                    ent.span.join(field.span),
                    "a constant cannot read the request",
                )
                .label("request attribute")
                .help("constants and template arguments must be known when the policy is compiled"),
            );
            return None;
        };
        if !entity.available_at(hook) {
            let hooks: Vec<String> = Hook::ALL
                .iter()
                .filter(|h| entity.available_at(**h))
                .map(|h| h.name().to_string())
                .collect();
            self.error(
                Diagnostic::new(
                    Code::EntityNotAtHook,
                    ent.span,
                    format!("entity `{}` is not available at hook `{}`", ent.name, hook),
                )
                .label(format!("no `{}` at this hook", ent.name))
                .help(format!(
                    "`{}` is available at {}",
                    ent.name,
                    backticked(&hooks)
                )),
            );
            return None;
        }
        self.entity_attr(ent, field)
    }

    fn set_lit(&mut self, items: &[Expr], ctx: &Ctx, expected: Option<&Type>, span: Span) -> Typed {
        // The context's element type only helps resolve bare names; the elements decide.
        let hint = expected.and_then(Type::element).cloned();
        let mut elem_ty = Type::Never;
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for item in items {
            let exp = if elem_ty == Type::Never {
                hint.clone()
            } else {
                Some(elem_ty.clone())
            };
            let Some((t, _)) = self.expr(item, ctx, exp.as_ref()) else {
                ok = false;
                continue;
            };
            if matches!(t.ty, Type::Set(_)) {
                self.error(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        item.span,
                        "sets of sets are not supported",
                    )
                    .label("a set inside a set"),
                );
                ok = false;
                continue;
            }
            match elem_ty.unify(&t.ty) {
                Some(u) => elem_ty = u,
                None => {
                    self.error(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            item.span,
                            format!(
                                "set elements must all have one type: expected `{}`, found `{}`",
                                self.ty(&elem_ty),
                                self.ty(&t.ty)
                            ),
                        )
                        .label("different type"),
                    );
                    ok = false;
                    continue;
                }
            }
            out.push(t);
        }
        if !ok {
            return None;
        }
        let ty = Type::set_of(elem_ty);
        if out.iter().all(|t| matches!(t.kind, TKind::Lit(_))) {
            let values: BTreeSet<Value> = out
                .into_iter()
                .filter_map(|t| match t.kind {
                    TKind::Lit(v) => Some(v),
                    _ => None,
                })
                .collect();
            return Some((lit(Value::Set(values), ty, span), Facts::default()));
        }
        typed(TKind::Set(out), ty, span)
    }

    fn call(
        &mut self,
        name: &Ident,
        args: &[Expr],
        ctx: &Ctx,
        expected: Option<&Type>,
        span: Span,
    ) -> Typed {
        match name.name.as_str() {
            "lub" | "glb" => {
                let [a, b] = args else {
                    self.error(arity(name, 2, args.len(), span));
                    return None;
                };
                let (ta, tb) = self.pair(a, b, ctx, expected)?;
                let ok = matches!(ta.ty, Type::Lattice(_)) && ta.ty == tb.ty;
                if !ok {
                    self.error(self.lattice_mismatch(&ta, &tb, span, &format!("`{}`", name.name)));
                    return None;
                }
                let ty = ta.ty.clone();
                let kind = if name.name == "lub" {
                    TKind::Lub(Box::new(ta), Box::new(tb))
                } else {
                    TKind::Glb(Box::new(ta), Box::new(tb))
                };
                typed(kind, ty, span)
            }
            other => {
                let Some(lid) = self.schema.lattice_named(other) else {
                    let mut names = vec!["lub".to_string(), "glb".to_string()];
                    names.extend(
                        self.schema
                            .lattices
                            .iter()
                            .filter(|l| matches!(l.shape, LatticeShape::Product { .. }))
                            .map(|l| l.name.clone()),
                    );
                    let d = Diagnostic::new(
                        Code::UnknownItem,
                        name.span,
                        format!("unknown function `{other}`"),
                    )
                    .label("not a function");
                    let help = did_you_mean(other, names.iter().map(String::as_str))
                        .unwrap_or_else(|| format!("the functions are {}", backticked(&names)));
                    self.error(d.help(help));
                    return None;
                };
                let Some(LatticeShape::Product { base, compartments }) =
                    self.schema.lattice(lid).map(|l| l.shape.clone())
                else {
                    self.error(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            name.span,
                            format!("`{other}` is a total order; write its levels bare"),
                        )
                        .label("not a product lattice")
                        .help(format!("e.g. `{other}::LEVEL`")),
                    );
                    return None;
                };
                let [level, comps] = args else {
                    self.error(arity(name, 2, args.len(), span));
                    return None;
                };
                let (tl, _) = self.expr(level, ctx, Some(&Type::Lattice(base)))?;
                if tl.ty != Type::Lattice(base) {
                    let base_name = self.ty(&Type::Lattice(base));
                    self.error(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            level.span,
                            format!(
                                "expected a level of `{base_name}`, found {}",
                                self.a(&tl.ty)
                            ),
                        )
                        .label("wrong level"),
                    );
                    return None;
                }
                let ExprKind::Set(items) = &comps.kind else {
                    self.error(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            comps.span,
                            "compartments are written as a set literal",
                        )
                        .label("expected `{...}`")
                        .help(format!(
                            "e.g. `{other}(LEVEL, {{{}}})`",
                            compartments.first().cloned().unwrap_or_default()
                        )),
                    );
                    return None;
                };
                let comp_enum = self.schema.compartment_enum(lid)?;
                let comp_ty = Type::Enum(comp_enum);
                let mut bits = 0u64;
                for item in items {
                    if let ExprKind::Lit(Literal::Str(s)) = &item.kind {
                        self.error(
                            Diagnostic::new(
                                Code::TypeMismatch,
                                item.span,
                                format!("compartments are names, not strings: write `{s}`"),
                            )
                            .label("a string")
                            .help(format!(
                                "the compartments of `{other}` are {}",
                                backticked(&compartments)
                            )),
                        );
                        return None;
                    }
                    let (t, _) = self.expr(item, ctx, Some(&comp_ty))?;
                    match (&t.kind, &t.ty) {
                        (TKind::Lit(Value::Enum(i)), ty) if *ty == comp_ty && *i < 64 => {
                            bits |= 1u64 << i
                        }
                        _ => {
                            self.error(
                                Diagnostic::new(
                                    Code::NotConstant,
                                    item.span,
                                    format!(
                                        "expected a compartment of `{other}`, found {}",
                                        self.a(&t.ty)
                                    ),
                                )
                                .label("not a compartment name")
                                .help(format!(
                                    "the compartments of `{other}` are {}",
                                    backticked(&compartments)
                                )),
                            );
                            return None;
                        }
                    }
                }
                typed(TKind::Label(Box::new(tl), bits), Type::Lattice(lid), span)
            }
        }
    }

    /// Type two operands that must agree, letting a typed side resolve a bare name.
    fn pair(
        &mut self,
        a: &Expr,
        b: &Expr,
        ctx: &Ctx,
        expected: Option<&Type>,
    ) -> Option<(TExpr, TExpr)> {
        if self.needs_context(a, ctx) && !self.needs_context(b, ctx) {
            let (tb, _) = self.expr(b, ctx, expected)?;
            let (ta, _) = self.expr(a, ctx, Some(&tb.ty))?;
            Some((ta, tb))
        } else {
            let ra = self.expr(a, ctx, expected);
            let exp = ra.as_ref().map(|(t, _)| t.ty.clone());
            let rb = self.expr(b, ctx, exp.as_ref().or(expected));
            Some((ra?.0, rb?.0))
        }
    }

    fn lattice_mismatch(&self, a: &TExpr, b: &TExpr, span: Span, what: &str) -> Diagnostic {
        match (&a.ty, &b.ty) {
            (Type::Lattice(x), Type::Lattice(y)) if x != y => Diagnostic::new(
                Code::LatticeMismatch,
                span,
                format!(
                    "{what} needs levels of one lattice, found `{}` and `{}`",
                    self.ty(&a.ty),
                    self.ty(&b.ty)
                ),
            )
            .label("different lattices")
            .secondary(a.span, self.a(&a.ty))
            .secondary(b.span, self.a(&b.ty))
            .help("levels of different lattices are never comparable"),
            _ => Diagnostic::new(
                Code::BadOperands,
                span,
                format!(
                    "{what} needs two lattice values, found `{}` and `{}`",
                    self.ty(&a.ty),
                    self.ty(&b.ty)
                ),
            )
            .label("not lattice values"),
        }
    }

    fn binary(&mut self, op: BinOp, a: &Expr, b: &Expr, ctx: &Ctx, span: Span) -> Typed {
        // Presence test: `entity has attr`.
        if op == BinOp::Has
            && let (ExprKind::Name(ent), ExprKind::Name(attr)) = (&a.kind, &b.kind)
            && self.schema.entity_named(&ent.name).is_some()
            && self.needs_context(a, ctx)
        {
            let id = self.attr_ref(ent, attr, ctx)?;
            return Some((
                TExpr {
                    kind: TKind::Has(id),
                    ty: Type::Bool,
                    span,
                },
                Facts {
                    if_true: vec![id],
                    if_false: Vec::new(),
                },
            ));
        }
        let bool_ = |kind| typed(kind, Type::Bool, span);
        match op {
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let (ta, tb) = self.pair(a, b, ctx, None)?;
                let cmp = match op {
                    BinOp::Eq => CmpOp::Eq,
                    BinOp::Ne => CmpOp::Ne,
                    BinOp::Lt => CmpOp::Lt,
                    BinOp::Le => CmpOp::Le,
                    BinOp::Gt => CmpOp::Gt,
                    _ => CmpOp::Ge,
                };
                let Some(common) = ta.ty.unify(&tb.ty) else {
                    if matches!((&ta.ty, &tb.ty), (Type::Lattice(_), Type::Lattice(_))) {
                        self.error(self.lattice_mismatch(
                            &ta,
                            &tb,
                            span,
                            &format!("`{}`", op.symbol()),
                        ));
                    } else {
                        self.error(self.mismatch(op, &ta, &tb, span));
                    }
                    return None;
                };
                if !matches!(cmp, CmpOp::Eq | CmpOp::Ne) && !common.is_ordered() {
                    self.error(
                        Diagnostic::new(Code::BadOperands, span, format!("`{}` is not defined for `{}`", op.symbol(), self.ty(&common)))
                            .label("values of this type are not ordered")
                            .help("order comparisons work on int, timestamp, duration, time, weekday and lattice levels"),
                    );
                    return None;
                }
                bool_(TKind::Cmp(cmp, Box::new(ta), Box::new(tb)))
            }
            BinOp::In | BinOp::Has => {
                // `s has x` is `x in s`.
                let (elem, coll) = if op == BinOp::In { (a, b) } else { (b, a) };
                let (tc, _) = self.expr(coll, ctx, None)?;
                let (kind, elem_exp) = match &tc.ty {
                    Type::Set(t) if **t == Type::Cidr => (InKind::AnyNetwork, None),
                    Type::Set(t) => (InKind::Member, Some((**t).clone())),
                    Type::Cidr => (InKind::Network, None),
                    _ => {
                        self.error(
                            Diagnostic::new(Code::BadOperands, coll.span, format!(
                                "`{}` needs a set or a network, found {}",
                                op.symbol(),
                                self.a(&tc.ty)
                            ))
                            .label("not a set")
                            .help(if op == BinOp::Has {
                                "`has` tests set membership (`tags has \"x\"`) or, on an entity, attribute presence (`client has posture`)"
                            } else {
                                "`in` tests membership in a set or a network"
                            }),
                        );
                        return None;
                    }
                };
                let (te, _) = self.expr(elem, ctx, elem_exp.as_ref())?;
                let fits = match (&kind, &elem_exp) {
                    (InKind::Member, Some(t)) => te.ty.unify(t).is_some(),
                    _ => matches!(te.ty, Type::Ip | Type::Cidr),
                };
                if !fits {
                    let want = elem_exp.map_or("an `ip` or `cidr`".to_string(), |t| self.a(&t));
                    self.error(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            elem.span,
                            format!("expected {want}, found {}", self.a(&te.ty)),
                        )
                        .label("wrong element type")
                        .secondary(coll.span, format!("this is {}", self.a(&tc.ty))),
                    );
                    return None;
                }
                bool_(TKind::In(kind, Box::new(te), Box::new(tc)))
            }
            BinOp::HasAny | BinOp::HasAll => {
                let (ta, tb) = self.pair(a, b, ctx, None)?;
                let ok = matches!(ta.ty, Type::Set(_)) && ta.ty.unify(&tb.ty).is_some();
                if !ok {
                    self.error(
                        self.mismatch(op, &ta, &tb, span)
                            .help("both sides must be sets of one element type"),
                    );
                    return None;
                }
                bool_(if op == BinOp::HasAny {
                    TKind::HasAny(Box::new(ta), Box::new(tb))
                } else {
                    TKind::HasAll(Box::new(ta), Box::new(tb))
                })
            }
            BinOp::Like => {
                let (ta, _) = self.expr(a, ctx, Some(&Type::String))?;
                let (tb, _) = self.expr(b, ctx, Some(&Type::String))?;
                if ta.ty != Type::String || tb.ty != Type::String {
                    self.error(self.mismatch(op, &ta, &tb, span).help(
                        "`like` matches a string against a glob pattern such as `\"*.example\"`",
                    ));
                    return None;
                }
                bool_(TKind::Like(Box::new(ta), Box::new(tb)))
            }
            BinOp::Matches => {
                let (ta, _) = self.expr(a, ctx, Some(&Type::String))?;
                let (tb, _) = self.expr(b, ctx, Some(&Type::String))?;
                if ta.ty != Type::String || tb.ty != Type::String {
                    self.error(self.mismatch(op, &ta, &tb, span));
                    return None;
                }
                let TKind::Lit(Value::Str(pattern)) = &tb.kind else {
                    self.error(
                        Diagnostic::new(Code::NotConstant, b.span, "a regular expression must be known when checking")
                            .label("not a literal or constant")
                            .help("write the pattern as a string literal or a constant, so it is compiled once"),
                    );
                    return None;
                };
                if let Err(e) = regex::RegexBuilder::new(pattern)
                    .size_limit(1 << 20)
                    .build()
                {
                    let msg = e.to_string();
                    let last = msg
                        .lines()
                        .rev()
                        .find(|l| !l.trim().is_empty())
                        .unwrap_or("invalid")
                        .trim()
                        .to_string();
                    self.error(
                        Diagnostic::new(
                            Code::InvalidRegex,
                            b.span,
                            format!(
                                "invalid regular expression: {}",
                                last.trim_start_matches("error: ")
                            ),
                        )
                        .label("this pattern")
                        .help("the syntax is that of the Rust `regex` crate"),
                    );
                    return None;
                }
                let p = pattern.clone();
                bool_(TKind::Matches(Box::new(ta), p))
            }
            BinOp::Under => {
                let (ta, _) = self.expr(a, ctx, Some(&Type::String))?;
                let (tb, _) = self.expr(b, ctx, Some(&Type::String))?;
                let ok = ta.ty == Type::String
                    && (tb.ty == Type::String
                        || tb.ty == Type::set_of(Type::String)
                        || tb.ty == Type::set_of(Type::Never));
                if !ok {
                    self.error(
                        self.mismatch(op, &ta, &tb, span).help(
                            "`under` tests a domain name against a domain or a set of domains",
                        ),
                    );
                    return None;
                }
                bool_(TKind::Under(Box::new(ta), Box::new(tb)))
            }
            BinOp::Add | BinOp::Sub => {
                let (ta, tb) = self.pair(a, b, ctx, None)?;
                let arith = if op == BinOp::Add {
                    ArithOp::Add
                } else {
                    ArithOp::Sub
                };
                let ty = match (&ta.ty, &tb.ty, arith) {
                    (Type::Int, Type::Int, _) => Type::Int,
                    (Type::Timestamp, Type::Duration, _) => Type::Timestamp,
                    (Type::Timestamp, Type::Timestamp, ArithOp::Sub) => Type::Duration,
                    (Type::Duration, Type::Duration, _) => Type::Duration,
                    _ => {
                        self.error(self.mismatch(op, &ta, &tb, span).help(
                            "`+` and `-` work on ints, durations, and timestamps with durations; `timestamp - timestamp` is a duration",
                        ));
                        return None;
                    }
                };
                typed(TKind::Arith(arith, Box::new(ta), Box::new(tb)), ty, span)
            }
        }
    }

    fn mismatch(&self, op: BinOp, a: &TExpr, b: &TExpr, span: Span) -> Diagnostic {
        Diagnostic::new(
            Code::BadOperands,
            span,
            format!(
                "`{}` is not defined for `{}` and `{}`",
                op.symbol(),
                self.ty(&a.ty),
                self.ty(&b.ty)
            ),
        )
        .label("incompatible operands")
        .secondary(a.span, self.a(&a.ty))
        .secondary(b.span, self.a(&b.ty))
    }
}

fn strip_set(t: &Type) -> &Type {
    match t {
        Type::Set(inner) => inner,
        other => other,
    }
}

fn intersect(a: &[AttrId], b: &[AttrId]) -> Vec<AttrId> {
    a.iter().copied().filter(|x| b.contains(x)).collect()
}

fn arity(name: &Ident, want: usize, got: usize, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::Arity,
        span,
        format!("`{}` takes {want} arguments, found {got}", name.name),
    )
    .label(format!("{got} argument{}", if got == 1 { "" } else { "s" }))
}

pub(super) fn backticked(names: &[String]) -> String {
    let v: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    v.join(", ")
}

/// The value and type of a literal.
pub(super) fn literal(l: &Literal) -> (Value, Type) {
    match l {
        Literal::Bool(b) => (Value::Bool(*b), Type::Bool),
        Literal::Int(i) => (Value::Int(*i), Type::Int),
        Literal::Str(s) => (Value::Str(s.clone()), Type::String),
        Literal::Ip(ip) => (Value::Ip(*ip), Type::Ip),
        Literal::Cidr(c) => (Value::Cidr(*c), Type::Cidr),
        Literal::Timestamp(t) => (Value::Timestamp(*t), Type::Timestamp),
        Literal::Duration(d) => (Value::Duration(*d), Type::Duration),
        Literal::Time(t) => (Value::Time(*t), Type::Time),
    }
}

/// A type name with its indefinite article.
pub(super) fn article(name: &str) -> String {
    let an = name.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} `{name}`", if an { "an" } else { "a" })
}
