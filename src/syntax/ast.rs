//! The syntax tree of `.policy` and `.schema` files, as written, with spans.
//!
//! Nothing here is resolved or typed: that is the checker's job.

use crate::source::Span;
use std::net::IpAddr;

/// A name as written, with where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

/// A string literal, unescaped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StrLit {
    /// The text, escapes resolved (`\*` and `\?` are kept for `like` patterns).
    pub value: String,
    /// The literal, quotes included.
    pub span: Span,
}

/// A parsed `.policy` file.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PolicyFile {
    /// The top-level items, in source order.
    pub items: Vec<Item>,
}

/// A top-level item of a `.policy` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// `const NAME [: TYPE] = EXPR;`
    Const(ConstDecl),
    /// `lattice NAME { ... }` or `lattice NAME = BASE with { ... };`
    Lattice(LatticeDecl),
    /// `template NAME(PARAMS) on HOOK { RULES }`
    Template(TemplateDecl),
    /// A `platform` or `domain` block (or the `domain "D" use T(...);` shorthand).
    Scope(ScopeBlock),
    /// `fixture NAME [from BASE] { ... }`
    Fixture(FixtureDecl),
    /// `test "NAME" on HOOK { ... }`
    Test(TestDecl),
}

/// `fixture NAME [from BASE] { path = value; unset path; }`: a partial request tests share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixtureDecl {
    /// The fixture's name, global to the project.
    pub name: Ident,
    /// The fixture it starts `from`, if any.
    pub base: Option<Ident>,
    /// Assignments and unsets, applied in order on top of the base.
    pub stmts: Vec<TestStmt>,
    /// The whole declaration.
    pub span: Span,
}

/// `test "NAME" on HOOK { from F; path = value; unset path; expect ...; }`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestDecl {
    /// The test's name, unique in the project.
    pub name: StrLit,
    /// The hook decided, as written (the checker resolves it).
    pub hook: Ident,
    /// `from`, assignments, unsets and expectations, in source order.
    pub stmts: Vec<TestStmt>,
    /// The whole declaration.
    pub span: Span,
}

/// A statement in a fixture or test body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TestStmt {
    /// Start from a fixture.
    From(Ident),
    /// `entity.attr = value;`
    Set {
        /// The entity, as written.
        entity: Ident,
        /// The attribute, as written.
        attr: Ident,
        /// The value; must be known when checking.
        value: Expr,
        /// The whole statement.
        span: Span,
    },
    /// `unset entity.attr;`
    Unset {
        /// The entity, as written.
        entity: Ident,
        /// The attribute, as written.
        attr: Ident,
        /// The whole statement.
        span: Span,
    },
    /// `expect ...;` and the statement's span.
    Expect(Expectation, Span),
}

/// What a test expects of the decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expectation {
    /// `expect allow|deny [by "RULE"];`
    Outcome {
        /// `allow` or `deny` as written (the checker rejects anything else).
        outcome: Ident,
        /// The rule that must decide: `SCOPE/POLICY#N`, `POLICY#N` or `POLICY`.
        by: Option<StrLit>,
    },
    /// `expect cipher NAME;`
    Cipher(Ident),
    /// `expect record {FIELDS};` (`record` true) or `expect redact {FIELDS};`
    Fields {
        /// `record` rather than `redact`.
        record: bool,
        /// The log fields, as written.
        fields: Vec<Ident>,
    },
}

/// `const NAME [: TYPE] = EXPR;`: a constant shared by every file of the project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConstDecl {
    /// The constant's name.
    pub name: Ident,
    /// The declared type, if written.
    pub ty: Option<TypeExpr>,
    /// The value; must be computable when checking.
    pub value: Expr,
    /// The whole declaration.
    pub span: Span,
}

/// A `lattice` declaration, in a `.policy` or `.schema` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LatticeDecl {
    /// The lattice's name (also its type name).
    pub name: Ident,
    /// A total order or a product with compartments.
    pub kind: LatticeKind,
    /// The whole declaration.
    pub span: Span,
}

