//! The decision path: a per-hook index of flattened rules, and the combination rules of
//! docs/LANGUAGE.md over it. Everything here runs on every request: no allocation, no
//! string hashing beyond the one or two index lookups.

use super::domains::{self, DomainTable, HookRules, NO_HINT};
use super::{Decision, FastMap, Loaded, Reason, RuleRef};
use crate::bundle::{Bundle, RuleOp};
use crate::check::program::{Outcome, Scope};
use crate::types::Hook;
use crate::vm::cond::{Cond, Conds};
use crate::vm::consts::{Scalar, StrSet};
use crate::vm::{Const, Env, Slot, Slots, Source, VmError};

/// One rule, flattened: everything a decision needs without following policy and body
/// indices first. One cache line: a tenant's entries at a hook are a few lines in a row.
#[derive(Clone, Copy, Debug)]
#[repr(align(64))]
pub(super) struct Entry {
    /// The bit set the rule acts on (bit i: value i of the enum), by `op`: permits,
    /// forbids and defaults, the rule's actions; forbidden ciphers, the ciphers; `record`
    /// and `redact`, the log fields.
    pub bits: u64,
    /// The condition, resolved for this instance (see `vm::cond`).
    pub cond: Cond,
    pub op: Op,
    pub policy: u32,
    pub rule: u32,
    pub spec: u8,
}

/// What a rule does ([`RuleOp`] with its bit sets moved to [`Entry::bits`], so that an
/// entry fits a cache line).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Op {
    Permit,
    Forbid,
    Default(Outcome),
    /// `use CIPHER`.
    Use(u32),
    /// Forbids the ciphers in `bits`.
    ForbidCiphers,
    /// `default CIPHER`.
    DefaultCipher(u32),
    /// Records the fields in `bits`.
    Record,
    /// Redacts the fields in `bits`.
    Redact,
}

impl Op {
    /// The entry's op and bit set for a rule of the bundle.
    fn of(op: RuleOp, actions: u64) -> (Op, u64) {
        match op {
            RuleOp::Permit => (Op::Permit, actions),
            RuleOp::Forbid => (Op::Forbid, actions),
            RuleOp::Default(o) => (Op::Default(o), actions),
            RuleOp::Use(c) => (Op::Use(c), actions),
            RuleOp::ForbidCiphers(m) => (Op::ForbidCiphers, m),
            RuleOp::DefaultCipher(c) => (Op::DefaultCipher(c), actions),
            RuleOp::Record(m) => (Op::Record, m),
            RuleOp::Redact(m) => (Op::Redact, m),
        }
    }
}

impl Entry {
    #[inline]
    fn rule_ref(&self) -> RuleRef {
        RuleRef {
            policy: self.policy,
            rule: self.rule,
        }
    }
}

/// The rules of one scope, split by what they do, each part in bundle order, end to end
/// in their hook's entry array (forbids, then permits, then defaults, then the rest): one
/// dense array a hook, so that the entries of the tenants a run of requests touches share
/// pages and cache lines instead of each sitting in its own allocation.
#[derive(Default, Debug, Clone, Copy)]
pub(super) struct Rules {
    /// Where the forbids, permits, defaults and the rest start in [`HookIndex::entries`],
    /// and where the rest ends.
    bounds: [u32; 5],
}

/// [`Rules`] while the index is being built: the four parts apart, as positions in the
/// build's one pool of entries (a vector of cache-line-aligned entries per part and
/// scope was most of a load's allocation work: an aligned allocation and a copy each time
/// one grew).
#[derive(Default, Debug)]
struct RulesBuilder {
    parts: [Vec<u32>; 4],
}

impl RulesBuilder {
    fn push(&mut self, pool: &mut Vec<Entry>, e: Entry) {
        let part = match e.op {
            Op::Forbid => 0,
            Op::Permit => 1,
            Op::Default(_) => 2,
            _ => 3,
        };
        if let (Some(p), Ok(at)) = (self.parts.get_mut(part), u32::try_from(pool.len())) {
            p.push(at);
            pool.push(e);
        }
    }

