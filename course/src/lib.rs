//! The course page's model, with no UI framework: what the page and its first paint share.
//! The course's experiment and how its group is described (here), the button colour its
//! parameter gives ([`colors`]), its routes' paths ([`route`]) and the first paint
//! ([`first_paint`], with the `first-paint` binary). The page's views are `cohort-app`'s.

pub mod colors;
pub mod first_paint;
pub mod route;

use cohort_browser::Reason;

/// The experiment the page runs.
pub const EXPERIMENT: &str = "button_color_v3";
/// How the page's header names it.
pub const EXPERIMENT_TAG: &str = "experiment: button_color_v3";
/// Its colour parameter and the course's default.
pub const COLOR_PARAM: &str = "Button Color";
pub const DEFAULT_COLOR_TEXT: &str = "blue";
/// Its text parameter and the course's default.
pub const TEXT_PARAM: &str = "Paragraph Text";
pub const DEFAULT_TEXT: &str = "Data Engineering Boot Camp";

/// The course's rules, bundled at build time (the same files as the app's).
pub fn rules() -> &'static cohort_browser::Rules {
    cohort_browser::bundled_rules!()
}

/// How a group (or its absence, and why) is described on the page.
pub fn group_label(group: Option<&str>, reason: Reason) -> String {
    match (group, reason) {
        (Some(group), _) => group.to_owned(),
        (None, Reason::Disabled) => "None (experiment disabled)".into(),
        (None, Reason::Unrecognized | Reason::Unsupported) => {
            "None (experiment not in the rules)".into()
        }
        (None, Reason::Error) => "None (evaluation error)".into(),
        (None, _) => "None (not allocated)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_names_the_experiment_the_page_runs() {
        assert_eq!(EXPERIMENT_TAG, format!("experiment: {EXPERIMENT}"));
    }
}
