//! Conditions resolved when a bundle is loaded, for the decision path.
//!
//! Most rule conditions are one or two tests on a request attribute and a constant
//! (`client.ip in nets`, `user.roles has any readers`, `server.tier <= 2`, two of them
//! joined by `and`). For those the engine does not run the bytecode: each rule of each
//! policy instance gets a [`Cond`] whose operands are resolved once (template parameters
//! replaced by the instance's constants) and whose test is specialised to the operand
//! kinds the constants have (a hashed string set, merged network ranges, an inline
//! number). Evaluating one is a single `match` and a direct call, the code a person would
//! write by hand. Anything else keeps running in the interpreter ([`Cond::Code`]).
//!
//! A specialised test handles the value shapes the typed builder produces; any other shape
//! (a request built from JSON holds its sets as values) goes through the generic test of
//! the same instruction, so results never differ from the interpreter's (the
//! differential tests compare both with the reference evaluator).

use super::consts::{Inline, Scalar};
use super::{Const, Env, Instr, SetView, Slot, Source, Src, VmError};
use crate::check::program::{CmpOp, InKind};

/// What a specialised [`Check`] does. Operand meanings are on [`Check`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestKind {
    /// `attr in SET`, a string attribute and a constant string set (`a`: attribute,
    /// `b`: the set's constant).
    StrIn,
    /// `attr in SET`, a number (int, enum, level) and a constant number set.
    NumIn,
    /// `attr in NETS`, an address and a constant set of networks.
    IpInNets,
    /// `attr has "x"` / `"x" in attr`: a request set holds a constant string (`b`: the
    /// string's constant).
    SetHasStr,
    /// `attr has any SET`: a request set shares an element with a constant string set.
    SetHasAnyStr,
    /// `StrIn` with the set laid out in [`Conds::inline`] at `n` (`b` is still the set's
    /// constant, for value shapes the fast path does not handle).
    StrInSmall,
    /// `IpInNets` with the networks' IPv4 ranges laid out in [`Conds::inline`] at `n`; an
    /// IPv6 address is tested against the constant `b`.
    IpInRanges,
    /// `SetHasAnyStr` with the set laid out in [`Conds::inline`] at `n`.
    SetHasAnySmall,
    /// `attr == "x"` (`op` is `Eq` or `Ne`; `b`: the string's constant).
    StrCmp,
    /// `attr OP n` on numbers (`b`: the constant, `n`: its value; constants outside the
    /// 32-bit range stay `Generic`).
    NumCmp,
    /// `a OP b` on two numeric attributes (`b`: the second attribute).
    NumCmpAttrs,
    /// `attr under SET`, a domain name and a constant set of domains.
    UnderSet,
    /// `has attr`.
    Has,
    /// Any other single test: `b` indexes [`Conds::generic`], the instruction with its
    /// template parameters resolved.
    Generic,
}

/// One test with resolved operands (16 bytes, inline in the rule's entry).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Check {
    /// What the test does.
    pub kind: TestKind,
    /// The result is negated (`not (...)`).
    pub negate: bool,
    /// The comparison, for `StrCmp`, `NumCmp` and `NumCmpAttrs`.
    pub op: CmpOp,
    /// The attribute slot tested (unused by `Generic`).
    pub a: u32,
    /// The constant (or second attribute, or generic instruction) it is tested against.
    pub b: u32,
    /// `NumCmp`: the constant's value, inline. `StrInSmall`, `IpInRanges` and
    /// `SetHasAnySmall`: where the set starts in [`Conds::inline`].
    pub n: i32,
}

/// A rule's condition as the engine evaluates it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cond {
    /// No condition.
    Always,
    /// One test.
    One(Check),
    /// Two tests joined by `and` (`all`) or `or`, evaluated left to right with short
    /// circuit, as the bytecode would.
    Two {
        /// The left test.
        first: Check,
        /// The right test.
        second: Check,
        /// `and` when true, `or` when false.
        all: bool,
    },
    /// Run the body's bytecode from `entry`, with the instance's arguments (`args`, a range
    /// of the engine's argument arena).
    Code {
        /// The body (index into the bundle's bodies).
        body: u32,
        /// The condition's first instruction.
        entry: u32,
        /// The instance's arguments.
        args: (u32, u32),
    },
}

