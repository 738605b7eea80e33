//! Compiled bundles: what `dictum compile` writes and the engine loads. Encoding is serde
//! (postcard) behind a fixed header; loading verifies everything before use, so a
//! truncated, corrupted or hostile bundle is rejected with a clear error.

use crate::check::program::{Outcome, Scope};
use crate::schema::{ACTION_ENUM, CIPHER_ENUM, LOG_FIELD_ENUM, Schema};
use crate::source::Span;
use crate::types::{Hook, Type};
use crate::vm::{Instr, MAX_STACK, Src};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// The first bytes of every bundle.
pub const MAGIC: &[u8; 8] = b"DICTUMB\0";
/// Bumped whenever the encoding changes; older or newer bundles are rejected.
pub const FORMAT_VERSION: u32 = 2;
/// Largest bundle accepted, in bytes.
pub const MAX_BUNDLE_BYTES: usize = 256 << 20;
/// Most attributes a schema may have (requests keep a presence bitset of this size).
pub const MAX_ATTRS: usize = 256;
/// Most entries in any one section of a bundle (constants, bodies, policies, the
/// instructions of one body, the elements of one constant set).
pub const MAX_SECTION: usize = 1 << 22;

/// A compiled project.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bundle {
    /// The dictum version that compiled it.
    pub dictum_version: String,
    /// FNV-1a hash of the source files, in path order.
    pub source_hash: u64,
    /// The schema the policies were checked against; requests are built for it.
    pub schema: Schema,
    /// The constant pool, each distinct (type, value) once: instruction operands and
    /// template arguments index it.
    pub consts: Vec<ConstDef>,
    /// The distinct `matches` patterns, indexed by the instructions; compiled on load.
    pub regexes: Vec<String>,
    /// The code of every policy and template, indexed by [`PolicyMeta::body`].
    pub bodies: Vec<BodyCode>,
    /// In bundle order: platform policies first, then domain, then narrower scopes; source
    /// order within each (docs/LANGUAGE.md, "How decisions combine").
    pub policies: Vec<PolicyMeta>,
    /// Source file names, indexed by the `file` of spans.
    pub files: Vec<String>,
    /// Per hook (by index), the attributes its policies read: conditions, action lists and
    /// scopes. A decision requires those of them that are not optional.
    pub reads: Vec<Vec<u32>>,
}

/// A constant: one scalar, or a set of scalars. Flat, so decoding cannot recurse.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConstDef {
    /// Its type (a set type for a set).
    pub ty: Type,
    /// The one scalar, or the set's elements in ascending order.
    pub items: Vec<FlatScalar>,
    /// A set of strings used with `under`: also build its domain index.
    pub domains: bool,
}

/// One scalar of a constant, as encoded; the constant's type says how to read it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FlatScalar {
    /// A `bool`.
    Bool(bool),
    /// An `int`, timestamp, duration or time (seconds), weekday, enum value or lattice level.
    Num(i64),
    /// A `string`.
    Str(String),
    /// An address.
    Ip(IpAddr),
    /// A network, encoded as its address and prefix length (version 1 wrote the text form,
    /// whose parsing was a quarter of loading a bundle).
    #[serde(with = "cidr_bytes")]
    Cidr(ipnetwork::IpNetwork),
    /// A product lattice value: level index and compartment bitset.
    Label(u32, u64),
}

/// The code of one policy or template.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BodyCode {
    /// The hook its rules are for.
    pub hook: Hook,
    /// The template's name, or `None` for a plain policy.
    pub template: Option<String>,
    /// The types of the template's parameters, in order.
    pub params: Vec<Type>,
    /// The conditions of every rule, one after the other; each starts at its rule's `entry`.
    pub code: Vec<Instr>,
    /// The rules kept after optimisation (dead and duplicate rules dropped), in source order.
    pub rules: Vec<RuleCode>,
    /// The deepest value stack any rule of this body uses.
    pub max_stack: u16,
    /// The policy or template declaration.
    pub span: Span,
}

