//! Build script: compiles the bundled rules in `experiments/` with the engine, strictly, and
//! writes them as Rust (`rules.rs`, see `cohort::codegen`) for `src/bundle.rs` to embed in the
//! Wasm, and as one merged Statsig spec file (`rules.json`, for the native tests).
//!
//! A malformed rules file fails the build (and so `trunk build`) with its path, the place in
//! it and the reason. `COHORT_EXPERIMENTS` names another directory to bundle.

use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let dir = match std::env::var_os("COHORT_EXPERIMENTS") {
        Some(dir) => PathBuf::from(dir),
        None => root.join("experiments"),
    };
    println!("cargo:rerun-if-env-changed=COHORT_EXPERIMENTS");
    println!("cargo:rerun-if-changed={}", dir.display());

    let mut paths: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect(),
        Err(e) => fail(&format!("cannot read {}: {e}", dir.display())),
    };
    paths.sort();

    let mut sources = Vec::new();
    for path in &paths {
        let name = relative(&root, path);
        let Some(format) = cohort::Format::from_path(&name) else {
            continue;
        };
        match std::fs::read_to_string(path) {
            Ok(text) => sources.push((name, text, format)),
            Err(e) => fail(&format!("cannot read {name}: {e}")),
        }
    }
    let files: Vec<cohort::RulesFile<'_>> = sources
        .iter()
        .map(|(name, text, format)| cohort::RulesFile {
            name,
            text,
            format: *format,
        })
        .collect();

    match cohort::bundle(&files, cohort::CompileOptions::STRICT) {
        Ok((json, rules)) => {
            if rules
                .spec(cohort::SpecKind::Config, "button_color_v3")
                .is_none()
            {
                println!(
                    "cargo:warning=experiments/ has no button_color_v3: the page will show the \
                     defaults"
                );
            }
            if rules.uses_regex() && std::env::var_os("CARGO_FEATURE_REGEX").is_none() {
                fail(
                    "the rules in experiments/ use str_matches, which needs regular \
                     expressions: build with `--features regex`",
                );
            }
            let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
            let written = std::fs::write(out.join("rules.json"), json).and_then(|()| {
                std::fs::write(out.join("rules.rs"), cohort::codegen::rust_source(&rules))
            });
            if let Err(e) = written {
                fail(&format!("cannot write the rules bundle: {e}"));
            }
        }
        Err(diagnostics) => {
            for d in &diagnostics.0 {
                eprintln!("{d}");
            }
            fail(&format!(
                "the rules in experiments/ are invalid ({} error(s) above)",
                diagnostics.errors().count()
            ));
        }
    }
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}
