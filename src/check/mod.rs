//! Stage 2: names and types. Takes the syntax trees of every file of a project and the
//! schema, and produces a resolved, typed [`Program`], or every error found.
//!
//! Constants are global to the project and evaluated here (with the reference
//! interpreter), so the compiler only ever sees values. Templates are checked once, with
//! their parameters typed, and shared by every instance.

mod expr;
mod lint;
pub mod program;

use crate::error::{Code, Diagnostic, did_you_mean};
use crate::reference;
use crate::schema::{self, Schema};
use crate::source::{FileId, Sources, Span};
use crate::syntax::ast::{
    self, ConstDecl, FixtureDecl, Item, PolicyFile, RuleKind, ScopeBlock, ScopeItem, ScopeKind,
    TemplateDecl, TestDecl,
};
use crate::syntax::{Limits, parse_policy};
use crate::types::{Hook, Type};
use crate::value::Value;
use expr::{Ctx, backticked};
use program::{Body, CheckedRule, Effect, Outcome, Policy, Program, Scope, TExpr, TKind};
use std::collections::HashMap;

/// The result of checking: the program when there is no error, and every diagnostic
/// (errors and warnings) in file order.
#[derive(Debug)]
pub struct Checked {
    /// The typed program; `None` if any diagnostic is an error.
    pub program: Option<Program>,
    /// Errors and warnings, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    /// Whether any diagnostic is an error (then there is no program).
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parse and check every source file as one project.
pub fn check_sources(sources: &Sources, schema: Schema, limits: &Limits) -> Checked {
    let ids: Vec<FileId> = sources.iter().map(|(id, _)| id).collect();
    check_some(sources, &ids, schema, limits)
}

/// Parse and check the given files of `sources` as one project.
pub fn check_some(sources: &Sources, ids: &[FileId], schema: Schema, limits: &Limits) -> Checked {
    let mut files = Vec::new();
    let mut diags = Vec::new();
    for (id, f) in ids
        .iter()
        .filter_map(|id| sources.get(*id).map(|f| (*id, f)))
    {
        match parse_policy(id, &f.text, limits) {
            Ok(ast) => files.push((id, ast)),
            Err(d) => diags.push(d),
        }
    }
    let rules: usize = files.iter().map(|(_, f)| count_rules(f)).sum();
    if rules > limits.max_rules {
        let span = files
            .first()
            .map(|(id, _)| Span::new(*id, 0, 0))
            .unwrap_or_default();
        diags.push(
            Diagnostic::new(
                Code::FileTooLarge,
                span,
                format!(
                    "the project has {rules} rules, more than the limit of {}",
                    limits.max_rules
                ),
            )
            .label("too many rules")
            .help("raise the limit with `--max-rules` if this is intended"),
        );
        return Checked {
            program: None,
            diagnostics: diags,
        };
    }
    let mut checked = check_files(&files, schema);
    diags.append(&mut checked.diagnostics);
    diags.sort_by_key(|d| {
        let s = d.span();
        (s.file, s.start)
    });
    if diags.iter().any(Diagnostic::is_error) {
        checked.program = None;
    }
    checked.diagnostics = diags;
    checked
}

/// Rules written in a file (templates count once; every `use` counts as one more policy).
fn count_rules(f: &PolicyFile) -> usize {
    fn scope(b: &ScopeBlock) -> usize {
        b.items
            .iter()
            .map(|i| match i {
                ScopeItem::Policy(p) => p.rules.len(),
                ScopeItem::Use(_) => 1,
                ScopeItem::Scope(s) => scope(s),
            })
            .sum()
    }
    f.items
        .iter()
        .map(|i| match i {
            Item::Template(t) => t.rules.len(),
            Item::Scope(s) => scope(s),
            _ => 0,
        })
        .sum()
}

/// Check parsed files as one project.
pub fn check_files(files: &[(FileId, PolicyFile)], schema: Schema) -> Checked {
    let span = files
        .first()
        .map(|(id, _)| Span::new(*id, 0, 0))
        .unwrap_or_default();
    crate::syntax::with_stack(|| check_files_here(files, schema)).unwrap_or_else(|| Checked {
        program: None,
        diagnostics: vec![
            Diagnostic::new(
                Code::Internal,
                span,
                "internal error: the checker stopped unexpectedly",
            )
            .help("this is a bug in dictum; please report it with the input that caused it"),
        ],
    })
}

fn check_files_here(files: &[(FileId, PolicyFile)], schema: Schema) -> Checked {
    let mut c = Checker {
        schema,
        diags: Vec::new(),
        consts: HashMap::new(),
        const_order: Vec::new(),
        const_depth: 0,
        templates: HashMap::new(),
        template_order: Vec::new(),
        bodies: Vec::new(),
        policies: Vec::new(),
        policy_names: HashMap::new(),
        defaults: HashMap::new(),
        fixtures: HashMap::new(),
        fixture_values: HashMap::new(),
        resolving: Vec::new(),
        test_decls: Vec::new(),
        tests: Vec::new(),
        fixture_list: Vec::new(),
    };
    c.run(files);
    let mut diagnostics = std::mem::take(&mut c.diags);
    diagnostics.sort_by_key(|d| {
        let s = d.span();
        (s.file, s.start)
    });
    let program = if diagnostics.iter().any(Diagnostic::is_error) {
        None
    } else {
        Some(Program {
            schema: c.schema,
            bodies: c.bodies,
            policies: c.policies,
            tests: c.tests,
            fixtures: c.fixture_list,
        })
    };
    Checked {
        program,
        diagnostics,
    }
}

enum ConstState {
    Pending,
    Checking,
    Done(Value, Type),
    Failed,
}

struct ConstEntry<'a> {
    decl: &'a ConstDecl,
    state: ConstState,
    used: bool,
}

