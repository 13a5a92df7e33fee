//! The plans on sale and how a price is written: the page's own data, nothing the
//! experiments decide.

/// A plan on the page.
#[derive(Debug, PartialEq)]
pub struct Plan {
    /// Lower case, for test IDs and element IDs.
    pub id: &'static str,
    /// As shown (and as the `price_anchor` experiment's "Highlight" names it).
    pub name: &'static str,
    /// Dollars a month, billed monthly.
    pub monthly: f64,
    pub summary: &'static str,
    pub features: &'static [&'static str],
}

pub static PLANS: [Plan; 3] = [
    Plan {
        id: "starter",
        name: "Starter",
        monthly: 9.0,
        summary: "For one person trying things out.",
        features: &["1 project", "Community support"],
    },
    Plan {
        id: "team",
        name: "Team",
        monthly: 29.0,
        summary: "For a small team shipping every week.",
        features: &["10 projects", "5 seats", "Email support"],
    },
    Plan {
        id: "business",
        name: "Business",
        monthly: 79.0,
        summary: "For a company with many teams.",
        features: &["Unlimited projects", "25 seats", "Priority support"],
    },
];

/// How the user pays. Yearly is offered only to users the `annual_billing` gate passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Billing {
    Monthly,
    Yearly,
}

impl Billing {
    /// "month" or "year", for "$29 per month".
    pub fn period(self) -> &'static str {
        match self {
            Billing::Monthly => "month",
            Billing::Yearly => "year",
        }
    }
}

impl Plan {
    /// What the user pays per period: a year costs ten months.
    pub fn price(&self, billing: Billing) -> f64 {
        match billing {
            Billing::Monthly => self.monthly,
            Billing::Yearly => self.monthly * 10.0,
        }
    }
}

/// "$29", or "$36.25" when there are cents.
pub fn dollars(amount: f64) -> String {
    if amount.fract() == 0.0 {
        format!("${amount:.0}")
    } else {
        format!("${amount:.2}")
    }
}
