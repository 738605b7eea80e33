//! The types of dictum values.

use serde::{Deserialize, Serialize};

/// Index of an enum in the schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EnumId(pub u32);

/// Index of a lattice in the schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LatticeId(pub u32);

// Encoded flat (`TypeRepr`), so decoding a hostile bundle cannot recurse without bound.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "TypeRepr", try_from = "TypeRepr")]
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

/// The encoded form of a [`Type`]: a scalar kind, its enum or lattice id, and whether it is
/// a set of that kind (sets of sets do not exist).
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct TypeRepr {
    kind: u8,
    id: u32,
    set: bool,
}

impl From<Type> for TypeRepr {
    fn from(t: Type) -> TypeRepr {
        let (inner, set) = match t {
            Type::Set(inner) => (*inner, true),
            other => (other, false),
        };
        let (kind, id) = match inner {
            Type::Bool => (0, 0),
            Type::Int => (1, 0),
            Type::String => (2, 0),
            Type::Ip => (3, 0),
            Type::Cidr => (4, 0),
            Type::Timestamp => (5, 0),
            Type::Duration => (6, 0),
            Type::Time => (7, 0),
            Type::Weekday => (8, 0),
            Type::Enum(e) => (9, e.0),
            Type::Lattice(l) => (10, l.0),
            Type::Never => (11, 0),
            // Not representable: sets of sets. Encoded as an invalid kind that decoding rejects.
            Type::Set(_) => (255, 0),
        };
        TypeRepr { kind, id, set }
    }
}

impl TryFrom<TypeRepr> for Type {
    type Error = String;
    fn try_from(r: TypeRepr) -> Result<Type, String> {
        let t = match r.kind {
            0 => Type::Bool,
            1 => Type::Int,
            2 => Type::String,
            3 => Type::Ip,
            4 => Type::Cidr,
            5 => Type::Timestamp,
            6 => Type::Duration,
            7 => Type::Time,
            8 => Type::Weekday,
            9 => Type::Enum(EnumId(r.id)),
            10 => Type::Lattice(LatticeId(r.id)),
            11 => Type::Never,
            k => return Err(format!("invalid type kind {k}")),
        };
        Ok(if r.set { Type::set_of(t) } else { t })
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
