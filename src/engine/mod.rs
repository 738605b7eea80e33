//! Stage 5: the embedding API. An [`Engine`] holds a verified, loaded bundle (swappable
//! atomically while other threads evaluate); requests are built with resolved attribute
//! handles; `Snapshot::decide` (through `Deref` to [`Loaded::decide`]) returns a [`Decision`] without allocating.
//!
//! See the crate documentation for a complete example.

mod decide;
mod domains;
mod layout;
mod request;

pub use layout::{Layout, LayoutBuilder};
pub use request::{Attr, LabelValue, Owned, Request, RequestBuf, RequestError, Symbol};

use crate::bundle::{Bundle, BundleError, MAX_ATTRS};
use crate::check::program::{Layer, Outcome, Scope};
use crate::error::Diagnostic;
use crate::schema::{AttrId, LatticeShape, Schema};
use crate::source::{Sources, Span};
use crate::syntax::Limits;
use crate::types::{Hook, Type, WEEKDAYS};
use crate::vm::consts::{CidrSet, DomainSet, StrSet};
use crate::vm::{Const, ScalarConst, Slot, VmError};
use arc_swap::ArcSwap;
use request::{Kind, kind_of};
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::Arc;

/// Why a decision came out as it did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// A rule decided (`Decision::rule`).
    Rule,
    /// A declared `default` applied (`Decision::rule` is that default).
    Default,
    /// No rule matched and no default was declared: deny.
    NoDefault,
    /// Encrypt: every cipher was forbidden, or none was chosen.
    NoCipher,
    /// The request lacks a required attribute of an entity this hook uses.
    Missing(AttrId),
    /// The request was built for a different schema than the loaded bundle's.
    SchemaMismatch,
    /// The bundle and request did not fit together (a malformed bundle): deny.
    Internal,
}

/// A rule of the loaded bundle: policy index (bundle order) and rule index in its body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleRef {
    /// Position of the policy in the bundle (bundle order).
    pub policy: u32,
    /// Position of the rule in the policy's compiled rules.
    pub rule: u32,
}

/// The answer at one hook. `Copy`; never allocates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The hook decided at.
    pub hook: Hook,
    /// Allow or deny (fail closed: every error is deny).
    pub outcome: Outcome,
    /// Why.
    pub reason: Reason,
    /// The rule that decided, if one did.
    pub rule: Option<RuleRef>,
    /// Encrypt: the chosen cipher (index in the `cipher` enum).
    pub cipher: Option<u32>,
    /// Log: fields to record in clear (bit i: value i of `log_field`).
    pub record: u64,
    /// Log: fields to record redacted.
    pub redact: u64,
}

impl Decision {
    fn deny(hook: Hook, reason: Reason) -> Decision {
        Decision {
            hook,
            outcome: Outcome::Deny,
            reason,
            rule: None,
            cipher: None,
            record: 0,
            redact: 0,
        }
    }

    /// Whether the decision is allow.
    pub fn is_allow(&self) -> bool {
        self.outcome == Outcome::Allow
    }
}

/// What a rule is, for people: its id, policy, layer and source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleInfo<'a> {
    /// `SCOPE/POLICY#N`.
    pub id: String,
    /// The policy's name.
    pub policy: &'a str,
    /// Platform, domain or user.
    pub layer: Layer,
    /// Where the policy applies.
    pub scope: &'a Scope,
    /// The source file.
    pub file: &'a str,
    /// The rule's span in its file.
    pub span: Span,
    /// 1-based line of the rule.
    pub line: u32,
    /// 1-based column of the rule.
    pub column: u32,
}

/// How a rule fared in an explanation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleOutcome {
    /// Its condition held.
    Matched,
    /// Its condition did not hold.
    NotMatched,
    /// Its action list does not include the request's action.
    NotApplicable,
    /// Evaluation failed (a required attribute missing, or a malformed bundle).
    Error,
}

/// One rule in an explanation, with the attribute values its condition read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explained {
    /// The rule.
    pub rule: RuleRef,
    /// How it fared.
    pub outcome: RuleOutcome,
    /// `entity.attr` and the value as written in policies (`absent` when absent).
    pub values: Vec<(String, String)>,
}

/// The owners' rules of a domain, by owner.
type FastMap<V> = HashMap<Box<str>, V, BuildHasherDefault<crate::vm::consts::FastHasher>>;

