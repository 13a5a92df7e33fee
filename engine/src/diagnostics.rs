//! Diagnostics: what is wrong with a rules file, and exactly where.
//!
//! Every problem names the file, the place (spec, rule, condition, and the line where the
//! format has lines) and the reason, so that `cohort check` and the app's build can print one
//! clear line per problem.

use std::fmt;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The rules cannot be used.
    Error,
    /// The rules evaluate exactly as Statsig would, but probably not as their author meant
    /// (an unknown gate, an unsupported operator); strict compilation turns these into errors.
    Warning,
}

/// Where in a rules file a problem is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// The file, as the caller named it.
    pub file: Option<String>,
    /// 1-based line, where the format has lines.
    pub line: Option<usize>,
    /// The path inside the file, e.g. `dynamic_configs[0] "button_color_v3" > rules[2]`.
    pub path: String,
}

impl Location {
    pub fn file(file: impl Into<String>) -> Location {
        Location {
            file: Some(file.into()),
            ..Location::default()
        }
    }

    /// This location, one step deeper.
    pub fn child(&self, step: impl fmt::Display) -> Location {
        let path = if self.path.is_empty() {
            step.to_string()
        } else {
            format!("{} > {step}", self.path)
        };
        Location {
            file: self.file.clone(),
            line: self.line,
            path,
        }
    }

    pub fn at_line(mut self, line: Option<usize>) -> Location {
        if line.is_some() {
            self.line = line;
        }
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        if let Some(file) = &self.file {
            parts.push(file.clone());
        }
        if let Some(line) = self.line {
            parts.push(format!("line {line}"));
        }
        if !self.path.is_empty() {
            parts.push(self.path.clone());
        }
        f.write_str(&parts.join(": "))
    }
}

/// One problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub location: Location,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let location = self.location.to_string();
        if location.is_empty() {
            write!(f, "{label}: {}", self.message)
        } else {
            write!(f, "{label}: {location}: {}", self.message)
        }
    }
}

/// The problems found while compiling; an `Err` holds at least one error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn error(&mut self, location: Location, message: impl Into<String>) {
        self.push(Severity::Error, location, message);
    }

    pub fn warning(&mut self, location: Location, message: impl Into<String>) {
        self.push(Severity::Warning, location, message);
    }

    fn push(&mut self, severity: Severity, location: Location, message: impl Into<String>) {
        self.0.push(Diagnostic {
            severity,
            location,
            message: message.into(),
        });
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.severity == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.severity == Severity::Warning)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_line_path_and_reason() {
        let mut d = Diagnostics::default();
        let loc = Location::file("experiments/x.toml")
            .child("experiment \"a\"")
            .child("group \"Red\"")
            .at_line(Some(7));
        d.error(loc, "weights add up to 90, not 100");
        assert_eq!(
            d.to_string(),
            "error: experiments/x.toml: line 7: experiment \"a\" > group \"Red\": weights add up to 90, not 100"
        );
        assert!(d.has_errors());
    }
}
