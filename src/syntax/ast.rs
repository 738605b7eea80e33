//! The syntax tree of `.policy` and `.schema` files, as written, with spans.
//!
//! Nothing here is resolved or typed: that is the checker's job.

use crate::source::Span;
use std::net::IpAddr;

/// A name as written, with where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A string literal, unescaped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StrLit {
    pub value: String,
    pub span: Span,
}

/// A parsed `.policy` file.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PolicyFile {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Const(ConstDecl),
    Lattice(LatticeDecl),
    Template(TemplateDecl),
    Scope(ScopeBlock),
    Fixture(FixtureDecl),
    Test(TestDecl),
}

/// `fixture NAME [from BASE] { path = value; unset path; }`: a partial request tests share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixtureDecl {
    pub name: Ident,
    pub base: Option<Ident>,
    pub stmts: Vec<TestStmt>,
    pub span: Span,
}

/// `test "NAME" on HOOK { from F; path = value; unset path; expect ...; }`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestDecl {
    pub name: StrLit,
    pub hook: Ident,
    pub stmts: Vec<TestStmt>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TestStmt {
    /// Start from a fixture.
    From(Ident),
    /// `entity.attr = value;`
    Set { entity: Ident, attr: Ident, value: Expr, span: Span },
    /// `unset entity.attr;`
    Unset { entity: Ident, attr: Ident, span: Span },
    Expect(Expectation, Span),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expectation {
    /// `expect allow|deny [by "RULE"];`
    Outcome { outcome: Ident, by: Option<StrLit> },
    /// `expect cipher NAME;`
    Cipher(Ident),
    /// `expect record {FIELDS};` (`record` true) or `expect redact {FIELDS};`
    Fields { record: bool, fields: Vec<Ident> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConstDecl {
    pub name: Ident,
    pub ty: Option<TypeExpr>,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LatticeDecl {
    pub name: Ident,
    pub kind: LatticeKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LatticeKind {
    /// `lattice L { a < b < c }`: a total order, lowest first.
    Levels(Vec<Ident>),
    /// `lattice L = BASE with { x, y };`: a level of BASE and a set of compartments.
    Product { base: Ident, compartments: Vec<Ident> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateDecl {
    pub name: Ident,
    pub params: Vec<Param>,
    pub hook: Ident,
    pub rules: Vec<Rule>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    pub name: Ident,
    pub ty: TypeExpr,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeExpr {
    Named(Ident),
    Set(Box<TypeExpr>, Span),
}

impl TypeExpr {
    pub fn span(&self) -> Span {
        match self {
            TypeExpr::Named(i) => i.span,
            TypeExpr::Set(_, s) => *s,
        }
    }
}

/// Who wrote the policies in a block, and to which requests they apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScopeKind {
    Platform,
    Domain(StrLit),
    Class(StrLit),
    Tag(StrLit),
    User(StrLit),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeBlock {
    pub kind: ScopeKind,
    /// The span of the block's header (`domain "x"`), where scope errors point.
    pub head: Span,
    pub items: Vec<ScopeItem>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScopeItem {
    Policy(PolicyDecl),
    Use(UseDecl),
    Scope(ScopeBlock),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyDecl {
    pub name: StrLit,
    pub hook: Ident,
    pub rules: Vec<Rule>,
    pub span: Span,
}

/// `use template(args) as "name";`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UseDecl {
    pub template: Ident,
    pub args: Vec<Expr>,
    pub alias: Option<StrLit>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RuleKind {
    Permit,
    Forbid,
    Use,
    Default,
    Record,
    Redact,
}

impl RuleKind {
    pub fn keyword(self) -> &'static str {
        match self {
            RuleKind::Permit => "permit",
            RuleKind::Forbid => "forbid",
            RuleKind::Use => "use",
            RuleKind::Default => "default",
            RuleKind::Record => "record",
            RuleKind::Redact => "redact",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub kind: RuleKind,
    /// Actions (permit/forbid), ciphers (use/forbid in encrypt), fields (record/redact),
    /// or the outcome (default).
    pub names: Vec<Ident>,
    pub when: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Has,
    HasAny,
    HasAll,
    Like,
    Matches,
    Under,
    Add,
    Sub,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::In => "in",
            BinOp::Has => "has",
            BinOp::HasAny => "has any",
            BinOp::HasAll => "has all",
            BinOp::Like => "like",
            BinOp::Matches => "matches",
            BinOp::Under => "under",
            BinOp::Add => "+",
            BinOp::Sub => "-",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Quantifier {
    Any,
    All,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprKind {
    Lit(Literal),
    /// A bare name: constant, parameter, variable, entity, enum value or lattice level.
    Name(Ident),
    /// `type::value`
    Qualified(Ident, Ident),
    /// `base.field`
    Field(Box<Expr>, Ident),
    Set(Vec<Expr>),
    Call(Ident, Vec<Expr>),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Quant(Quantifier, Ident, Box<Expr>, Box<Expr>),
    /// `( e )`, kept so the formatter and spans see what was written.
    Paren(Box<Expr>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Literal {
    Bool(bool),
    Int(i64),
    Str(String),
    Ip(IpAddr),
    Cidr(ipnetwork::IpNetwork),
    /// Seconds since the Unix epoch, UTC.
    Timestamp(i64),
    /// Seconds.
    Duration(i64),
    /// Seconds since midnight.
    Time(u32),
}

/// A parsed `.schema` file.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SchemaFile {
    pub items: Vec<SchemaItem>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SchemaItem {
    Enum { name: Ident, values: Vec<Ident>, span: Span },
    Actions { hook: Ident, actions: Vec<Ident>, span: Span },
    Entity { name: Ident, hooks: Option<Vec<Ident>>, attrs: Vec<AttrDecl>, span: Span },
    Lattice(LatticeDecl),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttrDecl {
    pub name: Ident,
    pub optional: bool,
    pub ty: TypeExpr,
    pub span: Span,
}
