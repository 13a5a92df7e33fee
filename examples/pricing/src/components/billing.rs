//! The yearly billing switch, which the page shows only to users the `annual_billing` gate
//! passes.

use leptos::prelude::*;

/// "Bill yearly": a checkbox bound to `yearly`.
#[component]
pub fn BillingToggle(yearly: RwSignal<bool>) -> impl IntoView {
    view! {
        <p class="billing">
            <input type="checkbox" id="billing-yearly" data-testid="billing-yearly" bind:checked=yearly />
            <label for="billing-yearly">"Bill yearly: two months free"</label>
        </p>
    }
}
