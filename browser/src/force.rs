//! Forcing a group for QA: `?force=<experiment>:<group>` (repeatable) in the page's URL, as
//! GrowthBook's `?<experiment>=<variation>` and Statsig's overrides do.
//!
//! A forced view shows the group's parameters but is never logged as an exposure, and its
//! events carry no group, so nothing forced reaches the results. An entry naming an unknown
//! experiment or group is ignored with a console message listing the choices.

use cohort::{Rules, SpecKind};

/// The query parameter that forces a group: `?force=<experiment>:<group>`.
pub const PARAM: &str = "force";

/// Whether the query string forces any group (a `force` parameter, valid or not).
pub fn any_forced(query: &str) -> bool {
    web_sys::UrlSearchParams::new_with_str(query).is_ok_and(|p| p.has(PARAM))
}

/// The experiments in `rules` that have groups, in rules order.
pub fn experiments(rules: &Rules) -> Vec<&str> {
    rules
        .evaluated_specs()
        .filter(|spec| spec.kind == SpecKind::Config && spec.groups().next().is_some())
        .map(|spec| spec.name.as_str())
        .collect()
}

/// Reads one `?force` value: the (experiment, group) it forces, as the rules name them, or
/// why it is ignored.
pub fn read<'r>(value: &str, rules: &'r Rules) -> Result<(&'r str, &'r str), String> {
    let Some((experiment, group)) = value.split_once(':') else {
        return Err(format!(
            "?force={value} is ignored: write ?force=<experiment>:<group> (experiments: {})",
            experiments(rules).join(", ")
        ));
    };
    resolve(rules, experiment, group).map_err(|why| format!("?force={value} is ignored: {why}"))
}

/// The experiment and group of `rules` that forcing `group` in `experiment` names, as the
/// rules name them, or why there is none (naming the choices).
pub fn resolve<'r>(
    rules: &'r Rules,
    experiment: &str,
    group: &str,
) -> Result<(&'r str, &'r str), String> {
    let Some(spec) = rules
        .spec(SpecKind::Config, experiment)
        .filter(|spec| spec.groups().next().is_some())
    else {
        return Err(format!(
            "no experiment \"{experiment}\" in the rules (experiments: {})",
            experiments(rules).join(", ")
        ));
    };
    let choices = rules.group_names(experiment);
    match choices.iter().find(|choice| **choice == group) {
        Some(group) => Ok((spec.name.as_str(), group)),
        None => Err(format!(
            "{experiment} has no group \"{group}\" (groups: {})",
            choices.join(", ")
        )),
    }
}

/// The groups the query string forces, one per experiment (the last valid entry for an
/// experiment wins); every entry that is ignored is reported through `warn`.
pub fn forced_groups<'r>(
    query: &str,
    rules: &'r Rules,
    mut warn: impl FnMut(&str),
) -> Vec<(&'r str, &'r str)> {
    let mut forced: Vec<(&str, &str)> = Vec::new();
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(query) else {
        return forced;
    };
    for value in params.get_all(PARAM).iter() {
        let Some(value) = value.as_string() else {
            continue;
        };
        match read(&value, rules) {
            Ok((experiment, group)) => {
                forced.retain(|(e, _)| *e != experiment);
                forced.push((experiment, group));
            }
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
    use cohort::CompileOptions;

    /// Two experiments, each with its groups.
    fn rules() -> Rules {
        Rules::from_toml(
            r#"
            [[experiment]]
            name = "first"
            [[experiment.groups]]
            name = "A"
            weight = 50
            [[experiment.groups]]
            name = "B"
            weight = 50

            [[experiment]]
            name = "second"
            [[experiment.groups]]
            name = "Control"
            weight = 50
            [[experiment.groups]]
            name = "Treatment"
            weight = 50
            "#,
            CompileOptions::STRICT,
        )
        .unwrap()
    }

    #[test]
    fn an_entry_naming_a_known_experiment_and_group_reads_as_the_rules_name_them() {
        let rules = rules();
        assert_eq!(read("first:B", &rules), Ok(("first", "B")));
        assert_eq!(read("second:Control", &rules), Ok(("second", "Control")));
        // A group may contain a colon-free name only; the first colon splits.
        assert!(read("second:Control:x", &rules).is_err());
    }

    #[test]
    fn unknown_entries_name_the_choices() {
        let rules = rules();
        let why = read("first:C", &rules).unwrap_err();
        assert!(why.contains("has no group \"C\" (groups: A, B)"), "{why}");
        let why = read("nope:A", &rules).unwrap_err();
        assert!(
            why.contains("no experiment \"nope\"") && why.contains("experiments: first, second"),
            "{why}"
        );
        let why = read("A", &rules).unwrap_err();
        assert!(why.contains("<experiment>:<group>"), "{why}");
        // Group names are exact.
        assert!(read("first:a", &rules).is_err());
    }
}
