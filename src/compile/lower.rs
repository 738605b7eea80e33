//! Lowering one optimised condition to VM code. Conditions compile to the flag register
//! with short-circuit jumps; values compile to an operand source (`Src`), pushed on the
//! stack only when they are computed.

use super::{CompileError, Pool};
use crate::check::program::{CmpOp, InKind, TExpr, TKind};
use crate::schema::Schema;
use crate::syntax::ast::Quantifier;
use crate::types::Type;
use crate::value::Value;
use crate::vm::{Instr, Src};

struct Lower<'a> {
    pool: &'a mut Pool,
    code: &'a mut Vec<Instr>,
    depth: u16,
    max: u16,
    /// Quantifiers enclosing the code being lowered; the checker numbers variables by it.
    quants: u16,
}

/// Append the code of `cond` (ending in `Ret`) to `code`; returns the stack depth it needs.
pub(super) fn lower_condition(
    cond: &TExpr,
    schema: &Schema,
    pool: &mut Pool,
    code: &mut Vec<Instr>,
) -> Result<u16, CompileError> {
    let _ = schema;
    let mut l = Lower {
        pool,
        code,
        depth: 0,
        max: 0,
        quants: 0,
    };
    l.cond(cond)?;
    l.emit(Instr::Ret);
    if l.depth != 0 {
        return Err(CompileError(
            "internal error: unbalanced stack after lowering".into(),
        ));
    }
    Ok(l.max)
}

fn internal(what: &str) -> CompileError {
    CompileError(format!("internal error in the compiler: {what}"))
}

