//! Stage 1: text to syntax tree. [`parse_policy`] and [`parse_schema`] return an AST with
//! spans, or the first syntax error of the file.

pub mod ast;
mod limits;
mod parser;

pub use limits::{Limits, with_stack};
pub use parser::{
    format_timestamp, parse_cidr, parse_duration_text, parse_expr, parse_policy, parse_schema,
    parse_time_text, parse_timestamp,
};
