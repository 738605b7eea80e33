//! `dictum check`: parse and type-check policies, report every diagnostic.

use crate::project::{self, Format, plural};
use dictum::check::check_some;
use dictum::source::Sources;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: project::Input,
    /// Output format: `human` (to stderr) or `json` (one object per line, to stdout)
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
}

pub fn run(args: Args) -> u8 {
    let limits = args.input.limits.limits();
    let mut schema_sources = Sources::new();
    let mut diags = Vec::new();
    let schema = match project::load_schema(
        args.input.schema.as_deref(),
        &mut schema_sources,
        &limits,
        &mut diags,
    ) {
        Ok(s) => s,
        Err(e) => return usage(&e.0),
    };
    if !diags.is_empty() {
        let (errors, _) = project::report(
            &schema_sources,
            &diags,
            args.format,
            args.input.color.enabled(),
        );
        if errors > 0 {
            if args.format == Format::Human {
                eprintln!("error: the schema has {}", plural(errors, "error"));
            }
            return project::EXIT_FAIL;
        }
    }
    let mut sources = Sources::new();
    let mut load_diags = Vec::new();
    let (n, ids) = match project::load_policies(&args.input.paths, &mut sources, &mut load_diags) {
        Ok(r) => r,
        Err(e) => return usage(&e.0),
    };
    if n == 0 {
        return usage("no `.policy` files found in the given paths");
    }
    let checked = check_some(&sources, &ids, schema, &limits);
    let mut all = load_diags;
    all.extend(checked.diagnostics);
    let (errors, warnings) =
        project::report(&sources, &all, args.format, args.input.color.enabled());
    if args.format == Format::Human {
        let status = if errors > 0 { "failed" } else { "ok" };
        eprintln!(
            "checked {}: {status}, {}, {}",
            plural(n, "file"),
            plural(errors, "error"),
            plural(warnings, "warning")
        );
    }
    if errors > 0 {
        project::EXIT_FAIL
    } else {
        project::EXIT_OK
    }
}

fn usage(msg: &str) -> u8 {
    eprintln!("error: {msg}");
    project::EXIT_USAGE
}
