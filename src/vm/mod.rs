//! Stage 4: the evaluator. One loop over a decoded instruction enum, a small fixed-size
//! value stack, a boolean flag register for conditions. No heap allocation.
//!
//! A rule condition is a code segment ending in [`Instr::Ret`]; the flag is its result.
//! Operands name where a value comes from ([`Src`]), so the common shapes
//! (`attr == "x"`, `attr in SET`, `tags has "x"`) are one instruction each.

pub mod cond;
pub mod consts;

use crate::bundle::MAX_ATTRS;
use crate::check::program::{Accessor, ArithOp, CmpOp, InKind};
use crate::value::Value;
use consts::{CidrSet, DomainSet, Scalar, StrSet, glob_match, is_under, subnet};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// The deepest value stack any body may need (checked when a bundle is loaded).
pub const MAX_STACK: usize = 64;

/// Where an operand comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Src {
    /// The request attribute in this slot.
    Attr(u32),
    /// A constant of the bundle's pool.
    Const(u32),
    /// An argument of the policy instance (a template parameter).
    Param(u16),
    /// A quantifier variable, by nesting depth.
    Var(u16),
    /// Pop the value stack.
    Stack,
}

/// One instruction. Tests set the flag; `Push`/computations push onto the stack. When both
/// operands of an instruction are [`Src::Stack`], `b` is popped first.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Instr {
    /// Push the operand's value.
    Push(Src),
    /// flag := the operand, a bool.
    Truth(Src),
    /// flag := the request carries attribute `slot`.
    Has(u32),
    /// flag := a OP b (equality on any type; order on numbers; dominance on lattices).
    Cmp {
        /// The comparison.
        op: CmpOp,
        /// Left operand.
        a: Src,
        /// Right operand.
        b: Src,
    },
    /// flag := elem is in coll (set membership, network containment).
    In {
        /// Which membership: set element, network, or any network of a set.
        kind: InKind,
        /// The element (or address, network).
        elem: Src,
        /// The set (or network).
        coll: Src,
    },
    /// flag := sets a and b share an element.
    HasAny {
        /// Left operand.
        a: Src,
        /// Right operand.
        b: Src,
    },
    /// flag := set a contains every element of set b.
    HasAll {
        /// Left operand.
        a: Src,
        /// Right operand.
        b: Src,
    },
    /// flag := text matches the glob pattern.
    Like {
        /// The string tested.
        text: Src,
        /// The glob pattern.
        pattern: Src,
    },
    /// flag := text matches regular expression number `regex` of the bundle.
    Matches {
        /// The string tested.
        text: Src,
        /// Index into the bundle's regular expressions.
        regex: u32,
    },
    /// flag := name is, or is a subdomain of, the domain (or one of the set's domains).
    Under {
        /// The domain name tested.
        name: Src,
        /// A domain, or a set of domains.
        domain: Src,
    },
    /// Push a OP b (numbers, timestamps, durations; saturating).
    Arith {
        /// `+` or `-`.
        op: ArithOp,
        /// Left operand.
        a: Src,
        /// Right operand.
        b: Src,
    },
    /// Push an accessor of the operand (`.weekday`, `.hour`, `.size`, ...).
    Field {
        /// Which accessor.
        acc: Accessor,
        /// The value accessed.
        v: Src,
    },
    /// Push the least upper bound (`upper`) or greatest lower bound of two lattice values.
    Bound {
        /// `lub` when true, `glb` when false.
        upper: bool,
        /// Left operand.
        a: Src,
        /// Right operand.
        b: Src,
    },
    /// Push a product-lattice value: the operand's level with these compartments.
    MakeLabel {
        /// The level, of the product lattice's base.
        level: Src,
        /// Compartment bitset (bit i: compartment i).
        compartments: u64,
    },
    /// Push the flag as a bool value.
    PushFlag,
    /// flag := value.
    SetFlag(bool),
    /// flag := not flag.
    Not,
    /// Jump to an instruction index of this body.
    Jump(u32),
    /// Jump if the flag is true.
    JumpIfTrue(u32),
    /// Jump if the flag is false.
    JumpIfFalse(u32),
    /// Pop a set and start iterating over it.
    IterStart,
    /// Put the next element of the innermost iteration in variable `var`, or, when there
    /// is none, end the iteration and jump to `done`. The only target of backward jumps.
    IterNext {
        /// The variable receiving each element (the quantifier's nesting depth).
        var: u16,
        /// Where to continue when the set is exhausted.
        done: u32,
    },
    /// End the innermost iteration early.
    IterPop,
    /// End of a condition: its result is the flag.
    Ret,
}

