//! Gates that depend on themselves, through other gates and delegates: they would recurse
//! forever, and Statsig's SDK dies with a `RecursionError` on them.

use super::Compiler;
use crate::diagnostics::Location;
use crate::model::kind_noun;
use crate::rules::{Delegate, Source, Spec, SpecId};

impl Compiler {
    /// Gates that (through other gates and delegates) depend on themselves would recurse
    /// forever; Statsig's SDK dies with a `RecursionError` on them.
    pub(super) fn check_cycles(&mut self, specs: &[Spec]) {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Active,
            Done,
        }
        fn edges(spec: &Spec) -> Vec<SpecId> {
            let mut out = Vec::new();
            for rule in &spec.rules {
                if let Some(Delegate {
                    target: Some(t), ..
                }) = rule.delegate
                {
                    out.push(t);
                }
                for cond in &rule.conditions {
                    match &cond.source {
                        Source::Gate {
                            target: Some(t), ..
                        } => out.push(*t),
                        Source::MultiGate { gates, .. } => {
                            out.extend(gates.iter().filter_map(|(_, t)| *t))
                        }
                        _ => {}
                    }
                }
            }
            out
        }
        fn visit(
            id: SpecId,
            specs: &[Spec],
            marks: &mut [Mark],
            stack: &mut Vec<SpecId>,
            cycles: &mut Vec<Vec<SpecId>>,
        ) {
            marks[id as usize] = Mark::Active;
            stack.push(id);
            for next in edges(&specs[id as usize]) {
                match marks[next as usize] {
                    Mark::New => visit(next, specs, marks, stack, cycles),
                    Mark::Active => {
                        let start = stack.iter().position(|&s| s == next).unwrap_or(0);
                        let mut cycle = stack[start..].to_vec();
                        cycle.push(next);
                        cycles.push(cycle);
                    }
                    Mark::Done => {}
                }
            }
            stack.pop();
            marks[id as usize] = Mark::Done;
        }
        let mut marks = vec![Mark::New; specs.len()];
        let mut cycles = Vec::new();
        for id in 0..specs.len() {
            if marks[id] == Mark::New {
                visit(
                    id as SpecId,
                    specs,
                    &mut marks,
                    &mut Vec::new(),
                    &mut cycles,
                );
            }
        }
        for cycle in cycles {
            let path: Vec<String> = cycle
                .iter()
                .map(|&id| {
                    let s = &specs[id as usize];
                    format!("{} \"{}\"", kind_noun(s.kind), s.name)
                })
                .collect();
            let first = &specs[cycle[0] as usize];
            let at = Location {
                file: first.file.clone(),
                line: None,
                path: format!("{} \"{}\"", first.kind.section(), first.name),
            };
            self.questionable(at, format!("cycle between gates: {}", path.join(" -> ")));
        }
    }
}
