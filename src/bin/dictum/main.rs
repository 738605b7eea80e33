//! The `dictum` command. One file per subcommand in `cmd/`.

mod cmd;
mod project;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "dictum",
    version,
    about = "Check, compile and evaluate dictum policies"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and type-check policy files, reporting every problem found
    Check(cmd::check::Args),
    /// Print the effective schema (the standard one, extended by --schema)
    Schema(cmd::schema::Args),
    /// Check and compile policies into a bundle file, reporting each hook's static cost
    Compile(cmd::compile::Args),
    /// Evaluate requests against policies or a bundle, printing the decisions
    Eval(cmd::eval::Args),
    /// Run the policies' tests, with coverage; output for people, JSON or JUnit
    Test(cmd::test::Args),
    /// Print a bundle's constants and bytecode
    Disasm(cmd::disasm::Args),
    /// Rewrite policy files in the canonical layout, keeping every comment (--check: only list them)
    Fmt(cmd::fmt::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            // Help and version are not errors; everything else clap reports is a usage error.
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let code = match cli.command {
        Command::Check(a) => cmd::check::run(a),
        Command::Schema(a) => cmd::schema::run(a),
        Command::Compile(a) => cmd::compile::run(a),
        Command::Eval(a) => cmd::eval::run(a),
        Command::Disasm(a) => cmd::disasm::run(a),
        Command::Test(a) => cmd::test::run(a),
        Command::Fmt(a) => cmd::fmt::run(a),
    };
    ExitCode::from(code)
}
