//! dictum: a policy language for object workers, its checker, compiler and evaluator.
//!
//! The pipeline, one module per stage: [`syntax`] (text to AST) -> [`check`] (names and
//! types against the [`schema`]) -> `compile` -> `vm` -> `engine`. [`diagnostics`]
//! renders the plain [`error`] data the stages return.

pub mod bundle;
pub mod check;
pub mod compile;
pub mod diagnostics;
pub mod disasm;
pub mod engine;
pub mod error;
pub mod fmt;
pub mod reference;
pub mod schema;
pub mod source;
pub mod syntax;
pub mod types;
pub mod value;
pub mod vm;