/// The two shapes of lattice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LatticeKind {
    /// `lattice L { a < b < c }`: a total order, lowest first.
    Levels(Vec<Ident>),
    /// `lattice L = BASE with { x, y };`: a level of BASE and a set of compartments.
    Product {
        /// The total-order lattice that supplies the levels.
        base: Ident,
        /// The compartment names (the values of the enum `L_compartment`).
        compartments: Vec<Ident>,
    },
}

/// `template NAME(PARAMS) on HOOK { RULES }`: a policy with typed parameters, instantiated
/// with `use`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateDecl {
    /// The template's name, global to the project.
    pub name: Ident,
    /// The parameters, in order.
    pub params: Vec<Param>,
    /// The hook, as written (the checker resolves it).
    pub hook: Ident,
    /// The rules, in source order.
    pub rules: Vec<Rule>,
    /// The whole declaration.
    pub span: Span,
}

/// A template parameter, `name: TYPE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    /// The parameter's name.
    pub name: Ident,
    /// Its type.
    pub ty: TypeExpr,
}

/// A type as written: `string`, `clearance`, `set<ip>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeExpr {
    /// A built-in type, enum or lattice, by name.
    Named(Ident),
    /// `set<T>`, and the span of the whole type.
    Set(Box<TypeExpr>, Span),
}

impl TypeExpr {
    /// Where the type was written.
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
    /// `platform { }`: every request.
    Platform,
    /// `domain "D" { }`: requests on objects of domain D.
    Domain(StrLit),
    /// `class "C" { }` inside a domain: objects of class C.
    Class(StrLit),
    /// `tag "T" { }` inside a domain: objects tagged T.
    Tag(StrLit),
    /// `user "U" { }` inside a domain: objects owned by user U.
    User(StrLit),
}

/// A scope block and what it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeBlock {
    /// Which scope, with its name.
    pub kind: ScopeKind,
    /// The span of the block's header (`domain "x"`), where scope errors point.
    pub head: Span,
    /// Policies, template instances and narrower scopes, in source order.
    pub items: Vec<ScopeItem>,
    /// The whole block.
    pub span: Span,
}

/// An item inside a scope block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScopeItem {
    /// `policy "NAME" on HOOK { RULES }`
    Policy(PolicyDecl),
    /// `use TEMPLATE(ARGS) [as "NAME"];`
    Use(UseDecl),
    /// A narrower `class`, `tag` or `user` block.
    Scope(ScopeBlock),
}

/// `policy "NAME" on HOOK { RULES }`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyDecl {
    /// The policy's name, unique within its scope.
    pub name: StrLit,
    /// The hook, as written (the checker resolves it).
    pub hook: Ident,
    /// The rules, in source order (rule N of a rule id counts these from 1).
    pub rules: Vec<Rule>,
    /// The whole declaration.
    pub span: Span,
}

/// `use template(args) as "name";`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UseDecl {
    /// The template instantiated.
    pub template: Ident,
    /// One argument per parameter; each must be known when checking.
    pub args: Vec<Expr>,
    /// The instance's policy name; without it, the template's name.
    pub alias: Option<StrLit>,
    /// The whole `use`.
    pub span: Span,
}

/// A rule's keyword.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RuleKind {
    /// `permit`
    Permit,
    /// `forbid`: actions at an authorization hook, ciphers at encrypt.
    Forbid,
    /// `use CIPHER` (encrypt).
    Use,
    /// `default allow|deny`, or `default CIPHER` at encrypt.
    Default,
    /// `record FIELDS` (log).
    Record,
    /// `redact FIELDS` (log).
    Redact,
}

impl RuleKind {
    /// The keyword as written in policies.
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

/// One rule of a policy or template body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The rule's keyword.
    pub kind: RuleKind,
    /// Actions (permit/forbid), ciphers (use/forbid in encrypt), fields (record/redact),
    /// or the outcome (default).
    pub names: Vec<Ident>,
    /// The `when` condition; `None` if the rule has none.
    pub when: Option<Expr>,
    /// The whole rule, from its keyword.
    pub span: Span,
}

