//! Loading a project for any subcommand: policy files from paths, the schema, limits.

use clap::{Args, ValueEnum};
use dictum::error::{Code, Diagnostic};
use dictum::schema::{self, Schema};
use dictum::source::{Sources, Span};
use dictum::syntax::Limits;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Exit codes shared by every subcommand.
pub const EXIT_OK: u8 = 0;
pub const EXIT_FAIL: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

#[derive(Args, Clone, Debug)]
pub struct LimitArgs {
    /// Largest accepted source file, in bytes
    #[arg(long, value_name = "BYTES")]
    pub max_file_bytes: Option<usize>,
    /// Deepest accepted nesting in an expression
    #[arg(long, value_name = "N")]
    pub max_depth: Option<usize>,
    /// Most rules accepted in one project
    #[arg(long, value_name = "N")]
    pub max_rules: Option<usize>,
    /// Most elements accepted in one set literal
    #[arg(long, value_name = "N")]
    pub max_set_len: Option<usize>,
}

impl LimitArgs {
    pub fn limits(&self) -> Limits {
        let mut l = Limits::default();
        if let Some(n) = self.max_file_bytes {
            l.max_file_bytes = n;
        }
        if let Some(n) = self.max_depth {
            l.max_depth = n;
        }
        if let Some(n) = self.max_rules {
            l.max_rules = n;
        }
        if let Some(n) = self.max_set_len {
            l.max_set_len = n;
        }
        l
    }
}

/// What `check`, `compile` and `test` read: the policy paths, the schema, limits, colors.
#[derive(Args, Clone, Debug)]
pub struct Input {
    /// Policy files or directories (searched recursively for `.policy` files)
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// A schema file extending the standard schema
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// Colors in human output
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    pub fn enabled(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        }
    }
}

/// A usage or I/O problem: reported plainly, exit code 2.
pub struct UsageError(pub String);

/// The standard schema extended by the `--schema` file, if any. Schema diagnostics are
/// added to `sources` and `diags`.
pub fn load_schema(
    path: Option<&Path>,
    sources: &mut Sources,
    limits: &Limits,
    diags: &mut Vec<Diagnostic>,
) -> Result<Schema, UsageError> {
    let mut schema = Schema::standard().map_err(|d| {
        UsageError(format!(
            "internal error: the standard schema does not load: {}",
            d.len()
        ))
    })?;
    if let Some(p) = path {
        let text = read_text(p, sources, diags)?;
        if let Some((id, text)) = text {
            diags.extend(schema::load(id, &text, &mut schema, limits));
        }
    }
    Ok(schema)
}

/// Read a file as UTF-8. A file that is not UTF-8 is a diagnostic, not a usage error.
fn read_text(
    p: &Path,
    sources: &mut Sources,
    diags: &mut Vec<Diagnostic>,
) -> Result<Option<(dictum::source::FileId, String)>, UsageError> {
    let bytes = std::fs::read(p)
        .map_err(|e| UsageError(format!("cannot read `{}`: {}", p.display(), io_reason(&e))))?;
    let name = p.display().to_string();
    match String::from_utf8(bytes) {
        Ok(text) => {
            let id = sources.add(name, text.clone());
            Ok(Some((id, text)))
        }
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let id = sources.add(name, String::from_utf8_lossy(e.as_bytes()).into_owned());
            diags.push(
                Diagnostic::new(
                    Code::FileTooLarge,
                    Span::new(id, at, at + 1),
                    format!("file is not valid UTF-8 (byte {at})"),
                )
                .label("invalid byte here")
                .help("policy files must be UTF-8 text"),
            );
            Ok(None)
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

/// Every `.policy` file under the given paths (directories recursively, in path order).
pub fn policy_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, UsageError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p)
            .map_err(|e| UsageError(format!("cannot read `{}`: {}", p.display(), io_reason(&e))))?;
        if meta.is_dir() {
            walk(p, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), UsageError> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        UsageError(format!(
            "cannot read `{}`: {}",
            dir.display(),
            io_reason(&e)
        ))
    })?;
    for entry in entries {
        let entry = entry.map_err(|e| {
            UsageError(format!(
                "cannot read `{}`: {}",
                dir.display(),
                io_reason(&e)
            ))
        })?;
        let path = entry.path();
        let ft = entry.file_type().map_err(|e| {
            UsageError(format!(
                "cannot read `{}`: {}",
                path.display(),
                io_reason(&e)
            ))
        })?;
        if ft.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|x| x == "policy") {
            out.push(path);
        }
    }
    Ok(())
}

