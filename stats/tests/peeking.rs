//! Why the live page reads sequential results: A/A experiments (no true difference), watched
//! after every batch of users, stopped the first time p < 0.05. With the fixed-horizon test
//! far more than 5% of them "find" an effect; with sequential testing (GrowthBook's confidence
//! sequences) at most 5% do, however often they are looked at. Seeded: every run draws the
//! same experiments.

use cohort_stats::compare::{compare, Options};
use cohort_stats::ArmStats;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

const EXPERIMENTS: usize = 1000;
const LOOKS: usize = 40;
const USERS_PER_LOOK: u64 = 250;
const RATE: f64 = 0.1;

#[test]
fn watching_a_fixed_horizon_test_inflates_false_positives_and_sequential_does_not() {
    let mut rng = StdRng::seed_from_u64(20_261_126);
    let options = Options::default();
    let (mut fixed_found, mut sequential_found) = (0, 0);
    for _ in 0..EXPERIMENTS {
        let (mut a, mut b) = ((0u64, 0u64), (0u64, 0u64));
        let (mut fixed, mut sequential) = (false, false);
        for _ in 0..LOOKS {
            for arm in [&mut a, &mut b] {
                arm.0 += USERS_PER_LOOK;
                arm.1 += (0..USERS_PER_LOOK)
                    .filter(|_| rng.random::<f64>() < RATE)
                    .count() as u64;
            }
            let c = compare(
                &ArmStats::proportion(a.0, a.1),
                &ArmStats::proportion(b.0, b.1),
                &options,
            );
            fixed |= c.fixed.relative.error.is_none() && c.fixed.relative.p_value < 0.05;
            sequential |=
                c.sequential.relative.error.is_none() && c.sequential.relative.p_value < 0.05;
        }
        fixed_found += usize::from(fixed);
        sequential_found += usize::from(sequential);
    }
    let share = |n: usize| n as f64 / EXPERIMENTS as f64;
    println!(
        "{EXPERIMENTS} A/A experiments at {}% conversion, looked at {LOOKS} times (every {USERS_PER_LOOK} \
         users a group, up to {}): p < 0.05 at some look in {:.1}% with the fixed-horizon test, \
         {:.1}% with sequential testing",
        RATE * 100.0,
        LOOKS as u64 * USERS_PER_LOOK,
        100.0 * share(fixed_found),
        100.0 * share(sequential_found)
    );
    assert!(
        share(fixed_found) > 0.12,
        "peeking at the fixed test: {}",
        share(fixed_found)
    );
    assert!(
        share(sequential_found) <= 0.05,
        "sequential: {}",
        share(sequential_found)
    );
}
