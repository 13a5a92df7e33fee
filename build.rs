//! Build script: compiles the bundled rules in `experiments/` strictly into `$OUT_DIR`
//! (`cohort::build::bundle_rules`). A malformed rules file fails the build (and so
//! `trunk build`) with its path, the place in it and the reason. `COHORT_EXPERIMENTS` names
//! another directory to bundle.

fn main() {
    match cohort::build::try_bundle_rules("experiments") {
        Ok(bundled) => {
            for file in &bundled.files {
                println!("cargo:rerun-if-changed={}", file.display());
            }
            if bundled
                .rules
                .spec(cohort::SpecKind::Config, "button_color_v3")
                .is_none()
            {
                println!(
                    "cargo:warning=the rules have no button_color_v3: the page will show the \
                     course's defaults"
                );
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
