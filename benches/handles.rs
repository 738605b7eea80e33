//! Attribute handles for the benchmark workload, shared by the criterion bench and the
//! instruction-count harness.
#![allow(dead_code)]

use crate::workload::{self, Req};
use dictum::engine::{Attr, Request, Snapshot, Symbol};

pub struct Handles {
    /// One handle per path of `PATHS`, in a fixed-size array so that constant indices
    /// need no bounds check.
    a: [Attr; PATHS.len()],
    actions: Vec<(&'static str, Symbol)>,
    kinds: Vec<(&'static str, Symbol)>,
    clearances: Vec<(&'static str, Symbol)>,
    tclearances: Vec<(&'static str, Symbol)>,
}

const PATHS: &[&str] = &[
    "server.id",
    "server.region",
    "server.country",
    "server.jurisdiction",
    "server.datacenter",
    "server.tier",
    "server.manufacturer",
    "server.generation",
    "server.certifications",
    "client.ip",
    "client.country",
    "user.authenticated",
    "user.credentials",
    "user.roles",
    "user.groups",
    "object.id",
    "object.class",
    "object.domain",
    "object.tags",
    "object.clearance",
    "target.kind",
    "target.domain",
    "target.clearance",
    "request.action",
    "request.time",
    "request.headers",
];

impl Handles {
    pub fn new(s: &Snapshot) -> Handles {
        let a: [Attr; PATHS.len()] = std::array::from_fn(|i| s.attr(PATHS[i]).unwrap());
        let sym = |attr: Attr, names: &[&'static str]| {
            names
                .iter()
                .map(|n| (*n, s.symbol(attr, n).unwrap()))
                .collect::<Vec<_>>()
        };
        Handles {
            actions: sym(a[23], &["read", "write", "start", "send"]),
            kinds: sym(a[20], &["external", "object"]),
            clearances: sym(a[19], workload::CLEARANCES),
            tclearances: sym(a[22], workload::CLEARANCES),
            a,
        }
    }

    /// The `object.domain` handle.
    pub fn domain(&self) -> Attr {
        self.a[17]
    }

    pub fn pick(list: &[(&'static str, Symbol)], name: &str) -> Symbol {
        list.iter().find(|(n, _)| *n == name).unwrap().1
    }

    /// The request's enum values as symbols. A runtime holds these as its own enums and
    /// maps them with a `match`; done once per request, outside the timed loop.
    pub fn symbols(&self, r: &Req) -> [Symbol; 4] {
        [
            Self::pick(&self.clearances, r.object_clearance),
            Self::pick(&self.kinds, r.target_kind),
            Self::pick(&self.tclearances, r.target_clearance),
            Self::pick(&self.actions, r.action),
        ]
    }

    /// Fill a request from the caller's data: the "request building" a runtime does. Only
    /// the attributes the workload's policies read are set (the engine requires exactly
    /// those, docs/LANGUAGE.md "Absent values").
    pub fn fill<'a>(
        &self,
        req: &mut Request<'a>,
        r: &'a Req,
        roles: &'a [&'a str],
        tags: &'a [&'a str],
        sym: &[Symbol; 4],
    ) {
        let a = &self.a;
        req.clear();
        req.set_str(a[2], &r.server_country).unwrap();
        req.set_int(a[5], r.server_tier).unwrap();
        req.set_ip(a[9], r.client_ip).unwrap();
        req.set_str(a[10], &r.client_country).unwrap();
        req.set_strs(a[13], roles).unwrap();
        req.set_str(a[17], &r.domain).unwrap();
        req.set_strs(a[18], tags).unwrap();
        req.set_symbol(a[19], sym[0]).unwrap();
        req.set_symbol(a[20], sym[1]).unwrap();
        req.set_str(a[21], &r.target_domain).unwrap();
        req.set_symbol(a[22], sym[2]).unwrap();
        req.set_symbol(a[23], sym[3]).unwrap();
    }
}

/// A request as a runtime holds it, with its enum values already mapped to symbols (as
/// [`Handles::symbols`]): what [`in_place_layout`] reads in place.
pub struct Held {
    pub req: Req,
    pub sym: [Symbol; 4],
}

/// The same twelve attributes as [`Handles::fill`], bound to accessors over [`Held`]
/// instead of copied into a request.
pub fn in_place_layout(s: &Snapshot) -> dictum::engine::Layout<Held> {
    let mut l = s.layout::<Held>();
    l.str("server.country", |h| &h.req.server_country)
        .unwrap()
        .int("server.tier", |h| h.req.server_tier)
        .unwrap()
        .ip("client.ip", |h| h.req.client_ip)
        .unwrap()
        .str("client.country", |h| &h.req.client_country)
        .unwrap()
        .strings("user.roles", |h| &h.req.roles)
        .unwrap()
        .str("object.domain", |h| &h.req.domain)
        .unwrap()
        .strings("object.tags", |h| &h.req.tags)
        .unwrap()
        .symbol("object.clearance", |h| h.sym[0])
        .unwrap()
        .symbol("target.kind", |h| h.sym[1])
        .unwrap()
        .str("target.domain", |h| &h.req.target_domain)
        .unwrap()
        .symbol("target.clearance", |h| h.sym[2])
        .unwrap()
        .symbol("request.action", |h| h.sym[3])
        .unwrap();
    l.build()
}
