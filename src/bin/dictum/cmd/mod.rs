pub mod check;
pub mod compile;
pub mod disasm;
pub mod eval;
pub mod fmt;
pub mod schema;
pub mod test;
