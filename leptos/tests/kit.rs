//! The kit used as a stranger's app would use it, in headless Chrome: small rules written in
//! the test (TOML, and a Statsig JSON dynamic config), `Cohort::start`, a `CohortProvider` and
//! tiny components that read experiments, gates and configs through the hooks. What is logged
//! is read back from the queue (`cohort_protocol::Record`s).

#![cfg(target_arch = "wasm32")]

use std::sync::OnceLock;

use cohort_leptos::engine::{compile, CompileOptions, Format, Rules, RulesFile, User};
use cohort_leptos::events::Queue;
use cohort_leptos::first_paint;
use cohort_leptos::identity::{self, IdSource, Identity};
use cohort_leptos::{
    use_cohort, use_config, use_experiment, use_experiment_manual, use_gate, Cohort,
    CohortProvider, Config, FirstPaint, ForcePanel, Store,
};
use cohort_protocol::{Groups, Record};
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
export function capture_console() {
  if (!window.__cohortLog) {
    window.__cohortLog = [];
    for (const level of ["warn", "error"]) {
      const original = console[level];
      console[level] = (...args) => { window.__cohortLog.push(args.join(" ")); original.apply(console, args); };
    }
  }
  window.__cohortLog.length = 0;
}
export function console_text() { return (window.__cohortLog || []).join("\n"); }
"#)]
extern "C" {
    fn capture_console();
    fn console_text() -> String;
}

/// A stranger's rules: two experiments of one page, a gate, an experiment targeting a
/// country, a layer of two exclusive experiments, and (in Statsig's JSON) a dynamic config.
const TOML: &str = r#"
[[gate]]
name = "beta"
rules = [{ id = "half", pass = 50 }]

[[experiment]]
name = "a"
defaults = { color = "blue", size = 1 }
groups = [
  { name = "X", weight = 50, params = { color = "red" } },
  { name = "Y", weight = 50, params = { color = "green", size = 2 } },
]

[[experiment]]
name = "b"
defaults = { label = "Buy" }
groups = [
  { name = "Control", weight = 50 },
  { name = "T", weight = 50, params = { label = "Get it" } },
]

[[experiment]]
name = "by_country"
targeting = [{ field = "country", op = "any", value = ["FR"] }]
defaults = { v = "everyone" }
groups = [{ name = "Only", weight = 100, params = { v = "france" } }]

[[layer]]
name = "landing"
defaults = { hero = "plain" }

[[experiment]]
name = "l1"
layer = "landing"
allocation = 50
defaults = { hero = "plain" }
groups = [{ name = "Big", weight = 100, params = { hero = "big" } }]

[[experiment]]
name = "l2"
layer = "landing"
allocation = 50
defaults = { hero = "plain" }
groups = [{ name = "Video", weight = 100, params = { hero = "video" } }]
"#;

const CONFIG_JSON: &str = r#"{
  "feature_gates": [],
  "dynamic_configs": [
    {"name": "limits", "type": "dynamic_config", "entity": "dynamic_config", "salt": "limits",
     "enabled": true, "defaultValue": {"max_items": 3}, "idType": "userID", "rules": []}
  ],
  "layer_configs": []
}"#;

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| {
        let files = [
            RulesFile {
                name: "kit.toml",
                text: TOML,
                format: Format::Toml,
            },
            RulesFile {
                name: "limits.json",
                text: CONFIG_JSON,
                format: Format::StatsigJson,
            },
        ];
        compile(&files, CompileOptions::STRICT).unwrap_or_else(|d| panic!("{d}"))
    })
}

fn now() -> i64 {
    js_sys::Date::now() as i64
}

/// The group the engine gives `user_id` in `experiment`.
fn engine_group(user_id: &str, experiment: &str) -> Option<String> {
    rules()
        .at(now())
        .get_experiment(&User::with_id(user_id), experiment)
        .group()
        .map(str::to_owned)
}

/// The group of `experiment` that is not `group` (the test experiments have two).
fn other_group(experiment: &str, group: &str) -> &'static str {
    let names = rules().group_names(experiment);
    assert_eq!(names.len(), 2, "{names:?}");
    names.into_iter().find(|g| *g != group).unwrap()
}

async fn tick() {
    gloo_timers::future::TimeoutFuture::new(0).await;
}

/// Cohort started for the app-given user `user_id`, kept in a fresh memory store, with
/// `query` as the page's query string.
async fn start(user_id: &str, query: &str) -> Cohort {
    Cohort::start(
        Config::new(rules())
            .store(Store::memory())
            .query(query)
            .user(User::with_id(user_id)),
    )
    .await
}

