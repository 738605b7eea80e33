//! From text to [`ast`](super::ast): the pest grammar in `grammar/dictum.pest`, then a
//! builder that turns pest's pairs into AST nodes with spans, validating literals on the way.

use super::ast::*;
use super::limits::{Limits, prescan, with_stack};
use crate::error::{Code, Diagnostic};
use crate::source::{FileId, Span};
use pest::Parser as _;
use pest::iterators::{Pair, Pairs};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/dictum.pest"]
struct Grammar;

type Result<T> = std::result::Result<T, Diagnostic>;

/// Parse a `.policy` file.
pub fn parse_policy(file: FileId, text: &str, limits: &Limits) -> Result<PolicyFile> {
    prescan(file, text, limits)?;
    with_stack(|| parse_policy_here(file, text, limits)).unwrap_or_else(|| {
        Err(internal(
            Span::new(file, 0, 0),
            "the parser stopped unexpectedly",
        ))
    })
}

fn parse_policy_here(file: FileId, text: &str, limits: &Limits) -> Result<PolicyFile> {
    prescan(file, text, limits)?;
    let pairs =
        Grammar::parse(Rule::policy_file, text).map_err(|e| syntax_error(file, text, &e))?;
    let b = Builder { file, limits };
    let mut items = Vec::new();
    for pair in top(pairs) {
        match pair.as_rule() {
            Rule::const_decl => items.push(Item::Const(b.const_decl(pair)?)),
            Rule::lattice_decl => items.push(Item::Lattice(b.lattice_decl(pair)?)),
            Rule::template_decl => items.push(Item::Template(b.template_decl(pair)?)),
            Rule::platform_block | Rule::domain_block => {
                items.push(Item::Scope(b.scope_block(pair)?))
            }
            Rule::fixture_decl => items.push(Item::Fixture(b.fixture_decl(pair)?)),
            Rule::test_decl => items.push(Item::Test(b.test_decl(pair)?)),
            Rule::EOI => {}
            other => return Err(b.internal(&pair, other)),
        }
    }
    Ok(PolicyFile { items })
}

/// Parse a `.schema` file.
pub fn parse_schema(file: FileId, text: &str, limits: &Limits) -> Result<SchemaFile> {
    prescan(file, text, limits)?;
    with_stack(|| parse_schema_here(file, text, limits)).unwrap_or_else(|| {
        Err(internal(
            Span::new(file, 0, 0),
            "the parser stopped unexpectedly",
        ))
    })
}

fn parse_schema_here(file: FileId, text: &str, limits: &Limits) -> Result<SchemaFile> {
    prescan(file, text, limits)?;
    let pairs =
        Grammar::parse(Rule::schema_file, text).map_err(|e| syntax_error(file, text, &e))?;
    let b = Builder { file, limits };
    let mut items = Vec::new();
    for pair in top(pairs) {
        let span = b.span(&pair);
        match pair.as_rule() {
            Rule::enum_decl => {
                let mut it = kids(pair);
                let name = b.ident(b.next(&mut it, span)?);
                let values = b.ident_list(b.next(&mut it, span)?);
                items.push(SchemaItem::Enum { name, values, span });
            }
            Rule::actions_decl => {
                let mut it = kids(pair);
                let hook = b.ident(b.next(&mut it, span)?);
                let actions = b.ident_list(b.next(&mut it, span)?);
                items.push(SchemaItem::Actions {
                    hook,
                    actions,
                    span,
                });
            }
            Rule::entity_decl => {
                let mut name = None;
                let mut hooks = None;
                let mut attrs = Vec::new();
                for p in kids(pair) {
                    match p.as_rule() {
                        Rule::ident => name = Some(b.ident(p)),
                        Rule::ident_list => hooks = Some(b.ident_list(p)),
                        Rule::attr_decl => attrs.push(b.attr_decl(p)?),
                        _ => {}
                    }
                }
                let name = name.ok_or_else(|| internal(span, "entity without a name"))?;
                items.push(SchemaItem::Entity {
                    name,
                    hooks,
                    attrs,
                    span,
                });
            }
            Rule::lattice_decl => items.push(SchemaItem::Lattice(b.lattice_decl(pair)?)),
            Rule::EOI => {}
            other => return Err(b.internal(&pair, other)),
        }
    }
    Ok(SchemaFile { items })
}

/// Parse one expression (used by tests and tools).
pub fn parse_expr(file: FileId, text: &str, limits: &Limits) -> Result<Expr> {
    prescan(file, text, limits)?;
    with_stack(|| parse_expr_here(file, text, limits)).unwrap_or_else(|| {
        Err(internal(
            Span::new(file, 0, 0),
            "the parser stopped unexpectedly",
        ))
    })
}

fn parse_expr_here(file: FileId, text: &str, limits: &Limits) -> Result<Expr> {
    prescan(file, text, limits)?;
    let pairs = Grammar::parse(Rule::expr, text).map_err(|e| syntax_error(file, text, &e))?;
    let b = Builder { file, limits };
    let span = Span::new(file, 0, text.len());
    let pair = pairs
        .into_iter()
        .next()
        .ok_or_else(|| internal(span, "empty expression"))?;
    let end = pair.as_span().end();
    if end != text.len() {
        return Err(Diagnostic::new(
            Code::Syntax,
            Span::new(file, end, text.len()),
            "unexpected input after the expression",
        )
        .label("not part of the expression"));
    }
    b.expr(pair, 0)
}

/// The children of the single top-level pair (the file rule).
fn top(pairs: Pairs<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pairs.into_iter().flat_map(kids)
}