/// One rule: what it does, for which actions, and where its condition's code starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleCode {
    /// Position of the rule in its policy as written (0-based), for rule ids.
    pub index: u16,
    /// What the rule does when it matches.
    pub op: RuleOp,
    /// Bit i set: applies to action i of the `action` enum. All ones: any action.
    pub actions: u64,
    /// `None`: no condition, always matches.
    pub entry: Option<u32>,
    /// Most instructions one evaluation of the condition executes.
    pub cost: u32,
    /// The rule in the source.
    pub span: Span,
    /// 1-based line and column of the rule in its file, for messages.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

/// What a compiled rule does. Ciphers and log fields are indices into the `cipher` and
/// `log_field` enums; bitsets set bit i for value i.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RuleOp {
    /// `permit`, for the rule's actions.
    Permit,
    /// `forbid` at an authorization hook, for the rule's actions.
    Forbid,
    /// `default allow|deny`.
    Default(Outcome),
    /// `use CIPHER`.
    Use(u32),
    /// A bitset of ciphers; all ones forbids every cipher.
    ForbidCiphers(u64),
    /// `default CIPHER`.
    DefaultCipher(u32),
    /// `record FIELDS`, as a bitset.
    Record(u64),
    /// `redact FIELDS`, as a bitset.
    Redact(u64),
}

/// A policy or template instance of the bundle: its name, where it applies, and its code.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyMeta {
    /// The policy's name (for an instance, its `as` name or the template's).
    pub name: String,
    /// Where it applies.
    pub scope: Scope,
    /// The hook it decides at.
    pub hook: Hook,
    /// Its code: an index into [`Bundle::bodies`].
    pub body: u32,
    /// One constant index per parameter of the body.
    pub args: Vec<u32>,
    /// The policy declaration, or the `use` that instantiated it.
    pub span: Span,
}

/// The static cost of one hook: the most instructions a decision there can execute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct HookCost {
    /// Platform rules, which apply to every request.
    pub platform: u64,
    /// The most expensive domain's rules (domain, class, tag and its costliest user).
    pub largest_domain: u64,
}

impl HookCost {
    /// Platform plus the largest domain: the bound for any one request.
    pub fn total(&self) -> u64 {
        self.platform + self.largest_domain
    }
}

/// Why a bundle was rejected. Messages follow the diagnostic style.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleError(pub String);

impl std::fmt::Display for BundleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BundleError {}

/// A network as (address, prefix length): the address in serde's binary form, so decoding
/// parses no text. A prefix longer than the address is refused as a decoding error.
mod cidr_bytes {
    use ipnetwork::IpNetwork;
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error};
    use std::net::IpAddr;

    pub fn serialize<S: Serializer>(net: &IpNetwork, s: S) -> Result<S::Ok, S::Error> {
        (net.ip(), net.prefix()).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<IpNetwork, D::Error> {
        let (ip, prefix) = <(IpAddr, u8)>::deserialize(d)?;
        IpNetwork::new(ip, prefix).map_err(|_| {
            D::Error::custom(format!("network prefix /{prefix} is too long for `{ip}`"))
        })
    }
}

fn err<T>(msg: impl Into<String>) -> Result<T, BundleError> {
    Err(BundleError(msg.into()))
}

/// FNV-1a, 64 bits: the payload checksum and the source hash.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

const HEADER_LEN: usize = 8 + 4 + 8 + 8;

