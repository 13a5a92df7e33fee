//! The engine's modules are layers: each imports only the ones below it, as the crate's
//! documentation and docs/engine.md list them. This reads the sources and checks every
//! `crate::` path outside comments.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

/// The layers, lowest first (`lib.rs` sits above them all and is not checked).
const LAYERS: &[&str] = &[
    "python",
    "model",
    "diagnostics",
    "hash",
    "params",
    "user",
    "rules",
    "eval",
    "compile",
    "read",
    "codegen",
    "build",
];

/// `(module, module it names)` for every `crate::name` in a line of code under `dir`.
fn references(dir: &Path, module: Option<&str>, found: &mut BTreeSet<(String, String)>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let module = module.map(str::to_owned).unwrap_or(name);
        if path.is_dir() {
            references(&path, Some(&module), found);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") || module == "lib" {
            continue;
        }
        for line in fs::read_to_string(&path).unwrap().lines() {
            let code = line.split("//").next().unwrap();
            for (at, _) in code.match_indices("crate::") {
                let named: String = code[at + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if named != module {
                    found.insert((module.clone(), named));
                }
            }
        }
    }
}

#[test]
fn every_module_imports_only_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = BTreeSet::new();
    references(&src, None, &mut found);
    assert!(
        found.contains(&("compile".into(), "rules".into())),
        "the scan found nothing"
    );
    let place = |m: &str| LAYERS.iter().position(|l| *l == m);
    let upward: Vec<String> = found
        .iter()
        .filter(|(from, to)| match (place(from), place(to)) {
            (Some(from), Some(to)) => to > from,
            _ => true,
        })
        .map(|(from, to)| format!("{from} imports {to}"))
        .collect();
    assert!(upward.is_empty(), "imports against the layers: {upward:?}");
}