/// A set held by a request: borrowed from the caller (typed builder) or from a
/// [`RequestBuf`](crate::engine::RequestBuf).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SetView<'a> {
    /// Strings, from the typed builder.
    Strs(&'a [&'a str]),
    /// Strings as a caller holds them, read in place through a layout.
    Strings(&'a [String]),
    /// Numbers (ints, timestamps, enum values, ...), from the typed builder.
    Nums(&'a [i64]),
    /// Addresses, from the typed builder.
    Ips(&'a [IpAddr]),
    /// Any values, from a request that owns its data.
    Values(&'a [Value]),
}

impl<'a> SetView<'a> {
    /// Number of elements, duplicates included.
    pub fn len(&self) -> usize {
        match self {
            SetView::Strs(s) => s.len(),
            SetView::Strings(s) => s.len(),
            SetView::Nums(s) => s.len(),
            SetView::Ips(s) => s.len(),
            SetView::Values(s) => s.len(),
        }
    }

    /// Whether the set has no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`-th element.
    pub fn get(&self, i: usize) -> Option<Scalar<'a>> {
        match self {
            SetView::Strs(s) => s.get(i).map(|x| Scalar::Str(x)),
            SetView::Strings(s) => s.get(i).map(|x| Scalar::Str(x)),
            SetView::Nums(s) => s.get(i).map(|x| Scalar::Num(*x)),
            SetView::Ips(s) => s.get(i).map(|x| Scalar::Ip(*x)),
            SetView::Values(s) => s.get(i).and_then(scalar_of),
        }
    }
}

/// The scalar form of a (non-set) value.
pub fn scalar_of(v: &Value) -> Option<Scalar<'_>> {
    Some(match v {
        Value::Bool(b) => Scalar::Bool(*b),
        Value::Int(i) | Value::Timestamp(i) | Value::Duration(i) => Scalar::Num(*i),
        Value::Time(t) => Scalar::Num(i64::from(*t)),
        Value::Weekday(w) => Scalar::Num(i64::from(*w)),
        Value::Enum(i) | Value::Level(i) => Scalar::Num(i64::from(*i)),
        Value::Str(s) => Scalar::Str(s),
        Value::Ip(ip) => Scalar::Ip(*ip),
        Value::Cidr(c) => Scalar::Cidr(*c),
        Value::Label {
            level,
            compartments,
        } => Scalar::Label(*level, *compartments),
        Value::Set(_) => return None,
    })
}

/// One request attribute.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Slot<'a> {
    /// Not carried by the request.
    #[default]
    Absent,
    /// A single value.
    Scalar(Scalar<'a>),
    /// A set.
    Set(SetView<'a>),
}

/// A constant in runtime form.
#[derive(Debug)]
pub enum Const {
    /// A single value.
    Scalar(ScalarConst),
    /// A set of strings, hashed; with its domain index when used with `under`.
    StrSet {
        /// The strings, hashed.
        set: StrSet,
        /// Parent-domain index for `under`.
        domains: Option<Box<DomainSet>>,
    },
    /// A set of numbers, sorted.
    NumSet(Vec<i64>),
    /// A set of addresses, sorted.
    IpSet(Vec<IpAddr>),
    /// A set of networks, as merged ranges.
    CidrSet(CidrSet),
    /// Sets of any other element type (bools, labels): few elements, scanned.
    Other(Vec<ScalarConst>),
}

/// An owned scalar.
#[derive(Clone, Debug, PartialEq)]
pub enum ScalarConst {
    /// A bool.
    Bool(bool),
    /// A number (int, timestamp, duration, time, weekday, enum value, lattice level).
    Num(i64),
    /// A string.
    Str(Box<str>),
    /// An address.
    Ip(IpAddr),
    /// A network.
    Cidr(ipnetwork::IpNetwork),
    /// A product-lattice value: level and compartment bitset.
    Label(u32, u64),
}

impl ScalarConst {
    /// Borrow as the VM's scalar.
    pub fn as_scalar(&self) -> Scalar<'_> {
        match self {
            ScalarConst::Bool(b) => Scalar::Bool(*b),
            ScalarConst::Num(n) => Scalar::Num(*n),
            ScalarConst::Str(s) => Scalar::Str(s),
            ScalarConst::Ip(i) => Scalar::Ip(*i),
            ScalarConst::Cidr(c) => Scalar::Cidr(*c),
            ScalarConst::Label(l, c) => Scalar::Label(*l, *c),
        }
    }

    /// Own a scalar.
    pub fn from_scalar(s: Scalar<'_>) -> ScalarConst {
        match s {
            Scalar::Bool(b) => ScalarConst::Bool(b),
            Scalar::Num(n) => ScalarConst::Num(n),
            Scalar::Str(s) => ScalarConst::Str(s.into()),
            Scalar::Ip(i) => ScalarConst::Ip(i),
            Scalar::Cidr(c) => ScalarConst::Cidr(c),
            Scalar::Label(l, c) => ScalarConst::Label(l, c),
        }
    }
}

/// A value on the stack.
#[derive(Clone, Copy, Debug)]
pub enum Val<'a> {
    /// A single value.
    Scalar(Scalar<'a>),
    /// A set from the request.
    ReqSet(SetView<'a>),
    /// A set constant of the bundle.
    ConstSet(&'a Const),
    /// A set of enum values as a bitset (a label's compartments).
    Bits(u64),
}

impl Default for Val<'_> {
    fn default() -> Self {
        Val::Scalar(Scalar::Bool(false))
    }
}

/// Evaluation failed. Only a malformed bundle or request can cause it; the engine then
/// denies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VmError {
    /// An attribute the code reads is absent from the request.
    Absent(u32),
    /// The code does not fit its data (kind mismatch, index out of range, stack misuse).
    Malformed,
}

/// A request's attributes: a slot is only meaningful when its presence bit is set
/// (clearing a request resets the bits, not the slots).
#[derive(Clone, Copy, Debug)]
pub struct Slots<'a> {
    /// One slot per attribute id (ids are below `MAX_ATTRS`).
    pub values: &'a [Slot<'a>; MAX_ATTRS],
    /// Presence bitset: bit i set when attribute i is carried. A slot whose bit is set is
    /// never `Absent` (the request's writers keep that invariant).
    pub present: &'a [u64; MAX_ATTRS / 64],
}