impl Lower<'_> {
    fn emit(&mut self, i: Instr) -> u32 {
        self.code.push(i);
        u32::try_from(self.code.len() - 1).unwrap_or(u32::MAX)
    }

    fn here(&self) -> u32 {
        u32::try_from(self.code.len()).unwrap_or(u32::MAX)
    }

    fn patch(&mut self, at: u32, target: u32) {
        if let Some(i) = self.code.get_mut(at as usize) {
            match i {
                Instr::Jump(t) | Instr::JumpIfTrue(t) | Instr::JumpIfFalse(t) => *t = target,
                Instr::IterNext { done, .. } => *done = target,
                _ => {}
            }
        }
    }

    fn pushed(&mut self) {
        self.depth += 1;
        self.max = self.max.max(self.depth);
    }

    /// Account for instructions reading their `Src::Stack` operands.
    fn popped(&mut self, srcs: &[Src]) {
        let n = srcs.iter().filter(|s| matches!(s, Src::Stack)).count();
        self.depth = self.depth.saturating_sub(u16::try_from(n).unwrap_or(0));
    }

    /// Code leaving the truth of `e` in the flag.
    fn cond(&mut self, e: &TExpr) -> Result<(), CompileError> {
        match &e.kind {
            TKind::Lit(Value::Bool(b)) => {
                self.emit(Instr::SetFlag(*b));
            }
            TKind::Attr(_) | TKind::Param(_) | TKind::Var(_) | TKind::Lit(_) => {
                let s = self.value(e)?;
                self.popped(&[s]);
                self.emit(Instr::Truth(s));
            }
            TKind::Has(id) => {
                self.emit(Instr::Has(id.0));
            }
            TKind::Not(a) => {
                self.cond(a)?;
                self.emit(Instr::Not);
            }
            TKind::And(a, b) | TKind::Or(a, b) => {
                let and = matches!(e.kind, TKind::And(..));
                self.cond(a)?;
                let j = self.emit(if and {
                    Instr::JumpIfFalse(0)
                } else {
                    Instr::JumpIfTrue(0)
                });
                self.cond(b)?;
                let end = self.here();
                self.patch(j, end);
            }
            TKind::Cmp(op, a, b) => {
                let (x, y) = (self.value(a)?, self.value(b)?);
                self.popped(&[x, y]);
                self.emit(Instr::Cmp {
                    op: *op,
                    a: x,
                    b: y,
                });
            }
            TKind::In(kind, elem, coll) => match &coll.kind {
                // `x in {a, b}` with computed elements: `x == a or x == b`.
                TKind::Set(items) => {
                    let each = |item: &TExpr| match kind {
                        InKind::Member => TKind::Cmp(
                            CmpOp::Eq,
                            Box::new((**elem).clone()),
                            Box::new(item.clone()),
                        ),
                        _ => TKind::In(
                            InKind::Network,
                            Box::new((**elem).clone()),
                            Box::new(item.clone()),
                        ),
                    };
                    self.any_of(items, each, e)?;
                }
                _ => {
                    let (x, c) = (self.value(elem)?, self.value(coll)?);
                    self.popped(&[x, c]);
                    self.emit(Instr::In {
                        kind: *kind,
                        elem: x,
                        coll: c,
                    });
                }
            },
            TKind::HasAny(a, b) => match (&a.kind, &b.kind) {
                (TKind::Set(items), _) => self.any_of(items, |i| member(i, b), e)?,
                (_, TKind::Set(items)) => self.any_of(items, |i| member(i, a), e)?,
                _ => {
                    let (x, y) = (self.value(a)?, self.value(b)?);
                    self.popped(&[x, y]);
                    self.emit(Instr::HasAny { a: x, b: y });
                }
            },
            TKind::HasAll(a, b) => match &b.kind {
                // `s has all {a, b}`: `s has a and s has b`.
                TKind::Set(items) => {
                    let parts: Vec<TExpr> = items
                        .iter()
                        .map(|i| TExpr {
                            kind: member(i, a),
                            ty: Type::Bool,
                            span: e.span,
                        })
                        .collect();
                    self.all_of(&parts)?;
                }
                _ => {
                    let (x, y) = (self.value(a)?, self.value(b)?);
                    self.popped(&[x, y]);
                    self.emit(Instr::HasAll { a: x, b: y });
                }
            },
            TKind::Like(t, p) => {
                let (x, y) = (self.value(t)?, self.value(p)?);
                self.popped(&[x, y]);
                self.emit(Instr::Like {
                    text: x,
                    pattern: y,
                });
            }
            TKind::Matches(t, pattern) => {
                let x = self.value(t)?;
                let regex = self.pool.regex(pattern)?;
                self.popped(&[x]);
                self.emit(Instr::Matches { text: x, regex });
            }
            TKind::Under(n, d) => match &d.kind {
                TKind::Set(items) => {
                    self.any_of(items, |i| TKind::Under(n.clone(), Box::new(i.clone())), e)?;
                }
                _ => {
                    let x = self.value(n)?;
                    let y = self.value(d)?;
                    if let Src::Const(k) = y {
                        self.pool.mark_domains(k);
                    }
                    self.popped(&[x, y]);
                    self.emit(Instr::Under { name: x, domain: y });
                }
            },
            TKind::Quant(q, set, body) => self.quantifier(*q, set, body)?,
            _ => return Err(internal("a condition that is not a bool")),
        }
        Ok(())
    }

    /// `p1 or p2 or ...` for one generated test per set element.
    fn any_of(
        &mut self,
        items: &[TExpr],
        each: impl Fn(&TExpr) -> TKind,
        e: &TExpr,
    ) -> Result<(), CompileError> {
        if items.is_empty() {
            self.emit(Instr::SetFlag(false));
            return Ok(());
        }
        let mut jumps = Vec::new();
        for (i, item) in items.iter().enumerate() {
            self.cond(&TExpr {
                kind: each(item),
                ty: Type::Bool,
                span: e.span,
            })?;
            if i + 1 < items.len() {
                jumps.push(self.emit(Instr::JumpIfTrue(0)));
            }
        }
        let end = self.here();
        for j in jumps {
            self.patch(j, end);
        }
        Ok(())
    }

    fn all_of(&mut self, parts: &[TExpr]) -> Result<(), CompileError> {
        if parts.is_empty() {
            self.emit(Instr::SetFlag(true));
            return Ok(());
        }
        let mut jumps = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            self.cond(p)?;
            if i + 1 < parts.len() {
                jumps.push(self.emit(Instr::JumpIfFalse(0)));
            }
        }
        let end = self.here();
        for j in jumps {
            self.patch(j, end);
        }
        Ok(())
    }

    fn quantifier(&mut self, q: Quantifier, set: &TExpr, body: &TExpr) -> Result<(), CompileError> {
        let var = self.quants;
        let s = self.value(set)?;
        if s != Src::Stack {
            self.emit(Instr::Push(s));
            self.pushed();
        }
        self.emit(Instr::IterStart);
        self.depth = self.depth.saturating_sub(1);
        let next = self.emit(Instr::IterNext { var, done: 0 });
        self.quants += 1;
        self.cond(body)?;
        self.quants -= 1;
        // Loop while the body has not decided: any stops at true, all at false.
        let any = matches!(q, Quantifier::Any);
        self.emit(if any {
            Instr::JumpIfFalse(next)
        } else {
            Instr::JumpIfTrue(next)
        });
        self.emit(Instr::IterPop);
        let out = self.emit(Instr::Jump(0));
        let done = self.emit(Instr::SetFlag(!any));
        let end = self.here();
        self.patch(next, done);
        self.patch(out, end);
        Ok(())
    }

    /// An operand for `e`: a direct source, or the stack after computing it.
    fn value(&mut self, e: &TExpr) -> Result<Src, CompileError> {
        Ok(match &e.kind {
            TKind::Lit(v) => Src::Const(self.pool.add(&e.ty, v)?),
            TKind::Attr(id) => Src::Attr(id.0),
            TKind::Param(i) => {
                Src::Param(u16::try_from(*i).map_err(|_| internal("parameter index"))?)
            }
            TKind::Var(i) => Src::Var(u16::try_from(*i).map_err(|_| internal("variable index"))?),
            TKind::Arith(op, a, b) => {
                let (x, y) = (self.value(a)?, self.value(b)?);
                self.popped(&[x, y]);
                self.emit(Instr::Arith {
                    op: *op,
                    a: x,
                    b: y,
                });
                self.pushed();
                Src::Stack
            }
            TKind::Field(acc, a) => {
                let x = self.value(a)?;
                self.popped(&[x]);
                self.emit(Instr::Field { acc: *acc, v: x });
                self.pushed();
                Src::Stack
            }
            TKind::Lub(a, b) | TKind::Glb(a, b) => {
                let upper = matches!(e.kind, TKind::Lub(..));
                let (x, y) = (self.value(a)?, self.value(b)?);
                self.popped(&[x, y]);
                self.emit(Instr::Bound { upper, a: x, b: y });
                self.pushed();
                Src::Stack
            }
            TKind::Label(level, bits) => {
                let x = self.value(level)?;
                self.popped(&[x]);
                self.emit(Instr::MakeLabel {
                    level: x,
                    compartments: *bits,
                });
                self.pushed();
                Src::Stack
            }
            TKind::Set(_) => return Err(internal("a computed set outside `in`, `has` or `under`")),
            // Booleans used as values: compute the flag, then push it.
            _ if e.ty == Type::Bool => {
                self.cond(e)?;
                self.emit(Instr::PushFlag);
                self.pushed();
                Src::Stack
            }
            _ => return Err(internal("an expression with no value")),
        })
    }
}

/// `elem in set` as a kind, for the expansions above.
fn member(elem: &TExpr, set: &TExpr) -> TKind {
    TKind::In(
        InKind::Member,
        Box::new(elem.clone()),
        Box::new(set.clone()),
    )
}