/// One mounted component in its own container, removed afterwards.
struct Mounted {
    root: web_sys::HtmlElement,
    _handle: leptos::mount::UnmountHandle<leptos::tachys::view::any_view::AnyViewState>,
}

impl Mounted {
    /// `body` under a `CohortProvider` of `cohort`, or (`None`) under no provider at all.
    fn new(cohort: Option<Cohort>, body: fn() -> AnyView) -> Mounted {
        let document = web_sys::window().unwrap().document().unwrap();
        let root: web_sys::HtmlElement = document.create_element("div").unwrap().unchecked_into();
        document.body().unwrap().append_child(&root).unwrap();
        let handle = match cohort {
            Some(cohort) => leptos::mount::mount_to(root.clone(), move || {
                view! { <CohortProvider cohort>{body()}</CohortProvider> }.into_any()
            }),
            None => leptos::mount::mount_to(root.clone(), body),
        };
        Mounted {
            root,
            _handle: handle,
        }
    }

    fn get(&self, testid: &str) -> web_sys::HtmlElement {
        self.root
            .query_selector(&format!("[data-testid='{testid}']"))
            .unwrap()
            .unwrap_or_else(|| panic!("no element with data-testid={testid}"))
            .unchecked_into()
    }

    fn text(&self, testid: &str) -> String {
        self.get(testid).text_content().unwrap_or_default()
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        self.root.remove();
    }
}

/// The page's address, put back when dropped (forcing a group rewrites it).
struct KeepUrl(String);

impl KeepUrl {
    fn new() -> KeepUrl {
        KeepUrl(web_sys::window().unwrap().location().href().unwrap())
    }
}

impl Drop for KeepUrl {
    fn drop(&mut self) {
        let _ = web_sys::window()
            .unwrap()
            .history()
            .unwrap()
            .replace_state_with_url(&JsValue::NULL, "", Some(&self.0));
    }
}

/// The records queued in `cohort`'s store, oldest first.
fn queued(cohort: Cohort) -> Vec<Record> {
    Queue::new(&cohort.store())
        .records()
        .iter()
        .map(|json| serde_json::from_str(json).unwrap())
        .collect()
}

/// The (user, experiment, group) of every queued exposure.
fn exposures(cohort: Cohort) -> Vec<(String, String, String)> {
    queued(cohort)
        .into_iter()
        .filter_map(|record| match record {
            Record::Exposure {
                user_id,
                experiment,
                group,
                ..
            } => Some((user_id, experiment, group)),
            Record::Event { .. } => None,
        })
        .collect()
}

/// The last queued event: its name, value and groups.
fn last_event(cohort: Cohort) -> (String, Option<f64>, Groups) {
    queued(cohort)
        .into_iter()
        .rev()
        .find_map(|record| match record {
            Record::Event {
                name,
                value,
                groups,
                ..
            } => Some((name, value, groups)),
            Record::Exposure { .. } => None,
        })
        .expect("an event")
}

fn groups(pairs: &[(&str, &str)]) -> Groups {
    pairs.iter().copied().collect()
}

/// Experiments "a" and "b", read as a page reads them.
#[component]
fn TwoExperiments() -> impl IntoView {
    let a = use_experiment("a");
    let b = use_experiment("b");
    let color = a.get("color", "none");
    let label = b.get("label", "none");
    let (a_group, b_group, a_forced) = (a.group(), b.group(), a.is_forced());
    view! {
        <p data-testid="a-color">{move || color.get()}</p>
        <p data-testid="a-group" data-forced=move || a_forced.get().to_string()>
            {move || a_group.get().unwrap_or_default()}
        </p>
        <p data-testid="b-label">{move || label.get()}</p>
        <p data-testid="b-group">{move || b_group.get().unwrap_or_default()}</p>
    }
}

fn two_experiments() -> AnyView {
    view! { <TwoExperiments /> }.into_any()
}

/// Asserts that the page shows what the engine gives `user_id` in "a" and "b".
fn assert_shows(page: &Mounted, user_id: &str) {
    let evaluator = rules().at(now());
    let user = User::with_id(user_id);
    let a = evaluator.get_experiment(&user, "a");
    let b = evaluator.get_experiment(&user, "b");
    assert_eq!(page.text("a-group"), a.group().unwrap(), "{user_id}");
    assert_eq!(page.text("a-color"), a.get("color", "?"), "{user_id}");
    assert_eq!(page.text("b-group"), b.group().unwrap(), "{user_id}");
    assert_eq!(page.text("b-label"), b.get("label", "?"), "{user_id}");
}