impl<'a> Slots<'a> {
    /// The attribute in slot `i`, if the request carries it.
    #[inline(always)]
    pub fn get(&self, i: usize) -> Option<&'a Slot<'a>> {
        // One comparison; both reads below are then within their arrays.
        if i >= MAX_ATTRS {
            return None;
        }
        let word = self.present.get(i / 64)?;
        if word & (1u64 << (i % 64)) == 0 {
            return None;
        }
        self.values.get(i)
    }
}

/// Where an evaluation reads a request's attributes: a [`Request`]'s slots, or the
/// caller's own value through a [`Layout`] (docs/ENGINE.md "Requests read in place").
/// The decision code is generic over it, so each kind of request compiles to its own
/// direct code.
///
/// [`Request`]: crate::engine::Request
/// [`Layout`]: crate::engine::Layout
pub trait Source<'a>: Copy {
    /// The attribute in slot `i`, if the request carries it (never `Slot::Absent`).
    fn slot(&self, i: usize) -> Option<Slot<'a>>;
}

impl<'a> Source<'a> for Slots<'a> {
    #[inline(always)]
    fn slot(&self, i: usize) -> Option<Slot<'a>> {
        self.get(i).copied()
    }
}

/// What an evaluation reads.
#[derive(Clone, Copy)]
pub struct Env<'a, S = Slots<'a>> {
    /// The request.
    pub slots: S,
    /// The bundle's constants, in runtime form.
    pub consts: &'a [Const],
    /// The instance's arguments: indices into `consts`.
    pub args: &'a [u32],
    /// The bundle's regular expressions, compiled.
    pub regexes: &'a [regex::Regex],
}

