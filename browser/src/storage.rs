//! localStorage that never panics.
//!
//! The page keeps the user ID and the task list (and later the event queue) in localStorage
//! through gloo-storage. Private windows, disabled storage, a full quota or a `getItem` that
//! throws must not break the page: [`Store::open`] probes localStorage once and falls back to
//! an in-memory store for the visit, and every later failure is a console warning, not a panic.

use std::cell::{Cell, RefCell};

use gloo_storage::errors::StorageError;
use gloo_storage::{LocalStorage, Storage as _};
use serde::Serialize;

use crate::console;
use crate::json::Json;

/// A key-value store: localStorage when it works, memory otherwise. It is a small `Copy`
/// handle (the memory lives in a thread-local), so components and signals can hold it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Store {
    backend: Backend,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Local,
    /// A memory store, by number.
    Memory(u32),
}

thread_local! {
    /// The memory stores' entries, as (store, key, value): a handful, so a list will do.
    static MEMORY: RefCell<Vec<(u32, String, String)>> = const { RefCell::new(Vec::new()) };
    static NEXT_MEMORY: Cell<u32> = const { Cell::new(0) };
}

const PROBE_KEY: &str = "cohort.probe";

impl Store {
    /// localStorage if it can be read and written, else memory (and a console warning).
    pub fn open() -> Store {
        match probe() {
            Ok(()) => Store {
                backend: Backend::Local,
            },
            Err(why) => {
                console::warn(&format!(
                    "localStorage is unavailable ({why}); keeping data in memory for this visit"
                ));
                Store::memory()
            }
        }
    }

    /// A new, empty store that lasts as long as the page.
    pub fn memory() -> Store {
        let id = NEXT_MEMORY.with(|n| {
            let id = n.get();
            n.set(id + 1);
            id
        });
        Store {
            backend: Backend::Memory(id),
        }
    }

    /// Whether values survive a reload.
    pub fn is_persistent(&self) -> bool {
        self.backend == Backend::Local
    }

    /// The JSON under `key`, parsed by the browser; `None` when absent, or (with a warning)
    /// unreadable or not JSON.
    pub fn get_json(&self, key: &str) -> Option<Json> {
        if self.backend == Backend::Local {
            if let Err(why) = local_storage_handle() {
                console::warn(&format!("cannot read {key}: {why}"));
                return None;
            }
        }
        let text = self.get_raw(key)?;
        let json = Json::parse(&text);
        if json.is_none() {
            console::warn(&format!("cannot read {key}: it is not JSON"));
        }
        json
    }

    /// Stores `value` under `key`; `false` (with a warning) when it could not be stored.
    pub fn set<T: Serialize>(&self, key: &str, value: &T) -> bool {
        match self.backend {
            Backend::Local => {
                if let Err(why) = local_storage_handle() {
                    console::warn(&format!("cannot store {key}: {why}"));
                    return false;
                }
                match LocalStorage::set(key, value) {
                    Ok(()) => true,
                    // The browser's refusal (a full quota) is worth its words; the others
                    // are named without serde_json's error messages, which the page does
                    // not otherwise carry.
                    Err(StorageError::JsError(e)) => {
                        console::warn(&format!("cannot store {key} in localStorage: {e}"));
                        false
                    }
                    Err(_) => {
                        console::warn(&format!("cannot store {key}: it cannot be written as JSON"));
                        false
                    }
                }
            }
            Backend::Memory(id) => match serde_json::to_string(value) {
                Ok(json) => {
                    memory_set(id, key, json);
                    true
                }
                Err(_) => false,
            },
        }
    }

    /// The text under `key`, as stored (no JSON decoding).
    pub fn get_raw(&self, key: &str) -> Option<String> {
        match self.backend {
            Backend::Local => local_storage_handle().ok()?.get_item(key).ok().flatten(),
            Backend::Memory(id) => memory_get(id, key),
        }
    }

    /// Stores text under `key` as it is; `false` (with a warning) when it could not be stored.
    pub fn set_raw(&self, key: &str, value: &str) -> bool {
        match self.backend {
            Backend::Local => {
                let stored = local_storage_handle().and_then(|storage| {
                    storage
                        .set_item(key, value)
                        .map_err(|e| console::describe(&e))
                });
                if let Err(why) = &stored {
                    console::warn(&format!("cannot store {key} in localStorage: {why}"));
                }
                stored.is_ok()
            }
            Backend::Memory(id) => {
                memory_set(id, key, value.to_owned());
                true
            }
        }
    }

    /// The keys that start with `prefix`, sorted. (By the browser's `Array.prototype.sort`,
    /// which orders UTF-16 code units: the same order as Rust's for the page's ASCII keys,
    /// without a sorting routine in the Wasm.)
    pub fn keys(&self, prefix: &str) -> Vec<String> {
        let keys = js_sys::Array::new();
        let add = |key: &str| {
            if key.starts_with(prefix) {
                keys.push(&key.into());
            }
        };
        match self.backend {
            Backend::Local => {
                if let Ok(storage) = local_storage_handle() {
                    for i in 0..storage.length().unwrap_or(0) {
                        if let Ok(Some(key)) = storage.key(i) {
                            add(&key);
                        }
                    }
                }
            }
            Backend::Memory(id) => MEMORY.with(|m| {
                for (store, key, _) in m.borrow().iter() {
                    if *store == id {
                        add(key);
                    }
                }
            }),
        }
        keys.sort()
            .iter()
            .filter_map(|key| key.as_string())
            .collect()
    }

    pub fn remove(&self, key: &str) {
        match self.backend {
            Backend::Local => {
                if local_storage_handle().is_ok() {
                    LocalStorage::delete(key);
                }
            }
            Backend::Memory(id) => {
                MEMORY.with(|m| m.borrow_mut().retain(|(s, k, _)| !(*s == id && k == key)));
            }
        }
    }
}

fn memory_get(id: u32, key: &str) -> Option<String> {
    MEMORY.with(|m| {
        m.borrow()
            .iter()
            .find(|(s, k, _)| *s == id && k == key)
            .map(|(_, _, v)| v.clone())
    })
}

fn memory_set(id: u32, key: &str, value: String) {
    MEMORY.with(|m| {
        let mut m = m.borrow_mut();
        match m.iter_mut().find(|(s, k, _)| *s == id && k == key) {
            Some(entry) => entry.2 = value,
            None => m.push((id, key.to_owned(), value)),
        }
    });
}

/// `window.localStorage`, or why it cannot be had (gloo-storage would panic instead).
fn local_storage_handle() -> Result<web_sys::Storage, String> {
    let window = web_sys::window().ok_or("no window")?;
    match window.local_storage() {
        Ok(Some(storage)) => Ok(storage),
        Ok(None) => Err("the browser has no localStorage".into()),
        Err(e) => Err(console::describe(&e)),
    }
}

/// Can we write and remove a value?
fn probe() -> Result<(), String> {
    let storage = local_storage_handle()?;
    storage
        .set_item(PROBE_KEY, "1")
        .map_err(|e| console::describe(&e))?;
    storage
        .remove_item(PROBE_KEY)
        .map_err(|e| console::describe(&e))?;
    Ok(())
}
