//! Structured JSON requests for the `request` target: entity and attribute names from the
//! standard schema (plus unknown ones), values of every JSON kind, with strings that are
//! valid or nearly valid literals of each attribute type. Starting from the fixture
//! request and overriding a few members keeps most requests valid, so they reach `decide`.

use arbitrary::Arbitrary;
use serde_json::{Value as J, json};

const ENTITIES: &[&str] = &["server", "client", "user", "object", "target", "request", "bogus", ""];

const ATTRS: &[&str] = &[
    "id", "region", "country", "jurisdiction", "datacenter", "tier", "manufacturer", "generation", "certifications",
    "location", "ip", "device_type", "maker", "user_agent", "posture", "authenticated", "credentials", "roles", "groups",
    "clearance", "label", "class", "domain", "tags", "owner", "kind", "org", "action", "method", "url", "headers", "time",
    "bogus",
];

const STRS: &[&str] = &[
    "10.0.0.1", "::1", "::ffff:1.2.3.4", "10.0.0.0/8", "10.0.0.1/8", "10.0.0.0/33", "2001:db8::/32", "fe80::/129",
    "2026-03-02T10:15:00Z", "2026-02-30T10:15:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1969-12-31T23:59:59Z",
    "1h30m", "0s", "99999999999999999d", "9223372036854775807s", "15m", "09:00", "23:59:59", "24:00", "25:61", "mon",
    "sun", "funday", "managed", "compromised", "read", "send", "start", "external", "object", "secret", "top_secret",
    "crypto", "nato", "GET", "laptop", "", "bank.example", "BANK.EXAMPLE", "x.bank.example.", "ß", "\u{0}", "US", "DE",
];

#[derive(Arbitrary, Debug)]
pub enum JVal {
    Null,
    Bool(bool),
    Int(i64),
    Big(u64),
    Float(f64),
    Str(u8),
    AnyStr(String),
    Long(u8),
    Arr(Vec<JVal>),
    Label { level: u8, compartments: Vec<u8>, extra: bool },
    Obj(Vec<(u8, JVal)>),
}

impl JVal {
    fn json(&self, depth: usize) -> J {
        match self {
            JVal::Null => J::Null,
            JVal::Bool(b) => json!(b),
            JVal::Int(n) => json!(n),
            JVal::Big(n) => json!(n),
            JVal::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            JVal::Str(i) => json!(STRS[usize::from(*i) % STRS.len()]),
            JVal::AnyStr(s) => json!(s),
            // Around the 65,536-byte limit on request strings.
            JVal::Long(i) => json!("a".repeat([65_535, 65_536, 65_537, 1_000][usize::from(*i) % 4])),
            JVal::Arr(items) if depth < 3 => J::Array(items.iter().take(1100).map(|v| v.json(depth + 1)).collect()),
            JVal::Label { level, compartments, extra } => {
                let mut o = json!({
                    "level": STRS[usize::from(*level) % STRS.len()],
                    "compartments": compartments.iter().map(|c| STRS[usize::from(*c) % STRS.len()]).collect::<Vec<_>>(),
                });
                if *extra {
                    o["bogus"] = json!(1);
                }
                o
            }
            JVal::Obj(members) if depth < 3 => {
                J::Object(members.iter().take(8).map(|(k, v)| (ATTRS[usize::from(*k) % ATTRS.len()].to_string(), v.json(depth + 1))).collect())
            }
            _ => J::Null,
        }
    }
}

#[derive(Arbitrary, Debug)]
pub struct JReq {
    /// Start from the fixture request (valid), or from nothing.
    pub from_fixture: bool,
    pub members: Vec<(u8, u8, JVal)>,
    /// Replace a whole entity by this value.
    pub entity: Option<(u8, JVal)>,
    pub remove: Vec<(u8, u8)>,
}

impl JReq {
    pub fn json(&self) -> String {
        let mut root: J = if self.from_fixture { serde_json::from_str(crate::FIXTURE_REQUEST).unwrap_or(json!({})) } else { json!({}) };
        for (e, a) in self.remove.iter().take(4) {
            let e = ENTITIES[usize::from(*e) % ENTITIES.len()];
            if let Some(o) = root.get_mut(e).and_then(J::as_object_mut) {
                o.remove(ATTRS[usize::from(*a) % ATTRS.len()]);
            }
        }
        for (e, a, v) in self.members.iter().take(8) {
            let e = ENTITIES[usize::from(*e) % ENTITIES.len()];
            let a = ATTRS[usize::from(*a) % ATTRS.len()];
            if !root.get(e).is_some_and(J::is_object) {
                root[e] = json!({});
            }
            root[e][a] = v.json(0);
        }
        if let Some((e, v)) = &self.entity {
            root[ENTITIES[usize::from(*e) % ENTITIES.len()]] = v.json(0);
        }
        root.to_string()
    }
}
