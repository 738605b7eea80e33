//! Span-insensitive comparison of syntax trees, for the formatter's self-check: two files
//! mean the same when their trees are equal once every span is cleared.

use crate::source::Span;
use crate::syntax::ast::*;

/// Whether two parsed files have the same syntax tree, spans aside.
pub fn same_tree(a: &PolicyFile, b: &PolicyFile) -> bool {
    without_spans(a) == without_spans(b)
}

/// A copy of the tree with every span set to the default (empty) span.
pub fn without_spans(f: &PolicyFile) -> PolicyFile {
    let mut f = f.clone();
    f.clear_spans();
    f
}

trait ClearSpans {
    fn clear_spans(&mut self);
}

fn blank(s: &mut Span) {
    *s = Span::default();
}

impl<T: ClearSpans> ClearSpans for Vec<T> {
    fn clear_spans(&mut self) {
        for x in self {
            x.clear_spans();
        }
    }
}

impl<T: ClearSpans> ClearSpans for Option<T> {
    fn clear_spans(&mut self) {
        if let Some(x) = self {
            x.clear_spans();
        }
    }
}

impl<T: ClearSpans> ClearSpans for Box<T> {
    fn clear_spans(&mut self) {
        (**self).clear_spans();
    }
}

impl ClearSpans for Ident {
    fn clear_spans(&mut self) {
        blank(&mut self.span);
    }
}

impl ClearSpans for StrLit {
    fn clear_spans(&mut self) {
        blank(&mut self.span);
    }
}

impl ClearSpans for PolicyFile {
    fn clear_spans(&mut self) {
        self.items.clear_spans();
    }
}

impl ClearSpans for Item {
    fn clear_spans(&mut self) {
        match self {
            Item::Const(c) => c.clear_spans(),
            Item::Lattice(l) => l.clear_spans(),
            Item::Template(t) => t.clear_spans(),
            Item::Scope(s) => s.clear_spans(),
            Item::Fixture(f) => f.clear_spans(),
            Item::Test(t) => t.clear_spans(),
        }
    }
}

impl ClearSpans for FixtureDecl {
    fn clear_spans(&mut self) {
        let FixtureDecl {
            name,
            base,
            stmts,
            span,
        } = self;
        name.clear_spans();
        if let Some(b) = base {
            b.clear_spans();
        }
        stmts.clear_spans();
        blank(span);
    }
}

impl ClearSpans for TestDecl {
    fn clear_spans(&mut self) {
        let TestDecl {
            name,
            hook,
            stmts,
            span,
        } = self;
        name.clear_spans();
        hook.clear_spans();
        stmts.clear_spans();
        blank(span);
    }
}

impl ClearSpans for TestStmt {
    fn clear_spans(&mut self) {
        match self {
            TestStmt::From(f) => f.clear_spans(),
            TestStmt::Set {
                entity,
                attr,
                value,
                span,
            } => {
                entity.clear_spans();
                attr.clear_spans();
                value.clear_spans();
                blank(span);
            }
            TestStmt::Unset { entity, attr, span } => {
                entity.clear_spans();
                attr.clear_spans();
                blank(span);
            }
            TestStmt::Expect(e, span) => {
                match e {
                    Expectation::Outcome { outcome, by } => {
                        outcome.clear_spans();
                        if let Some(b) = by {
                            b.clear_spans();
                        }
                    }
                    Expectation::Cipher(c) => c.clear_spans(),
                    Expectation::Fields { fields, .. } => fields.clear_spans(),
                }
                blank(span);
            }
        }
    }
}

impl ClearSpans for ConstDecl {
    fn clear_spans(&mut self) {
        let ConstDecl {
            name,
            ty,
            value,
            span,
        } = self;
        name.clear_spans();
        ty.clear_spans();
        value.clear_spans();
        blank(span);
    }
}

impl ClearSpans for LatticeDecl {
    fn clear_spans(&mut self) {
        let LatticeDecl { name, kind, span } = self;
        name.clear_spans();
        match kind {
            LatticeKind::Levels(levels) => levels.clear_spans(),
            LatticeKind::Product { base, compartments } => {
                base.clear_spans();
                compartments.clear_spans();
            }
        }
        blank(span);
    }
}

impl ClearSpans for TemplateDecl {
    fn clear_spans(&mut self) {
        let TemplateDecl {
            name,
            params,
            hook,
            rules,
            span,
        } = self;
        name.clear_spans();
        params.clear_spans();
        hook.clear_spans();
        rules.clear_spans();
        blank(span);
    }
}

impl ClearSpans for Param {
    fn clear_spans(&mut self) {
        let Param { name, ty } = self;
        name.clear_spans();
        ty.clear_spans();
    }
}

impl ClearSpans for TypeExpr {
    fn clear_spans(&mut self) {
        match self {
            TypeExpr::Named(i) => i.clear_spans(),
            TypeExpr::Set(inner, span) => {
                inner.clear_spans();
                blank(span);
            }
        }
    }
}

impl ClearSpans for ScopeBlock {
    fn clear_spans(&mut self) {
        let ScopeBlock {
            kind,
            head,
            items,
            span,
        } = self;
        match kind {
            ScopeKind::Platform => {}
            ScopeKind::Domain(s) | ScopeKind::Class(s) | ScopeKind::Tag(s) | ScopeKind::User(s) => {
                s.clear_spans()
            }
        }
        blank(head);
        items.clear_spans();
        blank(span);
    }
}

impl ClearSpans for ScopeItem {
    fn clear_spans(&mut self) {
        match self {
            ScopeItem::Policy(p) => p.clear_spans(),
            ScopeItem::Use(u) => u.clear_spans(),
            ScopeItem::Scope(s) => s.clear_spans(),
        }
    }
}

impl ClearSpans for PolicyDecl {
    fn clear_spans(&mut self) {
        let PolicyDecl {
            name,
            hook,
            rules,
            span,
        } = self;
        name.clear_spans();
        hook.clear_spans();
        rules.clear_spans();
        blank(span);
    }
}

impl ClearSpans for UseDecl {
    fn clear_spans(&mut self) {
        let UseDecl {
            template,
            args,
            alias,
            span,
        } = self;
        template.clear_spans();
        args.clear_spans();
        alias.clear_spans();
        blank(span);
    }
}

impl ClearSpans for Rule {
    fn clear_spans(&mut self) {
        let Rule {
            kind: _,
            names,
            when,
            span,
        } = self;
        names.clear_spans();
        when.clear_spans();
        blank(span);
    }
}

impl ClearSpans for Expr {
    fn clear_spans(&mut self) {
        blank(&mut self.span);
        match &mut self.kind {
            ExprKind::Lit(_) => {}
            ExprKind::Name(i) => i.clear_spans(),
            ExprKind::Qualified(a, b) => {
                a.clear_spans();
                b.clear_spans();
            }
            ExprKind::Field(base, f) => {
                base.clear_spans();
                f.clear_spans();
            }
            ExprKind::Set(elems) => elems.clear_spans(),
            ExprKind::Call(name, args) => {
                name.clear_spans();
                args.clear_spans();
            }
            ExprKind::Not(e) | ExprKind::Paren(e) => e.clear_spans(),
            ExprKind::And(a, b) | ExprKind::Or(a, b) | ExprKind::Binary(_, a, b) => {
                a.clear_spans();
                b.clear_spans();
            }
            ExprKind::Quant(_, var, set, body) => {
                var.clear_spans();
                set.clear_spans();
                body.clear_spans();
            }
        }
    }
}
