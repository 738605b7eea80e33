//! Rendering diagnostics: for people (ariadne) and for tools (JSON lines). The only module
//! that knows about ariadne.

use crate::error::{Diagnostic, Severity};
use crate::source::Sources;
use ariadne::{Config, IndexType, Label, Report, ReportKind};
use serde::Serialize;

/// Render one diagnostic for a terminal, with the source lines it points at.
pub fn render(sources: &Sources, d: &Diagnostic, color: bool) -> String {
    let kind = match d.severity() {
        Severity::Error => ReportKind::Error,
        Severity::Warning => ReportKind::Warning,
    };
    let primary = d.span();
    let Some(file) = sources.get(primary.file) else {
        return render_plain(d);
    };
    let name = file.name.clone();
    let config = Config::default()
        .with_color(color)
        .with_index_type(IndexType::Byte);
    let mut report = Report::build(kind, (name.clone(), clamp(primary.range(), &file.text)))
        .with_config(config)
        .with_code(d.code.as_str())
        .with_message(&d.message);
    for (i, l) in d.labels.iter().enumerate() {
        // Labels in other files than the primary one are left out of the snippet.
        let Some(lf) = sources.get(l.span.file) else {
            continue;
        };
        let mut label = Label::new((lf.name.clone(), clamp(l.span.range(), &lf.text)));
        if !l.message.is_empty() {
            label = label.with_message(&l.message);
        }
        if color {
            label = label.with_color(if i == 0 {
                ariadne::Color::Red
            } else {
                ariadne::Color::Blue
            });
        }
        report = report.with_label(label.with_order(i32::try_from(i).unwrap_or(0)));
    }
    if let Some(h) = &d.help {
        report = report.with_help(h);
    }
    let cache = ariadne::sources(
        sources
            .iter()
            .map(|(_, f)| (f.name.clone(), f.text.clone())),
    );
    let mut out = Vec::new();
    match report.finish().write(cache, &mut out) {
        Ok(()) => String::from_utf8_lossy(&out).into_owned(),
        Err(_) => render_plain(d),
    }
}

/// Fit a span to the text: within bounds and on character boundaries (ariadne slices).
fn clamp(r: std::ops::Range<usize>, text: &str) -> std::ops::Range<usize> {
    let len = text.len();
    let mut start = r.start.min(len);
    while start > 0 && !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = r.end.clamp(start, len);
    while end < len && !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

fn render_plain(d: &Diagnostic) -> String {
    let sev = match d.severity() {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut s = format!("{sev}[{}]: {}\n", d.code, d.message);
    if let Some(h) = &d.help {
        s.push_str(&format!("  help: {h}\n"));
    }
    s
}

/// A diagnostic as one JSON object, for editors and CI.
#[derive(Serialize)]
pub struct JsonDiagnostic<'a> {
    /// The file of the primary label.
    pub file: &'a str,
    /// Where the primary label starts: line, from 1.
    pub line: usize,
    /// Where it starts: column in characters, from 1.
    pub column: usize,
    /// Where it ends: line, from 1.
    pub end_line: usize,
    /// Where it ends: column just past its last character, from 1.
    pub end_column: usize,
    /// The stable code, e.g. `E0302`.
    pub code: &'static str,
    /// `error` or `warning`.
    pub severity: Severity,
    /// What is wrong.
    pub message: &'a str,
    /// How to fix it, if known.
    pub help: Option<&'a str>,
    /// Every label, the primary one first.
    pub labels: Vec<JsonLabel<'a>>,
}

/// One label of a [`JsonDiagnostic`], positions as there.
#[derive(Serialize)]
pub struct JsonLabel<'a> {
    /// The file.
    pub file: &'a str,
    /// Start line, from 1.
    pub line: usize,
    /// Start column in characters, from 1.
    pub column: usize,
    /// End line, from 1.
    pub end_line: usize,
    /// End column, just past the last character, from 1.
    pub end_column: usize,
    /// The label's note; may be empty.
    pub message: &'a str,
}

/// A diagnostic with its positions resolved to lines and columns, ready to serialise.
pub fn to_json<'a>(sources: &'a Sources, d: &'a Diagnostic) -> JsonDiagnostic<'a> {
    let span = d.span();
    let (line, column) = sources.line_col(span.file, span.start);
    let (end_line, end_column) = sources.line_col(span.file, span.end);
    let labels = d
        .labels
        .iter()
        .map(|l| {
            let (line, column) = sources.line_col(l.span.file, l.span.start);
            let (end_line, end_column) = sources.line_col(l.span.file, l.span.end);
            JsonLabel {
                file: sources.name(l.span.file),
                line,
                column,
                end_line,
                end_column,
                message: &l.message,
            }
        })
        .collect();
    JsonDiagnostic {
        file: sources.name(span.file),
        line,
        column,
        end_line,
        end_column,
        code: d.code.as_str(),
        severity: d.severity(),
        message: &d.message,
        help: d.help.as_deref(),
        labels,
    }
}

/// One JSON line.
pub fn render_json(sources: &Sources, d: &Diagnostic) -> String {
    serde_json::to_string(&to_json(sources, d)).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}
