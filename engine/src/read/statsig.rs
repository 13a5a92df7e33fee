//! Reading a Statsig `download_config_specs` file: its sections, as they are, into the
//! compiler's input.

use serde_json::Value;

use super::RulesFile;
use crate::compile::{Input, SpecInput};
use crate::diagnostics::{Diagnostics, Location};
use crate::model::SpecKind;

/// Reads a Statsig spec file's sections into `input`.
pub(crate) fn read(file: &RulesFile<'_>, input: &mut Input, diagnostics: &mut Diagnostics) {
    let root = Location {
        file: (!file.name.is_empty()).then(|| file.name.to_owned()),
        ..Location::default()
    };
    let value: Value = match serde_json::from_str(file.text) {
        Ok(v) => v,
        Err(e) => {
            let at = root.at_line(Some(e.line()));
            diagnostics.error(at, format!("not valid JSON: {e}"));
            return;
        }
    };
    let Value::Object(mut top) = value else {
        diagnostics.error(root, "a Statsig spec file must be a JSON object");
        return;
    };
    for kind in [SpecKind::Gate, SpecKind::Config, SpecKind::Layer] {
        match top.remove(kind.section()) {
            None | Some(Value::Null) => {}
            Some(Value::Array(specs)) => {
                for (i, json) in specs.into_iter().enumerate() {
                    let step = match json.get("name").and_then(Value::as_str) {
                        Some(name) => format!("{}[{i}] \"{name}\"", kind.section()),
                        None => format!("{}[{i}]", kind.section()),
                    };
                    input.specs.push(SpecInput {
                        kind,
                        json,
                        location: root.child(step),
                    });
                }
            }
            Some(_) => diagnostics.error(root.child(kind.section()), "must be a list of specs"),
        }
    }
    match top.remove("id_lists") {
        None | Some(Value::Null) => {}
        Some(Value::Object(lists)) => {
            for (name, list) in lists {
                let at = root.child(format!("id_lists \"{name}\""));
                input.id_lists.push((name, list, at));
            }
        }
        Some(_) => diagnostics.error(root.child("id_lists"), "must be an object"),
    }
    match top.remove("cohort") {
        None | Some(Value::Null) => {}
        Some(section) => input.extensions.push((section, root.child("cohort"))),
    }
    for (key, slot) in [
        ("app_id", &mut input.app_id),
        ("default_environment", &mut input.default_environment),
    ] {
        match top.remove(key) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => *slot = Some(s),
            Some(_) => diagnostics.error(root.child(key), "must be a string"),
        }
    }
}
