//! One metric's lift over time: for each UTC day with new users, each treatment's cumulative
//! relative lift over control with its sequential 95% interval (the interval that stays valid
//! however often it is looked at), as a band that narrows as users arrive around a line of
//! estimates, in the group's colour ([`crate::palette`]). An SVG scaled to the card's width;
//! each point carries its figures (`data-*`), and the label says them in words.

use cohort_stats::format::signed_percent;
use cohort_stats::over_time::DayResults;
use leptos::prelude::*;

use crate::palette::group_color;

/// The plot's coordinate space (the SVG scales it to the card's width).
const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 150.0;
/// Room for the axis labels on the left and the dates below.
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 22.0;
const TOP: f64 = 8.0;
const RIGHT: f64 = 8.0;

/// One treatment's lift on one day.
#[derive(Debug, Clone, PartialEq)]
pub struct DayLift {
    pub date: String,
    pub estimate: f64,
    pub ci: (f64, f64),
}

/// Each treatment's lifts of `metric` over the days (days without a result left out), in
/// the order of its comparisons.
pub fn lifts_of(metric: &str, days: &[DayResults]) -> Vec<(String, Vec<DayLift>)> {
    let mut series: Vec<(String, Vec<DayLift>)> = Vec::new();
    for day in days {
        let Some(m) = day.metrics.iter().find(|m| m.metric == metric) else {
            continue;
        };
        for lift in &m.lifts {
            let at = match series.iter().position(|(g, _)| *g == lift.group) {
                Some(i) => i,
                None => {
                    series.push((lift.group.clone(), Vec::new()));
                    series.len() - 1
                }
            };
            if lift.lift.error.is_none() {
                series[at].1.push(DayLift {
                    date: day.date.clone(),
                    estimate: lift.lift.estimate,
                    ci: lift.lift.ci,
                });
            }
        }
    }
    series.retain(|(_, days)| !days.is_empty());
    series
}

/// The vertical axis: symmetric around zero, in round steps, wide enough for the last day's
/// intervals (the first days' wider ones are cut at the edge) and at most ±100%.
fn axis(series: &[(String, Vec<DayLift>)]) -> f64 {
    let widest = series
        .iter()
        .filter_map(|(_, days)| days.last())
        .flat_map(|d| [d.ci.0.abs(), d.ci.1.abs()])
        .filter(|x| x.is_finite())
        .fold(0.05_f64, f64::max);
    [0.05, 0.1, 0.2, 0.3, 0.5, 1.0]
        .into_iter()
        .find(|&step| step >= widest * 1.5)
        .unwrap_or(1.0)
}