#[wasm_bindgen_test]
async fn two_experiments_of_one_page_are_each_logged_once_with_their_own_group() {
    let user = "kit-user-two";
    let (a, b) = (
        engine_group(user, "a").unwrap(),
        engine_group(user, "b").unwrap(),
    );
    let cohort = start(user, "").await;
    let page = Mounted::new(Some(cohort), two_experiments);
    assert_shows(&page, user);
    let expected = vec![
        (user.to_owned(), "a".to_owned(), a),
        (user.to_owned(), "b".to_owned(), b),
    ];
    assert_eq!(exposures(cohort), expected, "logged as the page mounts");
    tick().await;
    drop(page);
    // The same user on the same store again: nothing new.
    let page = Mounted::new(Some(cohort), two_experiments);
    tick().await;
    assert_shows(&page, user);
    assert_eq!(exposures(cohort), expected);
}

#[wasm_bindgen_test]
async fn exposures_carry_the_pages_dimensions_the_id_source_and_the_browser_from_its_user_agent() {
    let user = "kit-user-dimensions";
    let cohort = start(user, "").await;
    let page = Mounted::new(Some(cohort), two_experiments);
    let user_agent = web_sys::window().unwrap().navigator().user_agent().unwrap();
    let dimensions: Vec<_> = queued(cohort)
        .into_iter()
        .filter_map(|record| match record {
            Record::Exposure { dimensions, .. } => Some(dimensions),
            Record::Event { .. } => None,
        })
        .collect();
    assert_eq!(dimensions.len(), 2);
    for d in &dimensions {
        assert_eq!(d.get("source"), Some("app"));
        assert_eq!(
            d.get("browser"),
            Some(cohort_leptos::dimensions::browser_family(&user_agent))
        );
        assert_eq!(d.get("browser"), Some("Chrome"), "{user_agent}");
        assert_eq!(d.get("device"), Some("desktop"));
        // An ID the app gives says nothing of whether this browser was here before.
        assert_eq!(d.get("visitor"), None);
    }
    drop(page);
}

#[wasm_bindgen_test]
async fn forcing_one_experiment_logs_nothing_for_it_leaves_the_other_alone_and_events_carry_only_the_other(
) {
    let _url = KeepUrl::new();
    let user = "kit-user-force";
    let (a, b) = (
        engine_group(user, "a").unwrap(),
        engine_group(user, "b").unwrap(),
    );
    let forced = other_group("a", &a);
    let cohort = start(user, "").await;
    let page = Mounted::new(Some(cohort), two_experiments);
    tick().await;
    assert_eq!(exposures(cohort).len(), 2);
    let b_label = page.text("b-label");

    cohort.force("a", Some(forced));
    tick().await;
    let forced_color = if forced == "X" { "red" } else { "green" };
    assert_eq!(page.text("a-group"), forced);
    assert_eq!(page.text("a-color"), forced_color);
    assert_eq!(
        page.get("a-group").get_attribute("data-forced").as_deref(),
        Some("true")
    );
    assert_eq!(cohort.forced_groups().get_untracked(), [("a", forced)]);
    // The other experiment is untouched: same group, same value, no new exposure.
    assert_eq!(page.text("b-group"), b);
    assert_eq!(page.text("b-label"), b_label);
    assert_eq!(
        exposures(cohort),
        [
            (user.to_owned(), "a".to_owned(), a.clone()),
            (user.to_owned(), "b".to_owned(), b.clone()),
        ],
        "a forced view is no exposure"
    );
    cohort.track("click", None);
    assert_eq!(
        last_event(cohort),
        ("click".into(), None, groups(&[("b", &b)]))
    );

    // Unforced: the user's own group again, carried again, still logged once.
    cohort.force("a", None);
    tick().await;
    assert_eq!(page.text("a-group"), a);
    assert_eq!(
        page.get("a-group").get_attribute("data-forced").as_deref(),
        Some("false")
    );
    cohort.track("click", None);
    assert_eq!(
        last_event(cohort),
        ("click".into(), None, groups(&[("a", &a), ("b", &b)]))
    );
    assert_eq!(exposures(cohort).len(), 2);
}

