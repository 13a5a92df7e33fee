//! The user's variant of the course's experiment: evaluating `button_color_v3` with the engine
//! and reading its two parameters with the course's defaults.

use cohort::{Reason, Rules, StickyGroup, User};

use crate::colors::{ButtonColor, ColorError};

/// The experiment the page runs.
pub const EXPERIMENT: &str = "button_color_v3";
/// Its colour parameter and the course's default.
pub const COLOR_PARAM: &str = "Button Color";
pub const DEFAULT_COLOR_TEXT: &str = "blue";
/// Its text parameter and the course's default.
pub const TEXT_PARAM: &str = "Paragraph Text";
pub const DEFAULT_TEXT: &str = "Data Engineering Boot Camp";

/// How the group is chosen beside the rules.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Choice<'a> {
    /// A group QA forced (`?force`, the panel): shown, never logged.
    pub forced: Option<&'a str>,
    /// The group the user was first exposed to, kept for a sticky experiment.
    pub kept: Option<StickyGroup<'a>>,
}

/// What one user sees.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// The experiment group, when the user is in one.
    pub group: Option<String>,
    pub rule_id: String,
    pub reason: Reason,
    pub color: ButtonColor,
    /// Why the colour parameter was not used, if it was not.
    pub color_problem: Option<ColorError>,
    pub paragraph: String,
    /// The gates evaluated on the way, as (gate, value, rule ID): Statsig's secondary
    /// exposures, logged with the exposure.
    pub secondary_exposures: Vec<(String, bool, String)>,
}

impl Variant {
    /// Evaluates the experiment for `user_id` at `now_ms`; `None` rules give the defaults.
    pub fn assign(rules: Option<&Rules>, user_id: &str, now_ms: i64) -> Variant {
        Variant::choose(rules, user_id, now_ms, Choice::default())
    }

    /// As [`Variant::assign`], with a forced or kept group.
    pub fn choose(rules: Option<&Rules>, user_id: &str, now_ms: i64, choice: Choice) -> Variant {
        // `scripts/bench` builds the page once without the engine to measure its share.
        if cfg!(cohort_size_probe) {
            return Variant::defaults(Reason::Unrecognized);
        }
        let user = User::with_id(user_id);
        let Some(rules) = rules else {
            return Variant::defaults(Reason::Unrecognized);
        };
        let evaluator = rules.at(now_ms);
        let result = choice
            .forced
            .and_then(|group| evaluator.get_experiment_forced(&user, EXPERIMENT, group))
            .unwrap_or_else(|| evaluator.get_experiment_sticky(&user, EXPERIMENT, choice.kept));
        let (color, color_problem) =
            ButtonColor::parse_or_default(result.get(COLOR_PARAM, DEFAULT_COLOR_TEXT));
        Variant {
            group: result.group().map(str::to_owned),
            rule_id: result.rule_id.to_owned(),
            reason: result.reason,
            color,
            color_problem,
            paragraph: result.get(TEXT_PARAM, DEFAULT_TEXT).to_owned(),
            secondary_exposures: result
                .secondary_exposures
                .iter()
                .map(|e| (e.gate.to_owned(), e.gate_value, e.rule_id.to_owned()))
                .collect(),
        }
    }

    fn defaults(reason: Reason) -> Variant {
        let (color, color_problem) = ButtonColor::parse_or_default(DEFAULT_COLOR_TEXT);
        Variant {
            group: None,
            rule_id: String::new(),
            reason,
            color,
            color_problem,
            paragraph: DEFAULT_TEXT.to_owned(),
            secondary_exposures: Vec::new(),
        }
    }

    /// Whether QA forced the group (never logged).
    pub fn is_forced(&self) -> bool {
        self.reason == Reason::Forced
    }

    /// How the group is described on the page.
    pub fn group_label(&self) -> String {
        match (&self.group, self.reason) {
            (Some(group), _) => group.clone(),
            (None, Reason::Disabled) => "None (experiment disabled)".into(),
            (None, Reason::Unrecognized | Reason::Unsupported) => {
                "None (experiment not in the rules)".into()
            }
            (None, Reason::Error) => "None (evaluation error)".into(),
            (None, _) => "None (not allocated)".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cohort::CompileOptions;

    fn rules(json: &str) -> Rules {
        Rules::from_statsig_json(json, CompileOptions::STRICT).unwrap()
    }

    #[test]
    fn bundled_rules_give_one_of_four_groups() {
        let rules = rules(crate::bundle::BUNDLE_JSON);
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..200 {
            let v = Variant::assign(Some(&rules), &format!("user-{i}"), 0);
            let group = v.group.clone().expect("100% allocated");
            let expected = match group.as_str() {
                "Control" => "Blue",
                other => other,
            };
            assert_eq!(v.color.label(), expected);
            seen.insert(group);
        }
        assert_eq!(seen.len(), 4, "{seen:?}");
    }

    #[test]
    fn missing_rules_or_experiment_give_the_course_defaults() {
        for v in [
            Variant::assign(None, "u", 0),
            Variant::assign(Some(&rules("{}")), "u", 0),
        ] {
            assert_eq!(v.color.label(), "Blue");
            assert_eq!(v.paragraph, DEFAULT_TEXT);
            assert_eq!(v.group, None);
            assert_eq!(v.group_label(), "None (experiment not in the rules)");
        }
    }

    #[test]
    fn disabled_experiment_gives_its_default_value() {
        let json = crate::bundle::BUNDLE_JSON.replace("\"enabled\":true", "\"enabled\":false");
        let v = Variant::assign(Some(&rules(&json)), "u", 0);
        assert_eq!(v.reason, Reason::Disabled);
        assert_eq!(v.group, None);
        assert_eq!(v.color.label(), "Blue");
        assert_eq!(v.paragraph, DEFAULT_TEXT);
    }

    #[test]
    fn unallocated_users_get_defaults() {
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
        let v = Variant::assign(Some(&rules(&json)), "u", 0);
        assert_eq!(v.group, None);
        assert_eq!(v.rule_id, "layerAssignment");
        assert_eq!(v.group_label(), "None (not allocated)");
        assert_eq!(v.color.label(), "Blue");
    }

    #[test]
    fn bad_colour_parameter_falls_back_and_says_why() {
        let json = crate::bundle::BUNDLE_JSON.replace(
            "\"Button Color\":\"Red\"",
            "\"Button Color\":\"url(javascript:x)\"",
        );
        let rules = rules(&json);
        let red_user = (0..)
            .map(|i| format!("user-{i}"))
            .find(|id| Variant::assign(Some(&rules), id, 0).group.as_deref() == Some("Red"))
            .unwrap();
        let v = Variant::assign(Some(&rules), &red_user, 0);
        assert_eq!(v.color.label(), "Blue");
        assert!(v.color_problem.is_some());
    }
}
