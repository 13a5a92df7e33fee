//! Handing the [`Cohort`] to the components: [`CohortProvider`] puts it in the context, and the
//! hooks read what a component needs.

use cohort::SpecKind;
use leptos::prelude::*;

use crate::client::Cohort;
use crate::console;
use crate::experiment::{Experiment, Reading};

/// An experiment, exposed as it is shown.
const EXPERIMENT: Reading = Reading {
    kind: SpecKind::Config,
    evaluate: Cohort::evaluate_experiment,
    expose: Some(Cohort::expose_experiment),
    automatic: true,
};

/// Makes `cohort` available to every component below it (through the hooks).
#[component]
pub fn CohortProvider<T: IntoView + 'static>(
    /// From [`Cohort::start`].
    cohort: Cohort,
    children: TypedChildren<T>,
) -> impl IntoView {
    provide_context(cohort);
    children.into_inner()()
}

/// The page's [`Cohort`]. Outside a [`CohortProvider`] it is a stand-in with no rules (every
/// value its default, nothing logged) and the console says so.
pub fn use_cohort() -> Cohort {
    use_context::<Cohort>().unwrap_or_else(|| {
        console::error(
            "use_cohort was called outside <CohortProvider>: every experiment shows its defaults",
        );
        Cohort::detached()
    })
}

/// The experiment `name` as the user sees it. Its exposure is logged at once and whenever the
/// group shown changes (once per user, experiment and group; never for a forced view). An
/// unknown name gives the defaults, with a console line naming the experiments.
pub fn use_experiment(name: &str) -> Experiment {
    Experiment::new(use_cohort(), EXPERIMENT, name)
}

/// As [`use_experiment`], without logging the exposure: call
/// [`Experiment::log_exposure`] when the user really sees the experiment.
pub fn use_experiment_manual(name: &str) -> Experiment {
    let reading = Reading {
        automatic: false,
        ..EXPERIMENT
    };
    Experiment::new(use_cohort(), reading, name)
}

/// The dynamic config `name`: its values, read as an experiment's are, with no exposure.
pub fn use_config(name: &str) -> Experiment {
    let reading = Reading {
        kind: SpecKind::Config,
        evaluate: Cohort::evaluate_config,
        expose: None,
        automatic: false,
    };
    Experiment::new(use_cohort(), reading, name)
}

/// Whether the user passes the feature gate `name`. Its exposure is logged once per user and
/// value. An unknown gate is closed, with a console line naming the gates.
pub fn use_gate(name: &str) -> Signal<bool> {
    let reading = Reading {
        kind: SpecKind::Gate,
        evaluate: Cohort::evaluate_gate,
        expose: Some(Cohort::expose_gate),
        automatic: true,
    };
    let gate = Experiment::new(use_cohort(), reading, name);
    let evaluation = gate.evaluation();
    Signal::derive(move || evaluation.with(|e| e.passed))
}
