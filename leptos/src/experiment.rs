//! What a component reads of one experiment, dynamic config or gate: its values, its group
//! and why, as signals that follow the user and the forced groups, and its exposure.

use cohort::{Evaluation, Reason, SpecKind};
use leptos::prelude::*;
use leptos::reactive::effect::RenderEffect;
use serde_json::Value;

use crate::client::Cohort;
use crate::console;

/// How a spec is read: its kind, how it is evaluated and exposed, and when.
#[derive(Clone, Copy)]
pub(crate) struct Reading {
    pub kind: SpecKind,
    pub evaluate: fn(Cohort, &str) -> Evaluation<'static>,
    /// How its exposure is logged (`None`: never, as for dynamic configs).
    pub expose: Option<fn(Cohort, &'static str, &Evaluation<'static>)>,
    /// Whether the exposure is logged at once and whenever what is shown changes (else only
    /// when [`Experiment::log_exposure`] is called).
    pub automatic: bool,
}

impl std::fmt::Debug for Reading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reading")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// One experiment (or dynamic config) as the user sees it, from
/// [`use_experiment`](crate::use_experiment). A small `Copy` handle: the getters return signals.
#[derive(Debug, Clone, Copy)]
pub struct Experiment {
    cohort: Cohort,
    /// The name as the rules have it (`None`: not in the rules).
    name: Option<&'static str>,
    reading: Reading,
    evaluation: Memo<Evaluation<'static>>,
}

impl Experiment {
    pub(crate) fn new(cohort: Cohort, reading: Reading, name: &str) -> Experiment {
        let kind = reading.kind;
        let evaluate = reading.evaluate;
        let known = cohort.rules.spec(kind, name).map(|spec| spec.name.as_str());
        if known.is_none() {
            console::warn(&format!(
                "no {} \"{name}\" in the rules: its defaults are used ({}: {})",
                kind_word(kind),
                plural(kind),
                names(cohort, kind).join(", ")
            ));
        }
        let evaluation = match known {
            Some(name) => Memo::new_with_compare(move |_| evaluate(cohort, name), changed),
            None => {
                let unknown = name.to_owned();
                Memo::new_with_compare(move |_| evaluate(cohort, &unknown), changed)
            }
        };
        let experiment = Experiment {
            cohort,
            name: known,
            reading,
            evaluation,
        };
        if reading.automatic && reading.expose.is_some() {
            // Runs now (the exposure of what the first paint shows), then whenever the
            // evaluation changes; it ends with the component that asked.
            // A new user who sees the same as the last one is still a new exposure.
            let identity = cohort.identity();
            let effect = RenderEffect::new(move |_| {
                evaluation.track();
                identity.track();
                experiment.log_exposure();
            });
            on_cleanup(move || drop(effect));
        }
        experiment
    }

