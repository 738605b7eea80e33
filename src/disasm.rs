//! A readable listing of a bundle: constants, then each body's rules and code. Used by
//! `dictum disasm` and by the golden bytecode tests.

use crate::bundle::{Bundle, ConstDef, FlatScalar, RuleOp};
use crate::schema::{ACTION_ENUM, CIPHER_ENUM, LOG_FIELD_ENUM};
use crate::types::Type;
use crate::vm::{Instr, Src};
use std::fmt::Write as _;

fn flat_text(f: &FlatScalar) -> String {
    match f {
        FlatScalar::Bool(b) => b.to_string(),
        FlatScalar::Num(n) => n.to_string(),
        FlatScalar::Str(s) => format!("{s:?}"),
        FlatScalar::Ip(i) => i.to_string(),
        FlatScalar::Cidr(c) => c.to_string(),
        FlatScalar::Label(l, c) => format!("label({l}, {c:#x})"),
    }
}

/// A constant's value in policy syntax (enum names, timestamps as dates, ...).
fn typed_text(b: &Bundle, ty: &Type, f: &FlatScalar) -> String {
    use crate::value::Value;
    let v = match (f, ty) {
        (FlatScalar::Num(n), Type::Enum(_)) => Value::Enum(u32::try_from(*n).unwrap_or(u32::MAX)),
        (FlatScalar::Num(n), Type::Lattice(_)) => {
            Value::Level(u32::try_from(*n).unwrap_or(u32::MAX))
        }
        (FlatScalar::Num(n), Type::Timestamp) => Value::Timestamp(*n),
        (FlatScalar::Num(n), Type::Duration) => Value::Duration(*n),
        (FlatScalar::Num(n), Type::Time) => Value::Time(u32::try_from(*n).unwrap_or(0)),
        (FlatScalar::Num(n), Type::Weekday) => Value::Weekday(u8::try_from(*n).unwrap_or(0)),
        (FlatScalar::Label(l, c), Type::Lattice(_)) => Value::Label {
            level: *l,
            compartments: *c,
        },
        _ => return flat_text(f),
    };
    v.display(ty, &b.schema)
}

fn const_text(b: &Bundle, c: &ConstDef) -> String {
    let ty = b.schema.type_name(&c.ty);
    let elem = c.ty.element().unwrap_or(&c.ty);
    let items: Vec<String> = c.items.iter().map(|f| typed_text(b, elem, f)).collect();
    let shown: String = if matches!(c.ty, Type::Set(_)) {
        let mut v = items.clone();
        if v.len() > 8 {
            let n = v.len();
            v.truncate(8);
            v.push(format!("... {} more", n - 8));
        }
        format!("{{{}}}", v.join(", "))
    } else {
        items.join("")
    };
    format!(
        "{ty} {shown}{}",
        if c.domains { " (domain index)" } else { "" }
    )
}

fn mask_names(b: &Bundle, enum_name: &str, mask: u64) -> String {
    if mask == u64::MAX {
        return "*".into();
    }
    let values = b
        .schema
        .enum_named(enum_name)
        .and_then(|e| b.schema.enum_def(e))
        .map(|d| d.values.clone())
        .unwrap_or_default();
    let names: Vec<String> = (0..64)
        .filter(|i| mask & (1u64 << i) != 0)
        .map(|i| values.get(i).cloned().unwrap_or_else(|| format!("#{i}")))
        .collect();
    names.join(", ")
}

fn enum_name(b: &Bundle, enum_name: &str, i: u32) -> String {
    b.schema
        .enum_named(enum_name)
        .and_then(|e| b.schema.enum_def(e))
        .and_then(|d| d.values.get(i as usize).cloned())
        .unwrap_or_else(|| format!("#{i}"))
}

fn src(b: &Bundle, s: Src) -> String {
    match s {
        Src::Attr(i) => b.schema.attr_path(crate::schema::AttrId(i)),
        Src::Const(k) => match b.consts.get(k as usize) {
            Some(c) if !matches!(c.ty, Type::Set(_)) => format!(
                "#{k} {}",
                c.items
                    .first()
                    .map(|f| typed_text(b, &c.ty, f))
                    .unwrap_or_default()
            ),
            _ => format!("#{k}"),
        },
        Src::Param(p) => format!("param{p}"),
        Src::Var(v) => format!("var{v}"),
        Src::Stack => "pop".into(),
    }
}

