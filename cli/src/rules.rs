//! Loading rules files named on the command line.

use std::path::PathBuf;

use cohort::read::files::{as_files, read_paths};
use cohort::{compile, CompileOptions, Diagnostics, Rules};

/// Why rules could not be loaded: a file that cannot be read, or the compiler's diagnostics.
pub enum LoadError {
    Io(String),
    Invalid(Diagnostics),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Io(message) => f.write_str(message),
            LoadError::Invalid(d) => write!(f, "{d}"),
        }
    }
}

/// Reads and compiles `paths` together (references and names span the files). A directory
/// stands for its `.json` and `.toml` files.
pub fn load(paths: &[PathBuf], options: CompileOptions) -> Result<Rules, LoadError> {
    let sources = read_paths(paths, None).map_err(LoadError::Io)?;
    compile(&as_files(&sources), options).map_err(LoadError::Invalid)
}

/// [`load`], with diagnostics printed to stderr (one line each) and summed up in the error.
pub fn load_reporting(paths: &[PathBuf], options: CompileOptions) -> Result<Rules, String> {
    match load(paths, options) {
        Ok(rules) => {
            for warning in rules.warnings().warnings() {
                eprintln!("{warning}");
            }
            Ok(rules)
        }
        Err(LoadError::Io(message)) => Err(message),
        Err(LoadError::Invalid(diagnostics)) => {
            eprintln!("{diagnostics}");
            Err(format!(
                "{} error(s) in the rules",
                diagnostics.errors().count()
            ))
        }
    }
}

/// The rules options the evaluating commands share.
#[derive(clap::Args)]
pub struct RulesArgs {
    /// Rules files or directories (.json, .toml); repeat for several.
    #[arg(long = "rules", required = true)]
    pub rules: Vec<PathBuf>,
    /// Refuse rules that `cohort check` refuses (unknown gates, operators, ...).
    #[arg(long)]
    pub strict: bool,
    /// Evaluate at this instant (epoch milliseconds) instead of now.
    #[arg(long, value_name = "MS")]
    pub now: Option<i64>,
}

impl RulesArgs {
    /// The rules, compiled as asked (diagnostics on stderr).
    pub fn load(&self) -> Result<Rules, String> {
        load_reporting(&self.rules, options(self.strict))
    }

    /// The instant to evaluate at.
    pub fn now_ms(&self) -> i64 {
        now_ms(self.now)
    }
}

/// The compile mode a command asked for.
pub fn options(strict: bool) -> CompileOptions {
    if strict {
        CompileOptions::STRICT
    } else {
        CompileOptions::LENIENT
    }
}

/// The current time in epoch milliseconds, unless the command pinned it.
pub fn now_ms(pinned: Option<i64>) -> i64 {
    pinned.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    })
}
