//! The checker's output: a resolved, typed program. Names are gone (attributes are
//! [`AttrId`]s, constants are inlined values, enum values are indices); every expression
//! has its type. The compiler and the reference interpreter both start from here.

use crate::schema::{AttrId, Schema};
use crate::source::Span;
use crate::syntax::ast::Quantifier;
use crate::types::{Hook, Type};
use crate::value::Value;
use serde::{Deserialize, Serialize};

/// A checked project: every policy of every file, against one schema.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Program {
    /// The schema checked against: the standard one, project extensions, and the lattices
    /// the policy files declare.
    pub schema: Schema,
    /// Rule code. Each template has one body shared by all its instances; each plain policy
    /// has its own.
    pub bodies: Vec<Body>,
    /// Every policy and template instance, in source order (files in the order given);
    /// `compile::bundle_order` gives the order decisions use.
    pub policies: Vec<Policy>,
    /// The `test` blocks of the project, with their requests fully built.
    pub tests: Vec<TestCase>,
    /// Every fixture's request, by name, sorted by name (JSON case tables start from them
    /// too). Values are by attribute slot, `None` absent.
    pub fixtures: Vec<(String, Vec<Option<Value>>)>,
}

/// A checked `test`: the hook, the whole request (fixture chain applied), what to expect.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestCase {
    /// The test's name, unique in the project.
    pub name: String,
    /// The hook decided.
    pub hook: Hook,
    /// Attribute values by slot; `None` is absent.
    pub request: Vec<Option<Value>>,
    /// Every expectation; the test passes when all hold.
    pub expect: Vec<Expect>,
    /// The test's name in the source, where failures point.
    pub span: Span,
    /// Where a test from a JSON case table comes from (`FILE#N`); `None` for `test` blocks.
    pub origin: Option<String>,
}

/// One expectation of a test.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Expect {
    /// `expect allow|deny [by "RULE"];` RULE is a rule id (`domain "d"/name#2`), a policy
    /// name with a rule number (`name#2`), or a policy name (any of its rules).
    Outcome(Outcome, Option<String>),
    /// `expect cipher NAME;` (index in the `cipher` enum).
    Cipher(u32),
    /// `expect record {FIELDS};` the exact set of fields recorded in clear (bit i: value i
    /// of `log_field`).
    Record(u64),
    /// `expect redact {FIELDS};` the exact set of redacted fields (bits as for `Record`).
    Redact(u64),
}

/// Whether a rule id is meant by a test's `by "..."` reference.
pub fn rule_matches(reference: &str, id: &str, policy: &str) -> bool {
    id == reference
        || id.ends_with(&format!("/{reference}"))
        || (!reference.contains('#') && policy == reference)
}

/// The rules of one policy or template, with the types of the parameters they read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Body {
    /// The hook its rules are for.
    pub hook: Hook,
    /// The template's name, or `None` for a plain policy.
    pub template: Option<String>,
    /// The template's parameters, name and type, in order (empty for a plain policy).
    pub params: Vec<(String, Type)>,
    /// The rules, in source order: rule N of a rule id is the N-th, counting from 1.
    pub rules: Vec<CheckedRule>,
    /// The policy or template declaration.
    pub span: Span,
}

/// One policy: a body, the arguments for its parameters, and the scope it applies in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// The policy's name; for a template instance, its `as` name or else the template's.
    pub name: String,
    /// Where it applies.
    pub scope: Scope,
    /// The hook it decides at.
    pub hook: Hook,
    /// Its rules: an index into [`Program::bodies`].
    pub body: u32,
    /// The template arguments, one per parameter of the body (empty for a plain policy).
    pub args: Vec<Value>,
    /// The policy declaration, or the `use` that instantiated it.
    pub span: Span,
}

impl Policy {
    /// The rule id shown in decisions: `SCOPE/POLICY#N`, N counting from 1.
    pub fn rule_id(&self, index: usize) -> String {
        format!("{}/{}#{}", self.scope, self.name, index + 1)
    }
}

/// Who wrote a policy: the operator, a domain's tenant, or an object's owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// `platform { }`
    Platform,
    /// `domain { }`, and its `class` and `tag` blocks.
    Domain,
    /// `user { }` inside a domain.
    User,
}

impl Layer {
    /// `platform`, `domain` or `user`.
    pub fn name(self) -> &'static str {
        match self {
            Layer::Platform => "platform",
            Layer::Domain => "domain",
            Layer::User => "user",
        }
    }
}

/// Where a policy applies. `None` fields do not restrict.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Scope {
    /// Applies when `object.domain` is this.
    pub domain: Option<String>,
    /// Applies when `object.class` is this.
    pub class: Option<String>,
    /// Applies when `object.tags` has this.
    pub tag: Option<String>,
    /// Applies when `object.owner` is this.
    pub user: Option<String>,
}

