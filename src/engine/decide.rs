//! The decision path: a per-hook index of flattened rules, and the combination rules of
//! docs/LANGUAGE.md over it. Everything here runs on every request: no allocation, no
//! string hashing beyond the one or two index lookups.

use super::{Decision, FastMap, Loaded, Reason, RuleRef};
use crate::bundle::{Bundle, RuleOp};
use crate::check::program::{Outcome, Scope};
use crate::types::Hook;
use crate::vm::consts::Scalar;
use crate::vm::{Env, Slot, Slots, VmError};

/// `Entry::entry` of a rule without a condition.
const ALWAYS: u32 = u32::MAX;

/// One rule, flattened: everything a decision needs without following policy and body
/// indices first.
#[derive(Clone, Copy, Debug)]
pub(super) struct Entry {
    pub policy: u32,
    pub rule: u32,
    pub body: u32,
    pub entry: u32,
    pub actions: u64,
    pub op: RuleOp,
    pub spec: u8,
    /// The policy's arguments: a range of `Loaded::args`, so evaluation does not touch the
    /// policy's metadata.
    pub args: (u32, u32),
    /// The condition as one test instruction (and whether it is negated), when it is that
    /// simple: evaluated without entering the interpreter loop.
    pub shortcut: Option<(crate::vm::Instr, bool)>,
}

/// The rules of one scope, split by what they do, each part in bundle order, all in one
/// allocation (forbids, then permits, then defaults, then the rest).
#[derive(Default, Debug)]
pub(super) struct Rules {
    entries: Vec<Entry>,
    /// Where the permits, defaults and the rest start.
    bounds: [usize; 3],
    /// The four parts while the index is being built.
    pending: [Vec<Entry>; 4],
}

impl Rules {
    fn push(&mut self, e: Entry) {
        let part = match e.op {
            RuleOp::Forbid => 0,
            RuleOp::Permit => 1,
            RuleOp::Default(_) => 2,
            _ => 3,
        };
        if let Some(p) = self.pending.get_mut(part) {
            p.push(e);
        }
    }

    /// Lay the parts end to end.
    fn seal(&mut self) {
        let [f, p, d, o] = std::mem::take(&mut self.pending);
        self.bounds = [f.len(), f.len() + p.len(), f.len() + p.len() + d.len()];
        self.entries = [f, p, d, o].concat();
    }

    fn part(&self, from: usize, to: usize) -> &[Entry] {
        self.entries.get(from..to).unwrap_or(&[])
    }

    pub fn forbid(&self) -> &[Entry] {
        self.part(0, self.bounds[0])
    }

    pub fn permit(&self) -> &[Entry] {
        self.part(self.bounds[0], self.bounds[1])
    }

    pub fn defaults(&self) -> &[Entry] {
        self.part(self.bounds[1], self.bounds[2])
    }

    /// Encrypt and log rules.
    pub fn other(&self) -> &[Entry] {
        self.part(self.bounds[2], self.entries.len())
    }

    fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[derive(Default, Debug)]
pub(super) struct DomainRules {
    pub domain: Rules,
    /// Class- and tag-scoped policies: each checked against the request first.
    pub narrow: Vec<(Scope, Rules)>,
    pub users: FastMap<Rules>,
}

/// The rule sets of one request at one hook, found once per decision.
pub(super) struct Sets<'s> {
    platform: Option<&'s Rules>,
    domain: Option<&'s DomainRules>,
    user: Option<&'s Rules>,
}

#[derive(Default, Debug)]
pub(super) struct HookIndex {
    pub platform: Rules,
    pub domains: FastMap<DomainRules>,
}

