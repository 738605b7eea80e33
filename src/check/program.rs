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
    pub schema: Schema,
    /// Rule code. Each template has one body shared by all its instances; each plain policy
    /// has its own.
    pub bodies: Vec<Body>,
    pub policies: Vec<Policy>,
    /// The `test` blocks of the project, with their requests fully built.
    pub tests: Vec<TestCase>,
    /// Every fixture's request, by name (JSON case tables start from them too).
    pub fixtures: Vec<(String, Vec<Option<Value>>)>,
}

/// A checked `test`: the hook, the whole request (fixture chain applied), what to expect.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestCase {
    pub name: String,
    pub hook: Hook,
    /// Attribute values by slot; `None` is absent.
    pub request: Vec<Option<Value>>,
    pub expect: Vec<Expect>,
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
    /// `expect cipher NAME;`
    Cipher(u32),
    /// `expect record {FIELDS};` the exact set of fields recorded in clear.
    Record(u64),
    /// `expect redact {FIELDS};` the exact set of redacted fields.
    Redact(u64),
}

/// Whether a rule id is meant by a test's `by "..."` reference.
pub fn rule_matches(reference: &str, id: &str, policy: &str) -> bool {
    id == reference || id.ends_with(&format!("/{reference}")) || (!reference.contains('#') && policy == reference)
}

/// The rules of one policy or template, with the types of the parameters they read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Body {
    pub hook: Hook,
    /// The template's name, or `None` for a plain policy.
    pub template: Option<String>,
    pub params: Vec<(String, Type)>,
    pub rules: Vec<CheckedRule>,
    pub span: Span,
}

/// One policy: a body, the arguments for its parameters, and the scope it applies in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    pub name: String,
    pub scope: Scope,
    pub hook: Hook,
    pub body: u32,
    pub args: Vec<Value>,
    pub span: Span,
}

impl Policy {
    /// The rule id shown in decisions: `SCOPE/POLICY#N`, N counting from 1.
    pub fn rule_id(&self, index: usize) -> String {
        format!("{}/{}#{}", self.scope, self.name, index + 1)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    Platform,
    Domain,
    User,
}

impl Layer {
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
    pub domain: Option<String>,
    pub class: Option<String>,
    pub tag: Option<String>,
    pub user: Option<String>,
}

impl Scope {
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
        field(&self.domain, &other.domain) && field(&self.class, &other.class) && field(&self.tag, &other.tag) && field(&self.user, &other.user)
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Allow,
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckedRule {
    pub effect: Effect,
    /// `None`: the rule has no `when` and always matches.
    pub cond: Option<TExpr>,
    pub span: Span,
}

/// A typed expression.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TExpr {
    pub kind: TKind,
    pub ty: Type,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ArithOp {
    Add,
    Sub,
}

/// Accessors written as `.name` on a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Accessor {
    Weekday,
    TimeOfDay,
    Hour,
    Level,
    Compartments,
    Size,
}

impl Accessor {
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TKind {
    Lit(Value),
    /// A required attribute, or an optional one the checker saw guarded.
    Attr(AttrId),
    /// `entity has attr`
    Has(AttrId),
    /// A template parameter, by position.
    Param(u32),
    /// A quantifier variable, by nesting depth (0 is the outermost quantifier).
    Var(u32),
    Not(Box<TExpr>),
    And(Box<TExpr>, Box<TExpr>),
    Or(Box<TExpr>, Box<TExpr>),
    Cmp(CmpOp, Box<TExpr>, Box<TExpr>),
    /// `In(kind, element, collection)`
    In(InKind, Box<TExpr>, Box<TExpr>),
    HasAny(Box<TExpr>, Box<TExpr>),
    HasAll(Box<TExpr>, Box<TExpr>),
    /// `text like pattern`
    Like(Box<TExpr>, Box<TExpr>),
    /// `text matches "regex"`: the pattern is known when checking and was validated.
    Matches(Box<TExpr>, String),
    /// `name under domain` (or under a set of domains)
    Under(Box<TExpr>, Box<TExpr>),
    Arith(ArithOp, Box<TExpr>, Box<TExpr>),
    Field(Accessor, Box<TExpr>),
    Lub(Box<TExpr>, Box<TExpr>),
    Glb(Box<TExpr>, Box<TExpr>),
    /// `lattice(level, compartments)`: the compartments are a bitset known when checking.
    Label(Box<TExpr>, u64),
    /// A set literal with non-constant elements.
    Set(Vec<TExpr>),
    Quant(Quantifier, Box<TExpr>, Box<TExpr>),
}

impl TExpr {
    /// Visit this expression and every subexpression, parents first.
    pub fn walk(&self, f: &mut dyn FnMut(&TExpr)) {
        f(self);
        match &self.kind {
            TKind::Lit(_) | TKind::Attr(_) | TKind::Has(_) | TKind::Param(_) | TKind::Var(_) => {}
            TKind::Not(a) | TKind::Matches(a, _) | TKind::Field(_, a) | TKind::Label(a, _) => a.walk(f),
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
                (TKind::Set(xs), TKind::Set(ys)) => xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| b(x, y)),
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
