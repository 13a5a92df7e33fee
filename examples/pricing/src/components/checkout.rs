//! The checkout: the chosen plan at the user's billing, and the button that buys it, which
//! tracks `purchase` with the price (the `revenue` metric sums these values).

use cohort_leptos::use_cohort;
use leptos::prelude::*;

use crate::plans::{dollars, Billing, Plan};

/// The checkout of the `chosen` plan.
#[component]
pub fn Checkout(
    chosen: RwSignal<Option<&'static Plan>>,
    billing: Signal<Billing>,
) -> impl IntoView {
    let cohort = use_cohort();
    let bought = RwSignal::new(None::<String>);
    let buy = move |_| {
        let Some(plan) = chosen.get_untracked() else {
            return;
        };
        let billing = billing.get_untracked();
        let price = plan.price(billing);
        // The event carries the groups the user was exposed to (none for a forced one).
        cohort.track("purchase", Some(price));
        bought.set(Some(format!(
            "Thank you! You bought {} for {} per {}.",
            plan.name,
            dollars(price),
            billing.period()
        )));
        chosen.set(None);
    };
    let order = move || {
        chosen.get().map(|plan| {
            let billing = billing.get();
            view! {
                <p>
                    <strong>{plan.name}</strong>
                    ", "
                    {dollars(plan.price(billing))}
                    " per "
                    {billing.period()}
                </p>
                <button type="button" class="buy" data-testid="buy" on:click=buy>
                    "Buy " {plan.name}
                </button>
            }
        })
    };
    view! {
        <section class="checkout" aria-labelledby="checkout-title">
            <h2 id="checkout-title">"Checkout"</h2>
            <Show
                when=move || chosen.with(Option::is_some)
                fallback=|| view! { <p class="hint">"Choose a plan above to check out."</p> }
            >
                {order}
            </Show>
            <p role="status" data-testid="purchased">{move || bought.get()}</p>
        </section>
    }
}