    /// Lay the parts end to end at the end of the hook's entries.
    fn seal(self, pool: &[Entry], entries: &mut Vec<Entry>) -> Rules {
        let at = |v: &Vec<Entry>| u32::try_from(v.len()).unwrap_or(u32::MAX);
        let mut bounds = [at(entries); 5];
        for (i, part) in self.parts.into_iter().enumerate() {
            entries.extend(part.iter().filter_map(|&e| pool.get(e as usize)));
            if let Some(b) = bounds.get_mut(i + 1) {
                *b = at(entries);
            }
        }
        Rules { bounds }
    }
}

impl Rules {
    fn is_empty(&self) -> bool {
        self.bounds[0] == self.bounds[4]
    }
}

/// Where the first inline set the rules test starts, for prefetching: the rules are
/// walked in part order, and the sets a tenant's rules test are laid out in that order.
fn inline_hint(entries: &[Entry], rules: &Rules) -> u32 {
    let rs = RuleSet {
        entries,
        bounds: rules.bounds,
    };
    rs.all()
        .iter()
        .find_map(|e| e.cond.inline_at())
        .unwrap_or(NO_HINT)
}

/// One scope's [`Rules`] with the entries they index: what the combination walks.
#[derive(Clone, Copy)]
pub(super) struct RuleSet<'s> {
    entries: &'s [Entry],
    bounds: [u32; 5],
}

impl<'s> RuleSet<'s> {
    #[inline(always)]
    fn part(self, from: usize, to: usize) -> &'s [Entry] {
        // Called with constant parts: the lookups fold away.
        match (self.bounds.get(from), self.bounds.get(to)) {
            (Some(&from), Some(&to)) => self.entries.get(from as usize..to as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Encrypt and log rules.
    #[inline]
    pub fn other(self) -> &'s [Entry] {
        self.part(3, 4)
    }

    #[inline]
    pub fn defaults(self) -> &'s [Entry] {
        self.part(2, 3)
    }

    /// Every entry, in part order.
    pub fn all(self) -> &'s [Entry] {
        self.part(0, 4)
    }
}

/// The forbids of a set (a function, not a method, so that it can be passed for any
/// lifetime).
#[inline]
fn forbids(rs: RuleSet<'_>) -> &[Entry] {
    rs.part(0, 1)
}

/// The permits of a set.
#[inline]
fn permits(rs: RuleSet<'_>) -> &[Entry] {
    rs.part(1, 2)
}

/// The rules of one domain at one hook, in full: unpacked from the [`HookRules`] of the
/// domain's bucket in the [`DomainTable`] (read on every decision), or, for the few
/// domains with class, tag or owner policies, held in [`HookIndex::extras`].
#[derive(Default, Debug, Clone, Copy)]
pub(super) struct DomainRules {
    pub domain: Rules,
    /// Class- and tag-scoped policies, each checked against the request first: a range of
    /// [`HookIndex::narrow`].
    pub narrow: (u32, u32),
    /// The object owners' rules, for the few domains with user policies: 1 + their index
    /// in [`HookIndex::users`], 0 for none.
    pub users: u32,
}

impl DomainRules {
    /// Whether the domain has no rules of any scope (it then has no bucket entry).
    fn is_empty(&self) -> bool {
        self.domain.is_empty() && self.domain_scope_only()
    }

    /// Whether the domain has no class, tag or owner rules (all of its rules pack).
    fn domain_scope_only(&self) -> bool {
        self.narrow.0 == self.narrow.1 && self.users == 0
    }

    /// Packed for the domain's bucket; what does not fit goes to `extras`.
    fn pack(self, hint: u32, extras: &mut Vec<DomainRules>) -> HookRules {
        if self.is_empty() {
            return HookRules::NONE;
        }
        let [start, rest @ ..] = self.domain.bounds;
        let ends = rest.map(|b| u16::try_from(b.wrapping_sub(start)).ok());
        match ends {
            [Some(a), Some(b), Some(c), Some(d)] if self.domain_scope_only() => HookRules {
                start,
                ends: [a, b, c, d],
                extra: 0,
                hint,
            },
            _ => {
                extras.push(self);
                HookRules {
                    start,
                    ends: [0; 4],
                    extra: u32::try_from(extras.len()).unwrap_or(u32::MAX),
                    hint,
                }
            }
        }
    }