    /// The name, when the rules have it.
    pub fn name(&self) -> Option<&'static str> {
        self.name
    }

    /// The parameter `param` when it is a string, else `default` (Statsig's typed get).
    pub fn get(&self, param: &str, default: &str) -> Signal<String> {
        self.read(param, default.to_owned(), |v| v.as_str().map(str::to_owned))
    }

    /// The parameter `param` when it is a boolean, else `default`.
    pub fn get_bool(&self, param: &str, default: bool) -> Signal<bool> {
        self.read(param, default, Value::as_bool)
    }

    /// The parameter `param` when it is a number (integer or not), else `default`.
    pub fn get_f64(&self, param: &str, default: f64) -> Signal<f64> {
        self.read(param, default, Value::as_f64)
    }

    /// The parameter `param` as JSON, if the value has it.
    pub fn get_json(&self, param: &str) -> Signal<Option<Value>> {
        self.read(param, None, |v| Some(Some(v.clone())))
    }

    fn read<T: Clone + Send + Sync + 'static>(
        &self,
        param: &str,
        default: T,
        typed: fn(&Value) -> Option<T>,
    ) -> Signal<T> {
        self.check_parameter(param);
        let evaluation = self.evaluation;
        let param = param.to_owned();
        Signal::derive(move || {
            evaluation.with(|e| {
                e.value
                    .get(&param)
                    .and_then(typed)
                    .unwrap_or_else(|| default.clone())
            })
        })
    }

    /// The user's group, when they are in one (forced, kept or assigned).
    pub fn group(&self) -> Signal<Option<String>> {
        let evaluation = self.evaluation;
        Signal::derive(move || evaluation.with(|e| e.group().map(str::to_owned)))
    }

    /// Why the user sees what they see (matched, disabled, forced, sticky...).
    pub fn reason(&self) -> Signal<Reason> {
        let evaluation = self.evaluation;
        Signal::derive(move || evaluation.with(|e| e.reason))
    }

    /// Whether QA forced the group (a forced view is never an exposure).
    pub fn is_forced(&self) -> Signal<bool> {
        let evaluation = self.evaluation;
        Signal::derive(move || evaluation.with(|e| e.reason == Reason::Forced))
    }

    /// The whole evaluation (value, rule, group, reason, secondary exposures).
    pub fn evaluation(&self) -> Memo<Evaluation<'static>> {
        self.evaluation
    }

    /// Logs the exposure of what the user sees now: once per (user, experiment, group); never
    /// for a forced view, a user in no group or a name the rules do not have. Automatic with
    /// [`use_experiment`](crate::use_experiment); by hand after
    /// [`use_experiment_manual`](crate::use_experiment_manual).
    pub fn log_exposure(&self) {
        if let (Some(name), Some(expose)) = (self.name, self.reading.expose) {
            self.evaluation
                .with_untracked(|e| expose(self.cohort, name, e));
        }
    }

    /// Warns, once per read, when the spec has no parameter `param` in any of its values.
    fn check_parameter(&self, param: &str) {
        let Some(spec) = self
            .name
            .and_then(|n| self.cohort.rules.spec(self.reading.kind, n))
        else {
            return;
        };
        let values =
            std::iter::once(&spec.default_value).chain(spec.rules.iter().map(|r| &r.return_value));
        let mut known: Vec<&str> = Vec::new();
        for key in values
            .filter_map(Value::as_object)
            .flat_map(|o| o.keys().map(String::as_str))
        {
            if key == param {
                return;
            }
            if !known.contains(&key) {
                known.push(key);
            }
        }
        console::warn(&format!(
            "{} \"{}\" has no parameter \"{param}\": its default is used (parameters: {})",
            kind_word(self.reading.kind),
            spec.name,
            known.join(", ")
        ));
    }
}

/// Whether an evaluation shows something else than the one before: another value (values are
/// the rules', compared by address), rule, group, reason or gate value.
fn changed(before: Option<&Evaluation<'static>>, now: Option<&Evaluation<'static>>) -> bool {
    match (before, now) {
        (Some(a), Some(b)) => {
            !(std::ptr::eq(a.value, b.value)
                && a.rule_id == b.rule_id
                && a.group_name == b.group_name
                && a.reason == b.reason
                && a.passed == b.passed)
        }
        _ => true,
    }
}

fn kind_word(kind: SpecKind) -> &'static str {
    match kind {
        SpecKind::Gate => "gate",
        SpecKind::Config => "experiment or config",
        SpecKind::Layer => "layer",
    }
}

fn plural(kind: SpecKind) -> &'static str {
    match kind {
        SpecKind::Gate => "gates",
        SpecKind::Config => "experiments and configs",
        SpecKind::Layer => "layers",
    }
}

fn names(cohort: Cohort, kind: SpecKind) -> Vec<&'static str> {
    cohort
        .rules
        .evaluated_specs()
        .filter(|s| s.kind == kind)
        .map(|s| s.name.as_str())
        .collect()
}