struct TemplateEntry<'a> {
    decl: &'a TemplateDecl,
    body: Option<u32>,
    used: bool,
}

/// The deepest chain of constants defined through other constants.
const MAX_CONST_DEPTH: usize = 64;

pub(crate) struct Checker<'a> {
    schema: Schema,
    diags: Vec<Diagnostic>,
    consts: HashMap<String, ConstEntry<'a>>,
    const_order: Vec<String>,
    const_depth: usize,
    templates: HashMap<String, TemplateEntry<'a>>,
    template_order: Vec<String>,
    bodies: Vec<Body>,
    policies: Vec<Policy>,
    /// Policy names per scope, for duplicate detection.
    policy_names: HashMap<(Scope, String), Span>,
    /// Declared defaults per scope and hook: (span, outcome or cipher).
    defaults: HashMap<(Scope, Hook), Vec<(Span, DefaultKey)>>,
    fixtures: HashMap<String, &'a FixtureDecl>,
    /// Fixtures resolved so far (`None`: it had errors).
    fixture_values: HashMap<String, Option<Vec<Option<Value>>>>,
    /// Fixtures being resolved, to report `from` cycles.
    resolving: Vec<String>,
    test_decls: Vec<&'a TestDecl>,
    tests: Vec<program::TestCase>,
    fixture_list: Vec<(String, Vec<Option<Value>>)>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum DefaultKey {
    Outcome(Outcome),
    Cipher(u32),
}

impl<'a> Checker<'a> {
    fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn run(&mut self, files: &'a [(FileId, PolicyFile)]) {
        // 1. Declarations: lattices extend the schema; constants and templates are global.
        for (_, f) in files {
            for item in &f.items {
                match item {
                    Item::Lattice(l) => {
                        if let Err(d) = self.schema.add_lattice(l) {
                            self.error(d);
                        }
                    }
                    Item::Const(c) => self.declare_const(c),
                    Item::Template(t) => self.declare_template(t),
                    Item::Fixture(f) => {
                        if let Some(first) = self.fixtures.get(&f.name.name) {
                            let first = first.name.span;
                            self.error(
                                Diagnostic::new(
                                    Code::Duplicate,
                                    f.name.span,
                                    format!("fixture `{}` is defined twice", f.name.name),
                                )
                                .label("defined again here")
                                .secondary(first, "first defined here"),
                            );
                        } else {
                            self.fixtures.insert(f.name.name.clone(), f);
                        }
                    }
                    Item::Test(t) => self.test_decls.push(t),
                    Item::Scope(_) => {}
                }
            }
        }
        // 2. Constants, in declaration order (each pulls in what it refers to).
        for name in self.const_order.clone() {
            if let Some(e) = self.consts.get(&name) {
                let span = e.decl.name.span;
                let was_used = e.used;
                let _ = self.const_value(&name, span);
                if let Some(e) = self.consts.get_mut(&name) {
                    e.used = was_used;
                }
            }
        }
        // 3. Templates.
        for name in self.template_order.clone() {
            let Some(decl) = self.templates.get(&name).map(|t| t.decl) else {
                continue;
            };
            if let Some(body) = self.template_body(decl)
                && let Some(t) = self.templates.get_mut(&name)
            {
                t.body = Some(body);
            }
        }
        // 4. Scopes, policies and template instances.
        for (_, f) in files {
            for item in &f.items {
                if let Item::Scope(block) = item {
                    self.scope_block(block, &Scope::default(), true);
                }
            }
        }
        // 5. Tests, now that every rule they may name exists.
        for t in std::mem::take(&mut self.test_decls) {
            self.test(t);
        }
        let mut names: Vec<(String, ast::Ident)> = self
            .fixtures
            .iter()
            .map(|(n, d)| (n.clone(), d.name.clone()))
            .collect();
        names.sort_by(|a, b| a.0.cmp(&b.0));
        for (n, id) in names {
            if let Some(v) = self.fixture(&id) {
                self.fixture_list.push((n, v));
            }
        }
        // 6. Warnings.
        self.unused();
        self.lint();
    }

    fn declare_const(&mut self, c: &'a ConstDecl) {
        if let Some(prev) = self.consts.get(&c.name.name) {
            let first = prev.decl.name.span;
            self.error(
                Diagnostic::new(
                    Code::Duplicate,
                    c.name.span,
                    format!("constant `{}` is defined twice", c.name.name),
                )
                .label("defined again here")
                .secondary(first, "first defined here")
                .help("constants are shared by every file of the project; rename one"),
            );
            return;
        }
        self.const_order.push(c.name.name.clone());
        self.consts.insert(
            c.name.name.clone(),
            ConstEntry {
                decl: c,
                state: ConstState::Pending,
                used: false,
            },
        );
    }

