//! Evaluation speed, read as a ratio to the hash it is built on:
//! - `sha256/salt_and_id`: SHA-256 of one `salt.user_id` input (an evaluation needs two);
//! - `button_color_v3/get_experiment`: the course's experiment for one user;
//! - `spec_file/snapshot`: every gate, config and layer of the course's reference spec file
//!   (`tests/vectors/statsig.json`: 2 gates, 4 experiments, a layer) for one user.
//!
//! `scripts/bench` runs this and reports the figures; the gate is `benches/ratio.rs`.

use std::hint::black_box;
use std::time::Duration;

use cohort::{hash, CompileOptions, Rules, User};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const BUTTON_COLOR: &str = include_str!("../../experiments/button_color_v3.json");
const SPEC_FILE: &str = include_str!("../tests/vectors/statsig.json");

fn users() -> Vec<User> {
    (0..1024)
        .map(|i| User::with_id(format!("5b0c1e2d-3f4a-4b5c-8d6e-{i:012}")))
        .collect()
}

fn benches(c: &mut Criterion) {
    let users = users();

    let mut group = c.benchmark_group("sha256");
    group.throughput(Throughput::Elements(1));
    let salt = "0ae71c5f-39e1-9109-5278-da7bb8a0aece";
    let mut i = 0;
    group.bench_function("salt_and_id", |b| {
        b.iter(|| {
            i = (i + 1) & 1023;
            black_box(hash::hash_joined(&[
                salt,
                users[i].user_id.as_deref().unwrap(),
            ]))
        })
    });
    group.finish();

    let rules = Rules::from_statsig_json(BUTTON_COLOR, CompileOptions::STRICT).unwrap();
    let evaluator = rules.at(0);
    let mut group = c.benchmark_group("button_color_v3");
    group.throughput(Throughput::Elements(1));
    let mut i = 0;
    group.bench_function("get_experiment", |b| {
        b.iter(|| {
            i = (i + 1) & 1023;
            black_box(
                evaluator
                    .get_experiment(&users[i], "button_color_v3")
                    .rule_id,
            )
        })
    });
    group.finish();

    let spec_file = Rules::from_statsig_json(SPEC_FILE, CompileOptions::LENIENT).unwrap();
    let evaluator = spec_file.at(0);
    let mut group = c.benchmark_group("spec_file");
    group.throughput(Throughput::Elements(1));
    let mut i = 0;
    group.bench_function("snapshot", |b| {
        b.iter(|| {
            i = (i + 1) & 1023;
            black_box(evaluator.snapshot(&users[i]))
        })
    });
    group.finish();
}

criterion_group! {
    name = eval;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = benches
}
criterion_main!(eval);
