//! Bundles the course's rules (`../experiments`, or the directory `COHORT_EXPERIMENTS` names):
//! the experiments the page lists when no collector answers, and the rules this browser's own
//! log is analysed with.

fn main() {
    cohort::build::bundle_rules("../experiments");
}