/// A bundle ready for evaluation.
pub struct Loaded {
    bundle: Bundle,
    consts: Vec<Const>,
    regexes: Vec<regex::Regex>,
    index: decide::Index,
    /// Required attributes per hook, as presence bitsets.
    required: [[u64; MAX_ATTRS / 64]; 5],
    schema_fp: u64,
    kinds: Arc<[Kind]>,
    slot_domain: Option<u32>,
    slot_class: Option<u32>,
    slot_tags: Option<u32>,
    slot_owner: Option<u32>,
    slot_action: Option<u32>,
}

/// A policy engine: a loaded bundle behind an atomic pointer.
pub struct Engine {
    current: ArcSwap<Loaded>,
}

/// An error building an engine from sources: the diagnostics (with the sources to render
/// them), or a compile or bundle problem.
#[derive(Debug)]
pub enum EngineError {
    /// The policies do not check: the diagnostics, with the sources to render them.
    Check {
        /// The sources, to render the diagnostics.
        sources: Sources,
        /// Every diagnostic, errors and warnings.
        diagnostics: Vec<Diagnostic>,
    },
    /// The checked program could not be compiled.
    Compile(crate::compile::CompileError),
    /// The bundle was rejected when loaded.
    Bundle(BundleError),
}

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EngineError::Check { diagnostics, .. } => {
                write!(
                    f,
                    "{}",
                    crate::error::Diagnostics(
                        diagnostics
                            .iter()
                            .filter(|d| d.is_error())
                            .cloned()
                            .collect()
                    )
                )
            }
            EngineError::Compile(e) => write!(f, "{e}"),
            EngineError::Bundle(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for EngineError {}

/// Check and compile policy sources (name, text) against the standard schema.
pub fn compile_sources(files: &[(&str, &str)], schema: Schema) -> Result<Bundle, EngineError> {
    let mut sources = Sources::new();
    for (name, text) in files {
        sources.add(*name, *text);
    }
    let checked = crate::check::check_sources(&sources, schema, &Limits::default());
    let Some(program) = checked.program else {
        return Err(EngineError::Check {
            sources,
            diagnostics: checked.diagnostics,
        });
    };
    crate::compile::compile(&program, &sources).map_err(EngineError::Compile)
}

impl Engine {
    /// An engine for a bundle; verifies it first.
    pub fn new(bundle: Bundle) -> Result<Engine, BundleError> {
        Ok(Engine {
            current: ArcSwap::from_pointee(Loaded::new(bundle)?),
        })
    }

    /// Load an encoded bundle (as written by `dictum compile`).
    pub fn from_bytes(bytes: &[u8]) -> Result<Engine, BundleError> {
        Engine::new(Bundle::decode(bytes)?)
    }

    /// Check, compile and load policy sources against the standard schema.
    pub fn from_sources(files: &[(&str, &str)]) -> Result<Engine, EngineError> {
        let schema = Schema::standard().map_err(|d| EngineError::Check {
            sources: Sources::new(),
            diagnostics: d,
        })?;
        let bundle = compile_sources(files, schema)?;
        Engine::new(bundle).map_err(EngineError::Bundle)
    }

    /// Replace the bundle atomically. Evaluations in flight finish on the old one.
    pub fn swap(&self, bundle: Bundle) -> Result<(), BundleError> {
        self.current.store(Arc::new(Loaded::new(bundle)?));
        Ok(())
    }

    /// The bundle loaded now, for a series of calls that must see the same one.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot(self.current.load_full())
    }

    /// Resolve `entity.attr` to a handle, once.
    pub fn attr(&self, path: &str) -> Result<Attr, RequestError> {
        self.current.load().attr(path)
    }

    /// Resolve an enum value, lattice level or weekday name for an attribute.
    pub fn symbol(&self, attr: Attr, name: &str) -> Result<Symbol, RequestError> {
        self.current.load().symbol(attr, name)
    }

    /// An empty request for the loaded schema. Reuse it with `Request::clear`.
    pub fn request<'a>(&self) -> Request<'a> {
        self.current.load().request()
    }

    /// Parse a JSON request for the loaded schema.
    pub fn request_from_json(&self, text: &str) -> Result<RequestBuf, RequestError> {
        self.current.load().request_from_json(text)
    }

    /// Resolve a product-lattice value for an attribute.
    pub fn label(
        &self,
        attr: Attr,
        level: &str,
        compartments: &[&str],
    ) -> Result<LabelValue, RequestError> {
        self.current.load().label(attr, level, compartments)
    }

    /// Decide at one hook. Never allocates; fails closed.
    pub fn decide(&self, hook: Hook, req: &Request<'_>) -> Decision {
        self.current.load().decide(hook, req)
    }

    /// Decide at one hook on the caller's own request type, read through `layout` (built
    /// from a snapshot with [`Loaded::layout`]; it stays valid across reloads that keep the
    /// schema). Never allocates; fails closed.
    pub fn decide_in_place<R>(&self, hook: Hook, layout: &Layout<R>, req: &R) -> Decision {
        self.current.load().decide_in_place(hook, layout, req)
    }
}

