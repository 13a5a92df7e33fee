//! One module per subcommand.

pub mod analyze;
pub mod assign;
pub mod check;
pub mod eval;
pub mod export;
pub mod results;
pub mod serve;
pub mod simulate;