/// Scratch space for one evaluation: the stack, quantifier variables and iterators.
/// Sized by const generic so a body that needs a small stack pays for a small one.
struct Machine<'a, const N: usize> {
    stack: [Val<'a>; N],
    sp: usize,
    vars: [Scalar<'a>; N],
    iters: [(Val<'a>, u32); N],
    ip: usize,
}

/// Evaluate the condition starting at `entry`. `max_stack` is the body's verified stack
/// bound; it picks the scratch size.
pub fn eval<'a, S: Source<'a>>(
    code: &[Instr],
    entry: u32,
    max_stack: u16,
    env: &Env<'a, S>,
) -> Result<bool, VmError> {
    match max_stack {
        // Most conditions never touch the stack: no scratch space to set up at all.
        0 => run::<S, 0>(code, entry, env),
        1..=4 => run::<S, 4>(code, entry, env),
        5..=16 => run::<S, 16>(code, entry, env),
        _ => run::<S, MAX_STACK>(code, entry, env),
    }
}

fn run<'a, S: Source<'a>, const N: usize>(
    code: &[Instr],
    entry: u32,
    env: &Env<'a, S>,
) -> Result<bool, VmError> {
    const FILLER: Val<'static> = Val::Scalar(Scalar::Bool(false));
    let mut m: Machine<'a, N> = Machine {
        stack: [FILLER; N],
        sp: 0,
        vars: [Scalar::Bool(false); N],
        iters: [(FILLER, 0); N],
        ip: 0,
    };
    let mut flag = false;
    let mut pc = entry as usize;
    // Every jump is forward except to an `IterNext`, which advances a finite iteration, so
    // this loop ends; the budget is a second guard against a malformed bundle.
    let mut budget: u64 = 1 << 32;
    loop {
        budget = budget.checked_sub(1).ok_or(VmError::Malformed)?;
        let instr = code.get(pc).ok_or(VmError::Malformed)?;
        pc += 1;
        match *instr {
            Instr::Push(src) => {
                let v = m.read(src, env)?;
                m.push(v)?;
            }
            Instr::Truth(_)
            | Instr::Has(_)
            | Instr::Cmp { .. }
            | Instr::In { .. }
            | Instr::HasAny { .. }
            | Instr::HasAll { .. }
            | Instr::Like { .. }
            | Instr::Matches { .. }
            | Instr::Under { .. } => flag = test(instr, &mut m, env)?,
            Instr::Arith { op, a, b } => {
                let y = m.read(b, env)?;
                let x = m.read(a, env)?;
                let (Val::Scalar(Scalar::Num(x)), Val::Scalar(Scalar::Num(y))) = (x, y) else {
                    return Err(VmError::Malformed);
                };
                let r = match op {
                    ArithOp::Add => x.saturating_add(y),
                    ArithOp::Sub => x.saturating_sub(y),
                };
                m.push(Val::Scalar(Scalar::Num(r)))?;
            }
            Instr::Field { acc, v } => {
                let x = m.read(v, env)?;
                m.push(field(acc, x)?)?;
            }
            Instr::Bound { upper, a, b } => {
                let y = m.read(b, env)?;
                let x = m.read(a, env)?;
                let r = match (x, y) {
                    (Val::Scalar(Scalar::Num(a)), Val::Scalar(Scalar::Num(b))) => {
                        Scalar::Num(if upper { a.max(b) } else { a.min(b) })
                    }
                    (Val::Scalar(Scalar::Label(la, ca)), Val::Scalar(Scalar::Label(lb, cb))) => {
                        if upper {
                            Scalar::Label(la.max(lb), ca | cb)
                        } else {
                            Scalar::Label(la.min(lb), ca & cb)
                        }
                    }
                    _ => return Err(VmError::Malformed),
                };
                m.push(Val::Scalar(r))?;
            }
            Instr::MakeLabel {
                level,
                compartments,
            } => match m.read(level, env)? {
                Val::Scalar(Scalar::Num(l)) => {
                    let l = u32::try_from(l).map_err(|_| VmError::Malformed)?;
                    m.push(Val::Scalar(Scalar::Label(l, compartments)))?;
                }
                _ => return Err(VmError::Malformed),
            },
            Instr::PushFlag => m.push(Val::Scalar(Scalar::Bool(flag)))?,
            Instr::SetFlag(b) => flag = b,
            Instr::Not => flag = !flag,
            Instr::Jump(t) => pc = t as usize,
            Instr::JumpIfTrue(t) => {
                if flag {
                    pc = t as usize;
                }
            }
            Instr::JumpIfFalse(t) => {
                if !flag {
                    pc = t as usize;
                }
            }
            Instr::IterStart => {
                let set = m.pop()?;
                let slot = m.iters.get_mut(m.ip).ok_or(VmError::Malformed)?;
                *slot = (set, 0);
                m.ip += 1;
            }
            Instr::IterNext { var, done } => {
                let top = m.ip.checked_sub(1).ok_or(VmError::Malformed)?;
                let (set, idx) = m.iters.get_mut(top).ok_or(VmError::Malformed)?;
                match element(*set, idx)? {
                    Some(x) => {
                        *m.vars.get_mut(var as usize).ok_or(VmError::Malformed)? = x;
                    }
                    None => {
                        m.ip = top;
                        pc = done as usize;
                    }
                }
            }
            Instr::IterPop => m.ip = m.ip.checked_sub(1).ok_or(VmError::Malformed)?,
            Instr::Ret => return Ok(flag),
        }
    }
}

/// Where a test instruction's operands come from: the machine (which may pop its stack), or
/// directly from the request and constants (for conditions that never use the stack).
trait Operands<'a> {
    fn operand<S: Source<'a>>(&mut self, src: Src, env: &Env<'a, S>) -> Result<Val<'a>, VmError>;
}

