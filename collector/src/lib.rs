//! Cohort's collector: it takes the page's exposures and events over HTTP, checks each record
//! against the rules, stores it once by its ID (SQLite by default, PostgreSQL when several
//! collectors share one database), and answers results computed by the database as a few
//! numbers per group. It also exports what it stored, for warehouses (JSON lines, Parquet).
//!
//! - [`server`]: the HTTP API (axum) and the built site beside it ([`site`]), every answer
//!   with the security headers of [`headers`];
//! - [`health`]: `GET /api/health`, and warnings when free space runs low;
//! - [`listen`]: connections within limits on every phase, and a graceful stop with a deadline;
//! - [`ingest`]: a batch read record by record; [`verify`]: records against the rules;
//! - [`experiments`]: the rules' experiments and the gates records may name, and the listing
//!   of experiments with their exposed users;
//! - [`store`]: SQLite and PostgreSQL, results as SQL aggregates ([`store::aggregate`]);
//! - [`export`]: Parquet, partitioned by day;
//! - [`throwaway`]: a throwaway PostgreSQL server for tests and benchmarks.

pub mod client_ip;
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
pub mod throwaway;
pub mod verify;