#[wasm_bindgen_test]
async fn a_group_forced_by_the_query_is_never_logged_and_is_logged_once_unforced() {
    let _url = KeepUrl::new();
    let user = "kit-user-query";
    let (a, b) = (
        engine_group(user, "a").unwrap(),
        engine_group(user, "b").unwrap(),
    );
    let forced = other_group("a", &a);
    let cohort = start(user, &format!("?force=a:{forced}")).await;
    let page = Mounted::new(Some(cohort), two_experiments);
    tick().await;
    assert_eq!(page.text("a-group"), forced);
    assert_eq!(
        exposures(cohort),
        [(user.to_owned(), "b".to_owned(), b.clone())]
    );
    cohort.track("click", None);
    assert_eq!(last_event(cohort).2, groups(&[("b", &b)]));

    cohort.force("a", None);
    tick().await;
    assert_eq!(page.text("a-group"), a);
    assert_eq!(
        exposures(cohort),
        [
            (user.to_owned(), "b".to_owned(), b),
            (user.to_owned(), "a".to_owned(), a),
        ]
    );
}

#[wasm_bindgen_test]
async fn forcing_an_unknown_experiment_or_group_is_ignored_with_a_console_line_naming_the_choices()
{
    let _url = KeepUrl::new();
    capture_console();
    let cohort = start("kit-user-unknown-force", "").await;
    let before = web_sys::window().unwrap().location().search().unwrap();
    cohort.force("a", Some("Z"));
    cohort.force("nope", Some("X"));
    assert!(cohort.forced_groups().get_untracked().is_empty());
    assert_eq!(
        web_sys::window().unwrap().location().search().unwrap(),
        before,
        "the URL is left alone"
    );
    let console = console_text();
    assert!(
        console.contains("a has no group \"Z\" (groups: X, Y)"),
        "{console}"
    );
    assert!(
        console.contains("no experiment \"nope\" in the rules (experiments: a, b, by_country"),
        "{console}"
    );
}

#[wasm_bindgen_test]
async fn track_carries_both_groups_and_the_value_and_leaves_out_a_value_that_is_not_finite() {
    let user = "kit-user-track";
    let (a, b) = (
        engine_group(user, "a").unwrap(),
        engine_group(user, "b").unwrap(),
    );
    let cohort = start(user, "").await;
    let _page = Mounted::new(Some(cohort), two_experiments);
    cohort.track("purchase", Some(9.5));
    let records = queued(cohort);
    let Some(Record::Event {
        user_id,
        name,
        value,
        groups: carried,
        ..
    }) = records.last()
    else {
        panic!("an event last: {records:?}");
    };
    assert_eq!(
        (user_id.as_str(), name.as_str(), *value),
        (user, "purchase", Some(9.5))
    );
    assert_eq!(*carried, groups(&[("a", &a), ("b", &b)]));
    cohort.track("purchase", Some(f64::NAN));
    assert_eq!(last_event(cohort).1, None);
}

/// The gate "beta".
#[component]
fn Beta() -> impl IntoView {
    let beta = use_gate("beta");
    view! { <p data-testid="beta">{move || if beta.get() { "open" } else { "closed" }}</p> }
}

#[wasm_bindgen_test]
async fn a_gate_is_logged_once_as_an_exposure_named_after_it_with_the_value_check_gate_gives() {
    let evaluator = rules().at(now());
    let gate = |id: &str| evaluator.check_gate(&User::with_id(id), "beta");
    let ids = (0..).map(|i| format!("kit-user-gate-{i}"));
    let open = ids.clone().find(|id| gate(id).passed).unwrap();
    let closed = ids.clone().find(|id| !gate(id).passed).unwrap();
    for (user, value) in [(open, "true"), (closed, "false")] {
        let cohort = start(&user, "").await;
        let page = Mounted::new(Some(cohort), || view! { <Beta /> }.into_any());
        let shown = if value == "true" { "open" } else { "closed" };
        assert_eq!(page.text("beta"), shown, "{user}");
        drop(page);
        let _again = Mounted::new(Some(cohort), || view! { <Beta /> }.into_any());
        tick().await;
        let records = queued(cohort);
        let [Record::Exposure {
            user_id,
            experiment,
            group,
            rule_id,
            ..
        }] = records.as_slice()
        else {
            panic!("one exposure: {records:?}");
        };
        assert_eq!(
            (user_id.as_str(), experiment.as_str(), group.as_str()),
            (user.as_str(), "beta", value)
        );
        assert_eq!(rule_id, gate(&user).rule_id);
    }
}

/// Names the rules do not have.
#[component]
fn Unknowns() -> impl IntoView {
    let nope = use_experiment("nope");
    let color = nope.get("color", "fallback");
    let group = nope.group();
    let misspelt = use_experiment("a").get("colour", "fallback");
    let gate = use_gate("no_such_gate");
    view! {
        <p data-testid="nope-color">{move || color.get()}</p>
        <p data-testid="nope-group">{move || group.get().unwrap_or_else(|| "none".into())}</p>
        <p data-testid="a-colour">{move || misspelt.get()}</p>
        <p data-testid="gate">{move || gate.get().to_string()}</p>
    }
}

