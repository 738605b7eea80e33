//! `dictum fmt`: the canonical layout of `.policy` files (docs/FORMAT.md).
//!
//! [`format_policy`] parses the text (a syntax error is returned as the parser's
//! diagnostic), lexes it again keeping comments ([`lexer`]), lays the tree out (`printer`),
//! then checks its own work: the output must parse to the same tree, spans aside
//! ([`tree`]), and hold the same comments. Any difference is an internal error, never a
//! silently changed file.

pub mod lexer;
mod printer;
pub mod tree;

pub use printer::MAX_WIDTH;

use crate::error::{Code, Diagnostic};
use crate::source::{FileId, Span};
use crate::syntax::ast::{Item, PolicyFile};
use crate::syntax::{Limits, parse_policy, with_stack};

/// Format a `.policy` file with the default limits; diagnostics point into file 0.
pub fn format_policy(text: &str) -> Result<String, Diagnostic> {
    format_policy_in(FileId::default(), text, &Limits::default())
}

/// Format the `.policy` text of `file`. The error is the file's syntax error, or an
/// internal error (`Code::Internal`) if the formatter would change the file's meaning or
/// lose a comment.
pub fn format_policy_in(file: FileId, text: &str, limits: &Limits) -> Result<String, Diagnostic> {
    let tree = parse_policy(file, text, limits)?;
    let out = with_stack(|| layout(file, text, &tree)).unwrap_or_else(|| {
        Err(internal(
            Span::new(file, 0, 0),
            "the formatter stopped unexpectedly",
        ))
    })?;
    self_check(file, text, &tree, &out, limits)?;
    Ok(out)
}

fn layout(file: FileId, text: &str, tree: &PolicyFile) -> Result<String, Diagnostic> {
    let tokens = lexer::lex(text).map_err(|e| {
        internal(
            Span::new(file, e.at, e.at + 1),
            "the formatter's lexer does not accept this text",
        )
    })?;
    printer::print(text, &tokens, tree).map_err(|e| internal(Span::new(file, e.at, e.at), &e.what))
}

/// The output must mean what the input meant, and keep every comment.
fn self_check(
    file: FileId,
    text: &str,
    tree: &PolicyFile,
    out: &str,
    limits: &Limits,
) -> Result<(), Diagnostic> {
    let whole = Span::new(file, 0, 0);
    let mut limits = limits.clone();
    limits.max_file_bytes = limits.max_file_bytes.max(out.len());
    let again = parse_policy(file, out, &limits).map_err(|d| {
        internal(
            whole,
            &format!("the formatted text does not parse: {}", d.message),
        )
    })?;
    let same = with_stack(|| tree::same_tree(tree, &again)).unwrap_or(false);
    if !same {
        let at = first_difference(tree, &again).unwrap_or(whole);
        return Err(
            internal(at, "formatting would change the syntax tree").label("this item would change")
        );
    }
    let mut before = lexer::comments(text).map_err(|e| {
        internal(
            Span::new(file, e.at, e.at + 1),
            "the formatter's lexer does not accept this text",
        )
    })?;
    let mut after = lexer::comments(out).map_err(|_| {
        internal(
            whole,
            "the formatter's lexer does not accept its own output",
        )
    })?;
    before.sort();
    after.sort();
    if before != after {
        return Err(internal(whole, "formatting would lose or change a comment"));
    }
    Ok(())
}

/// The span (in the original) of the first top-level item whose tree changed.
fn first_difference(original: &PolicyFile, again: &PolicyFile) -> Option<Span> {
    let (a, b) = (tree::without_spans(original), tree::without_spans(again));
    let i = (0..a.items.len().max(b.items.len())).find(|i| a.items.get(*i) != b.items.get(*i))?;
    Some(match original.items.get(i)? {
        Item::Const(c) => c.span,
        Item::Lattice(l) => l.span,
        Item::Template(t) => t.span,
        Item::Scope(s) => s.span,
        Item::Fixture(f) => f.span,
        Item::Test(t) => t.span,
    })
}

fn internal(span: Span, what: &str) -> Diagnostic {
    Diagnostic::new(
        Code::Internal,
        span,
        format!("internal error in the formatter: {what}"),
    )
    .help(
        "this is a bug in dictum, and the file was left unchanged; please report it with the file",
    )
}
