//! Requests: one slot per schema attribute. The typed builder borrows the caller's data
//! and never allocates; [`RequestBuf`] owns data parsed from JSON.

use crate::bundle::MAX_ATTRS;
use crate::compile::MAX_REQUEST_SET;
use crate::schema::{AttrId, LatticeShape, Schema};
use crate::syntax::parse_timestamp;
use crate::types::{Type, WEEKDAYS};
use crate::value::Value;
use crate::vm::consts::Scalar;
use crate::vm::{SetView, Slot};
use std::net::IpAddr;

/// A problem with a request, naming the attribute path it concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestError {
    /// `entity.attr`, or the JSON path for structural problems (`$`, `client`).
    pub path: String,
    /// What is wrong, in the diagnostic style.
    pub message: String,
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for RequestError {}

#[cold]
#[inline(never)]
fn rerr<T>(path: impl Into<String>, message: impl Into<String>) -> Result<T, RequestError> {
    Err(RequestError {
        path: path.into(),
        message: message.into(),
    })
}

/// A resolved attribute: its slot and type, obtained once from `Engine::attr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attr {
    /// The schema the handle was resolved in and the kind of value the attribute holds,
    /// in one word ([`handle_key`]): a setter checks both with one comparison against a
    /// key it computes from the request's schema and its own kind, a constant.
    pub(crate) key: u64,
    pub(crate) id: AttrId,
    pub(crate) kind: Kind,
}

/// The word a setter compares: the schema fingerprint with its low byte replaced by the
/// kind's code. Two schemas collide only if their fingerprints agree in 56 bits.
#[inline(always)]
pub(crate) const fn handle_key(schema_fp: u64, kind_code: u8) -> u64 {
    (schema_fp & !0xff) | kind_code as u64
}

impl Attr {
    /// The attribute's slot.
    pub fn id(&self) -> AttrId {
        self.id
    }
}

/// What kind of value an attribute holds, as the builder checks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Bool,
    Int,
    Str,
    Ip,
    Cidr,
    Timestamp,
    Duration,
    Time,
    /// Enum values, lattice levels and weekdays: set with a [`Symbol`].
    Symbol(u32),
    Label,
    StrSet,
    NumSet,
    IpSet,
    OtherSet,
}

impl Kind {
    /// A small number per kind, for [`handle_key`]. Every symbol kind has one code: the
    /// symbol itself names the attribute it was resolved for.
    pub(crate) const fn code(self) -> u8 {
        match self {
            Kind::Bool => 1,
            Kind::Int => 2,
            Kind::Str => 3,
            Kind::Ip => 4,
            Kind::Cidr => 5,
            Kind::Timestamp => 6,
            Kind::Duration => 7,
            Kind::Time => 8,
            Kind::Symbol(_) => 9,
            Kind::Label => 10,
            Kind::StrSet => 11,
            Kind::NumSet => 12,
            Kind::IpSet => 13,
            Kind::OtherSet => 14,
        }
    }
}

/// An enum value, lattice level or weekday resolved for one attribute
/// (`Engine::symbol(attr, "managed")`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub(crate) attr: AttrId,
    pub(crate) index: u32,
}

/// A product-lattice value resolved for one attribute (`Engine::label`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LabelValue {
    pub(crate) attr: AttrId,
    pub(crate) level: u32,
    pub(crate) compartments: u64,
}

pub(crate) fn kind_of(schema: &Schema, ty: &Type) -> Kind {
    if let Type::Lattice(l) = ty
        && let Some(LatticeShape::Product { .. }) = schema.lattice(*l).map(|d| &d.shape)
    {
        return Kind::Label;
    }
    match ty {
        Type::Bool => Kind::Bool,
        Type::Int => Kind::Int,
        Type::String => Kind::Str,
        Type::Ip => Kind::Ip,
        Type::Cidr => Kind::Cidr,
        Type::Timestamp => Kind::Timestamp,
        Type::Duration => Kind::Duration,
        Type::Time => Kind::Time,
        Type::Weekday => Kind::Symbol(u32::MAX),
        Type::Enum(e) => Kind::Symbol(e.0),
        Type::Lattice(_) => Kind::Symbol(u32::MAX - 1),
        Type::Set(inner) => match **inner {
            Type::String => Kind::StrSet,
            Type::Int
            | Type::Timestamp
            | Type::Duration
            | Type::Time
            | Type::Weekday
            | Type::Enum(_) => Kind::NumSet,
            Type::Lattice(_) => Kind::OtherSet,
            Type::Ip => Kind::IpSet,
            _ => Kind::OtherSet,
        },
        Type::Never => Kind::OtherSet,
    }
}

