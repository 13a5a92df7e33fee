//! Compiling rules: from Statsig spec files (and hand-written TOML, translated into the same
//! shape) to the validated [`Rules`] that evaluation runs on.
//!
//! The compiler reproduces how Statsig's SDK reads a spec file (which fields it defaults,
//! which specs it drops as unsupported) and reports every problem with the file and the place.
//! Two modes:
//! - **strict** (`cohort check`, the app's build): anything an author would not mean is an
//!   error: unknown operators and condition types, gates and delegates that do not exist,
//!   duplicate names, cycles between gates, bad regular expressions;
//! - **lenient** (`cohort eval`): those are warnings, and evaluation does exactly what
//!   Statsig's SDK does with them (drops the spec, treats the gate as unknown, ...).
//!
//! Structural damage (a rule that is not an object, a pass percentage that is a string) is an
//! error in both modes: no Statsig server writes such a file.

pub(crate) mod condition;
pub mod error;
pub mod model;
mod plan;

use std::collections::HashMap;

use serde_json::{Map, Value};

pub use error::{Diagnostic, Diagnostics, Location, Severity};
pub use model::*;
pub use plan::{GroupPlan, Plan};

use crate::python::Py;

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

/// How strictly to compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompileOptions {
    pub strict: bool,
}

impl CompileOptions {
    /// Every questionable construct is an error.
    pub const STRICT: CompileOptions = CompileOptions { strict: true };
    /// Questionable constructs are warnings and evaluate as Statsig's SDK would.
    pub const LENIENT: CompileOptions = CompileOptions { strict: false };
}

/// Compiled, validated rules: gates, configs, experiments and layers ready to evaluate.
#[derive(Debug, Clone)]
pub struct Rules {
    pub(crate) specs: Vec<Spec>,
    pub(crate) gates: HashMap<String, SpecId>,
    pub(crate) configs: HashMap<String, SpecId>,
    pub(crate) layers: HashMap<String, SpecId>,
    pub(crate) id_lists: Vec<StrSet>,
    pub(crate) app_id: Option<String>,
    pub(crate) default_environment: Option<Map<String, Value>>,
    pub(crate) empty: Value,
    warnings: Diagnostics,
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

    /// Rules from their compiled parts (what generated code calls, see [`crate::codegen`]).
    /// Names are indexed in order, so of duplicates the last one is evaluated, as in Statsig.
    pub fn from_parts(
        specs: Vec<Spec>,
        id_lists: Vec<StrSet>,
        app_id: Option<String>,
        default_environment: Option<String>,
    ) -> Rules {
        let mut rules = Rules {
            specs: Vec::new(),
            gates: HashMap::new(),
            configs: HashMap::new(),
            layers: HashMap::new(),
            id_lists,
            app_id,
            default_environment: default_environment.map(environment),
            empty: Value::Object(Map::new()),
            warnings: Diagnostics::default(),
        };
        for (id, spec) in specs.iter().enumerate() {
            rules
                .index_mut(spec.kind)
                .insert(spec.name.clone(), id as SpecId);
        }
        rules.specs = specs;
        rules
    }

    fn index_mut(&mut self, kind: SpecKind) -> &mut HashMap<String, SpecId> {
        match kind {
            SpecKind::Gate => &mut self.gates,
            SpecKind::Config => &mut self.configs,
            SpecKind::Layer => &mut self.layers,
        }
    }

    /// Whether any condition uses `str_matches` (which needs the `regex` feature).
    pub fn uses_regex(&self) -> bool {
        #[cfg(feature = "regex")]
        {
            self.specs.iter().any(|spec| {
                spec.rules.iter().any(|rule| {
                    rule.conditions
                        .iter()
                        .any(|c| matches!(c.op, Op::Matches { .. }))
                })
            })
        }
        #[cfg(not(feature = "regex"))]
        false
    }

    /// The ID lists, in file order.
    pub fn id_lists(&self) -> &[StrSet] {
        &self.id_lists
    }

    /// The spec file's `app_id` (for `target_app` conditions).
    pub fn app_id(&self) -> Option<&str> {
        self.app_id.as_deref()
    }

    /// The spec file's `default_environment` tier.
    pub fn default_tier(&self) -> Option<&str> {
        self.default_environment
            .as_ref()
            .and_then(|env| env.get("tier"))
            .and_then(Value::as_str)
    }

