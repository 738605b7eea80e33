//! `dictum disasm`: print a bundle's constants and bytecode.

use crate::project;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// A bundle written by `dictum compile`
    #[arg(value_name = "FILE")]
    bundle: PathBuf,
}

pub fn run(args: Args) -> u8 {
    let bytes = match std::fs::read(&args.bundle) {
        Ok(b) => b,
        Err(e) => {
            eprintln!(
                "error: cannot read `{}`: {}",
                args.bundle.display(),
                e.to_string().to_lowercase()
            );
            return project::EXIT_USAGE;
        }
    };
    match dictum::bundle::Bundle::decode(&bytes) {
        Ok(b) => {
            crate::out!("{}", dictum::disasm::disassemble(&b));
            project::EXIT_OK
        }
        Err(e) => {
            eprintln!(
                "error: `{}` is not a valid bundle: {e}",
                args.bundle.display()
            );
            project::EXIT_FAIL
        }
    }
}