/// An expression as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    /// What the expression is.
    pub kind: ExprKind,
    /// Where it was written.
    pub span: Span,
}

/// A binary operator (`and` and `or` have their own expression forms).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=` (dominance on lattice levels)
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `in`: set membership, or an address or network within a network.
    In,
    /// `has`: set membership, or presence of an optional attribute (`client has posture`).
    Has,
    /// `has any`: the two sets intersect.
    HasAny,
    /// `has all`: the left set contains the right.
    HasAll,
    /// `like`: glob match.
    Like,
    /// `matches`: regular expression search.
    Matches,
    /// `under`: domain name at or below a domain.
    Under,
    /// `+`
    Add,
    /// `-`
    Sub,
}

impl BinOp {
    /// The operator as written in policies.
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

/// A quantifier over a finite set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Quantifier {
    /// `any x in S: E`: E holds for some element (false on the empty set).
    Any,
    /// `all x in S: E`: E holds for every element (true on the empty set).
    All,
}

/// The forms of an expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprKind {
    /// A literal value.
    Lit(Literal),
    /// A bare name: constant, parameter, variable, entity, enum value or lattice level.
    Name(Ident),
    /// `type::value`
    Qualified(Ident, Ident),
    /// `base.field`
    Field(Box<Expr>, Ident),
    /// A set literal `{a, b, c}`.
    Set(Vec<Expr>),
    /// `lub(a, b)`, `glb(a, b)`, or a product lattice value `L(level, {compartments})`.
    Call(Ident, Vec<Expr>),
    /// `not e`
    Not(Box<Expr>),
    /// `a and b`
    And(Box<Expr>, Box<Expr>),
    /// `a or b`
    Or(Box<Expr>, Box<Expr>),
    /// `a OP b`
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `any|all VAR in SET: BODY`
    Quant(Quantifier, Ident, Box<Expr>, Box<Expr>),
    /// `( e )`, kept so the formatter and spans see what was written.
    Paren(Box<Expr>),
}

/// A literal, validated by the parser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Literal {
    /// `true`, `false`
    Bool(bool),
    /// A 64-bit integer.
    Int(i64),
    /// A string, escapes resolved.
    Str(String),
    /// An IPv4 or IPv6 address.
    Ip(IpAddr),
    /// A network; its host bits are zero.
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
    /// The declarations, in source order.
    pub items: Vec<SchemaItem>,
}

/// A declaration in a `.schema` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SchemaItem {
    /// `enum NAME { a, b, c }`
    Enum {
        /// The enum's name (also its type name).
        name: Ident,
        /// Its values, in order.
        values: Vec<Ident>,
        /// The whole declaration.
        span: Span,
    },
    /// `actions HOOK { a, b }`: the actions rules of an authorization hook may name.
    Actions {
        /// The hook, as written.
        hook: Ident,
        /// The actions (values of the `action` enum).
        actions: Vec<Ident>,
        /// The whole declaration.
        span: Span,
    },
    /// `entity NAME [on HOOKS] { attr: TYPE; ... }`
    Entity {
        /// The entity's name.
        name: Ident,
        /// The hooks it is available at; `None` for every hook.
        hooks: Option<Vec<Ident>>,
        /// Its attributes, in order.
        attrs: Vec<AttrDecl>,
        /// The whole declaration.
        span: Span,
    },
    /// A `lattice` declaration.
    Lattice(LatticeDecl),
}

/// An attribute declaration, `name[?]: TYPE;`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttrDecl {
    /// The attribute's name.
    pub name: Ident,
    /// Declared with `?`: a request may leave it out.
    pub optional: bool,
    /// Its type.
    pub ty: TypeExpr,
    /// The whole declaration.
    pub span: Span,
}
