//! The operator table compiled rules carry: the function each kind of condition calls
//! ([`Operators`]). Its type is part of the compiled form; evaluation, which owns the
//! functions, fills it ([`crate::eval::operator_table`], [`crate::eval::ALL_OPERATORS`]).
//!
//! Rules the compiler makes carry every operator. Rules written out as code
//! ([`crate::codegen`]) carry only the operators their conditions use, in a table built at
//! compile time, so an application that bundles its rules links only those: when no condition
//! needs them, Python's float parsing, case folding and the version, date and list comparisons
//! are left out of the page's Wasm.

use std::fmt;

use super::{Op, OpKind, Rules};
use crate::python::{Py, PyError};

/// An operator: whether `value` passes the condition's `op`. Each function is called only
/// with its own kind of [`Op`].
pub type OperatorFn = fn(&Op, Py<'_>, &Rules) -> Result<bool, PyError>;

/// The operator functions rules may call, by [`OpKind`].
#[derive(Clone, Copy)]
pub struct Operators {
    functions: [OperatorFn; OpKind::ALL.len()],
    /// Bit `kind as u32` is set for every kind the table has.
    present: u32,
}

impl Operators {
    /// A table with no operator: for rules without conditions. A condition whose operator the
    /// table lacks raises, so its spec evaluates as an error, never a panic.
    pub const NONE: Operators = Operators {
        functions: [missing as OperatorFn; OpKind::ALL.len()],
        present: 0,
    };

    /// This table with `function` for the operators of `kind`. A `const fn`, so a table can
    /// be built in a `const` (as [`crate::eval::operator_table`] is): then only the functions
    /// it holds are linked.
    pub const fn with(mut self, kind: OpKind, function: OperatorFn) -> Operators {
        self.functions[kind as usize] = function;
        self.present |= 1 << kind as u32;
        self
    }

    /// Whether the table has the operators of `kind`.
    pub fn has(&self, kind: OpKind) -> bool {
        self.present & (1 << kind as u32) != 0
    }

    /// The kinds the table has.
    pub fn kinds(&self) -> impl Iterator<Item = OpKind> + '_ {
        OpKind::ALL.iter().copied().filter(|&kind| self.has(kind))
    }

    /// Applies `op` to `value`.
    pub(crate) fn apply(&self, op: &Op, value: Py<'_>, rules: &Rules) -> Result<bool, PyError> {
        (self.functions[op.kind() as usize])(op, value, rules)
    }
}

impl fmt::Debug for Operators {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.kinds()).finish()
    }
}

/// In place of an operator the table lacks (rules built by hand with a table that does not
/// cover them): the condition raises.
fn missing(_: &Op, _: Py<'_>, _: &Rules) -> Result<bool, PyError> {
    Err(PyError::Type)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never(_: &Op, _: Py<'_>, _: &Rules) -> Result<bool, PyError> {
        Ok(false)
    }

    #[test]
    fn a_table_has_exactly_the_kinds_it_was_given() {
        const SOME: Operators = Operators::NONE
            .with(OpKind::BucketIn, never)
            .with(OpKind::BucketCmp, never);
        assert_eq!(
            SOME.kinds().collect::<Vec<_>>(),
            [OpKind::BucketCmp, OpKind::BucketIn]
        );
        assert_eq!(Operators::NONE.kinds().count(), 0);
        assert_eq!(format!("{SOME:?}"), "{BucketCmp, BucketIn}");
    }

    #[test]
    fn every_kind_is_at_its_index() {
        for (i, kind) in OpKind::ALL.iter().enumerate() {
            assert_eq!(*kind as usize, i, "{kind:?}");
        }
    }
}
