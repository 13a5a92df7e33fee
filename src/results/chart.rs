//! A bar chart of each group's conversion rate with its 95% interval, in SVG, each bar in the
//! colour the group's button has. The table beside it carries the same figures in text.

use cohort::SpecKind;
use cohort_stats::Analysis;
use leptos::prelude::*;

use super::table::pct;
use crate::bundle::bundled_rules;
use crate::colors::ButtonColor;
use crate::variant::{COLOR_PARAM, EXPERIMENT};

const LABEL_WIDTH: f64 = 90.0;
const BAR_AREA: f64 = 420.0;
const ROW_HEIGHT: f64 = 34.0;

/// The colour of a group's button, from the bundled rules.
fn group_color(group: &str) -> String {
    bundled_rules()
        .spec(SpecKind::Config, EXPERIMENT)
        .and_then(|spec| {
            spec.groups()
                .find(|r| r.group_name.as_deref() == Some(group))
                .and_then(|r| r.return_value.get(COLOR_PARAM))
                .and_then(|v| v.as_str())
                .and_then(|c| ButtonColor::parse(c).ok())
        })
        .map_or_else(|| "#6b7280".to_owned(), |c| c.background().to_owned())
}

/// The chart.
#[component]
pub fn Chart(analysis: Analysis) -> impl IntoView {
    let top = analysis
        .groups
        .iter()
        .filter_map(|g| g.rate_ci.map(|(_, hi)| hi))
        .fold(0.05_f64, f64::max)
        .min(1.0);
    let scale = BAR_AREA / top;
    let height = ROW_HEIGHT * analysis.groups.len() as f64 + 20.0;
    let bars = analysis
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let y = 10.0 + ROW_HEIGHT * i as f64;
            let rate = g.rate.unwrap_or(0.0);
            let (lo, hi) = g.rate_ci.unwrap_or((rate, rate));
            let label = g.rate.map_or("no users".to_owned(), pct);
            view! {
                <g data-group=g.group.clone()>
                    <text x=LABEL_WIDTH - 8.0 y=y + 17.0 text-anchor="end" class="chart-label">
                        {g.group.clone()}
                    </text>
                    <rect
                        x=LABEL_WIDTH
                        y=y + 4.0
                        width=(rate * scale).max(1.0)
                        height=ROW_HEIGHT - 12.0
                        rx="4"
                        fill=group_color(&g.group)
                    />
                    <line
                        x1=LABEL_WIDTH + lo * scale
                        x2=LABEL_WIDTH + hi * scale
                        y1=y + 15.0
                        y2=y + 15.0
                        class="whisker"
                    />
                    <line x1=LABEL_WIDTH + lo * scale x2=LABEL_WIDTH + lo * scale y1=y + 9.0 y2=y + 21.0 class="whisker" />
                    <line x1=LABEL_WIDTH + hi * scale x2=LABEL_WIDTH + hi * scale y1=y + 9.0 y2=y + 21.0 class="whisker" />
                    <text x=LABEL_WIDTH + hi * scale + 8.0 y=y + 19.0 class="chart-value">
                        {label}
                    </text>
                </g>
            }
        })
        .collect_view();
    let summary = analysis
        .groups
        .iter()
        .map(|g| format!("{} {}", g.group, g.rate.map_or("no users".into(), pct)))
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <svg
            class="chart"
            data-testid="results-chart"
            viewBox=format!("0 0 {} {height}", LABEL_WIDTH + BAR_AREA + 90.0)
            role="img"
            aria-label=format!("Conversion rate by group, with 95% intervals: {summary}")
        >
            {bars}
        </svg>
    }
}
