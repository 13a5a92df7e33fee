//! The course's experiment as the page shows it: `button_color_v3`'s two parameters with the
//! course's defaults, the button colour they give, and how the group is described.

use cohort_leptos::engine::Evaluation;
use cohort_leptos::{console, Experiment};
use leptos::prelude::*;
use leptos::reactive::effect::RenderEffect;

use crate::colors::ButtonColor;

pub use cohort_course::{
    group_label, COLOR_PARAM, DEFAULT_COLOR_TEXT, DEFAULT_TEXT, EXPERIMENT, EXPERIMENT_TAG,
    TEXT_PARAM,
};

/// What the user sees of the course's experiment: its evaluation, a memo that follows the
/// user and the forced group (a small `Copy` handle), read with Statsig's typed get and the
/// course's defaults.
#[derive(Debug, Clone, Copy)]
pub struct Course {
    evaluation: Memo<Evaluation<'static>>,
}

impl Course {
    /// The course's view of `experiment`. A colour parameter that is not a colour gives the
    /// default blue, and the console says why whenever it is shown.
    pub fn of(experiment: &Experiment) -> Course {
        let course = Course {
            evaluation: experiment.evaluation(),
        };
        let warning = RenderEffect::new(move |_| {
            let text = course.color_text();
            if let Err(problem) = ButtonColor::parse(&text) {
                console::warn(&problem.to_string());
            }
        });
        on_cleanup(move || drop(warning));
        course
    }

    /// The "Button Color" parameter, as text (tracked).
    pub fn color_text(self) -> String {
        self.evaluation
            .with(|e| e.get(COLOR_PARAM, DEFAULT_COLOR_TEXT).to_owned())
    }

    /// The button's colour (tracked): the default blue for a value that is not a colour.
    pub fn color(self) -> ButtonColor {
        self.evaluation
            .with(|e| ButtonColor::parse_or_default(e.get(COLOR_PARAM, DEFAULT_COLOR_TEXT)).0)
    }

    /// The paragraph (tracked).
    pub fn paragraph(self) -> String {
        self.evaluation
            .with(|e| e.get(TEXT_PARAM, DEFAULT_TEXT).to_owned())
    }

    /// The group, or why there is none, in words (tracked).
    pub fn group_label(self) -> String {
        self.evaluation.with(|e| group_label(e.group(), e.reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cohort_leptos::engine::{CompileOptions, Evaluation, Rules, User};

    fn rules(json: &str) -> Rules {
        Rules::from_statsig_json(json, CompileOptions::STRICT).unwrap()
    }

    /// The course's colour, text and label for `user` under `rules`, read as the page reads
    /// them (Statsig's typed get with the course's defaults).
    fn shown(rules: &Rules, user: &str) -> (ButtonColor, String, String) {
        let e: Evaluation = rules.at(0).get_experiment(&User::with_id(user), EXPERIMENT);
        let (color, _) = ButtonColor::parse_or_default(e.get(COLOR_PARAM, DEFAULT_COLOR_TEXT));
        (
            color,
            e.get(TEXT_PARAM, DEFAULT_TEXT).to_owned(),
            group_label(e.group(), e.reason),
        )
    }

    #[test]
    fn each_of_the_four_groups_shows_its_own_colour() {
        let rules = rules(crate::bundle::BUNDLE_JSON);
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..200 {
            let (color, _, label) = shown(&rules, &format!("user-{i}"));
            let expected = match label.as_str() {
                "Control" => "Blue",
                other => other,
            };
            assert_eq!(color.label(), expected);
            seen.insert(label);
        }
        assert_eq!(
            seen.into_iter().collect::<Vec<_>>(),
            ["Control", "Green", "Orange", "Red"]
        );
    }

    #[test]
    fn without_the_experiment_the_course_defaults_show_and_say_why() {
        let (color, text, label) = shown(&rules("{}"), "u");
        assert_eq!(color.label(), "Blue");
        assert_eq!(text, DEFAULT_TEXT);
        assert_eq!(label, "None (experiment not in the rules)");
    }

    #[test]
    fn a_disabled_experiment_shows_its_default_value_and_says_so() {
        let json = crate::bundle::BUNDLE_JSON.replace("\"enabled\":true", "\"enabled\":false");
        assert_ne!(json, crate::bundle::BUNDLE_JSON);
        let (color, text, label) = shown(&rules(&json), "u");
        assert_eq!(color.label(), "Blue");
        assert_eq!(text, DEFAULT_TEXT);
        assert_eq!(label, "None (experiment disabled)");
    }

    #[test]
    fn unallocated_users_see_the_defaults_and_are_in_no_group() {
        // Allocate nobody: `none` of an empty allocation matches every user, who then gets
        // the layerAssignment rule's default value.
        let json = crate::bundle::BUNDLE_JSON.replacen(
            "\"operator\":\"any\",\"targetValue\":[-1]",
            "\"operator\":\"none\",\"targetValue\":[]",
            1,
        );
        assert_ne!(
            json,
            crate::bundle::BUNDLE_JSON,
            "the bundle has a layerAssignment rule"
        );
        let (color, _, label) = shown(&rules(&json), "u");
        assert_eq!(label, "None (not allocated)");
        assert_eq!(color.label(), "Blue");
    }

    #[test]
    fn a_bad_colour_parameter_falls_back_to_blue_with_a_reason_naming_the_value() {
        let json = crate::bundle::BUNDLE_JSON.replace(
            "\"Button Color\":\"Red\"",
            "\"Button Color\":\"url(javascript:x)\"",
        );
        let rules = rules(&json);
        let red_user = (0..)
            .map(|i| format!("user-{i}"))
            .find(|id| shown(&rules, id).2 == "Red")
            .unwrap();
        let e = rules
            .at(0)
            .get_experiment(&User::with_id(&red_user), EXPERIMENT);
        let (color, problem) =
            ButtonColor::parse_or_default(e.get(COLOR_PARAM, DEFAULT_COLOR_TEXT));
        assert_eq!(color.label(), "Blue");
        let problem = problem.expect("a reason").to_string();
        assert!(problem.contains("url(javascript:x)"), "{problem}");
    }
}
