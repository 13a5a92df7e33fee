//! Build script: compiles the bundled rules in `experiments/` with the engine, strictly, and
//! writes them as Rust (`rules.rs`, see `cohort::codegen`) for `src/bundle.rs` to embed in the
//! Wasm, and as one merged Statsig spec file (`rules.json`, for the native tests).
//!
//! A malformed rules file fails the build (and so `trunk build`) with its path, the place in
//! it and the reason. `COHORT_EXPERIMENTS` names another directory to bundle.

use std::path::PathBuf;

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let dir = match std::env::var_os("COHORT_EXPERIMENTS") {
        Some(dir) => PathBuf::from(dir),
        None => root.join("experiments"),
    };
    println!("cargo:rerun-if-env-changed=COHORT_EXPERIMENTS");
    println!("cargo:rerun-if-changed={}", dir.display());

    let sources = match cohort::read::files::read_paths(std::slice::from_ref(&dir), Some(&root)) {
        Ok(sources) => sources,
        Err(e) => fail(&e),
    };
    for source in &sources {
        println!("cargo:rerun-if-changed={}", source.path.display());
    }
    let files = cohort::read::files::as_files(&sources);

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

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}
