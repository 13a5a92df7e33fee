//! The hand-written TOML format: it compiles into Statsig's encoding, so the course's example
//! assigns every user as the bundled Statsig spec file does, and its mistakes are reported
//! with the file, the line and the reason.

use std::path::Path;

use cohort::{compile, CompileOptions, Format, Rules, RulesFile, User};

fn repo_file(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn toml_errors(text: &str) -> String {
    let file = RulesFile {
        name: "x.toml",
        text,
        format: Format::Toml,
    };
    match compile(&[file], CompileOptions::STRICT) {
        Ok(_) => panic!("expected errors for:\n{text}"),
        Err(d) => d.to_string(),
    }
}

#[test]
fn the_course_example_assigns_exactly_as_the_statsig_file() {
    let toml = Rules::from_toml(
        &repo_file("experiments/examples/button_color_v3.toml"),
        CompileOptions::STRICT,
    )
    .unwrap();
    let json = Rules::from_statsig_json(
        &repo_file("experiments/button_color_v3.json"),
        CompileOptions::STRICT,
    )
    .unwrap();
    assert_eq!(toml.metrics(), json.metrics(), "the same metrics");
    assert_eq!(
        toml.experiment_settings("button_color_v3"),
        json.experiment_settings("button_color_v3")
    );
    let (a, b) = (toml.at(0), json.at(0));
    for i in 0..20_000 {
        let user = User::with_id(format!("user-{i}"));
        assert_eq!(a.snapshot(&user), b.snapshot(&user), "user-{i}");
    }
}

#[test]
fn allocation_layers_targeting_holdout_and_schedule() {
    let rules = Rules::from_toml(
        r#"
        [[gate]]
        name = "holdout"
        rules = [{ id = "ten", pass = 10 }]

        [[layer]]
        name = "landing"
        salt = "layer-salt"

        [[experiment]]
        name = "a"
        layer = "landing"
        allocation = 40
        holdout = "holdout"
        targeting = [{ field = "country", op = "any", value = ["US", "CA"] }]
        defaults = { v = "default" }
        groups = [{ name = "Control", weight = 50 }, { name = "T", weight = 50, params = { v = "t" } }]

        [[experiment]]
        name = "b"
        layer = "landing"
        allocation = 60
        start = 2026-01-01T00:00:00Z
        end = "2026-12-31T00:00:00Z"
        defaults = { v = "default" }
        groups = [{ name = "Control", weight = 100 }]
        "#,
        CompileOptions::STRICT,
    )
    .unwrap();
    let mut in_a = 0;
    let mut in_b = 0;
    let jan_2027 = 1_798_761_600_000;
    let dec_2025 = 1_764_547_200_000;
    let june_2026 = 1_781_000_000_000;
    for i in 0..4000 {
        let mut user = User::with_id(format!("u{i}"));
        user.country = Some("US".into());
        let now = rules.at(june_2026);
        let a = now.get_experiment(&user, "a");
        let b = now.get_experiment(&user, "b");
        let layer = now.get_layer(&user, "landing");
        assert!(
            !(a.is_experiment_group && b.is_experiment_group),
            "layers are exclusive"
        );
        if a.is_experiment_group {
            in_a += 1;
            assert_eq!(layer.allocated_experiment, Some("a"));
            assert_eq!(layer.rule_id, a.rule_id);
        }
        if b.is_experiment_group {
            in_b += 1;
            assert_eq!(layer.allocated_experiment, Some("b"));
            assert!(
                !rules
                    .at(jan_2027)
                    .get_experiment(&user, "b")
                    .is_experiment_group
            );
            assert!(
                !rules
                    .at(dec_2025)
                    .get_experiment(&user, "b")
                    .is_experiment_group
            );
        }
        let mut elsewhere = user.clone();
        elsewhere.country = Some("FR".into());
        assert!(
            !now.get_experiment(&elsewhere, "a").is_experiment_group,
            "targeting"
        );
    }
    // 40% of the layer, minus a 10% holdout; 60% of the layer.
    assert!((1300..1580).contains(&in_a), "{in_a}");
    assert!((2250..2550).contains(&in_b), "{in_b}");
}

#[test]
fn mistakes_name_the_file_the_line_and_the_reason() {
    let weights = toml_errors(
        "[[experiment]]\nname = \"e\"\ngroups = [{ name = \"A\", weight = 50 }, { name = \"B\", weight = 40 }]\n",
    );
    assert!(
        weights
            .contains("x.toml: line 1: experiment \"e\": the group weights add up to 90, not 100"),
        "{weights}"
    );

    let op = toml_errors(
        "[[gate]]\nname = \"g\"\n\n[[gate.rules]]\nwhen = [{ field = \"email\", op = \"ends_with\", value = [\"@x\"] }]\n",
    );
    assert!(op.contains("x.toml: line 5: gate \"g\" > rule \"rule1\" > condition: unknown operator \"ends_with\""), "{op}");

    let syntax = toml_errors("[[experiment]]\nname = \"e\"\ngroups = [\n");
    assert!(
        syntax.contains("x.toml: line 3: not valid rules TOML"),
        "{syntax}"
    );

    let unknown_key = toml_errors("[[experiment]]\nname = \"e\"\nweight = 3\ngroups = []\n");
    assert!(
        unknown_key.contains("unknown field `weight`"),
        "{unknown_key}"
    );

    let missing_gate = toml_errors(
        "[[experiment]]\nname = \"e\"\nholdout = \"nope\"\ngroups = [{ name = \"A\", weight = 100 }]\n",
    );
    assert!(
        missing_gate.contains("x.toml: line 1: experiment \"e\""),
        "{missing_gate}"
    );
    assert!(
        missing_gate.contains("gate \"nope\" does not exist"),
        "{missing_gate}"
    );

    let param = toml_errors(
        "[[experiment]]\nname = \"e\"\ndefaults = { a = 1 }\ngroups = [{ name = \"A\", weight = 100, params = { b = 2 } }]\n",
    );
    assert!(
        param.contains("parameter \"b\" is not in the experiment's defaults"),
        "{param}"
    );

    let full_layer = toml_errors(
        "[[layer]]\nname = \"l\"\n[[experiment]]\nname = \"a\"\nlayer = \"l\"\nallocation = 70\ngroups = [{ name = \"A\", weight = 100 }]\n[[experiment]]\nname = \"b\"\nlayer = \"l\"\nallocation = 40\ngroups = [{ name = \"A\", weight = 100 }]\n",
    );
    assert!(
        full_layer
            .contains("line 8: experiment \"b\": the experiments of layer \"l\" take 110% of it"),
        "{full_layer}"
    );

    let cycle = toml_errors(
        "[[gate]]\nname = \"a\"\nrules = [{ when = [{ gate = \"b\" }] }]\n[[gate]]\nname = \"b\"\nrules = [{ when = [{ not_gate = \"a\" }] }]\n",
    );
    assert!(
        cycle.contains("cycle between gates: gate \"a\" -> gate \"b\" -> gate \"a\""),
        "{cycle}"
    );

    let time = toml_errors(
        "[[experiment]]\nname = \"e\"\nstart = 2026-01-01\ngroups = [{ name = \"A\", weight = 100 }]\n",
    );
    assert!(time.contains("line 3: experiment \"e\" > start"), "{time}");
}
