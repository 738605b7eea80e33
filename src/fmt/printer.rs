//! The canonical layout (docs/FORMAT.md).
//!
//! The printer walks the syntax tree and, for every token the tree implies, consumes the
//! next token of the lexer's stream, checking that it is the expected one. Names and
//! literals are reprinted from the source text (so `10.0.0.0/8`, `r"x"` and `1h30m` come
//! out as written); keywords and punctuation are the tokens themselves. Each token brings
//! the comments before it, and the separator the layout wants before the token (nothing, a
//! space, or a line break) decides where they go.

use super::lexer::{Comment, Kind, Token};
use crate::source::Span;
use crate::syntax::ast::*;

/// Longest line the layout aims at, in characters.
pub const MAX_WIDTH: usize = 100;
/// Indentation per block level.
const INDENT: usize = 2;
/// Extra indentation of continuation lines.
const CONT: usize = 4;

/// Printing stopped because the tokens and the tree disagree: a bug, never the user's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrintError {
    /// Byte offset in the source where it happened.
    pub at: usize,
    /// What went wrong, e.g. the token expected and the one found.
    pub what: String,
}

type Res = Result<(), PrintError>;

/// What the layout wants between the previous token and the next one.
#[derive(Clone, Copy, Debug)]
enum Sep {
    /// Glued: `f(`, `a.b`, `x;`.
    None,
    /// One space.
    Space,
    /// A line break.
    Line(Line),
}

#[derive(Clone, Copy, Debug)]
struct Line {
    /// Indentation of the token.
    indent: usize,
    /// Indentation of comments on their own line before the token.
    comment_indent: usize,
    /// An author's blank line may be kept at the first line break of the gap.
    blank_first: bool,
    /// An author's blank line may be kept right before the token.
    blank_token: bool,
    /// The token always starts its line, even after a `/* */` comment.
    own_line: bool,
}

impl Line {
    /// Before an item or a rule in a block (or the file).
    fn item(indent: usize, first: bool) -> Line {
        Line {
            indent,
            comment_indent: indent,
            blank_first: !first,
            blank_token: true,
            own_line: false,
        }
    }

    /// Before the `}` closing a block whose contents are indented `inner`.
    fn close(outer: usize, inner: usize, empty: bool) -> Line {
        Line {
            indent: outer,
            comment_indent: inner,
            blank_first: !empty,
            blank_token: false,
            own_line: true,
        }
    }

    /// A continuation line, or an element of a set laid out one per line.
    fn cont(indent: usize) -> Line {
        Line {
            indent,
            comment_indent: indent,
            blank_first: false,
            blank_token: false,
            own_line: false,
        }
    }
}

/// Where the printer is within a gap between two tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum At {
    /// On the line of the previous token.
    Trailing,
    /// Right after a comment on the same line.
    Inline,
    /// The next thing must start a new line (or already does).
    Break,
}

/// Enough of the printer's state to undo a measurement.
struct Snapshot<'a> {
    pos: usize,
    len: usize,
    pending: Option<usize>,
    line_indent: usize,
    cont: usize,
    carry: &'a [Comment],
}

/// Lay out a parsed file. `toks` must be the lexer's tokens of `src`, `file` its tree.
pub fn print(src: &str, toks: &[Token], file: &PolicyFile) -> Result<String, PrintError> {
    let mut p = Printer {
        src,
        toks,
        pos: 0,
        out: String::new(),
        pending: None,
        line_indent: 0,
        cont: CONT,
        measure: false,
        carry: &[],
    };
    p.file(file)?;
    Ok(p.out)
}

struct Printer<'a> {
    src: &'a str,
    toks: &'a [Token],
    /// The next token to consume.
    pos: usize,
    out: String,
    /// At the start of a line: the indentation owed before the next text.
    pending: Option<usize>,
    /// Indentation of the current line.
    line_indent: usize,
    /// Indentation for a line break forced by a comment inside a statement.
    cont: usize,
    /// Measuring a rule's width on one line: no comments, no line breaks.
    measure: bool,
    /// Comments of a consumed comma, to emit before the next token's own.
    carry: &'a [Comment],
}

impl<'a> Printer<'a> {
    // ------------------------------------------------------------ output

    fn text(&mut self, s: &str) {
        if let Some(n) = self.pending.take() {
            self.out.extend(std::iter::repeat_n(' ', n));
            self.line_indent = n;
        }
        self.out.push_str(s);
    }