    /// The rules [`DomainRules::pack`] packed, if any.
    #[inline(always)]
    fn unpack(r: &HookRules, extras: &[DomainRules]) -> Option<DomainRules> {
        if r.extra != 0 {
            return extras.get(r.extra as usize - 1).copied();
        }
        if r.is_none() {
            return None;
        }
        let s = r.start;
        let [a, b, c, d] = r.ends.map(|e| s.wrapping_add(u32::from(e)));
        Some(DomainRules {
            domain: Rules {
                bounds: [s, a, b, c, d],
            },
            narrow: (0, 0),
            users: 0,
        })
    }
}

#[derive(Default, Debug)]
struct DomainRulesBuilder {
    domain: RulesBuilder,
    narrow: Vec<(Scope, RulesBuilder)>,
    users: FastMap<RulesBuilder>,
}

/// The rule sets of one request at one hook, found once per decision.
pub(super) struct Sets<'s> {
    hook: &'s HookIndex,
    platform: &'s Rules,
    domain: Option<DomainRules>,
    user: Option<&'s Rules>,
}

/// The rules of one hook: the platform's, and each domain's.
#[derive(Default, Debug)]
pub(super) struct HookIndex {
    /// Every rule of the hook: the platform's, then each domain's in domain order.
    pub entries: Box<[Entry]>,
    /// The domains' class- and tag-scoped rule sets ([`DomainRules::narrow`]).
    pub narrow: Box<[(Scope, Rules)]>,
    /// The domains' owner rule sets ([`DomainRules::users`]).
    pub users: Box<[FastMap<Rules>]>,
    pub platform: Rules,
    /// Whether any domain has rules at this hook (if not, the request's domain is not
    /// read).
    pub has_domains: bool,
    /// The domains' rules that [`HookRules`] cannot hold packed ([`HookRules::extra`]).
    pub extras: Box<[DomainRules]>,
}

/// What the decision path looks rules up in.
#[derive(Default, Debug)]
pub(super) struct Index {
    pub hooks: [HookIndex; 5],
    /// Every domain with rules at some hook, and its rules at each.
    pub domains: DomainTable,
    /// Every policy's argument constants, end to end (`Cond::Code` ranges into it).
    pub args: Vec<u32>,
    /// What the conditions resolved at load time share (`vm::cond`).
    pub conds: Conds,
}

