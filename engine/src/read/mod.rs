//! The readers: rules files (Statsig spec files, Cohort's hand-written TOML) read into the
//! compiler's input, then compiled ([`compile`]) or merged into one Statsig spec file for an
//! application to bundle ([`bundle`]). [`files`] finds and reads the files named on a command
//! line or in a build script.

pub mod files;
mod statsig;
#[cfg(feature = "toml")]
mod toml;

use serde_json::{Map, Value};

use crate::compile::{CompileOptions, Input};
use crate::diagnostics::Diagnostics;
use crate::model::SpecKind;
use crate::rules::Rules;

/// How a rules file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A Statsig `download_config_specs` JSON file.
    StatsigJson,
    /// Cohort's hand-written TOML format (see `toml_rules`, behind the `toml` feature).
    Toml,
}

impl Format {
    /// The format a file name implies: `.json` or `.toml`.
    pub fn from_path(path: &str) -> Option<Format> {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".json") {
            Some(Format::StatsigJson)
        } else if lower.ends_with(".toml") {
            Some(Format::Toml)
        } else {
            None
        }
    }
}

/// One rules file to compile.
#[derive(Debug, Clone, Copy)]
pub struct RulesFile<'a> {
    /// The name used in messages (usually the path).
    pub name: &'a str,
    pub text: &'a str,
    pub format: Format,
}

impl Rules {
    /// Compiles one Statsig spec file.
    pub fn from_statsig_json(text: &str, options: CompileOptions) -> Result<Rules, Diagnostics> {
        compile(
            &[RulesFile {
                name: "",
                text,
                format: Format::StatsigJson,
            }],
            options,
        )
    }

    /// Compiles one hand-written TOML file.
    pub fn from_toml(text: &str, options: CompileOptions) -> Result<Rules, Diagnostics> {
        compile(
            &[RulesFile {
                name: "",
                text,
                format: Format::Toml,
            }],
            options,
        )
    }
}

/// Compiles rules files into one [`Rules`].
pub fn compile(files: &[RulesFile<'_>], options: CompileOptions) -> Result<Rules, Diagnostics> {
    let input = read(files)?;
    crate::compile::compile(input, options)
}

/// Validates rules files and merges them into one Statsig spec file (JSON text), the form an
/// application bundles: TOML files come out in Statsig's encoding.
pub fn bundle(
    files: &[RulesFile<'_>],
    options: CompileOptions,
) -> Result<(String, Rules), Diagnostics> {
    let input = read(files)?;
    let mut sections: [(SpecKind, Vec<Value>); 3] = [
        (SpecKind::Gate, Vec::new()),
        (SpecKind::Config, Vec::new()),
        (SpecKind::Layer, Vec::new()),
    ];
    for spec in &input.specs {
        if let Some((_, list)) = sections.iter_mut().find(|(k, _)| *k == spec.kind) {
            list.push(spec.json.clone());
        }
    }
    let mut top = Map::new();
    for (kind, specs) in sections {
        top.insert(kind.section().to_owned(), Value::Array(specs));
    }
    let id_lists: Map<String, Value> = input
        .id_lists
        .iter()
        .map(|(name, list, _)| (name.clone(), list.clone()))
        .collect();
    top.insert("id_lists".into(), Value::Object(id_lists));
    if let Some(app_id) = &input.app_id {
        top.insert("app_id".into(), Value::String(app_id.clone()));
    }
    if let Some(env) = &input.default_environment {
        top.insert("default_environment".into(), Value::String(env.clone()));
    }
    // Cohort's sections, merged (conflicts are reported by the compiler below).
    if !input.extensions.is_empty() {
        let mut metrics = Vec::new();
        let mut experiments = Map::new();
        for (section, _) in &input.extensions {
            if let Some(Value::Array(list)) = section.get("metrics") {
                metrics.extend(list.iter().cloned());
            }
            if let Some(Value::Object(map)) = section.get("experiments") {
                experiments.extend(map.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
        }
        let mut cohort = Map::new();
        cohort.insert("metrics".into(), Value::Array(metrics));
        cohort.insert("experiments".into(), Value::Object(experiments));
        top.insert("cohort".into(), Value::Object(cohort));
    }
    let json = Value::Object(top).to_string();
    let rules = crate::compile::compile(input, options)?;
    Ok((json, rules))
}

fn read(files: &[RulesFile<'_>]) -> Result<Input, Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    let mut input = Input::default();
    for file in files {
        match file.format {
            Format::StatsigJson => statsig::read(file, &mut input, &mut diagnostics),
            #[cfg(feature = "toml")]
            Format::Toml => toml::read(file, &mut input, &mut diagnostics),
            #[cfg(not(feature = "toml"))]
            Format::Toml => diagnostics.error(
                crate::diagnostics::Location::file(file.name),
                "this build of the engine reads no TOML rules (enable its `toml` feature)",
            ),
        }
    }
    if diagnostics.has_errors() {
        Err(diagnostics)
    } else {
        Ok(input)
    }
}