impl Check {
    /// Where the inline set the test reads starts in [`Conds::inline`], if it reads one.
    fn inline_at(&self) -> Option<u32> {
        match self.kind {
            TestKind::StrInSmall | TestKind::IpInRanges | TestKind::SetHasAnySmall => {
                u32::try_from(self.n).ok()
            }
            _ => None,
        }
    }
}

impl Cond {
    /// Where the first inline set the condition reads starts in [`Conds::inline`], if it
    /// reads one: the engine prefetches it when it finds a tenant's rules.
    pub fn inline_at(&self) -> Option<u32> {
        match self {
            Cond::One(c) => c.inline_at(),
            Cond::Two { first, second, .. } => first.inline_at().or_else(|| second.inline_at()),
            Cond::Always | Cond::Code { .. } => None,
        }
    }
}

/// Resolution state shared by every condition of a bundle: the generic instructions and
/// the small sets laid out inline.
#[derive(Debug, Default)]
pub struct Conds {
    /// Single tests with no specialised form, operands resolved (no `Src::Param`).
    pub generic: Vec<Instr>,
    /// The small sets tests read directly, in resolution order (one tenant's together).
    pub inline: Inline,
    /// Where each constant already laid out in `inline` starts, by constant index: a
    /// platform set every tenant's rules test is laid out once.
    placed: std::collections::HashMap<u32, i32>,
}

impl Conds {
    /// The condition starting at `entry` of `code`, for an instance with arguments `args`
    /// (constant indices), or `None` when it is not one or two plain tests.
    pub fn resolve(
        &mut self,
        code: &[Instr],
        entry: u32,
        args: &[u32],
        consts: &[Const],
    ) -> Option<Cond> {
        let at = entry as usize;
        let (first, next) = self.test_at(code, at, args, consts)?;
        let (all, target) = match *code.get(next)? {
            Instr::Ret => return Some(Cond::One(first)),
            Instr::JumpIfFalse(t) => (true, t),
            Instr::JumpIfTrue(t) => (false, t),
            _ => return None,
        };
        let (second, end) = self.test_at(code, next + 1, args, consts)?;
        // Both the jump and the fall-through must reach the same final `ret`.
        (target as usize == end && matches!(code.get(end)?, Instr::Ret)).then_some(Cond::Two {
            first,
            second,
            all,
        })
    }

    /// The test at `at` (optionally followed by `not`) and the index after it.
    fn test_at(
        &mut self,
        code: &[Instr],
        at: usize,
        args: &[u32],
        consts: &[Const],
    ) -> Option<(Check, usize)> {
        let instr = resolve_instr(*code.get(at)?, args)?;
        let mut check = self.specialise(instr, consts)?;
        let mut next = at + 1;
        if matches!(code.get(next)?, Instr::Not) {
            check.negate = true;
            next += 1;
        }
        Some((check, next))
    }

