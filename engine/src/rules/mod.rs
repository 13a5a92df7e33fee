//! The compiled form of rules: gates, configs, experiments and layers, validated and ready to
//! evaluate ([`Rules`]), each [`Spec`] in the shape evaluation reads ([`spec`]), with its
//! targets in [`sets`] and an experiment's configured split readable as a [`Plan`].
//!
//! Rules are made by the compiler ([`crate::compile`](mod@crate::compile)) from what the readers
//! ([`crate::read`]) found in files, or rebuilt from generated code ([`crate::codegen`]).

pub mod experiments;
mod index;
pub mod operators;
mod plan;
pub mod sets;
pub mod spec;

use serde_json::{Map, Value};

pub use experiments::{Cap, CapKind, ExperimentSettings, Metric, MetricKind, Ratio};
pub(crate) use index::NameIndex;
pub use operators::{OperatorFn, Operators};
pub use plan::{GroupPlan, Plan};
pub use sets::{BucketSet, StrSet};
pub use spec::*;

use crate::diagnostics::Diagnostics;
use crate::model::SpecKind;

/// Compiled, validated rules: gates, configs, experiments and layers ready to evaluate.
#[derive(Debug, Clone)]
pub struct Rules {
    pub(crate) specs: Vec<Spec>,
    pub(crate) gates: NameIndex,
    pub(crate) configs: NameIndex,
    pub(crate) layers: NameIndex,
    pub(crate) id_lists: Vec<StrSet>,
    pub(crate) app_id: Option<String>,
    pub(crate) default_environment: Option<Map<String, Value>>,
    pub(crate) empty: Value,
    pub(crate) warnings: Diagnostics,
    /// Cohort's additions: the metrics, and the experiments' analysis settings by name.
    pub(crate) metrics: Vec<Metric>,
    pub(crate) settings: Vec<(String, ExperimentSettings)>,
    /// The operators the conditions may apply.
    pub(crate) operators: Operators,
}

impl Rules {
    /// Rules from their compiled parts (what generated code calls, see [`crate::codegen`]).
    /// Names are indexed in order, so of duplicates the last one is evaluated, as in Statsig.
    /// `operators` must have every kind of operator the specs use ([`Rules::operator_kinds`]);
    /// a condition whose operator it lacks raises, so its spec evaluates as an error.
    pub fn from_parts(
        specs: Vec<Spec>,
        id_lists: Vec<StrSet>,
        app_id: Option<String>,
        default_environment: Option<String>,
        operators: Operators,
    ) -> Rules {
        let mut rules = Rules {
            specs: Vec::new(),
            gates: NameIndex::default(),
            configs: NameIndex::default(),
            layers: NameIndex::default(),
            id_lists,
            app_id,
            default_environment: default_environment.map(environment),
            empty: Value::Object(Map::new()),
            warnings: Diagnostics::default(),
            metrics: Vec::new(),
            settings: Vec::new(),
            operators,
        };
        for (id, spec) in specs.iter().enumerate() {
            rules.index_mut(spec.kind).insert(&spec.name, id as SpecId);
        }
        rules.specs = specs;
        rules
    }

    /// These rules with Cohort's metrics and experiment settings (what generated code calls).
    pub fn with_experiments(
        mut self,
        metrics: Vec<Metric>,
        settings: Vec<(String, ExperimentSettings)>,
    ) -> Rules {
        self.metrics = metrics;
        self.settings = settings;
        self
    }

    /// The metrics, in file order.
    pub fn metrics(&self) -> &[Metric] {
        &self.metrics
    }

    /// The metric of a name.
    pub fn metric(&self, name: &str) -> Option<&Metric> {
        self.metrics.iter().find(|m| m.name == name)
    }

    /// The experiments that declare settings, with them, in file order.
    pub fn declared_settings(&self) -> &[(String, ExperimentSettings)] {
        &self.settings
    }

    /// The experiment's sticky version, if it is declared sticky.
    pub fn sticky_version(&self, experiment: &str) -> Option<u32> {
        self.settings
            .iter()
            .find(|(name, _)| name == experiment)
            .and_then(|(_, s)| s.sticky_version)
    }

    /// An experiment's analysis settings: as declared, else the defaults (every metric).
    pub fn experiment_settings(&self, experiment: &str) -> ExperimentSettings {
        self.settings
            .iter()
            .find(|(name, _)| name == experiment)
            .map_or_else(
                || ExperimentSettings::defaults(&self.metrics),
                |(_, s)| s.clone(),
            )
    }

    /// The metrics an experiment is judged by, the primary one first, then its guardrails.
    pub fn experiment_metrics(&self, experiment: &str) -> Vec<&Metric> {
        let settings = self.experiment_settings(experiment);
        settings
            .metrics
            .iter()
            .chain(&settings.guardrails)
            .filter_map(|name| self.metric(name))
            .collect()
    }

    /// Whether some metric counts `event`.
    pub fn counts_event(&self, event: &str) -> bool {
        self.metrics
            .iter()
            .flat_map(Metric::parts)
            .any(|m| m.event == event)
    }

    fn index_mut(&mut self, kind: SpecKind) -> &mut NameIndex {
        match kind {
            SpecKind::Gate => &mut self.gates,
            SpecKind::Config => &mut self.configs,
            SpecKind::Layer => &mut self.layers,
        }
    }

    /// The kinds of operator the conditions use, in order, each once.
    pub fn operator_kinds(&self) -> Vec<OpKind> {
        let mut kinds: Vec<OpKind> = self
            .specs
            .iter()
            .flat_map(|spec| &spec.rules)
            .flat_map(|rule| &rule.conditions)
            .map(|condition| condition.op.kind())
            .collect();
        kinds.sort_unstable();
        kinds.dedup();
        kinds
    }

    /// The operators these rules may apply.
    pub fn operators(&self) -> &Operators {
        &self.operators
    }

    /// Whether any condition uses `str_matches` (which needs the `regex` feature).
    pub fn uses_regex(&self) -> bool {
        #[cfg(feature = "regex")]
        {
            self.operator_kinds().contains(&OpKind::Matches)
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

    /// The group names of the experiment (or dynamic config) `name`, in rule order; none when
    /// there is no such spec. (What forcing a group may name.)
    pub fn group_names(&self, name: &str) -> Vec<&str> {
        self.spec(SpecKind::Config, name)
            .into_iter()
            .flat_map(|spec| spec.groups())
            .filter_map(|rule| rule.group_name.as_deref())
            .collect()
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
    }

    /// The experiments: the dynamic configs whose groups are drawn from user buckets (what has
    /// results), as evaluation by name reaches them, in file order, with their splits.
    pub fn experiments(&self) -> impl Iterator<Item = (&Spec, Plan)> {
        self.evaluated_specs()
            .filter(|spec| spec.kind == SpecKind::Config)
            .filter_map(|spec| spec.plan().map(|plan| (spec, plan)))
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

/// `{"tier": tier}`: the environment of users who bring none.
pub(crate) fn environment(tier: String) -> Map<String, Value> {
    let mut env = Map::new();
    env.insert("tier".into(), Value::String(tier));
    env
}
