//! A forest plot of one metric: each treatment's relative lift over control as a point with
//! its interval, against a line at zero, in its group's colour ([`crate::palette`], by the
//! group's place in the experiment, so a group has one colour in every plot). It is HTML laid
//! out with CSS (positions in percent of the track), so its labels are text at every width;
//! the table beside it carries the same figures.

use cohort_stats::format::signed_percent;
use leptos::prelude::*;

use crate::palette::group_color;

/// One row of the plot: a group's lift and interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Lift {
    pub group: String,
    pub estimate: f64,
    pub ci: (f64, f64),
}

/// The axis: symmetric around zero, wide enough for every interval, in round steps.
fn axis(lifts: &[Lift]) -> f64 {
    let widest = lifts
        .iter()
        .flat_map(|l| [l.ci.0.abs(), l.ci.1.abs()])
        .filter(|x| x.is_finite())
        .fold(0.05_f64, f64::max);
    [0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .find(|&step| step >= widest)
        .unwrap_or(widest)
}

/// The plot of `lifts`; `groups` are the experiment's groups in order, control first (what
/// each group's colour is chosen by).
#[component]
pub fn ForestPlot(metric: String, lifts: Vec<Lift>, groups: Vec<String>) -> impl IntoView {
    let half = axis(&lifts);
    let at = move |x: f64| format!("{:.2}%", 50.0 + 50.0 * (x / half).clamp(-1.0, 1.0));
    let summary = lifts
        .iter()
        .map(|l| {
            format!(
                "{} {} ({} to {})",
                l.group,
                signed_percent(l.estimate, 1),
                signed_percent(l.ci.0, 1),
                signed_percent(l.ci.1, 1)
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let rows = lifts
        .into_iter()
        .map(|l| {
            // A group the experiment lacks gets a colour none of its groups has (up to eight).
            let place = groups.iter().position(|g| *g == l.group);
            let color = group_color(place.unwrap_or(groups.len()));
            let left = at(l.ci.0);
            let width = format!(
                "{:.2}%",
                50.0 * ((l.ci.1 / half).clamp(-1.0, 1.0) - (l.ci.0 / half).clamp(-1.0, 1.0))
            );
            view! {
                <div class="forest-row" data-group=l.group.clone()>
                    <span class="forest-label">{l.group.clone()}</span>
                    <span class="forest-track">
                        <span
                            class="forest-interval"
                            style:left=left
                            style:width=width
                            style:background-color=color
                        ></span>
                        <span
                            class="forest-point"
                            style:left=at(l.estimate)
                            style:background-color=color
                        ></span>
                    </span>
                    <span class="forest-value">{signed_percent(l.estimate, 1)}</span>
                </div>
            }
        })
        .collect_view();
    view! {
        <figure class="forest" data-testid="forest">
            <div
                class="forest-rows"
                role="img"
                aria-label=format!("Relative lift of {metric} against control, with 95% intervals: {summary}")
            >
                {rows}
                <div class="forest-axis" aria-hidden="true">
                    <span class="forest-label"></span>
                    <span class="forest-track">
                        <span style:left="0%">{signed_percent(-half, 0)}</span>
                        <span style:left="50%">"0"</span>
                        <span style:left="100%">{signed_percent(half, 0)}</span>
                    </span>
                    <span class="forest-value"></span>
                </div>
            </div>
            <figcaption class="hint">
                "Relative lift against control, with its 95% interval; the line is no change."
            </figcaption>
        </figure>
    }
}
