//! `dictum compile`: check, compile, write a bundle.

use crate::project::{self, Format};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: project::Input,
    /// Where to write the bundle
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: PathBuf,
    /// Output format of diagnostics
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
}

pub fn run(args: Args) -> u8 {
    let limits = args.input.limits.limits();
    let (sources, program) = match project::check_paths(
        &args.input.paths,
        args.input.schema.as_deref(),
        &limits,
        args.format,
        args.input.color.enabled(),
    ) {
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
        eprintln!(
            "error: cannot write `{}`: {}",
            args.output.display(),
            e.to_string().to_lowercase()
        );
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
