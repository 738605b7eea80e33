//! Requests read in place: a [`Layout`] maps schema attributes to accessors over the
//! caller's own request type, so a decision reads each value where the caller keeps it,
//! with no copy into a [`Request`](super::Request) (docs/ENGINE.md "Requests read in
//! place").

use super::request::{Kind, LabelValue, RequestError, Symbol};
use super::{Decision, Loaded, Reason, missing_attr};
use crate::bundle::MAX_ATTRS;
use crate::schema::AttrId;
use crate::types::Hook;
use crate::vm::consts::Scalar;
use crate::vm::{SetView, Slot, Source};
use std::net::IpAddr;

/// How one attribute is read from an `R`: the binder that made it fixed the kind of
/// value it returns, so the evaluator never sees a value of the wrong type.
type Getter<R> = Box<dyn for<'r> Fn(&'r R) -> Slot<'r> + Send + Sync>;

/// Where each attribute lives in a caller's request type `R`, for
/// [`Loaded::decide_in_place`]. Built once with [`Loaded::layout`], in one schema.
pub struct Layout<R> {
    /// One accessor per attribute id (`MAX_ATTRS` long), `None` where unbound.
    getters: Box<[Option<Getter<R>>]>,
    /// Attributes with an accessor: what the required-attribute check compares against.
    bound: [u64; MAX_ATTRS / 64],
    /// Attributes whose accessor may return nothing (the `opt_*` binders).
    maybe: [u64; MAX_ATTRS / 64],
    schema_fp: u64,
}

impl<R> std::fmt::Debug for Layout<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let bound: u32 = self.bound.iter().map(|w| w.count_ones()).sum();
        f.debug_struct("Layout")
            .field("bound", &bound)
            .finish_non_exhaustive()
    }
}