/// A loaded bundle held for a while (a cheap reference count).
#[derive(Clone)]
pub struct Snapshot(Arc<Loaded>);

impl std::ops::Deref for Snapshot {
    type Target = Loaded;
    fn deref(&self) -> &Loaded {
        &self.0
    }
}

/// The denial naming the first required attribute a request lacks.
#[cold]
#[inline(never)]
fn missing_attr(hook: Hook, need: &[u64], have: &[u64]) -> Decision {
    let first = need.iter().zip(have).enumerate().find_map(|(w, (n, h))| {
        let missing = n & !h;
        (missing != 0).then(|| u32::try_from(w * 64).unwrap_or(0) + missing.trailing_zeros())
    });
    match first {
        Some(id) => Decision::deny(hook, Reason::Missing(AttrId(id))),
        None => Decision::deny(hook, Reason::Internal),
    }
}

/// Fingerprint of a schema: requests built for one are only evaluated against it.
fn schema_fingerprint(s: &Schema) -> u64 {
    crate::bundle::fnv1a(s.to_text().as_bytes())
}

fn build_const(def: &crate::bundle::ConstDef) -> Const {
    use crate::bundle::FlatScalar as F;
    let scalar = |f: &F| match f {
        F::Bool(b) => ScalarConst::Bool(*b),
        F::Num(n) => ScalarConst::Num(*n),
        F::Str(s) => ScalarConst::Str(s.as_str().into()),
        F::Ip(i) => ScalarConst::Ip(*i),
        F::Cidr(c) => ScalarConst::Cidr(*c),
        F::Label(l, c) => ScalarConst::Label(*l, *c),
    };
    let Type::Set(elem) = &def.ty else {
        return Const::Scalar(
            def.items
                .first()
                .map(scalar)
                .unwrap_or(ScalarConst::Bool(false)),
        );
    };
    let all = |p: fn(&F) -> bool| def.items.iter().all(p);
    match **elem {
        Type::String if all(|f| matches!(f, F::Str(_))) => {
            let strs: Vec<&str> = def
                .items
                .iter()
                .filter_map(|f| {
                    if let F::Str(s) = f {
                        Some(s.as_str())
                    } else {
                        None
                    }
                })
                .collect();
            let domains = def
                .domains
                .then(|| Box::new(DomainSet::new(strs.iter().copied())));
            Const::StrSet {
                set: StrSet::new(strs),
                domains,
            }
        }
        Type::Ip if all(|f| matches!(f, F::Ip(_))) => {
            let mut v: Vec<std::net::IpAddr> = def
                .items
                .iter()
                .filter_map(|f| if let F::Ip(i) = f { Some(*i) } else { None })
                .collect();
            v.sort();
            v.dedup();
            Const::IpSet(v)
        }
        Type::Cidr if all(|f| matches!(f, F::Cidr(_))) => Const::CidrSet(CidrSet::new(
            def.items
                .iter()
                .filter_map(|f| if let F::Cidr(c) = f { Some(*c) } else { None }),
        )),
        _ if all(|f| matches!(f, F::Num(_))) => {
            let mut v: Vec<i64> = def
                .items
                .iter()
                .filter_map(|f| if let F::Num(n) = f { Some(*n) } else { None })
                .collect();
            v.sort();
            v.dedup();
            Const::NumSet(v)
        }
        _ => {
            let mut v: Vec<ScalarConst> = Vec::new();
            for s in def.items.iter().map(scalar) {
                if !v.contains(&s) {
                    v.push(s);
                }
            }
            Const::Other(v)
        }
    }
}

