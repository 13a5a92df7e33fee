//! Evaluation: gates, configs, experiments and layers for one user, exactly as Statsig's SDK.
//!
//! The control flow mirrors the reference evaluator (`statsig/evaluator.py`): one mutable
//! `State` is threaded through a spec, the gates its conditions check (`pass_gate` and
//! `fail_gate` share it, which is how a nested gate's error or reset shows through) and the
//! experiment a layer delegates to. Conditions of a rule are all evaluated (no short
//! circuit), because every one of them may log an exposure or raise.
//!
//! Nothing is parsed here and nothing is allocated on the common path: values are borrowed
//! from the compiled rules, hashes are streamed, and each `user_bucket` is hashed once per
//! evaluation.

mod condition;
mod operators;
mod result;
mod sticky;
#[cfg(feature = "user-agent")]
mod user_agent;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

pub use operators::{operator_table, ALL_OPERATORS};
pub use result::{Evaluation, Exposure, PrimaryExposure, Reason};
pub use sticky::StickyGroup;

use crate::hash;
use crate::model::SpecKind;
use crate::python::PyError;
use crate::rules::{Rules, Spec, SpecId};
use crate::user::User;

/// How deep gates may nest before evaluation gives up, as Python's `RecursionError` does.
const MAX_DEPTH: u32 = 150;

/// Why an evaluation stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// An exception: the spec being evaluated ends with rule ID `"error"`.
    Raise(PyError),
    /// Gates nest too deep (a cycle): the whole call returns Statsig's fallback.
    Recursion,
}

impl From<PyError> for Stop {
    fn from(e: PyError) -> Stop {
        Stop::Raise(e)
    }
}

/// Evaluates rules at one instant (the `current_time` conditions read it).
#[derive(Debug, Clone, Copy)]
pub struct Evaluator<'r> {
    rules: &'r Rules,
    now_ms: i64,
}

impl Rules {
    /// An evaluator whose clock reads `now_ms` (milliseconds since the Unix epoch).
    pub fn at(&self, now_ms: i64) -> Evaluator<'_> {
        Evaluator {
            rules: self,
            now_ms,
        }
    }

    /// An evaluator on the system clock. (In a browser, pass `Date.now()` to [`Rules::at`].)
    #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
    pub fn evaluator(&self) -> Evaluator<'_> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        self.at(now)
    }
}

/// What Statsig returns for every spec of a file, in the shape of its conformance vectors.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Snapshot<'r> {
    pub gates: BTreeMap<&'r str, bool>,
    pub configs: BTreeMap<&'r str, ConfigSnapshot<'r>>,
    pub layers: BTreeMap<&'r str, ConfigSnapshot<'r>>,
}

/// A config's or layer's part of a [`Snapshot`].
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConfigSnapshot<'r> {
    pub value: &'r Value,
    pub rule_id: &'r str,
    pub group_name: Option<&'r str>,
}