fn instr(b: &Bundle, i: &Instr) -> String {
    match *i {
        Instr::Push(s) => format!("push      {}", src(b, s)),
        Instr::Truth(s) => format!("truth     {}", src(b, s)),
        Instr::Has(slot) => format!(
            "has       {}",
            b.schema.attr_path(crate::schema::AttrId(slot))
        ),
        Instr::Cmp { op, a, b: y } => format!(
            "cmp.{:<5} {}, {}",
            format!("{op:?}").to_lowercase(),
            src(b, a),
            src(b, y)
        ),
        Instr::In { kind, elem, coll } => format!(
            "in.{:<6} {}, {}",
            format!("{kind:?}").to_lowercase(),
            src(b, elem),
            src(b, coll)
        ),
        Instr::HasAny { a, b: y } => format!("hasany    {}, {}", src(b, a), src(b, y)),
        Instr::HasAll { a, b: y } => format!("hasall    {}, {}", src(b, a), src(b, y)),
        Instr::Like { text, pattern } => format!("like      {}, {}", src(b, text), src(b, pattern)),
        Instr::Matches { text, regex } => {
            format!(
                "matches   {}, /{}/",
                src(b, text),
                b.regexes.get(regex as usize).map_or("?", String::as_str)
            )
        }
        Instr::Under { name, domain } => format!("under     {}, {}", src(b, name), src(b, domain)),
        Instr::Arith { op, a, b: y } => format!(
            "{:<9} {}, {}",
            format!("{op:?}").to_lowercase(),
            src(b, a),
            src(b, y)
        ),
        Instr::Field { acc, v } => format!("field     {}.{}", src(b, v), acc.name()),
        Instr::Bound { upper, a, b: y } => format!(
            "{}       {}, {}",
            if upper { "lub" } else { "glb" },
            src(b, a),
            src(b, y)
        ),
        Instr::MakeLabel {
            level,
            compartments,
        } => format!("label     {}, {compartments:#x}", src(b, level)),
        Instr::PushFlag => "pushflag".into(),
        Instr::SetFlag(v) => format!("setflag   {v}"),
        Instr::Not => "not".into(),
        Instr::Jump(t) => format!("jump      @{t}"),
        Instr::JumpIfTrue(t) => format!("jumpif    @{t}"),
        Instr::JumpIfFalse(t) => format!("jumpifnot @{t}"),
        Instr::IterStart => "iter".into(),
        Instr::IterNext { var, done } => format!("next      var{var}, done @{done}"),
        Instr::IterPop => "iterpop".into(),
        Instr::Ret => "ret".into(),
    }
}

fn rule_op(b: &Bundle, op: RuleOp, actions: u64) -> String {
    let acts = if actions == u64::MAX {
        String::new()
    } else {
        format!(" {}", mask_names(b, ACTION_ENUM, actions))
    };
    match op {
        RuleOp::Permit => format!("permit{acts}"),
        RuleOp::Forbid => format!("forbid{acts}"),
        RuleOp::Default(o) => format!("default {}", format!("{o:?}").to_lowercase()),
        RuleOp::Use(c) => format!("use {}", enum_name(b, CIPHER_ENUM, c)),
        RuleOp::ForbidCiphers(m) => format!("forbid {}", mask_names(b, CIPHER_ENUM, m)),
        RuleOp::DefaultCipher(c) => format!("default {}", enum_name(b, CIPHER_ENUM, c)),
        RuleOp::Record(m) => format!("record {}", mask_names(b, LOG_FIELD_ENUM, m)),
        RuleOp::Redact(m) => format!("redact {}", mask_names(b, LOG_FIELD_ENUM, m)),
    }
}

/// The whole listing.
pub fn disassemble(b: &Bundle) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "bundle: format {}, dictum {}, sources {:016x}, {} policies, {} bodies, {} constants",
        crate::bundle::FORMAT_VERSION,
        b.dictum_version,
        b.source_hash,
        b.policies.len(),
        b.bodies.len(),
        b.consts.len()
    );
    let costs = b.hook_costs();
    for h in crate::types::Hook::ALL {
        if let Some(c) = costs.get(h.index())
            && c.total() > 0
        {
            let _ = writeln!(
                out,
                "cost {:<11} {} (platform {} + largest domain {})",
                h.name(),
                c.total(),
                c.platform,
                c.largest_domain
            );
        }
    }
    out.push_str("\nconstants:\n");
    for (i, c) in b.consts.iter().enumerate() {
        let _ = writeln!(out, "  #{i:<4} {}", const_text(b, c));
    }
    for (i, r) in b.regexes.iter().enumerate() {
        let _ = writeln!(out, "  regex{i} /{r}/");
    }
    for (bi, body) in b.bodies.iter().enumerate() {
        let users: Vec<String> = b
            .policies
            .iter()
            .filter(|p| p.body as usize == bi)
            .map(|p| format!("{}/{}", p.scope, p.name))
            .collect();
        let what = match &body.template {
            Some(t) => format!("template {t}"),
            None => "policy".into(),
        };
        let _ = writeln!(
            out,
            "\nbody {bi}: {what} on {}, max stack {}; used by {}",
            body.hook,
            body.max_stack,
            users.join("; ")
        );
        for r in &body.rules {
            let entry = r.entry.map_or("always".to_string(), |e| format!("@{e}"));
            let _ = writeln!(
                out,
                "  rule #{} {} when {} (cost {}, line {})",
                r.index + 1,
                rule_op(b, r.op, r.actions),
                entry,
                r.cost,
                r.line
            );
        }
        for (pc, ins) in body.code.iter().enumerate() {
            let _ = writeln!(out, "  @{pc:<4} {}", instr(b, ins));
        }
    }
    out
}
