//! The page's routes and their paths: `/` (the experiment page) and `/signup`. (The app
//! follows them with its router; the first paint draws only the experiment page.)

/// A page of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Home,
    Signup,
}

impl Route {
    /// The route a location path names (a trailing slash is ignored); any path but the
    /// signup view's is the experiment page.
    pub fn from_path(path: &str) -> Route {
        match path.trim_end_matches('/') {
            "/signup" => Route::Signup,
            _ => Route::Home,
        }
    }

    /// The path of the route.
    pub fn path(self) -> &'static str {
        match self {
            Route::Home => "/",
            Route::Signup => "/signup",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_routes() {
        assert_eq!(Route::from_path("/"), Route::Home);
        assert_eq!(Route::from_path(""), Route::Home);
        assert_eq!(Route::from_path("/index.html"), Route::Home);
        assert_eq!(Route::from_path("/signup"), Route::Signup);
        assert_eq!(Route::from_path("/signup/"), Route::Signup);
        assert_eq!(Route::from_path("/nope"), Route::Home);
        for route in [Route::Home, Route::Signup] {
            assert_eq!(Route::from_path(route.path()), route);
        }
    }
}