#[wasm_bindgen_test]
async fn unknown_experiments_parameters_and_gates_give_the_defaults_and_a_warning_naming_the_choices(
) {
    capture_console();
    let user = "kit-user-unknowns";
    let cohort = start(user, "").await;
    let page = Mounted::new(Some(cohort), || view! { <Unknowns /> }.into_any());
    assert_eq!(page.text("nope-color"), "fallback");
    assert_eq!(page.text("nope-group"), "none");
    assert_eq!(page.text("a-colour"), "fallback");
    assert_eq!(page.text("gate"), "false");
    let console = console_text();
    for expected in [
        "no experiment or config \"nope\" in the rules: its defaults are used (experiments and configs: ",
        "experiment or config \"a\" has no parameter \"colour\": its default is used (parameters: color, size)",
        "no gate \"no_such_gate\" in the rules: its defaults are used (gates: beta",
    ] {
        assert!(console.contains(expected), "{expected}\nin:\n{console}");
    }
    for name in ["a", "b", "by_country", "l1", "l2", "limits"] {
        assert!(
            console.contains(&format!(" {name}")),
            "{name} named: {console}"
        );
    }
    tick().await;
    // Only the known experiment was logged.
    let logged: Vec<String> = exposures(cohort).into_iter().map(|(_, e, _)| e).collect();
    assert_eq!(logged, ["a"]);
}

/// Experiment "a" read without its automatic exposure, logged by a button.
#[component]
fn Manual() -> impl IntoView {
    let a = use_experiment_manual("a");
    let color = a.get("color", "none");
    view! {
        <p data-testid="a-color">{move || color.get()}</p>
        <button data-testid="seen" on:click=move |_| a.log_exposure()>
            "Seen"
        </button>
    }
}

#[wasm_bindgen_test]
async fn a_manual_experiment_logs_nothing_until_log_exposure_and_then_once() {
    let user = "kit-user-manual";
    let a = engine_group(user, "a").unwrap();
    let cohort = start(user, "").await;
    let page = Mounted::new(Some(cohort), || view! { <Manual /> }.into_any());
    tick().await;
    let color = if a == "X" { "red" } else { "green" };
    assert_eq!(page.text("a-color"), color);
    assert!(queued(cohort).is_empty(), "nothing before log_exposure");
    cohort.track("before", None);
    assert!(last_event(cohort).2.is_empty(), "no group before exposure");
    page.get("seen").click();
    page.get("seen").click();
    assert_eq!(
        exposures(cohort),
        [(user.to_owned(), "a".to_owned(), a.clone())]
    );
    cohort.track("after", None);
    assert_eq!(last_event(cohort).2, groups(&[("a", &a)]));
}

/// A dynamic config, and an experiment read as a config.
#[component]
fn Configs() -> impl IntoView {
    let max_items = use_config("limits").get_f64("max_items", 0.0);
    let color = use_config("a").get("color", "none");
    view! {
        <p data-testid="max-items">{move || max_items.get()}</p>
        <p data-testid="a-color">{move || color.get()}</p>
    }
}

#[wasm_bindgen_test]
async fn use_config_gives_the_configs_values_and_logs_nothing_even_for_an_experiment() {
    let user = "kit-user-config";
    let a = rules().at(now()).get_experiment(&User::with_id(user), "a");
    let cohort = start(user, "").await;
    let page = Mounted::new(Some(cohort), || view! { <Configs /> }.into_any());
    tick().await;
    assert_eq!(page.text("max-items"), "3");
    assert_eq!(page.text("a-color"), a.get("color", "?"));
    assert!(queued(cohort).is_empty(), "{:?}", queued(cohort));
}

/// The experiment that targets French users.
#[component]
fn ByCountry() -> impl IntoView {
    let e = use_experiment("by_country");
    let (v, group) = (e.get("v", "none"), e.group());
    view! {
        <p data-testid="v">{move || v.get()}</p>
        <p data-testid="group">{move || group.get().unwrap_or_else(|| "none".into())}</p>
    }
}