impl<'a, const N: usize> Operands<'a> for Machine<'a, N> {
    #[inline]
    fn operand<S: Source<'a>>(&mut self, src: Src, env: &Env<'a, S>) -> Result<Val<'a>, VmError> {
        self.read(src, env)
    }
}

/// Operands without a machine: stack and variable operands are malformed here.
struct Direct;

impl<'a> Operands<'a> for Direct {
    #[inline]
    fn operand<S: Source<'a>>(&mut self, src: Src, env: &Env<'a, S>) -> Result<Val<'a>, VmError> {
        let mut m: Machine<'a, 0> = Machine {
            stack: [],
            sp: 0,
            vars: [],
            iters: [],
            ip: 0,
        };
        match src {
            Src::Stack | Src::Var(_) => Err(VmError::Malformed),
            other => m.read(other, env),
        }
    }
}

/// The result of a test instruction (`Truth`, `Has`, `Cmp`, `In`, `HasAny`, `HasAll`,
/// `Like`, `Matches`, `Under`); when both operands are `Src::Stack`, `b` is popped first.
#[inline]
fn test<'a, S: Source<'a>>(
    instr: &Instr,
    m: &mut impl Operands<'a>,
    env: &Env<'a, S>,
) -> Result<bool, VmError> {
    Ok(match *instr {
        Instr::Truth(src) => match m.operand(src, env)? {
            Val::Scalar(Scalar::Bool(b)) => b,
            _ => return Err(VmError::Malformed),
        },
        Instr::Has(slot) => env.slots.slot(slot as usize).is_some(),
        Instr::Cmp { op, a, b } => {
            let y = m.operand(b, env)?;
            let x = m.operand(a, env)?;
            compare(op, x, y)?
        }
        Instr::In { kind, elem, coll } => {
            let c = m.operand(coll, env)?;
            let e = m.operand(elem, env)?;
            member(kind, e, c)?
        }
        Instr::HasAny { a, b } => {
            let y = m.operand(b, env)?;
            let x = m.operand(a, env)?;
            has_any(x, y)?
        }
        Instr::HasAll { a, b } => {
            let y = m.operand(b, env)?;
            let x = m.operand(a, env)?;
            has_all(x, y)?
        }
        Instr::Like { text, pattern } => {
            let p = m.operand(pattern, env)?;
            let t = m.operand(text, env)?;
            match (t, p) {
                (Val::Scalar(Scalar::Str(t)), Val::Scalar(Scalar::Str(p))) => glob_match(p, t),
                _ => return Err(VmError::Malformed),
            }
        }
        Instr::Matches { text, regex } => match m.operand(text, env)? {
            Val::Scalar(Scalar::Str(t)) => env
                .regexes
                .get(regex as usize)
                .ok_or(VmError::Malformed)?
                .is_match(t),
            _ => return Err(VmError::Malformed),
        },
        Instr::Under { name, domain } => {
            let d = m.operand(domain, env)?;
            let n = m.operand(name, env)?;
            under(n, d)?
        }
        _ => return Err(VmError::Malformed),
    })
}