/// A pair's children without the structural keywords, which carry no information.
fn kids(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner().filter(|p| {
        !matches!(
            p.as_rule(),
            Rule::kw_const
                | Rule::kw_template
                | Rule::kw_on
                | Rule::kw_use
                | Rule::kw_as
                | Rule::kw_policy
                | Rule::kw_permit
                | Rule::kw_forbid
                | Rule::kw_default
                | Rule::kw_record
                | Rule::kw_redact
                | Rule::kw_when
                | Rule::kw_enum
                | Rule::kw_actions
                | Rule::kw_entity
                | Rule::kw_lattice
                | Rule::kw_with
                | Rule::kw_set
                | Rule::kw_in
                | Rule::kw_fixture
                | Rule::kw_test
                | Rule::kw_from
                | Rule::kw_unset
                | Rule::kw_expect
        )
    })
}

fn internal(span: Span, what: &str) -> Diagnostic {
    Diagnostic::new(
        Code::Internal,
        span,
        format!("internal error in the parser: {what}"),
    )
    .help("this is a bug in dictum; please report it with the input that caused it")
}

fn syntax_error(file: FileId, text: &str, e: &pest::error::Error<Rule>) -> Diagnostic {
    let (start, end) = match e.location {
        pest::error::InputLocation::Pos(p) => (p, p),
        pest::error::InputLocation::Span((s, e)) => (s, e),
    };
    let found = found_at(text, start);
    let end = if end > start {
        end
    } else {
        start + found.len()
    };
    let span = Span::new(file, start, end);
    if found.is_empty() {
        return Diagnostic::new(Code::Syntax, span, "unexpected end of file")
            .label("the file ends here")
            .help("check that every `{` and `(` is closed and every rule ends with `;`");
    }
    if found == "\""
        && text.get(start..).is_some_and(|rest| {
            !rest
                .lines()
                .next()
                .unwrap_or("")
                .get(1..)
                .unwrap_or("")
                .contains('"')
        })
    {
        return Diagnostic::new(Code::Syntax, span, "string is not closed")
            .label("this string has no closing `\"` on its line")
            .help("strings end with `\"` on the line they start");
    }
    let expected = match &e.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => describe_expected(positives),
        pest::error::ErrorVariant::CustomError { message } => message.clone(),
    };
    let d = Diagnostic::new(
        Code::Syntax,
        span,
        format!("expected {expected}, found `{found}`"),
    )
    .label(format!("unexpected `{found}`"));
    match hint(&found, &expected) {
        Some(h) => d.help(h),
        None => d,
    }
}

/// The token-ish text at an offset: a word, a run of operator characters, or one character.
fn found_at(text: &str, at: usize) -> String {
    let rest = text.get(at..).unwrap_or("");
    let word: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if !word.is_empty() {
        return word;
    }
    let op: String = rest.chars().take_while(|c| "&|=!<>".contains(*c)).collect();
    if !op.is_empty() {
        return op;
    }
    rest.chars().next().map(String::from).unwrap_or_default()
}

fn hint(found: &str, expected: &str) -> Option<String> {
    let rule_kw = matches!(
        found,
        "permit" | "forbid" | "use" | "default" | "record" | "redact"
    );
    if rule_kw && expected.contains("`platform`") {
        return Some(
            "rules live inside a policy: `platform { policy \"NAME\" on HOOK { RULES } }`".into(),
        );
    }
    let mid_expression = expected.contains("`and`") || expected.contains("`+`");
    match found {
        "&&" | "&" => Some("write `and` for logical and".into()),
        "||" | "|" => Some("write `or` for logical or".into()),
        "!" => Some("write `not` for negation".into()),
        "=" => Some("compare with `==`".into()),
        "'" => Some("strings are written in double quotes".into()),
        "<" | ">" | "<=" | ">=" | "==" | "!=" => {
            Some("comparisons do not chain: write `a < b and b < c`".into())
        }
        "}" | "permit" | "forbid" | "use" | "default" | "record" | "redact" | "policy"
        | "const" | "domain" | "platform"
            if mid_expression =>
        {
            Some("is a `;` missing before this? every rule and declaration ends with `;`".into())
        }
        _ => None,
    }
}

