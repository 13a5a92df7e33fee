//! The course's task list for the user's group, kept in localStorage.

use leptos::prelude::*;

use super::Session;
use crate::tasks::{Parity, Task, TaskList as Tasks, TASKS_KEY};

/// The "Your tasks" card.
#[component]
pub fn TaskList() -> impl IntoView {
    let session = expect_context::<Session>();
    let store = session.store;
    let parity = Parity::for_color(&session.variant.color);
    let tasks = RwSignal::new(store.get::<Tasks>(TASKS_KEY).unwrap_or_default());
    // Keep the stored list in step with every change.
    Effect::new(move |first: Option<()>| {
        let list = tasks.get();
        if first.is_some() {
            store.set(TASKS_KEY, &list);
        }
    });

    let draft = RwSignal::new(String::new());
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let title = draft.get_untracked();
        let mut added = false;
        tasks.update(|t| added = t.add(&title, parity).is_some());
        if added {
            draft.set(String::new());
        }
    };
    // The list is short: it is redrawn whole on a change.
    let rows = move || {
        tasks.with(|t| {
            t.visible(parity)
                .map(|task| view! { <TaskRow task=task.clone() tasks /> })
                .collect_view()
        })
    };

    view! {
        <section
            class="card"
            aria-labelledby="tasks-title"
            data-testid="tasks"
            data-parity=parity.label()
        >
            <h2 id="tasks-title">"Your tasks"</h2>
            <p class="hint">
                "Blue and Green see the odd-numbered tasks; Red and Orange the even ones. "
                "You see the " {parity.label()} " ones."
            </p>
            <form class="add-task" on:submit=add>
                <label for="new-task" class="visually-hidden">
                    "New task"
                </label>
                <input
                    id="new-task"
                    placeholder="Add a task"
                    maxlength="200"
                    prop:value=draft
                    on:input:target=move |ev| draft.set(ev.target().value())
                />
                <button type="submit">"Add"</button>
            </form>
            <ul class="tasks">{rows}</ul>
        </section>
    }
}

/// One task: its checkbox, title and delete button.
#[component]
fn TaskRow(task: Task, tasks: RwSignal<Tasks>) -> impl IntoView {
    let number = task.number;
    let id = format!("task-{number}");
    view! {
        <li class="task" class:done=task.done data-number=number>
            <input
                type="checkbox"
                id=id.clone()
                prop:checked=task.done
                on:change=move |_| tasks.update(|t| t.toggle(number))
            />
            <label for=id>
                <span class="task-number">{number} "."</span>
                " "
                {task.title.clone()}
            </label>
            <button
                type="button"
                class="delete"
                aria-label=format!("Delete task {number}")
                on:click=move |_| tasks.update(|t| t.remove(number))
            >
                "×"
            </button>
        </li>
    }
}