/// Load the policy files under `paths` into `sources`; text that is not UTF-8 is a
/// diagnostic. Returns how many files were found and the ids of the readable ones.
pub fn load_policies(
    paths: &[PathBuf],
    sources: &mut Sources,
    diags: &mut Vec<Diagnostic>,
) -> Result<(usize, Vec<dictum::source::FileId>), UsageError> {
    let files = policy_files(paths)?;
    let mut ids = Vec::new();
    for f in &files {
        if let Some((id, _)) = read_text(f, sources, diags)? {
            ids.push(id);
        }
    }
    Ok((files.len(), ids))
}

/// Print diagnostics in the chosen format; returns (errors, warnings).
pub fn report(
    sources: &Sources,
    diags: &[Diagnostic],
    format: Format,
    color: bool,
) -> (usize, usize) {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    for d in diags {
        match format {
            Format::Human => eprint!("{}", dictum::diagnostics::render(sources, d, color)),
            Format::Json => crate::outln!("{}", dictum::diagnostics::render_json(sources, d)),
        }
    }
    (errors, warnings)
}

pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Check the policies under `paths` against the standard schema extended by `schema`,
/// printing diagnostics. On success returns the sources and the checked program; on
/// failure, the exit code.
pub fn check_paths(
    paths: &[PathBuf],
    schema: Option<&Path>,
    limits: &Limits,
    format: Format,
    color: bool,
) -> Result<(Sources, dictum::check::program::Program), u8> {
    let mut schema_sources = Sources::new();
    let mut diags = Vec::new();
    let schema = match load_schema(schema, &mut schema_sources, limits, &mut diags) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {}", e.0);
            return Err(EXIT_USAGE);
        }
    };
    let (errors, _) = report(&schema_sources, &diags, format, color);
    if errors > 0 {
        return Err(EXIT_FAIL);
    }
    let mut sources = Sources::new();
    let mut load_diags = Vec::new();
    let (n, ids) = match load_policies(paths, &mut sources, &mut load_diags) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {}", e.0);
            return Err(EXIT_USAGE);
        }
    };
    if n == 0 {
        eprintln!("error: no `.policy` files found in the given paths");
        return Err(EXIT_USAGE);
    }
    let checked = dictum::check::check_some(&sources, &ids, schema, limits);
    let mut all = load_diags;
    all.extend(checked.diagnostics);
    let (errors, _) = report(&sources, &all, format, color);
    match checked.program {
        Some(p) if errors == 0 => Ok((sources, p)),
        _ => {
            if format == Format::Human {
                eprintln!(
                    "error: {} in the policies; nothing compiled",
                    plural(errors, "error")
                );
            }
            Err(EXIT_FAIL)
        }
    }
}

/// Write to standard output. When the reader has gone away (`dictum eval ... | head -1`),
/// stop quietly with the status a shell gives a process ended by SIGPIPE, instead of the
/// panic `println!` would raise.
pub fn emit(args: std::fmt::Arguments<'_>, newline: bool) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let r = out.write_fmt(args).and_then(|()| {
        if newline {
            out.write_all(b"\n")
        } else {
            Ok(())
        }
    });
    if let Err(e) = r {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(141);
        }
        eprintln!("error: cannot write the output: {e}");
        std::process::exit(i32::from(EXIT_USAGE));
    }
}

/// `println!` for standard output, safe when the reader closes the pipe.
#[macro_export]
macro_rules! outln {
    ($($t:tt)*) => { $crate::project::emit(format_args!($($t)*), true) };
}

/// `print!` for standard output, safe when the reader closes the pipe.
#[macro_export]
macro_rules! out {
    ($($t:tt)*) => { $crate::project::emit(format_args!($($t)*), false) };
}