    fn specialise(&mut self, instr: Instr, consts: &[Const]) -> Option<Check> {
        let check = |kind, a: u32, b: u32| Check {
            kind,
            negate: false,
            op: CmpOp::Eq,
            a,
            b,
            n: 0,
        };
        // The inline kind where the set was copied into the inline words, else the hashed one.
        let inline_or = |at: Option<i32>, inline, hashed, a, k| match at {
            Some(at) => Check {
                n: at,
                ..check(inline, a, k)
            },
            None => check(hashed, a, k),
        };
        let konst = |k: u32| consts.get(k as usize);
        Some(match instr {
            Instr::In {
                kind: InKind::Member,
                elem: Src::Attr(a),
                coll: Src::Const(k),
            } => match konst(k)? {
                Const::StrSet { set, .. } => inline_or(
                    self.place(k, |i| i.push_strs(set)),
                    TestKind::StrInSmall,
                    TestKind::StrIn,
                    a,
                    k,
                ),
                Const::NumSet(_) => check(TestKind::NumIn, a, k),
                _ => self.generic(instr)?,
            },
            Instr::In {
                kind: InKind::AnyNetwork,
                elem: Src::Attr(a),
                coll: Src::Const(k),
            } => match konst(k)? {
                Const::CidrSet(nets) => inline_or(
                    self.place(k, |i| i.push_ranges(nets)),
                    TestKind::IpInRanges,
                    TestKind::IpInNets,
                    a,
                    k,
                ),
                _ => self.generic(instr)?,
            },
            Instr::In {
                kind: InKind::Member,
                elem: Src::Const(k),
                coll: Src::Attr(a),
            } if matches!(konst(k)?, Const::Scalar(super::ScalarConst::Str(_))) => {
                check(TestKind::SetHasStr, a, k)
            }
            Instr::HasAny {
                a: Src::Attr(a),
                b: Src::Const(k),
            }
            | Instr::HasAny {
                a: Src::Const(k),
                b: Src::Attr(a),
            } => match konst(k)? {
                Const::StrSet { set, .. } => inline_or(
                    self.place(k, |i| i.push_strs(set)),
                    TestKind::SetHasAnySmall,
                    TestKind::SetHasAnyStr,
                    a,
                    k,
                ),
                _ => self.generic(instr)?,
            },
            Instr::Cmp {
                op,
                a: Src::Attr(a),
                b: Src::Const(k),
            } => match konst(k)? {
                Const::Scalar(super::ScalarConst::Num(n)) => match i32::try_from(*n) {
                    Ok(n) => Check {
                        op,
                        n,
                        ..check(TestKind::NumCmp, a, k)
                    },
                    Err(_) => self.generic(instr)?,
                },
                Const::Scalar(super::ScalarConst::Str(_))
                    if matches!(op, CmpOp::Eq | CmpOp::Ne) =>
                {
                    Check {
                        op,
                        ..check(TestKind::StrCmp, a, k)
                    }
                }
                _ => self.generic(instr)?,
            },
            Instr::Cmp {
                op,
                a: Src::Attr(a),
                b: Src::Attr(b),
            } => Check {
                op,
                ..check(TestKind::NumCmpAttrs, a, b)
            },
            Instr::Under {
                name: Src::Attr(a),
                domain: Src::Const(k),
            } if matches!(
                konst(k)?,
                Const::StrSet {
                    domains: Some(_),
                    ..
                }
            ) =>
            {
                check(TestKind::UnderSet, a, k)
            }
            Instr::Has(a) => check(TestKind::Has, a, 0),
            _ => self.generic(instr)?,
        })
    }

    /// Resolution is over: drop what only resolving needed.
    pub fn seal(&mut self) {
        self.placed = std::collections::HashMap::new();
        self.generic.shrink_to_fit();
        self.inline.shrink_to_fit();
    }

    /// Where constant `k` is laid out inline, laying it out with `push` the first time.
    fn place(&mut self, k: u32, push: impl FnOnce(&mut Inline) -> Option<i32>) -> Option<i32> {
        if let Some(&at) = self.placed.get(&k) {
            return Some(at);
        }
        let at = push(&mut self.inline)?;
        self.placed.insert(k, at);
        Some(at)
    }

    /// A test with no specialised form, kept as an instruction. `None` when it is not a
    /// test the interpreter can evaluate without a stack.
    fn generic(&mut self, instr: Instr) -> Option<Check> {
        let direct = |s: &Src| matches!(s, Src::Attr(_) | Src::Const(_));
        let ok = match instr {
            Instr::Truth(s) => direct(&s),
            Instr::Has(_) => true,
            Instr::Cmp { a, b, .. } | Instr::HasAny { a, b } | Instr::HasAll { a, b } => {
                direct(&a) && direct(&b)
            }
            Instr::In { elem, coll, .. } => direct(&elem) && direct(&coll),
            Instr::Like { text, pattern } => direct(&text) && direct(&pattern),
            Instr::Matches { text, .. } => direct(&text),
            Instr::Under { name, domain } => direct(&name) && direct(&domain),
            _ => false,
        };
        if !ok {
            return None;
        }
        let b = u32::try_from(self.generic.len()).ok()?;
        self.generic.push(instr);
        Some(Check {
            kind: TestKind::Generic,
            negate: false,
            op: CmpOp::Eq,
            a: 0,
            b,
            n: 0,
        })
    }
}

/// `src` with a template parameter replaced by the instance's constant.
fn resolve_src(src: Src, args: &[u32]) -> Option<Src> {
    Some(match src {
        Src::Param(i) => Src::Const(*args.get(usize::from(i))?),
        other => other,
    })
}

