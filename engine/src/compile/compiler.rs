//! The compiler: names first (so that conditions may name specs later in the file), then ID
//! lists, specs, rules and conditions ([`super::condition`]), then cycles
//! ([`super::cycles`]). It reproduces how Statsig's SDK reads a spec file (which fields it
//! defaults, which specs it drops as unsupported) and reports every problem with its place.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::fields::Fields;
use super::{CompileOptions, Input, SpecInput};
use crate::diagnostics::{Diagnostics, Location};
use crate::eval::ALL_OPERATORS;
use crate::model::{kind_noun, IdType, SpecKind};
use crate::rules::{environment, Delegate, NameIndex, Rule, Rules, Spec, SpecId, StrSet};

/// The compiler's working state.
pub(crate) struct Compiler {
    options: CompileOptions,
    pub(crate) diagnostics: Diagnostics,
    gates: NameIndex,
    configs: NameIndex,
    layers: NameIndex,
    id_lists: HashMap<String, usize>,
    bucket_slots: HashMap<(String, IdType), u32>,
}

impl Compiler {
    pub(super) fn new(options: CompileOptions, diagnostics: Diagnostics) -> Compiler {
        Compiler {
            options,
            diagnostics,
            gates: NameIndex::default(),
            configs: NameIndex::default(),
            layers: NameIndex::default(),
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

    pub(super) fn compile(&mut self, input: Input) -> Rules {
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
            map.insert(name, id as SpecId);
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
        let (metrics, settings) = self.compile_experiments(&input.extensions);

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
            metrics,
            settings,
            operators: ALL_OPERATORS,
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
            let target = self.configs.get(&name);
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

    pub(crate) fn config_id(&self, name: &str) -> Option<SpecId> {
        self.configs.get(name)
    }

    pub(crate) fn gate_id(&self, name: &str) -> Option<SpecId> {
        self.gates.get(name)
    }

    pub(crate) fn id_list(&self, name: &str) -> Option<usize> {
        self.id_lists.get(name).copied()
    }

    pub(crate) fn strict(&self) -> bool {
        self.options.strict
    }
}