/// A request under construction or ready for evaluation.
///
/// The slots are a fixed array of [`MAX_ATTRS`] whatever the schema's size, so that a
/// setter and the evaluator index them without a bounds check (an attribute id is below
/// `MAX_ATTRS` by construction); a slot is read only when its presence bit is set.
#[derive(Clone, Debug)]
pub struct Request<'a> {
    pub(crate) slots: Box<[Slot<'a>; MAX_ATTRS]>,
    pub(crate) present: [u64; MAX_ATTRS / 64],
    /// Fingerprint of the schema the slots are numbered by.
    pub(crate) schema_fp: u64,
    pub(crate) kinds: std::sync::Arc<[Kind]>,
}

impl<'a> Request<'a> {
    pub(crate) fn new(schema_fp: u64, kinds: std::sync::Arc<[Kind]>) -> Request<'a> {
        Request {
            slots: Box::new([Slot::Absent; MAX_ATTRS]),
            present: [0; MAX_ATTRS / 64],
            schema_fp,
            kinds,
        }
    }

    /// Forget every value, keeping the storage for the next request. Only the presence
    /// bits are reset: a slot is read only when its bit is set.
    #[inline]
    pub fn clear(&mut self) {
        self.present = [0; MAX_ATTRS / 64];
    }

    #[inline(always)]
    fn put(&mut self, a: Attr, want: Kind, slot: Slot<'a>, what: &str) -> Result<(), RequestError> {
        let i = a.id.0 as usize;
        // The handle was resolved in this schema (so `a.kind` is the attribute's kind), and
        // the value has that kind: one comparison, the right side folds to a constant and
        // the request's fingerprint.
        if a.key != handle_key(self.schema_fp, want.code()) {
            return Err(self.wrong(a, what));
        }
        // `i % MAX_ATTRS` is `i` for every handle (ids are below `MAX_ATTRS`), and lets
        // both writes go without a bounds check.
        let i = i % MAX_ATTRS;
        if let (Some(s), Some(w)) = (self.slots.get_mut(i), self.present.get_mut(i / 64)) {
            *s = slot;
            *w |= 1u64 << (i % 64);
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn wrong(&self, a: Attr, what: &str) -> RequestError {
        let i = a.id.0 as usize;
        if a.key & !0xff != self.schema_fp & !0xff || self.kinds.get(i) != Some(&a.kind) {
            RequestError {
                path: format!("attribute #{i}"),
                message: "this attribute handle belongs to another schema".into(),
            }
        } else {
            RequestError {
                path: format!("attribute #{i}"),
                message: format!("this attribute does not hold {what}"),
            }
        }
    }

    #[inline]
    /// Set a `bool` attribute.
    pub fn set_bool(&mut self, a: Attr, v: bool) -> Result<(), RequestError> {
        self.put(a, Kind::Bool, Slot::Scalar(Scalar::Bool(v)), "a bool")
    }

    #[inline]
    /// Set an `int` attribute.
    pub fn set_int(&mut self, a: Attr, v: i64) -> Result<(), RequestError> {
        self.put(a, Kind::Int, Slot::Scalar(Scalar::Num(v)), "an int")
    }

    /// Seconds since the Unix epoch.
    #[inline]
    pub fn set_timestamp(&mut self, a: Attr, secs: i64) -> Result<(), RequestError> {
        self.put(
            a,
            Kind::Timestamp,
            Slot::Scalar(Scalar::Num(secs)),
            "a timestamp",
        )
    }

    /// Seconds.
    #[inline]
    pub fn set_duration(&mut self, a: Attr, secs: i64) -> Result<(), RequestError> {
        self.put(
            a,
            Kind::Duration,
            Slot::Scalar(Scalar::Num(secs)),
            "a duration",
        )
    }

    /// Seconds since midnight (0 to 86399).
    #[inline]
    pub fn set_time_of_day(&mut self, a: Attr, secs: u32) -> Result<(), RequestError> {
        if secs >= 86_400 {
            return rerr(
                format!("attribute #{}", a.id.0),
                "a time of day is less than 86400 seconds",
            );
        }
        self.put(
            a,
            Kind::Time,
            Slot::Scalar(Scalar::Num(i64::from(secs))),
            "a time of day",
        )
    }

    #[inline]
    /// Set a `string` attribute (borrowed: no copy).
    pub fn set_str(&mut self, a: Attr, v: &'a str) -> Result<(), RequestError> {
        self.put(a, Kind::Str, Slot::Scalar(Scalar::Str(v)), "a string")
    }

    #[inline]
    /// Set an `ip` attribute.
    pub fn set_ip(&mut self, a: Attr, v: IpAddr) -> Result<(), RequestError> {
        self.put(a, Kind::Ip, Slot::Scalar(Scalar::Ip(v)), "an IP address")
    }

    #[inline]
    /// Set a `cidr` attribute.
    pub fn set_cidr(&mut self, a: Attr, v: ipnetwork::IpNetwork) -> Result<(), RequestError> {
        self.put(a, Kind::Cidr, Slot::Scalar(Scalar::Cidr(v)), "a network")
    }

    /// An enum value, lattice level or weekday resolved by `Engine::symbol`.
    #[inline]
    pub fn set_symbol(&mut self, a: Attr, s: Symbol) -> Result<(), RequestError> {
        if s.attr != a.id || !matches!(a.kind, Kind::Symbol(_)) {
            return Err(symbol_error(a, s));
        }
        self.put(
            a,
            a.kind,
            Slot::Scalar(Scalar::Num(i64::from(s.index))),
            "a symbol",
        )
    }

    /// A product-lattice value resolved by `Engine::label`.
    #[inline]
    pub fn set_label(&mut self, a: Attr, v: LabelValue) -> Result<(), RequestError> {
        if v.attr != a.id {
            return rerr(
                format!("attribute #{}", a.id.0),
                "this label was resolved for another attribute",
            );
        }
        self.put(
            a,
            Kind::Label,
            Slot::Scalar(Scalar::Label(v.level, v.compartments)),
            "a label",
        )
    }

    #[inline]
    /// Set a `set<string>` attribute (borrowed; at most 1,024 elements).
    pub fn set_strs(&mut self, a: Attr, v: &'a [&'a str]) -> Result<(), RequestError> {
        check_len(a, v.len())?;
        self.put(
            a,
            Kind::StrSet,
            Slot::Set(SetView::Strs(v)),
            "a set of strings",
        )
    }

    #[inline]
    /// Set a set of numbers (ints, timestamps, enum values as indices; at most 1,024).
    pub fn set_ints(&mut self, a: Attr, v: &'a [i64]) -> Result<(), RequestError> {
        check_len(a, v.len())?;
        self.put(
            a,
            Kind::NumSet,
            Slot::Set(SetView::Nums(v)),
            "a set of numbers",
        )
    }

    #[inline]
    /// Set a `set<ip>` attribute (at most 1,024 elements).
    pub fn set_ips(&mut self, a: Attr, v: &'a [IpAddr]) -> Result<(), RequestError> {
        check_len(a, v.len())?;
        self.put(
            a,
            Kind::IpSet,
            Slot::Set(SetView::Ips(v)),
            "a set of addresses",
        )
    }

    /// The attributes as the VM reads them.
    pub(crate) fn slots(&self) -> crate::vm::Slots<'_> {
        crate::vm::Slots {
            values: &self.slots,
            present: &self.present,
        }
    }

    /// Whether the request carries the attribute.
    pub fn has(&self, a: Attr) -> bool {
        let i = a.id.0 as usize;
        self.present
            .get(i / 64)
            .is_some_and(|w| w & (1u64 << (i % 64)) != 0)
    }
}