impl Loaded {
    /// Verify a bundle and build its runtime structures.
    pub fn new(bundle: Bundle) -> Result<Loaded, BundleError> {
        bundle.verify()?;
        let consts: Vec<Const> = bundle.consts.iter().map(build_const).collect();
        let regexes = bundle
            .regexes
            .iter()
            .map(|r| {
                regex::RegexBuilder::new(r)
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|_| BundleError(format!("invalid regular expression `{r}`")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let schema = &bundle.schema;
        let slot = |e: &str, a: &str| schema.attr_named(e, a).map(|id| id.0);
        let index = decide::build_index(&bundle, &consts);
        // Required: the non-optional attributes the hook's policies read.
        let mut required = [[0u64; MAX_ATTRS / 64]; 5];
        for (h, ids) in bundle.reads.iter().enumerate() {
            for &i in ids {
                let optional = schema.attr(AttrId(i)).is_none_or(|a| a.optional);
                if !optional
                    && let Some(w) = required.get_mut(h).and_then(|r| r.get_mut(i as usize / 64))
                {
                    *w |= 1u64 << (i % 64);
                }
            }
        }
        let kinds: Arc<[Kind]> = schema
            .attrs
            .iter()
            .map(|a| kind_of(schema, &a.ty))
            .collect();
        Ok(Loaded {
            slot_domain: slot("object", "domain"),
            slot_class: slot("object", "class"),
            slot_tags: slot("object", "tags"),
            slot_owner: slot("object", "owner"),
            slot_action: slot("request", "action"),
            schema_fp: schema_fingerprint(schema),
            kinds,
            consts,
            regexes,
            index,
            required,
            bundle,
        })
    }

    /// The bundle loaded.
    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }

    /// The bundle's schema.
    pub fn schema(&self) -> &Schema {
        &self.bundle.schema
    }

    /// Resolve `entity.attr` to a handle, once.
    pub fn attr(&self, path: &str) -> Result<Attr, RequestError> {
        let (e, a) = path.split_once('.').ok_or_else(|| RequestError {
            path: path.into(),
            message: "expected `entity.attribute`".into(),
        })?;
        let id = self.schema().attr_named(e, a).ok_or_else(|| RequestError {
            path: path.into(),
            message: "no such attribute in the schema".into(),
        })?;
        let kind = self
            .kinds
            .get(id.0 as usize)
            .copied()
            .ok_or_else(|| RequestError {
                path: path.into(),
                message: "no such attribute".into(),
            })?;
        Ok(Attr {
            key: request::handle_key(self.schema_fp, kind.code()),
            id,
            kind,
        })
    }

    /// Resolve an enum value, lattice level or weekday name for an attribute.
    pub fn symbol(&self, attr: Attr, name: &str) -> Result<Symbol, RequestError> {
        let s = self.schema();
        let path = s.attr_path(attr.id);
        let ty = s
            .attr(attr.id)
            .map(|a| a.ty.clone())
            .ok_or_else(|| RequestError {
                path: path.clone(),
                message: "no such attribute".into(),
            })?;
        let index = match &ty {
            Type::Enum(e) => s.enum_value(*e, name),
            Type::Lattice(l) => match s.lattice(*l).map(|d| &d.shape) {
                Some(LatticeShape::Levels(_)) => s.lattice_level(*l, name),
                _ => None,
            },
            Type::Weekday => WEEKDAYS
                .iter()
                .position(|d| *d == name)
                .and_then(|i| u32::try_from(i).ok()),
            _ => {
                return Err(RequestError {
                    path,
                    message: "not an enum, lattice or weekday attribute".into(),
                });
            }
        };
        index
            .map(|index| Symbol {
                attr: attr.id,
                index,
            })
            .ok_or_else(|| RequestError {
                path,
                message: format!("`{name}` is not a value of this attribute's type"),
            })
    }

    /// Resolve a product-lattice value (`label(secret, {crypto})`) for an attribute.
    pub fn label(
        &self,
        attr: Attr,
        level: &str,
        compartments: &[&str],
    ) -> Result<LabelValue, RequestError> {
        let s = self.schema();
        let path = s.attr_path(attr.id);
        let bad = |m: String| RequestError {
            path: path.clone(),
            message: m,
        };
        let Some(Type::Lattice(l)) = s.attr(attr.id).map(|a| &a.ty) else {
            return Err(bad("not a lattice attribute".into()));
        };
        let Some(LatticeShape::Product {
            base,
            compartments: names,
        }) = s.lattice(*l).map(|d| &d.shape)
        else {
            return Err(bad("not a product lattice attribute".into()));
        };
        let level = s
            .lattice_level(*base, level)
            .ok_or_else(|| bad(format!("`{level}` is not a level")))?;
        let mut bits = 0u64;
        for c in compartments {
            let i = names
                .iter()
                .position(|n| n == c)
                .ok_or_else(|| bad(format!("`{c}` is not a compartment")))?;
            bits |= 1u64 << i;
        }
        Ok(LabelValue {
            attr: attr.id,
            level,
            compartments: bits,
        })
    }

    /// An empty request for this bundle's schema. Reuse it with `Request::clear`.
    pub fn request<'a>(&self) -> Request<'a> {
        Request::new(self.schema_fp, self.kinds.clone())
    }

    /// Parse a JSON request (docs/LANGUAGE.md, "The request format").
    pub fn request_from_json(&self, text: &str) -> Result<RequestBuf, RequestError> {
        RequestBuf::from_json(self.schema(), self.schema_fp, self.kinds.clone(), text)
    }

    /// A request from attribute values by slot (as the reference interpreter reads them).
    pub fn request_from_values(&self, values: Vec<Option<crate::value::Value>>) -> RequestBuf {
        RequestBuf::from_values(self.schema(), self.schema_fp, self.kinds.clone(), values)
    }

    /// Describe a rule of this bundle.
    pub fn rule(&self, r: RuleRef) -> Option<RuleInfo<'_>> {
        let p = self.bundle.policies.get(r.policy as usize)?;
        let body = self.bundle.bodies.get(p.body as usize)?;
        let rc = body.rules.get(r.rule as usize)?;
        Some(RuleInfo {
            id: format!("{}/{}#{}", p.scope, p.name, usize::from(rc.index) + 1),
            policy: &p.name,
            layer: p.scope.layer(),
            scope: &p.scope,
            file: self
                .bundle
                .files
                .get(rc.span.file.0 as usize)
                .map_or("<unknown>", String::as_str),
            span: rc.span,
            line: rc.line,
            column: rc.column,
        })
    }

    /// Decide at one hook. Never allocates; any inconsistency denies.
    pub fn decide(&self, hook: Hook, req: &Request<'_>) -> Decision {
        if req.schema_fp != self.schema_fp {
            return Decision::deny(hook, Reason::SchemaMismatch);
        }
        if let Some(need) = self.required.get(hook.index()) {
            // All words at once, without a branch per word: the common case is nothing
            // missing, and naming the first missing attribute is the cold path's job.
            let missing = need
                .iter()
                .zip(&req.present)
                .fold(0, |acc, (n, have)| acc | (n & !have));
            if missing != 0 {
                return missing_attr(hook, need, &req.present);
            }
        }
        self.settle(hook, self.decide_inner(hook, req.slots()))
    }

    /// Whether the hook requires attribute `id` (its policies read it, and it is not
    /// optional).
    fn requires(&self, hook: Hook, id: u32) -> bool {
        self.required
            .get(hook.index())
            .and_then(|r| r.get(id as usize / 64))
            .is_some_and(|w| w & (1u64 << (id % 64)) != 0)
    }

    /// An evaluation's result as a decision: errors deny (fail closed).
    #[inline(always)]
    fn settle(&self, hook: Hook, r: Result<Decision, VmError>) -> Decision {
        match r {
            Ok(d) => d,
            Err(VmError::Absent(slot)) => Decision::deny(hook, Reason::Missing(AttrId(slot))),
            Err(VmError::Malformed) => Decision::deny(hook, Reason::Internal),
        }
    }

    /// Every applicable rule's outcome, with the attribute values its condition read.
    pub fn explain(&self, hook: Hook, req: &Request<'_>) -> Vec<Explained> {
        let slots = req.slots();
        // A required action that is absent: the decision is a `missing` denial, and
        // whether a rule listing actions applies cannot be told (an error, as in the
        // decision); rules for any action still apply.
        let action = self.action_bit(hook, slots).ok();
        self.applicable_entries(hook, slots)
            .into_iter()
            .map(|e| {
                let rule = RuleRef {
                    policy: e.policy,
                    rule: e.rule,
                };
                let lists_actions =
                    matches!(e.op, decide::Op::Permit | decide::Op::Forbid) && e.bits != u64::MAX;
                let outcome = match action {
                    _ if !lists_actions => self.rule_outcome(&e, slots),
                    None => RuleOutcome::Error,
                    Some(bit) if e.bits & bit == 0 => RuleOutcome::NotApplicable,
                    Some(_) => self.rule_outcome(&e, slots),
                };
                let body = self
                    .bundle
                    .policies
                    .get(e.policy as usize)
                    .and_then(|p| self.bundle.bodies.get(p.body as usize));
                let values = match body.and_then(|b| Some((b, b.rules.get(e.rule as usize)?))) {
                    Some((body, r)) => self.read_values(body, r, req),
                    None => Vec::new(),
                };
                Explained {
                    rule,
                    outcome,
                    values,
                }
            })
            .collect()
    }

    /// Whether a rule's condition holds, for an explanation.
    fn rule_outcome(&self, e: &decide::Entry, slots: crate::vm::Slots<'_>) -> RuleOutcome {
        match self.holds(e, &self.env(slots)) {
            Ok(true) => RuleOutcome::Matched,
            Ok(false) => RuleOutcome::NotMatched,
            Err(_) => RuleOutcome::Error,
        }
    }

    /// The attributes a rule's condition reads, with their values in this request.
    fn read_values(
        &self,
        body: &crate::bundle::BodyCode,
        r: &crate::bundle::RuleCode,
        req: &Request<'_>,
    ) -> Vec<(String, String)> {
        let mut ids: Vec<u32> = Vec::new();
        let Some(entry) = r.entry else {
            return Vec::new();
        };
        for ins in body.code.iter().skip(entry as usize) {
            let mut note = |s: &crate::vm::Src| {
                if let crate::vm::Src::Attr(i) = s
                    && !ids.contains(i)
                {
                    ids.push(*i);
                }
            };
            use crate::vm::Instr as I;
            match ins {
                I::Ret => break,
                I::Has(i) => note(&crate::vm::Src::Attr(*i)),
                I::Push(s)
                | I::Truth(s)
                | I::Matches { text: s, .. }
                | I::Field { v: s, .. }
                | I::MakeLabel { level: s, .. } => note(s),
                I::Cmp { a, b, .. }
                | I::HasAny { a, b }
                | I::HasAll { a, b }
                | I::Arith { a, b, .. }
                | I::Bound { a, b, .. } => {
                    note(a);
                    note(b);
                }
                I::In { elem, coll, .. } => {
                    note(elem);
                    note(coll);
                }
                I::Like { text, pattern } => {
                    note(text);
                    note(pattern);
                }
                I::Under { name, domain } => {
                    note(name);
                    note(domain);
                }
                _ => {}
            }
        }
        ids.iter()
            .map(|i| {
                let id = AttrId(*i);
                let path = self.schema().attr_path(id);
                let ty = self
                    .schema()
                    .attr(id)
                    .map(|a| a.ty.clone())
                    .unwrap_or(Type::Never);
                let shown = match req.slots().get(*i as usize) {
                    None => "absent".to_string(),
                    Some(slot) => slot_text(slot, &ty, self.schema()),
                };
                (path, shown)
            })
            .collect()
    }
}

/// A slot's value in policy syntax.
fn slot_text(slot: &Slot<'_>, ty: &Type, schema: &Schema) -> String {
    use crate::value::Value;
    use crate::vm::consts::Scalar;
    let scalar = |s: Scalar<'_>, t: &Type| -> Value {
        match (s, t) {
            (Scalar::Bool(b), _) => Value::Bool(b),
            (Scalar::Str(x), _) => Value::Str(x.to_string()),
            (Scalar::Ip(x), _) => Value::Ip(x),
            (Scalar::Cidr(x), _) => Value::Cidr(x),
            (Scalar::Label(l, c), _) => Value::Label {
                level: l,
                compartments: c,
            },
            (Scalar::Num(n), Type::Timestamp) => Value::Timestamp(n),
            (Scalar::Num(n), Type::Duration) => Value::Duration(n),
            (Scalar::Num(n), Type::Time) => Value::Time(u32::try_from(n).unwrap_or(0)),
            (Scalar::Num(n), Type::Weekday) => Value::Weekday(u8::try_from(n).unwrap_or(0)),
            (Scalar::Num(n), Type::Enum(_)) => Value::Enum(u32::try_from(n).unwrap_or(0)),
            (Scalar::Num(n), Type::Lattice(_)) => Value::Level(u32::try_from(n).unwrap_or(0)),
            (Scalar::Num(n), _) => Value::Int(n),
        }
    };
    match slot {
        Slot::Absent => "absent".into(),
        Slot::Scalar(s) => scalar(*s, ty).display(ty, schema),
        Slot::Set(view) => {
            let elem = ty.element().cloned().unwrap_or(Type::Never);
            let items: std::collections::BTreeSet<Value> = (0..view.len())
                .filter_map(|i| view.get(i))
                .map(|s| scalar(s, &elem))
                .collect();
            Value::Set(items).display(ty, schema)
        }
    }
}
