//! The experiment rules bundled into the Wasm at build time.
//!
//! `build.rs` validated `experiments/` strictly and compiled it to Rust
//! (`cohort::build::bundle_rules`), so the page carries no rules parser and cannot meet a
//! malformed rule at run time.

use cohort_leptos::{bundled_rules, Rules};

/// The bundled rules, built once.
pub fn rules() -> &'static Rules {
    bundled_rules!()
}

/// The same rules with the metrics and every experiment setting (what a results page bundles).
#[cfg(test)]
fn rules_for_analysis() -> &'static Rules {
    bundled_rules!(analysis)
}

/// The same rules as one Statsig spec file, for tests that compile variations of it.
pub const BUNDLE_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/cohort_rules.json"));

#[cfg(test)]
mod tests {
    use super::*;
    use cohort_leptos::engine::CompileOptions;

    #[test]
    fn generated_rules_equal_the_compiled_bundle() {
        let compiled = Rules::from_statsig_json(BUNDLE_JSON, CompileOptions::STRICT).unwrap();
        let generated = rules();
        assert!(!generated.specs().is_empty());
        // Everything but the file name, which the merged bundle no longer has.
        let mut specs = generated.specs().to_vec();
        for spec in &mut specs {
            assert_eq!(
                spec.file.as_deref(),
                Some("experiments/button_color_v3.json")
            );
            spec.file = None;
        }
        assert_eq!(format!("{specs:?}"), format!("{:?}", compiled.specs()));
        assert_eq!(generated.id_lists(), compiled.id_lists());
        assert_eq!(generated.app_id(), compiled.app_id());
        assert_eq!(generated.default_tier(), compiled.default_tier());
        // The page evaluates: its bundle leaves out the metrics and keeps the sticky version;
        // the analysis bundle has everything.
        assert!(
            generated.metrics().is_empty(),
            "the page's bundle has no metrics"
        );
        assert_eq!(
            generated.sticky_version("button_color_v3"),
            compiled.sticky_version("button_color_v3")
        );
        let analysis = rules_for_analysis();
        assert!(
            !analysis.metrics().is_empty(),
            "the analysis bundle has metrics"
        );
        assert_eq!(analysis.metrics(), compiled.metrics());
        assert_eq!(analysis.declared_settings(), compiled.declared_settings());
        assert_eq!(
            format!("{:?}", analysis.specs()),
            format!("{:?}", generated.specs())
        );
        // The generated table has exactly the operators the rules use (the compiled rules
        // carry all of them).
        assert_eq!(
            generated.operators().kinds().collect::<Vec<_>>(),
            compiled.operator_kinds()
        );
        assert!(generated.operator_kinds().len() < compiled.operators().kinds().count());
    }
}
