//! The button colour: what the experiment's "Button Color" parameter may say, and the safe CSS
//! colour it becomes.
//!
//! Named colours (Blue, Red, Green, Orange, in any case) map to a palette chosen for contrast
//! with white text; `#rgb` and `#rrggbb` are used as they are; anything else falls back to the
//! default colour with a warning. The result is always a validated hex colour, so a parameter
//! value can never inject CSS.

use std::fmt;

/// The four colours of the course's experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamedColor {
    Blue,
    Red,
    Green,
    Orange,
}

impl NamedColor {
    /// The palette: each shade has at least 4.5:1 contrast with white text.
    pub fn hex(self) -> &'static str {
        match self {
            NamedColor::Blue => "#1d4ed8",
            NamedColor::Red => "#b91c1c",
            NamedColor::Green => "#15803d",
            NamedColor::Orange => "#c2410c",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            NamedColor::Blue => "Blue",
            NamedColor::Red => "Red",
            NamedColor::Green => "Green",
            NamedColor::Orange => "Orange",
        }
    }

    fn parse(s: &str) -> Option<NamedColor> {
        [
            NamedColor::Blue,
            NamedColor::Red,
            NamedColor::Green,
            NamedColor::Orange,
        ]
        .into_iter()
        .find(|c| c.name().eq_ignore_ascii_case(s))
    }
}

/// A colour the button can safely be painted with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ButtonColor {
    Named(NamedColor),
    /// A validated `#rgb` or `#rrggbb`, lower case.
    Hex(String),
}

/// The colour used when the parameter is missing or unusable: the course's "blue".
pub const DEFAULT_COLOR: ButtonColor = ButtonColor::Named(NamedColor::Blue);

/// Why a parameter value could not be used as a colour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColorError {
    pub value: String,
}

impl fmt::Display for ColorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "\"Button Color\" is \"{}\", which is neither Blue, Red, Green, Orange nor a #rgb/#rrggbb \
             colour; using the default blue",
            self.value
        )
    }
}

impl ButtonColor {
    /// Reads a "Button Color" parameter value.
    pub fn parse(value: &str) -> Result<ButtonColor, ColorError> {
        let trimmed = value.trim();
        if let Some(named) = NamedColor::parse(trimmed) {
            return Ok(ButtonColor::Named(named));
        }
        let is_hex = trimmed.starts_with('#')
            && matches!(trimmed.len(), 4 | 7)
            && trimmed[1..].bytes().all(|b| b.is_ascii_hexdigit());
        if is_hex {
            Ok(ButtonColor::Hex(trimmed.to_ascii_lowercase()))
        } else {
            Err(ColorError {
                value: value.to_owned(),
            })
        }
    }

    /// Reads a parameter value, falling back to [`DEFAULT_COLOR`] with the reason.
    pub fn parse_or_default(value: &str) -> (ButtonColor, Option<ColorError>) {
        match ButtonColor::parse(value) {
            Ok(color) => (color, None),
            Err(e) => (DEFAULT_COLOR, Some(e)),
        }
    }

    /// The CSS background colour, always `#` and hex digits.
    pub fn background(&self) -> &str {
        match self {
            ButtonColor::Named(named) => named.hex(),
            ButtonColor::Hex(hex) => hex,
        }
    }

    /// Black or white, whichever reads better on the background: the W3C's colour brightness
    /// test (`(299 R + 587 G + 114 B) / 1000`, dark below 128). The four named colours are
    /// dark enough for white text (at least 4.5:1).
    pub fn foreground(&self) -> &'static str {
        let (r, g, b) = rgb(self.background());
        let brightness = (299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000;
        if brightness < 128 {
            "#ffffff"
        } else {
            "#111827"
        }
    }

    /// The named colour, if it is one of the four.
    pub fn named(&self) -> Option<NamedColor> {
        match self {
            ButtonColor::Named(n) => Some(*n),
            ButtonColor::Hex(_) => None,
        }
    }

    /// How the colour is described to people.
    pub fn label(&self) -> &str {
        match self {
            ButtonColor::Named(n) => n.name(),
            ButtonColor::Hex(hex) => hex,
        }
    }
}

fn rgb(hex: &str) -> (u8, u8, u8) {
    let digits: Vec<u8> = hex
        .trim_start_matches('#')
        .chars()
        .filter_map(|c| c.to_digit(16))
        .map(|d| d as u8)
        .collect();
    match digits.as_slice() {
        [r, g, b] => (r * 17, g * 17, b * 17),
        [r1, r2, g1, g2, b1, b2] => (r1 * 16 + r2, g1 * 16 + g2, b1 * 16 + b2),
        _ => (0, 0, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_colours_in_any_case() {
        for (raw, named) in [
            ("Blue", NamedColor::Blue),
            ("red", NamedColor::Red),
            ("GREEN", NamedColor::Green),
            (" Orange ", NamedColor::Orange),
        ] {
            assert_eq!(ButtonColor::parse(raw), Ok(ButtonColor::Named(named)));
        }
    }

    #[test]
    fn hex_colours_are_kept() {
        assert_eq!(
            ButtonColor::parse("#ABC"),
            Ok(ButtonColor::Hex("#abc".into()))
        );
        assert_eq!(
            ButtonColor::parse("#12ab9f").unwrap().background(),
            "#12ab9f"
        );
    }

    #[test]
    fn anything_else_falls_back_with_a_reason() {
        for bad in [
            "",
            "purple",
            "#12",
            "#1234",
            "#ggg",
            "red; background-image: url(x)",
            "#fff;color:red",
            "rgb(1,2,3)",
            "expression(alert(1))",
        ] {
            let (color, err) = ButtonColor::parse_or_default(bad);
            assert_eq!(color, DEFAULT_COLOR, "{bad}");
            let err = err.expect("a reason");
            assert!(err.to_string().contains("default blue"), "{err}");
        }
    }

    #[test]
    fn background_is_always_plain_hex() {
        for raw in ["Blue", "red", "#abc", "#A1B2C3"] {
            let bg = ButtonColor::parse(raw).unwrap();
            let bg = bg.background();
            assert!(bg.starts_with('#'));
            assert!(bg[1..].bytes().all(|b| b.is_ascii_hexdigit()), "{bg}");
        }
    }

    #[test]
    fn foreground_contrasts_with_background() {
        for named in [
            NamedColor::Blue,
            NamedColor::Red,
            NamedColor::Green,
            NamedColor::Orange,
        ] {
            assert_eq!(ButtonColor::Named(named).foreground(), "#ffffff");
        }
        assert_eq!(ButtonColor::Hex("#ffff00".into()).foreground(), "#111827");
        assert_eq!(ButtonColor::Hex("#fff".into()).foreground(), "#111827");
        assert_eq!(ButtonColor::Hex("#000".into()).foreground(), "#ffffff");
    }
}
