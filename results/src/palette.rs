//! The colours of an experiment's groups in charts: a fixed palette by the group's place in
//! the experiment, control first (in grey, the baseline), then hues after Okabe and Ito's
//! colour-blind-safe set, each darkened to at least 4.5:1 against white so that a point or an
//! interval stands out from the card (WCAG asks 3:1 of graphics). Past eight groups the
//! colours repeat; the label beside each point says whose it is.

/// The palette, control's colour first.
pub const GROUP_COLORS: [&str; 8] = [
    "#4b5563", // control: grey
    "#0072b2", // blue
    "#c2410c", // vermilion
    "#047857", // bluish green
    "#7e22ce", // purple
    "#a16207", // ochre
    "#be185d", // reddish purple
    "#0e7490", // teal
];

/// The colour of the group at `index` among the experiment's groups (control is 0).
pub fn group_color(index: usize) -> &'static str {
    GROUP_COLORS[index % GROUP_COLORS.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// WCAG's contrast ratio of an `#rrggbb` colour against white.
    fn contrast_with_white(hex: &str) -> f64 {
        let channel = |i: usize| {
            let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
        1.05 / (luminance + 0.05)
    }

    #[test]
    fn every_colour_is_distinct_and_reads_at_4_5_to_1_on_white() {
        for (i, color) in GROUP_COLORS.iter().enumerate() {
            let ratio = contrast_with_white(color);
            assert!(ratio >= 4.5, "{color}: {ratio:.2}:1");
            assert!(!GROUP_COLORS[..i].contains(color), "{color} twice");
        }
    }

    #[test]
    fn control_is_grey_and_the_colours_repeat_past_the_palette() {
        assert_eq!(group_color(0), "#4b5563");
        assert_eq!(group_color(1), "#0072b2");
        assert_eq!(group_color(GROUP_COLORS.len() + 1), group_color(1));
    }
}
