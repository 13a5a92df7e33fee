//! The handle an app holds: who the user is, their attributes, the groups QA forced, the
//! groups the user was exposed to so far, and the event log. Every assignment is derived from
//! these signals, so changing the user or a forced group restyles the page in place.

use std::sync::OnceLock;

use cohort::codegen::rt::Operators;
use cohort::{Evaluation, Reason, Rules, SpecKind, User};
use cohort_protocol::Groups;
use leptos::prelude::*;

use crate::config::Config;
use crate::dimensions;
use crate::events::EventLog;
use cohort_browser::assign::experiment_for;
use cohort_browser::console;
use cohort_browser::identity::{self, new_user_id, IdSource, Identity};
use cohort_browser::storage::Store;
use cohort_browser::{first_paint, force, page, sticky};

/// A forced or exposed (experiment, group) pair, as the rules name them.
pub(crate) type Pair = (&'static str, &'static str);

/// Cohort in a page: a small `Copy` handle (its state lives in signals), made once by
/// [`Cohort::start`] and handed to the components by [`CohortProvider`](crate::CohortProvider).
#[derive(Debug, Clone, Copy)]
pub struct Cohort {
    pub(crate) rules: &'static Rules,
    identity: RwSignal<Identity>,
    /// The user evaluated: the identity's ID and the app's attributes.
    user: RwSignal<User>,
    pub(crate) forced: RwSignal<Vec<Pair>>,
    /// The groups this user was exposed to so far (not forced ones), which events carry.
    /// (Read and written untracked: nothing reacts to it.)
    exposed: RwSignal<Vec<Pair>>,
    store: Store,
    /// The event log (none for the stand-in outside a provider, which logs nothing).
    log: Option<EventLog>,
}

impl Cohort {
    /// Decides who the user is (`?random`, the app's ID, the IP echo within its deadline, or
    /// the stored ID), reads `?force`, and opens the event log. Await it before mounting, so
    /// that the first paint already shows the user's groups.
    pub async fn start(config: Config) -> Cohort {
        let store = config.store.unwrap_or_else(Store::open);
        let query = config.query.unwrap_or_else(page::query);
        // The first paint's module decided already: the page keeps showing that user.
        let identity = match first_paint::handed_over() {
            Some(identity) => identity,
            None => {
                identity::resolve(
                    &store,
                    &query,
                    config.user.user_id.as_deref(),
                    config.ip_echo_url.as_deref(),
                )
                .await
            }
        };
        let forced = force::forced_groups(&query, config.rules, console::warn);
        let log = EventLog::open(store, config.collector_url, config.queue_capacity);
        Cohort::assemble(
            config.rules,
            identity,
            config.user,
            forced,
            store,
            Some(log),
        )
    }

    fn assemble(
        rules: &'static Rules,
        identity: Identity,
        mut user: User,
        forced: Vec<Pair>,
        store: Store,
        log: Option<EventLog>,
    ) -> Cohort {
        user.user_id = Some(identity.user_id.clone());
        Cohort {
            rules,
            identity: RwSignal::new(identity),
            user: RwSignal::new(user),
            forced: RwSignal::new(forced),
            exposed: RwSignal::new(Vec::new()),
            store,
            log,
        }
    }

    /// A stand-in with no rules, kept in memory, that logs nothing anywhere: what
    /// [`use_cohort`](crate::use_cohort) gives outside a provider (every value its default).
    pub(crate) fn detached() -> Cohort {
        static EMPTY: OnceLock<Rules> = OnceLock::new();
        let rules = EMPTY
            .get_or_init(|| Rules::from_parts(Vec::new(), Vec::new(), None, None, Operators::NONE));
        let identity = Identity {
            user_id: new_user_id(),
            source: IdSource::Session,
        };
        let store = Store::memory();
        Cohort::assemble(rules, identity, User::default(), Vec::new(), store, None)
    }