#[wasm_bindgen_test]
async fn set_user_with_a_targeted_attribute_changes_the_assignment_in_place_and_keeps_the_id() {
    let user = "kit-user-country";
    let cohort = start(user, "").await;
    let page = Mounted::new(Some(cohort), || view! { <ByCountry /> }.into_any());
    let v = page.get("v");
    assert_eq!(page.text("v"), "everyone");
    assert_eq!(page.text("group"), "none");
    tick().await;
    assert!(exposures(cohort).is_empty(), "not targeted: in no group");

    let french = User {
        country: Some("FR".into()),
        ..User::default()
    };
    let mut expected = french.clone();
    expected.user_id = Some(user.to_owned());
    assert_eq!(
        rules()
            .at(now())
            .get_experiment(&expected, "by_country")
            .group(),
        Some("Only")
    );
    cohort.set_user(french);
    tick().await;
    assert_eq!(page.text("v"), "france");
    assert_eq!(page.text("group"), "Only");
    assert!(v.is_connected(), "in place, not re-created");
    assert_eq!(cohort.user_id().get_untracked(), user);
    assert_eq!(cohort.user().get_untracked(), expected);
    assert_eq!(
        exposures(cohort),
        [(user.to_owned(), "by_country".to_owned(), "Only".to_owned())]
    );
}

