//! `dictum compile`: check, compile, write a bundle.

use crate::project::{self, ColorChoice, Format, LimitArgs};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Policy files or directories (searched recursively for `.policy` files)
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Where to write the bundle
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: PathBuf,
    /// A schema file extending the standard schema
    #[arg(long, value_name = "FILE")]
    schema: Option<PathBuf>,
    /// Output format of diagnostics
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Colors in human output
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
    #[command(flatten)]
    limits: LimitArgs,
}

pub fn run(args: Args) -> u8 {
    let limits = args.limits.limits();
    let (sources, program) = match project::check_paths(&args.paths, args.schema.as_deref(), &limits, args.format, args.color.enabled()) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let bundle = match dictum::compile::compile(&program, &sources) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            return project::EXIT_FAIL;
        }
    };
    let bytes = match bundle.encode() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            return project::EXIT_FAIL;
        }
    };
    if let Err(e) = std::fs::write(&args.output, &bytes) {
        eprintln!("error: cannot write `{}`: {}", args.output.display(), e.to_string().to_lowercase());
        return project::EXIT_USAGE;
    }
    eprintln!(
        "compiled {} policies ({} bodies, {} constants) into `{}` ({} bytes)",
        bundle.policies.len(),
        bundle.bodies.len(),
        bundle.consts.len(),
        args.output.display(),
        bytes.len()
    );
    let costs = bundle.hook_costs();
    for h in dictum::types::Hook::ALL {
        if let Some(c) = costs.get(h.index()) {
            eprintln!(
                "  static cost {:<11} at most {} instructions (platform {} + largest domain {})",
                h.name(),
                c.total(),
                c.platform,
                c.largest_domain
            );
        }
    }
    project::EXIT_OK
}
