//! Cohort's collector: it takes the page's exposures and events over HTTP, checks each record
//! against the rules, stores it once by its ID (SQLite by default, PostgreSQL when several
//! collectors share one database), keeps the results as records arrive, and answers them as a
//! few numbers per group. It also exports what it stored, for warehouses (JSON lines, Parquet).
//!
//! - [`server`]: the HTTP API (axum) and the built site beside it ([`site`]), every answer
//!   with the security headers of [`headers`];
//! - [`changes`]: the version results answers are tagged with, for pages that watch them;
//! - [`health`]: `GET /api/health`, and warnings when free space runs low;
//! - [`listen`]: connections within limits on every phase, and a graceful stop with a deadline;
//! - [`ingest`]: a batch read record by record; [`verify`]: records against the rules;
//! - [`experiments`]: the rules' experiments and the gates records may name, and the listing
//!   of experiments with their exposed users;
//! - [`store`]: SQLite and PostgreSQL, results kept as records arrive
//!   ([`store::incremental`]) and their recomputation in SQL ([`store::aggregate`]);
//! - [`export`]: Parquet, partitioned by day.
//!
//! The throwaway PostgreSQL its tests start is a crate of its own
//! (`tools/throwaway-postgres`), outside this library.

pub mod changes;
pub mod client_ip;
pub mod commit;
pub mod experiments;
pub mod export;
pub mod headers;
pub mod health;
pub mod ingest;
pub mod listen;
mod secret;
pub mod server;
pub mod site;
pub mod store;
pub mod verify;