impl<'a, const N: usize> Machine<'a, N> {
    fn push(&mut self, v: Val<'a>) -> Result<(), VmError> {
        *self.stack.get_mut(self.sp).ok_or(VmError::Malformed)? = v;
        self.sp += 1;
        Ok(())
    }

    fn pop(&mut self) -> Result<Val<'a>, VmError> {
        self.sp = self.sp.checked_sub(1).ok_or(VmError::Malformed)?;
        self.stack.get(self.sp).copied().ok_or(VmError::Malformed)
    }

    #[inline]
    fn read<S: Source<'a>>(&mut self, src: Src, env: &Env<'a, S>) -> Result<Val<'a>, VmError> {
        match src {
            Src::Attr(slot) => match env.slots.slot(slot as usize) {
                Some(Slot::Scalar(s)) => Ok(Val::Scalar(s)),
                Some(Slot::Set(s)) => Ok(Val::ReqSet(s)),
                _ => Err(VmError::Absent(slot)),
            },
            Src::Const(k) => const_val(env.consts.get(k as usize).ok_or(VmError::Malformed)?),
            Src::Param(i) => {
                let k = env.args.get(usize::from(i)).ok_or(VmError::Malformed)?;
                const_val(env.consts.get(*k as usize).ok_or(VmError::Malformed)?)
            }
            Src::Var(v) => self
                .vars
                .get(usize::from(v))
                .map(|s| Val::Scalar(*s))
                .ok_or(VmError::Malformed),
            Src::Stack => self.pop(),
        }
    }
}

fn const_val(c: &Const) -> Result<Val<'_>, VmError> {
    Ok(match c {
        Const::Scalar(s) => Val::Scalar(s.as_scalar()),
        other => Val::ConstSet(other),
    })
}

/// The `i`-th element of a set, advancing `i`; `None` at the end.
fn element<'a>(set: Val<'a>, i: &mut u32) -> Result<Option<Scalar<'a>>, VmError> {
    let idx = *i as usize;
    let r = match set {
        Val::ReqSet(s) => s.get(idx),
        Val::ConstSet(c) => const_element(c, idx),
        Val::Bits(bits) => {
            // Skip to the next set bit.
            let mut j = idx;
            while j < 64 && bits & (1u64 << j) == 0 {
                j += 1;
            }
            if j >= 64 {
                return Ok(None);
            }
            *i = u32::try_from(j + 1).map_err(|_| VmError::Malformed)?;
            return Ok(Some(Scalar::Num(
                i64::try_from(j).map_err(|_| VmError::Malformed)?,
            )));
        }
        Val::Scalar(_) => return Err(VmError::Malformed),
    };
    if r.is_some() {
        *i += 1;
    }
    Ok(r)
}

fn const_element(c: &Const, idx: usize) -> Option<Scalar<'_>> {
    match c {
        Const::Scalar(_) => None,
        Const::StrSet { set, .. } => set.get(idx).map(Scalar::Str),
        Const::NumSet(v) => v.get(idx).map(|n| Scalar::Num(*n)),
        Const::IpSet(v) => v.get(idx).map(|n| Scalar::Ip(*n)),
        Const::CidrSet(s) => s.nets().get(idx).map(|n| Scalar::Cidr(*n)),
        Const::Other(v) => v.get(idx).map(ScalarConst::as_scalar),
    }
}

fn scalar_eq(a: Scalar<'_>, b: Scalar<'_>) -> bool {
    a == b
}