    fn declare_template(&mut self, t: &'a TemplateDecl) {
        if let Some(prev) = self.templates.get(&t.name.name) {
            let first = prev.decl.name.span;
            self.error(
                Diagnostic::new(
                    Code::Duplicate,
                    t.name.span,
                    format!("template `{}` is defined twice", t.name.name),
                )
                .label("defined again here")
                .secondary(first, "first defined here"),
            );
            return;
        }
        self.template_order.push(t.name.name.clone());
        self.templates.insert(
            t.name.name.clone(),
            TemplateEntry {
                decl: t,
                body: None,
                used: false,
            },
        );
    }

    pub(crate) fn has_const(&self, name: &str) -> bool {
        self.consts.contains_key(name)
    }

    pub(crate) fn const_names(&self) -> Vec<String> {
        self.const_order.clone()
    }

    /// The value of a constant, checking and evaluating it on first use.
    pub(crate) fn const_value(&mut self, name: &str, used_at: Span) -> Option<(Value, Type)> {
        let entry = self.consts.get_mut(name)?;
        entry.used = true;
        let decl = entry.decl;
        match &entry.state {
            ConstState::Done(v, t) => return Some((v.clone(), t.clone())),
            ConstState::Failed => return None,
            ConstState::Checking => {
                entry.state = ConstState::Failed;
                self.error(
                    Diagnostic::new(
                        Code::NotConstant,
                        used_at,
                        format!("constant `{name}` refers to itself"),
                    )
                    .label("used while being defined")
                    .secondary(decl.name.span, "defined here"),
                );
                return None;
            }
            ConstState::Pending => entry.state = ConstState::Checking,
        }
        if self.const_depth >= MAX_CONST_DEPTH {
            self.error(
                Diagnostic::new(
                    Code::NestingTooDeep,
                    used_at,
                    format!(
                        "constants are defined through more than {MAX_CONST_DEPTH} other constants"
                    ),
                )
                .label("this chain is too long"),
            );
            self.set_const(name, ConstState::Failed);
            return None;
        }
        self.const_depth += 1;
        let result = self.eval_const(decl);
        self.const_depth -= 1;
        match result {
            Some((v, t)) => {
                self.set_const(name, ConstState::Done(v.clone(), t.clone()));
                Some((v, t))
            }
            None => {
                self.set_const(name, ConstState::Failed);
                None
            }
        }
    }

    fn set_const(&mut self, name: &str, state: ConstState) {
        if let Some(e) = self.consts.get_mut(name) {
            e.state = state;
        }
    }

    fn eval_const(&mut self, decl: &ConstDecl) -> Option<(Value, Type)> {
        let declared = match &decl.ty {
            Some(t) => match self.schema.resolve_type(t) {
                Ok(t) => Some(t),
                Err(d) => {
                    self.error(d);
                    return None;
                }
            },
            None => None,
        };
        self.constant(&decl.value, declared.as_ref())
    }

