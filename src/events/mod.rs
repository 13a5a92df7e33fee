//! Exposures and events: the durable client log ([`log`]) and its data ([`queue`]).

pub mod log;
pub mod queue;

pub use log::EventLog;