fn compare(op: CmpOp, x: Val<'_>, y: Val<'_>) -> Result<bool, VmError> {
    let (a, b) = match (x, y) {
        (Val::Scalar(a), Val::Scalar(b)) => (a, b),
        (x, y) => {
            // Sets: equality only.
            let eq = has_all(x, y)? && has_all(y, x)?;
            return match op {
                CmpOp::Eq => Ok(eq),
                CmpOp::Ne => Ok(!eq),
                _ => Err(VmError::Malformed),
            };
        }
    };
    Ok(match (a, b) {
        (Scalar::Num(a), Scalar::Num(b)) => cond::num_cmp(op, a, b),
        (Scalar::Label(la, ca), Scalar::Label(lb, cb)) => {
            let le = la <= lb && ca & !cb == 0;
            let ge = la >= lb && cb & !ca == 0;
            let eq = la == lb && ca == cb;
            match op {
                CmpOp::Eq => eq,
                CmpOp::Ne => !eq,
                CmpOp::Le => le,
                CmpOp::Ge => ge,
                CmpOp::Lt => le && !eq,
                CmpOp::Gt => ge && !eq,
            }
        }
        (a, b) if std::mem::discriminant(&a) == std::mem::discriminant(&b) => match op {
            CmpOp::Eq => scalar_eq(a, b),
            CmpOp::Ne => !scalar_eq(a, b),
            _ => match (a, b) {
                // Strings, addresses and booleans are not ordered by the checker; order
                // them anyway, consistently with the reference, should a bundle ask.
                (Scalar::Str(a), Scalar::Str(b)) => order(op, a.cmp(b)),
                (Scalar::Bool(a), Scalar::Bool(b)) => order(op, a.cmp(&b)),
                (Scalar::Ip(a), Scalar::Ip(b)) => order(op, a.cmp(&b)),
                (Scalar::Cidr(a), Scalar::Cidr(b)) => order(op, a.cmp(&b)),
                _ => return Err(VmError::Malformed),
            },
        },
        _ => return Err(VmError::Malformed),
    })
}

fn order(op: CmpOp, o: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        CmpOp::Eq => o == Equal,
        CmpOp::Ne => o != Equal,
        CmpOp::Lt => o == Less,
        CmpOp::Le => o != Greater,
        CmpOp::Gt => o == Greater,
        CmpOp::Ge => o != Less,
    }
}

/// Whether set `c` contains scalar `e` (plain equality).
fn set_contains(c: Val<'_>, e: Scalar<'_>) -> Result<bool, VmError> {
    Ok(match c {
        Val::ConstSet(k) => match (k, e) {
            (Const::StrSet { set, .. }, Scalar::Str(s)) => set.contains(s),
            (Const::NumSet(v), Scalar::Num(n)) => v.binary_search(&n).is_ok(),
            (Const::IpSet(v), Scalar::Ip(ip)) => v.binary_search(&ip).is_ok(),
            (Const::CidrSet(s), Scalar::Cidr(n)) => s.nets().binary_search(&n).is_ok(),
            (Const::Other(v), e) => v.iter().any(|x| x.as_scalar() == e),
            // An element of another kind is in no set of this kind.
            _ => false,
        },
        Val::ReqSet(s) => match (s, e) {
            // The common case, tags and roles: compare strings directly.
            (SetView::Strs(items), Scalar::Str(x)) => items.contains(&x),
            (SetView::Strings(items), Scalar::Str(x)) => items.iter().any(|i| i == x),
            (SetView::Nums(items), Scalar::Num(x)) => items.contains(&x),
            (SetView::Ips(items), Scalar::Ip(x)) => items.contains(&x),
            _ => (0..s.len()).any(|i| s.get(i) == Some(e)),
        },
        Val::Bits(bits) => match e {
            Scalar::Num(n) => (0..64).contains(&n) && bits & (1u64 << n) != 0,
            _ => false,
        },
        Val::Scalar(_) => return Err(VmError::Malformed),
    })
}

fn member(kind: InKind, e: Val<'_>, c: Val<'_>) -> Result<bool, VmError> {
    let Val::Scalar(e) = e else {
        return Err(VmError::Malformed);
    };
    match kind {
        InKind::Member => set_contains(c, e),
        InKind::Network => match c {
            Val::Scalar(Scalar::Cidr(net)) => in_net(e, &net),
            _ => Err(VmError::Malformed),
        },
        InKind::AnyNetwork => match c {
            Val::ConstSet(Const::CidrSet(s)) => match e {
                Scalar::Ip(ip) => Ok(s.contains_ip(ip)),
                Scalar::Cidr(n) => Ok(s.contains_net(&n)),
                _ => Err(VmError::Malformed),
            },
            Val::ConstSet(_) | Val::ReqSet(_) => {
                let mut i = 0u32;
                while let Some(x) = element(c, &mut i)? {
                    match x {
                        Scalar::Cidr(net) if in_net(e, &net)? => return Ok(true),
                        Scalar::Cidr(_) => {}
                        _ => return Err(VmError::Malformed),
                    }
                }
                Ok(false)
            }
            _ => Err(VmError::Malformed),
        },
    }
}

