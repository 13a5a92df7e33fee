//! The wire format between the Cohort page and its collector: exposures and events in
//! batches, their limits, and the checks the collector applies before storing anything.
//!
//! - [`record`]: what the page sends ([`Batch`], [`Record`]) and what the collector answers
//!   ([`Ack`]);
//! - `read` (with the feature `read`: the collector's side): a request body read record by
//!   record, so that one malformed record never takes the rest of its batch down with it;
//! - [`clock`]: each record placed on the collector's clock, whatever the browser's clock says;
//! - [`check`]: the content rules a record must meet (IDs, sizes, known experiments, gates,
//!   groups and events);
//! - [`listing`]: the experiments a collector knows, with their exposed users
//!   (`GET /api/experiments`);
//! - [`exclusion`]: why a record is kept out of the results, as a stored code and a sentence.
//!
//! A record carries a unique ID (a UUID made by the page), so that a batch sent twice (a retry,
//! a beacon after a fetch) is stored once.
//!
//! An exposure names an experiment and the group the user saw, or a feature gate the page read
//! and its value for the user (group `"true"` or `"false"`, [`GATE_GROUPS`]).

pub mod check;
pub mod clock;
pub mod exclusion;
pub mod listing;
#[cfg(feature = "read")]
pub mod read;
pub mod record;

pub use check::{check_record, is_uuid, Catalog, GATE_GROUPS};
pub use clock::{place, MAX_AGE_MS, MAX_FUTURE_MS};
pub use exclusion::{exclusion_sentence, ExclusionReason};
pub use listing::{ExperimentStatus, ExperimentSummary, Experiments};
#[cfg(feature = "read")]
pub use read::{read_batch, Incoming, Rejection};
pub use record::{Ack, Batch, Dimensions, Groups, Record, Refusal, SecondaryExposure};

/// The events the course's page logs (the collector accepts the events its rules' metrics
/// name).
pub const VISITED_SIGNUP: &str = "visited_signup";
pub const CTA_CLICK: &str = "cta_click";
pub const TASK_ADDED: &str = "task_added";
pub const TASK_COMPLETED: &str = "task_completed";

/// Records in one batch, at most.
pub const MAX_RECORDS_PER_BATCH: usize = 500;
/// The largest request body a collector reads, in bytes.
pub const MAX_BODY_BYTES: usize = 512 * 1024;
/// The largest magnitude of a number an event carries. Results add values and their squares
/// over every user: a billion users at this bound sum to 1e39 in squares, far from `f64`'s
/// 1.8e308 (and from PostgreSQL's `double precision` overflow error), while any real amount
/// (ten trillion dollars in cents) or duration (31,000 years in milliseconds) fits, and
/// integers up to it are exact in `f64`.
pub const MAX_EVENT_VALUE: f64 = 1e15;
/// The most records a batch may say its page dropped. The kit's queue holds 2,000 records by
/// default and reports what it dropped since its last acknowledged batch; a collector counts a
/// larger claim as this many (a client's count is a claim, not a fact).
pub const MAX_DROPPED: u64 = 2_000;
