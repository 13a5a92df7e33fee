//! The page's components, one concern a file.

mod app;
mod billing;
mod checkout;
mod plan_card;
mod visitor;

pub use app::App;
pub use billing::BillingToggle;
pub use checkout::Checkout;
pub use plan_card::{Offer, PlanCard};
pub use visitor::Visitor;
