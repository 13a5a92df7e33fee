//! Cohort's hand-written rules format (TOML), translated into Statsig's encoding.
//!
//! An experiment, gate or layer written by hand compiles into the same model as a Statsig
//! spec file, with Statsig's encoding, so it assigns users exactly as Statsig would with the
//! same salts:
//!
//! - allocation is a `layerAssignment` rule on `user_bucket` with the layer salt (`none` of the
//!   allocated buckets gives the defaults; `any [-1]` at 100% outside a layer);
//! - groups are rules on `user_bucket` with the experiment salt, `lt` the cumulative bound
//!   (250, 500, 750, 1000 for four equal groups);
//! - targeting is a gate `<experiment>_targeting` checked by a `fail_gate` rule, a holdout a
//!   `pass_gate` rule placed first, and start and end times are `current_time` rules;
//! - a layer gives its experiments consecutive, disjoint bucket ranges and delegates to them.
//!
//! ```toml
//! [[experiment]]
//! name = "button_color_v3"
//! salt = "0ae71c5f-39e1-9109-5278-da7bb8a0aece"
//! allocation = 100                      # percent of users in the experiment
//! defaults = { "Button Color" = "Blue", "Paragraph Text" = "Data Engineering Boot Camp" }
//! groups = [
//!   { name = "Control", weight = 25 },
//!   { name = "Red",     weight = 25, params = { "Button Color" = "Red" } },
//!   { name = "Green",   weight = 25, params = { "Button Color" = "Green" } },
//!   { name = "Orange",  weight = 25, params = { "Button Color" = "Orange" } },
//! ]
//! ```
//!
//! The README documents every key. Problems are reported with the file, the line and the
//! reason.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use serde_json::{json, Map, Value};
use toml::Spanned;

use super::RulesFile;
use crate::compile::{Input, SpecInput};
use crate::diagnostics::{Diagnostics, Location};
use crate::model::{SpecKind, CONDITION_TYPES, OPERATORS};

