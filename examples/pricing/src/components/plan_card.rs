//! One plan, presented as the user's groups say: its price (and, in `price_anchor`'s Anchored
//! group, a higher list price beside it), whether it is the highlighted plan, and the words of
//! its button (`cta_copy`).

use cohort_leptos::use_cohort;
use leptos::prelude::*;

use crate::plans::{dollars, Billing, Plan};

/// What the experiments decide about every plan's card, as signals.
#[derive(Debug, Clone, Copy)]
pub struct Offer {
    /// `price_anchor`: the plan marked "Most popular".
    pub highlight: Signal<String>,
    /// `price_anchor`: whether a struck-through list price is shown above the price.
    pub show_list_price: Signal<bool>,
    /// `price_anchor`: the list price, as a multiple of the price.
    pub list_markup: Signal<f64>,
    /// `cta_copy`: the words of the button that starts the checkout.
    pub cta_text: Signal<String>,
    /// Monthly, or yearly when the gate allows it and the user chose it.
    pub billing: Signal<Billing>,
}

/// A plan's card. Its button starts the checkout: `chosen` becomes the plan and the
/// `started_checkout` event is tracked (the `checkout` metric).
#[component]
pub fn PlanCard(
    plan: &'static Plan,
    offer: Offer,
    chosen: RwSignal<Option<&'static Plan>>,
) -> impl IntoView {
    let cohort = use_cohort();
    let highlighted = move || offer.highlight.with(|h| h == plan.name);
    let price = move || plan.price(offer.billing.get());
    let list_price = move || dollars((price() * offer.list_markup.get()).round());
    let start_checkout = move |_| {
        chosen.set(Some(plan));
        cohort.track("started_checkout", None);
    };
    view! {
        <li
            class="plan"
            class:highlighted=highlighted
            data-testid=format!("plan-{}", plan.id)
            data-highlighted=move || highlighted().to_string()
        >
            <h2>
                {plan.name}
                <Show when=highlighted>
                    " "
                    <span class="badge">"Most popular"</span>
                </Show>
            </h2>
            <p class="price">
                <Show when=move || offer.show_list_price.get()>
                    <s class="list-price" data-testid=format!("list-price-{}", plan.id)>
                        <span class="visually-hidden">"List price "</span>
                        {list_price}
                    </s>
                    " "
                </Show>
                <span class="amount" data-testid=format!("price-{}", plan.id)>
                    {move || dollars(price())}
                </span>
                " per "
                {move || offer.billing.get().period()}
            </p>
            <p class="summary">{plan.summary}</p>
            <ul class="features">
                {plan.features.iter().map(|feature| view! { <li>{*feature}</li> }).collect_view()}
            </ul>
            <button
                type="button"
                class="choose"
                data-testid=format!("choose-{}", plan.id)
                aria-label=move || format!("{}: {}", offer.cta_text.get(), plan.name)
                on:click=start_checkout
            >
                {offer.cta_text}
            </button>
        </li>
    }
}