#[cold]
#[inline(never)]
fn symbol_error(a: Attr, s: Symbol) -> RequestError {
    RequestError {
        path: format!("attribute #{}", a.id.0),
        message: if s.attr != a.id {
            "this symbol was resolved for another attribute".into()
        } else {
            "not an enum, lattice or weekday attribute".into()
        },
    }
}

#[inline]
fn check_len(a: Attr, n: usize) -> Result<(), RequestError> {
    if n > MAX_REQUEST_SET as usize {
        return Err(too_many(a, n));
    }
    Ok(())
}

#[cold]
#[inline(never)]
fn too_many(a: Attr, n: usize) -> RequestError {
    RequestError {
        path: format!("attribute #{}", a.id.0),
        message: format!("a set in a request has at most {MAX_REQUEST_SET} elements, found {n}"),
    }
}

/// One owned attribute value.
#[derive(Clone, Debug, PartialEq)]
pub enum Owned {
    /// A single value.
    Scalar(Value),
    /// A set: elements in order, without duplicates.
    Set(Vec<Value>),
}

/// A request that owns its data: parsed from JSON, or built from values.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestBuf {
    pub(crate) values: Vec<Option<Owned>>,
    pub(crate) schema_fp: u64,
    pub(crate) kinds: std::sync::Arc<[Kind]>,
}

