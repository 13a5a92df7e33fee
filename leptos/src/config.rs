//! What [`Cohort::start`](crate::Cohort::start) needs: the rules, where the collector and the
//! IP echo are, the user's attributes, and (for tests) the store and the query string.
//!
//! [`Config::from_document`] reads the deployment's settings from `<meta>` tags, which are
//! part of the built `dist/` (Trunk copies `index.html`), so a deployment sets them without
//! rebuilding the Wasm:
//!
//! ```html
//! <meta name="cohort:ip-echo-url" content="/api/whoami">
//! <meta name="cohort:collector-url" content="/api">
//! ```
//!
//! An empty or absent `content` turns the feature off. [`Config::new`] and the builder
//! methods set the same in code.

use cohort::{Rules, User};

use crate::events::QUEUE_CAPACITY;
use cohort_browser::page;
use cohort_browser::storage::Store;

pub use cohort_browser::page::{COLLECTOR_META, IP_ECHO_META};

/// How a [`Cohort`](crate::Cohort) starts.
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) rules: &'static Rules,
    pub(crate) collector_url: Option<String>,
    pub(crate) ip_echo_url: Option<String>,
    pub(crate) user: User,
    pub(crate) store: Option<Store>,
    pub(crate) query: Option<String>,
    pub(crate) queue_capacity: usize,
}

impl Config {
    /// `rules` (usually [`bundled_rules!`](crate::bundled_rules)), with no collector (events
    /// stay in this browser), no IP echo, a user with no attributes, localStorage when it
    /// works, and the page's own query string.
    pub fn new(rules: &'static Rules) -> Config {
        Config {
            rules,
            collector_url: None,
            ip_echo_url: None,
            user: User::default(),
            store: None,
            query: None,
            queue_capacity: QUEUE_CAPACITY,
        }
    }

    /// As [`Config::new`], with the collector and the IP echo the document's `<meta>` tags
    /// name ([`COLLECTOR_META`], [`IP_ECHO_META`]).
    pub fn from_document(rules: &'static Rules) -> Config {
        let mut config = Config::new(rules);
        config.collector_url = page::meta(COLLECTOR_META);
        config.ip_echo_url = page::meta(IP_ECHO_META);
        config
    }

    /// Sends exposures and events to the collector at `url` (its API base: `POST <url>/events`).
    pub fn collector_url(mut self, url: impl Into<String>) -> Config {
        self.collector_url = Some(url.into());
        self
    }

    /// Asks `url` for `{"ip_hash": "..."}` (within 300 ms) and uses that hash as the user ID.
    pub fn ip_echo_url(mut self, url: impl Into<String>) -> Config {
        self.ip_echo_url = Some(url.into());
        self
    }

    /// The user's attributes (email, country, custom fields, app version...), which targeting
    /// conditions read. A `user_id` here is the app's own ID for the user (a signed-in user):
    /// it is used instead of the stored one (`?random` still wins). Change them later with
    /// [`Cohort::set_user`](crate::Cohort::set_user).
    pub fn user(mut self, user: User) -> Config {
        self.user = user;
        self
    }

    /// Keeps the user ID, the queue and the logged exposures in `store` instead of opening
    /// localStorage (tests use [`Store::memory`]).
    pub fn store(mut self, store: Store) -> Config {
        self.store = Some(store);
        self
    }

    /// Reads `?random` and `?force` from `query` (such as `"?force=exp:Red"`) instead of the
    /// page's address.
    pub fn query(mut self, query: impl Into<String>) -> Config {
        self.query = Some(query.into());
        self
    }

    /// Keeps at most `records` records waiting for the collector (2,000 by default); past
    /// that the oldest are dropped and counted.
    pub fn queue_capacity(mut self, records: usize) -> Config {
        self.queue_capacity = records;
        self
    }

    /// The rules.
    pub fn rules(&self) -> &'static Rules {
        self.rules
    }
}