impl Bundle {
    /// Encode: magic, format version, payload length, checksum, payload.
    pub fn encode(&self) -> Result<Vec<u8>, BundleError> {
        let payload = postcard::to_allocvec(self)
            .map_err(|e| BundleError(format!("cannot encode the bundle: {e}")))?;
        let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&fnv1a(&payload).to_le_bytes());
        out.extend_from_slice(&payload);
        Ok(out)
    }

    /// Decode and verify. Never panics, whatever the bytes.
    pub fn decode(bytes: &[u8]) -> Result<Bundle, BundleError> {
        if bytes.len() > MAX_BUNDLE_BYTES {
            return err(format!(
                "bundle is {} bytes, more than the limit of {MAX_BUNDLE_BYTES}",
                bytes.len()
            ));
        }
        let Some(magic) = bytes.get(..8) else {
            return err("not a dictum bundle: too short for the header");
        };
        if magic != MAGIC {
            return err("not a dictum bundle: wrong magic bytes");
        }
        let word = |at: usize, n: usize| {
            bytes
                .get(at..at + n)
                .ok_or_else(|| BundleError("bundle truncated in its header".into()))
        };
        let version = u32::from_le_bytes(
            word(8, 4)?
                .try_into()
                .map_err(|_| BundleError("bad header".into()))?,
        );
        if version != FORMAT_VERSION {
            return err(format!(
                "bundle format version {version} is not supported (this dictum reads version {FORMAT_VERSION})"
            ));
        }
        let len = u64::from_le_bytes(
            word(12, 8)?
                .try_into()
                .map_err(|_| BundleError("bad header".into()))?,
        );
        let sum = u64::from_le_bytes(
            word(20, 8)?
                .try_into()
                .map_err(|_| BundleError("bad header".into()))?,
        );
        let payload = bytes.get(HEADER_LEN..).unwrap_or(&[]);
        if payload.len() as u64 != len {
            return err(format!(
                "bundle truncated or padded: the header says {len} payload bytes, found {}",
                payload.len()
            ));
        }
        if fnv1a(payload) != sum {
            return err("bundle checksum mismatch: the file is corrupted");
        }
        let bundle: Bundle = postcard::from_bytes(payload)
            .map_err(|e| BundleError(format!("bundle payload is malformed: {e}")))?;
        bundle.verify()?;
        Ok(bundle)
    }

    /// The static cost of each hook (docs/ENGINE.md, "Static cost").
    pub fn hook_costs(&self) -> [HookCost; 5] {
        let mut out = [HookCost::default(); 5];
        let policy_cost = |p: &PolicyMeta| -> u64 {
            self.bodies
                .get(p.body as usize)
                .map_or(0, |b| b.rules.iter().map(|r| u64::from(r.cost) + 1).sum())
        };
        for h in Hook::ALL {
            let mut platform = 0u64;
            let mut domains: std::collections::BTreeMap<
                &str,
                (u64, std::collections::BTreeMap<&str, u64>),
            > = Default::default();
            for p in self.policies.iter().filter(|p| p.hook == h) {
                let c = policy_cost(p);
                match (&p.scope.domain, &p.scope.user) {
                    (None, _) => platform += c,
                    (Some(d), None) => domains.entry(d).or_default().0 += c,
                    (Some(d), Some(u)) => {
                        *domains.entry(d).or_default().1.entry(u).or_default() += c
                    }
                }
            }
            let largest = domains
                .values()
                .map(|(c, users)| c + users.values().max().copied().unwrap_or(0))
                .max()
                .unwrap_or(0);
            if let Some(slot) = out.get_mut(h.index()) {
                *slot = HookCost {
                    platform,
                    largest_domain: largest,
                };
            }
        }
        out
    }

    /// Check every index, jump and stack bound, so evaluation never reads out of range
    /// and always terminates.
    pub fn verify(&self) -> Result<(), BundleError> {
        let s = &self.schema;
        let sections = [
            ("constants", self.consts.len()),
            ("bodies", self.bodies.len()),
            ("policies", self.policies.len()),
            ("regular expressions", self.regexes.len()),
            ("files", self.files.len()),
        ];
        for (what, n) in sections {
            if n > MAX_SECTION {
                return err(format!(
                    "the bundle has {n} {what}, more than the limit of {MAX_SECTION}"
                ));
            }
        }
        if self.consts.iter().any(|c| c.items.len() > MAX_SECTION)
            || self
                .bodies
                .iter()
                .any(|b| b.code.len() > MAX_SECTION || b.rules.len() > MAX_SECTION)
        {
            return err(format!(
                "a bundle section is larger than the limit of {MAX_SECTION} entries"
            ));
        }
        if s.attrs.len() > MAX_ATTRS {
            return err(format!(
                "the schema has {} attributes, more than the limit of {MAX_ATTRS}",
                s.attrs.len()
            ));
        }
        for (i, a) in s.attrs.iter().enumerate() {
            let e = s
                .entities
                .get(a.entity as usize)
                .ok_or_else(|| BundleError(format!("attribute {i} names no entity")))?;
            if !e.attrs.iter().any(|id| id.0 as usize == i) {
                return err(format!("attribute {i} is not listed by its entity"));
            }
            self.verify_type(&a.ty)?;
        }
        for e in &s.entities {
            if e.attrs.iter().any(|id| id.0 as usize >= s.attrs.len()) {
                return err(format!(
                    "entity `{}` lists an attribute out of range",
                    e.name
                ));
            }
        }
        for l in &s.lattices {
            if let crate::schema::LatticeShape::Product { base, compartments } = &l.shape {
                let base_ok = matches!(
                    s.lattice(*base).map(|b| &b.shape),
                    Some(crate::schema::LatticeShape::Levels(_))
                );
                if !base_ok || compartments.len() > 64 {
                    return err(format!("lattice `{}` is malformed", l.name));
                }
            }
        }
        let enum_len = |name: &str| {
            s.enum_named(name)
                .and_then(|e| s.enum_def(e))
                .map_or(0, |d| d.values.len())
        };
        let (n_actions, n_ciphers, n_fields) = (
            enum_len(ACTION_ENUM),
            enum_len(CIPHER_ENUM),
            enum_len(LOG_FIELD_ENUM),
        );
        if n_actions > 64 || n_ciphers > 64 || n_fields > 64 {
            return err(
                "the `action`, `cipher` and `log_field` enums may have at most 64 values each",
            );
        }
        for c in &self.consts {
            self.verify_type(&c.ty)?;
            let set = matches!(c.ty, Type::Set(_));
            if !set && c.items.len() != 1 {
                return err("a scalar constant must have exactly one value");
            }
        }
        for r in &self.regexes {
            regex::RegexBuilder::new(r)
                .size_limit(1 << 20)
                .build()
                .map_err(|_| {
                    BundleError(format!("bundle holds an invalid regular expression `{r}`"))
                })?;
        }
        for (bi, b) in self.bodies.iter().enumerate() {
            self.verify_body(bi, b, n_ciphers)?;
        }
        if self.reads.len() != Hook::ALL.len()
            || self
                .reads
                .iter()
                .flatten()
                .any(|i| (*i as usize) >= s.attrs.len())
        {
            return err("the attributes read per hook are malformed");
        }
        for p in &self.policies {
            let b = self.bodies.get(p.body as usize).ok_or_else(|| {
                BundleError(format!("policy `{}` names a body out of range", p.name))
            })?;
            if b.hook != p.hook {
                return err(format!(
                    "policy `{}` is for hook `{}` but its code is for `{}`",
                    p.name, p.hook, b.hook
                ));
            }
            if p.args.len() != b.params.len() {
                return err(format!(
                    "policy `{}` has {} arguments for {} parameters",
                    p.name,
                    p.args.len(),
                    b.params.len()
                ));
            }
            for (a, t) in p.args.iter().zip(&b.params) {
                let c = self.consts.get(*a as usize).ok_or_else(|| {
                    BundleError(format!("policy `{}` has an argument out of range", p.name))
                })?;
                if c.ty.unify(t).is_none() {
                    return err(format!(
                        "policy `{}` has an argument of the wrong type",
                        p.name
                    ));
                }
            }
        }
        Ok(())
    }

    fn verify_type(&self, t: &Type) -> Result<(), BundleError> {
        let inner = t.element().unwrap_or(t);
        let ok = match inner {
            Type::Enum(e) => self.schema.enum_def(*e).is_some(),
            Type::Lattice(l) => self.schema.lattice(*l).is_some(),
            _ => true,
        };
        if ok {
            Ok(())
        } else {
            err("a type names an enum or lattice that does not exist")
        }
    }

    fn verify_body(&self, bi: usize, b: &BodyCode, n_ciphers: usize) -> Result<(), BundleError> {
        let at =
            |pc: usize, what: &str| BundleError(format!("body {bi}, instruction {pc}: {what}"));
        let n = b.code.len();
        if usize::from(b.max_stack) > MAX_STACK {
            return Err(at(0, "declares a stack deeper than the limit"));
        }
        let src_ok = |src: Src| match src {
            Src::Attr(i) => (i as usize) < self.schema.attrs.len(),
            Src::Const(k) => (k as usize) < self.consts.len(),
            Src::Param(p) => usize::from(p) < b.params.len(),
            Src::Var(v) => usize::from(v) < MAX_STACK,
            Src::Stack => true,
        };
        for (pc, ins) in b.code.iter().enumerate() {
            let (srcs, target) = operands(ins);
            if !srcs.iter().flatten().all(|s| src_ok(*s)) {
                return Err(at(pc, "an operand is out of range"));
            }
            match ins {
                Instr::Has(slot) if (*slot as usize) >= self.schema.attrs.len() => {
                    return Err(at(pc, "slot out of range"));
                }
                Instr::Matches { regex, .. } if (*regex as usize) >= self.regexes.len() => {
                    return Err(at(pc, "regex out of range"));
                }
                Instr::IterNext { var, .. } if usize::from(*var) >= MAX_STACK => {
                    return Err(at(pc, "variable out of range"));
                }
                _ => {}
            }
            if let Some(t) = target {
                let t = t as usize;
                if t >= n {
                    return Err(at(pc, "jump target out of range"));
                }
                // Forward only, except a loop back to an `IterNext` (which ends when its
                // set is exhausted): every evaluation terminates.
                if t <= pc && !matches!(b.code.get(t), Some(Instr::IterNext { .. })) {
                    return Err(at(pc, "backward jump that is not a loop"));
                }
            }
        }
        for r in &b.rules {
            match r.op {
                RuleOp::Use(c) | RuleOp::DefaultCipher(c) if (c as usize) >= n_ciphers => {
                    return err(format!("body {bi}: a rule names a cipher out of range"));
                }
                _ => {}
            }
            let hook_ok = match r.op {
                RuleOp::Permit | RuleOp::Default(_) => b.hook.is_authorization(),
                RuleOp::Forbid => b.hook.is_authorization(),
                RuleOp::Use(_) | RuleOp::ForbidCiphers(_) | RuleOp::DefaultCipher(_) => {
                    b.hook == Hook::Encrypt
                }
                RuleOp::Record(_) | RuleOp::Redact(_) => b.hook == Hook::Log,
            };
            if !hook_ok {
                return err(format!("body {bi}: a rule does not fit hook `{}`", b.hook));
            }
            if let Some(entry) = r.entry {
                stack_check(&b.code, entry as usize, b.max_stack)
                    .map_err(|(pc, what)| at(pc, what))?;
            }
        }
        Ok(())
    }
}