fn describe_expected(rules: &[Rule]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for r in rules {
        for n in rule_names(*r) {
            if !names.contains(n) {
                names.push(n);
            }
        }
    }
    match names.as_slice() {
        [] => "something else".to_string(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

fn rule_names(r: Rule) -> &'static [&'static str] {
    match r {
        Rule::EOI => &["the end of the file"],
        Rule::policy_file => &[
            "`const`",
            "`lattice`",
            "`template`",
            "`platform`",
            "`domain`",
            "`fixture`",
            "`test`",
        ],
        Rule::schema_file => &["`enum`", "`actions`", "`entity`", "`lattice`"],
        Rule::ident | Rule::name_list | Rule::ident_list => &["a name"],
        Rule::string | Rule::string_inner | Rule::raw_inner => &["a string"],
        Rule::expr
        | Rule::or_expr
        | Rule::and_expr
        | Rule::not_expr
        | Rule::comparison
        | Rule::sum
        | Rule::postfix
        | Rule::paren
        | Rule::call
        | Rule::set_lit
        | Rule::qualified
        | Rule::quantifier
        | Rule::args
        | Rule::boolean
        | Rule::int
        | Rule::duration
        | Rule::timestamp
        | Rule::time_lit
        | Rule::ip
        | Rule::cidr
        | Rule::ipv4
        | Rule::ipv6
        | Rule::not_op
        | Rule::kw_not => &["an expression"],
        Rule::cmp_op
        | Rule::has_any
        | Rule::has_all
        | Rule::kw_has
        | Rule::kw_like
        | Rule::kw_matches
        | Rule::kw_under => &["a comparison operator"],
        Rule::add_op => &["`+`", "`-`"],
        Rule::kw_and => &["`and`"],
        Rule::kw_or => &["`or`"],
        Rule::policy_decl | Rule::kw_policy => &["`policy`"],
        Rule::use_decl | Rule::kw_use => &["`use`"],
        Rule::const_decl | Rule::kw_const => &["`const`"],
        Rule::template_decl | Rule::kw_template => &["`template`"],
        Rule::platform_block | Rule::kw_platform => &["`platform`"],
        Rule::domain_block | Rule::kw_domain => &["`domain`"],
        Rule::lattice_decl | Rule::kw_lattice => &["`lattice`"],
        Rule::class_block | Rule::kw_class => &["`class`"],
        Rule::tag_block | Rule::kw_tag => &["`tag`"],
        Rule::user_block | Rule::kw_user => &["`user`"],
        Rule::permit_rule | Rule::kw_permit => &["`permit`"],
        Rule::forbid_rule | Rule::kw_forbid => &["`forbid`"],
        Rule::use_rule => &["`use`"],
        Rule::default_rule | Rule::kw_default => &["`default`"],
        Rule::record_rule | Rule::kw_record => &["`record`"],
        Rule::redact_rule | Rule::kw_redact => &["`redact`"],
        Rule::when_clause | Rule::kw_when => &["`when`"],
        Rule::enum_decl | Rule::kw_enum => &["`enum`"],
        Rule::actions_decl | Rule::kw_actions => &["`actions`"],
        Rule::entity_decl | Rule::kw_entity => &["`entity`"],
        Rule::attr_decl => &["an attribute declaration"],
        Rule::type_expr | Rule::set_type | Rule::kw_set => &["a type"],
        Rule::lattice_levels | Rule::lattice_product | Rule::block_body => &["`{`"],
        Rule::params | Rule::param => &["a parameter"],
        Rule::optional_mark => &["`?`"],
        Rule::quant_kind | Rule::kw_any | Rule::kw_all => &["`any`", "`all`"],
        Rule::kw_in => &["`in`"],
        Rule::kw_on => &["`on`"],
        Rule::kw_with => &["`with`"],
        Rule::kw_as => &["`as`"],
        Rule::fixture_decl | Rule::kw_fixture => &["`fixture`"],
        Rule::test_decl | Rule::kw_test => &["`test`"],
        Rule::from_stmt | Rule::kw_from => &["`from`"],
        Rule::assign_stmt | Rule::attr_path => &["an assignment `entity.attribute = value;`"],
        Rule::unset_stmt | Rule::kw_unset => &["`unset`"],
        Rule::expect_stmt | Rule::kw_expect => &["`expect`"],
        Rule::expect_outcome
        | Rule::expect_cipher
        | Rule::expect_fields
        | Rule::kw_cipher
        | Rule::kw_by => &["an expectation"],
        _ => &[],
    }
}

struct Builder<'l> {
    file: FileId,
    limits: &'l Limits,
}

impl Builder<'_> {
    /// A pair's span without the trailing whitespace pest includes in some rules.
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        let trimmed = s.as_str().trim_end_matches([' ', '\t', '\r', '\n']).len();
        Span::new(self.file, s.start(), s.start() + trimmed)
    }

    fn internal(&self, pair: &Pair<'_, Rule>, found: Rule) -> Diagnostic {
        internal(self.span(pair), &format!("unexpected {found:?}"))
    }

    fn next<'i>(
        &self,
        it: &mut impl Iterator<Item = Pair<'i, Rule>>,
        parent: Span,
    ) -> Result<Pair<'i, Rule>> {
        it.next().ok_or_else(|| internal(parent, "missing child"))
    }

    fn ident(&self, pair: Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    fn ident_list(&self, pair: Pair<'_, Rule>) -> Vec<Ident> {
        kids(pair)
            .filter(|p| p.as_rule() == Rule::ident)
            .map(|p| self.ident(p))
            .collect()
    }

    fn string(&self, pair: Pair<'_, Rule>) -> Result<StrLit> {
        let span = self.span(&pair);
        let inner = pair.into_inner().next();
        let verbatim = inner
            .as_ref()
            .is_some_and(|p| p.as_rule() == Rule::raw_inner);
        let raw = inner.as_ref().map_or("", |p| p.as_str());
        let value = if verbatim {
            Ok(raw.to_string())
        } else {
            unescape(raw)
        };
        let value = value.map_err(|msg| {
            Diagnostic::new(Code::InvalidLiteral, span, format!("invalid string literal: {msg}"))
                .label("in this string")
                .help("the escapes are `\\\"`, `\\\\`, `\\n`, `\\t` and `\\u{HEX}`; write `r\"...\"` for a string taken verbatim")
        })?;
        if value.len() > self.limits.max_string_len {
            return Err(Diagnostic::new(
                Code::InvalidLiteral,
                span,
                format!(
                    "string literal is {} bytes long, more than the limit of {}",
                    value.len(),
                    self.limits.max_string_len
                ),
            )
            .label("this string"));
        }
        Ok(StrLit { value, span })
    }

    fn const_decl(&self, pair: Pair<'_, Rule>) -> Result<ConstDecl> {
        let span = self.span(&pair);
        let mut name = None;
        let mut ty = None;
        let mut value = None;
        for p in kids(pair) {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::type_expr => ty = Some(self.type_expr(p)?),
                Rule::expr => value = Some(self.expr(p, 0)?),
                _ => {}
            }
        }
        match (name, value) {
            (Some(name), Some(value)) => Ok(ConstDecl {
                name,
                ty,
                value,
                span,
            }),
            _ => Err(internal(span, "incomplete constant")),
        }
    }

    fn lattice_decl(&self, pair: Pair<'_, Rule>) -> Result<LatticeDecl> {
        let span = self.span(&pair);
        let mut it = kids(pair);
        let name = self.ident(self.next(&mut it, span)?);
        let body = self.next(&mut it, span)?;
        let kind = match body.as_rule() {
            Rule::lattice_levels => LatticeKind::Levels(
                kids(body)
                    .filter(|p| p.as_rule() == Rule::ident)
                    .map(|p| self.ident(p))
                    .collect(),
            ),
            _ => {
                let mut base = None;
                let mut compartments = Vec::new();
                for p in kids(body) {
                    match p.as_rule() {
                        Rule::ident => base = Some(self.ident(p)),
                        Rule::ident_list => compartments = self.ident_list(p),
                        _ => {}
                    }
                }
                let base = base.ok_or_else(|| internal(span, "lattice without a base"))?;
                LatticeKind::Product { base, compartments }
            }
        };
        Ok(LatticeDecl { name, kind, span })
    }

    fn type_expr(&self, pair: Pair<'_, Rule>) -> Result<TypeExpr> {
        let span = self.span(&pair);
        let inner = kids(pair).find(|p| matches!(p.as_rule(), Rule::set_type | Rule::ident));
        let inner = inner.ok_or_else(|| internal(span, "empty type"))?;
        match inner.as_rule() {
            Rule::ident => Ok(TypeExpr::Named(self.ident(inner))),
            _ => {
                let elem = kids(inner).find(|p| p.as_rule() == Rule::type_expr);
                let elem = elem.ok_or_else(|| internal(span, "set type without element"))?;
                Ok(TypeExpr::Set(Box::new(self.type_expr(elem)?), span))
            }
        }
    }

    fn attr_decl(&self, pair: Pair<'_, Rule>) -> Result<AttrDecl> {
        let span = self.span(&pair);
        let mut name = None;
        let mut optional = false;
        let mut ty = None;
        for p in kids(pair) {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::optional_mark => optional = true,
                Rule::type_expr => ty = Some(self.type_expr(p)?),
                _ => {}
            }
        }
        match (name, ty) {
            (Some(name), Some(ty)) => Ok(AttrDecl {
                name,
                optional,
                ty,
                span,
            }),
            _ => Err(internal(span, "incomplete attribute")),
        }
    }

    fn fixture_decl(&self, pair: Pair<'_, Rule>) -> Result<FixtureDecl> {
        let span = self.span(&pair);
        let mut idents = Vec::new();
        let mut stmts = Vec::new();
        for p in kids(pair) {
            match p.as_rule() {
                Rule::ident => idents.push(self.ident(p)),
                _ => stmts.push(self.test_stmt(p)?),
            }
        }
        let mut idents = idents.into_iter();
        let name = idents
            .next()
            .ok_or_else(|| internal(span, "fixture without a name"))?;
        Ok(FixtureDecl {
            name,
            base: idents.next(),
            stmts,
            span,
        })
    }

    fn test_decl(&self, pair: Pair<'_, Rule>) -> Result<TestDecl> {
        let span = self.span(&pair);
        let mut name = None;
        let mut hook = None;
        let mut stmts = Vec::new();
        for p in kids(pair) {
            match p.as_rule() {
                Rule::string => name = Some(self.string(p)?),
                Rule::ident => hook = Some(self.ident(p)),
                _ => stmts.push(self.test_stmt(p)?),
            }
        }
        match (name, hook) {
            (Some(name), Some(hook)) => Ok(TestDecl {
                name,
                hook,
                stmts,
                span,
            }),
            _ => Err(internal(span, "incomplete test")),
        }
    }

    fn attr_path(&self, pair: Pair<'_, Rule>) -> Result<(Ident, Ident)> {
        let span = self.span(&pair);
        let mut it = pair.into_inner();
        let e = self.ident(self.next(&mut it, span)?);
        let a = self.ident(self.next(&mut it, span)?);
        Ok((e, a))
    }

    fn test_stmt(&self, pair: Pair<'_, Rule>) -> Result<TestStmt> {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::from_stmt => {
                let id = kids(pair)
                    .next()
                    .ok_or_else(|| internal(span, "from without a fixture"))?;
                Ok(TestStmt::From(self.ident(id)))
            }
            Rule::assign_stmt => {
                let mut it = kids(pair);
                let (entity, attr) = self.attr_path(self.next(&mut it, span)?)?;
                let value = self.expr(self.next(&mut it, span)?, 0)?;
                Ok(TestStmt::Set {
                    entity,
                    attr,
                    value,
                    span,
                })
            }
            Rule::unset_stmt => {
                let mut it = kids(pair);
                let (entity, attr) = self.attr_path(self.next(&mut it, span)?)?;
                Ok(TestStmt::Unset { entity, attr, span })
            }
            Rule::expect_stmt => {
                let inner = kids(pair)
                    .next()
                    .ok_or_else(|| internal(span, "empty expectation"))?;
                let e = match inner.as_rule() {
                    Rule::expect_fields => {
                        let mut record = false;
                        let mut fields = Vec::new();
                        for p in inner.into_inner() {
                            match p.as_rule() {
                                Rule::kw_record => record = true,
                                Rule::ident => fields.push(self.ident(p)),
                                _ => {}
                            }
                        }
                        Expectation::Fields { record, fields }
                    }
                    Rule::expect_cipher => {
                        let id = inner
                            .into_inner()
                            .find(|p| p.as_rule() == Rule::ident)
                            .ok_or_else(|| internal(span, "cipher without a name"))?;
                        Expectation::Cipher(self.ident(id))
                    }
                    _ => {
                        let mut outcome = None;
                        let mut by = None;
                        for p in inner.into_inner() {
                            match p.as_rule() {
                                Rule::ident => outcome = Some(self.ident(p)),
                                Rule::string => by = Some(self.string(p)?),
                                _ => {}
                            }
                        }
                        Expectation::Outcome {
                            outcome: outcome
                                .ok_or_else(|| internal(span, "expectation without an outcome"))?,
                            by,
                        }
                    }
                };
                Ok(TestStmt::Expect(e, span))
            }
            other => Err(internal(span, &format!("unexpected {other:?} in a test"))),
        }
    }

    fn template_decl(&self, pair: Pair<'_, Rule>) -> Result<TemplateDecl> {
        let span = self.span(&pair);
        let mut idents = Vec::new();
        let mut params = Vec::new();
        let mut rules = Vec::new();
        for p in kids(pair) {
            match p.as_rule() {
                Rule::ident => idents.push(self.ident(p)),
                Rule::params => {
                    for param in kids(p).filter(|q| q.as_rule() == Rule::param) {
                        let pspan = self.span(&param);
                        let mut it = kids(param);
                        let name = self.ident(self.next(&mut it, pspan)?);
                        let ty = self.type_expr(self.next(&mut it, pspan)?)?;
                        params.push(Param { name, ty });
                    }
                }
                _ => {
                    if let Some(r) = self.rule(p)? {
                        rules.push(r);
                    }
                }
            }
        }
        let mut idents = idents.into_iter();
        match (idents.next(), idents.next()) {
            (Some(name), Some(hook)) => Ok(TemplateDecl {
                name,
                params,
                hook,
                rules,
                span,
            }),
            _ => Err(internal(span, "incomplete template")),
        }
    }

    fn scope_block(&self, pair: Pair<'_, Rule>) -> Result<ScopeBlock> {
        let span = self.span(&pair);
        let block = pair.as_rule();
        let mut it = pair.into_inner();
        let head;
        let kind = if block == Rule::platform_block {
            let kw = self.next(&mut it, span)?;
            head = self.span(&kw);
            ScopeKind::Platform
        } else {
            let kw = self.next(&mut it, span)?;
            let s = self.string(self.next(&mut it, span)?)?;
            head = self.span(&kw).join(s.span);
            match block {
                Rule::domain_block => ScopeKind::Domain(s),
                Rule::class_block => ScopeKind::Class(s),
                Rule::tag_block => ScopeKind::Tag(s),
                _ => ScopeKind::User(s),
            }
        };
        let mut items = Vec::new();
        for p in it {
            match p.as_rule() {
                Rule::block_body => {
                    for q in kids(p) {
                        match q.as_rule() {
                            Rule::policy_decl => {
                                items.push(ScopeItem::Policy(self.policy_decl(q)?))
                            }
                            Rule::use_decl => items.push(ScopeItem::Use(self.use_decl(q)?)),
                            Rule::class_block | Rule::tag_block | Rule::user_block => {
                                items.push(ScopeItem::Scope(self.scope_block(q)?));
                            }
                            _ => {}
                        }
                    }
                }
                Rule::use_decl => items.push(ScopeItem::Use(self.use_decl(p)?)),
                _ => {}
            }
        }
        Ok(ScopeBlock {
            kind,
            head,
            items,
            span,
        })
    }

    fn policy_decl(&self, pair: Pair<'_, Rule>) -> Result<PolicyDecl> {
        let span = self.span(&pair);
        let mut name = None;
        let mut hook = None;
        let mut rules = Vec::new();
        for p in kids(pair) {
            match p.as_rule() {
                Rule::string => name = Some(self.string(p)?),
                Rule::ident => hook = Some(self.ident(p)),
                _ => {
                    if let Some(r) = self.rule(p)? {
                        rules.push(r);
                    }
                }
            }
        }
        match (name, hook) {
            (Some(name), Some(hook)) => Ok(PolicyDecl {
                name,
                hook,
                rules,
                span,
            }),
            _ => Err(internal(span, "incomplete policy")),
        }
    }

    fn use_decl(&self, pair: Pair<'_, Rule>) -> Result<UseDecl> {
        let span = self.span(&pair);
        let mut template = None;
        let mut args = Vec::new();
        let mut alias = None;
        for p in kids(pair) {
            match p.as_rule() {
                Rule::ident => template = Some(self.ident(p)),
                Rule::args => args = self.args(p)?,
                Rule::string => alias = Some(self.string(p)?),
                _ => {}
            }
        }
        let template = template.ok_or_else(|| internal(span, "use without a template"))?;
        Ok(UseDecl {
            template,
            args,
            alias,
            span,
        })
    }

    fn args(&self, pair: Pair<'_, Rule>) -> Result<Vec<Expr>> {
        // Each child is an expression, or a bare literal (grammar rule `item`).
        kids(pair).map(|p| self.expr(p, 1)).collect()
    }

    /// A rule inside a policy or template body; `None` for keyword pairs.
    fn rule(&self, pair: Pair<'_, Rule>) -> Result<Option<super::ast::Rule>> {
        let kind = match pair.as_rule() {
            Rule::permit_rule => RuleKind::Permit,
            Rule::forbid_rule => RuleKind::Forbid,
            Rule::use_rule => RuleKind::Use,
            Rule::default_rule => RuleKind::Default,
            Rule::record_rule => RuleKind::Record,
            Rule::redact_rule => RuleKind::Redact,
            _ => return Ok(None),
        };
        let span = self.span(&pair);
        let mut names = Vec::new();
        let mut when = None;
        for p in kids(pair) {
            match p.as_rule() {
                Rule::name_list => names = self.ident_list(p),
                Rule::ident => names.push(self.ident(p)),
                Rule::when_clause => {
                    if let Some(e) = kids(p).find(|q| q.as_rule() == Rule::expr) {
                        when = Some(self.expr(e, 0)?);
                    }
                }
                _ => {}
            }
        }
        Ok(Some(super::ast::Rule {
            kind,
            names,
            when,
            span,
        }))
    }

    fn too_deep(&self, span: Span) -> Diagnostic {
        Diagnostic::new(
            Code::NestingTooDeep,
            span,
            format!(
                "expression nests more than {} levels deep",
                self.limits.max_depth
            ),
        )
        .label("this expression")
        .help("split it into constants, or simplify it")
    }

    fn expr(&self, pair: Pair<'_, Rule>, depth: usize) -> Result<Expr> {
        let span = self.span(&pair);
        if depth > self.limits.max_depth {
            return Err(self.too_deep(span));
        }
        // Only constructs that nest (brackets, calls, sets, quantifiers) deepen; the
        // precedence levels an expression passes through do not.
        let d = depth + 1;
        match pair.as_rule() {
            Rule::expr => {
                let inner = kids(pair)
                    .next()
                    .ok_or_else(|| internal(span, "empty expression"))?;
                self.expr(inner, depth)
            }
            Rule::or_expr | Rule::and_expr => {
                let is_or = pair.as_rule() == Rule::or_expr;
                let operands = kids(pair)
                    .filter(|p| !matches!(p.as_rule(), Rule::kw_or | Rule::kw_and))
                    .map(|p| self.expr(p, depth))
                    .collect::<Result<Vec<_>>>()?;
                // A balanced tree keeps long generated chains shallow; evaluation order
                // (left to right) is unchanged because `and` and `or` are associative.
                balanced(operands, is_or).ok_or_else(|| internal(span, "empty operand list"))
            }
            Rule::not_expr => {
                let mut nots = Vec::new();
                let mut operand = None;
                for p in kids(pair) {
                    match p.as_rule() {
                        Rule::not_op => nots.push(self.span(&p)),
                        _ => operand = Some(p),
                    }
                }
                if nots.len() > self.limits.max_depth {
                    return Err(self.too_deep(span));
                }
                let operand = operand.ok_or_else(|| internal(span, "not without operand"))?;
                let mut e = self.expr(operand, depth)?;
                for ns in nots.into_iter().rev() {
                    let s = ns.join(e.span);
                    e = Expr {
                        kind: ExprKind::Not(Box::new(e)),
                        span: s,
                    };
                }
                Ok(e)
            }
            Rule::comparison => {
                let mut it = kids(pair);
                let lhs = self.expr(self.next(&mut it, span)?, depth)?;
                let Some(op) = it.next() else { return Ok(lhs) };
                let op = cmp_op(&op);
                let rhs = self.expr(self.next(&mut it, span)?, depth)?;
                Ok(Expr {
                    kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                    span,
                })
            }
            Rule::sum => {
                let mut it = kids(pair);
                let mut acc = self.expr(self.next(&mut it, span)?, depth)?;
                let mut links = 0usize;
                while let Some(op) = it.next() {
                    links += 1;
                    if depth + links > self.limits.max_depth {
                        return Err(self.too_deep(span));
                    }
                    let op = if op.as_str() == "+" {
                        BinOp::Add
                    } else {
                        BinOp::Sub
                    };
                    let rhs = self.expr(self.next(&mut it, span)?, depth)?;
                    let s = acc.span.join(rhs.span);
                    acc = Expr {
                        kind: ExprKind::Binary(op, Box::new(acc), Box::new(rhs)),
                        span: s,
                    };
                }
                Ok(acc)
            }
            Rule::postfix => {
                let mut it = kids(pair);
                let mut acc = self.expr(self.next(&mut it, span)?, depth)?;
                for (i, field) in it.enumerate() {
                    if depth + i > self.limits.max_depth {
                        return Err(self.too_deep(span));
                    }
                    let f = self.ident(field);
                    let s = acc.span.join(f.span);
                    acc = Expr {
                        kind: ExprKind::Field(Box::new(acc), f),
                        span: s,
                    };
                }
                Ok(acc)
            }
            Rule::quantifier => {
                let mut it = kids(pair);
                let kind = self.next(&mut it, span)?;
                let q = if kind.as_str() == "any" {
                    Quantifier::Any
                } else {
                    Quantifier::All
                };
                let var = self.ident(self.next(&mut it, span)?);
                let set = self.expr(self.next(&mut it, span)?, d)?;
                let body = self.expr(self.next(&mut it, span)?, d)?;
                Ok(Expr {
                    kind: ExprKind::Quant(q, var, Box::new(set), Box::new(body)),
                    span,
                })
            }
            Rule::paren => {
                let inner = kids(pair)
                    .next()
                    .ok_or_else(|| internal(span, "empty parentheses"))?;
                let e = self.expr(inner, d)?;
                Ok(Expr {
                    kind: ExprKind::Paren(Box::new(e)),
                    span,
                })
            }
            Rule::call => {
                let mut it = kids(pair);
                let name = self.ident(self.next(&mut it, span)?);
                let args = match it.next() {
                    // Expressions, or bare literals (grammar rule `item`).
                    Some(a) => kids(a).map(|p| self.expr(p, d)).collect::<Result<_>>()?,
                    None => Vec::new(),
                };
                Ok(Expr {
                    kind: ExprKind::Call(name, args),
                    span,
                })
            }
            Rule::set_lit => {
                let elems: Vec<Pair<'_, Rule>> = kids(pair).collect();
                if elems.len() > self.limits.max_set_len {
                    return Err(Diagnostic::new(
                        Code::InvalidLiteral,
                        span,
                        format!(
                            "set literal has {} elements, more than the limit of {}",
                            elems.len(),
                            self.limits.max_set_len
                        ),
                    )
                    .label("this set"));
                }
                let elems = elems
                    .into_iter()
                    .map(|p| self.expr(p, d))
                    .collect::<Result<Vec<_>>>()?;
                Ok(Expr {
                    kind: ExprKind::Set(elems),
                    span,
                })
            }
            Rule::qualified => {
                let mut it = kids(pair);
                let a = self.ident(self.next(&mut it, span)?);
                let b = self.ident(self.next(&mut it, span)?);
                Ok(Expr {
                    kind: ExprKind::Qualified(a, b),
                    span,
                })
            }
            Rule::ident => Ok(Expr {
                kind: ExprKind::Name(self.ident(pair)),
                span,
            }),
            Rule::string => Ok(Expr {
                kind: ExprKind::Lit(Literal::Str(self.string(pair)?.value)),
                span,
            }),
            Rule::boolean => Ok(Expr {
                kind: ExprKind::Lit(Literal::Bool(pair.as_str() == "true")),
                span,
            }),
            Rule::int => {
                let v = pair.as_str().parse::<i64>().map_err(|_| {
                    Diagnostic::new(
                        Code::InvalidLiteral,
                        span,
                        format!("integer `{}` is out of range", pair.as_str()),
                    )
                    .label("does not fit in 64 bits")
                    .help("integers range from -9223372036854775808 to 9223372036854775807")
                })?;
                Ok(Expr {
                    kind: ExprKind::Lit(Literal::Int(v)),
                    span,
                })
            }
            Rule::duration => {
                let secs = parse_duration(pair.as_str()).ok_or_else(|| {
                    Diagnostic::new(
                        Code::InvalidLiteral,
                        span,
                        format!("duration `{}` is out of range", pair.as_str()),
                    )
                    .label("too long")
                })?;
                Ok(Expr {
                    kind: ExprKind::Lit(Literal::Duration(secs)),
                    span,
                })
            }
            Rule::timestamp => {
                let t = parse_timestamp(pair.as_str()).ok_or_else(|| {
                    Diagnostic::new(
                        Code::InvalidLiteral,
                        span,
                        format!("`{}` is not a valid timestamp", pair.as_str()),
                    )
                    .label("no such date or time")
                    .help("write timestamps as `YYYY-MM-DDTHH:MM:SSZ`, in UTC")
                })?;
                Ok(Expr {
                    kind: ExprKind::Lit(Literal::Timestamp(t)),
                    span,
                })
            }
            Rule::time_lit => {
                let t = parse_time(pair.as_str()).ok_or_else(|| {
                    Diagnostic::new(
                        Code::InvalidLiteral,
                        span,
                        format!("`{}` is not a valid time of day", pair.as_str()),
                    )
                    .label("hours run from 00 to 23, minutes and seconds from 00 to 59")
                })?;
                Ok(Expr {
                    kind: ExprKind::Lit(Literal::Time(t)),
                    span,
                })
            }
            Rule::ip => {
                let ip = pair.as_str().parse::<std::net::IpAddr>().map_err(|_| {
                    Diagnostic::new(
                        Code::InvalidLiteral,
                        span,
                        format!("`{}` is not a valid IP address", pair.as_str()),
                    )
                    .label("not an IPv4 or IPv6 address")
                })?;
                Ok(Expr {
                    kind: ExprKind::Lit(Literal::Ip(ip)),
                    span,
                })
            }
            Rule::cidr => Ok(Expr {
                kind: ExprKind::Lit(Literal::Cidr(parse_cidr(pair.as_str(), span)?)),
                span,
            }),
            other => Err(internal(
                span,
                &format!("unexpected {other:?} in an expression"),
            )),
        }
    }
}