    /// The rules the page runs.
    pub fn rules(self) -> &'static Rules {
        self.rules
    }

    /// The user's ID.
    pub fn user_id(self) -> Signal<String> {
        let identity = self.identity;
        Signal::derive(move || identity.with(|i| i.user_id.clone()))
    }

    /// Who the user is: their ID and where it came from.
    pub fn identity(self) -> ReadSignal<Identity> {
        self.identity.read_only()
    }

    /// The user as the rules see them: the ID and the app's attributes.
    pub fn user(self) -> ReadSignal<User> {
        self.user.read_only()
    }

    /// Replaces the user's attributes; every assignment follows. A `user_id` in `user` that is
    /// not the current one makes it the user (the app's ID: a user who signed in); without one
    /// the ID stays.
    pub fn set_user(self, user: User) {
        let current = self.identity.with_untracked(|i| i.user_id.clone());
        match user.user_id.clone().filter(|id| *id != current) {
            Some(id) => self.become_user(
                Identity {
                    user_id: id,
                    source: IdSource::App,
                },
                user,
            ),
            None => self.user.set(User {
                user_id: Some(current),
                ..user
            }),
        }
    }

    /// Plays a new random user, in place (as a load with `?random` does). Their exposures are
    /// logged as the page shows their groups.
    pub fn next_visitor(self) {
        self.switch_to(Identity {
            user_id: new_user_id(),
            source: IdSource::Random,
        });
    }

    fn become_user(self, identity: Identity, user: User) {
        self.user.set(user);
        self.switch_to(identity);
    }

    /// Makes `identity` the user, keeping the attributes.
    fn switch_to(self, identity: Identity) {
        self.exposed.update_untracked(Vec::clear);
        self.user
            .update(|user| user.user_id = Some(identity.user_id.clone()));
        self.identity.set(identity);
    }

    /// Forces `group` of `experiment` for QA (`None` goes back to the user's own group), in
    /// place and in the page's `?force`, so that a reload or a shared link shows the same. A
    /// forced view is never an exposure and its events carry no group for that experiment.
    /// An unknown experiment or group is ignored, with a console line naming the choices.
    pub fn force(self, experiment: &str, group: Option<&str>) {
        let chosen = match group.map(|g| force::resolve(self.rules, experiment, g)) {
            Some(Ok(pair)) => Some(pair),
            Some(Err(why)) => {
                console::warn(&format!("cannot force a group: {why}"));
                return;
            }
            None => None,
        };
        self.forced.update(|forced| {
            forced.retain(|(e, _)| *e != experiment);
            forced.extend(chosen);
        });
        force::write_to_url(experiment, chosen.map(|(_, g)| g));
    }

    /// The groups forced now, as (experiment, group).
    pub fn forced_groups(self) -> ReadSignal<Vec<(&'static str, &'static str)>> {
        self.forced.read_only()
    }

    /// Logs the event `name` by the user, with an optional number (for `sum` metrics), carrying
    /// the groups the user was exposed to so far on this page (none for a forced experiment).
    pub fn track(self, name: &str, value: Option<f64>) {
        let mut groups = Groups::new();
        self.forced.with_untracked(|forced| {
            self.exposed.with_untracked(|exposed| {
                for (experiment, group) in exposed {
                    if !forced.iter().any(|(f, _)| f == experiment) {
                        groups.insert(*experiment, *group);
                    }
                }
            })
        });
        if let Some(log) = self.log {
            self.identity
                .with_untracked(|i| log.event(&i.user_id, name, value, groups));
        }
    }

    /// The store the user ID, the queue and the exposures are kept in.
    pub fn store(self) -> Store {
        self.store
    }

    /// The event log (`None` outside a [`CohortProvider`](crate::CohortProvider)).
    pub fn log(self) -> Option<EventLog> {
        self.log
    }

    /// The experiment `name` for the user now (tracking the user and the forced groups): a
    /// forced group first, then a kept sticky group, then the rules.
    pub(crate) fn evaluate_experiment(self, name: &str) -> Evaluation<'static> {
        // `scripts/bench` builds a page without the engine, to measure its share.
        if cfg!(cohort_size_probe) {
            return unrecognized(SpecKind::Config);
        }
        let forced = self
            .forced
            .with(|f| f.iter().find(|(e, _)| *e == name).map(|(_, g)| *g));
        self.user
            .with(|user| experiment_for(self.rules, &self.store, forced, user, name))
    }

    /// The dynamic config `name` for the user now (tracking the user).
    pub(crate) fn evaluate_config(self, name: &str) -> Evaluation<'static> {
        if cfg!(cohort_size_probe) {
            return unrecognized(SpecKind::Config);
        }
        let rules = self.rules;
        self.user
            .with(|user| rules.at(js_sys::Date::now() as i64).get_config(user, name))
    }

    /// The gate `name` for the user now (tracking the user).
    pub(crate) fn evaluate_gate(self, name: &str) -> Evaluation<'static> {
        if cfg!(cohort_size_probe) {
            return unrecognized(SpecKind::Gate);
        }
        let rules = self.rules;
        self.user
            .with(|user| rules.at(js_sys::Date::now() as i64).check_gate(user, name))
    }

    /// Logs the exposure of what `evaluation` of the experiment `name` shows (once per user,
    /// experiment and group), remembers the group for events and keeps it for a sticky
    /// experiment. Nothing for a forced view or a user in no group.
    pub(crate) fn expose_experiment(self, name: &'static str, evaluation: &Evaluation<'static>) {
        let group = evaluation
            .group()
            .filter(|_| evaluation.reason != Reason::Forced);
        let (Some(group), Some(log)) = (group, self.log) else {
            return;
        };
        self.identity.with_untracked(|identity| {
            let user_id = &identity.user_id;
            log.exposure(
                user_id,
                name,
                group,
                evaluation.rule_id,
                &evaluation.secondary_exposures,
                &dimensions::of_this_page(identity),
            );
            self.exposed.update_untracked(|exposed| {
                exposed.retain(|(e, _)| *e != name);
                exposed.push((name, group));
            });
            // A random visitor is never seen again: nothing to keep.
            if let Some(version) = self.rules.sticky_version(name) {
                if identity.source != IdSource::Random {
                    sticky::keep(&self.store, name, version, user_id, group);
                }
            }
        });
    }

    /// Logs the exposure of the gate `name`'s value (once per user and value), as an exposure
    /// whose group is `"true"` or `"false"`.
    pub(crate) fn expose_gate(self, name: &'static str, evaluation: &Evaluation<'static>) {
        let Some(log) = self.log else {
            return;
        };
        let value = if evaluation.passed { "true" } else { "false" };
        self.identity.with_untracked(|identity| {
            log.exposure(
                &identity.user_id,
                name,
                value,
                evaluation.rule_id,
                &evaluation.secondary_exposures,
                &dimensions::of_this_page(identity),
            );
        });
    }
}

/// What evaluating a name the rules do not have gives.
fn unrecognized(kind: SpecKind) -> Evaluation<'static> {
    static NULL: serde_json::Value = serde_json::Value::Null;
    Evaluation {
        kind,
        value: &NULL,
        passed: false,
        rule_id: "",
        group_name: None,
        is_experiment_group: false,
        reason: Reason::Unrecognized,
        secondary_exposures: Vec::new(),
        undelegated_secondary_exposures: Vec::new(),
        allocated_experiment: None,
        explicit_parameters: &[],
    }
}