/// The source operands of an instruction and its jump target, if any.
fn operands(i: &Instr) -> ([Option<Src>; 2], Option<u32>) {
    match *i {
        Instr::Push(s) | Instr::Truth(s) => ([Some(s), None], None),
        Instr::Cmp { a, b, .. }
        | Instr::HasAny { a, b }
        | Instr::HasAll { a, b }
        | Instr::Arith { a, b, .. }
        | Instr::Bound { a, b, .. } => ([Some(a), Some(b)], None),
        Instr::In { elem, coll, .. } => ([Some(elem), Some(coll)], None),
        Instr::Like { text, pattern } => ([Some(text), Some(pattern)], None),
        Instr::Matches { text, .. } => ([Some(text), None], None),
        Instr::Under { name, domain } => ([Some(name), Some(domain)], None),
        Instr::Field { v, .. } => ([Some(v), None], None),
        Instr::MakeLabel { level, .. } => ([Some(level), None], None),
        Instr::Jump(t) | Instr::JumpIfTrue(t) | Instr::JumpIfFalse(t) => ([None, None], Some(t)),
        Instr::IterNext { done, .. } => ([None, None], Some(done)),
        Instr::Has(_)
        | Instr::PushFlag
        | Instr::SetFlag(_)
        | Instr::Not
        | Instr::IterStart
        | Instr::IterPop
        | Instr::Ret => ([None, None], None),
    }
}