impl Scope {
    /// The layer of the policies written in this scope.
    pub fn layer(&self) -> Layer {
        if self.user.is_some() {
            Layer::User
        } else if self.domain.is_some() {
            Layer::Domain
        } else {
            Layer::Platform
        }
    }

    /// 0 platform, 1 domain, 2 class or tag, 3 user (docs/LANGUAGE.md, "Scopes and layers").
    pub fn specificity(&self) -> u8 {
        if self.user.is_some() {
            3
        } else if self.class.is_some() || self.tag.is_some() {
            2
        } else if self.domain.is_some() {
            1
        } else {
            0
        }
    }

    /// Whether this scope applies whenever `other` does.
    pub fn covers(&self, other: &Scope) -> bool {
        fn field(a: &Option<String>, b: &Option<String>) -> bool {
            a.is_none() || a == b
        }
        field(&self.domain, &other.domain)
            && field(&self.class, &other.class)
            && field(&self.tag, &other.tag)
            && field(&self.user, &other.user)
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.domain {
            None => f.write_str("platform")?,
            Some(d) => write!(f, "domain {d:?}")?,
        }
        if let Some(c) = &self.class {
            write!(f, " class {c:?}")?;
        }
        if let Some(t) = &self.tag {
            write!(f, " tag {t:?}")?;
        }
        if let Some(u) = &self.user {
            write!(f, " user {u:?}")?;
        }
        Ok(())
    }
}

/// The outcome of a decision, or of a `default` rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// `allow`
    Allow,
    /// `deny`
    Deny,
}

/// What a rule does when it matches. Actions, ciphers and fields are enum indices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Effect {
    /// `permit [ACTIONS]`: `None` means any action.
    Permit(Option<Vec<u32>>),
    /// `forbid [ACTIONS]` at an authorization hook.
    Forbid(Option<Vec<u32>>),
    /// `default allow|deny`.
    Default(Outcome),
    /// `use CIPHER`.
    Use(u32),
    /// `forbid CIPHERS` at encrypt: `None` forbids every cipher.
    ForbidCiphers(Option<Vec<u32>>),
    /// `default CIPHER`.
    DefaultCipher(u32),
    /// `record FIELDS`.
    Record(Vec<u32>),
    /// `redact FIELDS`.
    Redact(Vec<u32>),
}

/// A checked rule: what it does and when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckedRule {
    /// What it does when it matches.
    pub effect: Effect,
    /// `None`: the rule has no `when` and always matches.
    pub cond: Option<TExpr>,
    /// The whole rule, from its keyword.
    pub span: Span,
}