    fn space(&mut self) {
        if self.pending.is_none() && !self.out.is_empty() {
            self.out.push(' ');
        }
    }

    fn newline(&mut self, indent: usize, blank: bool) {
        let trimmed = self.out.trim_end_matches([' ', '\t']).len();
        self.out.truncate(trimmed);
        if !self.out.is_empty() {
            if self.pending.is_none() {
                self.out.push('\n');
            }
            if blank && !self.out.ends_with("\n\n") {
                self.out.push('\n');
            }
        }
        self.pending = Some(indent);
    }

    /// Width in characters of the current line so far.
    fn column(&self) -> usize {
        let line = self.out.rsplit('\n').next().unwrap_or("");
        line.chars().count() + self.pending.unwrap_or(0)
    }

    // ------------------------------------------------------------ tokens

    fn token(&self) -> Result<&'a Token, PrintError> {
        let toks = self.toks;
        toks.get(self.pos).ok_or_else(|| PrintError {
            at: self.src.len(),
            what: "ran out of tokens".into(),
        })
    }

    fn token_text(&self, t: &Token) -> &'a str {
        let src = self.src;
        src.get(t.start..t.end).unwrap_or("")
    }

    fn peek_is(&self, text: &str) -> bool {
        self.token()
            .is_ok_and(|t| t.kind != Kind::Eof && self.token_text(t) == text)
    }

    fn mismatch(&self, expected: &str) -> PrintError {
        match self.token() {
            Ok(t) if t.kind == Kind::Eof => PrintError {
                at: t.start,
                what: format!("expected `{expected}`, found the end of the file"),
            },
            Ok(t) => PrintError {
                at: t.start,
                what: format!("expected `{expected}`, found `{}`", self.token_text(t)),
            },
            Err(e) => e,
        }
    }

    /// Consume the next token, which must be `text`, and print it after `sep`. An operator
    /// of several characters (`>=`) is made of adjacent one-character tokens.
    fn expect(&mut self, text: &str, sep: Sep) -> Res {
        let first = self.token()?;
        let first_text = self.token_text(first);
        if first.kind == Kind::Eof || first_text.is_empty() || !text.starts_with(first_text) {
            return Err(self.mismatch(text));
        }
        self.gap(sep)?;
        self.text(text);
        self.pos += 1;
        let (mut done, mut end) = (first_text.len(), first.end);
        while let Some(rest) = text.get(done..).filter(|r| !r.is_empty()) {
            let t = self.token()?;
            let t_text = self.token_text(t);
            if t.kind == Kind::Eof
                || t.start != end
                || !t.comments.is_empty()
                || t_text.is_empty()
                || !rest.starts_with(t_text)
            {
                return Err(self.mismatch(text));
            }
            done += t_text.len();
            end = t.end;
            self.pos += 1;
        }
        Ok(())
    }

    fn ident(&mut self, id: &Ident, sep: Sep) -> Res {
        let t = self.token()?;
        if t.start != id.span.start as usize || self.token_text(t) != id.name {
            return Err(self.mismatch(&id.name));
        }
        self.gap(sep)?;
        self.text(&id.name);
        self.pos += 1;
        Ok(())
    }

    /// A literal (or `type::value`), reprinted exactly as written: every token in `span`.
    fn atom(&mut self, span: Span, sep: Sep) -> Res {
        let (start, end) = (span.start as usize, span.end as usize);
        let written = self.src.get(start..end).ok_or_else(|| PrintError {
            at: start,
            what: "literal outside the text".into(),
        })?;
        let first = self.token()?;
        if first.start != start || first.kind == Kind::Eof {
            return Err(self.mismatch(written));
        }
        self.gap(sep)?;
        self.text(written);
        let mut last = first.end;
        self.pos += 1;
        while let Ok(t) = self.token() {
            if t.kind == Kind::Eof || t.start >= end {
                break;
            }
            if !t.comments.is_empty() || t.nl_before || t.end > end {
                return Err(PrintError {
                    at: t.start,
                    what: format!("literal `{written}` does not end where its tokens do"),
                });
            }
            last = t.end;
            self.pos += 1;
        }
        if last != end {
            return Err(PrintError {
                at: last,
                what: format!("literal `{written}` does not end where its tokens do"),
            });
        }
        Ok(())
    }

    /// Drop a trailing comma, keeping its comments for the next token.
    fn drop_trailing_comma(&mut self) -> Res {
        if self.peek_is(",") {
            let t = self.token()?;
            self.carry_comments(t)?;
            self.pos += 1;
        }
        Ok(())
    }

    /// Keep a consumed comma's comments for the next gap, which emits and clears them.
    fn carry_comments(&mut self, t: &'a Token) -> Res {
        if t.comments.is_empty() {
            return Ok(());
        }
        if !self.carry.is_empty() {
            return Err(PrintError {
                at: t.start,
                what: "two commas in a row".into(),
            });
        }
        self.carry = &t.comments;
        Ok(())
    }

    /// Index of the token closing the bracket at `open`.
    fn matching(&self, open: usize) -> Result<usize, PrintError> {
        let mut depth = 0usize;
        for (i, t) in self.toks.iter().enumerate().skip(open) {
            match self.token_text(t) {
                "(" | "{" if t.kind == Kind::Punct => depth += 1,
                ")" | "}" if t.kind == Kind::Punct => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Ok(i);
                    }
                }
                _ => {}
            }
        }
        Err(PrintError {
            at: self.src.len(),
            what: "unclosed bracket".into(),
        })
    }

    // ------------------------------------------------------------ gaps

    /// Print the comments before the next token and the separator the layout wants.
    fn gap(&mut self, sep: Sep) -> Res {
        let tok = self.token()?;
        let carry = std::mem::take(&mut self.carry);
        let comments: Vec<&'a Comment> = carry.iter().chain(tok.comments.iter()).collect();
        if self.measure {
            // Code only: comments never change where the code breaks.
            if !matches!(sep, Sep::None) {
                self.out.push(' ');
            }
            return Ok(());
        }
        match sep {
            Sep::Line(line) => self.line_gap(&comments, tok, line),
            Sep::Space | Sep::None => self.inline_gap(&comments, tok, matches!(sep, Sep::Space)),
        }
        Ok(())
    }

    /// A gap where the layout breaks the line.
    fn line_gap(&mut self, comments: &[&Comment], tok: &Token, line: Line) {
        let mut at = if self.out.is_empty() {
            At::Break
        } else {
            At::Trailing
        };
        let mut first = true;
        for c in comments {
            let new_line = match at {
                At::Trailing | At::Inline if !c.nl_before => {
                    self.space();
                    false
                }
                _ => {
                    self.newline(
                        line.comment_indent,
                        c.blank_before && (!first || line.blank_first),
                    );
                    first = false;
                    true
                }
            };
            self.text(&c.text);
            at = if c.line || c.nl_after {
                At::Break
            } else if new_line || at == At::Inline {
                At::Inline
            } else {
                At::Trailing
            };
        }
        if at == At::Inline && !line.own_line {
            self.space();
        } else {
            let blank = tok.blank_before && line.blank_token && (!first || line.blank_first);
            self.newline(line.indent, blank);
        }
    }

    /// A gap inside a line: comments stay inline unless they need a line of their own.
    fn inline_gap(&mut self, comments: &[&Comment], tok: &Token, space: bool) {
        let mut at = At::Trailing;
        for (i, c) in comments.iter().enumerate() {
            if c.nl_before && at != At::Break {
                let cont = self.cont;
                self.newline(cont, false);
                at = At::Break;
            }
            if at != At::Break {
                let after_opener = i == 0 && !space && self.out.ends_with(['(', '{', '<']);
                if !after_opener {
                    self.space();
                }
            }
            self.text(&c.text);
            if c.line || c.nl_after {
                let cont = self.cont;
                self.newline(cont, false);
                at = At::Break;
            } else {
                at = At::Inline;
            }
        }
        let closer = matches!(
            self.token_text(tok),
            ")" | "}" | ">" | "," | ";" | "." | ":"
        );
        match at {
            At::Break => {}
            At::Inline if space || !closer => self.space(),
            At::Inline => {}
            At::Trailing if space => self.space(),
            At::Trailing => {}
        }
    }

    // ------------------------------------------------------------ items

    fn file(&mut self, f: &PolicyFile) -> Res {
        for (i, item) in f.items.iter().enumerate() {
            let sep = Sep::Line(Line::item(0, i == 0));
            match item {
                Item::Const(c) => self.const_decl(c, sep)?,
                Item::Lattice(l) => self.lattice_decl(l, sep)?,
                Item::Template(t) => self.template_decl(t, sep)?,
                Item::Scope(s) => self.scope(s, sep)?,
                Item::Fixture(f) => self.fixture_decl(f, sep)?,
                Item::Test(t) => self.test_decl(t, sep)?,
            }
        }
        let eof = self.token()?;
        if eof.kind != Kind::Eof {
            return Err(PrintError {
                at: eof.start,
                what: format!("unexpected `{}` after the last item", self.token_text(eof)),
            });
        }
        self.gap(Sep::Line(Line::close(0, 0, f.items.is_empty())))?;
        let trimmed = self.out.trim_end().len();
        self.out.truncate(trimmed);
        if !self.out.is_empty() {
            self.out.push('\n');
        }
        Ok(())
    }

    /// After a statement's first token: where its forced line breaks continue.
    fn statement(&mut self) -> usize {
        let indent = self.line_indent;
        self.cont = indent + CONT;
        indent
    }

    fn const_decl(&mut self, c: &ConstDecl, sep: Sep) -> Res {
        self.expect("const", sep)?;
        self.statement();
        self.ident(&c.name, Sep::Space)?;
        if let Some(ty) = &c.ty {
            self.expect(":", Sep::None)?;
            self.type_expr(ty, Sep::Space)?;
        }
        self.expect("=", Sep::Space)?;
        self.expr(&c.value, Sep::Space)?;
        self.expect(";", Sep::None)
    }

    fn lattice_decl(&mut self, l: &LatticeDecl, sep: Sep) -> Res {
        self.expect("lattice", sep)?;
        self.statement();
        self.ident(&l.name, Sep::Space)?;
        match &l.kind {
            LatticeKind::Levels(levels) => {
                self.expect("{", Sep::Space)?;
                for (i, level) in levels.iter().enumerate() {
                    if i > 0 {
                        self.expect("<", Sep::Space)?;
                    }
                    self.ident(level, Sep::Space)?;
                }
                self.expect("}", Sep::Space)
            }
            LatticeKind::Product { base, compartments } => {
                self.expect("=", Sep::Space)?;
                self.ident(base, Sep::Space)?;
                self.expect("with", Sep::Space)?;
                self.expect("{", Sep::Space)?;
                for (i, c) in compartments.iter().enumerate() {
                    if i > 0 {
                        self.expect(",", Sep::None)?;
                    }
                    self.ident(c, if i == 0 { Sep::None } else { Sep::Space })?;
                }
                self.drop_trailing_comma()?;
                self.expect("}", Sep::None)?;
                self.expect(";", Sep::None)
            }
        }
    }

    fn template_decl(&mut self, t: &TemplateDecl, sep: Sep) -> Res {
        self.expect("template", sep)?;
        let outer = self.statement();
        self.ident(&t.name, Sep::Space)?;
        self.expect("(", Sep::None)?;
        for (i, p) in t.params.iter().enumerate() {
            if i > 0 {
                self.expect(",", Sep::None)?;
            }
            self.ident(&p.name, if i == 0 { Sep::None } else { Sep::Space })?;
            self.expect(":", Sep::None)?;
            self.type_expr(&p.ty, Sep::Space)?;
        }
        self.drop_trailing_comma()?;
        self.expect(")", Sep::None)?;
        self.expect("on", Sep::Space)?;
        self.ident(&t.hook, Sep::Space)?;
        self.expect("{", Sep::Space)?;
        self.rules(&t.rules, outer)
    }

    fn fixture_decl(&mut self, f: &FixtureDecl, sep: Sep) -> Res {
        self.expect("fixture", sep)?;
        let outer = self.statement();
        self.ident(&f.name, Sep::Space)?;
        if let Some(b) = &f.base {
            self.expect("from", Sep::Space)?;
            self.ident(b, Sep::Space)?;
        }
        self.expect("{", Sep::Space)?;
        self.test_stmts(&f.stmts, outer)
    }

    fn test_decl(&mut self, t: &TestDecl, sep: Sep) -> Res {
        self.expect("test", sep)?;
        let outer = self.statement();
        self.atom(t.name.span, Sep::Space)?;
        self.expect("on", Sep::Space)?;
        self.ident(&t.hook, Sep::Space)?;
        self.expect("{", Sep::Space)?;
        self.test_stmts(&t.stmts, outer)
    }

    /// The statements of a fixture or test, one per line, and the closing `}`.
    fn test_stmts(&mut self, stmts: &[TestStmt], outer: usize) -> Res {
        for (i, st) in stmts.iter().enumerate() {
            let sep = Sep::Line(Line::item(outer + INDENT, i == 0));
            match st {
                TestStmt::From(f) => {
                    self.expect("from", sep)?;
                    self.statement();
                    self.ident(f, Sep::Space)?;
                }
                TestStmt::Set {
                    entity,
                    attr,
                    value,
                    ..
                } => {
                    self.ident(entity, sep)?;
                    self.statement();
                    self.expect(".", Sep::None)?;
                    self.ident(attr, Sep::None)?;
                    self.expect("=", Sep::Space)?;
                    self.expr(value, Sep::Space)?;
                }
                TestStmt::Unset { entity, attr, .. } => {
                    self.expect("unset", sep)?;
                    self.statement();
                    self.ident(entity, Sep::Space)?;
                    self.expect(".", Sep::None)?;
                    self.ident(attr, Sep::None)?;
                }
                TestStmt::Expect(e, _) => {
                    self.expect("expect", sep)?;
                    self.statement();
                    match e {
                        Expectation::Outcome { outcome, by } => {
                            self.ident(outcome, Sep::Space)?;
                            if let Some(b) = by {
                                self.expect("by", Sep::Space)?;
                                self.atom(b.span, Sep::Space)?;
                            }
                        }
                        Expectation::Cipher(c) => {
                            self.expect("cipher", Sep::Space)?;
                            self.ident(c, Sep::Space)?;
                        }
                        Expectation::Fields { record, fields } => {
                            self.expect(if *record { "record" } else { "redact" }, Sep::Space)?;
                            self.expect("{", Sep::Space)?;
                            for (i, f) in fields.iter().enumerate() {
                                if i > 0 {
                                    self.expect(",", Sep::None)?;
                                }
                                self.ident(f, if i == 0 { Sep::None } else { Sep::Space })?;
                            }
                            self.drop_trailing_comma()?;
                            self.expect("}", Sep::None)?;
                        }
                    }
                }
            }
            self.expect(";", Sep::None)?;
        }
        self.close_block(outer, stmts.is_empty())
    }

    fn type_expr(&mut self, t: &TypeExpr, sep: Sep) -> Res {
        match t {
            TypeExpr::Named(id) => self.ident(id, sep),
            TypeExpr::Set(inner, _) => {
                self.expect("set", sep)?;
                self.expect("<", Sep::None)?;
                self.type_expr(inner, Sep::None)?;
                self.expect(">", Sep::None)
            }
        }
    }

    fn scope(&mut self, s: &ScopeBlock, sep: Sep) -> Res {
        let (keyword, name) = match &s.kind {
            ScopeKind::Platform => ("platform", None),
            ScopeKind::Domain(n) => ("domain", Some(n)),
            ScopeKind::Class(n) => ("class", Some(n)),
            ScopeKind::Tag(n) => ("tag", Some(n)),
            ScopeKind::User(n) => ("user", Some(n)),
        };
        self.expect(keyword, sep)?;
        let outer = self.statement();
        if let Some(n) = name {
            self.atom(n.span, Sep::Space)?;
        }
        if self.peek_is("use") {
            // `domain "d" use t(args);`
            return match s.items.as_slice() {
                [ScopeItem::Use(u)] => self.use_decl(u, Sep::Space),
                _ => Err(self.mismatch("{")),
            };
        }
        self.expect("{", Sep::Space)?;
        let inner = outer + INDENT;
        for (i, item) in s.items.iter().enumerate() {
            let sep = Sep::Line(Line::item(inner, i == 0));
            match item {
                ScopeItem::Policy(p) => self.policy_decl(p, sep)?,
                ScopeItem::Use(u) => {
                    self.use_decl(u, sep)?;
                }
                ScopeItem::Scope(b) => self.scope(b, sep)?,
            }
        }
        self.close_block(outer, s.items.is_empty())
    }

    fn close_block(&mut self, outer: usize, empty: bool) -> Res {
        if empty && self.token()?.comments.is_empty() {
            return self.expect("}", Sep::None);
        }
        self.expect("}", Sep::Line(Line::close(outer, outer + INDENT, empty)))
    }

    fn policy_decl(&mut self, p: &PolicyDecl, sep: Sep) -> Res {
        self.expect("policy", sep)?;
        let outer = self.statement();
        self.atom(p.name.span, Sep::Space)?;
        self.expect("on", Sep::Space)?;
        self.ident(&p.hook, Sep::Space)?;
        self.expect("{", Sep::Space)?;
        self.rules(&p.rules, outer)
    }

    fn use_decl(&mut self, u: &UseDecl, sep: Sep) -> Res {
        let statement = matches!(sep, Sep::Line(_));
        self.expect("use", sep)?;
        if statement {
            self.statement();
        }
        self.ident(&u.template, Sep::Space)?;
        self.expect("(", Sep::None)?;
        self.list(&u.args, ")")?;
        if let Some(alias) = &u.alias {
            self.expect("as", Sep::Space)?;
            self.atom(alias.span, Sep::Space)?;
        }
        self.expect(";", Sep::None)
    }

    // ------------------------------------------------------------ rules

    /// The rules of a policy or template after its `{`, and the closing `}`.
    fn rules(&mut self, rules: &[Rule], outer: usize) -> Res {
        for (i, r) in rules.iter().enumerate() {
            self.rule(r, Line::item(outer + INDENT, i == 0))?;
        }
        self.close_block(outer, rules.is_empty())
    }

    fn rule(&mut self, r: &Rule, line: Line) -> Res {
        self.expect(r.kind.keyword(), Sep::Line(line))?;
        let indent = self.statement();
        let chain = r.when.as_ref().and_then(top_chain);
        let mut break_at = None;
        if let Some(op) = chain {
            // Measure the rule on one line, then undo and print it for real.
            let snap = self.snapshot();
            self.measure = true;
            let measured = self.rule_rest(r, None, indent);
            self.measure = false;
            let width = self.column();
            self.restore(snap);
            measured?;
            if width > MAX_WIDTH {
                break_at = Some(op);
            }
        }
        self.rule_rest(r, break_at, indent)
    }

    fn rule_rest(&mut self, r: &Rule, break_at: Option<&str>, indent: usize) -> Res {
        for (i, name) in r.names.iter().enumerate() {
            if i > 0 {
                self.expect(",", Sep::None)?;
            }
            self.ident(name, Sep::Space)?;
        }
        if let Some(cond) = &r.when {
            self.expect("when", Sep::Space)?;
            match break_at {
                Some(op) => self.chain(cond, op, Sep::Space, indent + CONT)?,
                None => self.expr(cond, Sep::Space)?,
            }
        }
        self.expect(";", Sep::None)
    }

    /// A top-level `and` or `or` chain, with a line break before each operator.
    fn chain(&mut self, e: &Expr, op: &str, sep: Sep, indent: usize) -> Res {
        match (&e.kind, op) {
            (ExprKind::And(a, b), "and") | (ExprKind::Or(a, b), "or") => {
                self.chain(a, op, sep, indent)?;
                self.expect(op, Sep::Line(Line::cont(indent)))?;
                self.chain(b, op, Sep::Space, indent)
            }
            _ => self.expr(e, sep),
        }
    }

    fn snapshot(&self) -> Snapshot<'a> {
        Snapshot {
            pos: self.pos,
            len: self.out.len(),
            pending: self.pending,
            line_indent: self.line_indent,
            cont: self.cont,
            carry: self.carry,
        }
    }

    fn restore(&mut self, s: Snapshot<'a>) {
        self.pos = s.pos;
        self.out.truncate(s.len);
        self.pending = s.pending;
        self.line_indent = s.line_indent;
        self.cont = s.cont;
        self.carry = s.carry;
    }

    // ------------------------------------------------------------ expressions

    fn expr(&mut self, e: &Expr, sep: Sep) -> Res {
        match &e.kind {
            ExprKind::Lit(_) | ExprKind::Qualified(..) => self.atom(e.span, sep),
            ExprKind::Name(id) => self.ident(id, sep),
            ExprKind::Field(base, field) => {
                self.expr(base, sep)?;
                // `1.x` would not parse again: keep `1 .x` apart.
                let dot = if matches!(base.kind, ExprKind::Lit(Literal::Int(_))) {
                    Sep::Space
                } else {
                    Sep::None
                };
                self.expect(".", dot)?;
                self.ident(field, Sep::None)
            }
            ExprKind::Set(elems) => self.set(elems, sep),
            ExprKind::Call(name, args) => {
                self.ident(name, sep)?;
                self.expect("(", Sep::None)?;
                self.list(args, ")")
            }
            ExprKind::Not(inner) => {
                self.expect("not", sep)?;
                self.expr(inner, Sep::Space)
            }
            ExprKind::And(a, b) => self.binary(a, &["and"], b, sep),
            ExprKind::Or(a, b) => self.binary(a, &["or"], b, sep),
            ExprKind::Binary(op, a, b) => {
                let words: Vec<&str> = op.symbol().split(' ').collect();
                self.binary(a, &words, b, sep)
            }
            ExprKind::Quant(q, var, set, body) => {
                self.expect(if *q == Quantifier::Any { "any" } else { "all" }, sep)?;
                self.ident(var, Sep::Space)?;
                self.expect("in", Sep::Space)?;
                self.expr(set, Sep::Space)?;
                // `09:00: x` would read as an address: keep a literal apart from the colon.
                let colon = if ends_with_literal(set) {
                    Sep::Space
                } else {
                    Sep::None
                };
                self.expect(":", colon)?;
                self.expr(body, Sep::Space)
            }
            ExprKind::Paren(inner) => {
                self.expect("(", sep)?;
                self.expr(inner, Sep::None)?;
                self.expect(")", Sep::None)
            }
        }
    }

    fn binary(&mut self, a: &Expr, op: &[&str], b: &Expr, sep: Sep) -> Res {
        self.expr(a, sep)?;
        for word in op {
            self.expect(word, Sep::Space)?;
        }
        self.expr(b, Sep::Space)
    }

    /// Comma-separated expressions after an opening bracket, and the closing one.
    fn list(&mut self, items: &[Expr], close: &str) -> Res {
        for (i, x) in items.iter().enumerate() {
            if i > 0 {
                self.expect(",", Sep::None)?;
            }
            self.expr(x, if i == 0 { Sep::None } else { Sep::Space })?;
        }
        self.drop_trailing_comma()?;
        self.expect(close, Sep::None)
    }

    fn set(&mut self, elems: &[Expr], sep: Sep) -> Res {
        let open = self.pos;
        let close = self.matching(open)?;
        let toks = self.toks;
        let inside = toks.get(open + 1..=close).unwrap_or(&[]);
        let broken = !self.measure
            && inside
                .iter()
                .any(|t| t.comments.iter().any(Comment::breaks_line));
        self.expect("{", sep)?;
        if !broken {
            return self.list(elems, "}");
        }
        // One element per line, each with its comma.
        let outer = self.line_indent;
        let inner = outer + INDENT;
        let saved = self.cont;
        self.cont = inner + CONT;
        for x in elems {
            self.expr(x, Sep::Line(Line::cont(inner)))?;
            if self.peek_is(",") {
                let t = self.token()?;
                self.text(",");
                self.carry_comments(t)?;
                self.pos += 1;
            } else {
                self.text(",");
            }
        }
        self.expect(
            "}",
            Sep::Line(Line {
                indent: outer,
                comment_indent: inner,
                blank_first: false,
                blank_token: false,
                own_line: true,
            }),
        )?;
        self.cont = saved;
        Ok(())
    }
}

/// The operator of a `when` condition's top-level chain, if it is one.
fn top_chain(e: &Expr) -> Option<&'static str> {
    match e.kind {
        ExprKind::And(..) => Some("and"),
        ExprKind::Or(..) => Some("or"),
        _ => None,
    }
}

/// Whether the last token of `e` belongs to a literal (or `type::value`).
fn ends_with_literal(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Lit(_) | ExprKind::Qualified(..) => true,
        ExprKind::Not(x)
        | ExprKind::And(_, x)
        | ExprKind::Or(_, x)
        | ExprKind::Binary(_, _, x)
        | ExprKind::Quant(_, _, _, x) => ends_with_literal(x),
        ExprKind::Name(_)
        | ExprKind::Field(..)
        | ExprKind::Set(_)
        | ExprKind::Call(..)
        | ExprKind::Paren(_) => false,
    }
}
