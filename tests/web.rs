//! The course page's components in headless Chrome (`wasm-bindgen-test`), mounted as the page
//! mounts itself: `Cohort::start(config).await`, then `<CohortProvider cohort><App /></CohortProvider>`.
//! Each group's button, text and tasks, the defaults, the stored ID, `?random`, the IP echo,
//! broken localStorage, the next visitor in place, forced groups (by `?force` and by the QA
//! panel, written back into the URL) and sticky groups.

#![cfg(target_arch = "wasm32")]

use cohort_app::bundle;
use cohort_app::colors::{ButtonColor, NamedColor};
use cohort_app::components::App;
use cohort_app::course::{
    group_label, COLOR_PARAM, DEFAULT_COLOR_TEXT, DEFAULT_TEXT, EXPERIMENT, TEXT_PARAM,
};
use cohort_app::tasks::TASKS_KEY;
use cohort_leptos::engine::{CompileOptions, Rules, User};
use cohort_leptos::events::Queue;
use cohort_leptos::identity::{self, IdSource, Identity, USER_ID_KEY};
use cohort_leptos::{Cohort, CohortProvider, Config, Store};
use cohort_protocol::Record;
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
export function break_local_storage(how) {
  window.__savedStorage = Object.getOwnPropertyDescriptor(window, "localStorage");
  window.__savedSetItem = Storage.prototype.setItem;
  if (how === "getter") {
    Object.defineProperty(window, "localStorage", { configurable: true, get() { throw new DOMException("denied", "SecurityError"); } });
  } else {
    Storage.prototype.setItem = function () { throw new DOMException("full", "QuotaExceededError"); };
  }
}
export function repair_local_storage() {
  if (window.__savedStorage) Object.defineProperty(window, "localStorage", window.__savedStorage);
  if (window.__savedSetItem) Storage.prototype.setItem = window.__savedSetItem;
}
export function clear_local_storage() { localStorage.clear(); }
export function sleep(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }
"#)]
extern "C" {
    fn capture_console();
    fn console_text() -> String;
    fn break_local_storage(how: &str);
    fn repair_local_storage();
    fn clear_local_storage();
    fn sleep(ms: u32) -> js_sys::Promise;
}

/// Lets effects and reactive updates run.
async fn tick() {
    wasm_bindgen_futures::JsFuture::from(sleep(0))
        .await
        .unwrap();
}

/// One mounted page in its own container, removed afterwards.
struct Mounted {
    root: web_sys::HtmlElement,
    cohort: Cohort,
    _handle: leptos::mount::UnmountHandle<leptos::tachys::view::any_view::AnyViewState>,
}

