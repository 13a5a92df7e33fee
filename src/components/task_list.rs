//! The course's task list for the user's group, kept in localStorage. Adding a task logs
//! `task_added`, completing one `task_completed`.
//!
//! One click handler on the list serves every row (rows say what they are with
//! `data-action` and `data-number`), and the new task is read from its input on submit: this
//! card is the page's largest, and per-row closures cost more Wasm than the page can spare.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use cohort_protocol::{TASK_ADDED, TASK_COMPLETED};

use cohort_leptos::{console, use_cohort};

use super::derived;
use crate::course::Course;
use crate::tasks::{Parity, TaskList as Tasks, TASKS_KEY};

/// The "Your tasks" card.
#[component]
pub fn TaskList(course: Course) -> impl IntoView {
    let cohort = use_cohort();
    let store = cohort.store();
    let parity = move || Parity::for_color(&course.color());
    let logged = move |event: &str| cohort.track(event, None);
    let stored = store
        .get_json(TASKS_KEY)
        .map(|json| Tasks::from_json(&json));
    if let Some(None) = stored {
        console::warn("the stored task list is malformed; starting from the course's tasks");
    }
    let tasks = RwSignal::new(stored.flatten().unwrap_or_default());
    let change = move |f: &mut dyn FnMut(&mut Tasks)| {
        tasks.update(|t| f(t));
        tasks.with_untracked(|t| store.set(TASKS_KEY, t));
    };

    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // The form's one text input (read from the event: a node ref costs more Wasm).
        let Some(input) = ev
            .target()
            .and_then(|form| form.dyn_into::<web_sys::Element>().ok())
            .and_then(|form| form.query_selector("input").ok().flatten())
            .and_then(|input| input.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let title = input.value();
        let mut added = false;
        change(&mut |t| {
            added = t
                .add(&title, untrack(|| Parity::for_color(&course.color())))
                .is_some()
        });
        if added {
            input.set_value("");
            logged(TASK_ADDED);
        }
    };
    // Toggling and deleting, for every row.
    let act = move |ev: web_sys::MouseEvent| {
        let Some(target) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        let number = target
            .get_attribute("data-number")
            .and_then(|n| n.parse::<u32>().ok());
        match (target.get_attribute("data-action").as_deref(), number) {
            (Some("toggle"), Some(n)) => {
                let mut done = false;
                change(&mut |t| done = t.toggle(n));
                if done {
                    logged(TASK_COMPLETED);
                }
            }
            (Some("delete"), Some(n)) => change(&mut |t| t.remove(n)),
            _ => {}
        }
    };
    let rows = move || {
        let parity = parity();
        tasks.with(|t| {
            t.visible(parity)
                .map(|task| {
                    let n = task.number;
                    let id = format!("task-{n}");
                    view! {
                        <li class=if task.done { "task done" } else { "task" } data-number=n>
                            <input
                                type="checkbox"
                                id=id.clone()
                                data-action="toggle"
                                data-number=n
                                prop:checked=task.done
                            />
                            <label for=id>
                                <span class="task-number">{n} "."</span>
                                " "
                                {task.title.clone()}
                            </label>
                            <button
                                type="button"
                                class="delete"
                                data-action="delete"
                                data-number=n
                                aria-label=format!("Delete task {n}")
                            >
                                "×"
                            </button>
                        </li>
                    }
                })
                .collect_view()
        })
    };

    view! {
        <section
            class="card"
            aria-labelledby="tasks-title"
            data-testid="tasks"
            data-parity=derived(move || parity().label().to_owned())
        >
            <h2 id="tasks-title">"Your tasks"</h2>
            <p class="hint">
                "Blue and Green see the odd-numbered tasks; Red and Orange the even ones. "
                "You see the " {derived(move || parity().label().to_owned())} " ones."
            </p>
            <form class="add-task" on:submit=add>
                <label for="new-task" class="visually-hidden">
                    "New task"
                </label>
                <input id="new-task" placeholder="Add a task" maxlength="200" />
                <button type="submit">"Add"</button>
            </form>
            <ul class="tasks" on:click=act>
                {rows}
            </ul>
        </section>
    }
}
