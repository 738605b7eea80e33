//! The types of dictum values.

use serde::{Deserialize, Serialize};

/// Index of an enum in the schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EnumId(pub u32);

/// Index of a lattice in the schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LatticeId(pub u32);

/// The type of a value, attribute, parameter or expression.
// Encoded flat (`TypeRepr`), so decoding a hostile bundle cannot recurse without bound.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "TypeRepr", try_from = "TypeRepr")]
pub enum Type {
    /// `bool`
    Bool,
    /// `int`: 64-bit signed.
    Int,
    /// `string`
    String,
    /// `ip`: an IPv4 or IPv6 address.
    Ip,
    /// `cidr`: a network.
    Cidr,
    /// `timestamp`: seconds since the Unix epoch, UTC.
    Timestamp,
    /// `duration`: whole seconds.
    Duration,
    /// `time`: time of day, seconds since midnight UTC.
    Time,
    /// `weekday`: `mon` (lowest) to `sun`.
    Weekday,
    /// An enum of the schema.
    Enum(EnumId),
    /// A lattice of the schema (total order or product).
    Lattice(LatticeId),
    /// `set<T>`; never a set of sets.
    Set(Box<Type>),
    /// The element type of `{}`: fits any set.
    Never,
}

impl Type {
    /// `set<t>`.
    pub fn set_of(t: Type) -> Type {
        Type::Set(Box::new(t))
    }

    /// The element type of a set type; `None` for other types.
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

    /// Whether `<`, `<=`, `>` and `>=` apply (on lattices, `<=` is dominance).
    pub fn is_ordered(&self) -> bool {
        matches!(
            self,
            Type::Int
                | Type::Timestamp
                | Type::Duration
                | Type::Time
                | Type::Weekday
                | Type::Lattice(_)
        )
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

/// Weekday names as written in policies, by weekday value (`mon` is 0).
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Hooks: the five points at which the runtime asks for a decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Hook {
    /// May this object worker start, migrate to, or follow on this server? Allow or deny.
    Instantiate,
    /// May this client talk to the object worker, and with which right? Allow or deny.
    Access,
    /// May the object worker send data to this host or object? Allow or deny.
    Egress,
    /// Which cipher must protect the object's data? One cipher, or deny.
    Encrypt,
    /// Which request fields are recorded, which redacted?
    Log,
}

impl Hook {
    /// Every hook, in index order.
    pub const ALL: [Hook; 5] = [
        Hook::Instantiate,
        Hook::Access,
        Hook::Egress,
        Hook::Encrypt,
        Hook::Log,
    ];

    /// The hook's name as written in policies.
    pub fn name(self) -> &'static str {
        match self {
            Hook::Instantiate => "instantiate",
            Hook::Access => "access",
            Hook::Egress => "egress",
            Hook::Encrypt => "encrypt",
            Hook::Log => "log",
        }
    }

    /// The hook with this name; `None` if there is none.
    pub fn from_name(s: &str) -> Option<Hook> {
        Hook::ALL.into_iter().find(|h| h.name() == s)
    }

    /// Position in [`Hook::ALL`], 0 to 4: the index of per-hook tables and bits.
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
