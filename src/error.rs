//! Plain diagnostic data. The core never renders: `diagnostics` turns these into text or JSON.
//!
//! Message style (after Cedar's guide): lowercase, no final period, user input in
//! backticks, a separate help line, never a Rust type name.

use crate::source::Span;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A stable diagnostic code, documented in docs/LANGUAGE.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    /// A bug in dictum itself, never the user's fault.
    Internal,
    Syntax,
    NestingTooDeep,
    InvalidLiteral,
    CidrHostBits,
    FileTooLarge,
    InvalidRegex,
    UnknownAttribute,
    UnknownName,
    UnknownEntity,
    UnknownItem,
    AmbiguousValue,
    EntityNotAtHook,
    Duplicate,
    UnguardedOptional,
    TypeMismatch,
    BadOperands,
    LatticeMismatch,
    NotConstant,
    Arity,
    ComputedSet,
    DuplicatePolicy,
    RuleNotAtHook,
    UnknownAction,
    UnknownCipherOrField,
    MisplacedScope,
    ConflictingDefaults,
    UnknownHook,
    BadTest,
    UnknownRule,
    Schema,
    SchemaRedeclared,
    NeverFires,
    AlwaysOverridden,
    UnusedConstant,
    UnusedTemplate,
}

impl Code {
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

    pub fn severity(self) -> Severity {
        if self.as_str().starts_with('W') { Severity::Warning } else { Severity::Error }
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
    pub span: Span,
    pub message: String,
}

/// One problem found in user input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub message: String,
    /// The first label is the primary one: the place the problem is reported at.
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic { code, message: message.into(), labels: vec![Label { span, message: String::new() }], help: None }
    }

    /// Set the note on the primary label.
    pub fn label(mut self, message: impl Into<String>) -> Diagnostic {
        if let Some(l) = self.labels.first_mut() {
            l.message = message.into();
        }
        self
    }

    pub fn secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label { span, message: message.into() });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }

    pub fn span(&self) -> Span {
        self.labels.first().map(|l| l.span).unwrap_or_default()
    }
}

/// The diagnostics of a failed stage: at least one is an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
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
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
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