impl RequestBuf {
    /// The request as the reference interpreter reads it.
    pub fn values(&self) -> Vec<Option<Value>> {
        self.values
            .iter()
            .map(|v| {
                v.as_ref().map(|o| match o {
                    Owned::Scalar(v) => v.clone(),
                    Owned::Set(items) => Value::Set(items.iter().cloned().collect()),
                })
            })
            .collect()
    }

    /// A view for evaluation (allocates the slot array; use the typed builder on hot paths).
    pub fn view(&self) -> Request<'_> {
        let mut r = Request::new(self.schema_fp, self.kinds.clone());
        for (i, v) in self.values.iter().enumerate() {
            let slot = match v {
                None => continue,
                Some(Owned::Scalar(v)) => match crate::vm::scalar_of(v) {
                    Some(s) => Slot::Scalar(s),
                    None => continue,
                },
                Some(Owned::Set(items)) => Slot::Set(SetView::Values(items)),
            };
            if let Some(s) = r.slots.get_mut(i) {
                *s = slot;
            }
            if let Some(w) = r.present.get_mut(i / 64) {
                *w |= 1u64 << (i % 64);
            }
        }
        r
    }

    /// Build from attribute values (by slot). Values must fit the schema's types.
    pub(crate) fn from_values(
        schema: &Schema,
        schema_fp: u64,
        kinds: std::sync::Arc<[Kind]>,
        values: Vec<Option<Value>>,
    ) -> RequestBuf {
        let values = values
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let set = schema
                    .attrs
                    .get(i)
                    .is_some_and(|a| matches!(a.ty, Type::Set(_)));
                v.map(|v| match (v, set) {
                    (Value::Set(items), true) => Owned::Set(items.into_iter().collect()),
                    (v, _) => Owned::Scalar(v),
                })
            })
            .collect();
        RequestBuf {
            values,
            schema_fp,
            kinds,
        }
    }

    /// Parse the JSON request format (docs/LANGUAGE.md, "The request format").
    pub(crate) fn from_json(
        schema: &Schema,
        schema_fp: u64,
        kinds: std::sync::Arc<[Kind]>,
        text: &str,
    ) -> Result<RequestBuf, RequestError> {
        let root: serde_json::Value = serde_json::from_str(text).map_err(|e| RequestError {
            path: "$".into(),
            message: format!(
                "invalid JSON at line {}, column {}: {}",
                e.line(),
                e.column(),
                json_reason(&e)
            ),
        })?;
        let serde_json::Value::Object(entities) = root else {
            return rerr("$", "a request is a JSON object with one member per entity");
        };
        let mut values: Vec<Option<Owned>> = vec![None; schema.attrs.len()];
        for (ename, evalue) in &entities {
            let Some((_, entity)) = schema.entity_named(ename) else {
                let names: Vec<&str> = schema.entities.iter().map(|e| e.name.as_str()).collect();
                return rerr(
                    ename.clone(),
                    format!(
                        "unknown entity `{ename}`; the entities are {}",
                        names.join(", ")
                    ),
                );
            };
            let serde_json::Value::Object(attrs) = evalue else {
                return rerr(
                    ename.clone(),
                    format!(
                        "expected an object of attributes, found {}",
                        json_kind(evalue)
                    ),
                );
            };
            for (aname, avalue) in attrs {
                let path = format!("{ename}.{aname}");
                let Some(id) = entity
                    .attrs
                    .iter()
                    .copied()
                    .find(|id| schema.attr(*id).is_some_and(|a| a.name == *aname))
                else {
                    return rerr(path, format!("entity `{ename}` has no attribute `{aname}`"));
                };
                let Some(attr) = schema.attr(id) else {
                    continue;
                };
                if avalue.is_null() {
                    if attr.optional {
                        continue;
                    }
                    return rerr(path, "a required attribute cannot be null");
                }
                let v = match &attr.ty {
                    Type::Set(elem) => {
                        let serde_json::Value::Array(items) = avalue else {
                            return rerr(
                                path,
                                format!("expected an array, found {}", json_kind(avalue)),
                            );
                        };
                        if items.len() > MAX_REQUEST_SET as usize {
                            return rerr(
                                path,
                                format!(
                                    "a set has at most {MAX_REQUEST_SET} elements, found {}",
                                    items.len()
                                ),
                            );
                        }
                        let mut out: Vec<Value> = Vec::with_capacity(items.len());
                        for (k, item) in items.iter().enumerate() {
                            let v = json_scalar(schema, elem, item, &format!("{path}[{k}]"))?;
                            if !out.contains(&v) {
                                out.push(v);
                            }
                        }
                        Owned::Set(out)
                    }
                    ty => Owned::Scalar(json_scalar(schema, ty, avalue, &path)?),
                };
                if let Some(slot) = values.get_mut(id.0 as usize) {
                    *slot = Some(v);
                }
            }
        }
        Ok(RequestBuf {
            values,
            schema_fp,
            kinds,
        })
    }
}