    /// Every spec, in file order.
    pub fn specs(&self) -> &[Spec] {
        &self.specs
    }

    /// The spec of a kind and name, if there is one (duplicates: the last one, as in Statsig).
    pub fn spec(&self, kind: SpecKind, name: &str) -> Option<&Spec> {
        self.lookup(kind, name).map(|id| &self.specs[id as usize])
    }

    /// Warnings found while compiling (lenient mode).
    pub fn warnings(&self) -> &Diagnostics {
        &self.warnings
    }

    pub(crate) fn lookup(&self, kind: SpecKind, name: &str) -> Option<SpecId> {
        match kind {
            SpecKind::Gate => &self.gates,
            SpecKind::Config => &self.configs,
            SpecKind::Layer => &self.layers,
        }
        .get(name)
        .copied()
    }

    /// The specs that evaluation by name reaches (the last of any duplicates), in file order.
    pub fn evaluated_specs(&self) -> impl Iterator<Item = &Spec> {
        self.specs
            .iter()
            .enumerate()
            .filter(|(id, spec)| self.lookup(spec.kind, &spec.name) == Some(*id as SpecId))
            .map(|(_, spec)| spec)
    }
}

/// A spec as read from a file, before compilation.
pub(crate) struct SpecInput {
    pub kind: SpecKind,
    pub json: Value,
    pub location: Location,
}

/// A spec file's contents, gathered from one or more files.
#[derive(Default)]
pub(crate) struct Input {
    pub specs: Vec<SpecInput>,
    pub id_lists: Vec<(String, Value, Location)>,
    pub app_id: Option<String>,
    pub default_environment: Option<String>,
}