fn resolve_instr(instr: Instr, args: &[u32]) -> Option<Instr> {
    let r = |s| resolve_src(s, args);
    Some(match instr {
        Instr::Truth(s) => Instr::Truth(r(s)?),
        Instr::Cmp { op, a, b } => Instr::Cmp {
            op,
            a: r(a)?,
            b: r(b)?,
        },
        Instr::In { kind, elem, coll } => Instr::In {
            kind,
            elem: r(elem)?,
            coll: r(coll)?,
        },
        Instr::HasAny { a, b } => Instr::HasAny { a: r(a)?, b: r(b)? },
        Instr::HasAll { a, b } => Instr::HasAll { a: r(a)?, b: r(b)? },
        Instr::Like { text, pattern } => Instr::Like {
            text: r(text)?,
            pattern: r(pattern)?,
        },
        Instr::Matches { text, regex } => Instr::Matches {
            text: r(text)?,
            regex,
        },
        Instr::Under { name, domain } => Instr::Under {
            name: r(name)?,
            domain: r(domain)?,
        },
        other @ Instr::Has(_) => other,
        _ => return None,
    })
}

impl Check {
    /// The instruction this check specialises, for value shapes the fast path does not
    /// handle.
    fn instr(&self, conds: &Conds) -> Result<Instr, VmError> {
        let (a, b) = (Src::Attr(self.a), Src::Const(self.b));
        Ok(match self.kind {
            TestKind::StrIn | TestKind::StrInSmall | TestKind::NumIn => Instr::In {
                kind: InKind::Member,
                elem: a,
                coll: b,
            },
            TestKind::IpInNets | TestKind::IpInRanges => Instr::In {
                kind: InKind::AnyNetwork,
                elem: a,
                coll: b,
            },
            TestKind::SetHasStr => Instr::In {
                kind: InKind::Member,
                elem: b,
                coll: a,
            },
            TestKind::SetHasAnyStr | TestKind::SetHasAnySmall => Instr::HasAny { a, b },
            TestKind::StrCmp | TestKind::NumCmp => Instr::Cmp { op: self.op, a, b },
            TestKind::NumCmpAttrs => Instr::Cmp {
                op: self.op,
                a,
                b: Src::Attr(self.b),
            },
            TestKind::UnderSet => Instr::Under { name: a, domain: b },
            TestKind::Has => Instr::Has(self.a),
            TestKind::Generic => *conds
                .generic
                .get(self.b as usize)
                .ok_or(VmError::Malformed)?,
        })
    }

    /// Evaluate the check.
    #[inline(always)]
    pub fn eval<'a, S: Source<'a>>(
        &self,
        env: &Env<'a, S>,
        conds: &Conds,
    ) -> Result<bool, VmError> {
        Ok(self.test(env, conds)? != self.negate)
    }

