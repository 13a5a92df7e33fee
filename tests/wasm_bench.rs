//! The engine's speed in the browser: `button_color_v3` evaluations per second in Wasm in
//! headless Chrome, built as the page is (`--profile wasm-release`). The budget is 500,000 a
//! second; `scripts/bench` runs this with `--nocapture` to print the figure.

#![cfg(target_arch = "wasm32")]

use cohort::User;
use cohort_app::bundle::bundled_rules;
use std::hint::black_box;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const BUDGET_PER_SECOND: f64 = 500_000.0;

fn now_ms() -> f64 {
    web_sys::window().unwrap().performance().unwrap().now()
}

#[wasm_bindgen_test]
fn button_color_v3_evaluations_per_second() {
    let users: Vec<User> = (0..1024)
        .map(|i| User::with_id(format!("5b0c1e2d-3f4a-4b5c-8d6e-{i:012}")))
        .collect();
    let evaluator = bundled_rules().at(0);
    let run = |n: usize| {
        for i in 0..n {
            black_box(
                evaluator
                    .get_experiment(&users[i & 1023], "button_color_v3")
                    .rule_id,
            );
        }
    };
    run(20_000); // warm up
    let mut best = 0.0_f64;
    for _ in 0..5 {
        let n = 200_000;
        let start = now_ms();
        run(n);
        let seconds = (now_ms() - start) / 1000.0;
        best = best.max(n as f64 / seconds);
    }
    web_sys::console::log_1(
        &format!("wasm: {best:.0} button_color_v3 evaluations per second (budget {BUDGET_PER_SECOND:.0})").into(),
    );
    assert!(
        best >= BUDGET_PER_SECOND,
        "{best:.0} evaluations per second is below the budget"
    );
}
