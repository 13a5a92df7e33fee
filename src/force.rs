//! Forcing a group for QA: `?force=<experiment>:<group>` (repeatable) in the page's URL, as
//! GrowthBook's `?<experiment>=<variation>` and Statsig's overrides do.
//!
//! A forced view shows the group's parameters but is never logged as an exposure, and its
//! events carry no group, so nothing forced reaches the results. An entry naming an unknown
//! experiment or group is ignored with a console message listing the choices.

use cohort::{Rules, SpecKind};

/// The experiments in `rules` that have groups.
fn experiments(rules: &Rules) -> Vec<&str> {
    rules
        .specs()
        .iter()
        .filter(|spec| spec.kind == SpecKind::Config && spec.groups().next().is_some())
        .map(|spec| spec.name.as_str())
        .collect()
}

/// Reads one `?force` value: the (experiment, group) it forces, or why it is ignored.
pub fn read(value: &str, rules: &Rules) -> Result<(String, String), String> {
    let Some((experiment, group)) = value.split_once(':') else {
        return Err(format!(
            "?force={value} is ignored: write ?force=<experiment>:<group> (experiments: {})",
            experiments(rules).join(", ")
        ));
    };
    let choices = rules.group_names(experiment);
    if choices.is_empty() {
        return Err(format!(
            "?force={value} is ignored: no experiment \"{experiment}\" in the rules \
             (experiments: {})",
            experiments(rules).join(", ")
        ));
    }
    if !choices.contains(&group) {
        return Err(format!(
            "?force={value} is ignored: {experiment} has no group \"{group}\" (groups: {})",
            choices.join(", ")
        ));
    }
    Ok((experiment.to_owned(), group.to_owned()))
}

/// The group the URL's query string forces in `experiment`, if any; every entry that is
/// ignored is reported through `warn`. The last valid entry for an experiment wins.
pub fn forced_group(
    search: &str,
    rules: &Rules,
    experiment: &str,
    mut warn: impl FnMut(&str),
) -> Option<String> {
    let params = web_sys::UrlSearchParams::new_with_str(search).ok()?;
    let mut forced = None;
    for value in params.get_all("force").iter() {
        let Some(value) = value.as_string() else {
            continue;
        };
        match read(&value, rules) {
            Ok((e, group)) if e == experiment => forced = Some(group),
            Ok(_) => {}
            Err(why) => warn(&why),
        }
    }
    forced
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle() -> &'static Rules {
        crate::bundle::bundled_rules()
    }

    #[test]
    fn a_known_experiment_and_group_are_forced() {
        assert_eq!(
            read("button_color_v3:Red", bundle()),
            Ok(("button_color_v3".into(), "Red".into()))
        );
        assert_eq!(
            bundle().group_names("button_color_v3"),
            ["Control", "Red", "Green", "Orange"]
        );
    }

    #[test]
    fn unknown_entries_name_the_choices() {
        let why = read("button_color_v3:Purple", bundle()).unwrap_err();
        assert!(
            why.contains("has no group \"Purple\" (groups: Control, Red, Green, Orange)"),
            "{why}"
        );
        let why = read("nope:Red", bundle()).unwrap_err();
        assert!(
            why.contains("no experiment \"nope\"") && why.contains("experiments: button_color_v3"),
            "{why}"
        );
        let why = read("Red", bundle()).unwrap_err();
        assert!(why.contains("<experiment>:<group>"), "{why}");
        // Group names are exact.
        assert!(read("button_color_v3:red", bundle()).is_err());
    }
}