#[wasm_bindgen_test]
async fn an_app_given_id_is_the_user_unless_the_query_asks_for_random_and_set_user_signs_in_another_who_is_logged(
) {
    let first = "app-user-7";
    let cohort = start(first, "").await;
    let identity = cohort.identity().get_untracked();
    assert_eq!(
        (identity.user_id.as_str(), identity.source),
        (first, IdSource::App)
    );
    let page = Mounted::new(Some(cohort), two_experiments);
    assert_shows(&page, first);
    let logged_for = |user: &str| -> Vec<(String, String, String)> {
        ["a", "b"]
            .iter()
            .map(|e| {
                (
                    user.to_owned(),
                    (*e).to_owned(),
                    engine_group(user, e).unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(exposures(cohort), logged_for(first));

    // Signing in as another user who has the same groups (the hardest case: nothing on the
    // page changes, yet they are a new user to log).
    let same_groups = |id: &str| {
        ["a", "b"]
            .iter()
            .all(|e| engine_group(id, e) == engine_group(first, e))
    };
    let second = (0..)
        .map(|i| format!("app-user-signed-in-{i}"))
        .find(|id| same_groups(id))
        .unwrap();
    cohort.set_user(User::with_id(&second));
    let identity = cohort.identity().get_untracked();
    assert_eq!(
        (identity.user_id.as_str(), identity.source),
        (second.as_str(), IdSource::App)
    );
    tick().await;
    assert_shows(&page, &second);
    let mut expected = logged_for(first);
    expected.extend(logged_for(&second));
    assert_eq!(exposures(cohort), expected, "the signed-in user is logged");
    cohort.track("after_sign_in", None);
    let carried = last_event(cohort).2;
    assert_eq!(carried.len(), 2, "both groups carried: {carried:?}");

    let random = start(first, "?random").await;
    let identity = random.identity().get_untracked();
    assert_eq!(identity.source, IdSource::Random);
    assert!(identity::is_valid_user_id(&identity.user_id));
}

#[wasm_bindgen_test]
async fn next_visitor_gives_a_new_random_id_clears_the_carried_groups_and_logs_the_new_users_groups(
) {
    let user = "kit-user-next";
    let cohort = start(user, "").await;
    let page = Mounted::new(Some(cohort), two_experiments);
    let a_group = page.get("a-group");
    tick().await;
    assert_eq!(exposures(cohort).len(), 2);
    let mut previous = user.to_owned();
    let mut kept_a_group = 0;
    // Visitors until one of them lands in the previous visitor's group of "a" (half do) twice.
    for _ in 0..40 {
        let before = page.text("a-group");
        cohort.next_visitor();
        // At once: a new random user, whose events carry none of the previous user's groups.
        let identity = cohort.identity().get_untracked();
        assert_eq!(identity.source, IdSource::Random);
        assert!(identity::is_valid_user_id(&identity.user_id));
        assert_ne!(identity.user_id, previous);
        cohort.track("right_after", None);
        assert!(last_event(cohort).2.is_empty(), "{:?}", last_event(cohort));

        tick().await;
        let id = identity.user_id;
        assert_shows(&page, &id);
        let (a, b) = (
            engine_group(&id, "a").unwrap(),
            engine_group(&id, "b").unwrap(),
        );
        let logged: Vec<_> = exposures(cohort)
            .into_iter()
            .filter(|(u, _, _)| *u == id)
            .collect();
        assert_eq!(
            logged,
            [
                (id.clone(), "a".to_owned(), a.clone()),
                (id.clone(), "b".to_owned(), b.clone()),
            ],
            "the new user's exposures (same group as before in a: {})",
            before == a
        );
        cohort.track("later", None);
        assert_eq!(last_event(cohort).2, groups(&[("a", &a), ("b", &b)]));
        if before == a {
            kept_a_group += 1;
            if kept_a_group == 2 {
                break;
            }
        }
        previous = id;
    }
    assert_eq!(kept_a_group, 2, "two visitors kept the previous group");
    assert!(a_group.is_connected(), "shown in place");
}

/// Reads through `use_cohort` and the hooks.
#[component]
fn Detached() -> impl IntoView {
    let cohort = use_cohort();
    cohort.track("outside", None);
    let color = use_experiment("a").get("color", "fallback");
    let beta = use_gate("beta");
    view! {
        <p data-testid="a-color">{move || color.get()}</p>
        <p data-testid="beta">{move || beta.get().to_string()}</p>
    }
}

#[wasm_bindgen_test]
async fn outside_a_provider_use_cohort_gives_the_defaults_and_a_console_error_logs_nothing_and_does_not_panic(
) {
    // A page's log is open (an app started Cohort) but this component is not under its
    // provider.
    let cohort = start("kit-user-outside", "").await;
    capture_console();
    let page = Mounted::new(None, || view! { <Detached /> }.into_any());
    tick().await;
    assert_eq!(page.text("a-color"), "fallback");
    assert_eq!(page.text("beta"), "false");
    assert!(
        console_text().contains("use_cohort was called outside <CohortProvider>"),
        "{}",
        console_text()
    );
    assert!(
        queued(cohort).is_empty(),
        "the stand-in logs nothing: {:?}",
        queued(cohort)
    );
}

/// The layer's two experiments.
#[component]
fn Landing() -> impl IntoView {
    let l1 = use_experiment("l1").get("hero", "none");
    let l2 = use_experiment("l2").get("hero", "none");
    view! {
        <p data-testid="l1">{move || l1.get()}</p>
        <p data-testid="l2">{move || l2.get()}</p>
    }
}

#[wasm_bindgen_test]
async fn two_experiments_in_one_layer_never_both_put_a_user_in_a_group() {
    let evaluator = rules().at(now());
    let (mut in_l1, mut in_l2) = (0, 0);
    for i in 0..4000 {
        let user = User::with_id(format!("kit-layer-{i}"));
        let l1 = evaluator.get_experiment(&user, "l1").is_experiment_group;
        let l2 = evaluator.get_experiment(&user, "l2").is_experiment_group;
        assert!(!(l1 && l2), "user {i} is in both");
        // The layer takes all of its buckets: everyone is in exactly one.
        assert!(l1 || l2, "user {i} is in neither");
        in_l1 += usize::from(l1);
        in_l2 += usize::from(l2);
    }
    assert!((1800..2200).contains(&in_l1), "{in_l1}");
    assert!((1800..2200).contains(&in_l2), "{in_l2}");

    // Through the kit: each user sees and is logged in exactly one of the two.
    for i in 0..20 {
        let id = format!("kit-layer-{i}");
        let cohort = start(&id, "").await;
        let page = Mounted::new(Some(cohort), || view! { <Landing /> }.into_any());
        let shown = [page.text("l1"), page.text("l2")];
        let logged: Vec<(String, String)> = exposures(cohort)
            .into_iter()
            .map(|(_, e, g)| (e, g))
            .collect();
        if engine_group(&id, "l1").is_some() {
            assert_eq!(shown, ["big", "plain"], "{id}");
            assert_eq!(logged, [("l1".to_owned(), "Big".to_owned())], "{id}");
        } else {
            assert_eq!(shown, ["plain", "video"], "{id}");
            assert_eq!(logged, [("l2".to_owned(), "Video".to_owned())], "{id}");
        }
    }
}

#[wasm_bindgen_test]
async fn the_force_panel_offers_each_experiment_with_groups_and_choosing_forces_in_place() {
    let _url = KeepUrl::new();
    let cohort = start("kit-user-panel", "").await;
    let page = Mounted::new(Some(cohort), || {
        view! {
            <TwoExperiments />
            <ForcePanel />
        }
        .into_any()
    });
    let options = |experiment: &str| -> Vec<String> {
        let select = page.get(&format!("force-{experiment}"));
        // Its options, in order (without web-sys's NodeList).
        std::iter::successors(select.first_element_child(), |o| o.next_element_sibling())
            .filter_map(|o| o.get_attribute("value"))
            .collect()
    };
    assert_eq!(options("a"), ["", "X", "Y"]);
    assert_eq!(options("b"), ["", "Control", "T"]);
    assert_eq!(options("by_country"), ["", "Only"]);
    assert_eq!(options("l1"), ["", "Big"]);
    assert!(
        page.root
            .query_selector("[data-testid='force-limits']")
            .unwrap()
            .is_none(),
        "a config with no groups is not offered"
    );
    assert_eq!(
        page.get("forced").get_attribute("data-on").as_deref(),
        Some("false")
    );

    let own = page.text("b-group");
    let other = other_group("b", &own);
    let select: web_sys::HtmlSelectElement = page.get("force-b").unchecked_into();
    select.set_value(other);
    select
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    tick().await;
    assert_eq!(page.text("b-group"), other);
    assert_eq!(cohort.forced_groups().get_untracked(), [("b", other)]);
    assert_eq!(
        page.get("forced").get_attribute("data-on").as_deref(),
        Some("true")
    );
    assert!(page.text("forced").contains(&format!("b = {other}")));
}

/// The page's `<html>`, where a first paint hands its user over.
fn html() -> web_sys::Element {
    web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .document_element()
        .unwrap()
}

/// Takes back what a first paint handed over, when dropped (the tests share one page).
struct HandedOver;

impl Drop for HandedOver {
    fn drop(&mut self) {
        let root = html();
        let _ = root.remove_attribute(first_paint::USER_ID_ATTRIBUTE);
        let _ = root.remove_attribute(first_paint::ID_SOURCE_ATTRIBUTE);
    }
}

#[wasm_bindgen_test]
async fn the_first_paint_shows_the_groups_the_app_then_shows_and_the_app_keeps_its_user_and_leaves_forced_views_to_the_app(
) {
    let _url = KeepUrl::new();
    for query in ["", "?random", "?force=a:Y"] {
        let _handed = HandedOver;
        let store = Store::memory();
        let first = FirstPaint::decide_with(rules(), User::default(), store, query);
        let Some(first) = first else {
            // QA's forced views are the app's alone.
            assert!(query.contains("force"), "{query}");
            let cohort = Cohort::start(Config::new(rules()).store(store).query(query)).await;
            let page = Mounted::new(Some(cohort), two_experiments);
            assert_eq!(page.text("a-group"), "Y");
            continue;
        };
        assert!(!query.contains("force"), "{query}");
        let user_id = first.identity().user_id.clone();
        let (a, b) = (first.experiment("a"), first.experiment("b"));
        assert_eq!(a.group(), engine_group(&user_id, "a").as_deref(), "{query}");
        assert_eq!(b.group(), engine_group(&user_id, "b").as_deref(), "{query}");
        first.hand_over();

        let cohort = Cohort::start(Config::new(rules()).store(store).query(query)).await;
        assert_eq!(
            cohort.identity().get_untracked(),
            *first.identity(),
            "{query}"
        );
        let page = Mounted::new(Some(cohort), two_experiments);
        assert_eq!(page.text("a-group"), a.group().unwrap(), "{query}");
        assert_eq!(page.text("a-color"), a.get("color", "?"), "{query}");
        assert_eq!(page.text("b-group"), b.group().unwrap(), "{query}");
    }
}

#[wasm_bindgen_test]
async fn a_malformed_hand_over_is_ignored_and_the_app_decides_for_itself() {
    let _handed = HandedOver;
    let root = html();
    for (id, source) in [
        ("not-a-uuid", "stored"),
        ("8f7f4b4e-8d9c-4f43-9a4e-2f3b8a1c6d5e", "no-such-source"),
        ("10.0.0.1", "ip-hash"),
    ] {
        root.set_attribute(first_paint::USER_ID_ATTRIBUTE, id)
            .unwrap();
        root.set_attribute(first_paint::ID_SOURCE_ATTRIBUTE, source)
            .unwrap();
        assert_eq!(first_paint::handed_over(), None, "{id} {source}");
        let cohort = Cohort::start(Config::new(rules()).store(Store::memory())).await;
        assert_ne!(cohort.identity().get_untracked().user_id, id);
    }
    let well_formed = "8f7f4b4e-8d9c-4f43-9a4e-2f3b8a1c6d5e";
    root.set_attribute(first_paint::USER_ID_ATTRIBUTE, well_formed)
        .unwrap();
    root.set_attribute(first_paint::ID_SOURCE_ATTRIBUTE, "stored")
        .unwrap();
    let cohort = Cohort::start(Config::new(rules()).store(Store::memory())).await;
    assert_eq!(
        cohort.identity().get_untracked(),
        Identity {
            user_id: well_formed.into(),
            source: IdSource::Stored
        }
    );
}