fn balanced(mut items: Vec<Expr>, is_or: bool) -> Option<Expr> {
    if items.len() <= 1 {
        return items.pop();
    }
    let right = items.split_off(items.len() / 2);
    let (l, r) = (balanced(items, is_or)?, balanced(right, is_or)?);
    let span = l.span.join(r.span);
    let kind = if is_or {
        ExprKind::Or(Box::new(l), Box::new(r))
    } else {
        ExprKind::And(Box::new(l), Box::new(r))
    };
    Some(Expr { kind, span })
}

fn cmp_op(pair: &Pair<'_, Rule>) -> BinOp {
    let inner = pair.clone().into_inner().next().map(|p| p.as_rule());
    match (pair.as_str(), inner) {
        (_, Some(Rule::has_any)) => BinOp::HasAny,
        (_, Some(Rule::has_all)) => BinOp::HasAll,
        ("==", _) => BinOp::Eq,
        ("!=", _) => BinOp::Ne,
        ("<=", _) => BinOp::Le,
        (">=", _) => BinOp::Ge,
        ("<", _) => BinOp::Lt,
        (">", _) => BinOp::Gt,
        ("in", _) => BinOp::In,
        ("has", _) => BinOp::Has,
        ("like", _) => BinOp::Like,
        ("matches", _) => BinOp::Matches,
        _ => BinOp::Under,
    }
}

