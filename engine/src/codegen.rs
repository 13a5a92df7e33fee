//! Rules compiled at build time: Rust source that rebuilds compiled [`Rules`] directly.
//!
//! An application that bundles its rules (the Cohort page) compiles them in its build script
//! and embeds the result as code. Its Wasm then carries the evaluator and the data, but neither
//! the compiler nor a JSON parser for the rules, and a rule that does not validate fails the
//! build, not the page. [`rust_source`] writes an expression of type `cohort::Rules`; the
//! generated code names its types through [`rt`], as `cohort::codegen::rt`: it is included
//! where `cohort` names this crate (a dependency of that name, or an import such as
//! `cohort_leptos::bundled_rules!` makes).
//!
//! Every enum is matched without a wildcard, so a new variant in the model does not compile
//! here until it can be written out.

use std::fmt::Write as _;

use serde_json::Value;

use crate::model::{FieldName, IdType, SpecKind, TopField};
use crate::python::PyError;
use crate::rules::*;

/// What generated code uses: the model's types and small constructors.
pub mod rt {
    pub use crate::eval::operator_table;
    pub use crate::model::{FieldName, IdType, SpecKind, TopField};
    pub use crate::python::PyError;
    pub use crate::rules::*;
    pub use serde_json::Value;

    pub fn s(text: &str) -> String {
        text.to_owned()
    }

    pub fn string(text: &str) -> Value {
        Value::String(text.to_owned())
    }

    pub fn int(n: i64) -> Value {
        Value::Number(n.into())
    }

    pub fn uint(n: u64) -> Value {
        Value::Number(n.into())
    }

    pub fn float(f: f64) -> Value {
        serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
    }

    pub fn object(entries: Vec<(&str, Value)>) -> Value {
        // Inserted one by one: collecting would sort them again, and they come sorted.
        let mut map = serde_json::Map::new();
        for (k, v) in entries {
            map.insert(k.to_owned(), v);
        }
        Value::Object(map)
    }

    /// A set from its sorted, unique items.
    pub fn set(items: &[&str]) -> StrSet {
        StrSet::from_sorted(items.iter().map(|s| (*s).to_owned()).collect())
    }

    pub fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    /// A `str_matches` pattern, built when the rules are first used.
    #[cfg(feature = "regex")]
    pub fn regex(pattern: &str) -> Option<Result<Box<regex_lite::Regex>, String>> {
        Some(
            regex_lite::Regex::new(pattern)
                .map(Box::new)
                .map_err(|e| e.to_string()),
        )
    }
}

/// What a bundle carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contents {
    /// Everything: the specs and what analysis reads (metrics, every experiment setting).
    Analysis,
    /// What a page evaluating users needs: the specs and the sticky versions; no metrics, and
    /// experiments' settings without their metrics and guardrails (about 0.6 KB gzip less for
    /// the course's page).
    Evaluation,
}

/// Rust source for an expression that evaluates to rules equal to `rules`.
pub fn rust_source(rules: &Rules) -> String {
    rust_source_of(rules, Contents::Analysis)
}

/// Rust source for an expression that evaluates to `rules`, or to what of them `contents`
/// keeps.
pub fn rust_source_of(rules: &Rules, contents: Contents) -> String {
    let analysis = contents == Contents::Analysis;
    let mut g = Gen(String::new());
    g.push("{ use cohort::codegen::rt::*; Rules::from_parts(vec![");
    for spec in rules.specs() {
        g.spec(spec);
        g.push(",");
    }
    g.push("], vec![");
    for list in rules.id_lists() {
        g.str_set(list);
        g.push(",");
    }
    g.push("], ");
    g.opt_string(rules.app_id());
    g.push(", ");
    g.opt_string(rules.default_tier());
    // Built in a const block, so only the operators the rules use are linked.
    g.push(", const { operator_table(&[");
    for kind in rules.operator_kinds() {
        let _ = write!(g.0, "OpKind::{kind:?},");
    }
    g.push("]) }).with_experiments(vec![");
    for metric in rules.metrics().iter().filter(|_| analysis) {
        g.metric(metric);
        g.push(",");
    }
    g.push("], vec![");
    for (name, settings) in rules.declared_settings() {
        if !analysis && settings.sticky_version.is_none() {
            continue;
        }
        g.push("(");
        g.string(name);
        g.push(", ");
        if analysis {
            g.settings(settings);
        } else {
            g.settings(&ExperimentSettings {
                metrics: Vec::new(),
                guardrails: Vec::new(),
                ..settings.clone()
            });
        }
        g.push("),");
    }
    g.push("]) }");
    g.0
}