/// Compiles rules files into one [`Rules`].
pub fn compile(files: &[RulesFile<'_>], options: CompileOptions) -> Result<Rules, Diagnostics> {
    let input = read(files)?;
    compile_input(input, options)
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
    let json = Value::Object(top).to_string();
    let rules = compile_input(input, options)?;
    Ok((json, rules))
}

fn read(files: &[RulesFile<'_>]) -> Result<Input, Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    let mut input = Input::default();
    for file in files {
        match file.format {
            Format::StatsigJson => read_statsig_json(file, &mut input, &mut diagnostics),
            #[cfg(feature = "toml")]
            Format::Toml => crate::toml_rules::read(file, &mut input, &mut diagnostics),
            #[cfg(not(feature = "toml"))]
            Format::Toml => diagnostics.error(
                Location::file(file.name),
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

fn compile_input(input: Input, options: CompileOptions) -> Result<Rules, Diagnostics> {
    let mut compiler = Compiler::new(options, Diagnostics::default());
    let mut rules = compiler.compile(input);
    if compiler.diagnostics.has_errors() {
        Err(compiler.diagnostics)
    } else {
        rules.warnings = compiler.diagnostics;
        Ok(rules)
    }
}

/// Reads a Statsig spec file's sections into `input`.
fn read_statsig_json(file: &RulesFile<'_>, input: &mut Input, diagnostics: &mut Diagnostics) {
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

/// The compiler's working state.
pub(crate) struct Compiler {
    options: CompileOptions,
    pub(crate) diagnostics: Diagnostics,
    gates: HashMap<String, SpecId>,
    configs: HashMap<String, SpecId>,
    layers: HashMap<String, SpecId>,
    id_lists: HashMap<String, usize>,
    bucket_slots: HashMap<(String, IdType), u32>,
}

impl Compiler {
    fn new(options: CompileOptions, diagnostics: Diagnostics) -> Compiler {
        Compiler {
            options,
            diagnostics,
            gates: HashMap::new(),
            configs: HashMap::new(),
            layers: HashMap::new(),
            id_lists: HashMap::new(),
            bucket_slots: HashMap::new(),
        }
    }

    /// A problem that strict mode rejects and lenient mode evaluates as Statsig does.
    pub(crate) fn questionable(&mut self, at: Location, message: impl Into<String>) {
        if self.options.strict {
            self.diagnostics.error(at, message);
        } else {
            self.diagnostics.warning(at, message);
        }
    }

    fn compile(&mut self, input: Input) -> Rules {
        // Names first, so that conditions can refer to specs that come later in the file.
        let mut first_seen: HashMap<(SpecKind, String), Location> = HashMap::new();
        for (id, spec) in input.specs.iter().enumerate() {
            let Some(name) = spec.json.get("name").and_then(Value::as_str) else {
                continue;
            };
            if let Some(earlier) = first_seen.get(&(spec.kind, name.to_owned())) {
                let mut message = format!(
                    "duplicate {} name \"{name}\" (first defined at {earlier})",
                    kind_noun(spec.kind)
                );
                if !self.options.strict {
                    message.push_str("; the last one is used, as in Statsig");
                }
                self.questionable(spec.location.clone(), message);
            } else {
                first_seen.insert((spec.kind, name.to_owned()), spec.location.clone());
            }
            let map = match spec.kind {
                SpecKind::Gate => &mut self.gates,
                SpecKind::Config => &mut self.configs,
                SpecKind::Layer => &mut self.layers,
            };
            map.insert(name.to_owned(), id as SpecId);
        }

        let mut id_lists = Vec::new();
        for (name, list, at) in &input.id_lists {
            let ids = self.compile_id_list(list, at);
            self.id_lists.insert(name.clone(), id_lists.len());
            id_lists.push(ids);
        }

        let specs: Vec<Spec> = input
            .specs
            .iter()
            .map(|spec| self.compile_spec(spec))
            .collect();

        self.check_cycles(&specs);

        Rules {
            specs,
            gates: std::mem::take(&mut self.gates),
            configs: std::mem::take(&mut self.configs),
            layers: std::mem::take(&mut self.layers),
            id_lists,
            app_id: input.app_id,
            default_environment: input.default_environment.map(environment),
            empty: Value::Object(Map::new()),
            warnings: Diagnostics::default(),
        }
    }

    fn compile_id_list(&mut self, list: &Value, at: &Location) -> StrSet {
        match list.get("ids") {
            None | Some(Value::Null) => StrSet::default(),
            Some(Value::Array(ids)) => ids
                .iter()
                .filter_map(|id| match id.as_str() {
                    Some(s) => Some(s.to_owned()),
                    None => {
                        self.diagnostics
                            .error(at.child("ids"), "ID list entries must be strings");
                        None
                    }
                })
                .collect(),
            Some(_) => {
                self.diagnostics
                    .error(at.child("ids"), "must be a list of hashed IDs");
                StrSet::default()
            }
        }
    }

    fn compile_spec(&mut self, input: &SpecInput) -> Spec {
        let at = &input.location;
        let empty = Map::new();
        let obj = match input.json.as_object() {
            Some(obj) => obj,
            None => {
                self.diagnostics
                    .error(at.clone(), "a spec must be an object");
                &empty
            }
        };
        let mut fields = Fields::new(obj, at, &mut self.diagnostics);
        let name = fields.required_str("name");
        let salt = fields.str_or("salt", "");
        let enabled = fields.bool_or("enabled", false);
        let default_value = fields.value_or_empty("defaultValue");
        let id_type = fields.opt_str("idType").flatten();
        let entity = fields.opt_str("entity").flatten();
        let explicit_parameters = fields.str_list("explicitParameters");
        let rules_json = fields.list("rules");

        let mut spec = Spec {
            name,
            kind: input.kind,
            entity,
            salt,
            enabled,
            default_value,
            id_type: IdType::new(id_type.as_deref().unwrap_or("userID")),
            rules: Vec::new(),
            explicit_parameters,
            unsupported: None,
            file: at.file.clone(),
        };
        for (i, rule) in rules_json.iter().enumerate() {
            let step = match rule.get("id").and_then(Value::as_str) {
                Some(id) => format!("rules[{i}] \"{id}\""),
                None => format!("rules[{i}]"),
            };
            let rule_at = at.child(step);
            if let Some(rule) = self.compile_rule(rule, &rule_at, &mut spec) {
                spec.rules.push(rule);
            }
        }
        spec
    }

    fn compile_rule(&mut self, json: &Value, at: &Location, spec: &mut Spec) -> Option<Rule> {
        let Some(obj) = json.as_object() else {
            self.diagnostics
                .error(at.clone(), "a rule must be an object");
            return None;
        };
        let mut fields = Fields::new(obj, at, &mut self.diagnostics);
        let id = fields.str_or("id", "");
        let salt = match obj.get("salt") {
            None => id.clone(),
            Some(_) => fields.required_str("salt"),
        };
        let name = fields.opt_str("name").flatten();
        let group_name = fields.opt_str("groupName").flatten();
        let pass_percentage = fields.number_or("passPercentage", 0.0);
        let return_value = fields.value_or_empty("returnValue");
        let id_type = match fields.opt_str("idType") {
            None => IdType::UserId,
            Some(None) => IdType::UserId,
            Some(Some(t)) => IdType::new(&t),
        };
        let is_experiment_group = fields.bool_or("isExperimentGroup", false);
        let delegate_name = fields.opt_str("configDelegate").flatten();
        let conditions_json = fields.list("conditions");

        if !(0.0..=100.0).contains(&pass_percentage) {
            self.questionable(
                at.child("passPercentage"),
                format!("{pass_percentage} is outside 0..100"),
            );
        }

        let delegate = delegate_name.map(|name| {
            let target = self.configs.get(&name).copied();
            if target.is_none() {
                self.questionable(
                    at.child("configDelegate"),
                    format!(
                        "delegates to \"{name}\", which is not a dynamic config in these rules"
                    ),
                );
            }
            Delegate { name, target }
        });

        let mut conditions = Vec::with_capacity(conditions_json.len());
        for (i, cond) in conditions_json.iter().enumerate() {
            let cond_at = at.child(format!("conditions[{i}]"));
            if let Some(c) = self.compile_condition(cond, &cond_at, spec) {
                conditions.push(c);
            }
        }

        Some(Rule {
            id,
            name,
            salt,
            group_name,
            pass_percentage,
            return_value,
            id_type,
            is_experiment_group,
            delegate,
            conditions,
        })
    }

    /// Marks a spec as one Statsig's SDK drops, or rejects it in strict mode.
    pub(crate) fn unsupported(&mut self, spec: &mut Spec, at: Location, message: String) {
        if self.options.strict {
            self.diagnostics.error(at, message);
        } else {
            self.diagnostics.warning(
                at,
                format!("{message}; Statsig's SDK drops this spec, so it evaluates as unknown"),
            );
            spec.unsupported.get_or_insert(message);
        }
    }

    pub(crate) fn bucket_slot(&mut self, salt: &str, id_type: &IdType) -> u32 {
        let next = self.bucket_slots.len() as u32;
        *self
            .bucket_slots
            .entry((salt.to_owned(), id_type.clone()))
            .or_insert(next)
    }

    pub(crate) fn gate_id(&self, name: &str) -> Option<SpecId> {
        self.gates.get(name).copied()
    }

    pub(crate) fn id_list(&self, name: &str) -> Option<usize> {
        self.id_lists.get(name).copied()
    }

    pub(crate) fn strict(&self) -> bool {
        self.options.strict
    }

    /// Gates that (through other gates and delegates) depend on themselves would recurse
    /// forever; Statsig's SDK dies with a `RecursionError` on them.
    fn check_cycles(&mut self, specs: &[Spec]) {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Active,
            Done,
        }
        fn edges(spec: &Spec) -> Vec<SpecId> {
            let mut out = Vec::new();
            for rule in &spec.rules {
                if let Some(Delegate {
                    target: Some(t), ..
                }) = rule.delegate
                {
                    out.push(t);
                }
                for cond in &rule.conditions {
                    match &cond.source {
                        Source::Gate {
                            target: Some(t), ..
                        } => out.push(*t),
                        Source::MultiGate { gates, .. } => {
                            out.extend(gates.iter().filter_map(|(_, t)| *t))
                        }
                        _ => {}
                    }
                }
            }
            out
        }
        fn visit(
            id: SpecId,
            specs: &[Spec],
            marks: &mut [Mark],
            stack: &mut Vec<SpecId>,
            cycles: &mut Vec<Vec<SpecId>>,
        ) {
            marks[id as usize] = Mark::Active;
            stack.push(id);
            for next in edges(&specs[id as usize]) {
                match marks[next as usize] {
                    Mark::New => visit(next, specs, marks, stack, cycles),
                    Mark::Active => {
                        let start = stack.iter().position(|&s| s == next).unwrap_or(0);
                        let mut cycle = stack[start..].to_vec();
                        cycle.push(next);
                        cycles.push(cycle);
                    }
                    Mark::Done => {}
                }
            }
            stack.pop();
            marks[id as usize] = Mark::Done;
        }
        let mut marks = vec![Mark::New; specs.len()];
        let mut cycles = Vec::new();
        for id in 0..specs.len() {
            if marks[id] == Mark::New {
                visit(
                    id as SpecId,
                    specs,
                    &mut marks,
                    &mut Vec::new(),
                    &mut cycles,
                );
            }
        }
        for cycle in cycles {
            let path: Vec<String> = cycle
                .iter()
                .map(|&id| {
                    let s = &specs[id as usize];
                    format!("{} \"{}\"", kind_noun(s.kind), s.name)
                })
                .collect();
            let first = &specs[cycle[0] as usize];
            let at = Location {
                file: first.file.clone(),
                line: None,
                path: format!("{} \"{}\"", first.kind.section(), first.name),
            };
            self.questionable(at, format!("cycle between gates: {}", path.join(" -> ")));
        }
    }
}

/// `{"tier": tier}`: the environment of users who bring none.
fn environment(tier: String) -> Map<String, Value> {
    let mut env = Map::new();
    env.insert("tier".into(), Value::String(tier));
    env
}

pub(crate) fn kind_noun(kind: SpecKind) -> &'static str {
    match kind {
        SpecKind::Gate => "gate",
        SpecKind::Config => "config",
        SpecKind::Layer => "layer",
    }
}

/// Typed reads of an object's fields, with Statsig's defaults and located errors.
pub(crate) struct Fields<'a, 'd> {
    obj: &'a Map<String, Value>,
    at: &'a Location,
    diagnostics: &'d mut Diagnostics,
}

impl<'a, 'd> Fields<'a, 'd> {
    pub(crate) fn new(
        obj: &'a Map<String, Value>,
        at: &'a Location,
        diagnostics: &'d mut Diagnostics,
    ) -> Self {
        Fields {
            obj,
            at,
            diagnostics,
        }
    }

    fn wrong(&mut self, key: &str, expected: &str) {
        self.diagnostics
            .error(self.at.child(key), format!("must be {expected}"));
    }

    /// A string that must be present.
    pub(crate) fn required_str(&mut self, key: &str) -> String {
        match self.obj.get(key) {
            Some(Value::String(s)) => s.clone(),
            None => {
                self.diagnostics
                    .error(self.at.clone(), format!("\"{key}\" is missing"));
                String::new()
            }
            Some(_) => {
                self.wrong(key, "a string");
                String::new()
            }
        }
    }

    /// A string with a default for a missing key; `null` is an error.
    pub(crate) fn str_or(&mut self, key: &str, default: &str) -> String {
        match self.obj.get(key) {
            None => default.to_owned(),
            Some(Value::String(s)) => s.clone(),
            Some(_) => {
                self.wrong(key, "a string");
                default.to_owned()
            }
        }
    }

    /// `None` when missing, `Some(None)` when `null`.
    pub(crate) fn opt_str(&mut self, key: &str) -> Option<Option<String>> {
        match self.obj.get(key) {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(s)) => Some(Some(s.clone())),
            Some(_) => {
                self.wrong(key, "a string");
                None
            }
        }
    }

    pub(crate) fn bool_or(&mut self, key: &str, default: bool) -> bool {
        match self.obj.get(key) {
            None | Some(Value::Null) => default,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                self.wrong(key, "true or false");
                default
            }
        }
    }

    pub(crate) fn number_or(&mut self, key: &str, default: f64) -> f64 {
        match self.obj.get(key) {
            None => default,
            Some(v @ Value::Number(_)) => Py::from(v).to_float().ok().flatten().unwrap_or(default),
            Some(_) => {
                self.wrong(key, "a number");
                default
            }
        }
    }

    /// Any JSON value; missing or `null` is `{}` (as Statsig's `DynamicConfig` makes it).
    pub(crate) fn value_or_empty(&mut self, key: &str) -> Value {
        match self.obj.get(key) {
            None | Some(Value::Null) => Value::Object(Map::new()),
            Some(v) => v.clone(),
        }
    }

    pub(crate) fn list(&mut self, key: &str) -> &'a [Value] {
        match self.obj.get(key) {
            None | Some(Value::Null) => &[],
            Some(Value::Array(items)) => items,
            Some(_) => {
                self.wrong(key, "a list");
                &[]
            }
        }
    }

    pub(crate) fn str_list(&mut self, key: &str) -> Vec<String> {
        let items = self.list(key);
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match item.as_str() {
                Some(s) => out.push(s.to_owned()),
                None => {
                    self.wrong(key, "a list of strings");
                    break;
                }
            }
        }
        out
    }
}
