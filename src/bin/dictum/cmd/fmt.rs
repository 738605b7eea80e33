//! `dictum fmt`: rewrite policy files in the canonical layout (docs/FORMAT.md).

use crate::project::{self, ColorChoice, Format, LimitArgs, plural};
use dictum::error::{Code, Diagnostic};
use dictum::source::{Sources, Span};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
#[command(
    after_help = "Comments are kept, and a file is only written when its layout changes. \
Every result is checked before it is written: it must parse to the same syntax tree and keep \
every comment. The layout is described in docs/FORMAT.md.\n\n\
Exit status: 0 when every file is (or now is) formatted; 1 when a file does not parse, or with \
--check when a file would change; 2 on a usage or I/O error."
)]
pub struct Args {
    /// Policy files or directories (searched recursively for `.policy` files)
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Write nothing: list the files that would change, one per line on stdout, and exit 1 if any
    #[arg(long)]
    check: bool,
    /// Colors in diagnostics
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
    #[command(flatten)]
    limits: LimitArgs,
}

/// What happened to one file.
enum Outcome {
    Unchanged,
    Changed,
    /// A diagnostic was reported (syntax error, not UTF-8, internal error).
    Failed,
    /// An I/O error was reported.
    IoError,
}

pub fn run(args: Args) -> u8 {
    let limits = args.limits.limits();
    let files = match project::policy_files(&args.paths) {
        Ok(f) => f,
        Err(e) => return usage(&e.0),
    };
    if files.is_empty() {
        return usage("no `.policy` files found in the given paths");
    }
    let color = args.color.enabled();
    let mut sources = Sources::new();
    let (mut changed, mut unchanged, mut failed, mut io_errors) = (0usize, 0usize, 0usize, 0usize);
    for path in &files {
        match one(path, args.check, &limits, &mut sources, color) {
            Outcome::Unchanged => unchanged += 1,
            Outcome::Changed => changed += 1,
            Outcome::Failed => failed += 1,
            Outcome::IoError => io_errors += 1,
        }
    }
    let (verb, change) = if args.check {
        ("checked", "would change")
    } else {
        ("formatted", "changed")
    };
    let mut summary = format!(
        "{verb} {}: {changed} {change}, {unchanged} unchanged",
        plural(files.len(), "file")
    );
    if failed > 0 {
        summary.push_str(&format!(", {failed} with errors"));
    }
    if io_errors > 0 {
        summary.push_str(&format!(
            ", {} not read or written",
            plural(io_errors, "file")
        ));
    }
    eprintln!("{summary}");
    if io_errors > 0 {
        project::EXIT_USAGE
    } else if failed > 0 || (args.check && changed > 0) {
        project::EXIT_FAIL
    } else {
        project::EXIT_OK
    }
}

fn one(
    path: &Path,
    check: bool,
    limits: &dictum::syntax::Limits,
    sources: &mut Sources,
    color: bool,
) -> Outcome {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read `{}`: {}", path.display(), io_reason(&e));
            return Outcome::IoError;
        }
    };
    let name = path.display().to_string();
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let id = sources.add(name, String::from_utf8_lossy(e.as_bytes()).into_owned());
            let d = Diagnostic::new(
                Code::FileTooLarge,
                Span::new(id, at, at + 1),
                format!("file is not valid UTF-8 (byte {at})"),
            )
            .label("invalid byte here")
            .help("policy files must be UTF-8 text");
            project::report(sources, &[d], Format::Human, color);
            return Outcome::Failed;
        }
    };
    let id = sources.add(name, text.clone());
    let formatted = match dictum::fmt::format_policy_in(id, &text, limits) {
        Ok(f) => f,
        Err(d) => {
            project::report(sources, &[d], Format::Human, color);
            return Outcome::Failed;
        }
    };
    if formatted == text {
        return Outcome::Unchanged;
    }
    if check {
        println!("{}", path.display());
        return Outcome::Changed;
    }
    match std::fs::write(path, formatted) {
        Ok(()) => Outcome::Changed,
        Err(e) => {
            eprintln!(
                "error: cannot write `{}`: {}",
                path.display(),
                io_reason(&e)
            );
            Outcome::IoError
        }
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string().to_lowercase(),
    }
}

fn usage(msg: &str) -> u8 {
    eprintln!("error: {msg}");
    project::EXIT_USAGE
}