struct Gen(String);

impl Gen {
    fn push(&mut self, s: &str) {
        self.0.push_str(s);
    }

    fn lit(&mut self, s: &str) {
        let _ = write!(self.0, "{s:?}");
    }

    fn string(&mut self, s: &str) {
        self.push("s(");
        self.lit(s);
        self.push(")");
    }

    fn opt_string(&mut self, s: Option<&str>) {
        match s {
            None => self.push("None"),
            Some(s) => {
                self.push("Some(");
                self.string(s);
                self.push(")");
            }
        }
    }

    fn metric(&mut self, m: &Metric) {
        self.push("Metric { name: ");
        self.string(&m.name);
        self.push(", event: ");
        self.string(&m.event);
        self.push(match m.kind {
            MetricKind::Conversion => ", kind: MetricKind::Conversion",
            MetricKind::Count => ", kind: MetricKind::Count",
            MetricKind::Sum => ", kind: MetricKind::Sum",
            MetricKind::Ratio => ", kind: MetricKind::Ratio",
        });
        let _ = write!(
            self.0,
            ", inverse: {}, window_ms: {:?}, description: ",
            m.inverse, m.window_ms
        );
        self.opt_string(m.description.as_deref());
        let _ = write!(self.0, ", lookback_ms: {:?}, cap: ", m.lookback_ms);
        match &m.cap {
            None => self.push("None"),
            Some(cap) => {
                self.push(match cap.kind {
                    CapKind::Absolute => "Some(Cap { kind: CapKind::Absolute, value: ",
                    CapKind::Percentile => "Some(Cap { kind: CapKind::Percentile, value: ",
                });
                self.f64(cap.value);
                let _ = write!(self.0, ", ignore_zeros: {} }})", cap.ignore_zeros);
            }
        }
        self.push(", ratio: ");
        match &m.ratio {
            None => self.push("None"),
            Some(ratio) => {
                self.push("Some(Box::new(Ratio { numerator: ");
                self.metric(&ratio.numerator);
                self.push(", denominator: ");
                self.metric(&ratio.denominator);
                self.push(" }))");
            }
        }
        self.push(" }");
    }

    fn settings(&mut self, s: &ExperimentSettings) {
        self.push("ExperimentSettings { metrics: strings(&[");
        for name in &s.metrics {
            self.lit(name);
            self.push(",");
        }
        self.push("]), guardrails: strings(&[");
        for name in &s.guardrails {
            self.lit(name);
            self.push(",");
        }
        self.push("]), sequential_tuning: ");
        self.f64(s.sequential_tuning);
        self.push(", target_lift: ");
        self.f64(s.target_lift);
        let _ = write!(self.0, ", sticky_version: {:?} }}", s.sticky_version);
    }

    fn f64(&mut self, f: f64) {
        if f.is_nan() {
            self.push("f64::NAN");
        } else if f.is_infinite() {
            self.push(if f > 0.0 {
                "f64::INFINITY"
            } else {
                "f64::NEG_INFINITY"
            });
        } else {
            let _ = write!(self.0, "{f:?}_f64");
        }
    }

    fn py_error(&mut self, e: PyError) {
        self.push(match e {
            PyError::Value => "PyError::Value",
            PyError::Type => "PyError::Type",
            PyError::Overflow => "PyError::Overflow",
            PyError::Lookup => "PyError::Lookup",
        });
    }