/// Parse a CIDR literal, rejecting host bits (`10.0.0.1/8` is almost always a typo).
pub fn parse_cidr(text: &str, span: Span) -> Result<ipnetwork::IpNetwork> {
    let bad = |why: &str| {
        Diagnostic::new(
            Code::InvalidLiteral,
            span,
            format!("`{text}` is not a valid network: {why}"),
        )
        .label("invalid network")
        .help("write networks as `ADDRESS/PREFIX`, e.g. `10.0.0.0/8` or `2001:db8::/32`")
    };
    let (addr, prefix) = text
        .split_once('/')
        .ok_or_else(|| bad("missing `/PREFIX`"))?;
    let addr: std::net::IpAddr = addr.parse().map_err(|_| bad("the address is not valid"))?;
    let prefix: u8 = prefix
        .parse()
        .map_err(|_| bad("the prefix is not a number"))?;
    let net = ipnetwork::IpNetwork::new(addr, prefix)
        .map_err(|_| bad("the prefix is too long for the address"))?;
    if net.network() != addr {
        return Err(Diagnostic::new(
            Code::CidrHostBits,
            span,
            format!("network `{text}` has host bits set"),
        )
        .label("bits after the prefix are not zero")
        .help(format!("did you mean `{}/{}`?", net.network(), prefix)));
    }
    Ok(net)
}