impl Mounted {
    /// Starts Cohort with `config` and mounts the page, as `cohort_app::start` does.
    async fn start(config: Config) -> Mounted {
        let cohort = Cohort::start(config).await;
        let document = web_sys::window().unwrap().document().unwrap();
        let root: web_sys::HtmlElement = document.create_element("div").unwrap().unchecked_into();
        document.body().unwrap().append_child(&root).unwrap();
        let handle = leptos::mount::mount_to(root.clone(), move || {
            view! {
                <CohortProvider cohort>
                    <App />
                </CohortProvider>
            }
            .into_any()
        });
        Mounted {
            root,
            cohort,
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

    fn id_source(&self) -> Option<String> {
        self.get("id-source").get_attribute("data-source")
    }

    /// Types `title` into the task list's input and submits its form.
    fn add_task(&self, title: &str) {
        let tasks = self.get("tasks");
        let input: web_sys::HtmlInputElement = tasks
            .query_selector("input#new-task")
            .unwrap()
            .unwrap()
            .unchecked_into();
        input.set_value(title);
        input
            .dispatch_event(&web_sys::Event::new("input").unwrap())
            .unwrap();
        let form: web_sys::HtmlFormElement = tasks
            .query_selector("form")
            .unwrap()
            .unwrap()
            .unchecked_into();
        form.request_submit().unwrap();
    }

    /// Chooses `group` ("" is "As assigned") in the QA panel's select for the course's
    /// experiment.
    fn choose_forced(&self, group: &str) {
        let select: web_sys::HtmlSelectElement =
            self.get(&format!("force-{EXPERIMENT}")).unchecked_into();
        select.set_value(group);
        select
            .dispatch_event(&web_sys::Event::new("change").unwrap())
            .unwrap();
    }

    fn background(&self, testid: &str) -> String {
        self.get(testid)
            .style()
            .get_property_value("background-color")
            .unwrap()
    }

    fn forced_on(&self) -> Option<String> {
        self.get("forced").get_attribute("data-on")
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

/// The page for the app-given user `user_id` under `rules`, kept in `store`, with no query.
async fn page_for(user_id: &str, store: Store, rules: &'static Rules) -> Mounted {
    Mounted::start(
        Config::new(rules)
            .store(store)
            .query("")
            .user(User::with_id(user_id)),
    )
    .await
}

/// Rules compiled from `json`, for the life of the tests.
fn compiled(json: &str) -> &'static Rules {
    Box::leak(Box::new(
        Rules::from_statsig_json(json, CompileOptions::STRICT).unwrap(),
    ))
}

/// The records queued in `store`, oldest first.
fn queued(store: &Store) -> Vec<Record> {
    Queue::new(store)
        .records()
        .iter()
        .map(|json| serde_json::from_str(json).unwrap())
        .collect()
}

/// The (user, group) of every exposure queued in `store`.
fn exposures(store: &Store) -> Vec<(String, String)> {
    queued(store)
        .into_iter()
        .filter_map(|record| match record {
            Record::Exposure { user_id, group, .. } => Some((user_id, group)),
            Record::Event { .. } => None,
        })
        .collect()
}

/// `rgb(r, g, b)`, as the browser reports a style's colour.
fn rgb(hex: &str) -> String {
    let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap();
    format!("rgb({}, {}, {})", channel(1), channel(3), channel(5))
}

fn now() -> i64 {
    js_sys::Date::now() as i64
}

/// What the engine says `user_id` sees of the course's experiment under `rules`: the group
/// label, the button's background (as the browser reports it) and the paragraph.
fn expected(rules: &Rules, user_id: &str) -> (String, String, String) {
    let e = rules
        .at(now())
        .get_experiment(&User::with_id(user_id), EXPERIMENT);
    let (color, _) = ButtonColor::parse_or_default(e.get(COLOR_PARAM, DEFAULT_COLOR_TEXT));
    (
        group_label(e.group(), e.reason),
        rgb(color.background()),
        e.get(TEXT_PARAM, DEFAULT_TEXT).to_owned(),
    )
}

/// The group the engine puts `user_id` in under `rules`.
fn group_of(rules: &Rules, user_id: &str) -> Option<String> {
    rules
        .at(now())
        .get_experiment(&User::with_id(user_id), EXPERIMENT)
        .group()
        .map(str::to_owned)
}

/// User IDs (UUIDs), a different sequence for each `seed`.
fn user_ids(seed: u8) -> impl Iterator<Item = String> {
    (0..10_000u32).map(move |i| {
        let mut bytes = [seed; 16];
        bytes[0] = (i % 251) as u8;
        bytes[1] = (i / 251) as u8;
        identity::user_id_from_bytes(bytes)
    })
}

/// A user ID the bundled rules put in `group`.
fn user_in(group: &str) -> String {
    user_ids(7)
        .find(|id| group_of(bundle::rules(), id).as_deref() == Some(group))
        .unwrap_or_else(|| panic!("no user lands in {group}"))
}

/// Asserts that the page shows what the engine gives the user it shows.
fn assert_shows_its_user(page: &Mounted, rules: &Rules) {
    let user_id = page.text("user-id");
    let (group, background, paragraph) = expected(rules, &user_id);
    assert_eq!(page.text("group"), group, "{user_id}");
    assert_eq!(page.background("cta"), background, "{user_id}");
    assert_eq!(page.text("paragraph"), paragraph, "{user_id}");
}

#[wasm_bindgen_test]
async fn each_group_shows_its_colour_text_and_task_parity() {
    for (group, color, text, parity) in [
        ("Control", NamedColor::Blue, DEFAULT_TEXT, "odd"),
        ("Red", NamedColor::Red, DEFAULT_TEXT, "even"),
        ("Green", NamedColor::Green, DEFAULT_TEXT, "odd"),
        (
            "Orange",
            NamedColor::Orange,
            "Join the Data Engineering Boot Camp today",
            "even",
        ),
    ] {
        let id = user_in(group);
        let page = page_for(&id, Store::memory(), bundle::rules()).await;
        assert_eq!(page.background("cta"), rgb(color.hex()), "{group}");
        assert_eq!(
            page.get("cta").get_attribute("data-color").as_deref(),
            Some(color.name())
        );
        assert_eq!(page.text("paragraph"), text, "{group}");
        assert_eq!(page.text("group"), group);
        assert_eq!(page.text("user-id"), id);
        assert_eq!(page.id_source().as_deref(), Some("app"));
        let shown = page.get("tasks").get_attribute("data-parity");
        assert_eq!(shown.as_deref(), Some(parity), "{group}");
    }
}

#[wasm_bindgen_test]
async fn without_the_experiment_the_course_defaults_show_and_the_group_says_it_is_not_in_the_rules()
{
    capture_console();
    let store = Store::memory();
    let page = page_for(&user_in("Red"), store, compiled("{}")).await;
    assert_eq!(page.background("cta"), rgb(NamedColor::Blue.hex()));
    assert_eq!(page.text("paragraph"), DEFAULT_TEXT);
    assert_eq!(page.text("group"), "None (experiment not in the rules)");
    assert!(
        console_text().contains("no experiment or config \"button_color_v3\" in the rules"),
        "{}",
        console_text()
    );
    tick().await;
    assert!(exposures(&store).is_empty(), "nothing to be exposed to");
}

#[wasm_bindgen_test]
async fn parameter_values_are_text_never_markup() {
    let json = include_str!("../experiments/button_color_v3.json").replace(
        "Join the Data Engineering Boot Camp today",
        "<img src=x onerror=alert(1)><b>bold</b>",
    );
    let page = page_for(&user_in("Orange"), Store::memory(), compiled(&json)).await;
    let paragraph = page.get("paragraph");
    assert_eq!(
        paragraph.text_content().unwrap(),
        "<img src=x onerror=alert(1)><b>bold</b>"
    );
    assert_eq!(
        paragraph.child_element_count(),
        0,
        "no element was injected"
    );
}

#[wasm_bindgen_test]
async fn the_id_created_on_the_first_visit_is_stored_and_reused_by_later_mounts_as_stored() {
    clear_local_storage();
    let store = Store::open();
    assert!(store.is_persistent());
    let config = || Config::new(bundle::rules()).store(store).query("");
    let first = Mounted::start(config()).await;
    let user_id = first.text("user-id");
    assert!(identity::is_valid_user_id(&user_id), "{user_id}");
    assert_eq!(first.id_source().as_deref(), Some("created"));
    assert_eq!(
        store
            .get_json(USER_ID_KEY)
            .and_then(|json| json.as_string()),
        Some(user_id.clone())
    );
    drop(first);
    for _ in 0..2 {
        let page = Mounted::start(config()).await;
        assert_eq!(page.text("user-id"), user_id);
        assert_eq!(page.id_source().as_deref(), Some("stored"));
        assert_shows_its_user(&page, bundle::rules());
    }
}

#[wasm_bindgen_test]
async fn a_malformed_stored_id_is_replaced_by_a_new_stored_one_and_the_console_says_malformed() {
    clear_local_storage();
    capture_console();
    let store = Store::open();
    store.set(USER_ID_KEY, &"<script>alert(1)</script>");
    let page = Mounted::start(Config::new(bundle::rules()).store(store).query("")).await;
    let user_id = page.text("user-id");
    assert!(identity::is_valid_user_id(&user_id), "{user_id}");
    assert_eq!(page.id_source().as_deref(), Some("created"));
    assert_eq!(
        store
            .get_json(USER_ID_KEY)
            .and_then(|json| json.as_string()),
        Some(user_id)
    );
    assert!(console_text().contains("malformed"), "{}", console_text());
}

#[wasm_bindgen_test]
async fn random_ids_are_fresh_for_each_load_never_stored_and_win_over_the_stored_and_app_ids() {
    clear_local_storage();
    let store = Store::open();
    let stored = identity::stored_or_new(&store);
    assert_eq!(stored.source, IdSource::Created);

    let mut seen = vec![stored.user_id.clone()];
    for query in ["?random", "?x=1&random=yes"] {
        let page = Mounted::start(Config::new(bundle::rules()).store(store).query(query)).await;
        let user_id = page.text("user-id");
        assert_eq!(page.id_source().as_deref(), Some("random"), "{query}");
        assert!(!seen.contains(&user_id), "{query}: a fresh ID each load");
        assert_shows_its_user(&page, bundle::rules());
        seen.push(user_id);
    }
    // Directly: `?random` wins over an ID the app gives.
    let random = identity::resolve(&store, "?random", Some("app-user-1"), None).await;
    assert_eq!(random.source, IdSource::Random);
    assert!(!seen.contains(&random.user_id));

    // Nothing random was stored: the next plain load is the stored user again.
    assert_eq!(
        store
            .get_json(USER_ID_KEY)
            .and_then(|json| json.as_string()),
        Some(stored.user_id.clone())
    );
    let page = Mounted::start(Config::new(bundle::rules()).store(store).query("")).await;
    assert_eq!(page.text("user-id"), stored.user_id);
    assert_eq!(page.id_source().as_deref(), Some("stored"));
}

#[wasm_bindgen_test]
async fn the_ip_echo_gives_the_id_when_it_answers_well_and_bad_answers_fall_back_to_the_stored_id()
{
    clear_local_storage();
    capture_console();
    let store = Store::open();
    let hash = "ab".repeat(32);
    let good = format!("data:application/json,{{\"ip_hash\":\"{hash}\"}}");

    let page = Mounted::start(
        Config::new(bundle::rules())
            .store(store)
            .query("")
            .ip_echo_url(good.clone()),
    )
    .await;
    assert_eq!(page.text("user-id"), hash);
    assert_eq!(page.id_source().as_deref(), Some("ip-hash"));
    assert_shows_its_user(&page, bundle::rules());
    drop(page);
    assert_eq!(
        identity::resolve(&store, "", None, Some(&good)).await,
        Identity {
            user_id: hash.clone(),
            source: IdSource::IpHash
        }
    );

    let stored = identity::stored_or_new(&store);
    for bad in [
        "data:application/json,{\"ip_hash\":\"1.2.3.4\"}",
        "data:text/html,<html>",
        "http://127.0.0.1:9/whoami",
    ] {
        let page = Mounted::start(
            Config::new(bundle::rules())
                .store(store)
                .query("")
                .ip_echo_url(bad),
        )
        .await;
        assert_eq!(page.text("user-id"), stored.user_id, "{bad}");
        assert_eq!(page.id_source().as_deref(), Some("stored"), "{bad}");
        drop(page);
        let got = identity::resolve(&store, "", None, Some(bad)).await;
        assert_eq!(
            got,
            Identity {
                source: IdSource::Stored,
                ..stored.clone()
            },
            "{bad}"
        );
    }
    assert!(
        console_text().contains("did not give an ID"),
        "{}",
        console_text()
    );

    // `?random` still wins over the echo, and so does an ID the app gives.
    let page = Mounted::start(
        Config::new(bundle::rules())
            .store(store)
            .query("?random")
            .ip_echo_url(good.clone()),
    )
    .await;
    assert_eq!(page.id_source().as_deref(), Some("random"));
    assert_ne!(page.text("user-id"), hash);
    drop(page);
    let given = identity::resolve(&store, "", Some("app-user-1"), Some(&good)).await;
    assert_eq!(
        given,
        Identity {
            user_id: "app-user-1".into(),
            source: IdSource::App
        }
    );
}

#[wasm_bindgen_test]
fn only_json_with_an_ip_hash_of_16_to_128_lower_case_hex_digits_is_taken_from_the_echo() {
    let hash = "a".repeat(64);
    assert_eq!(
        identity::parse_echo_body(&format!("{{\"ip_hash\":\"{hash}\"}}")),
        Ok(hash)
    );
    for bad in [
        "",
        "{}",
        "[]",
        "null",
        "\"ip_hash\"",
        "{\"ip_hash\": 5}",
        "{\"ip_hash\": \"short\"}",
        "{\"ip_hash\": \"1.2.3.4\"}",
        "{\"ip_hash\": \"ABCDEFABCDEFABCDEF\"}",
        "<html>",
    ] {
        assert!(identity::parse_echo_body(bad).is_err(), "{bad:?}");
    }
}

#[wasm_bindgen_test]
async fn when_local_storage_throws_the_page_keeps_the_id_for_the_visit_and_shows_its_variant() {
    for how in ["getter", "setItem"] {
        capture_console();
        break_local_storage(how);
        // No store given: the kit opens localStorage itself, and falls back to memory.
        let page = Mounted::start(Config::new(bundle::rules()).query("")).await;
        repair_local_storage();
        assert!(!page.cohort.store().is_persistent(), "{how}");
        let user_id = page.text("user-id");
        assert!(identity::is_valid_user_id(&user_id), "{how}: {user_id}");
        assert_eq!(page.id_source().as_deref(), Some("session"), "{how}");
        assert_shows_its_user(&page, bundle::rules());
        assert!(
            console_text().contains("localStorage is unavailable"),
            "{how}: {}",
            console_text()
        );
    }
}

#[wasm_bindgen_test]
async fn tasks_can_be_added_toggled_and_deleted_and_a_later_mount_reads_them_back() {
    let store = Store::memory();
    let id = user_in("Control");
    let page = page_for(&id, store, bundle::rules()).await;
    let tasks = page.get("tasks");
    let count = || tasks.query_selector_all("li").unwrap().length();
    assert_eq!(count(), 5);

    page.add_task("Review the dashboard");
    tick().await;
    assert_eq!(count(), 6);
    assert!(tasks
        .text_content()
        .unwrap()
        .contains("11. Review the dashboard"));

    let first: web_sys::HtmlInputElement = tasks
        .query_selector("li input[type=checkbox]")
        .unwrap()
        .unwrap()
        .unchecked_into();
    first.click();
    tick().await;
    assert!(tasks.query_selector("li.done").unwrap().is_some());

    let delete: web_sys::HtmlElement = tasks
        .query_selector("li[data-number='3'] button.delete")
        .unwrap()
        .unwrap()
        .unchecked_into();
    delete.click();
    tick().await;
    assert_eq!(count(), 5);
    assert!(tasks
        .query_selector("li[data-number='3']")
        .unwrap()
        .is_none());

    // Adding and completing were logged, with the user's group.
    let events: Vec<(String, Vec<(String, String)>)> = queued(&store)
        .into_iter()
        .filter_map(|record| match record {
            Record::Event { name, groups, .. } => Some((
                name,
                groups
                    .iter()
                    .map(|(e, g)| (e.to_owned(), g.to_owned()))
                    .collect(),
            )),
            Record::Exposure { .. } => None,
        })
        .collect();
    let control = vec![(EXPERIMENT.to_owned(), "Control".to_owned())];
    assert_eq!(
        events,
        [
            ("task_added".to_owned(), control.clone()),
            ("task_completed".to_owned(), control)
        ]
    );

    drop(page);
    // A new mount for the same browser reads the list back.
    let page = page_for(&id, store, bundle::rules()).await;
    let tasks = page.get("tasks");
    assert!(tasks
        .query_selector("li[data-number='11']")
        .unwrap()
        .is_some());
    assert!(tasks
        .query_selector("li[data-number='3']")
        .unwrap()
        .is_none());
    assert!(tasks
        .query_selector("li[data-number='1'].done")
        .unwrap()
        .is_some());
}

#[wasm_bindgen_test]
async fn the_next_visitor_restyles_in_place_with_exactly_one_new_exposure_each() {
    let store = Store::memory();
    let first = user_in("Red");
    let page = page_for(&first, store, bundle::rules()).await;
    let cta = page.get("cta");
    // The exposure of what the first paint shows is logged as the page mounts.
    assert_eq!(exposures(&store), [(first.clone(), "Red".to_owned())]);
    tick().await;
    assert_eq!(exposures(&store), [(first.clone(), "Red".to_owned())]);
    let mut seen = vec![first.clone()];
    let mut repeats = 0;
    // Until the group has changed from Red and a visitor has landed in the previous visitor's
    // group (one in four do): each click is one new user, shown at once on the same elements,
    // and exactly one new exposure, whether or not their group differs from the last one's.
    while page.text("group") == "Red" || repeats == 0 {
        let before = page.text("group");
        page.get("next-visitor").click();
        tick().await;
        let user_id = page.text("user-id");
        assert!(!seen.contains(&user_id), "a new user each time");
        seen.push(user_id.clone());
        assert_shows_its_user(&page, bundle::rules());
        assert_eq!(page.id_source().as_deref(), Some("random"));
        let group = page.text("group");
        let logged = exposures(&store);
        assert_eq!(
            logged.len(),
            seen.len(),
            "one exposure per visitor (this one in the previous one's group: {}): {logged:?}",
            group == before
        );
        assert_eq!(logged.last().unwrap(), &(user_id, group.clone()));
        repeats += usize::from(group == before);
        assert!(seen.len() < 60, "the group never changed or never repeated");
    }
    assert!(cta.is_connected(), "restyled in place, not re-created");
    assert_ne!(page.background("cta"), rgb(NamedColor::Red.hex()));
    // The app's user's group is kept as sticky; no random visitor's is.
    let kept = store.keys("cohort.sticky.");
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(kept[0].ends_with(&first), "{kept:?}");
    assert_eq!(store.get_raw(&kept[0]).as_deref(), Some("Red"));
}

#[wasm_bindgen_test]
async fn a_group_forced_by_the_query_is_shown_labelled_never_logged_and_its_events_carry_no_group()
{
    let store = Store::memory();
    let user = user_in("Control");
    let _url = KeepUrl::new();
    let page = Mounted::start(
        Config::new(bundle::rules())
            .store(store)
            .query(format!("?force={EXPERIMENT}:Red"))
            .user(User::with_id(&user)),
    )
    .await;
    tick().await;
    assert_eq!(page.background("cta"), rgb(NamedColor::Red.hex()));
    assert_eq!(page.text("group"), "Red");
    assert_eq!(page.forced_on().as_deref(), Some("true"));
    assert!(
        page.text("forced").contains("button_color_v3 = Red"),
        "{}",
        page.text("forced")
    );
    assert!(queued(&store).is_empty(), "no exposure for a forced view");
    // Its events carry no group.
    page.add_task("Check the forced view");
    tick().await;
    let records = queued(&store);
    let [Record::Event { name, groups, .. }] = records.as_slice() else {
        panic!("one event: {records:?}");
    };
    assert_eq!(name, "task_added");
    assert!(groups.is_empty(), "{groups:?}");

    // Back to the user's own group in the panel: that is shown, and logged, once.
    page.choose_forced("");
    tick().await;
    assert_eq!(page.text("group"), "Control");
    assert_eq!(page.forced_on().as_deref(), Some("false"));
    assert_eq!(exposures(&store), [(user, "Control".to_owned())]);
}

#[wasm_bindgen_test]
async fn a_group_forced_in_the_panel_restyles_in_place_and_only_the_real_group_is_logged() {
    let store = Store::memory();
    let user = user_in("Control");
    let _url = KeepUrl::new();
    let page = page_for(&user, store, bundle::rules()).await;
    let cta = page.get("cta");
    tick().await;
    assert_eq!(page.forced_on().as_deref(), Some("false"));
    assert_eq!(exposures(&store), [(user.clone(), "Control".to_owned())]);

    page.choose_forced("Orange");
    tick().await;
    assert_eq!(page.background("cta"), rgb(NamedColor::Orange.hex()));
    assert_eq!(page.text("group"), "Orange");
    assert!(page.text("forced").contains("Orange"));
    assert_eq!(page.forced_on().as_deref(), Some("true"));
    // While forced, events carry no group for it.
    page.add_task("Check the forced view");
    tick().await;
    let last = queued(&store).pop().unwrap();
    let Record::Event { name, groups, .. } = last else {
        panic!("an event: {last:?}");
    };
    assert_eq!(name, "task_added");
    assert!(groups.is_empty(), "{groups:?}");

    page.choose_forced("");
    tick().await;
    assert_eq!(page.background("cta"), rgb(NamedColor::Blue.hex()));
    assert_eq!(page.text("group"), "Control");
    assert_eq!(page.forced_on().as_deref(), Some("false"));
    assert!(cta.is_connected(), "restyled in place, not re-created");
    assert_eq!(
        exposures(&store),
        [(user, "Control".to_owned())],
        "only the real group"
    );
}

#[wasm_bindgen_test]
async fn a_sticky_user_keeps_their_group_under_new_rules_until_the_version_is_bumped() {
    let bundle = include_str!("../experiments/button_color_v3.json");
    let first_rules = bundle::rules();
    assert_eq!(first_rules.sticky_version(EXPERIMENT), Some(1));
    // The same experiment with Red's share cut from 25% to 5% (buckets 250-299 stay Red; the
    // rest of Red's buckets go to Green), then the same with the version bumped.
    let narrowed = bundle.replacen("\"targetValue\": 500,", "\"targetValue\": 300,", 1);
    assert_ne!(narrowed, bundle);
    let changed = compiled(&narrowed);
    let bumped_json = narrowed.replace("\"sticky_version\": 1", "\"sticky_version\": 2");
    assert_ne!(bumped_json, narrowed);
    let bumped = compiled(&bumped_json);
    assert_eq!(bumped.sticky_version(EXPERIMENT), Some(2));
    // A user the change moves out of Red.
    let user = user_ids(9)
        .find(|id| {
            group_of(first_rules, id).as_deref() == Some("Red")
                && group_of(changed, id).as_deref() == Some("Green")
        })
        .expect("a Red user the change moves to Green");

    let store = Store::memory();
    let page = page_for(&user, store, first_rules).await;
    tick().await;
    assert_eq!(page.text("group"), "Red");
    drop(page);
    let kept = |store: &Store| -> Vec<String> {
        store
            .keys("cohort.sticky.")
            .iter()
            .filter_map(|key| store.get_raw(key))
            .collect()
    };
    assert_eq!(kept(&store), ["Red"]);

    // New rules, same version: still Red, and no new exposure.
    let page = page_for(&user, store, changed).await;
    tick().await;
    assert_eq!(page.text("group"), "Red");
    assert_eq!(page.background("cta"), rgb(NamedColor::Red.hex()));
    assert_eq!(exposures(&store), [(user.clone(), "Red".to_owned())]);
    drop(page);

    // Without a kept group (another browser, or no storage) the rules decide: Green.
    let page = page_for(&user, Store::memory(), changed).await;
    tick().await;
    assert_eq!(page.text("group"), "Green");
    drop(page);

    // A new version re-assigns: Green, exposed and kept under version 2.
    let page = page_for(&user, store, bumped).await;
    tick().await;
    assert_eq!(page.text("group"), "Green");
    assert_eq!(page.background("cta"), rgb(NamedColor::Green.hex()));
    assert_eq!(
        exposures(&store),
        [
            (user.clone(), "Red".to_owned()),
            (user.clone(), "Green".to_owned())
        ]
    );
    let mut groups = kept(&store);
    groups.sort();
    assert_eq!(groups, ["Green", "Red"], "one kept group per version");
}

#[wasm_bindgen_test]
async fn a_malformed_stored_task_list_gives_the_course_tasks_and_the_console_says_why() {
    for (stored, says) in [
        (
            "{\"tasks\":[{\"number\":\"one\",\"title\":\"x\",\"done\":false}]}",
            "the stored task list is malformed",
        ),
        (
            "{\"tasks\":[{\"number\":1.5,\"title\":\"x\",\"done\":false}]}",
            "the stored task list is malformed",
        ),
        ("[1, 2]", "the stored task list is malformed"),
        ("not json", "cannot read cohort.tasks: it is not JSON"),
    ] {
        capture_console();
        let store = Store::memory();
        store.set_raw(TASKS_KEY, stored);
        let page = page_for(&user_in("Control"), store, bundle::rules()).await;
        let tasks = page.get("tasks");
        let numbers: Vec<String> = (0..tasks.query_selector_all("li").unwrap().length())
            .filter_map(|i| tasks.query_selector_all("li").unwrap().item(i))
            .filter_map(|li| {
                li.unchecked_into::<web_sys::Element>()
                    .get_attribute("data-number")
            })
            .collect();
        assert_eq!(numbers, ["1", "3", "5", "7", "9"], "{stored}");
        assert!(
            console_text().contains(says),
            "{stored}: {}",
            console_text()
        );
    }
}

#[wasm_bindgen_test]
async fn a_stored_task_list_is_read_back_as_it_was_with_its_titles_as_text() {
    let store = Store::memory();
    store.set_raw(
        TASKS_KEY,
        "{\"tasks\":[{\"number\":7,\"title\":\"<b>kept</b>\",\"done\":true}]}",
    );
    let page = page_for(&user_in("Control"), store, bundle::rules()).await;
    let tasks = page.get("tasks");
    assert_eq!(tasks.query_selector_all("li").unwrap().length(), 1);
    let task = tasks
        .query_selector("li.done[data-number='7']")
        .unwrap()
        .expect("task 7, done");
    assert!(task.text_content().unwrap().contains("7. <b>kept</b>"));
    assert!(task.query_selector("b").unwrap().is_none(), "no markup");
}

/// Forcing goes into the URL: the experiment's entry replaced, other entries and the rest of
/// the query kept, and removed again with no group; a start reads back what was written.
#[wasm_bindgen_test]
async fn forcing_writes_the_group_into_the_url_keeping_the_rest_and_a_start_reads_it_back() {
    let window = web_sys::window().unwrap();
    let _url = KeepUrl::new();
    let search = || window.location().search().unwrap();
    let forces = || {
        let params = web_sys::UrlSearchParams::new_with_str(&search()).unwrap();
        params
            .get_all("force")
            .iter()
            .map(|v| v.as_string().unwrap())
            .collect::<Vec<_>>()
    };
    let path = window.location().pathname().unwrap();
    window
        .history()
        .unwrap()
        .replace_state_with_url(
            &JsValue::NULL,
            "",
            Some(&format!(
                "{path}?force=other:X&force={EXPERIMENT}:Green&keep=1"
            )),
        )
        .unwrap();

    capture_console();
    let store = Store::memory();
    let user = user_in("Control");
    // No query given: the kit reads the page's own.
    let start = || {
        Mounted::start(
            Config::new(bundle::rules())
                .store(store)
                .user(User::with_id(&user)),
        )
    };
    let page = start().await;
    assert_eq!(page.text("group"), "Green");
    assert_eq!(page.forced_on().as_deref(), Some("true"));
    assert!(
        console_text().contains("no experiment \"other\""),
        "{}",
        console_text()
    );

    page.cohort.force(EXPERIMENT, Some("Red"));
    tick().await;
    assert_eq!(page.text("group"), "Red");
    assert_eq!(forces(), ["other:X", "button_color_v3:Red"]);
    assert!(search().contains("keep=1"), "{}", search());
    page.choose_forced("Orange");
    tick().await;
    assert_eq!(forces(), ["other:X", "button_color_v3:Orange"]);
    drop(page);
    // A reload shows the same forced view.
    let page = start().await;
    assert_eq!(page.text("group"), "Orange");
    assert_eq!(
        page.cohort.forced_groups().get_untracked(),
        [(EXPERIMENT, "Orange")]
    );

    page.cohort.force(EXPERIMENT, None);
    tick().await;
    assert_eq!(page.text("group"), "Control");
    assert_eq!(forces(), ["other:X"]);
    assert!(search().contains("keep=1"), "{}", search());
}