/// Build the per-hook indices from a (verified) bundle and its runtime constants.
pub(super) fn build_index(bundle: &Bundle, consts: &[Const]) -> Index {
    // Every domain any policy is scoped to, numbered by sorted order while building.
    let names = StrSet::new(
        bundle
            .policies
            .iter()
            .filter_map(|p| p.scope.domain.as_deref()),
    );
    let mut platform: [RulesBuilder; 5] = Default::default();
    let mut per_domain: [Vec<DomainRulesBuilder>; 5] = Default::default();
    for v in &mut per_domain {
        v.resize_with(names.len(), Default::default);
    }
    let mut args_arena: Vec<u32> = Vec::new();
    // Every entry of every scope, in the order built; `RulesBuilder`s hold positions in it.
    // Reserved from the bundle's rule count, capped: bodies shared by many policies must
    // not make a malformed bundle reserve more than it will build at once.
    let rule_count: usize = bundle
        .policies
        .iter()
        .filter_map(|p| bundle.bodies.get(p.body as usize))
        .map(|b| b.rules.len())
        .fold(0usize, usize::saturating_add);
    let mut pool: Vec<Entry> = Vec::with_capacity(rule_count.min(1 << 20));
    let mut per_hook = [0usize; 5];
    let mut conds = Conds::default();
    // Hook by hook (bundle order within each): the inline sets the conditions of one hook
    // read are laid out together, as its entries are.
    let mut by_hook: Vec<(usize, &crate::bundle::PolicyMeta)> =
        bundle.policies.iter().enumerate().collect();
    by_hook.sort_by_key(|(_, p)| p.hook.index());
    for (pi, p) in by_hook {
        let start = u32::try_from(args_arena.len()).unwrap_or(u32::MAX);
        args_arena.extend_from_slice(&p.args);
        let args = (start, u32::try_from(args_arena.len()).unwrap_or(u32::MAX));
        let (Ok(policy), Some(body)) = (u32::try_from(pi), bundle.bodies.get(p.body as usize))
        else {
            continue;
        };
        let h = p.hook.index();
        let target = match &p.scope.domain {
            None => platform.get_mut(h),
            Some(d) => {
                let dr = names
                    .position(d)
                    .and_then(|i| per_domain.get_mut(h)?.get_mut(i as usize));
                match (dr, &p.scope.user) {
                    (None, _) => None,
                    (Some(dr), Some(u)) => Some(dr.users.entry(u.as_str().into()).or_default()),
                    (Some(dr), None) if p.scope.class.is_some() || p.scope.tag.is_some() => {
                        dr.narrow.push((p.scope.clone(), RulesBuilder::default()));
                        dr.narrow.last_mut().map(|(_, r)| r)
                    }
                    (Some(dr), None) => Some(&mut dr.domain),
                }
            }
        };
        let Some(target) = target else { continue };
        let spec = p.scope.specificity();
        for (ri, r) in body.rules.iter().enumerate() {
            let cond = match r.entry {
                None => Cond::Always,
                Some(entry) => {
                    conds
                        .resolve(&body.code, entry, &p.args, consts)
                        .unwrap_or(Cond::Code {
                            body: p.body,
                            entry,
                            args,
                        })
                }
            };
            let (op, bits) = Op::of(r.op, r.actions);
            if let Some(n) = per_hook.get_mut(h) {
                *n += 1;
            }
            target.push(
                &mut pool,
                Entry {
                    cond,
                    policy,
                    rule: u32::try_from(ri).unwrap_or(u32::MAX),
                    bits,
                    op,
                    spec,
                },
            );
        }
    }
    let mut built = platform.into_iter().zip(per_domain).zip(per_hook);
    // Each domain's packed rules at each hook, in `names` order, for the shared table.
    let mut packed: [Vec<HookRules>; 5] = Default::default();
    let mut packed_at = packed.iter_mut();
    let hooks = std::array::from_fn(|_| {
        let ((platform, per_domain), count) = built.next().unwrap_or_default();
        let mut entries: Vec<Entry> = Vec::with_capacity(count);
        let mut narrow: Vec<(Scope, Rules)> = Vec::new();
        let mut users: Vec<FastMap<Rules>> = Vec::new();
        let at = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let platform = platform.seal(&pool, &mut entries);
        let domains: Vec<DomainRules> = per_domain
            .into_iter()
            .map(|dr| {
                let domain = dr.domain.seal(&pool, &mut entries);
                // Narrow scopes are checked in bundle order, which `push` kept; drop empty
                // ones.
                let from = at(narrow.len());
                for (scope, r) in dr.narrow {
                    let r = r.seal(&pool, &mut entries);
                    if !r.is_empty() {
                        narrow.push((scope, r));
                    }
                }
                let owners = if dr.users.is_empty() {
                    0
                } else {
                    users.push(
                        dr.users
                            .into_iter()
                            .map(|(u, r)| (u, r.seal(&pool, &mut entries)))
                            .collect(),
                    );
                    at(users.len())
                };
                DomainRules {
                    domain,
                    narrow: (from, at(narrow.len())),
                    users: owners,
                }
            })
            .collect();
        let mut extras = Vec::new();
        let rules: Vec<HookRules> = domains
            .into_iter()
            .map(|d| d.pack(inline_hint(&entries, &d.domain), &mut extras))
            .collect();
        let has_domains = rules.iter().any(|r| !r.is_none());
        if let Some(p) = packed_at.next() {
            *p = rules;
        }
        HookIndex {
            entries: entries.into_boxed_slice(),
            narrow: narrow.into_boxed_slice(),
            users: users.into_boxed_slice(),
            platform,
            has_domains,
            extras: extras.into_boxed_slice(),
        }
    });
    let at = |h: usize, i: usize| {
        packed
            .get(h)
            .and_then(|p| p.get(i))
            .copied()
            .unwrap_or(HookRules::NONE)
    };
    let domains = DomainTable::new(
        names
            .iter()
            .enumerate()
            .map(|(i, name)| (name, std::array::from_fn(|h| at(h, i))))
            .filter(|(_, rules)| rules.iter().any(|r| !r.is_none())),
    );
    conds.seal();
    Index {
        hooks,
        domains,
        args: args_arena,
        conds,
    }
}

