//! The page's first paint, before the app's Wasm arrives: the app's `index.html` holds the
//! page's first screen (the header, and the experiment's card hidden with its variant left
//! blank), and the small `first-paint` binary fills it with the user's variant and shows it,
//! with `cohort-browser`'s [`FirstPaint`] deciding exactly as the app will. The app then draws
//! the same and removes the prerendered screen, so the first paint is the user's variant and
//! nothing on screen changes when the app arrives.

use cohort_browser::{page, FirstPaint, User};

use crate::colors::ButtonColor;
use crate::route::Route;
use crate::{COLOR_PARAM, DEFAULT_COLOR_TEXT, DEFAULT_TEXT, EXPERIMENT, TEXT_PARAM};

/// The `id` of the prerendered screen in the app's `index.html`.
pub const SCREEN_ID: &str = "first-paint";

/// Fills the prerendered screen with the user's variant and shows it, and hands the user over
/// to the app. Does nothing on another route than the experiment page's, when an IP echo
/// decides the user (the app does), or when the app has taken over already.
pub fn paint() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(screen) = document.get_element_by_id(SCREEN_ID) else {
        return;
    };
    if Route::from_path(&page::path()) != Route::Home {
        return;
    }
    let Some(first) = FirstPaint::decide(crate::rules(), User::default()) else {
        return;
    };
    let find = |selector: &str| screen.query_selector(selector).ok().flatten();
    let (Some(paragraph), Some(cta), Some(main)) = (
        find("[data-testid=paragraph]"),
        find("[data-testid=cta]"),
        find("main"),
    ) else {
        return;
    };
    let evaluation = first.experiment(EXPERIMENT);
    let (color, _) = ButtonColor::parse_or_default(evaluation.get(COLOR_PARAM, DEFAULT_COLOR_TEXT));
    paragraph.set_text_content(Some(evaluation.get(TEXT_PARAM, DEFAULT_TEXT)));
    let _ = cta.set_attribute("data-color", color.label());
    let style = format!(
        "background-color: {}; color: {};",
        color.background(),
        color.foreground()
    );
    let _ = cta.set_attribute("style", &style);
    first.hand_over();
    let _ = main.remove_attribute("hidden");
}
