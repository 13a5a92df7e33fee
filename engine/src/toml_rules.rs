//! Cohort's hand-written rules format (TOML), translated into Statsig's spec shape.

use crate::compile::{Diagnostics, Input, Location, RulesFile};

pub(crate) fn read(file: &RulesFile<'_>, _input: &mut Input, diagnostics: &mut Diagnostics) {
    diagnostics.error(
        Location::file(file.name),
        "TOML rules are not implemented yet",
    );
}