impl Loaded {
    #[inline]
    fn text<'a, S: Source<'a>>(&self, slot: Option<u32>, slots: S) -> Option<&'a str> {
        match slot.and_then(|s| slots.slot(s as usize)) {
            Some(Slot::Scalar(Scalar::Str(s))) => Some(s),
            _ => None,
        }
    }

    /// The rule sets that apply to this request at this hook: the platform's, and the
    /// domain's and owner's found by one hash lookup each.
    #[inline(always)]
    pub(super) fn sets<'s, 'a, S: Source<'a>>(
        &'s self,
        hook: Hook,
        hi: &'s HookIndex,
        slots: S,
    ) -> Sets<'s> {
        let packed = Some(hi)
            .filter(|hi| hi.has_domains)
            .and_then(|_| self.text(self.slot_domain, slots))
            .and_then(|d| self.index.domains.get(d))
            .map(|b| b.at(hook.index()));
        // The domain's entries and the constants its first conditions test are the next
        // loads from memory; ask for both now, in parallel (module `domains`).
        if let Some(r) = packed {
            domains::prefetch::<_, 4>(&hi.entries, r.start as usize);
            if r.hint != NO_HINT {
                domains::prefetch::<_, 4>(self.index.conds.inline.words(), r.hint as usize);
            }
        }
        let dr = packed.and_then(|r| DomainRules::unpack(r, &hi.extras));
        // Most domains have no user policies: skip that lookup then.
        let user = dr
            .filter(|dr| dr.users != 0)
            .and_then(|dr| hi.users.get(dr.users as usize - 1))
            .and_then(|users| self.text(self.slot_owner, slots).and_then(|u| users.get(u)));
        Sets {
            hook: hi,
            platform: &hi.platform,
            domain: dr,
            user,
        }
    }

    /// Call `f` on each applicable rule set in bundle order (platform, domain, matching
    /// class and tag scopes, the object owner's) until it returns `Some`.
    #[inline]
    fn find_in<'s, 'a, T, S: Source<'a>>(
        &self,
        sets: &Sets<'s>,
        slots: S,
        mut f: impl FnMut(RuleSet<'s>) -> Result<Option<T>, VmError>,
    ) -> Result<Option<T>, VmError> {
        let view = |r: &Rules| RuleSet {
            entries: &sets.hook.entries,
            bounds: r.bounds,
        };
        if let Some(hit) = f(view(sets.platform))? {
            return Ok(Some(hit));
        }
        if let Some(dr) = &sets.domain {
            if let Some(hit) = f(view(&dr.domain))? {
                return Ok(Some(hit));
            }
            let (from, to) = dr.narrow;
            let narrow = match from < to {
                true => sets
                    .hook
                    .narrow
                    .get(from as usize..to as usize)
                    .unwrap_or(&[]),
                false => &[],
            };
            for (scope, rules) in narrow {
                if self.narrow_applies(scope, slots)
                    && let Some(hit) = f(view(rules))?
                {
                    return Ok(Some(hit));
                }
            }
        }
        match sets.user {
            Some(u) => f(view(u)),
            None => Ok(None),
        }
    }

    /// Call `f` on each applicable rule set in bundle order.
    #[inline]
    pub(super) fn each_set<'s, 'a, S: Source<'a>>(
        &self,
        sets: &Sets<'s>,
        slots: S,
        mut f: impl FnMut(RuleSet<'s>) -> Result<(), VmError>,
    ) -> Result<(), VmError> {
        self.find_in(sets, slots, |rs| f(rs).map(|()| None::<()>))
            .map(|_| ())
    }

    /// Whether a class or tag scope applies (domain and user were matched by the index).
    pub(super) fn narrow_applies<'a, S: Source<'a>>(&self, scope: &Scope, slots: S) -> bool {
        if let Some(c) = &scope.class
            && self.text(self.slot_class, slots) != Some(c.as_str())
        {
            return false;
        }
        if let Some(t) = &scope.tag {
            let has = match self.slot_tags.and_then(|s| slots.slot(s as usize)) {
                Some(Slot::Set(view)) => {
                    (0..view.len()).any(|i| view.get(i) == Some(Scalar::Str(t)))
                }
                _ => false,
            };
            if !has {
                return false;
            }
        }
        true
    }

    /// The request's action as a bit, for the rules' action masks.
    ///
    /// A request without an action (possible only where no rule lists actions:
    /// `request.action` is required otherwise) gets bit 63, which every "any action" mask
    /// has: rules without an action list still apply to it, as in the reference
    /// interpreter. (With no bit, they were skipped, so a `forbid` did not apply and a
    /// `default allow` decided: fail open.)
    #[inline]
    ///
    /// An action that reads as absent where the hook requires one (a request read in place
    /// whose accessor gave a symbol of another attribute) is an error: the decision is a
    /// `missing` denial, never a walk that skips every rule listing actions.
    pub(super) fn action_bit<'a, S: Source<'a>>(
        &self,
        hook: Hook,
        slots: S,
    ) -> Result<u64, VmError> {
        match self.slot_action.and_then(|s| slots.slot(s as usize)) {
            Some(Slot::Scalar(Scalar::Num(n))) if (0..64).contains(&n) => Ok(1u64 << n),
            _ => self.no_action(hook),
        }
    }

    #[cold]
    fn no_action(&self, hook: Hook) -> Result<u64, VmError> {
        match self.slot_action {
            Some(a) if self.requires(hook, a) => Err(VmError::Absent(a)),
            _ => Ok(1u64 << 63),
        }
    }

    /// What a condition reads, for this request.
    #[inline]
    pub(super) fn env<'a, S: Source<'a>>(&'a self, slots: S) -> Env<'a, S> {
        Env {
            slots,
            consts: &self.consts,
            args: &[],
            regexes: &self.regexes,
        }
    }

    /// Whether a rule's condition holds.
    #[inline(always)]
    pub(super) fn holds<'a, S: Source<'a>>(
        &'a self,
        e: &Entry,
        env: &Env<'a, S>,
    ) -> Result<bool, VmError> {
        match e.cond.eval_direct(env, &self.index.conds) {
            Some(r) => r,
            None => self.run_code(e, env),
        }
    }

    /// A condition the interpreter runs.
    #[cold]
    fn run_code<'a, S: Source<'a>>(&'a self, e: &Entry, env: &Env<'a, S>) -> Result<bool, VmError> {
        let Cond::Code { body, entry, args } = e.cond else {
            return Err(VmError::Malformed);
        };
        let env = Env {
            args: self
                .index
                .args
                .get(args.0 as usize..args.1 as usize)
                .ok_or(VmError::Malformed)?,
            ..*env
        };
        let body = self
            .bundle
            .bodies
            .get(body as usize)
            .ok_or(VmError::Malformed)?;
        crate::vm::eval(&body.code, entry, body.max_stack, &env)
    }

    pub(super) fn decide_inner<'a, S: Source<'a>>(
        &'a self,
        hook: Hook,
        slots: S,
    ) -> Result<Decision, VmError> {
        let hi = self
            .index
            .hooks
            .get(hook.index())
            .ok_or(VmError::Malformed)?;
        let sets = self.sets(hook, hi, slots);
        let env = self.env(slots);
        match hook {
            Hook::Instantiate | Hook::Access | Hook::Egress => self.authorize(hook, &sets, &env),
            Hook::Encrypt => self.encrypt(&sets, &env),
            Hook::Log => self.log(&sets, &env),
        }
    }

    /// Allow or deny: 1. any matching forbid denies; 2. otherwise any matching permit
    /// allows; 3. otherwise the most specific default decides, deny winning a tie.
    fn authorize<'a, S: Source<'a>>(
        &'a self,
        hook: Hook,
        sets: &Sets<'_>,
        env: &Env<'a, S>,
    ) -> Result<Decision, VmError> {
        let slots = env.slots;
        let action = self.action_bit(hook, slots)?;
        let first = |list: fn(RuleSet<'_>) -> &[Entry]| {
            self.find_in(sets, slots, |rs| {
                for e in list(rs) {
                    if e.bits & action != 0 && self.holds(e, env)? {
                        return Ok(Some(e));
                    }
                }
                Ok(None)
            })
        };
        let mut d = Decision::deny(hook, Reason::NoDefault);
        if let Some(e) = first(forbids)? {
            d.reason = Reason::Rule;
            d.rule = Some(e.rule_ref());
            return Ok(d);
        }
        if let Some(e) = first(permits)? {
            d.outcome = Outcome::Allow;
            d.reason = Reason::Rule;
            d.rule = Some(e.rule_ref());
            return Ok(d);
        }
        let mut best: Option<(u8, Outcome, &Entry)> = None;
        self.each_set(sets, slots, |rs| {
            for e in rs.defaults() {
                let Op::Default(o) = e.op else { continue };
                let better = match best {
                    None => true,
                    Some((s, bo, _)) => {
                        e.spec > s || (e.spec == s && o == Outcome::Deny && bo == Outcome::Allow)
                    }
                };
                if better {
                    best = Some((e.spec, o, e));
                }
            }
            Ok(())
        })?;
        if let Some((_, o, e)) = best {
            d.outcome = o;
            d.reason = Reason::Default;
            d.rule = Some(e.rule_ref());
        }
        Ok(d)
    }

    /// The cipher: the forbidden ciphers first, then any allowed `use` beats any default;
    /// then the more specific; then the earlier.
    fn encrypt<'a, S: Source<'a>>(
        &'a self,
        sets: &Sets<'_>,
        env: &Env<'a, S>,
    ) -> Result<Decision, VmError> {
        let slots = env.slots;
        let mut forbidden = 0u64;
        self.each_set(sets, slots, |rs| {
            for e in rs.other() {
                if e.op == Op::ForbidCiphers && e.bits & !forbidden != 0 && self.holds(e, env)? {
                    forbidden |= e.bits;
                }
            }
            Ok(())
        })?;
        let mut chosen: Option<(u8, u32, &Entry, bool)> = None;
        self.each_set(sets, slots, |rs| {
            for e in rs.other() {
                let (cipher, is_default) = match e.op {
                    Op::Use(c) => (c, false),
                    Op::DefaultCipher(c) => (c, true),
                    _ => continue,
                };
                if cipher >= 64 || forbidden & (1u64 << cipher) != 0 {
                    continue;
                }
                let better = match chosen {
                    None => true,
                    Some((s, _, _, dflt)) => {
                        (dflt && !is_default) || (dflt == is_default && e.spec > s)
                    }
                };
                if better && self.holds(e, env)? {
                    chosen = Some((e.spec, cipher, e, is_default));
                }
            }
            Ok(())
        })?;
        let mut d = Decision::deny(Hook::Encrypt, Reason::NoCipher);
        if let Some((_, c, e, is_default)) = chosen {
            d.outcome = Outcome::Allow;
            d.reason = if is_default {
                Reason::Default
            } else {
                Reason::Rule
            };
            d.cipher = Some(c);
            d.rule = Some(e.rule_ref());
        }
        Ok(d)
    }

    /// The fields recorded and redacted: the union of every matching rule's.
    fn log<'a, S: Source<'a>>(
        &'a self,
        sets: &Sets<'_>,
        env: &Env<'a, S>,
    ) -> Result<Decision, VmError> {
        let (mut record, mut redact) = (0u64, 0u64);
        self.each_set(sets, env.slots, |rs| {
            for e in rs.other() {
                match e.op {
                    Op::Record if e.bits & !record != 0 && self.holds(e, env)? => record |= e.bits,
                    Op::Redact if e.bits & !redact != 0 && self.holds(e, env)? => redact |= e.bits,
                    _ => {}
                }
            }
            Ok(())
        })?;
        let mut d = Decision::deny(Hook::Log, Reason::Rule);
        d.outcome = Outcome::Allow;
        d.record = record & !redact;
        d.redact = redact;
        Ok(d)
    }

    /// Every applicable rule in bundle order (policy, then rule), for explanations.
    pub(super) fn applicable_entries(&self, hook: Hook, slots: Slots<'_>) -> Vec<Entry> {
        let mut all: Vec<Entry> = Vec::new();
        let Some(hi) = self.index.hooks.get(hook.index()) else {
            return all;
        };
        let sets = self.sets(hook, hi, slots);
        let _ = self.each_set(&sets, slots, |rs| {
            all.extend(rs.all().iter().copied());
            Ok(())
        });
        all.sort_by_key(|e| (e.policy, e.rule));
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_rules_pack_into_their_bucket_or_go_to_extras() {
        let rules = |bounds, narrow, users| DomainRules {
            domain: Rules { bounds },
            narrow,
            users,
        };
        let mut extras = Vec::new();
        let cases = [
            // Packed: plain domain rules whose parts are counted in 16 bits.
            (rules([7, 8, 10, 10, 10], (0, 0), 0), false),
            (rules([9, 9, 9, 9, 65_544], (0, 0), 0), false),
            // In full: a part past what 16 bits count, class- or owner-scoped rules.
            (rules([1, 1, 70_000, 70_000, 70_001], (0, 0), 0), true),
            (rules([3, 3, 3, 3, 3], (2, 4), 0), true),
            (rules([3, 4, 4, 4, 4], (0, 0), 2), true),
        ];
        for (i, (r, full)) in cases.into_iter().enumerate() {
            let packed = r.pack(i as u32, &mut extras);
            assert_eq!(packed.extra != 0, full, "{r:?}");
            assert_eq!((packed.start, packed.hint), (r.domain.bounds[0], i as u32));
            let back =
                DomainRules::unpack(&packed, &extras).map(|d| (d.domain.bounds, d.narrow, d.users));
            assert_eq!(back, Some((r.domain.bounds, r.narrow, r.users)), "{r:?}");
        }
        assert_eq!(extras.len(), 3);
        // No rules at all: nothing packed, nothing found.
        let none = rules([5, 5, 5, 5, 5], (0, 0), 0).pack(NO_HINT, &mut extras);
        assert!(none.is_none());
        assert!(DomainRules::unpack(&none, &extras).is_none());
        assert_eq!(extras.len(), 3);
    }

    #[test]
    fn entries_stay_small() {
        // A decision walks entries in sequence and reads one domain's rules and
        // constants: their sizes are what it reads from memory.
        use std::mem::size_of;
        assert_eq!(size_of::<crate::vm::cond::Check>(), 16);
        assert_eq!(size_of::<Entry>(), 64);
        assert_eq!(size_of::<Rules>(), 20);
        assert_eq!(size_of::<DomainRules>(), 32);
        assert_eq!(size_of::<HookRules>(), 20);
        assert!(size_of::<Const>() <= 88, "{}", size_of::<Const>());
    }
}