impl<R> std::fmt::Debug for LayoutBuilder<'_, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LayoutBuilder")
            .field("layout", &self.layout)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Layout`]: each binder resolves a path in the engine's schema and checks that
/// the accessor's value kind is the attribute's. Errors name the path.
pub struct LayoutBuilder<'s, R> {
    loaded: &'s Loaded,
    layout: Layout<R>,
}

/// A binder for one value kind: `$name` binds an accessor returning `$ty`, `$opt` one
/// returning `Option<$ty>`; the closure-like `$body` turns the value into a slot.
/// A plain binder's value is always there: a symbol of another attribute or a time of day
/// out of range is the caller's bug, not a missing value; it reads as absent, and a
/// decision that reads it denies as `missing`.
macro_rules! binders {
    ($( $(#[$doc:meta])* $name:ident, $opt:ident, $ty:ty, $what:literal, $want:pat,
        |$id:ident, $v:ident| $body:expr; )*) => {
        $(
            $(#[$doc])*
            pub fn $name(
                &mut self,
                path: &str,
                get: impl for<'r> Fn(&'r R) -> $ty + Send + Sync + 'static,
            ) -> Result<&mut Self, RequestError> {
                #[inline(always)]
                fn slot<'r>($id: AttrId, $v: $ty) -> Slot<'r> {
                    $body
                }
                let id = self.resolve(path, |k| matches!(k, $want), $what)?;
                self.put(id, false, Box::new(move |r| slot(id, get(r))))
            }

            #[doc = concat!("[`Self::", stringify!($name), "`] for a value the request may lack (`None` reads as absent).")]
            pub fn $opt(
                &mut self,
                path: &str,
                get: impl for<'r> Fn(&'r R) -> Option<$ty> + Send + Sync + 'static,
            ) -> Result<&mut Self, RequestError> {
                #[inline(always)]
                fn slot<'r>($id: AttrId, $v: $ty) -> Slot<'r> {
                    $body
                }
                let id = self.resolve(path, |k| matches!(k, $want), $what)?;
                self.put(id, true, Box::new(move |r| get(r).map_or(Slot::Absent, |v| slot(id, v))))
            }
        )*
    };
}

#[inline(always)]
fn scalar(s: Scalar<'_>) -> Slot<'_> {
    Slot::Scalar(s)
}

impl<'s, R> LayoutBuilder<'s, R> {
    pub(super) fn new(loaded: &'s Loaded) -> LayoutBuilder<'s, R> {
        LayoutBuilder {
            loaded,
            layout: Layout {
                getters: (0..MAX_ATTRS).map(|_| None).collect(),
                bound: [0; MAX_ATTRS / 64],
                maybe: [0; MAX_ATTRS / 64],
                schema_fp: loaded.schema_fp,
            },
        }
    }

    /// The attribute at `path`, if its kind is one `want` accepts.
    fn resolve(
        &self,
        path: &str,
        want: impl Fn(Kind) -> bool,
        what: &str,
    ) -> Result<AttrId, RequestError> {
        let a = self.loaded.attr(path)?;
        if !want(a.kind) {
            return Err(RequestError {
                path: path.into(),
                message: format!("this attribute does not hold {what}"),
            });
        }
        Ok(a.id)
    }

    fn put(&mut self, id: AttrId, maybe: bool, get: Getter<R>) -> Result<&mut Self, RequestError> {
        let i = id.0 as usize;
        let (Some(slot), Some(b), Some(m)) = (
            self.layout.getters.get_mut(i),
            self.layout.bound.get_mut(i / 64),
            self.layout.maybe.get_mut(i / 64),
        ) else {
            return Err(RequestError {
                path: format!("attribute #{i}"),
                message: "attribute id out of range".into(),
            });
        };
        *slot = Some(get);
        *b |= 1u64 << (i % 64);
        if maybe {
            *m |= 1u64 << (i % 64);
        } else {
            *m &= !(1u64 << (i % 64));
        }
        Ok(self)
    }

    binders! {
        /// Bind a `bool` attribute.
        bool, opt_bool, bool, "a bool", Kind::Bool, |_id, v| scalar(Scalar::Bool(v));
        /// Bind an `int` attribute.
        int, opt_int, i64, "an int", Kind::Int, |_id, v| scalar(Scalar::Num(v));
        /// Bind a `timestamp` attribute (seconds since the Unix epoch).
        timestamp, opt_timestamp, i64, "a timestamp", Kind::Timestamp, |_id, v| scalar(Scalar::Num(v));
        /// Bind a `duration` attribute (seconds).
        duration, opt_duration, i64, "a duration", Kind::Duration, |_id, v| scalar(Scalar::Num(v));
        /// Bind a `time` attribute (seconds since midnight; 86400 or more reads as absent).
        time_of_day, opt_time_of_day, u32, "a time of day", Kind::Time,
            |_id, v| if v < 86_400 { scalar(Scalar::Num(i64::from(v))) } else { Slot::Absent };
        /// Bind a `string` attribute.
        str, opt_str, &'r str, "a string", Kind::Str, |_id, v| scalar(Scalar::Str(v));
        /// Bind an `ip` attribute.
        ip, opt_ip, IpAddr, "an IP address", Kind::Ip, |_id, v| scalar(Scalar::Ip(v));
        /// Bind a `cidr` attribute.
        cidr, opt_cidr, ipnetwork::IpNetwork, "a network", Kind::Cidr, |_id, v| scalar(Scalar::Cidr(v));
        /// Bind an enum, lattice or weekday attribute; a symbol resolved for another
        /// attribute reads as absent.
        symbol, opt_symbol, Symbol, "a symbol", Kind::Symbol(_),
            |id, s| if s.attr == id { scalar(Scalar::Num(i64::from(s.index))) } else { Slot::Absent };
        /// Bind a product-lattice attribute; a label resolved for another attribute reads
        /// as absent.
        label, opt_label, LabelValue, "a label", Kind::Label,
            |id, v| if v.attr == id { scalar(Scalar::Label(v.level, v.compartments)) } else { Slot::Absent };
        /// Bind a `set<string>` attribute held as string slices.
        strs, opt_strs, &'r [&'r str], "a set of strings", Kind::StrSet, |_id, v| Slot::Set(SetView::Strs(v));
        /// Bind a `set<string>` attribute held as owned strings, as most callers hold them.
        strings, opt_strings, &'r [String], "a set of strings", Kind::StrSet, |_id, v| Slot::Set(SetView::Strings(v));
        /// Bind a set of numbers (ints, timestamps, enum values as indices).
        ints, opt_ints, &'r [i64], "a set of numbers", Kind::NumSet, |_id, v| Slot::Set(SetView::Nums(v));
        /// Bind a `set<ip>` attribute.
        ips, opt_ips, &'r [IpAddr], "a set of addresses", Kind::IpSet, |_id, v| Slot::Set(SetView::Ips(v));
    }

    /// The finished layout.
    pub fn build(self) -> Layout<R> {
        self.layout
    }
}

/// A caller's request read through its layout.
pub(super) struct InPlace<'a, R> {
    layout: &'a Layout<R>,
    req: &'a R,
}

// Not derived: a derive would require `R: Copy`, and only references are copied.
impl<R> Clone for InPlace<'_, R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R> Copy for InPlace<'_, R> {}

impl<'a, R> Source<'a> for InPlace<'a, R> {
    #[inline(always)]
    fn slot(&self, i: usize) -> Option<Slot<'a>> {
        let get = self.layout.getters.get(i)?.as_ref()?;
        match get(self.req) {
            Slot::Absent => None,
            s => Some(s),
        }
    }
}

impl Loaded {
    /// Start a [`Layout`] of the caller's request type `R` in this engine's schema.
    pub fn layout<R>(&self) -> LayoutBuilder<'_, R> {
        LayoutBuilder::new(self)
    }

    /// Decide at one hook, reading the attributes from `req` through `layout`, where the
    /// caller keeps them: no request is built. Never allocates (unless an accessor does);
    /// fails closed, as [`Loaded::decide`].
    pub fn decide_in_place<R>(&self, hook: Hook, layout: &Layout<R>, req: &R) -> Decision {
        if layout.schema_fp != self.schema_fp {
            return Decision::deny(hook, Reason::SchemaMismatch);
        }
        if let Some(need) = self.required.get(hook.index()) {
            let (unbound, ask) = need
                .iter()
                .zip(layout.bound.iter().zip(&layout.maybe))
                .fold((0, 0), |(u, a), (n, (b, m))| (u | (n & !b), a | (n & m)));
            if unbound != 0 {
                return missing_attr(hook, need, &layout.bound);
            }
            // Accessors of required attributes that may give nothing are asked before
            // evaluating, so that the decision does not depend on what evaluation happens
            // to read.
            if ask != 0
                && let Some(d) = absent_required(hook, need, layout, req)
            {
                return d;
            }
        }
        self.settle(hook, self.decide_inner(hook, InPlace { layout, req }))
    }
}

/// The denial naming the first required attribute whose optional accessor gives nothing,
/// if any.
#[inline]
fn absent_required<R>(
    hook: Hook,
    need: &[u64; MAX_ATTRS / 64],
    layout: &Layout<R>,
    req: &R,
) -> Option<Decision> {
    let src = InPlace { layout, req };
    for (w, (n, m)) in need.iter().zip(&layout.maybe).enumerate() {
        let mut ask = n & m;
        while ask != 0 {
            let i = w * 64 + ask.trailing_zeros() as usize;
            if src.slot(i).is_none() {
                let id = AttrId(u32::try_from(i).unwrap_or(u32::MAX));
                return Some(Decision::deny(hook, Reason::Missing(id)));
            }
            ask &= ask - 1;
        }
    }
    None
}
