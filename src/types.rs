//! The types of dictum values.

use serde::{Deserialize, Serialize};

/// Index of an enum in the schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EnumId(pub u32);

/// Index of a lattice in the schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LatticeId(pub u32);

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Type {
    Bool,
    Int,
    String,
    Ip,
    Cidr,
    Timestamp,
    Duration,
    Time,
    Weekday,
    Enum(EnumId),
    Lattice(LatticeId),
    Set(Box<Type>),
    /// The element type of `{}`: fits any set.
    Never,
}

impl Type {
    pub fn set_of(t: Type) -> Type {
        Type::Set(Box::new(t))
    }

    pub fn element(&self) -> Option<&Type> {
        match self {
            Type::Set(t) => Some(t),
            _ => None,
        }
    }

    /// The common type of two values that must have the same type, if any.
    pub fn unify(&self, other: &Type) -> Option<Type> {
        match (self, other) {
            (Type::Never, t) | (t, Type::Never) => Some(t.clone()),
            (Type::Set(a), Type::Set(b)) => Some(Type::set_of(a.unify(b)?)),
            (a, b) if a == b => Some(a.clone()),
            _ => None,
        }
    }

    pub fn is_ordered(&self) -> bool {
        matches!(self, Type::Int | Type::Timestamp | Type::Duration | Type::Time | Type::Weekday | Type::Lattice(_))
    }
}

pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Hooks: the five points at which the runtime asks for a decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Hook {
    Instantiate,
    Access,
    Egress,
    Encrypt,
    Log,
}

impl Hook {
    pub const ALL: [Hook; 5] = [Hook::Instantiate, Hook::Access, Hook::Egress, Hook::Encrypt, Hook::Log];

    pub fn name(self) -> &'static str {
        match self {
            Hook::Instantiate => "instantiate",
            Hook::Access => "access",
            Hook::Egress => "egress",
            Hook::Encrypt => "encrypt",
            Hook::Log => "log",
        }
    }

    pub fn from_name(s: &str) -> Option<Hook> {
        Hook::ALL.into_iter().find(|h| h.name() == s)
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// Hooks whose outcome is allow or deny.
    pub fn is_authorization(self) -> bool {
        matches!(self, Hook::Instantiate | Hook::Access | Hook::Egress)
    }
}

impl std::fmt::Display for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
