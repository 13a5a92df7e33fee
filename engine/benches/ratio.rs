//! The speed gate `scripts/bench` applies: what a `button_color_v3` evaluation costs, in
//! SHA-256 hashes of the same `salt.user_id` input (an evaluation hashes twice), measured in
//! the same run. The two are timed in alternating rounds and each keeps its best round, so a
//! load on the machine during one of them does not skew the ratio. Fails past
//! [`MAX_RATIO`], twice the ratio measured when it was set; absolute times are only reported.

use std::hint::black_box;
use std::time::{Duration, Instant};

use cohort::{hash, CompileOptions, Rules, User};

/// 1.47 since a bucket condition every bucket answers alike is folded at compile time (2.48
/// before, 2026-12), 1.42-1.44 since a bucket is compared without an `i128` conversion; twice
/// 1.47, with a little headroom, fails.
const MAX_RATIO: f64 = 3.0;
const ROUNDS: usize = 15;
const PER_ROUND: usize = 50_000;

fn main() {
    let rules = Rules::from_statsig_json(
        include_str!("../../experiments/button_color_v3.json"),
        CompileOptions::STRICT,
    )
    .expect("the bundled rules compile");
    let ids: Vec<String> = (0..1024)
        .map(|i| format!("5b0c1e2d-3f4a-4b5c-8d6e-{i:012}"))
        .collect();
    let users: Vec<User> = ids.iter().cloned().map(User::with_id).collect();
    let evaluator = rules.at(0);
    let salt = "0ae71c5f-39e1-9109-5278-da7bb8a0aece";

    let (mut sha, mut eval) = (Duration::MAX, Duration::MAX);
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for i in 0..PER_ROUND {
            black_box(hash::hash_joined(&[salt, &ids[i & 1023]]));
        }
        sha = sha.min(start.elapsed());
        let start = Instant::now();
        for i in 0..PER_ROUND {
            black_box(
                evaluator
                    .get_experiment(&users[i & 1023], "button_color_v3")
                    .rule_id,
            );
        }
        eval = eval.min(start.elapsed());
    }
    let per = |d: Duration| d.as_nanos() as f64 / PER_ROUND as f64;
    let ratio = per(eval) / per(sha);
    println!(
        "ratio: an evaluation takes {:.1} ns, SHA-256 of its input {:.1} ns: {ratio:.2} hashes (at most {MAX_RATIO})",
        per(eval),
        per(sha)
    );
    if ratio > MAX_RATIO {
        eprintln!("bench: an evaluation costs {ratio:.2} SHA-256 hashes, more than {MAX_RATIO}");
        std::process::exit(1);
    }
}
