//! The page's components in headless Chrome (`wasm-bindgen-test`): each group's button and
//! text, the defaults, the stored ID, `?random`, the IP echo, broken localStorage, the next
//! visitor in place, forced groups and sticky groups.

#![cfg(target_arch = "wasm32")]

use cohort::{CompileOptions, Rules};
use cohort_app::bundle::bundled_rules;
use cohort_app::colors::NamedColor;
use cohort_app::components::App;
use cohort_app::events::queue::Queue;
use cohort_app::events::EventLog;
use cohort_app::identity::{self, IdSource, Identity, USER_ID_KEY};
use cohort_app::storage::Store;
use cohort_app::variant::{Variant, DEFAULT_TEXT};
use cohort_app::Session;
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
"#)]
extern "C" {
    fn capture_console();
    fn console_text() -> String;
    fn break_local_storage(how: &str);
    fn repair_local_storage();
}

/// A container for one mounted page, removed afterwards.
struct Mounted {
    root: web_sys::HtmlElement,
    _handle: leptos::mount::UnmountHandle<leptos::tachys::view::any_view::AnyViewState>,
}

impl Mounted {
    fn new(session: Session) -> Mounted {
        let document = web_sys::window().unwrap().document().unwrap();
        let root: web_sys::HtmlElement = document.create_element("div").unwrap().unchecked_into();
        document.body().unwrap().append_child(&root).unwrap();
        let handle =
            leptos::mount::mount_to(root.clone(), move || view! { <App session /> }.into_any());
        // As the page does once it is mounted.
        session.expose();
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

    fn background(&self, testid: &str) -> String {
        self.get(testid)
            .style()
            .get_property_value("background-color")
            .unwrap()
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        self.root.remove();
    }
}

/// The page for a user, with an event log that keeps to `store`.
fn page_for(identity: Identity, store: Store, rules: Option<&'static Rules>) -> Mounted {
    Mounted::new(session(identity, None, store, rules))
}

/// A session with an event log that keeps to `store` (no collector).
fn session(
    identity: Identity,
    forced: Option<&str>,
    store: Store,
    rules: Option<&'static Rules>,
) -> Session {
    Session::new(
        identity,
        forced.map(str::to_owned),
        store,
        EventLog::open(store, None),
        rules,
    )
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

/// `rgb(r, g, b)`, as the browser reports a style's colour.
fn rgb(hex: &str) -> String {
    let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap();
    format!("rgb({}, {}, {})", channel(1), channel(3), channel(5))
}

fn identity(user_id: &str) -> Identity {
    Identity {
        user_id: user_id.to_owned(),
        source: IdSource::Stored,
    }
}

/// A user ID the bundled rules put in `group`.
fn user_in(group: &str) -> String {
    (0..10_000)
        .map(|i| {
            identity::user_id_from_bytes([
                (i % 251) as u8,
                (i / 251) as u8,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
            ])
        })
        .find(|id| {
            Variant::assign(Some(bundled_rules()), id, 0)
                .group
                .as_deref()
                == Some(group)
        })
        .unwrap_or_else(|| panic!("no user lands in {group}"))
}

#[wasm_bindgen_test]
fn each_group_gets_its_colour_and_text() {
    for (group, color, text) in [
        ("Control", NamedColor::Blue, DEFAULT_TEXT),
        ("Red", NamedColor::Red, DEFAULT_TEXT),
        ("Green", NamedColor::Green, DEFAULT_TEXT),
        (
            "Orange",
            NamedColor::Orange,
            "Join the Data Engineering Boot Camp today",
        ),
    ] {
        let id = user_in(group);
        let page = page_for(identity(&id), Store::memory(), Some(bundled_rules()));
        assert_eq!(page.background("cta"), rgb(color.hex()), "{group}");
        assert_eq!(page.text("paragraph"), text, "{group}");
        assert_eq!(page.text("group"), group);
        assert_eq!(page.text("user-id"), id);
        let parity = page.get("tasks").get_attribute("data-parity").unwrap();
        let expected = if matches!(color, NamedColor::Blue | NamedColor::Green) {
            "odd"
        } else {
            "even"
        };
        assert_eq!(parity, expected, "{group}");
    }
}

#[wasm_bindgen_test]
fn without_the_experiment_the_course_defaults_show() {
    for rules in [None, Some(compiled("{}"))] {
        let page = page_for(identity(&user_in("Red")), Store::memory(), rules);
        assert_eq!(page.background("cta"), rgb(NamedColor::Blue.hex()));
        assert_eq!(page.text("paragraph"), DEFAULT_TEXT);
        assert!(
            page.text("group").starts_with("None"),
            "{}",
            page.text("group")
        );
    }
}

#[wasm_bindgen_test]
fn parameter_values_are_text_never_markup() {
    let json = include_str!("../experiments/button_color_v3.json").replace(
        "Join the Data Engineering Boot Camp today",
        "<img src=x onerror=alert(1)><b>bold</b>",
    );
    let id = user_in("Orange");
    let page = page_for(identity(&id), Store::memory(), Some(compiled(&json)));
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
fn the_stored_id_is_reused_across_mounts() {
    let store = Store::open();
    assert!(store.is_persistent());
    store.remove(USER_ID_KEY);
    let first = identity::stored_or_new(&store);
    assert_eq!(first.source, IdSource::Created);
    let second = identity::stored_or_new(&store);
    assert_eq!(
        second,
        Identity {
            source: IdSource::Stored,
            ..first.clone()
        }
    );
    for _ in 0..2 {
        let page = page_for(
            identity::stored_or_new(&store),
            store,
            Some(bundled_rules()),
        );
        assert_eq!(page.text("user-id"), first.user_id);
        assert_eq!(
            page.get("id-source")
                .get_attribute("data-source")
                .as_deref(),
            Some("stored")
        );
    }
}

#[wasm_bindgen_test]
fn a_malformed_stored_id_is_replaced() {
    capture_console();
    let store = Store::open();
    store.set(USER_ID_KEY, &"<script>alert(1)</script>");
    let replaced = identity::stored_or_new(&store);
    assert_eq!(replaced.source, IdSource::Created);
    assert!(identity::is_valid_user_id(&replaced.user_id));
    assert_eq!(
        store
            .get_json(USER_ID_KEY)
            .and_then(|json| json.as_string()),
        Some(replaced.user_id)
    );
    assert!(console_text().contains("malformed"), "{}", console_text());
}

#[wasm_bindgen_test]
async fn random_ids_are_fresh_and_never_stored() {
    let store = Store::open();
    store.remove(USER_ID_KEY);
    let stored = identity::stored_or_new(&store);
    let a = identity::resolve(&store, "?random", None).await;
    let b = identity::resolve(&store, "?x=1&random=yes", None).await;
    assert_eq!(a.source, IdSource::Random);
    assert_eq!(b.source, IdSource::Random);
    assert_ne!(a.user_id, b.user_id);
    assert_ne!(a.user_id, stored.user_id);
    assert_eq!(
        store
            .get_json(USER_ID_KEY)
            .and_then(|json| json.as_string()),
        Some(stored.user_id.clone())
    );
    let page = page_for(a.clone(), store, Some(bundled_rules()));
    assert_eq!(
        page.get("id-source")
            .get_attribute("data-source")
            .as_deref(),
        Some("random")
    );
    assert_eq!(
        identity::resolve(&store, "", None).await.user_id,
        stored.user_id
    );
}

#[wasm_bindgen_test]
async fn the_ip_echo_gives_the_id_when_it_answers_well() {
    capture_console();
    let store = Store::open();
    let hash = "ab".repeat(32);
    let good = format!("data:application/json,{{\"ip_hash\":\"{hash}\"}}");
    let got = identity::resolve(&store, "", Some(&good)).await;
    assert_eq!(
        got,
        Identity {
            user_id: hash,
            source: IdSource::IpHash
        }
    );

    let stored = identity::stored_or_new(&store);
    for bad in [
        "data:application/json,{\"ip_hash\":\"1.2.3.4\"}",
        "data:text/html,<html>",
        "http://127.0.0.1:9/whoami",
    ] {
        let got = identity::resolve(&store, "", Some(bad)).await;
        assert_eq!(got.user_id, stored.user_id, "{bad}");
        assert_eq!(got.source, IdSource::Stored);
    }
    assert!(
        console_text().contains("did not give an ID"),
        "{}",
        console_text()
    );
    // ?random still wins over the echo.
    let random = identity::resolve(&store, "?random", Some(&good)).await;
    assert_eq!(random.source, IdSource::Random);
}

#[wasm_bindgen_test]
fn when_local_storage_throws_the_page_still_works() {
    for how in ["getter", "setItem"] {
        capture_console();
        break_local_storage(how);
        let store = Store::open();
        let id = identity::stored_or_new(&store);
        let page = page_for(id.clone(), store, Some(bundled_rules()));
        repair_local_storage();
        assert!(!store.is_persistent(), "{how}");
        assert_eq!(id.source, IdSource::Session, "{how}");
        assert!(identity::is_valid_user_id(&id.user_id));
        assert_eq!(page.text("user-id"), id.user_id);
        assert_eq!(
            page.get("id-source")
                .get_attribute("data-source")
                .as_deref(),
            Some("session")
        );
        let expected = Variant::assign(Some(bundled_rules()), &id.user_id, 0);
        assert_eq!(page.background("cta"), rgb(expected.color.background()));
        assert!(
            console_text().contains("localStorage is unavailable"),
            "{how}: {}",
            console_text()
        );
    }
}

/// Lets effects and reactive updates run.
async fn tick() {
    gloo_timers::future::TimeoutFuture::new(0).await;
}

#[wasm_bindgen_test]
async fn tasks_can_be_added_toggled_and_deleted_and_are_kept() {
    let store = Store::memory();
    let id = user_in("Control");
    let page = page_for(identity(&id), store, Some(bundled_rules()));
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

    drop(page);
    // A new mount for the same browser reads the list back.
    let page = page_for(identity(&id), store, Some(bundled_rules()));
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

/// Asserts that the page shows what the rules give the user it shows.
fn assert_shows_its_user(page: &Mounted, rules: &Rules) {
    let user_id = page.text("user-id");
    let expected = Variant::assign(Some(rules), &user_id, 0);
    assert_eq!(page.text("group"), expected.group_label(), "{user_id}");
    assert_eq!(page.background("cta"), rgb(expected.color.background()));
    assert_eq!(page.text("paragraph"), expected.paragraph);
}

#[wasm_bindgen_test]
async fn the_next_visitor_restyles_in_place_with_one_new_exposure() {
    let store = Store::memory();
    let first = user_in("Red");
    let page = page_for(identity(&first), store, Some(bundled_rules()));
    let cta = page.get("cta");
    tick().await;
    assert_eq!(exposures(&store), [(first.clone(), "Red".to_owned())]);
    let mut seen = vec![first];
    // Until the group changes (three users in four do), each click is one new user, shown at
    // once on the same elements, and exactly one new exposure.
    while page.text("group") == "Red" || seen.len() < 3 {
        page.get("next-visitor").click();
        tick().await;
        let user_id = page.text("user-id");
        assert!(!seen.contains(&user_id), "a new user each time");
        seen.push(user_id.clone());
        assert_shows_its_user(&page, bundled_rules());
        assert_eq!(
            page.get("id-source")
                .get_attribute("data-source")
                .as_deref(),
            Some("random")
        );
        let logged = exposures(&store);
        assert_eq!(logged.len(), seen.len(), "one exposure per visitor");
        assert_eq!(logged.last().unwrap(), &(user_id, page.text("group")));
        assert!(seen.len() < 40, "the group never changed");
    }
    assert!(cta.is_connected(), "restyled in place, not re-created");
    assert_ne!(page.background("cta"), rgb(NamedColor::Red.hex()));
    // The stored user's group is kept as sticky; nothing random is.
    assert_eq!(
        store.keys("cohort.sticky."),
        [cohort_app::sticky::key("button_color_v3", 1, &seen[0])]
    );
}

#[wasm_bindgen_test]
async fn a_forced_group_is_shown_labelled_and_never_logged() {
    let store = Store::memory();
    let user = user_in("Control");
    let page = Mounted::new(session(
        identity(&user),
        Some("Red"),
        store,
        Some(bundled_rules()),
    ));
    tick().await;
    assert_eq!(page.background("cta"), rgb(NamedColor::Red.hex()));
    assert_eq!(page.text("group"), "Red");
    assert!(
        page.text("forced").contains("Red"),
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
    drop(page);

    // The panel forces and unforces in place.
    let store = Store::memory();
    let page = page_for(identity(&user), store, Some(bundled_rules()));
    tick().await;
    assert_eq!(
        page.get("forced").get_attribute("data-on").as_deref(),
        Some("false")
    );
    let select: web_sys::HtmlSelectElement = page.get("force-group").unchecked_into();
    select.set_value("Orange");
    select
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    tick().await;
    assert_eq!(page.background("cta"), rgb(NamedColor::Orange.hex()));
    assert!(page.text("forced").contains("Orange"));
    assert_eq!(
        page.get("forced").get_attribute("data-on").as_deref(),
        Some("true")
    );
    select.set_value("");
    select
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    tick().await;
    assert_eq!(page.background("cta"), rgb(NamedColor::Blue.hex()));
    assert_eq!(
        page.get("forced").get_attribute("data-on").as_deref(),
        Some("false")
    );
    assert_eq!(
        exposures(&store),
        [(user, "Control".to_owned())],
        "only the real group"
    );
}

#[wasm_bindgen_test]
async fn a_sticky_user_keeps_their_group_until_the_version_is_bumped() {
    let bundle = include_str!("../experiments/button_color_v3.json");
    let first_rules = bundled_rules();
    assert_eq!(first_rules.sticky_version("button_color_v3"), Some(1));
    // The same experiment with Red's share cut from 25% to 5% (buckets 250-299 stay Red; the
    // rest of Red's buckets go to Green), then the same with the version bumped.
    let narrowed = bundle.replacen("\"targetValue\": 500,", "\"targetValue\": 300,", 1);
    assert_ne!(narrowed, bundle);
    let changed = compiled(&narrowed);
    let bumped = compiled(&narrowed.replace("\"sticky_version\": 1", "\"sticky_version\": 2"));
    // A user the change moves out of Red.
    let user = (0..2000)
        .map(|i| {
            identity::user_id_from_bytes([
                i as u8,
                (i >> 8) as u8,
                9,
                9,
                9,
                9,
                9,
                9,
                9,
                9,
                9,
                9,
                9,
                9,
                9,
                9,
            ])
        })
        .find(|id| {
            Variant::assign(Some(first_rules), id, 0).group.as_deref() == Some("Red")
                && Variant::assign(Some(changed), id, 0).group.as_deref() == Some("Green")
        })
        .expect("a Red user the change moves to Green");

    let store = Store::memory();
    let page = page_for(identity(&user), store, Some(first_rules));
    tick().await;
    assert_eq!(page.text("group"), "Red");
    drop(page);
    assert_eq!(
        cohort_app::sticky::kept(&store, "button_color_v3", 1, &user).as_deref(),
        Some("Red")
    );

    // New rules, same version: still Red, and no new exposure.
    let page = page_for(identity(&user), store, Some(changed));
    tick().await;
    assert_eq!(page.text("group"), "Red");
    assert_eq!(page.background("cta"), rgb(NamedColor::Red.hex()));
    assert_eq!(exposures(&store), [(user.clone(), "Red".to_owned())]);
    drop(page);

    // Without a kept group (another browser, or no storage) the rules decide: Green.
    let elsewhere = Store::memory();
    let page = page_for(identity(&user), elsewhere, Some(changed));
    tick().await;
    assert_eq!(page.text("group"), "Green");
    drop(page);

    // A new version re-assigns: Green, exposed and kept under version 2.
    let page = page_for(identity(&user), store, Some(bumped));
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
    assert_eq!(
        cohort_app::sticky::kept(&store, "button_color_v3", 2, &user).as_deref(),
        Some("Green")
    );
}

#[wasm_bindgen_test]
fn echo_bodies_are_checked() {
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
fn a_malformed_stored_task_list_gives_the_course_tasks_and_says_why() {
    use cohort_app::tasks::TASKS_KEY;
    for (stored, says) in [
        (
            "{\"tasks\":[{\"number\":\"one\",\"title\":\"x\",\"done\":false}]}",
            "malformed",
        ),
        (
            "{\"tasks\":[{\"number\":1.5,\"title\":\"x\",\"done\":false}]}",
            "malformed",
        ),
        ("[1, 2]", "malformed"),
        ("not json", "not JSON"),
    ] {
        capture_console();
        let store = Store::memory();
        store.set_raw(TASKS_KEY, stored);
        let page = page_for(identity(&user_in("Control")), store, Some(bundled_rules()));
        let tasks = page.get("tasks");
        assert_eq!(
            tasks.query_selector_all("li").unwrap().length(),
            5,
            "{stored}"
        );
        assert!(
            console_text().contains(says),
            "{stored}: {}",
            console_text()
        );
    }
    // A list as the page stores it is read back as it was.
    let store = Store::memory();
    store.set_raw(
        TASKS_KEY,
        "{\"tasks\":[{\"number\":7,\"title\":\"<b>kept</b>\",\"done\":true}]}",
    );
    let page = page_for(identity(&user_in("Control")), store, Some(bundled_rules()));
    let tasks = page.get("tasks");
    assert_eq!(tasks.query_selector_all("li").unwrap().length(), 1);
    assert!(tasks
        .query_selector("li.done[data-number='7']")
        .unwrap()
        .is_some());
    assert!(tasks.text_content().unwrap().contains("7. <b>kept</b>"));
}

/// The force panel's choice goes into the URL: the experiment's entry replaced, other
/// experiments' entries and the rest of the query kept, and removed again with no group.
#[wasm_bindgen_test]
fn a_forced_group_is_written_into_the_url() {
    let window = web_sys::window().unwrap();
    let history = window.history().unwrap();
    let original = window.location().href().unwrap();
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
    history
        .replace_state_with_url(
            &JsValue::NULL,
            "",
            Some(&format!(
                "{path}?force=other:X&force=button_color_v3:Green&keep=1"
            )),
        )
        .unwrap();

    cohort_app::force::write_to_url("button_color_v3", Some("Red"));
    assert_eq!(forces(), ["other:X", "button_color_v3:Red"]);
    assert!(search().contains("keep=1"), "{}", search());
    // The page reads back what it wrote.
    let read =
        cohort_app::force::forced_group(&search(), bundled_rules(), "button_color_v3", |_| {});
    assert_eq!(read.as_deref(), Some("Red"));

    cohort_app::force::write_to_url("button_color_v3", None);
    assert_eq!(forces(), ["other:X"]);
    cohort_app::force::write_to_url("other", None);
    assert_eq!(search(), "?keep=1");

    history
        .replace_state_with_url(&JsValue::NULL, "", Some(&original))
        .unwrap();
}
