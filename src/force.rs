//! Forcing a group for QA: `?force=<experiment>:<group>` (repeatable) in the page's URL, as
//! GrowthBook's `?<experiment>=<variation>` and Statsig's overrides do.
//!
//! A forced view shows the group's parameters but is never logged as an exposure, and its
//! events carry no group, so nothing forced reaches the results. An entry naming an unknown
//! experiment or group is ignored with a console message listing the choices.

use cohort::{Rules, SpecKind};

/// The query parameter that forces a group: `?force=<experiment>:<group>`.
const PARAM: &str = "force";

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
    for value in params.get_all(PARAM).iter() {
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

/// Writes the group forced in `experiment` into the page's URL (`None` removes it), keeping
/// the rest of the query, without a new history entry: a reload keeps the forced view, and the
/// address can be shared with whoever should see it.
pub fn write_to_url(experiment: &str, group: Option<&str>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let location = window.location();
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(&location.search().unwrap_or_default())
    else {
        return;
    };
    let own = format!("{experiment}:");
    let others: Vec<String> = params
        .get_all(PARAM)
        .iter()
        .filter_map(|value| value.as_string())
        .filter(|value| !value.starts_with(&own))
        .collect();
    params.delete(PARAM);
    for value in &others {
        params.append(PARAM, value);
    }
    if let Some(group) = group {
        params.append(PARAM, &format!("{own}{group}"));
    }
    let query = String::from(params.to_string());
    let url = format!(
        "{}{}{query}{}",
        location.pathname().unwrap_or_default(),
        if query.is_empty() { "" } else { "?" },
        location.hash().unwrap_or_default()
    );
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
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
