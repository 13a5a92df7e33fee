//! Compiling rules: from what the readers found in files (`Input`, in Statsig's shape) to
//! the validated [`Rules`] that evaluation runs on.
//!
//! Two modes:
//! - **strict** (`cohort check`, the app's build): anything an author would not mean is an
//!   error: unknown operators and condition types, gates and delegates that do not exist,
//!   duplicate names, cycles between gates, bad regular expressions;
//! - **lenient** (`cohort eval`): those are warnings, and evaluation does exactly what
//!   Statsig's SDK does with them (drops the spec, treats the gate as unknown, ...).
//!
//! Structural damage (a rule that is not an object, a pass percentage that is a string) is an
//! error in both modes: no Statsig server writes such a file.

mod compiler;
pub(crate) mod condition;
mod cycles;
pub mod experiments;
pub(crate) mod fields;

use serde_json::Value;

pub(crate) use compiler::Compiler;

use crate::diagnostics::{Diagnostics, Location};
use crate::model::SpecKind;
use crate::rules::Rules;

/// How strictly to compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompileOptions {
    pub strict: bool,
}

impl CompileOptions {
    /// Every questionable construct is an error.
    pub const STRICT: CompileOptions = CompileOptions { strict: true };
    /// Questionable constructs are warnings and evaluate as Statsig's SDK would.
    pub const LENIENT: CompileOptions = CompileOptions { strict: false };
}

/// A spec as read from a file, before compilation.
pub(crate) struct SpecInput {
    pub kind: SpecKind,
    pub json: Value,
    pub location: Location,
}

/// A spec file's contents, gathered from one or more files.
#[derive(Default)]
pub(crate) struct Input {
    pub specs: Vec<SpecInput>,
    pub id_lists: Vec<(String, Value, Location)>,
    pub app_id: Option<String>,
    pub default_environment: Option<String>,
    /// Each file's `"cohort"` section: metrics and experiment settings.
    pub extensions: Vec<(Value, Location)>,
}

/// Compiles what the readers found into [`Rules`]: the diagnostics if any is an error, else
/// the rules with their warnings.
pub(crate) fn compile(input: Input, options: CompileOptions) -> Result<Rules, Diagnostics> {
    let mut compiler = Compiler::new(options, Diagnostics::default());
    let mut rules = compiler.compile(input);
    if compiler.diagnostics.has_errors() {
        Err(compiler.diagnostics)
    } else {
        rules.warnings = compiler.diagnostics;
        Ok(rules)
    }
}