fn json_reason(e: &serde_json::Error) -> String {
    let s = e.to_string();
    // serde_json appends " at line L column C"; the position is given separately.
    match s.find(" at line ") {
        Some(i) => s.get(..i).unwrap_or(&s).to_string(),
        None => s,
    }
}

fn json_kind(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "null".into(),
        serde_json::Value::Bool(b) => format!("`{b}`"),
        serde_json::Value::Number(n) => format!("the number `{n}`"),
        serde_json::Value::String(s) => {
            format!("the string {}", serde_json::Value::String(shorten(s)))
        }
        serde_json::Value::Array(_) => "an array".into(),
        serde_json::Value::Object(_) => "an object".into(),
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() <= 40 {
        s.to_string()
    } else {
        format!("{}...", s.chars().take(40).collect::<String>())
    }
}

fn json_scalar(
    schema: &Schema,
    ty: &Type,
    v: &serde_json::Value,
    path: &str,
) -> Result<Value, RequestError> {
    let want = |what: &str| rerr(path, format!("expected {what}, found {}", json_kind(v)));
    let text = v.as_str();
    match ty {
        Type::Bool => v
            .as_bool()
            .map(Value::Bool)
            .map_or_else(|| want("`true` or `false`"), Ok),
        Type::Int => v
            .as_i64()
            .map(Value::Int)
            .map_or_else(|| want("an integer"), Ok),
        Type::String => match text {
            Some(s) if s.len() > 64 << 10 => {
                rerr(path, "a string in a request is at most 65536 bytes")
            }
            Some(s) => Ok(Value::Str(s.to_string())),
            None => want("a string"),
        },
        Type::Ip => text
            .and_then(|s| s.parse().ok())
            .map(Value::Ip)
            .map_or_else(|| want("an IP address"), Ok),
        Type::Cidr => match text.and_then(|s| s.parse::<ipnetwork::IpNetwork>().ok()) {
            Some(n) if n.network() == n.ip() => Ok(Value::Cidr(n)),
            Some(_) => rerr(path, "a network must have its host bits zero"),
            None => want("a network such as \"10.0.0.0/8\""),
        },
        Type::Timestamp => match (text.and_then(parse_timestamp), v.as_i64()) {
            (Some(t), _) | (None, Some(t)) => Ok(Value::Timestamp(t)),
            _ => want("a timestamp (\"YYYY-MM-DDTHH:MM:SSZ\" or seconds since the epoch)"),
        },
        Type::Duration => match (
            text.and_then(crate::syntax::parse_duration_text),
            v.as_i64(),
        ) {
            (Some(d), _) | (None, Some(d)) => Ok(Value::Duration(d)),
            _ => want("a duration (\"1h30m\" or seconds)"),
        },
        Type::Time => match text.and_then(crate::syntax::parse_time_text) {
            Some(t) => Ok(Value::Time(t)),
            None => want("a time of day (\"HH:MM\" or \"HH:MM:SS\")"),
        },
        Type::Weekday => match text.and_then(|s| WEEKDAYS.iter().position(|d| *d == s)) {
            Some(i) => Ok(Value::Weekday(u8::try_from(i).unwrap_or(0))),
            None => want("a weekday (\"mon\" to \"sun\")"),
        },
        Type::Enum(e) => {
            let def = schema.enum_def(*e);
            match text.and_then(|s| schema.enum_value(*e, s)) {
                Some(i) => Ok(Value::Enum(i)),
                None => want(&format!(
                    "one of {}",
                    def.map_or(String::new(), |d| quoted(&d.values))
                )),
            }
        }
        Type::Lattice(l) => match schema.lattice(*l).map(|d| &d.shape) {
            Some(LatticeShape::Levels(levels)) => {
                match text.and_then(|s| schema.lattice_level(*l, s)) {
                    Some(i) => Ok(Value::Level(i)),
                    None => want(&format!("one of {}", quoted(levels))),
                }
            }
            Some(LatticeShape::Product { base, compartments }) => {
                let serde_json::Value::Object(o) = v else {
                    return want("an object {\"level\": ..., \"compartments\": [...]}");
                };
                let level = match o
                    .get("level")
                    .and_then(|x| x.as_str())
                    .and_then(|s| schema.lattice_level(*base, s))
                {
                    Some(i) => i,
                    None => {
                        return rerr(
                            format!("{path}.level"),
                            "expected a level of the lattice's base",
                        );
                    }
                };
                let mut bits = 0u64;
                if let Some(cs) = o.get("compartments") {
                    let serde_json::Value::Array(cs) = cs else {
                        return rerr(format!("{path}.compartments"), "expected an array");
                    };
                    for (k, c) in cs.iter().enumerate() {
                        match c
                            .as_str()
                            .and_then(|s| compartments.iter().position(|x| x == s))
                        {
                            Some(i) if i < 64 => bits |= 1u64 << i,
                            _ => {
                                return rerr(
                                    format!("{path}.compartments[{k}]"),
                                    format!("expected one of {}", quoted(compartments)),
                                );
                            }
                        }
                    }
                }
                for key in o.keys() {
                    if key != "level" && key != "compartments" {
                        return rerr(
                            format!("{path}.{key}"),
                            "unknown member; a label has `level` and `compartments`",
                        );
                    }
                }
                Ok(Value::Label {
                    level,
                    compartments: bits,
                })
            }
            None => want("a lattice value"),
        },
        Type::Set(_) | Type::Never => want("a single value"),
    }
}

fn quoted(values: &[String]) -> String {
    let v: Vec<String> = values.iter().map(|s| format!("\"{s}\"")).collect();
    v.join(", ")
}
