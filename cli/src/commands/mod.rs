//! One module per subcommand.

pub mod assign;
pub mod check;
pub mod eval;
pub mod export;
pub mod results;
pub mod simulate;
