//! Finding and reading rules files: the one loader behind the app's build script and every CLI
//! command. A directory stands for its `.json` and `.toml` files, in name order; a file named
//! directly must be one of those.

use std::path::{Path, PathBuf};

use super::{Format, RulesFile};

/// A rules file read from disk.
#[derive(Debug, Clone)]
pub struct Source {
    /// The name messages use: the path, relative to the base it was loaded with.
    pub name: String,
    /// Where it was read from.
    pub path: PathBuf,
    pub text: String,
    pub format: Format,
}

impl Source {
    /// The file, as the compiler takes it.
    pub fn as_file(&self) -> RulesFile<'_> {
        RulesFile {
            name: &self.name,
            text: &self.text,
            format: self.format,
        }
    }
}

/// Reads the rules files `paths` name (directories stand for their `.json` and `.toml`
/// files); names in messages are relative to `base` when given.
pub fn read_paths(paths: &[PathBuf], base: Option<&Path>) -> Result<Vec<Source>, String> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && Format::from_path(&p.to_string_lossy()).is_some())
                .collect();
            entries.sort();
            files.extend(entries);
        } else {
            files.push(path.clone());
        }
    }
    files
        .into_iter()
        .map(|path| {
            let name = base
                .and_then(|b| path.strip_prefix(b).ok())
                .unwrap_or(&path)
                .to_string_lossy()
                .into_owned();
            let format = Format::from_path(&name)
                .ok_or_else(|| format!("{name}: not a rules file (expected .json or .toml)"))?;
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("cannot read {name}: {e}"))?;
            Ok(Source {
                name,
                path,
                text,
                format,
            })
        })
        .collect()
}

/// The compiler's view of `sources`.
pub fn as_files(sources: &[Source]) -> Vec<RulesFile<'_>> {
    sources.iter().map(Source::as_file).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_stand_for_their_rules_files_in_name_order() {
        let dir = std::env::temp_dir().join(format!("cohort-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in ["b.toml", "a.json", "notes.md"] {
            std::fs::write(dir.join(name), name).unwrap();
        }
        let sources = read_paths(std::slice::from_ref(&dir), Some(&dir)).unwrap();
        let names: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a.json", "b.toml"]);
        assert_eq!(sources[1].text, "b.toml");
        assert_eq!(sources[1].format, Format::Toml);
        let err = read_paths(&[dir.join("notes.md")], Some(&dir)).unwrap_err();
        assert_eq!(err, "notes.md: not a rules file (expected .json or .toml)");
        let err = read_paths(&[dir.join("gone.json")], Some(&dir)).unwrap_err();
        assert!(err.starts_with("cannot read gone.json: "), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