/// A typed expression.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TExpr {
    /// What the expression is.
    pub kind: TKind,
    /// Its type.
    pub ty: Type,
    /// Where it was written.
    pub span: Span,
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=` (dominance on lattice values)
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// The forms of membership `in` (and `has` on a set) takes, decided by the operand types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InKind {
    /// `x in set<T>`
    Member,
    /// `ip in cidr` or `cidr in cidr` (subnet)
    Network,
    /// `ip in set<cidr>` or `cidr in set<cidr>`: in any of the networks
    AnyNetwork,
}

/// An arithmetic operator; both saturate instead of overflowing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
}

/// Accessors written as `.name` on a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Accessor {
    /// `timestamp.weekday`
    Weekday,
    /// `timestamp.time_of_day` (UTC)
    TimeOfDay,
    /// `timestamp.hour`, 0 to 23 (UTC)
    Hour,
    /// `.level` of a product lattice value
    Level,
    /// `.compartments` of a product lattice value
    Compartments,
    /// `set.size`
    Size,
}

impl Accessor {
    /// The accessor as written after the dot.
    pub fn name(self) -> &'static str {
        match self {
            Accessor::Weekday => "weekday",
            Accessor::TimeOfDay => "time_of_day",
            Accessor::Hour => "hour",
            Accessor::Level => "level",
            Accessor::Compartments => "compartments",
            Accessor::Size => "size",
        }
    }
}

/// The forms of a typed expression.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TKind {
    /// A value known when checking (literals and constants).
    Lit(Value),
    /// A required attribute, or an optional one the checker saw guarded.
    Attr(AttrId),
    /// `entity has attr`
    Has(AttrId),
    /// A template parameter, by position.
    Param(u32),
    /// A quantifier variable, by nesting depth (0 is the outermost quantifier).
    Var(u32),
    /// `not e`
    Not(Box<TExpr>),
    /// `a and b`, evaluated left to right
    And(Box<TExpr>, Box<TExpr>),
    /// `a or b`, evaluated left to right
    Or(Box<TExpr>, Box<TExpr>),
    /// `a OP b`
    Cmp(CmpOp, Box<TExpr>, Box<TExpr>),
    /// `In(kind, element, collection)`
    In(InKind, Box<TExpr>, Box<TExpr>),
    /// `a has any b`: the sets intersect
    HasAny(Box<TExpr>, Box<TExpr>),
    /// `a has all b`: `a` contains every element of `b`
    HasAll(Box<TExpr>, Box<TExpr>),
    /// `text like pattern`
    Like(Box<TExpr>, Box<TExpr>),
    /// `text matches "regex"`: the pattern is known when checking and was validated.
    Matches(Box<TExpr>, String),
    /// `name under domain` (or under a set of domains)
    Under(Box<TExpr>, Box<TExpr>),
    /// `a + b`, `a - b`
    Arith(ArithOp, Box<TExpr>, Box<TExpr>),
    /// `e.accessor`
    Field(Accessor, Box<TExpr>),
    /// `lub(a, b)`: least upper bound
    Lub(Box<TExpr>, Box<TExpr>),
    /// `glb(a, b)`: greatest lower bound
    Glb(Box<TExpr>, Box<TExpr>),
    /// `lattice(level, compartments)`: the compartments are a bitset known when checking.
    Label(Box<TExpr>, u64),
    /// A set literal with non-constant elements.
    Set(Vec<TExpr>),
    /// `any|all x in SET: BODY`; the body reads the element as the innermost `Var`.
    Quant(Quantifier, Box<TExpr>, Box<TExpr>),
}

impl TExpr {
    /// Visit this expression and every subexpression, parents first.
    pub fn walk(&self, f: &mut dyn FnMut(&TExpr)) {
        f(self);
        match &self.kind {
            TKind::Lit(_) | TKind::Attr(_) | TKind::Has(_) | TKind::Param(_) | TKind::Var(_) => {}
            TKind::Not(a) | TKind::Matches(a, _) | TKind::Field(_, a) | TKind::Label(a, _) => {
                a.walk(f)
            }
            TKind::And(a, b)
            | TKind::Or(a, b)
            | TKind::Cmp(_, a, b)
            | TKind::In(_, a, b)
            | TKind::HasAny(a, b)
            | TKind::HasAll(a, b)
            | TKind::Like(a, b)
            | TKind::Under(a, b)
            | TKind::Arith(_, a, b)
            | TKind::Lub(a, b)
            | TKind::Glb(a, b)
            | TKind::Quant(_, a, b) => {
                a.walk(f);
                b.walk(f);
            }
            TKind::Set(items) => items.iter().for_each(|i| i.walk(f)),
        }
    }

    /// Structural equality, ignoring spans.
    pub fn same(&self, other: &TExpr) -> bool {
        fn b(a: &TExpr, b2: &TExpr) -> bool {
            a.same(b2)
        }
        self.ty == other.ty
            && match (&self.kind, &other.kind) {
                (TKind::Lit(a), TKind::Lit(c)) => a == c,
                (TKind::Attr(a), TKind::Attr(c)) | (TKind::Has(a), TKind::Has(c)) => a == c,
                (TKind::Param(a), TKind::Param(c)) | (TKind::Var(a), TKind::Var(c)) => a == c,
                (TKind::Not(a), TKind::Not(c)) => b(a, c),
                (TKind::Matches(a, p), TKind::Matches(c, q)) => p == q && b(a, c),
                (TKind::Field(x, a), TKind::Field(y, c)) => x == y && b(a, c),
                (TKind::Label(a, x), TKind::Label(c, y)) => x == y && b(a, c),
                (TKind::And(a, a2), TKind::And(c, c2))
                | (TKind::Or(a, a2), TKind::Or(c, c2))
                | (TKind::HasAny(a, a2), TKind::HasAny(c, c2))
                | (TKind::HasAll(a, a2), TKind::HasAll(c, c2))
                | (TKind::Like(a, a2), TKind::Like(c, c2))
                | (TKind::Under(a, a2), TKind::Under(c, c2))
                | (TKind::Lub(a, a2), TKind::Lub(c, c2))
                | (TKind::Glb(a, a2), TKind::Glb(c, c2)) => b(a, c) && b(a2, c2),
                (TKind::Cmp(o, a, a2), TKind::Cmp(p, c, c2)) => o == p && b(a, c) && b(a2, c2),
                (TKind::In(o, a, a2), TKind::In(p, c, c2)) => o == p && b(a, c) && b(a2, c2),
                (TKind::Arith(o, a, a2), TKind::Arith(p, c, c2)) => o == p && b(a, c) && b(a2, c2),
                (TKind::Quant(o, a, a2), TKind::Quant(p, c, c2)) => o == p && b(a, c) && b(a2, c2),
                (TKind::Set(xs), TKind::Set(ys)) => {
                    xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| b(x, y))
                }
                _ => false,
            }
    }

    /// The conjuncts of an `and` chain.
    pub fn conjuncts(&self) -> Vec<&TExpr> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            match &e.kind {
                TKind::And(a, b) => {
                    stack.push(b);
                    stack.push(a);
                }
                _ => out.push(e),
            }
        }
        out
    }
}