/// Stack effect: values popped, values pushed, iterators opened (+1) or closed (-1).
fn effect(i: &Instr) -> (usize, usize, i32) {
    let (srcs, _) = operands(i);
    let pops = srcs
        .iter()
        .flatten()
        .filter(|s| matches!(s, Src::Stack))
        .count();
    match i {
        Instr::Push(_)
        | Instr::Arith { .. }
        | Instr::Field { .. }
        | Instr::Bound { .. }
        | Instr::MakeLabel { .. } => (pops, 1, 0),
        Instr::PushFlag => (0, 1, 0),
        Instr::IterStart => (1, 0, 1),
        Instr::IterPop => (0, 0, -1),
        _ => (pops, 0, 0),
    }
}

/// Abstract interpretation from `entry`: every path has one stack depth at each
/// instruction, never below zero or above `max`, balanced iterators, and ends in `Ret`.
fn stack_check(code: &[Instr], entry: usize, max: u16) -> Result<(), (usize, &'static str)> {
    // (stack depth, iterator depth) at each instruction, once reached.
    let mut state: Vec<Option<(usize, i32)>> = vec![None; code.len()];
    let mut work = vec![(entry, 0usize, 0i32)];
    while let Some((pc, depth, iters)) = work.pop() {
        let ins = code
            .get(pc)
            .ok_or((pc, "a path runs off the end of the code"))?;
        match state.get(pc).copied().flatten() {
            Some(seen) if seen == (depth, iters) => continue,
            Some(_) => {
                return Err((
                    pc,
                    "paths reach this instruction with different stack depths",
                ));
            }
            None => {
                if let Some(s) = state.get_mut(pc) {
                    *s = Some((depth, iters));
                }
            }
        }
        // `IterNext` reads the innermost iterator; when done it pops it.
        let (pops, pushes, diter) = effect(ins);
        let after = depth.checked_sub(pops).ok_or((pc, "pops an empty stack"))? + pushes;
        if after > usize::from(max) {
            return Err((pc, "exceeds the declared stack depth"));
        }
        let it = iters + diter;
        if it < 0 || it as usize > MAX_STACK {
            return Err((pc, "unbalanced iterators"));
        }
        match *ins {
            Instr::Ret => {
                if after != 0 || it != 0 {
                    return Err((pc, "returns with values or iterators left over"));
                }
            }
            Instr::Jump(t) => work.push((t as usize, after, it)),
            Instr::JumpIfTrue(t) | Instr::JumpIfFalse(t) => {
                work.push((t as usize, after, it));
                work.push((pc + 1, after, it));
            }
            Instr::IterNext { done, .. } => {
                if it < 1 {
                    return Err((pc, "iterates with no iterator open"));
                }
                work.push((done as usize, after, it - 1));
                work.push((pc + 1, after, it));
            }
            _ => work.push((pc + 1, after, it)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::FlatScalar;

    #[test]
    fn networks_round_trip_in_their_binary_form() {
        for net in [
            "10.0.0.0/8",
            "192.168.1.7/32",
            "0.0.0.0/0",
            "2001:db8::/32",
            "::1/128",
        ] {
            let scalar = FlatScalar::Cidr(net.parse().unwrap());
            let bytes = postcard::to_allocvec(&scalar).unwrap();
            // Tag, address family, address bytes, prefix: no text.
            assert!(
                bytes.len() <= 1 + 1 + 16 + 1,
                "{net}: {} bytes",
                bytes.len()
            );
            assert_eq!(postcard::from_bytes::<FlatScalar>(&bytes).unwrap(), scalar);
        }
    }

    #[test]
    fn a_prefix_longer_than_the_address_is_refused() {
        let good = postcard::to_allocvec(&FlatScalar::Cidr("10.0.0.0/8".parse().unwrap())).unwrap();
        let with_prefix = |p: u8| {
            let mut b = good.clone();
            *b.last_mut().unwrap() = p;
            postcard::from_bytes::<FlatScalar>(&b)
        };
        assert_eq!(
            with_prefix(32).unwrap(),
            FlatScalar::Cidr("10.0.0.0/32".parse().unwrap())
        );
        assert!(with_prefix(33).is_err());
    }
}
