//! Bundling rules from a build script: an application's `build.rs` compiles its rules
//! directory strictly and writes them as Rust into `$OUT_DIR`, where
//! `cohort_leptos::bundled_rules!` (or an `include!` of [`RULES_FILE`]) embeds them.
//!
//! ```no_run
//! // In build.rs, `fn main()` calls:
//! cohort::build::bundle_rules("experiments");
//! ```
//!
//! A malformed rules file fails the build with its path, the place in it and the reason, so a
//! page never meets a bad rule at run time. The environment variable `COHORT_EXPERIMENTS`
//! names another directory to bundle instead (one build of an app for several rule sets).

use std::path::{Path, PathBuf};

use crate::compile::CompileOptions;
use crate::read::{bundle, files};
use crate::rules::Rules;

/// The file in `$OUT_DIR` holding the rules as a Rust expression of type `cohort::Rules`
/// (see [`crate::codegen`]).
pub const RULES_FILE: &str = "cohort_rules.rs";
/// The file in `$OUT_DIR` holding the rules with what analysis reads too (metrics, every
/// experiment setting): what a results page bundles ([`crate::codegen::Contents`]).
pub const RULES_ANALYSIS_FILE: &str = "cohort_rules_analysis.rs";
/// The file in `$OUT_DIR` holding the same rules as one merged Statsig spec file (JSON), for
/// tests and tools.
pub const RULES_JSON_FILE: &str = "cohort_rules.json";

/// Why bundling failed. Its `Display` is the message the build prints: every diagnostic with
/// its file and place, or what could not be read or written.
#[derive(Debug)]
#[non_exhaustive]
pub enum BundleError {
    /// The directory or a file in it could not be read.
    Read(String),
    /// The rules do not validate: one line per problem, each naming its file and place.
    Invalid {
        diagnostics: Vec<String>,
        errors: usize,
    },
    /// The rules use `str_matches` but the build lacks regular expressions.
    NeedsRegex,
    /// `$OUT_DIR` could not be written.
    Write(std::io::Error),
}

impl std::fmt::Display for BundleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BundleError::Read(why) => write!(f, "cannot read the rules: {why}"),
            BundleError::Invalid {
                diagnostics,
                errors,
            } => {
                for d in diagnostics {
                    writeln!(f, "{d}")?;
                }
                write!(f, "the rules are invalid ({errors} error(s) above)")
            }
            BundleError::NeedsRegex => write!(
                f,
                "the rules use str_matches, which needs regular expressions: enable the \
                 `regex` feature (cohort-leptos/regex) and build with `--features regex`"
            ),
            BundleError::Write(e) => write!(f, "cannot write the rules bundle: {e}"),
        }
    }
}

impl std::error::Error for BundleError {}

/// What a successful bundling wrote.
#[derive(Debug)]
pub struct Bundled {
    /// The compiled rules (to check what the app expects, e.g. that an experiment exists).
    pub rules: Rules,
    /// The rules' source files, as read.
    pub files: Vec<PathBuf>,
}

/// For a build script: compiles the rules in `dir` (relative to the package, or the directory
/// `COHORT_EXPERIMENTS` names) strictly and writes them into `$OUT_DIR`; on a bad rule prints
/// every problem with its file, place and reason and fails the build.
pub fn bundle_rules(dir: impl AsRef<Path>) {
    match try_bundle_rules(dir) {
        Ok(bundled) => {
            for file in &bundled.files {
                println!("cargo:rerun-if-changed={}", file.display());
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}

/// As [`bundle_rules`], returning the error instead of failing the build.
pub fn try_bundle_rules(dir: impl AsRef<Path>) -> Result<Bundled, BundleError> {
    let root = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    println!("cargo:rerun-if-env-changed=COHORT_EXPERIMENTS");
    let dir = match std::env::var_os("COHORT_EXPERIMENTS") {
        Some(dir) => PathBuf::from(dir),
        None => match &root {
            Some(root) => root.join(dir.as_ref()),
            None => dir.as_ref().to_path_buf(),
        },
    };
    println!("cargo:rerun-if-changed={}", dir.display());
    let out = std::env::var_os("OUT_DIR")
        .map(PathBuf::from)
        .ok_or_else(|| BundleError::Read("OUT_DIR is not set: call this from build.rs".into()))?;
    let regex = std::env::var_os("CARGO_FEATURE_REGEX").is_some();
    bundle_into(&dir, root.as_deref(), &out, regex)
}

/// Compiles the rules in `dir` (file names shown relative to `base`) and writes
/// [`RULES_FILE`], [`RULES_ANALYSIS_FILE`] and [`RULES_JSON_FILE`] into `out`. `regex`: whether the build that embeds
/// them has regular expressions.
pub fn bundle_into(
    dir: &Path,
    base: Option<&Path>,
    out: &Path,
    regex: bool,
) -> Result<Bundled, BundleError> {
    let sources = files::read_paths(std::slice::from_ref(&dir.to_path_buf()), base)
        .map_err(BundleError::Read)?;
    let inputs = files::as_files(&sources);
    let (json, rules) =
        bundle(&inputs, CompileOptions::STRICT).map_err(|diagnostics| BundleError::Invalid {
            diagnostics: diagnostics.0.iter().map(ToString::to_string).collect(),
            errors: diagnostics.errors().count(),
        })?;
    if rules.uses_regex() && !regex {
        return Err(BundleError::NeedsRegex);
    }
    use crate::codegen::{rust_source_of, Contents};
    std::fs::write(out.join(RULES_JSON_FILE), json)
        .and_then(|()| {
            std::fs::write(
                out.join(RULES_FILE),
                rust_source_of(&rules, Contents::Evaluation),
            )
        })
        .and_then(|()| {
            std::fs::write(
                out.join(RULES_ANALYSIS_FILE),
                rust_source_of(&rules, Contents::Analysis),
            )
        })
        .map_err(BundleError::Write)?;
    Ok(Bundled {
        rules,
        files: sources.iter().map(|s| s.path.clone()).collect(),
    })
}