fn unescape(raw: &str) -> std::result::Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('*') => out.push_str("\\*"), // kept for `like` patterns
            Some('?') => out.push_str("\\?"),
            Some('u') => {
                if chars.next() != Some('{') {
                    return Err("`\\u` must be followed by `{HEX}`".into());
                }
                let hex: String = chars.by_ref().take_while(|c| *c != '}').collect();
                let code = u32::from_str_radix(&hex, 16)
                    .map_err(|_| format!("`{hex}` is not a hexadecimal number"))?;
                out.push(
                    char::from_u32(code)
                        .ok_or_else(|| format!("`{hex}` is not a Unicode scalar value"))?,
                );
            }
            Some(other) => return Err(format!("unknown escape `\\{other}`")),
            None => return Err("the string ends with a lone backslash".into()),
        }
    }
    Ok(out)
}

fn parse_duration(s: &str) -> Option<i64> {
    let mut total: i64 = 0;
    let mut num: i64 = 0;
    for c in s.chars() {
        if let Some(d) = c.to_digit(10) {
            num = num.checked_mul(10)?.checked_add(i64::from(d))?;
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return None,
        };
        total = total.checked_add(num.checked_mul(unit)?)?;
        num = 0;
    }
    Some(total)
}

fn two(s: &str, at: usize) -> Option<u32> {
    s.get(at..at + 2)?.parse().ok()
}

