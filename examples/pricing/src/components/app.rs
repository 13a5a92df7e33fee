//! The page: the plans as the user's groups present them, the checkout, and what this
//! visitor was assigned.

use cohort_leptos::{use_experiment, use_gate};
use leptos::prelude::*;

use super::{BillingToggle, Checkout, Offer, PlanCard, Visitor};
use crate::plans::{Billing, Plan, PLANS};

/// The whole page. It reads the experiments and the gate once, here, and hands their values
/// down as signals: they follow the user and the forced groups in place.
#[component]
pub fn App() -> impl IntoView {
    // Each experiment's exposure is logged as it is read: once per user and group, never for
    // a forced view, and not at all for the layer's experiment the user is not in.
    let plan_layout = use_experiment("plan_layout");
    let price_anchor = use_experiment("price_anchor");
    let cta_copy = use_experiment("cta_copy");
    let annual_billing = use_gate("annual_billing");

    // Yearly billing only for users the gate lets in, whatever the box said before.
    let yearly = RwSignal::new(false);
    let billing = Signal::derive(move || {
        if annual_billing.get() && yearly.get() {
            Billing::Yearly
        } else {
            Billing::Monthly
        }
    });
    // The parameters, with the defaults a user outside an experiment sees.
    let offer = Offer {
        highlight: price_anchor.get("Highlight", "Team"),
        show_list_price: price_anchor.get_bool("Show List Price", false),
        list_markup: price_anchor.get_f64("List Markup", 1.0),
        cta_text: cta_copy.get("CTA Text", "Start checkout"),
        billing,
    };
    let layout = plan_layout.get("Layout", "list");
    let chosen = RwSignal::new(None::<&'static Plan>);

    view! {
        <header class="masthead">
            <div class="wrap">
                <p class="brand">"Acme Cloud"</p>
            </div>
        </header>
        <main class="wrap">
            <section aria-labelledby="plans-title">
                <h1 id="plans-title">"Plans and pricing"</h1>
                <p class="intro">"Pick the plan that fits your team. Change or cancel at any time."</p>
                <Show when=move || annual_billing.get()>
                    <BillingToggle yearly />
                </Show>
                <ul class="plans" data-testid="plans" data-layout=move || layout.get()>
                    {PLANS.iter().map(|plan| view! { <PlanCard plan offer chosen /> }).collect_view()}
                </ul>
            </section>
            <Checkout chosen billing />
            <Visitor
                experiments=[
                    ("plan_layout", plan_layout),
                    ("price_anchor", price_anchor),
                    ("cta_copy", cta_copy),
                ]
                annual_billing
            />
        </main>
    }
}