/// The chart of `metric`'s lifts over `days` (nothing when it has none); `groups` are the
/// experiment's groups in order, control first (what each group's colour is chosen by).
#[component]
pub fn OverTimeChart(metric: String, days: Vec<DayResults>, groups: Vec<String>) -> AnyView {
    let series = lifts_of(&metric, &days);
    if series.is_empty() {
        return ().into_any();
    }
    let dates: Vec<String> = days.iter().map(|d| d.date.clone()).collect();
    let half = axis(&series);
    let x = {
        let dates = dates.clone();
        move |date: &str| {
            let i = dates.iter().position(|d| d == date).unwrap_or(0) as f64;
            let span = (dates.len().max(2) - 1) as f64;
            if dates.len() == 1 {
                LEFT + (WIDTH - LEFT - RIGHT) / 2.0
            } else {
                LEFT + (WIDTH - LEFT - RIGHT) * i / span
            }
        }
    };
    let y = move |lift: f64| {
        let top = TOP;
        let bottom = HEIGHT - BOTTOM;
        let share = 0.5 - 0.5 * (lift / half).clamp(-1.0, 1.0);
        top + (bottom - top) * share
    };
    let label = series
        .iter()
        .filter_map(|(group, days)| {
            let (first, last) = (days.first()?, days.last()?);
            Some(format!(
                "{group}: {} ({} to {}) on {}, {} ({} to {}) on {}",
                signed_percent(first.estimate, 1),
                signed_percent(first.ci.0, 1),
                signed_percent(first.ci.1, 1),
                first.date,
                signed_percent(last.estimate, 1),
                signed_percent(last.ci.0, 1),
                signed_percent(last.ci.1, 1),
                last.date
            ))
        })
        .collect::<Vec<_>>()
        .join("; ");
    let drawn = series
        .into_iter()
        .map(|(group, lifts)| {
            let place = groups.iter().position(|g| *g == group);
            let color = group_color(place.unwrap_or(groups.len()));
            let upper = lifts
                .iter()
                .map(|d| format!("{:.1},{:.1}", x(&d.date), y(d.ci.1)));
            let lower = lifts
                .iter()
                .rev()
                .map(|d| format!("{:.1},{:.1}", x(&d.date), y(d.ci.0)));
            let band = upper.chain(lower).collect::<Vec<_>>().join(" ");
            let line = lifts
                .iter()
                .map(|d| format!("{:.1},{:.1}", x(&d.date), y(d.estimate)))
                .collect::<Vec<_>>()
                .join(" ");
            let points = lifts
                .iter()
                .map(|d| {
                    let at = format!("{:.1}", x(&d.date));
                    view! {
                        // The day's interval, a whisker (what shows when there is one day).
                        <line
                            class="over-time-interval"
                            x1=at.clone()
                            x2=at
                            y1=format!("{:.1}", y(d.ci.0))
                            y2=format!("{:.1}", y(d.ci.1))
                            stroke=color
                            stroke-width="1.5"
                        ></line>
                        <circle
                            class="over-time-point"
                            cx=format!("{:.1}", x(&d.date))
                            cy=format!("{:.1}", y(d.estimate))
                            r="3"
                            fill=color
                            data-date=d.date.clone()
                            data-estimate=d.estimate.to_string()
                            data-lower=d.ci.0.to_string()
                            data-upper=d.ci.1.to_string()
                        ></circle>
                    }
                })
                .collect_view();
            view! {
                <g class="over-time-series" data-group=group.clone()>
                    <polygon points=band fill=color fill-opacity="0.15"></polygon>
                    <polyline points=line fill="none" stroke=color stroke-width="2"></polyline>
                    {points}
                </g>
            }
        })
        .collect_view();
    let (zero, top, bottom) = (y(0.0), y(half), y(-half));
    let first = dates.first().cloned().unwrap_or_default();
    let last = dates.last().cloned().unwrap_or_default();
    view! {
        <figure class="over-time" data-testid="over-time" data-metric=metric.clone()>
            <svg
                viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                role="img"
                aria-label=format!("Relative lift of {metric} against control over time, with sequential 95% intervals: {label}")
            >
                <line
                    class="over-time-zero"
                    x1=LEFT
                    x2=WIDTH - RIGHT
                    y1=zero
                    y2=zero
                ></line>
                <text x=LEFT - 6.0 y=top + 4.0 text-anchor="end">{signed_percent(half, 0)}</text>
                <text x=LEFT - 6.0 y=zero + 4.0 text-anchor="end">"0"</text>
                <text x=LEFT - 6.0 y=bottom text-anchor="end">{signed_percent(-half, 0)}</text>
                {if first == last {
                    view! {
                        <text x=LEFT + (WIDTH - LEFT - RIGHT) / 2.0 y=HEIGHT - 4.0 text-anchor="middle">
                            {first}
                        </text>
                    }
                        .into_any()
                } else {
                    view! {
                        <text x=LEFT y=HEIGHT - 4.0 text-anchor="start">{first}</text>
                        <text x=WIDTH - RIGHT y=HEIGHT - 4.0 text-anchor="end">{last}</text>
                    }
                        .into_any()
                }}
                {drawn}
            </svg>
            <figcaption class="hint">
                "Lift against control by day, counting everyone exposed by that day's end (UTC), \
                 with the sequential 95% interval, valid however often you look."
            </figcaption>
        </figure>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cohort_stats::frequentist::TestResult;
    use cohort_stats::over_time::{DayLift as StatsLift, DayMetric};

    fn day(date: &str, estimate: f64, half: f64, error: bool) -> DayResults {
        let lift: TestResult = serde_json::from_value(serde_json::json!({
            "estimate": estimate, "ci": [estimate - half, estimate + half], "p_value": 0.5,
            "stddev": 0.1, "error": if error { serde_json::json!("NO_UNITS_IN_VARIATION") } else { serde_json::Value::Null }
        }))
        .unwrap();
        DayResults {
            date: date.into(),
            users: vec![10, 10],
            metrics: vec![DayMetric {
                metric: "signup".into(),
                lifts: vec![StatsLift {
                    group: "Red".into(),
                    lift,
                }],
            }],
        }
    }

    #[test]
    fn days_without_a_result_are_left_out_and_the_axis_fits_the_last_interval() {
        let days = [
            day("2026-11-25", 0.0, 0.0, true),
            day("2026-11-26", 0.4, 2.0, false),
            day("2026-11-27", 0.05, 0.04, false),
        ];
        let series = lifts_of("signup", &days);
        assert_eq!(series.len(), 1);
        let dates: Vec<&str> = series[0].1.iter().map(|d| d.date.as_str()).collect();
        assert_eq!(dates, ["2026-11-26", "2026-11-27"]);
        // The last interval reaches 9%: the axis is ±20% (1.5 times, in round steps).
        assert_eq!(axis(&series), 0.2);
        assert!(lifts_of("other", &days).is_empty());
    }
}
