//! Sticky assignment: users keep the group they were first exposed to through a change of
//! allocation or weights, lose it when the version is bumped, and without a kept group (or on
//! an experiment that is not sticky) get exactly Statsig's evaluation.

use cohort::{CompileOptions, Reason, Rules, StickyGroup, User};

/// The experiment with `allocation` percent of users, `red` percent of them Red, sticky at
/// `version` (none: not sticky).
fn rules(allocation: u32, red: u32, version: Option<u32>) -> Rules {
    let sticky = version.map_or(String::new(), |v| format!("sticky = {v}"));
    let text = format!(
        r#"
[[experiment]]
name = "e"
salt = "e-salt"
layer_salt = "e-layer"
allocation = {allocation}
{sticky}

[experiment.defaults]
"Button Color" = "Blue"

[[experiment.groups]]
name = "Control"
id = "control-rule"
weight = {control}

[[experiment.groups]]
name = "Red"
id = "red-rule"
weight = {red}
params = {{ "Button Color" = "Red" }}
"#,
        control = 100 - red
    );
    Rules::from_toml(&text, CompileOptions::STRICT).unwrap()
}

const USERS: usize = 4000;

fn user(n: usize) -> User {
    User::with_id(format!("user-{n}"))
}

/// Each user's group under `rules` without anything kept.
fn groups(rules: &Rules) -> Vec<Option<String>> {
    (0..USERS)
        .map(|n| {
            rules
                .at(0)
                .get_experiment(&user(n), "e")
                .group()
                .map(str::to_owned)
        })
        .collect()
}

#[test]
fn raising_the_allocation_moves_nobody_already_exposed() {
    let before = groups(&rules(50, 50, Some(1)));
    let after = rules(100, 50, Some(1));
    let exposed = before.iter().filter(|g| g.is_some()).count();
    assert!((1700..2300).contains(&exposed), "{exposed}");
    let mut newcomers = 0;
    for (n, kept) in before.iter().enumerate() {
        let kept = kept
            .as_deref()
            .map(|group| StickyGroup { version: 1, group });
        let e = after.at(0).get_experiment_sticky(&user(n), "e", kept);
        match kept {
            Some(kept) => assert_eq!(e.group(), Some(kept.group), "user-{n}"),
            None => {
                newcomers += 1;
                let fresh = after.at(0).get_experiment(&user(n), "e");
                assert_eq!(e.group(), fresh.group(), "user-{n}: Statsig's, untouched");
                assert_eq!(e.reason, fresh.reason);
            }
        }
    }
    assert_eq!(newcomers, USERS - exposed);
}

#[test]
fn changing_the_weights_keeps_groups_with_their_values() {
    let before = groups(&rules(100, 50, Some(1)));
    let after = rules(100, 90, Some(1));
    let plain = groups(&after);
    let moved = (0..USERS).filter(|&n| before[n] != plain[n]).count();
    assert!(moved > USERS / 10, "the new weights move users: {moved}");
    for (n, kept) in before.iter().enumerate() {
        let group = kept.as_deref().unwrap();
        let e = after.at(0).get_experiment_sticky(
            &user(n),
            "e",
            Some(StickyGroup { version: 1, group }),
        );
        assert_eq!(e.group(), Some(group));
        let color = e.get("Button Color", "none");
        assert_eq!(color, if group == "Red" { "Red" } else { "Blue" });
        assert_eq!(
            e.rule_id,
            if group == "Red" {
                "red-rule"
            } else {
                "control-rule"
            }
        );
        let expected = if plain[n] == before[n] {
            Reason::Matched
        } else {
            Reason::Sticky
        };
        assert_eq!(e.reason, expected, "user-{n}");
    }
}

#[test]
fn a_new_version_reassigns_everyone() {
    let before = groups(&rules(100, 50, Some(1)));
    let bumped = rules(100, 90, Some(2));
    for (n, kept) in before.iter().enumerate() {
        let kept = Some(StickyGroup {
            version: 1,
            group: kept.as_deref().unwrap(),
        });
        let e = bumped.at(0).get_experiment_sticky(&user(n), "e", kept);
        let fresh = bumped.at(0).get_experiment(&user(n), "e");
        assert_eq!((e.group(), e.reason), (fresh.group(), fresh.reason));
    }
}

#[test]
fn without_stickiness_or_a_known_group_evaluation_is_statsigs() {
    let not_sticky = rules(100, 90, None);
    let sticky = rules(100, 90, Some(1));
    for n in 0..USERS {
        let fresh = not_sticky.at(0).get_experiment(&user(n), "e");
        for (rules, kept) in [
            (
                &not_sticky,
                Some(StickyGroup {
                    version: 1,
                    group: "Control",
                }),
            ),
            (
                &sticky,
                Some(StickyGroup {
                    version: 1,
                    group: "Purple",
                }),
            ),
            (&sticky, None),
        ] {
            let e = rules.at(0).get_experiment_sticky(&user(n), "e", kept);
            assert_eq!(
                (e.group(), e.reason, e.rule_id),
                (fresh.group(), fresh.reason, fresh.rule_id)
            );
        }
    }
    // A missing experiment stays missing.
    let e = sticky.at(0).get_experiment_sticky(
        &user(0),
        "nope",
        Some(StickyGroup {
            version: 1,
            group: "Red",
        }),
    );
    assert_eq!(e.reason, Reason::Unrecognized);
}

#[test]
fn forcing_gives_the_named_group_to_anyone_and_nothing_for_unknown_groups() {
    let rules = rules(50, 50, None);
    for n in 0..200 {
        let fresh = rules.at(0).get_experiment(&user(n), "e");
        for group in ["Control", "Red"] {
            let forced = rules
                .at(0)
                .get_experiment_forced(&user(n), "e", group)
                .expect("the experiment has the group");
            assert_eq!(forced.group(), Some(group));
            assert_eq!(forced.reason, Reason::Forced);
            let color = if group == "Red" { "Red" } else { "Blue" };
            assert_eq!(forced.get("Button Color", "?"), color);
            assert_eq!(
                forced.rule_id,
                if group == "Red" {
                    "red-rule"
                } else {
                    "control-rule"
                }
            );
            // Forcing reads the rules; it changes nothing for the next evaluation.
            assert_eq!(rules.at(0).get_experiment(&user(n), "e"), fresh);
        }
    }
    assert!(rules
        .at(0)
        .get_experiment_forced(&user(0), "e", "Purple")
        .is_none());
    assert!(rules
        .at(0)
        .get_experiment_forced(&user(0), "nope", "Red")
        .is_none());
}
