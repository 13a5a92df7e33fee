//! The page's components, one concern a file.

mod app;
mod derived;
mod experiment;
mod identity_panel;
mod signup;
mod task_list;

pub use app::App;
pub use derived::{derived, Derived};
pub use experiment::ExperimentPage;
pub use identity_panel::IdentityPanel;
pub use signup::SignupPage;
pub use task_list::TaskList;