    /// Check and evaluate an expression that must be known when checking (a constant's
    /// value or a template argument), optionally of a given type.
    fn constant(&mut self, e: &ast::Expr, want: Option<&Type>) -> Option<(Value, Type)> {
        let (t, _) = self.expr(e, &Ctx::default(), want)?;
        let ty = match want {
            Some(w) => match w.unify(&t.ty) {
                Some(u) if &u == w => u,
                _ => {
                    let (ws, ts) = (self.schema.type_name(w), self.schema.type_name(&t.ty));
                    self.error(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            e.span,
                            format!(
                                "expected {}, found {}",
                                expr::article(&ws),
                                expr::article(&ts)
                            ),
                        )
                        .label(format!("this is {}", expr::article(&ts))),
                    );
                    return None;
                }
            },
            None => t.ty.clone(),
        };
        let env = reference::Env {
            schema: &self.schema,
            attrs: &[],
            params: &[],
            trace: None,
        };
        match reference::eval(&t, &env, &mut Vec::new()) {
            Ok(v) => Some((v, ty)),
            Err(err) => {
                self.error(
                    Diagnostic::new(
                        Code::NotConstant,
                        e.span,
                        format!("cannot compute this value when checking: {err}"),
                    )
                    .label("not a constant"),
                );
                None
            }
        }
    }

    fn hook(&mut self, id: &ast::Ident) -> Option<Hook> {
        match Hook::from_name(&id.name) {
            Some(h) => Some(h),
            None => {
                self.error(schema::unknown_hook(id));
                None
            }
        }
    }

    fn template_body(&mut self, t: &TemplateDecl) -> Option<u32> {
        let hook = self.hook(&t.hook)?;
        let mut params: Vec<(String, Type)> = Vec::new();
        let mut ok = true;
        for p in &t.params {
            if let Some(first) = t
                .params
                .iter()
                .find(|q| q.name.name == p.name.name && q.name.span != p.name.span)
                && first.name.span.start < p.name.span.start
            {
                self.error(
                    Diagnostic::new(
                        Code::Duplicate,
                        p.name.span,
                        format!("parameter `{}` is declared twice", p.name.name),
                    )
                    .label("declared again here")
                    .secondary(first.name.span, "first declared here"),
                );
                ok = false;
            }
            match self.schema.resolve_type(&p.ty) {
                Ok(ty) => params.push((p.name.name.clone(), ty)),
                Err(d) => {
                    self.error(d);
                    ok = false;
                }
            }
        }
        let rules = self.rules(&t.rules, hook, &params);
        if !ok {
            return None;
        }
        self.bodies.push(Body {
            hook,
            template: Some(t.name.name.clone()),
            params,
            rules,
            span: t.span,
        });
        u32::try_from(self.bodies.len() - 1).ok()
    }

    fn scope_block(&mut self, block: &ScopeBlock, parent: &Scope, top: bool) {
        let mut scope = parent.clone();
        let what = match &block.kind {
            ScopeKind::Platform => "platform",
            ScopeKind::Domain(_) => "domain",
            ScopeKind::Class(_) => "class",
            ScopeKind::Tag(_) => "tag",
            ScopeKind::User(_) => "user",
        };
        let misplaced = |_: &str, why: &str| {
            Diagnostic::new(
                Code::MisplacedScope,
                block.head,
                format!("a `{what}` block cannot be here"),
            )
            .label(why.to_string())
        };
        let bad = match &block.kind {
            ScopeKind::Platform | ScopeKind::Domain(_) if !top => {
                Some(misplaced("platform/domain", "only allowed at the top level of a file"))
            }
            ScopeKind::Platform => None,
            ScopeKind::Domain(d) => {
                scope.domain = Some(d.value.clone());
                None
            }
            _ if parent.domain.is_none() => Some(
                misplaced("class/tag/user", "only allowed inside a `domain` block")
                    .help("wrap it in `domain \"...\" { ... }`: class, tag and user scopes narrow a domain"),
            ),
            ScopeKind::Class(c) if scope.class.is_none() => {
                scope.class = Some(c.value.clone());
                None
            }
            ScopeKind::Tag(t) if scope.tag.is_none() => {
                scope.tag = Some(t.value.clone());
                None
            }
            ScopeKind::User(u) if scope.user.is_none() => {
                scope.user = Some(u.value.clone());
                None
            }
            _ => Some(misplaced("class/tag/user", "this scope is already narrowed the same way").help("a scope may narrow by each of class, tag and user once")),
        };
        if let Some(d) = bad {
            self.error(d);
            return;
        }
        for item in &block.items {
            match item {
                ScopeItem::Scope(inner) => self.scope_block(inner, &scope, false),
                ScopeItem::Policy(p) => {
                    let Some(hook) = self.hook(&p.hook) else {
                        continue;
                    };
                    let rules = self.rules(&p.rules, hook, &[]);
                    self.bodies.push(Body {
                        hook,
                        template: None,
                        params: Vec::new(),
                        rules,
                        span: p.span,
                    });
                    let body = u32::try_from(self.bodies.len() - 1).unwrap_or(u32::MAX);
                    self.add_policy(
                        p.name.value.clone(),
                        p.name.span,
                        &scope,
                        hook,
                        body,
                        Vec::new(),
                        p.span,
                    );
                    self.record_defaults(&scope, hook, body);
                }
                ScopeItem::Use(u) => self.instance(u, &scope),
            }
        }
    }

    fn instance(&mut self, u: &ast::UseDecl, scope: &Scope) {
        let Some(entry) = self.templates.get_mut(&u.template.name) else {
            let d = Diagnostic::new(
                Code::UnknownItem,
                u.template.span,
                format!("unknown template `{}`", u.template.name),
            )
            .label("not a template");
            let help = did_you_mean(
                &u.template.name,
                self.template_order.iter().map(String::as_str),
            )
            .unwrap_or_else(|| "declare it with `template NAME(PARAMS) on HOOK { ... }`".into());
            self.error(d.help(help));
            return;
        };
        entry.used = true;
        let decl = entry.decl;
        let Some(body) = entry.body else { return }; // the template itself had errors
        if u.args.len() != decl.params.len() {
            self.error(
                Diagnostic::new(
                    Code::Arity,
                    u.span,
                    format!(
                        "template `{}` takes {} arguments, found {}",
                        u.template.name,
                        decl.params.len(),
                        u.args.len()
                    ),
                )
                .label(format!(
                    "{} argument{}",
                    u.args.len(),
                    if u.args.len() == 1 { "" } else { "s" }
                ))
                .secondary(decl.name.span, "template defined here"),
            );
            return;
        }
        let params = self
            .bodies
            .get(body as usize)
            .map(|b| b.params.clone())
            .unwrap_or_default();
        let mut args = Vec::new();
        for (arg, (_, ty)) in u.args.iter().zip(&params) {
            match self.constant(arg, Some(ty)) {
                Some((v, _)) => args.push(v),
                None => return,
            }
        }
        let hook = self
            .bodies
            .get(body as usize)
            .map_or(Hook::Access, |b| b.hook);
        let (name, name_span) = match &u.alias {
            Some(a) => (a.value.clone(), a.span),
            None => (u.template.name.clone(), u.template.span),
        };
        self.add_policy(name, name_span, scope, hook, body, args, u.span);
        self.record_defaults(scope, hook, body);
    }

    #[allow(clippy::too_many_arguments)]
    fn add_policy(
        &mut self,
        name: String,
        name_span: Span,
        scope: &Scope,
        hook: Hook,
        body: u32,
        args: Vec<Value>,
        span: Span,
    ) {
        let key = (scope.clone(), name.clone());
        if let Some(first) = self.policy_names.get(&key) {
            let first = *first;
            self.error(
                Diagnostic::new(Code::DuplicatePolicy, name_span, format!("policy `{name}` is defined twice in {scope}"))
                    .label("defined again here")
                    .secondary(first, "first defined here")
                    .help("policy names identify rules in decisions; give each policy of a scope its own name (for a template instance, `use t(...) as \"name\"`)"),
            );
            return;
        }
        self.policy_names.insert(key, name_span);
        self.policies.push(Policy {
            name,
            scope: scope.clone(),
            hook,
            body,
            args,
            span,
        });
    }

    fn record_defaults(&mut self, scope: &Scope, hook: Hook, body: u32) {
        let Some(b) = self.bodies.get(body as usize) else {
            return;
        };
        let found: Vec<(Span, DefaultKey)> = b
            .rules
            .iter()
            .filter_map(|r| match r.effect {
                Effect::Default(o) => Some((r.span, DefaultKey::Outcome(o))),
                Effect::DefaultCipher(c) => Some((r.span, DefaultKey::Cipher(c))),
                _ => None,
            })
            .collect();
        for (span, key) in found {
            let list = self.defaults.entry((scope.clone(), hook)).or_default();
            let conflict = list.iter().find(|(_, k)| *k != key).map(|(s, _)| *s);
            list.push((span, key));
            if let Some(first) = conflict {
                self.error(
                    Diagnostic::new(
                        Code::ConflictingDefaults,
                        span,
                        format!("conflicting defaults for hook `{hook}` in {scope}"),
                    )
                    .label("this default")
                    .secondary(first, "disagrees with this one")
                    .help("a scope declares one default per hook"),
                );
            }
        }
    }

    fn rules(
        &mut self,
        rules: &[ast::Rule],
        hook: Hook,
        params: &[(String, Type)],
    ) -> Vec<CheckedRule> {
        let mut out = Vec::new();
        for r in rules {
            let effect = self.effect(r, hook);
            let cond = match &r.when {
                Some(w) => {
                    let ctx = Ctx {
                        hook: Some(hook),
                        params: params.to_vec(),
                        ..Ctx::default()
                    };
                    self.boolean(w, &ctx)
                        .map(|(t, _)| t)
                        .filter(|t| self.computed_sets_ok(t))
                }
                None => None,
            };
            if r.when.is_some() && cond.is_none() {
                continue;
            }
            if let Some(effect) = effect {
                out.push(CheckedRule {
                    effect,
                    cond,
                    span: r.span,
                });
            }
        }
        out
    }

    fn effect(&mut self, r: &ast::Rule, hook: Hook) -> Option<Effect> {
        let kw = r.kind.keyword();
        let allowed = match r.kind {
            RuleKind::Permit => hook.is_authorization(),
            RuleKind::Forbid => hook != Hook::Log,
            RuleKind::Use => hook == Hook::Encrypt,
            RuleKind::Default => hook != Hook::Log,
            RuleKind::Record | RuleKind::Redact => hook == Hook::Log,
        };
        if !allowed {
            let help = match hook {
                Hook::Encrypt => {
                    "encrypt policies use `use CIPHER`, `forbid CIPHERS` and `default CIPHER`"
                }
                Hook::Log => "log policies use `record FIELDS` and `redact FIELDS`",
                _ => {
                    "instantiate, access and egress policies use `permit`, `forbid` and `default allow|deny`"
                }
            };
            let kw_span = Span {
                end: r.span.start + u32::try_from(kw.len()).unwrap_or(0),
                ..r.span
            };
            self.error(
                Diagnostic::new(
                    Code::RuleNotAtHook,
                    kw_span,
                    format!("`{kw}` rules are not allowed at hook `{hook}`"),
                )
                .label(format!("not a rule of `{hook}`"))
                .help(help),
            );
            return None;
        }
        let cipher_enum = self.schema.enum_named(schema::CIPHER_ENUM);
        let field_enum = self.schema.enum_named(schema::LOG_FIELD_ENUM);
        Some(match r.kind {
            RuleKind::Permit | RuleKind::Forbid if hook.is_authorization() => {
                let actions = if r.names.is_empty() {
                    None
                } else {
                    Some(self.actions(&r.names, hook)?)
                };
                if r.kind == RuleKind::Permit {
                    Effect::Permit(actions)
                } else {
                    Effect::Forbid(actions)
                }
            }
            RuleKind::Forbid => {
                let ciphers = if r.names.is_empty() {
                    None
                } else {
                    Some(self.enum_values(&r.names, cipher_enum, "cipher")?)
                };
                Effect::ForbidCiphers(ciphers)
            }
            RuleKind::Use => {
                Effect::Use(*self.enum_values(&r.names, cipher_enum, "cipher")?.first()?)
            }
            RuleKind::Default if hook == Hook::Encrypt => {
                Effect::DefaultCipher(*self.enum_values(&r.names, cipher_enum, "cipher")?.first()?)
            }
            RuleKind::Default => {
                let name = r.names.first()?;
                match name.name.as_str() {
                    "allow" => Effect::Default(Outcome::Allow),
                    "deny" => Effect::Default(Outcome::Deny),
                    other => {
                        self.error(
                            Diagnostic::new(Code::TypeMismatch, name.span, format!("the default of hook `{hook}` is `allow` or `deny`, not `{other}`"))
                                .label("not an outcome"),
                        );
                        return None;
                    }
                }
            }
            RuleKind::Record => {
                Effect::Record(self.enum_values(&r.names, field_enum, "log field")?)
            }
            RuleKind::Redact => {
                Effect::Redact(self.enum_values(&r.names, field_enum, "log field")?)
            }
            RuleKind::Permit => return None,
        })
    }

    fn actions(&mut self, names: &[ast::Ident], hook: Hook) -> Option<Vec<u32>> {
        let enum_id = self.schema.enum_named(schema::ACTION_ENUM)?;
        let valid: Vec<u32> = self
            .schema
            .actions
            .get(hook.index())
            .cloned()
            .unwrap_or_default();
        let valid_names: Vec<String> = valid
            .iter()
            .filter_map(|i| {
                self.schema
                    .enum_def(enum_id)
                    .and_then(|e| e.values.get(*i as usize))
                    .cloned()
            })
            .collect();
        let mut out = Vec::new();
        let mut ok = true;
        for n in names {
            match self
                .schema
                .enum_value(enum_id, &n.name)
                .filter(|i| valid.contains(i))
            {
                Some(i) => out.push(i),
                None => {
                    let d = Diagnostic::new(
                        Code::UnknownAction,
                        n.span,
                        format!("`{}` is not an action of hook `{hook}`", n.name),
                    )
                    .label("unknown action");
                    let help = did_you_mean(&n.name, valid_names.iter().map(String::as_str))
                        .unwrap_or_else(|| {
                            format!("the actions of `{hook}` are {}", backticked(&valid_names))
                        });
                    self.error(d.help(help));
                    ok = false;
                }
            }
        }
        ok.then_some(out)
    }

    fn enum_values(
        &mut self,
        names: &[ast::Ident],
        enum_id: Option<crate::types::EnumId>,
        what: &str,
    ) -> Option<Vec<u32>> {
        let enum_id = enum_id?;
        let all = self
            .schema
            .enum_def(enum_id)
            .map(|e| e.values.clone())
            .unwrap_or_default();
        let mut out = Vec::new();
        let mut ok = true;
        for n in names {
            match self.schema.enum_value(enum_id, &n.name) {
                Some(i) => out.push(i),
                None => {
                    let d = Diagnostic::new(
                        Code::UnknownCipherOrField,
                        n.span,
                        format!("unknown {what} `{}`", n.name),
                    )
                    .label(format!("not a {what}"));
                    let help = did_you_mean(&n.name, all.iter().map(String::as_str))
                        .unwrap_or_else(|| format!("the {what}s are {}", backticked(&all)));
                    self.error(d.help(help));
                    ok = false;
                }
            }
        }
        ok.then_some(out)
    }

    /// A set literal with computed elements (`{user.id, "x"}`) is expanded into
    /// comparisons when compiled, so it may only appear where that expansion exists: as the
    /// set of `in`, `under` or `has`, or either side of `has any` and the right of `has all`.
    fn computed_sets_ok(&mut self, e: &TExpr) -> bool {
        fn computed(e: &TExpr) -> bool {
            matches!(e.kind, TKind::Set(_))
        }
        let mut bad: Option<Span> = None;
        e.walk(&mut |x| {
            let check = |c: &TExpr, ok: bool, bad: &mut Option<Span>| {
                if computed(c) && !ok && bad.is_none() {
                    *bad = Some(c.span);
                }
            };
            match &x.kind {
                TKind::In(_, el, coll) => {
                    check(el, false, &mut bad);
                    check(coll, true, &mut bad);
                }
                TKind::Under(n, d) => {
                    check(n, false, &mut bad);
                    check(d, true, &mut bad);
                }
                TKind::HasAny(a, b) => {
                    check(a, true, &mut bad);
                    check(b, true, &mut bad);
                }
                TKind::HasAll(a, b) => {
                    check(a, false, &mut bad);
                    check(b, true, &mut bad);
                }
                TKind::Set(_) => {}
                TKind::Not(a) | TKind::Matches(a, _) | TKind::Field(_, a) | TKind::Label(a, _) => {
                    check(a, false, &mut bad)
                }
                TKind::And(a, b)
                | TKind::Or(a, b)
                | TKind::Cmp(_, a, b)
                | TKind::Like(a, b)
                | TKind::Arith(_, a, b)
                | TKind::Lub(a, b)
                | TKind::Glb(a, b)
                | TKind::Quant(_, a, b) => {
                    check(a, false, &mut bad);
                    check(b, false, &mut bad);
                }
                TKind::Lit(_)
                | TKind::Attr(_)
                | TKind::Has(_)
                | TKind::Param(_)
                | TKind::Var(_) => {}
            }
        });
        match bad {
            None => true,
            Some(span) => {
                self.error(
                    Diagnostic::new(Code::ComputedSet, span, "a set with computed elements cannot be used here")
                        .label("its elements are not all constants")
                        .help("use it as the set of `in`, `has` or `under`, or with `has any` / `has all`; or make every element a constant"),
                );
                false
            }
        }
    }

    /// The request a fixture describes, resolving its `from` chain.
    fn fixture(&mut self, name: &ast::Ident) -> Option<Vec<Option<Value>>> {
        if let Some(v) = self.fixture_values.get(&name.name) {
            return v.clone();
        }
        let Some(decl) = self.fixtures.get(&name.name).copied() else {
            let d = Diagnostic::new(
                Code::UnknownItem,
                name.span,
                format!("unknown fixture `{}`", name.name),
            )
            .label("not a fixture");
            let names: Vec<&str> = self.fixtures.keys().map(String::as_str).collect();
            let help = did_you_mean(&name.name, names).unwrap_or_else(|| {
                "declare it with `fixture NAME { entity.attr = value; ... }`".into()
            });
            self.error(d.help(help));
            return None;
        };
        if self.resolving.contains(&name.name) {
            self.error(
                Diagnostic::new(
                    Code::BadTest,
                    name.span,
                    format!("fixture `{}` is built from itself", name.name),
                )
                .label("this `from` closes a cycle")
                .secondary(decl.name.span, "fixture defined here"),
            );
            return None;
        }
        self.resolving.push(name.name.clone());
        let base = match &decl.base {
            Some(b) => self.fixture(b),
            None => Some(vec![None; self.schema.attrs.len()]),
        };
        let result =
            base.and_then(|mut values| self.apply(&decl.stmts, &mut values).then_some(values));
        self.resolving.pop();
        self.fixture_values
            .insert(name.name.clone(), result.clone());
        result
    }

    /// Apply assignments and unsets to a request; false if any had errors.
    fn apply(&mut self, stmts: &[ast::TestStmt], values: &mut [Option<Value>]) -> bool {
        let mut ok = true;
        for st in stmts {
            match st {
                ast::TestStmt::Set {
                    entity,
                    attr,
                    value,
                    ..
                } => match self.request_attr(entity, attr) {
                    Some(id) => {
                        let ty = self
                            .schema
                            .attr(id)
                            .map(|a| a.ty.clone())
                            .unwrap_or(Type::Never);
                        match self.constant(value, Some(&ty)) {
                            Some((v, _)) => {
                                if let Some(slot) = values.get_mut(id.0 as usize) {
                                    *slot = Some(v);
                                }
                            }
                            None => ok = false,
                        }
                    }
                    None => ok = false,
                },
                ast::TestStmt::Unset { entity, attr, .. } => {
                    match self.request_attr(entity, attr) {
                        Some(id) => {
                            if let Some(slot) = values.get_mut(id.0 as usize) {
                                *slot = None;
                            }
                        }
                        None => ok = false,
                    }
                }
                ast::TestStmt::From(_) | ast::TestStmt::Expect(..) => {}
            }
        }
        ok
    }

    /// `entity.attr` in a fixture or test.
    fn request_attr(
        &mut self,
        entity: &ast::Ident,
        attr: &ast::Ident,
    ) -> Option<crate::schema::AttrId> {
        if self.schema.entity_named(&entity.name).is_none() {
            let d = Diagnostic::new(
                Code::UnknownEntity,
                entity.span,
                format!("unknown entity `{}`", entity.name),
            )
            .label("not an entity");
            let help = did_you_mean(
                &entity.name,
                self.schema.entities.iter().map(|e| e.name.as_str()),
            );
            self.error(match help {
                Some(h) => d.help(h),
                None => d,
            });
            return None;
        }
        self.entity_attr(entity, attr)
    }

    fn test(&mut self, t: &TestDecl) {
        let Some(hook) = self.hook(&t.hook) else {
            return;
        };
        if let Some(first) = self.tests.iter().find(|x| x.name == t.name.value) {
            let first = first.span;
            self.error(
                Diagnostic::new(
                    Code::Duplicate,
                    t.name.span,
                    format!("test `{}` is defined twice", t.name.value),
                )
                .label("defined again here")
                .secondary(first, "first defined here")
                .help("tests are reported by name; give each its own"),
            );
            return;
        }
        let froms: Vec<&ast::Ident> = t
            .stmts
            .iter()
            .filter_map(|s| {
                if let ast::TestStmt::From(f) = s {
                    Some(f)
                } else {
                    None
                }
            })
            .collect();
        if let [_, second, ..] = froms.as_slice() {
            self.error(
                Diagnostic::new(Code::BadTest, second.span, "a test starts from one fixture")
                    .label("second `from`")
                    .help("make a fixture `from` the other one, and start the test from it"),
            );
            return;
        }
        let base = match froms.first() {
            Some(f) => self.fixture(f),
            None => Some(vec![None; self.schema.attrs.len()]),
        };
        let Some(mut request) = base else { return };
        if !self.apply(&t.stmts, &mut request) {
            return;
        }
        let mut expect = Vec::new();
        for st in &t.stmts {
            if let ast::TestStmt::Expect(e, span) = st
                && let Some(x) = self.expectation(e, *span, hook)
            {
                expect.push(x);
            }
        }
        let expectations = t
            .stmts
            .iter()
            .filter(|s| matches!(s, ast::TestStmt::Expect(..)))
            .count();
        if expectations == 0 {
            self.error(
                Diagnostic::new(Code::BadTest, t.name.span, format!("test `{}` expects nothing", t.name.value))
                    .label("no `expect`")
                    .help("add e.g. `expect allow;`, `expect deny by \"POLICY#N\";`, `expect cipher aes_256_gcm;` or `expect record {url};`"),
            );
            return;
        }
        if expect.len() == expectations {
            self.tests.push(program::TestCase {
                name: t.name.value.clone(),
                hook,
                request,
                expect,
                span: t.name.span,
                origin: None,
            });
        }
    }

    fn expectation(
        &mut self,
        e: &ast::Expectation,
        span: Span,
        hook: Hook,
    ) -> Option<program::Expect> {
        let wrong_hook = |what: &str, fits: &str| {
            Diagnostic::new(
                Code::RuleNotAtHook,
                span,
                format!("`expect {what}` does not fit a test of hook `{hook}`"),
            )
            .label("not an outcome of this hook")
            .help(fits.to_string())
        };
        let fits = match hook {
            Hook::Encrypt => "encrypt tests expect `cipher NAME` or `deny`",
            Hook::Log => "log tests expect `record {FIELDS}` and `redact {FIELDS}`",
            _ => "tests of this hook expect `allow` or `deny`, optionally `by \"RULE\"`",
        };
        match e {
            ast::Expectation::Outcome { outcome, by } => {
                let o = match outcome.name.as_str() {
                    "allow" => Outcome::Allow,
                    "deny" => Outcome::Deny,
                    other => {
                        self.error(
                            Diagnostic::new(
                                Code::TypeMismatch,
                                outcome.span,
                                format!("expected `allow` or `deny`, found `{other}`"),
                            )
                            .label("not an outcome")
                            .help(fits),
                        );
                        return None;
                    }
                };
                if hook == Hook::Log {
                    self.error(wrong_hook(&outcome.name, fits));
                    return None;
                }
                if let Some(r) = by
                    && !self.rule_exists(&r.value, hook)
                {
                    let ids: Vec<String> = self
                        .policies
                        .iter()
                        .filter(|p| p.hook == hook)
                        .flat_map(|p| {
                            let n = self
                                .bodies
                                .get(p.body as usize)
                                .map_or(0, |b| b.rules.len());
                            (0..n).map(move |i| format!("{}#{}", p.name, i + 1))
                        })
                        .collect();
                    let d = Diagnostic::new(
                        Code::UnknownRule,
                        r.span,
                        format!("no rule of hook `{hook}` is named `{}`", r.value),
                    )
                    .label("unknown rule");
                    let help = did_you_mean(&r.value, ids.iter().map(String::as_str))
                        .unwrap_or_else(|| "name a rule as `POLICY#N`, a whole policy as `POLICY`, or give the full id `SCOPE/POLICY#N`".into());
                    self.error(d.help(help));
                    return None;
                }
                Some(program::Expect::Outcome(
                    o,
                    by.as_ref().map(|b| b.value.clone()),
                ))
            }
            ast::Expectation::Cipher(c) => {
                if hook != Hook::Encrypt {
                    self.error(wrong_hook("cipher", fits));
                    return None;
                }
                let e = self.schema.enum_named(schema::CIPHER_ENUM);
                self.enum_values(std::slice::from_ref(c), e, "cipher")
                    .and_then(|v| v.first().copied())
                    .map(program::Expect::Cipher)
            }
            ast::Expectation::Fields { record, fields } => {
                if hook != Hook::Log {
                    self.error(wrong_hook(if *record { "record" } else { "redact" }, fits));
                    return None;
                }
                let e = self.schema.enum_named(schema::LOG_FIELD_ENUM);
                let v = self.enum_values(fields, e, "log field")?;
                let m = v
                    .iter()
                    .filter(|i| **i < 64)
                    .fold(0u64, |m, i| m | (1u64 << i));
                Some(if *record {
                    program::Expect::Record(m)
                } else {
                    program::Expect::Redact(m)
                })
            }
        }
    }

    fn rule_exists(&self, reference: &str, hook: Hook) -> bool {
        self.policies.iter().filter(|p| p.hook == hook).any(|p| {
            let n = self
                .bodies
                .get(p.body as usize)
                .map_or(0, |b| b.rules.len());
            (0..n).any(|i| program::rule_matches(reference, &p.rule_id(i), &p.name))
        })
    }

    fn unused(&mut self) {
        let mut warnings = Vec::new();
        for name in &self.const_order {
            if let Some(e) = self.consts.get(name)
                && !e.used
            {
                warnings.push(
                    Diagnostic::new(
                        Code::UnusedConstant,
                        e.decl.name.span,
                        format!("constant `{name}` is never used"),
                    )
                    .label("defined here")
                    .help("remove it, or use it in a policy"),
                );
            }
        }
        for name in &self.template_order {
            if let Some(t) = self.templates.get(name)
                && !t.used
            {
                warnings.push(
                    Diagnostic::new(
                        Code::UnusedTemplate,
                        t.decl.name.span,
                        format!("template `{name}` is never instantiated"),
                    )
                    .label("defined here")
                    .help(format!(
                        "instantiate it with `use {name}(...)` inside a scope"
                    )),
                );
            }
        }
        self.diags.extend(warnings);
    }
}
