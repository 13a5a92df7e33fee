//! Compiles ./experiments strictly into $OUT_DIR (errors name the file, the place and the reason).
fn main() {
    cohort::build::bundle_rules("experiments")
}