/// The whole file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    #[serde(default)]
    experiment: Vec<Spanned<ExperimentDoc>>,
    #[serde(default)]
    gate: Vec<Spanned<GateDoc>>,
    #[serde(default)]
    layer: Vec<Spanned<LayerDoc>>,
    #[serde(default)]
    metric: Vec<Spanned<toml::Table>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExperimentDoc {
    name: String,
    salt: Option<String>,
    layer_salt: Option<String>,
    layer: Option<String>,
    #[serde(default = "yes")]
    enabled: bool,
    allocation: Option<Spanned<f64>>,
    id_type: Option<String>,
    start: Option<Spanned<toml::Value>>,
    end: Option<Spanned<toml::Value>>,
    #[serde(default)]
    targeting: Vec<Spanned<ConditionDoc>>,
    holdout: Option<String>,
    #[serde(default)]
    defaults: toml::Table,
    groups: Vec<Spanned<GroupDoc>>,
    /// The metrics it is judged by, the primary one first (default: every metric).
    metrics: Option<Vec<String>>,
    /// Metrics that must not get worse, judged apart.
    guardrails: Option<Vec<String>>,
    sequential_tuning: Option<f64>,
    /// The smallest relative lift worth detecting, in percent.
    target_lift: Option<f64>,
    /// Sticky assignment: the version users keep their first group under.
    sticky: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupDoc {
    name: String,
    id: Option<String>,
    weight: Spanned<f64>,
    #[serde(default)]
    params: toml::Table,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GateDoc {
    name: String,
    salt: Option<String>,
    #[serde(default = "yes")]
    enabled: bool,
    id_type: Option<String>,
    #[serde(default)]
    rules: Vec<Spanned<GateRuleDoc>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GateRuleDoc {
    id: Option<String>,
    name: Option<String>,
    pass: Option<Spanned<f64>>,
    #[serde(default)]
    when: Vec<Spanned<ConditionDoc>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LayerDoc {
    name: String,
    salt: Option<String>,
    id_type: Option<String>,
    #[serde(default)]
    defaults: toml::Table,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConditionDoc {
    #[serde(rename = "type")]
    kind: Option<String>,
    field: Option<String>,
    op: Option<String>,
    value: Option<toml::Value>,
    gate: Option<String>,
    not_gate: Option<String>,
    id_type: Option<String>,
    salt: Option<String>,
}

fn yes() -> bool {
    true
}

/// Reads a TOML rules file into `input`, in Statsig's shape.
pub(crate) fn read(file: &RulesFile<'_>, input: &mut Input, diagnostics: &mut Diagnostics) {
    let reader = Reader {
        text: file.text,
        root: Location {
            file: (!file.name.is_empty()).then(|| file.name.to_owned()),
            ..Location::default()
        },
    };
    let doc: Doc = match toml::from_str(file.text) {
        Ok(doc) => doc,
        Err(e) => {
            let at = reader.at(e.span(), String::new());
            diagnostics.error(at, format!("not valid rules TOML: {}", e.message().trim()));
            return;
        }
    };
    let before = diagnostics.errors().count();
    let mut out = Vec::new();
    let layers = reader.layers(&doc, diagnostics);
    for gate in &doc.gate {
        out.push(reader.gate(gate, diagnostics));
    }
    for exp in &doc.experiment {
        out.extend(reader.experiment(exp, &layers, diagnostics));
    }
    for (layer, spec) in doc.layer.iter().zip(layers.values()) {
        out.push(reader.layer_spec(layer, spec, &doc, diagnostics));
    }
    let extensions = reader.extensions(&doc);
    if diagnostics.errors().count() == before {
        input.specs.extend(out);
        input.extensions.extend(extensions);
    }
}

/// A layer's salt and the bucket ranges its experiments take, in file order.
struct LayerPlan {
    salt: String,
    members: Vec<(String, Range<u32>)>,
}

struct Reader<'a> {
    text: &'a str,
    root: Location,
}

impl Reader<'_> {
    /// Cohort's sections: one for each metric and each experiment's settings, located at
    /// its line (the compiler checks them).
    fn extensions(&self, doc: &Doc) -> Vec<(Value, Location)> {
        let mut out = Vec::new();
        for metric in &doc.metric {
            let json = table_to_json(metric.get_ref());
            let name = json.get("name").and_then(Value::as_str).unwrap_or("?");
            let at = self.at(Some(metric.span()), format!("metric \"{name}\""));
            out.push((json!({ "metrics": [json] }), at));
        }
        for exp in &doc.experiment {
            let e = exp.get_ref();
            let mut settings = Map::new();
            if let Some(metrics) = &e.metrics {
                settings.insert("metrics".into(), json!(metrics));
            }
            if let Some(guardrails) = &e.guardrails {
                settings.insert("guardrails".into(), json!(guardrails));
            }
            if let Some(tuning) = e.sequential_tuning {
                settings.insert("sequential_tuning".into(), json!(tuning));
            }
            if let Some(lift) = e.target_lift {
                settings.insert("target_lift".into(), json!(lift / 100.0));
            }
            if let Some(sticky) = &e.sticky {
                settings.insert("sticky_version".into(), to_json(sticky));
            }
            if settings.is_empty() {
                continue;
            }
            let at = self.at(Some(exp.span()), format!("experiment \"{}\"", e.name));
            out.push((json!({ "experiments": { e.name.clone(): settings } }), at));
        }
        out
    }

    /// The location of a span: the file, its line, and a path.
    fn at(&self, span: Option<Range<usize>>, path: String) -> Location {
        let line = span.map(|s| {
            self.text[..s.start.min(self.text.len())]
                .matches('\n')
                .count()
                + 1
        });
        Location {
            file: self.root.file.clone(),
            line,
            path,
        }
    }

    fn spec(&self, kind: SpecKind, json: Value, at: Location) -> SpecInput {
        SpecInput {
            kind,
            json,
            location: at,
        }
    }

    fn layers(&self, doc: &Doc, diagnostics: &mut Diagnostics) -> BTreeMap<String, LayerPlan> {
        let mut plans = BTreeMap::new();
        for layer in &doc.layer {
            let salt = layer
                .get_ref()
                .salt
                .clone()
                .unwrap_or_else(|| layer.get_ref().name.clone());
            let name = layer.get_ref().name.clone();
            let at = self.at(Some(layer.span()), format!("layer \"{name}\""));
            if plans.contains_key(&name) {
                diagnostics.error(at, format!("duplicate layer name \"{name}\""));
                continue;
            }
            let mut next = 0u32;
            let mut members = Vec::new();
            for exp in doc
                .experiment
                .iter()
                .filter(|e| e.get_ref().layer.as_deref() == Some(&name))
            {
                let share = exp
                    .get_ref()
                    .allocation
                    .as_ref()
                    .map_or(100.0, |a| *a.get_ref());
                let Some(per_mille) = per_mille(share) else {
                    continue; // reported with the experiment
                };
                let end = next + per_mille;
                if end > 1000 {
                    let exp_at = self.at(
                        Some(exp.span()),
                        format!("experiment \"{}\"", exp.get_ref().name),
                    );
                    diagnostics.error(
                        exp_at,
                        format!(
                            "the experiments of layer \"{name}\" take {}% of it, more than 100%",
                            f64::from(end) / 10.0
                        ),
                    );
                }
                members.push((exp.get_ref().name.clone(), next..end.min(1000)));
                next = end;
            }
            plans.insert(name, LayerPlan { salt, members });
        }
        plans
    }

    fn gate(&self, gate: &Spanned<GateDoc>, diagnostics: &mut Diagnostics) -> SpecInput {
        let g = gate.get_ref();
        let at = self.at(Some(gate.span()), format!("gate \"{}\"", g.name));
        let mut rules = Vec::new();
        for (i, rule) in g.rules.iter().enumerate() {
            let r = rule.get_ref();
            let id = r.id.clone().unwrap_or_else(|| format!("rule{}", i + 1));
            let rule_at = self.at(Some(rule.span()), format!("{} > rule \"{id}\"", at.path));
            let pass = match &r.pass {
                None => 100.0,
                Some(p) => {
                    let v = *p.get_ref();
                    if !(0.0..=100.0).contains(&v) {
                        diagnostics.error(
                            self.at(Some(p.span()), format!("{} > pass", rule_at.path)),
                            format!("{v} is not a percentage from 0 to 100"),
                        );
                    }
                    v
                }
            };
            let conditions: Vec<Value> = r
                .when
                .iter()
                .map(|c| self.condition(c, &rule_at.path, diagnostics))
                .collect();
            rules.push(json!({
                "id": id,
                "name": r.name.clone().unwrap_or_else(|| id.clone()),
                "salt": id,
                "groupName": "",
                "passPercentage": pass,
                "returnValue": true,
                "idType": g.id_type.as_deref().unwrap_or("userID"),
                "conditions": conditions,
            }));
        }
        let json = json!({
            "name": g.name,
            "type": "feature_gate",
            "entity": "feature_gate",
            "salt": g.salt.clone().unwrap_or_else(|| g.name.clone()),
            "enabled": g.enabled,
            "defaultValue": false,
            "idType": g.id_type.as_deref().unwrap_or("userID"),
            "rules": rules,
        });
        self.spec(SpecKind::Gate, json, at)
    }

    fn condition(
        &self,
        cond: &Spanned<ConditionDoc>,
        path: &str,
        diagnostics: &mut Diagnostics,
    ) -> Value {
        let c = cond.get_ref();
        let at = self.at(Some(cond.span()), format!("{path} > condition"));
        let id_type = c.id_type.as_deref().unwrap_or("userID");
        let shorthand = match (&c.gate, &c.not_gate) {
            (Some(g), None) => Some(("pass_gate", g)),
            (None, Some(g)) => Some(("fail_gate", g)),
            (Some(_), Some(_)) => {
                diagnostics.error(at.clone(), "give either `gate` or `not_gate`, not both");
                None
            }
            (None, None) => None,
        };
        if let Some((kind, gate)) = shorthand {
            if c.kind.is_some() || c.op.is_some() || c.field.is_some() || c.value.is_some() {
                diagnostics.error(
                    at.clone(),
                    "a `gate`/`not_gate` condition takes no type, field, op or value",
                );
            }
            return json!({"type": kind, "targetValue": gate, "operator": null, "field": null,
                          "additionalValues": null, "idType": id_type});
        }
        let kind = c.kind.as_deref().unwrap_or("user_field");
        if !CONDITION_TYPES.contains(&kind) {
            diagnostics.error(
                at.clone(),
                format!(
                    "unknown condition type \"{kind}\" (one of: {})",
                    CONDITION_TYPES.join(", ")
                ),
            );
        }
        let needs_field = matches!(
            kind,
            "user_field" | "environment_field" | "ua_based" | "ip_based"
        );
        if needs_field && c.field.is_none() {
            diagnostics.error(at.clone(), format!("a {kind} condition needs a `field`"));
        }
        let needs_op = !matches!(
            kind,
            "public" | "pass_gate" | "fail_gate" | "multi_pass_gate" | "multi_fail_gate"
        );
        match &c.op {
            None if needs_op => diagnostics.error(at.clone(), "the condition needs an `op`"),
            Some(op) if !OPERATORS.contains(&op.as_str()) => {
                diagnostics.error(at.clone(), format!("unknown operator \"{op}\""))
            }
            _ => {}
        }
        let additional = if kind == "user_bucket" {
            match &c.salt {
                Some(salt) => json!({ "salt": salt }),
                None => {
                    diagnostics.error(at.clone(), "a user_bucket condition needs a `salt`");
                    Value::Null
                }
            }
        } else {
            Value::Null
        };
        json!({
            "type": kind,
            "operator": c.op,
            "field": c.field,
            "targetValue": c.value.as_ref().map_or(Value::Null, to_json),
            "additionalValues": additional,
            "idType": id_type,
        })
    }

    /// An experiment: its config spec, whose rules are, in order, the holdout, the schedule,
    /// the targeting, the allocation and the groups (as Statsig's console writes them), and
    /// the targeting gate's spec when it has one.
    fn experiment(
        &self,
        exp: &Spanned<ExperimentDoc>,
        layers: &BTreeMap<String, LayerPlan>,
        diagnostics: &mut Diagnostics,
    ) -> Vec<SpecInput> {
        let e = exp.get_ref();
        let salt = e.salt.clone().unwrap_or_else(|| e.name.clone());
        let x = ExperimentParts {
            e,
            at: self.at(Some(exp.span()), format!("experiment \"{}\"", e.name)),
            id_type: e.id_type.as_deref().unwrap_or("userID"),
            defaults: table_to_json(&e.defaults),
            salt,
        };
        let mut specs = Vec::new();
        let mut rules = Vec::new();
        if let Some(holdout) = &e.holdout {
            rules.push(x.default_rule("holdout", x.gate_condition("pass_gate", holdout)));
        }
        self.schedule(&x, &mut rules, diagnostics);
        if !e.targeting.is_empty() {
            let (gate, rule) = self.targeting(&x, diagnostics);
            specs.push(gate);
            rules.push(rule);
        }
        let allocation = self.allocation(&x, layers, diagnostics);
        rules.push(x.default_rule("layerAssignment", json!([allocation])));
        rules.extend(self.groups(&x, diagnostics));

        let explicit: Vec<&String> = e.defaults.keys().collect();
        let json = json!({
            "name": e.name, "type": "dynamic_config", "entity": "experiment", "salt": x.salt,
            "enabled": e.enabled, "defaultValue": x.defaults, "idType": x.id_type, "isActive": true,
            "hasSharedParams": e.layer.is_some(), "explicitParameters": explicit, "rules": rules,
        });
        specs.push(self.spec(SpecKind::Config, json, x.at));
        specs
    }

    /// The rules that keep users out before `start` and from `end` on.
    fn schedule(
        &self,
        x: &ExperimentParts<'_>,
        rules: &mut Vec<Value>,
        diagnostics: &mut Diagnostics,
    ) {
        for (key, id, op) in [(&x.e.start, "notStarted", "lt"), (&x.e.end, "ended", "gte")] {
            let Some(when) = key else { continue };
            match epoch_ms(when.get_ref()) {
                Ok(ms) => rules.push(x.default_rule(
                    id,
                    json!([
                        {"type": "current_time", "operator": op, "targetValue": ms, "field": null,
                         "additionalValues": null, "idType": x.id_type}
                    ]),
                )),
                Err(why) => diagnostics.error(
                    self.at(
                        Some(when.span()),
                        format!(
                            "{} > {}",
                            x.at.path,
                            if id == "ended" { "end" } else { "start" }
                        ),
                    ),
                    why,
                ),
            }
        }
    }

    /// The targeting gate's spec (`<name>_targeting`), and the rule that keeps out the users
    /// it fails.
    fn targeting(
        &self,
        x: &ExperimentParts<'_>,
        diagnostics: &mut Diagnostics,
    ) -> (SpecInput, Value) {
        let gate_name = format!("{}_targeting", x.e.name);
        let conditions: Vec<Value> =
            x.e.targeting
                .iter()
                .map(|c| self.condition(c, &x.at.path, diagnostics))
                .collect();
        let gate = json!({
            "name": gate_name, "type": "feature_gate", "entity": "feature_gate",
            "salt": format!("{}.targeting", x.salt), "enabled": true, "defaultValue": false,
            "idType": x.id_type,
            "rules": [{"id": "targeting", "name": "targeting", "salt": "targeting",
                       "groupName": "", "passPercentage": 100, "returnValue": true,
                       "idType": x.id_type, "conditions": conditions}],
        });
        let rule = x.default_rule("targetingGate", x.gate_condition("fail_gate", &gate_name));
        (
            self.spec(SpecKind::Gate, gate, x.at.child("targeting")),
            rule,
        )
    }

    /// The allocation's condition, which keeps out the users it holds: outside a layer the
    /// buckets from `allocation` on of the experiment's own layer salt, in a layer the buckets
    /// outside the experiment's range of the layer's.
    fn allocation(
        &self,
        x: &ExperimentParts<'_>,
        layers: &BTreeMap<String, LayerPlan>,
        diagnostics: &mut Diagnostics,
    ) -> Value {
        let e = x.e;
        let allocation = e.allocation.as_ref().map_or(100.0, |a| *a.get_ref());
        let allocation_per_mille = match per_mille(allocation) {
            Some(p) if allocation > 0.0 => p,
            _ => {
                let span = e.allocation.as_ref().map(Spanned::span);
                diagnostics.error(
                    self.at(span, format!("{} > allocation", x.at.path)),
                    format!("{allocation} is not a percentage from 0.1 to 100 in steps of 0.1"),
                );
                1000
            }
        };
        let (layer_salt, buckets) = match &e.layer {
            Some(layer) => {
                if e.layer_salt.is_some() {
                    diagnostics.error(
                        x.at.clone(),
                        "an experiment in a layer takes the layer's salt: drop `layer_salt`",
                    );
                }
                match layers.get(layer) {
                    Some(plan) => {
                        let range = plan
                            .members
                            .iter()
                            .find(|(name, _)| *name == e.name)
                            .map(|(_, r)| r.clone())
                            .unwrap_or(0..0);
                        (plan.salt.clone(), Some(range))
                    }
                    None => {
                        diagnostics.error(
                            x.at.clone(),
                            format!("layer \"{layer}\" is not defined in this file"),
                        );
                        (String::new(), None)
                    }
                }
            }
            None => {
                let layer_salt = e
                    .layer_salt
                    .clone()
                    .unwrap_or_else(|| format!("{}.layer", x.salt));
                let range = (allocation_per_mille < 1000).then_some(0..allocation_per_mille);
                (layer_salt, range)
            }
        };
        match buckets {
            None => json!({"type": "user_bucket", "operator": "any", "targetValue": [-1],
                           "field": null, "additionalValues": {"salt": layer_salt}, "idType": x.id_type}),
            Some(range) => json!({"type": "user_bucket", "operator": "none",
                                  "targetValue": range.collect::<Vec<u32>>(), "field": null,
                                  "additionalValues": {"salt": layer_salt}, "idType": x.id_type}),
        }
    }

    /// The groups' rules: each takes the buckets up to the cumulative bound of the weights
    /// (in thousandths) and returns the defaults with the group's parameters over them.
    fn groups(&self, x: &ExperimentParts<'_>, diagnostics: &mut Diagnostics) -> Vec<Value> {
        let e = x.e;
        if e.groups.is_empty() {
            diagnostics.error(x.at.clone(), "an experiment needs at least one group");
        }
        let mut rules = Vec::with_capacity(e.groups.len());
        let mut bound = 0u32;
        let mut total = 0.0;
        let mut names: Vec<&str> = Vec::new();
        for group in &e.groups {
            let g = group.get_ref();
            let group_at = self.at(
                Some(group.span()),
                format!("{} > group \"{}\"", x.at.path, g.name),
            );
            if names.contains(&g.name.as_str()) {
                diagnostics.error(
                    group_at.clone(),
                    format!("duplicate group name \"{}\"", g.name),
                );
            }
            names.push(&g.name);
            let weight = *g.weight.get_ref();
            total += weight;
            let Some(width) = per_mille(weight).filter(|_| weight > 0.0) else {
                diagnostics.error(
                    self.at(Some(g.weight.span()), format!("{} > weight", group_at.path)),
                    format!("{weight} is not a percentage above 0 in steps of 0.1"),
                );
                continue;
            };
            bound += width;
            let mut value = x.defaults.clone();
            if let Value::Object(obj) = &mut value {
                for (k, v) in &g.params {
                    if !e.defaults.contains_key(k) {
                        diagnostics.error(
                            group_at.clone(),
                            format!("parameter \"{k}\" is not in the experiment's defaults"),
                        );
                    }
                    obj.insert(k.clone(), to_json(v));
                }
            }
            let id =
                g.id.clone()
                    .unwrap_or_else(|| format!("{}.{}", e.name, g.name));
            rules.push(json!({
                "id": id, "name": id, "salt": id, "groupName": g.name, "passPercentage": 100,
                "returnValue": value, "idType": x.id_type, "isExperimentGroup": true,
                "conditions": [{"type": "user_bucket", "operator": "lt", "targetValue": bound,
                                "field": null, "additionalValues": {"salt": x.salt},
                                "idType": x.id_type}],
            }));
        }
        if !e.groups.is_empty() && (total - 100.0).abs() > 1e-9 {
            diagnostics.error(
                x.at.clone(),
                format!("the group weights add up to {total}, not 100"),
            );
        }
        rules
    }

    fn layer_spec(
        &self,
        layer: &Spanned<LayerDoc>,
        plan: &LayerPlan,
        doc: &Doc,
        diagnostics: &mut Diagnostics,
    ) -> SpecInput {
        let l = layer.get_ref();
        let at = self.at(Some(layer.span()), format!("layer \"{}\"", l.name));
        let id_type = l.id_type.as_deref().unwrap_or("userID");
        let defaults = table_to_json(&l.defaults);
        if plan.members.is_empty() {
            diagnostics.warning(at.clone(), "no experiment is in this layer");
        }
        for exp in doc
            .experiment
            .iter()
            .filter(|e| e.get_ref().layer.as_deref() == Some(&l.name))
        {
            if exp.get_ref().id_type.as_deref().unwrap_or("userID") != id_type {
                diagnostics.error(
                    self.at(
                        Some(exp.span()),
                        format!("experiment \"{}\"", exp.get_ref().name),
                    ),
                    format!("its id_type differs from layer \"{}\"'s", l.name),
                );
            }
        }
        let rules: Vec<Value> = plan
            .members
            .iter()
            .map(|(name, range)| {
                let id = format!("alloc_{name}");
                json!({
                    "id": id, "name": id, "salt": id, "groupName": "", "passPercentage": 100,
                    "returnValue": defaults, "idType": id_type, "configDelegate": name,
                    "conditions": [{"type": "user_bucket", "operator": "any",
                                    "targetValue": range.clone().collect::<Vec<u32>>(),
                                    "field": null, "additionalValues": {"salt": plan.salt},
                                    "idType": id_type}],
                })
            })
            .collect();
        let json = json!({
            "name": l.name, "type": "dynamic_config", "entity": "layer", "salt": plan.salt,
            "enabled": true, "defaultValue": defaults, "idType": id_type, "rules": rules,
        });
        self.spec(SpecKind::Layer, json, at)
    }
}

/// A percentage as thousandths of the buckets, when it is a whole number of them.
/// What an experiment's rules share while they are written.
struct ExperimentParts<'e> {
    e: &'e ExperimentDoc,
    at: Location,
    salt: String,
    id_type: &'e str,
    /// The parameters' defaults, as JSON.
    defaults: Value,
}

impl ExperimentParts<'_> {
    /// A rule that returns the defaults, outside the experiment, when its `conditions` pass.
    fn default_rule(&self, id: &str, conditions: Value) -> Value {
        json!({"id": id, "name": id, "groupName": id, "salt": "", "passPercentage": 100,
               "returnValue": self.defaults, "idType": self.id_type, "conditions": conditions})
    }

    /// The one condition of a rule that checks the gate `name` (`pass_gate` or `fail_gate`).
    fn gate_condition(&self, kind: &str, name: &str) -> Value {
        json!([{"type": kind, "targetValue": name, "operator": null, "field": null,
                "additionalValues": null, "idType": self.id_type}])
    }
}

fn per_mille(percent: f64) -> Option<u32> {
    let thousandths = percent * 10.0;
    ((0.0..=1000.0).contains(&thousandths) && (thousandths - thousandths.round()).abs() < 1e-9)
        .then(|| thousandths.round() as u32)
}

/// A TOML date-time (or an RFC 3339 string) with an offset, in epoch milliseconds.
fn epoch_ms(value: &toml::Value) -> Result<i64, String> {
    let text = match value {
        toml::Value::Datetime(dt) => dt.to_string(),
        toml::Value::String(s) => s.clone(),
        other => {
            return Err(format!(
                "expected a date-time such as 2026-01-01T00:00:00Z, found {other}"
            ))
        }
    };
    let parsed = time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
        .map_err(|_| {
            format!("\"{text}\" is not a date-time with a time zone, such as 2026-01-01T00:00:00Z")
        })?;
    Ok((parsed.unix_timestamp_nanos() / 1_000_000) as i64)
}

fn to_json(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
        }
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        toml::Value::Table(t) => table_to_json(t),
    }
}

fn table_to_json(table: &toml::Table) -> Value {
    Value::Object(
        table
            .iter()
            .map(|(k, v)| (k.clone(), to_json(v)))
            .collect::<Map<_, _>>(),
    )
}