fn parse_time(s: &str) -> Option<u32> {
    let h = two(s, 0)?;
    let m = two(s, 3)?;
    let sec = if s.len() > 5 { two(s, 6)? } else { 0 };
    (h < 24 && m < 60 && sec < 60).then_some(h * 3600 + m * 60 + sec)
}

/// A duration written as in policies (`90s`, `1h30m`), in seconds.
pub fn parse_duration_text(s: &str) -> Option<i64> {
    let ok = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b's' | b'm' | b'h' | b'd'))
        && s.bytes().next().is_some_and(|b| b.is_ascii_digit())
        && s.bytes().last().is_some_and(|b| !b.is_ascii_digit());
    if ok { parse_duration(s) } else { None }
}

/// A time of day written as in policies (`09:30`, `17:30:00`), in seconds since midnight.
pub fn parse_time_text(s: &str) -> Option<u32> {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    let shape = match s.len() {
        5 => digits(0..2) && b.get(2) == Some(&b':') && digits(3..5),
        8 => {
            digits(0..2)
                && b.get(2) == Some(&b':')
                && digits(3..5)
                && b.get(5) == Some(&b':')
                && digits(6..8)
        }
        _ => false,
    };
    if shape { parse_time(s) } else { None }
}

/// `YYYY-MM-DDTHH:MM:SSZ` to seconds since the epoch.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let shape_ok = s.len() == 20
        && s.ends_with('Z')
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        });
    if !shape_ok {
        return None;
    }
    let y: i64 = s.get(0..4)?.parse().ok()?;
    let mo = two(s, 5)?;
    let d = two(s, 8)?;
    let h = two(s, 11)?;
    let mi = two(s, 14)?;
    let se = two(s, 17)?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if d == 0 || d > days_in_month || h > 23 || mi > 59 || se > 59 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    Some(days * 86_400 + i64::from(h * 3600 + mi * 60 + se))
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Seconds since the epoch to `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_timestamp(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip() {
        for s in [
            "1970-01-01T00:00:00Z",
            "2000-02-29T12:34:56Z",
            "2026-11-25T23:59:59Z",
            "1969-12-31T23:59:59Z",
        ] {
            let t = parse_timestamp(s).unwrap();
            assert_eq!(format_timestamp(t), s);
        }
        assert_eq!(parse_timestamp("1970-01-02T00:00:00Z"), Some(86_400));
        assert_eq!(parse_timestamp("2026-02-29T00:00:00Z"), None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h30m"), Some(5400));
        assert_eq!(parse_duration("7d"), Some(604_800));
        assert_eq!(parse_duration("99999999999999999999d"), None);
    }
}