    fn value(&mut self, v: &Value) {
        match v {
            Value::Null => self.push("Value::Null"),
            Value::Bool(b) => {
                let _ = write!(self.0, "Value::Bool({b})");
            }
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    let _ = write!(self.0, "int({i})");
                } else if let Some(u) = n.as_u64() {
                    let _ = write!(self.0, "uint({u})");
                } else {
                    self.push("float(");
                    self.f64(n.as_f64().unwrap_or(f64::NAN));
                    self.push(")");
                }
            }
            Value::String(s) => {
                self.push("string(");
                self.lit(s);
                self.push(")");
            }
            Value::Array(items) => {
                self.push("Value::Array(vec![");
                for item in items {
                    self.value(item);
                    self.push(",");
                }
                self.push("])");
            }
            Value::Object(map) => {
                self.push("object(vec![");
                for (k, v) in map {
                    self.push("(");
                    self.lit(k);
                    self.push(",");
                    self.value(v);
                    self.push("),");
                }
                self.push("])");
            }
        }
    }

    fn str_set(&mut self, set: &StrSet) {
        self.push("set(&[");
        for s in set.iter() {
            self.lit(s);
            self.push(",");
        }
        self.push("])");
    }

    fn id_type(&mut self, id: &IdType) {
        match id {
            IdType::UserId => self.push("IdType::UserId"),
            IdType::Custom { exact, lowered } => {
                self.push("IdType::Custom { exact: ");
                self.string(exact);
                self.push(", lowered: ");
                self.string(lowered);
                self.push(" }");
            }
        }
    }

    fn field(&mut self, f: &FieldName) {
        self.push("FieldName { exact: ");
        self.string(&f.exact);
        self.push(", folded: ");
        self.string(&f.folded);
        self.push(", lowered: ");
        self.string(&f.lowered);
        self.push(", top: TopField::");
        self.push(match f.top {
            TopField::UserId => "UserId",
            TopField::Email => "Email",
            TopField::Ip => "Ip",
            TopField::UserAgent => "UserAgent",
            TopField::Country => "Country",
            TopField::Locale => "Locale",
            TopField::AppVersion => "AppVersion",
            TopField::None => "None",
        });
        self.push(" }");
    }

    fn spec(&mut self, spec: &Spec) {
        self.push("Spec { name: ");
        self.string(&spec.name);
        self.push(", kind: SpecKind::");
        self.push(match spec.kind {
            SpecKind::Gate => "Gate",
            SpecKind::Config => "Config",
            SpecKind::Layer => "Layer",
        });
        self.push(", entity: ");
        self.opt_string(spec.entity.as_deref());
        self.push(", salt: ");
        self.string(&spec.salt);
        let _ = write!(self.0, ", enabled: {}, default_value: ", spec.enabled);
        self.value(&spec.default_value);
        self.push(", id_type: ");
        self.id_type(&spec.id_type);
        self.push(", rules: vec![");
        for rule in &spec.rules {
            self.rule(rule);
            self.push(",");
        }
        self.push("], explicit_parameters: strings(&[");
        for p in &spec.explicit_parameters {
            self.lit(p);
            self.push(",");
        }
        self.push("]), unsupported: ");
        self.opt_string(spec.unsupported.as_deref());
        self.push(", file: ");
        self.opt_string(spec.file.as_deref());
        self.push(" }");
    }

    fn rule(&mut self, rule: &Rule) {
        self.push("Rule { id: ");
        self.string(&rule.id);
        self.push(", name: ");
        self.opt_string(rule.name.as_deref());
        self.push(", salt: ");
        self.string(&rule.salt);
        self.push(", group_name: ");
        self.opt_string(rule.group_name.as_deref());
        self.push(", pass_percentage: ");
        self.f64(rule.pass_percentage);
        self.push(", return_value: ");
        self.value(&rule.return_value);
        self.push(", id_type: ");
        self.id_type(&rule.id_type);
        let _ = write!(
            self.0,
            ", is_experiment_group: {}, delegate: ",
            rule.is_experiment_group
        );
        match &rule.delegate {
            None => self.push("None"),
            Some(d) => {
                self.push("Some(Delegate { name: ");
                self.string(&d.name);
                let _ = write!(self.0, ", target: {:?} }})", d.target);
            }
        }
        self.push(", conditions: vec![");
        for c in &rule.conditions {
            self.push("Condition { source: ");
            self.source(&c.source);
            self.push(", op: ");
            self.op(&c.op);
            self.push(" },");
        }
        self.push("] }");
    }

    fn source(&mut self, source: &Source) {
        match source {
            Source::Public => self.push("Source::Public"),
            Source::Gate { name, target, pass } => {
                self.push("Source::Gate { name: ");
                self.string(name);
                let _ = write!(self.0, ", target: {target:?}, pass: {pass} }}");
            }
            Source::MultiGate { gates, pass } => {
                self.push("Source::MultiGate { gates: vec![");
                for (name, target) in gates {
                    self.push("(");
                    self.string(name);
                    let _ = write!(self.0, ", {target:?}),");
                }
                let _ = write!(self.0, "], pass: {pass} }}");
            }
            Source::UserField(f) => {
                self.push("Source::UserField(");
                self.field(f);
                self.push(")");
            }
            Source::EnvironmentField(f) => {
                self.push("Source::EnvironmentField(");
                match f {
                    None => self.push("None"),
                    Some(f) => {
                        self.push("Some(");
                        self.field(f);
                        self.push(")");
                    }
                }
                self.push(")");
            }
            Source::CurrentTime => self.push("Source::CurrentTime"),
            Source::UserBucket {
                salt,
                id_type,
                slot,
            } => {
                self.push("Source::UserBucket { salt: ");
                self.string(salt);
                self.push(", id_type: ");
                self.id_type(id_type);
                let _ = write!(self.0, ", slot: {slot} }}");
            }
            Source::UnitId(id) => {
                self.push("Source::UnitId(");
                self.id_type(id);
                self.push(")");
            }
            Source::UaBased(f) => {
                self.push("Source::UaBased(");
                self.field(f);
                self.push(")");
            }
            Source::IpBased(f) => {
                self.push("Source::IpBased(");
                self.field(f);
                self.push(")");
            }
            Source::TargetApp => self.push("Source::TargetApp"),
            Source::Nothing => self.push("Source::Nothing"),
            Source::Raise(e) => {
                self.push("Source::Raise(");
                self.py_error(*e);
                self.push(")");
            }
        }
    }

    fn result<T>(&mut self, r: &Result<Option<T>, PyError>, mut ok: impl FnMut(&mut Gen, &T)) {
        match r {
            Err(e) => {
                self.push("Err(");
                self.py_error(*e);
                self.push(")");
            }
            Ok(None) => self.push("Ok(None)"),
            Ok(Some(v)) => {
                self.push("Ok(Some(");
                ok(self, v);
                self.push("))");
            }
        }
    }

    fn cmp(&mut self, cmp: Cmp) {
        self.push(match cmp {
            Cmp::Gt => "Cmp::Gt",
            Cmp::Gte => "Cmp::Gte",
            Cmp::Lt => "Cmp::Lt",
            Cmp::Lte => "Cmp::Lte",
            Cmp::Eq => "Cmp::Eq",
            Cmp::Neq => "Cmp::Neq",
        });
    }

    fn opt_set(&mut self, set: &Option<StrSet>) {
        match set {
            None => self.push("None"),
            Some(set) => {
                self.push("Some(");
                self.str_set(set);
                self.push(")");
            }
        }
    }

    fn op(&mut self, op: &Op) {
        match op {
            Op::Never => self.push("Op::Never"),
            Op::Numeric { cmp, target } => {
                self.push("Op::Numeric { cmp: ");
                self.cmp(*cmp);
                self.push(", target: ");
                self.result(target, |g, f| g.f64(*f));
                self.push(" }");
            }
            Op::BucketCmp { cmp, target } => {
                self.push("Op::BucketCmp { cmp: ");
                self.cmp(*cmp);
                self.push(", target: ");
                self.f64(*target);
                self.push(" }");
            }
            Op::Version { cmp, target } => {
                self.push("Op::Version { cmp: ");
                self.cmp(*cmp);
                self.push(", target: ");
                match target {
                    None => self.push("None"),
                    Some(VersionTarget(parts)) => {
                        self.push("Some(VersionTarget(vec![");
                        for part in parts {
                            match part {
                                Ok(f) => {
                                    self.push("Ok(");
                                    self.f64(*f);
                                    self.push(")");
                                }
                                Err(e) => {
                                    self.push("Err(");
                                    self.py_error(*e);
                                    self.push(")");
                                }
                            }
                            self.push(",");
                        }
                        self.push("]))");
                    }
                }
                self.push(" }");
            }
            Op::AnyOf { set, negate } => {
                self.push("Op::AnyOf { set: ");
                self.opt_set(set);
                let _ = write!(self.0, ", negate: {negate} }}");
            }
            Op::AnyOfExact { set, negate } => {
                self.push("Op::AnyOfExact { set: ");
                self.opt_set(set);
                let _ = write!(self.0, ", negate: {negate} }}");
            }
            Op::BucketIn { set, negate } => {
                let _ = write!(
                    self.0,
                    "Op::BucketIn {{ set: BucketSet::from_words({:?}), negate: {negate} }}",
                    set.words()
                );
            }
            Op::StrAny {
                test,
                targets,
                negate,
            } => {
                self.push("Op::StrAny { test: StrTest::");
                self.push(match test {
                    StrTest::StartsWith => "StartsWith",
                    StrTest::EndsWith => "EndsWith",
                    StrTest::Contains => "Contains",
                });
                self.push(", targets: ");
                self.result(targets, |g, items| {
                    g.push("strings(&[");
                    for item in items {
                        g.lit(item);
                        g.push(",");
                    }
                    g.push("])");
                });
                let _ = write!(self.0, ", negate: {negate} }}");
            }
            #[cfg(feature = "regex")]
            Op::Matches { regex } => {
                self.push("Op::Matches { regex: ");
                match regex {
                    None => self.push("None"),
                    Some(Ok(re)) => {
                        self.push("regex(");
                        self.lit(re.as_str());
                        self.push(")");
                    }
                    Some(Err(message)) => {
                        self.push("Some(Err(");
                        self.string(message);
                        self.push("))");
                    }
                }
                self.push(" }");
            }
            Op::Equals { target, negate } => {
                self.push("Op::Equals { target: ");
                self.value(target);
                let _ = write!(self.0, ", negate: {negate} }}");
            }
            Op::Date { cmp, target } => {
                self.push("Op::Date { cmp: DateCmp::");
                self.push(match cmp {
                    DateCmp::Before => "Before",
                    DateCmp::After => "After",
                    DateCmp::On => "On",
                });
                self.push(", target: ");
                self.result(target, |g, n| {
                    let _ = write!(g.0, "{n}_i64");
                });
                self.push(" }");
            }
            Op::Segment { list, negate } => {
                self.push("Op::Segment { list: ");
                self.result(list, |g, n| {
                    let _ = write!(g.0, "{n}_usize");
                });
                let _ = write!(self.0, ", negate: {negate} }}");
            }
            Op::ArrayContains { test, targets } => {
                self.push("Op::ArrayContains { test: ArrayTest::");
                self.push(match test {
                    ArrayTest::Any => "Any",
                    ArrayTest::None => "None",
                    ArrayTest::All => "All",
                    ArrayTest::NotAll => "NotAll",
                });
                self.push(", targets: ");
                match targets {
                    None => self.push("None"),
                    Some(targets) => {
                        self.push("Some(vec![");
                        for t in targets {
                            self.push("ArrayTarget { text: ");
                            self.string(&t.text);
                            let _ = write!(self.0, ", int: {:?} }},", t.int);
                        }
                        self.push("])");
                    }
                }
                self.push(" }");
            }
        }
    }
}
