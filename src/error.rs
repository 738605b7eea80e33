//! Plain diagnostic data. The core never renders: `diagnostics` turns these into text or JSON.
//!
//! Message style (after Cedar's guide): lowercase, no final period, user input in
//! backticks, a separate help line, never a Rust type name.

use crate::source::Span;
use serde::Serialize;

/// How bad a diagnostic is; its code decides (`E` errors, `W` warnings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The input is rejected: no program, no bundle.
    Error,
    /// The input is accepted, but probably not what was meant.
    Warning,
}

/// A stable diagnostic code, documented in docs/LANGUAGE.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    /// E0001: a bug in dictum itself, never the user's fault.
    Internal,
    /// E0101: syntax error.
    Syntax,
    /// E0102: nesting too deep.
    NestingTooDeep,
    /// E0103: invalid literal (number out of range, bad IP, bad timestamp, bad escape).
    InvalidLiteral,
    /// E0104: CIDR with host bits set.
    CidrHostBits,
    /// E0105: file (or project) too large, or not UTF-8.
    FileTooLarge,
    /// E0106: invalid regular expression.
    InvalidRegex,
    /// E0201: unknown attribute.
    UnknownAttribute,
    /// E0202: unknown name (constant, variable, enum value, lattice level).
    UnknownName,
    /// E0203: unknown entity.
    UnknownEntity,
    /// E0204: unknown type, template, fixture or function.
    UnknownItem,
    /// E0205: ambiguous bare value.
    AmbiguousValue,
    /// E0206: entity not available at this hook.
    EntityNotAtHook,
    /// E0207: duplicate definition (constant, template, parameter, enum, lattice level).
    Duplicate,
    /// E0301: optional attribute read without a presence guard.
    UnguardedOptional,
    /// E0302: type mismatch.
    TypeMismatch,
    /// E0303: operator not defined for these types.
    BadOperands,
    /// E0304: levels of different lattices compared.
    LatticeMismatch,
    /// E0305: not computable when checking, or a constant that refers to itself.
    NotConstant,
    /// E0306: wrong number of arguments.
    Arity,
    /// E0307: a set with computed elements where only constant sets are supported.
    ComputedSet,
    /// E0401: duplicate policy name in a scope.
    DuplicatePolicy,
    /// E0402: rule (or expectation) not allowed at this hook.
    RuleNotAtHook,
    /// E0403: unknown action for this hook.
    UnknownAction,
    /// E0404: unknown cipher or log field.
    UnknownCipherOrField,
    /// E0405: scope block in the wrong place.
    MisplacedScope,
    /// E0406: conflicting defaults in one scope.
    ConflictingDefaults,
    /// E0407: unknown hook.
    UnknownHook,
    /// E0408: malformed test or fixture (no `expect`, two `from`, a `from` cycle).
    BadTest,
    /// E0409: a test's `by "RULE"` names no rule of its hook.
    UnknownRule,
    /// E0501: schema error.
    Schema,
    /// E0502: schema redeclaration differs.
    SchemaRedeclared,
    /// W0101: rule can never fire (contradictory condition).
    NeverFires,
    /// W0102: permit always overridden by a forbid.
    AlwaysOverridden,
    /// W0103: unused constant.
    UnusedConstant,
    /// W0104: unused template.
    UnusedTemplate,
}

impl Code {
    /// The stable code, e.g. `E0101`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Internal => "E0001",
            Code::Syntax => "E0101",
            Code::NestingTooDeep => "E0102",
            Code::InvalidLiteral => "E0103",
            Code::CidrHostBits => "E0104",
            Code::FileTooLarge => "E0105",
            Code::InvalidRegex => "E0106",
            Code::UnknownAttribute => "E0201",
            Code::UnknownName => "E0202",
            Code::UnknownEntity => "E0203",
            Code::UnknownItem => "E0204",
            Code::AmbiguousValue => "E0205",
            Code::EntityNotAtHook => "E0206",
            Code::Duplicate => "E0207",
            Code::UnguardedOptional => "E0301",
            Code::TypeMismatch => "E0302",
            Code::BadOperands => "E0303",
            Code::LatticeMismatch => "E0304",
            Code::NotConstant => "E0305",
            Code::Arity => "E0306",
            Code::ComputedSet => "E0307",
            Code::DuplicatePolicy => "E0401",
            Code::RuleNotAtHook => "E0402",
            Code::UnknownAction => "E0403",
            Code::UnknownCipherOrField => "E0404",
            Code::MisplacedScope => "E0405",
            Code::ConflictingDefaults => "E0406",
            Code::UnknownHook => "E0407",
            Code::BadTest => "E0408",
            Code::UnknownRule => "E0409",
            Code::Schema => "E0501",
            Code::SchemaRedeclared => "E0502",
            Code::NeverFires => "W0101",
            Code::AlwaysOverridden => "W0102",
            Code::UnusedConstant => "W0103",
            Code::UnusedTemplate => "W0104",
        }
    }

    /// Warning for `W` codes, error for the rest.
    pub fn severity(self) -> Severity {
        if self.as_str().starts_with('W') {
            Severity::Warning
        } else {
            Severity::Error
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A span with a short note saying what is wrong there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// The note; may be empty.
    pub message: String,
}

/// One problem found in user input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The stable code; also decides the severity.
    pub code: Code,
    /// What is wrong: lowercase, no final period, user input in backticks.
    pub message: String,
    /// The first label is the primary one: the place the problem is reported at.
    pub labels: Vec<Label>,
    /// A suggestion for fixing it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic at `span`, its primary label without a note yet.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            message: message.into(),
            labels: vec![Label {
                span,
                message: String::new(),
            }],
            help: None,
        }
    }

    /// Set the note on the primary label.
    pub fn label(mut self, message: impl Into<String>) -> Diagnostic {
        if let Some(l) = self.labels.first_mut() {
            l.message = message.into();
        }
        self
    }

    /// Add a secondary label: a related place, such as a first definition.
    pub fn secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Set the help line.
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// The severity its code gives.
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    /// Whether it is an error rather than a warning.
    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }

    /// Where it is reported: the primary label's span.
    pub fn span(&self) -> Span {
        self.labels.first().map(|l| l.span).unwrap_or_default()
    }
}

/// The diagnostics of a failed stage: at least one is an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Whether any of them is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }
}

impl std::fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}[{}]: {}", d.severity_word(), d.code, d.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

impl Diagnostic {
    fn severity_word(&self) -> &'static str {
        match self.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// Suggest the closest known name, for a did-you-mean help line.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(name, c);
        let limit = (name.chars().count().max(c.chars().count()) / 3).max(1);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| format!("did you mean `{c}`?"))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        if let Some(c0) = cur.first_mut() {
            *c0 = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            if let Some(slot) = cur.get_mut(j + 1) {
                *slot = sub.min(del).min(ins);
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().unwrap_or(0)
}
