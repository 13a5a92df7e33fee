//! The page's components, one concern a file.

mod app;
mod experiment;
mod identity_panel;
mod signup;
mod task_list;

pub use app::{App, Session};
pub use experiment::ExperimentPage;
pub use identity_panel::IdentityPanel;
pub use signup::SignupPage;
pub use task_list::TaskList;
