//! A request held in the caller's own shape, read in place through a `Layout`: every
//! attribute of the schema bound with an optional accessor, so any request the
//! differential tests generate (values by attribute id) can be decided both ways.

use dictum::engine::{LabelValue, Layout, Snapshot, Symbol};
use dictum::schema::{AttrId, LatticeShape, Schema};
use dictum::types::{Type, WEEKDAYS};
use dictum::value::Value;
use std::net::IpAddr;

/// Values by attribute id, with sets and enum values already in the shapes a runtime
/// would keep: owned strings, numbers, addresses, resolved symbols and labels.
pub struct Held {
    pub values: Vec<Option<Value>>,
    pub strings: Vec<Option<Vec<String>>>,
    pub nums: Vec<Option<Vec<i64>>>,
    pub ips: Vec<Option<Vec<IpAddr>>>,
    pub symbols: Vec<Option<Symbol>>,
    pub labels: Vec<Option<LabelValue>>,
}

fn name_of(schema: &Schema, ty: &Type, v: &Value) -> Option<String> {
    match (ty, v) {
        (Type::Enum(e), Value::Enum(i)) => schema.enum_def(*e)?.values.get(*i as usize).cloned(),
        (Type::Weekday, Value::Weekday(w)) => WEEKDAYS.get(*w as usize).map(|s| s.to_string()),
        (Type::Lattice(l), Value::Level(i)) => match &schema.lattice(*l)?.shape {
            LatticeShape::Levels(names) => names.get(*i as usize).cloned(),
            LatticeShape::Product { .. } => None,
        },
        _ => None,
    }
}

fn label_of(snap: &Snapshot, schema: &Schema, id: AttrId, v: &Value) -> Option<LabelValue> {
    let Value::Label {
        level,
        compartments,
    } = v
    else {
        return None;
    };
    let Type::Lattice(l) = schema.attr(id)?.ty else {
        return None;
    };
    let LatticeShape::Product {
        base,
        compartments: names,
    } = &schema.lattice(l)?.shape
    else {
        return None;
    };
    let LatticeShape::Levels(levels) = &schema.lattice(*base)?.shape else {
        return None;
    };
    let on = dictum::schema::compartments_named(names, *compartments);
    let attr = snap.attr(&schema.attr_path(id)).ok()?;
    snap.label(attr, levels.get(*level as usize)?, &on).ok()
}

impl Held {
    /// `values` in held shapes. Panics if an enum value or label has no name: the
    /// generators only produce values of the schema.
    pub fn of(values: &[Option<Value>], snap: &Snapshot) -> Held {
        let schema = snap.schema();
        let n = values.len();
        let mut h = Held {
            values: values.to_vec(),
            strings: vec![None; n],
            nums: vec![None; n],
            ips: vec![None; n],
            symbols: vec![None; n],
            labels: vec![None; n],
        };
        for (i, v) in values.iter().enumerate() {
            let Some(v) = v else { continue };
            let id = AttrId(i as u32);
            let ty = schema.attr(id).unwrap().ty.clone();
            match (&ty, v) {
                (Type::Set(_), Value::Set(items)) => {
                    let strs: Vec<String> = items
                        .iter()
                        .filter_map(|x| match x {
                            Value::Str(s) => Some(s.clone()),
                            _ => None,
                        })
                        .collect();
                    let nums: Vec<i64> = items
                        .iter()
                        .filter_map(|x| match x {
                            Value::Int(n) | Value::Timestamp(n) | Value::Duration(n) => Some(*n),
                            Value::Enum(e) => Some(i64::from(*e)),
                            _ => None,
                        })
                        .collect();
                    let ips: Vec<IpAddr> = items
                        .iter()
                        .filter_map(|x| match x {
                            Value::Ip(ip) => Some(*ip),
                            _ => None,
                        })
                        .collect();
                    h.strings[i] = Some(strs);
                    h.nums[i] = Some(nums);
                    h.ips[i] = Some(ips);
                }
                (_, Value::Label { .. }) => {
                    h.labels[i] = Some(label_of(snap, schema, id, v).expect("label resolves"));
                }
                (Type::Enum(_) | Type::Weekday | Type::Lattice(_), _) => {
                    let name = name_of(schema, &ty, v).expect("symbol has a name");
                    let attr = snap.attr(&schema.attr_path(id)).unwrap();
                    h.symbols[i] = Some(snap.symbol(attr, &name).unwrap());
                }
                _ => {}
            }
        }
        h
    }
}

/// A layout binding every attribute of the snapshot's schema (sets of other element
/// types than strings, numbers and addresses have no binder and stay unbound).
pub fn layout(snap: &Snapshot) -> Layout<Held> {
    let schema = snap.schema();
    let mut l = snap.layout::<Held>();
    for (i, a) in schema.attrs.iter().enumerate() {
        let path = schema.attr_path(AttrId(i as u32));
        let p = path.as_str();
        let product = matches!(&a.ty, Type::Lattice(l) if matches!(
            schema.lattice(*l).map(|d| &d.shape),
            Some(LatticeShape::Product { .. })
        ));
        let r = match &a.ty {
            Type::Bool => l.opt_bool(p, move |h| match h.values.get(i) {
                Some(Some(Value::Bool(b))) => Some(*b),
                _ => None,
            }),
            Type::Int => l.opt_int(p, move |h| match h.values.get(i) {
                Some(Some(Value::Int(n))) => Some(*n),
                _ => None,
            }),
            Type::Timestamp => l.opt_timestamp(p, move |h| match h.values.get(i) {
                Some(Some(Value::Timestamp(n))) => Some(*n),
                _ => None,
            }),
            Type::Duration => l.opt_duration(p, move |h| match h.values.get(i) {
                Some(Some(Value::Duration(n))) => Some(*n),
                _ => None,
            }),
            Type::Time => l.opt_time_of_day(p, move |h| match h.values.get(i) {
                Some(Some(Value::Time(t))) => Some(*t),
                _ => None,
            }),
            Type::String => l.opt_str(p, move |h| match h.values.get(i) {
                Some(Some(Value::Str(s))) => Some(s.as_str()),
                _ => None,
            }),
            Type::Ip => l.opt_ip(p, move |h| match h.values.get(i) {
                Some(Some(Value::Ip(ip))) => Some(*ip),
                _ => None,
            }),
            Type::Cidr => l.opt_cidr(p, move |h| match h.values.get(i) {
                Some(Some(Value::Cidr(c))) => Some(*c),
                _ => None,
            }),
            Type::Lattice(_) if product => {
                l.opt_label(p, move |h| h.labels.get(i).copied().flatten())
            }
            Type::Enum(_) | Type::Weekday | Type::Lattice(_) => {
                l.opt_symbol(p, move |h| h.symbols.get(i).copied().flatten())
            }
            Type::Set(inner) => match **inner {
                Type::String => {
                    l.opt_strings(p, move |h| h.strings.get(i).and_then(|s| s.as_deref()))
                }
                Type::Int | Type::Timestamp | Type::Duration | Type::Enum(_) => {
                    l.opt_ints(p, move |h| h.nums.get(i).and_then(|s| s.as_deref()))
                }
                Type::Ip => l.opt_ips(p, move |h| h.ips.get(i).and_then(|s| s.as_deref())),
                _ => continue,
            },
            Type::Never => continue,
        };
        r.unwrap_or_else(|e| panic!("binding {p}: {e}"));
    }
    l.build()
}