    #[inline(always)]
    fn test<'a, S: Source<'a>>(&self, env: &Env<'a, S>, conds: &Conds) -> Result<bool, VmError> {
        let a = self.a as usize;
        let konst = || env.consts.get(self.b as usize);
        let fast = match self.kind {
            TestKind::StrIn => match (env.slots.slot(a), konst()) {
                (Some(Slot::Scalar(Scalar::Str(s))), Some(Const::StrSet { set, .. })) => {
                    Some(set.contains(s))
                }
                _ => None,
            },
            TestKind::StrInSmall => match env.slots.slot(a) {
                Some(Slot::Scalar(Scalar::Str(s))) => conds.inline.has_str(self.n, s),
                _ => None,
            },
            TestKind::IpInRanges => match env.slots.slot(a) {
                Some(Slot::Scalar(Scalar::Ip(std::net::IpAddr::V4(ip)))) => {
                    conds.inline.in_ranges(self.n, u32::from(ip))
                }
                _ => None,
            },
            TestKind::SetHasAnySmall => match env.slots.slot(a) {
                Some(Slot::Set(SetView::Strs(items))) => conds.inline.has_any_str(self.n, items),
                Some(Slot::Set(SetView::Strings(items))) => conds.inline.has_any_str(self.n, items),
                _ => None,
            },
            TestKind::NumIn => match (env.slots.slot(a), konst()) {
                (Some(Slot::Scalar(Scalar::Num(n))), Some(Const::NumSet(v))) => {
                    Some(v.binary_search(&n).is_ok())
                }
                _ => None,
            },
            TestKind::IpInNets => match (env.slots.slot(a), konst()) {
                (Some(Slot::Scalar(Scalar::Ip(ip))), Some(Const::CidrSet(nets))) => {
                    Some(nets.contains_ip(ip))
                }
                _ => None,
            },
            TestKind::SetHasStr => match (env.slots.slot(a), konst()) {
                (
                    Some(Slot::Set(SetView::Strs(items))),
                    Some(Const::Scalar(super::ScalarConst::Str(k))),
                ) => Some(set_has_str(items, k)),
                (
                    Some(Slot::Set(SetView::Strings(items))),
                    Some(Const::Scalar(super::ScalarConst::Str(k))),
                ) => Some(set_has_str(items, k)),
                _ => None,
            },
            TestKind::SetHasAnyStr => match (env.slots.slot(a), konst()) {
                (Some(Slot::Set(SetView::Strs(items))), Some(Const::StrSet { set, .. })) => {
                    Some(items.iter().any(|x| set.contains(x)))
                }
                (Some(Slot::Set(SetView::Strings(items))), Some(Const::StrSet { set, .. })) => {
                    Some(items.iter().any(|x| set.contains(x)))
                }
                _ => None,
            },
            TestKind::NumCmp => match env.slots.slot(a) {
                Some(Slot::Scalar(Scalar::Num(x))) => Some(num_cmp(self.op, x, i64::from(self.n))),
                _ => None,
            },
            TestKind::NumCmpAttrs => match (env.slots.slot(a), env.slots.slot(self.b as usize)) {
                (Some(Slot::Scalar(Scalar::Num(x))), Some(Slot::Scalar(Scalar::Num(y)))) => {
                    Some(num_cmp(self.op, x, y))
                }
                _ => None,
            },
            TestKind::StrCmp => match (env.slots.slot(a), konst()) {
                (
                    Some(Slot::Scalar(Scalar::Str(s))),
                    Some(Const::Scalar(super::ScalarConst::Str(k))),
                ) => Some((s == &**k) != (self.op == CmpOp::Ne)),
                _ => None,
            },
            TestKind::UnderSet => match (env.slots.slot(a), konst()) {
                (
                    Some(Slot::Scalar(Scalar::Str(s))),
                    Some(Const::StrSet {
                        domains: Some(d), ..
                    }),
                ) => Some(d.contains_under(s)),
                _ => None,
            },
            TestKind::Has => Some(env.slots.slot(a).is_some()),
            TestKind::Generic => None,
        };
        match fast {
            Some(r) => Ok(r),
            None => super::test(&self.instr(conds)?, &mut super::Direct, env),
        }
    }
}

/// Whether a request's set of strings holds `k` (tags and roles: a few short strings, so
/// a plain loop over an inline comparison, not `memcmp` calls).
#[inline]
fn set_has_str<T: AsRef<str>>(items: &[T], k: &str) -> bool {
    for x in items {
        if super::consts::eq_bytes(x.as_ref(), k) {
            return true;
        }
    }
    false
}

/// `x OP y` on numbers (the interpreter's comparison of two numbers too).
#[inline]
pub(super) fn num_cmp(op: CmpOp, x: i64, y: i64) -> bool {
    match op {
        CmpOp::Eq => x == y,
        CmpOp::Ne => x != y,
        CmpOp::Lt => x < y,
        CmpOp::Le => x <= y,
        CmpOp::Gt => x > y,
        CmpOp::Ge => x >= y,
    }
}

impl Cond {
    /// Evaluate a condition that does not need the interpreter; `Code` is the caller's.
    #[inline]
    pub fn eval_direct<'a, S: Source<'a>>(
        &self,
        env: &Env<'a, S>,
        conds: &Conds,
    ) -> Option<Result<bool, VmError>> {
        Some(match self {
            Cond::Always => Ok(true),
            Cond::One(c) => c.eval(env, conds),
            Cond::Two { first, second, all } => match first.eval(env, conds) {
                Ok(r) if r != *all => Ok(r),
                Ok(_) => second.eval(env, conds),
                Err(e) => Err(e),
            },
            Cond::Code { .. } => return None,
        })
    }
}
