//! Rules that compile (leniently) are evaluated for users made of the same bytes: evaluation
//! never panics, whatever the spec and the user.
#![no_main]

use cohort::{CompileOptions, Rules, User};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (spec, user) = text.split_once('\u{1}').unwrap_or((text, "{\"userID\": \"u\"}"));
    let Ok(rules) = Rules::from_statsig_json(spec, CompileOptions::LENIENT) else {
        return;
    };
    let user: User = serde_json::from_str(user).unwrap_or_else(|_| User::with_id(user));
    let _ = rules.at(1_764_000_000_000).snapshot(&user);
});
