//! Values: what constants, template arguments and request attributes hold.
//!
//! A value does not carry its type: enums and lattice levels are indices whose meaning the
//! [`Type`] beside them gives (the checker always knows it).

use crate::schema::{LatticeShape, Schema};
use crate::syntax::format_timestamp;
use crate::types::{Type, WEEKDAYS};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::net::IpAddr;

/// A value of any dictum type; its type is kept beside it, not in it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Value {
    /// `true`, `false`
    Bool(bool),
    /// A 64-bit integer.
    Int(i64),
    /// A string.
    Str(String),
    /// An IPv4 or IPv6 address.
    Ip(IpAddr),
    /// A network.
    Cidr(ipnetwork::IpNetwork),
    /// Seconds since the Unix epoch, UTC.
    Timestamp(i64),
    /// Seconds.
    Duration(i64),
    /// Seconds since midnight, UTC.
    Time(u32),
    /// 0 = Monday .. 6 = Sunday.
    Weekday(u8),
    /// Index of the value in its enum.
    Enum(u32),
    /// Index of the level in its total-order lattice (0 is lowest).
    Level(u32),
    /// A product-lattice value: a level of the base lattice and a compartment bitset.
    Label {
        /// Index of the level in the base lattice.
        level: u32,
        /// Bit i: compartment i of the lattice, as declared.
        compartments: u64,
    },
    /// A finite set, ordered and without duplicates.
    Set(BTreeSet<Value>),
}

impl Value {
    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The value in policy syntax, for messages, explanations and the formatter.
    pub fn display(&self, ty: &Type, schema: &Schema) -> String {
        match (self, ty) {
            (Value::Bool(b), _) => b.to_string(),
            (Value::Int(i), _) => i.to_string(),
            (Value::Str(s), _) => format!("{s:?}"),
            (Value::Ip(ip), _) => ip.to_string(),
            (Value::Cidr(c), _) => c.to_string(),
            (Value::Timestamp(t), _) => format_timestamp(*t),
            (Value::Duration(d), _) => format_duration(*d),
            (Value::Time(t), _) => format!("{:02}:{:02}:{:02}", t / 3600, t % 3600 / 60, t % 60),
            (Value::Weekday(w), _) => WEEKDAYS
                .get(usize::from(*w))
                .copied()
                .unwrap_or("?")
                .to_string(),
            (Value::Enum(i), Type::Enum(e)) => schema
                .enum_def(*e)
                .and_then(|d| d.values.get(*i as usize))
                .cloned()
                .unwrap_or_else(|| "?".into()),
            (Value::Level(i), Type::Lattice(l)) => match schema.lattice(*l).map(|d| &d.shape) {
                Some(LatticeShape::Levels(ls)) => {
                    ls.get(*i as usize).cloned().unwrap_or_else(|| "?".into())
                }
                _ => "?".into(),
            },
            (
                Value::Label {
                    level,
                    compartments,
                },
                Type::Lattice(l),
            ) => match schema.lattice(*l) {
                Some(def) => match &def.shape {
                    LatticeShape::Product {
                        base,
                        compartments: names,
                    } => {
                        let lvl = Value::Level(*level).display(&Type::Lattice(*base), schema);
                        let comps = crate::schema::compartments_named(names, *compartments);
                        format!("{}({lvl}, {{{}}})", def.name, comps.join(", "))
                    }
                    LatticeShape::Levels(_) => "?".into(),
                },
                None => "?".into(),
            },
            (Value::Set(items), t) => {
                let elem = t.element().cloned().unwrap_or(Type::Never);
                let parts: Vec<String> = items.iter().map(|v| v.display(&elem, schema)).collect();
                format!("{{{}}}", parts.join(", "))
            }
            _ => "?".into(),
        }
    }
}

/// A duration in seconds as written in policies, largest units first: `1h30m`, `0s`.
pub fn format_duration(mut secs: i64) -> String {
    if secs == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    if secs < 0 {
        out.push('-');
        secs = -secs;
    }
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    out
}
