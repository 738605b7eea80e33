//! `dictum schema`: print the effective schema.

use crate::project::{self, ColorChoice, LimitArgs};
use dictum::source::Sources;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// A schema file extending the standard schema
    #[arg(long, value_name = "FILE")]
    schema: Option<PathBuf>,
    /// Print as JSON instead of schema notation
    #[arg(long)]
    json: bool,
    /// Colors in diagnostics
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
    #[command(flatten)]
    limits: LimitArgs,
}

pub fn run(args: Args) -> u8 {
    let limits = args.limits.limits();
    let mut sources = Sources::new();
    let mut diags = Vec::new();
    let schema =
        match project::load_schema(args.schema.as_deref(), &mut sources, &limits, &mut diags) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {}", e.0);
                return project::EXIT_USAGE;
            }
        };
    let (errors, _) = project::report(
        &sources,
        &diags,
        project::Format::Human,
        args.color.enabled(),
    );
    if errors > 0 {
        return project::EXIT_FAIL;
    }
    if args.json {
        match serde_json::to_string_pretty(&schema) {
            Ok(s) => crate::outln!("{s}"),
            Err(e) => {
                eprintln!("error: cannot encode the schema: {e}");
                return project::EXIT_FAIL;
            }
        }
    } else {
        crate::out!("{}", schema.to_text());
    }
    project::EXIT_OK
}