impl<'r> Evaluator<'r> {
    /// `check_gate`: the gate's evaluation; its value is [`Evaluation::passed`].
    pub fn check_gate(&self, user: &User, name: &str) -> Evaluation<'r> {
        self.top(user, SpecKind::Gate, name)
    }

    /// `get_config`: a dynamic config's evaluation.
    pub fn get_config(&self, user: &User, name: &str) -> Evaluation<'r> {
        self.top(user, SpecKind::Config, name)
    }

    /// `get_experiment`: an experiment is a dynamic config with groups.
    pub fn get_experiment(&self, user: &User, name: &str) -> Evaluation<'r> {
        self.top(user, SpecKind::Config, name)
    }

    /// `get_layer`: a layer's evaluation, through the experiment it allocates the user to.
    pub fn get_layer(&self, user: &User, name: &str) -> Evaluation<'r> {
        self.top(user, SpecKind::Layer, name)
    }

    /// Every gate, config and layer for one user.
    pub fn snapshot(&self, user: &User) -> Snapshot<'r> {
        let mut out = Snapshot {
            gates: BTreeMap::new(),
            configs: BTreeMap::new(),
            layers: BTreeMap::new(),
        };
        // Of duplicate names only the last spec is reachable: evaluate each name once.
        for spec in self.rules.evaluated_specs() {
            let name = spec.name.as_str();
            let e = self.top(user, spec.kind, name);
            let summary = ConfigSnapshot {
                value: e.value,
                rule_id: e.rule_id,
                group_name: e.group_name,
            };
            match spec.kind {
                SpecKind::Gate => {
                    out.gates.insert(name, e.passed);
                }
                SpecKind::Config => {
                    out.configs.insert(name, summary);
                }
                SpecKind::Layer => {
                    out.layers.insert(name, summary);
                }
            }
        }
        out
    }

    fn top(&self, user: &User, kind: SpecKind, name: &str) -> Evaluation<'r> {
        let rules = self.rules;
        let mut ctx = Context {
            rules,
            user,
            environment: user
                .statsig_environment
                .as_ref()
                .or(rules.default_environment.as_ref()),
            now_ms: self.now_ms,
            buckets: BucketCache::default(),
        };
        let mut state = State::new(&rules.empty);
        let id = rules.lookup(kind, name);
        match ctx.eval_config(id, &mut state, false, 0) {
            Ok(()) => state.into_evaluation(kind),
            // Statsig's error boundary: the caller's default.
            Err(_) => {
                let mut state = State::new(&rules.empty);
                state.reason = Reason::Error;
                state.into_evaluation(kind)
            }
        }
    }
}

/// Statsig's `_ConfigEvaluation`: the result under construction.
#[derive(Debug)]
pub(crate) struct State<'r> {
    passed: bool,
    value: &'r Value,
    rule_id: &'r str,
    group_name: Option<&'r str>,
    is_experiment_group: bool,
    secondary: Vec<Exposure<'r>>,
    /// `None` while it is the same list as `secondary` (as it starts out in Statsig).
    undelegated: Option<Vec<Exposure<'r>>>,
    explicit_parameters: &'r [String],
    allocated_experiment: Option<&'r str>,
    reason: Reason,
    empty: &'r Value,
}

impl<'r> State<'r> {
    fn new(empty: &'r Value) -> State<'r> {
        State {
            passed: false,
            value: empty,
            rule_id: "",
            group_name: None,
            is_experiment_group: false,
            secondary: Vec::new(),
            undelegated: None,
            explicit_parameters: &[],
            allocated_experiment: None,
            reason: Reason::Unrecognized,
            empty,
        }
    }

    /// `_ConfigEvaluation.reset()`: everything back to empty, the two exposure lists apart.
    fn reset(&mut self) {
        *self = State {
            undelegated: Some(Vec::new()),
            ..State::new(self.empty)
        };
    }

    /// `__finalize_eval_result`.
    fn finalize(
        &mut self,
        spec: &'r Spec,
        passed: bool,
        rule: Option<&'r crate::rules::Rule>,
        nested: bool,
    ) {
        self.passed = passed;
        match rule {
            None => {
                self.value = &spec.default_value;
                self.group_name = None;
                self.is_experiment_group = false;
                if spec.enabled {
                    self.rule_id = "default";
                    self.reason = Reason::Default;
                } else {
                    self.rule_id = "disabled";
                    self.reason = Reason::Disabled;
                }
            }
            Some(rule) => {
                self.value = if passed {
                    &rule.return_value
                } else {
                    &spec.default_value
                };
                self.group_name = rule.group_name.as_deref();
                self.is_experiment_group = rule.is_experiment_group;
                self.rule_id = &rule.id;
                self.reason = Reason::Matched;
            }
        }
        if !nested {
            self.finalize_exposures();
        }
    }

    /// `__finalize_exposures`: drop `segment:` gates and duplicates.
    fn finalize_exposures(&mut self) {
        clean_exposures(&mut self.secondary);
        if let Some(undelegated) = &mut self.undelegated {
            clean_exposures(undelegated);
        }
    }

    fn into_evaluation(self, kind: SpecKind) -> Evaluation<'r> {
        let undelegated = match self.undelegated {
            Some(list) => list,
            None => self.secondary.clone(),
        };
        Evaluation {
            kind,
            value: self.value,
            passed: self.passed,
            rule_id: self.rule_id,
            group_name: self.group_name,
            is_experiment_group: self.is_experiment_group,
            reason: self.reason,
            secondary_exposures: self.secondary,
            undelegated_secondary_exposures: undelegated,
            allocated_experiment: self.allocated_experiment,
            explicit_parameters: self.explicit_parameters,
        }
    }
}

