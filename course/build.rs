//! Build script: compiles the course's rules in `experiments/` (the repository's, beside this
//! crate) strictly into `$OUT_DIR`, for the first paint (`cohort::build::bundle_rules`); the
//! app's own build script bundles the same files.

fn main() {
    cohort::build::bundle_rules("../experiments");
}
