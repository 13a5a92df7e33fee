//! Any bytes, read as a Statsig spec file and as TOML rules, in both modes: the compiler
//! returns rules or diagnostics, and never panics.
#![no_main]

use cohort::{CompileOptions, Rules};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for options in [CompileOptions::STRICT, CompileOptions::LENIENT] {
            let _ = Rules::from_statsig_json(text, options);
            let _ = Rules::from_toml(text, options);
        }
    }
});