fn clean_exposures(list: &mut Vec<Exposure<'_>>) {
    if list.is_empty() {
        return;
    }
    let mut kept: Vec<Exposure<'_>> = Vec::with_capacity(list.len());
    for e in list.drain(..) {
        if !e.gate.starts_with("segment:") && !kept.contains(&e) {
            kept.push(e);
        }
    }
    *list = kept;
}

/// The `user_bucket` values computed so far in one evaluation, by salt slot.
#[derive(Default)]
struct BucketCache {
    entries: [(u32, u16); 8],
    len: usize,
}

impl BucketCache {
    fn get_or_compute(&mut self, slot: u32, compute: impl FnOnce() -> u16) -> u16 {
        if let Some(&(_, bucket)) = self.entries[..self.len].iter().find(|(s, _)| *s == slot) {
            return bucket;
        }
        let bucket = compute();
        if self.len < self.entries.len() {
            self.entries[self.len] = (slot, bucket);
            self.len += 1;
        }
        bucket
    }
}

/// Everything one top-level evaluation reads.
struct Context<'r, 'c> {
    rules: &'r Rules,
    user: &'c User,
    environment: Option<&'c Map<String, Value>>,
    now_ms: i64,
    buckets: BucketCache,
}

impl<'r> Context<'r, '_> {
    /// `__eval_config`: evaluation with exceptions turned into the `"error"` result.
    fn eval_config(
        &mut self,
        id: Option<SpecId>,
        state: &mut State<'r>,
        nested: bool,
        depth: u32,
    ) -> Result<(), Stop> {
        match self.evaluate(id, state, nested, depth) {
            Err(Stop::Raise(_)) => {
                state.rule_id = "error";
                state.reason = Reason::Error;
                Ok(())
            }
            other => other,
        }
    }

    /// The spec, unless it is absent or one Statsig would have dropped.
    fn supported(&self, id: Option<SpecId>) -> Option<&'r Spec> {
        let rules: &'r Rules = self.rules;
        id.map(|id| &rules.specs[id as usize])
            .filter(|spec| spec.unsupported.is_none())
    }

    /// `__evaluate`.
    fn evaluate(
        &mut self,
        id: Option<SpecId>,
        state: &mut State<'r>,
        nested: bool,
        depth: u32,
    ) -> Result<(), Stop> {
        if depth > MAX_DEPTH {
            return Err(Stop::Recursion);
        }
        let Some(spec) = self.supported(id) else {
            let unsupported = id.is_some();
            state.reset();
            state.reason = if unsupported {
                Reason::Unsupported
            } else {
                Reason::Unrecognized
            };
            return Ok(());
        };
        if !spec.enabled {
            state.finalize(spec, false, None, nested);
            return Ok(());
        }
        for rule in &spec.rules {
            let mut all = true;
            for condition in &rule.conditions {
                if !self.condition(condition, state, depth)? {
                    all = false;
                }
            }
            state.passed = all;
            if !all {
                continue;
            }
            let delegate = rule.delegate.as_ref().and_then(|d| d.target);
            if let Some(target) = self.supported(delegate) {
                state.undelegated = Some(state.secondary.clone());
                self.evaluate(delegate, state, true, depth + 1)?;
                state.explicit_parameters = &target.explicit_parameters;
                state.allocated_experiment = Some(&target.name);
                state.finalize_exposures();
                return Ok(());
            }
            let unit_id = self.user.unit_id(&rule.id_type).unwrap_or("");
            let passes =
                hash::passes_percentage(rule.pass_percentage, &spec.salt, &rule.salt, unit_id);
            state.finalize(spec, passes, Some(rule), nested);
            return Ok(());
        }
        state.finalize(spec, false, None, nested);
        Ok(())
    }
}