fn in_net(e: Scalar<'_>, net: &ipnetwork::IpNetwork) -> Result<bool, VmError> {
    match e {
        Scalar::Ip(ip) => Ok(net.contains(ip)),
        Scalar::Cidr(inner) => Ok(subnet(&inner, net)),
        _ => Err(VmError::Malformed),
    }
}

fn has_any(a: Val<'_>, b: Val<'_>) -> Result<bool, VmError> {
    // Walk the request side (small) and probe the other, which may be a hashed constant.
    let (walk, probe) = if matches!(a, Val::ConstSet(_)) {
        (b, a)
    } else {
        (a, b)
    };
    let mut i = 0u32;
    while let Some(x) = element(walk, &mut i)? {
        if set_contains(probe, x)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn has_all(a: Val<'_>, b: Val<'_>) -> Result<bool, VmError> {
    let mut i = 0u32;
    while let Some(x) = element(b, &mut i)? {
        if !set_contains(a, x)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn under(n: Val<'_>, d: Val<'_>) -> Result<bool, VmError> {
    let Val::Scalar(Scalar::Str(name)) = n else {
        return Err(VmError::Malformed);
    };
    match d {
        Val::Scalar(Scalar::Str(dom)) => Ok(is_under(name, dom)),
        Val::ConstSet(Const::StrSet {
            domains: Some(ds), ..
        }) => Ok(ds.contains_under(name)),
        Val::ConstSet(_) | Val::ReqSet(_) => {
            let mut i = 0u32;
            while let Some(x) = element(d, &mut i)? {
                match x {
                    Scalar::Str(dom) if is_under(name, dom) => return Ok(true),
                    Scalar::Str(_) => {}
                    _ => return Err(VmError::Malformed),
                }
            }
            Ok(false)
        }
        _ => Err(VmError::Malformed),
    }
}

fn field(acc: Accessor, v: Val<'_>) -> Result<Val<'_>, VmError> {
    Ok(match (acc, v) {
        (Accessor::Weekday, Val::Scalar(Scalar::Num(t))) => {
            Val::Scalar(Scalar::Num((t.div_euclid(86_400) + 3).rem_euclid(7)))
        }
        (Accessor::TimeOfDay, Val::Scalar(Scalar::Num(t))) => {
            Val::Scalar(Scalar::Num(t.rem_euclid(86_400)))
        }
        (Accessor::Hour, Val::Scalar(Scalar::Num(t))) => {
            Val::Scalar(Scalar::Num(t.rem_euclid(86_400) / 3600))
        }
        (Accessor::Level, Val::Scalar(Scalar::Label(l, _))) => {
            Val::Scalar(Scalar::Num(i64::from(l)))
        }
        (Accessor::Compartments, Val::Scalar(Scalar::Label(_, c))) => Val::Bits(c),
        (Accessor::Size, set) => Val::Scalar(Scalar::Num(distinct_len(set)?)),
        _ => return Err(VmError::Malformed),
    })
}

/// Number of distinct elements (request sets may repeat an element).
fn distinct_len(set: Val<'_>) -> Result<i64, VmError> {
    let n = match set {
        Val::ConstSet(c) => match c {
            Const::Scalar(_) => return Err(VmError::Malformed),
            Const::StrSet { set, .. } => set.len(),
            Const::NumSet(v) => v.len(),
            Const::IpSet(v) => v.len(),
            Const::CidrSet(s) => s.nets().len(),
            Const::Other(v) => v.len(),
        },
        Val::Bits(b) => b.count_ones() as usize,
        Val::ReqSet(s) => (0..s.len())
            .filter(|&i| {
                s.get(i)
                    .is_some_and(|x| (0..i).all(|j| s.get(j) != Some(x)))
            })
            .count(),
        Val::Scalar(_) => return Err(VmError::Malformed),
    };
    i64::try_from(n).map_err(|_| VmError::Malformed)
}