/// Build the per-hook indices from a (verified) bundle.
pub(super) fn build_index(bundle: &Bundle) -> ([HookIndex; 5], Vec<u32>) {
    let mut index: [HookIndex; 5] = Default::default();
    let mut arena: Vec<u32> = Vec::new();
    for (pi, p) in bundle.policies.iter().enumerate() {
        let start = u32::try_from(arena.len()).unwrap_or(u32::MAX);
        arena.extend_from_slice(&p.args);
        let args = (start, u32::try_from(arena.len()).unwrap_or(u32::MAX));
        let (Ok(policy), Some(hi), Some(body)) = (
            u32::try_from(pi),
            index.get_mut(p.hook.index()),
            bundle.bodies.get(p.body as usize),
        ) else {
            continue;
        };
        let spec = p.scope.specificity();
        let mut rules = Rules::default();
        for (ri, r) in body.rules.iter().enumerate() {
            rules.push(Entry {
                args,
                shortcut: r.entry.and_then(|at| crate::vm::shortcut(&body.code, at)),
                policy,
                rule: u32::try_from(ri).unwrap_or(u32::MAX),
                body: p.body,
                entry: r.entry.unwrap_or(ALWAYS),
                actions: r.actions,
                op: r.op,
                spec,
            });
        }
        let target = match &p.scope.domain {
            None => &mut hi.platform,
            Some(d) => {
                let dr = hi.domains.entry(d.as_str().into()).or_default();
                match (
                    &p.scope.user,
                    p.scope.class.is_some() || p.scope.tag.is_some(),
                ) {
                    (Some(u), _) => dr.users.entry(u.as_str().into()).or_default(),
                    (None, true) => {
                        dr.narrow.push((p.scope.clone(), Rules::default()));
                        match dr.narrow.last_mut() {
                            Some((_, r)) => r,
                            None => continue,
                        }
                    }
                    (None, false) => &mut dr.domain,
                }
            }
        };
        for list in std::mem::take(&mut rules.pending) {
            for e in list {
                target.push(e);
            }
        }
    }
    for hi in &mut index {
        hi.platform.seal();
        for dr in hi.domains.values_mut() {
            dr.domain.seal();
            dr.narrow.iter_mut().for_each(|(_, r)| r.seal());
            dr.users.values_mut().for_each(Rules::seal);
            // Narrow scopes are checked in bundle order, which `push` kept; drop empty ones.
            dr.narrow.retain(|(_, r)| !r.is_empty());
        }
    }
    (index, arena)
}

impl Loaded {
    fn text<'s>(&self, slot: Option<u32>, slots: Slots<'s>) -> Option<&'s str> {
        match slot.and_then(|s| slots.get(s as usize)) {
            Some(Slot::Scalar(Scalar::Str(s))) => Some(s),
            _ => None,
        }
    }

    /// The rule sets that apply to this request at this hook: the platform's, and the
    /// domain's and owner's found by one hash lookup each.
    pub(super) fn sets<'s>(&'s self, hook: Hook, slots: Slots<'s>) -> Sets<'s> {
        let hi = self.index.get(hook.index());
        let dr = hi.and_then(|hi| {
            self.text(self.slot_domain, slots)
                .and_then(|d| hi.domains.get(d))
        });
        // Most domains have no user policies: skip that lookup then.
        let user = dr.filter(|dr| !dr.users.is_empty()).and_then(|dr| {
            self.text(self.slot_owner, slots)
                .and_then(|u| dr.users.get(u))
        });
        Sets {
            platform: hi.map(|hi| &hi.platform),
            domain: dr,
            user,
        }
    }

    /// Call `f` on each applicable rule set in bundle order (platform, domain, matching
    /// class and tag scopes, the object owner's) until it returns `true`.
    #[inline]
    pub(super) fn each_set<'s>(
        &self,
        sets: &Sets<'s>,
        slots: Slots<'_>,
        mut f: impl FnMut(&'s Rules) -> Result<bool, VmError>,
    ) -> Result<bool, VmError> {
        if let Some(p) = sets.platform
            && f(p)?
        {
            return Ok(true);
        }
        if let Some(dr) = sets.domain {
            if f(&dr.domain)? {
                return Ok(true);
            }
            for (scope, rules) in &dr.narrow {
                if self.narrow_applies(scope, slots) && f(rules)? {
                    return Ok(true);
                }
            }
        }
        match sets.user {
            Some(u) => f(u),
            None => Ok(false),
        }
    }

    /// Whether a class or tag scope applies (domain and user were matched by the index).
    pub(super) fn narrow_applies(&self, scope: &Scope, slots: Slots<'_>) -> bool {
        if let Some(c) = &scope.class
            && self.text(self.slot_class, slots) != Some(c.as_str())
        {
            return false;
        }
        if let Some(t) = &scope.tag {
            let has = match self.slot_tags.and_then(|s| slots.get(s as usize)) {
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

    pub(super) fn action_bit(&self, slots: Slots<'_>) -> u64 {
        match self.slot_action.and_then(|s| slots.get(s as usize)) {
            Some(Slot::Scalar(Scalar::Num(n))) if (0..64).contains(n) => 1u64 << n,
            _ => 0,
        }
    }

    /// Whether a rule's condition holds.
    #[inline]
    pub(super) fn holds(&self, e: &Entry, slots: Slots<'_>) -> Result<bool, VmError> {
        if e.entry == ALWAYS {
            return Ok(true);
        }
        let args = self
            .args
            .get(e.args.0 as usize..e.args.1 as usize)
            .ok_or(VmError::Malformed)?;
        let env = Env {
            slots,
            consts: &self.consts,
            args,
            regexes: &self.regexes,
        };
        if let Some((instr, negate)) = &e.shortcut {
            return crate::vm::eval_shortcut(instr, *negate, &env);
        }
        let body = self
            .bundle
            .bodies
            .get(e.body as usize)
            .ok_or(VmError::Malformed)?;
        crate::vm::eval(&body.code, e.entry, body.max_stack, &env)
    }

    pub(super) fn decide_inner(&self, hook: Hook, slots: Slots<'_>) -> Result<Decision, VmError> {
        let mut d = Decision::deny(hook, Reason::NoDefault);
        let at = |e: &Entry| {
            Some(RuleRef {
                policy: e.policy,
                rule: e.rule,
            })
        };
        let sets = self.sets(hook, slots);
        match hook {
            Hook::Instantiate | Hook::Access | Hook::Egress => {
                let action = self.action_bit(slots);
                // 1. Any matching forbid denies; 2. otherwise any matching permit allows.
                for (list, outcome) in [(0, Outcome::Deny), (1, Outcome::Allow)] {
                    let mut hit: Option<&Entry> = None;
                    self.each_set(&sets, slots, |rs| {
                        for e in if list == 0 { rs.forbid() } else { rs.permit() } {
                            if e.actions & action != 0 && self.holds(e, slots)? {
                                hit = Some(e);
                                return Ok(true);
                            }
                        }
                        Ok(false)
                    })?;
                    if let Some(e) = hit {
                        d.outcome = outcome;
                        d.reason = Reason::Rule;
                        d.rule = at(e);
                        return Ok(d);
                    }
                }
                // 3. The most specific default; deny wins a tie.
                let mut best: Option<(u8, Outcome, &Entry)> = None;
                self.each_set(&sets, slots, |rs| {
                    for e in rs.defaults() {
                        let RuleOp::Default(o) = e.op else { continue };
                        let better = match best {
                            None => true,
                            Some((s, bo, _)) => {
                                e.spec > s
                                    || (e.spec == s && o == Outcome::Deny && bo == Outcome::Allow)
                            }
                        };
                        if better {
                            best = Some((e.spec, o, e));
                        }
                    }
                    Ok(false)
                })?;
                if let Some((_, o, e)) = best {
                    d.outcome = o;
                    d.reason = Reason::Default;
                    d.rule = at(e);
                }
                Ok(d)
            }
            Hook::Encrypt => {
                let mut forbidden = 0u64;
                self.each_set(&sets, slots, |rs| {
                    for e in rs.other() {
                        if let RuleOp::ForbidCiphers(m) = e.op
                            && m & !forbidden != 0
                            && self.holds(e, slots)?
                        {
                            forbidden |= m;
                        }
                    }
                    Ok(false)
                })?;
                // Any allowed `use` beats any default; then the more specific; then the earlier.
                let mut chosen: Option<(u8, u32, &Entry, bool)> = None;
                self.each_set(&sets, slots, |rs| {
                    for e in rs.other() {
                        let (cipher, is_default) = match e.op {
                            RuleOp::Use(c) => (c, false),
                            RuleOp::DefaultCipher(c) => (c, true),
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
                        if better && self.holds(e, slots)? {
                            chosen = Some((e.spec, cipher, e, is_default));
                        }
                    }
                    Ok(false)
                })?;
                match chosen {
                    Some((_, c, e, is_default)) => {
                        d.outcome = Outcome::Allow;
                        d.reason = if is_default {
                            Reason::Default
                        } else {
                            Reason::Rule
                        };
                        d.cipher = Some(c);
                        d.rule = at(e);
                    }
                    None => d.reason = Reason::NoCipher,
                }
                Ok(d)
            }
            Hook::Log => {
                let (mut record, mut redact) = (0u64, 0u64);
                self.each_set(&sets, slots, |rs| {
                    for e in rs.other() {
                        match e.op {
                            RuleOp::Record(m) if m & !record != 0 && self.holds(e, slots)? => {
                                record |= m
                            }
                            RuleOp::Redact(m) if m & !redact != 0 && self.holds(e, slots)? => {
                                redact |= m
                            }
                            _ => {}
                        }
                    }
                    Ok(false)
                })?;
                d.outcome = Outcome::Allow;
                d.reason = Reason::Rule;
                d.record = record & !redact;
                d.redact = redact;
                Ok(d)
            }
        }
    }

    /// Every applicable rule in bundle order (policy, then rule), for explanations.
    pub(super) fn applicable_entries(&self, hook: Hook, slots: Slots<'_>) -> Vec<Entry> {
        let mut all: Vec<Entry> = Vec::new();
        let sets = self.sets(hook, slots);
        let _ = self.each_set(&sets, slots, |rs| {
            for list in [rs.forbid(), rs.permit(), rs.defaults(), rs.other()] {
                all.extend(list.iter().copied());
            }
            Ok(false)
        });
        all.sort_by_key(|e| (e.policy, e.rule));
        all
    }
}
