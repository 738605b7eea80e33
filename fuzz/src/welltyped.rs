//! Well-typed programs and valid requests for the differential target, after
//! tests/differential.rs (same leaves, scopes, rules and template), driven by `arbitrary`
//! instead of proptest, and widened: egress-only `target` leaves, constants, a second
//! template, saturating arithmetic, and requests with extreme integers and timestamps,
//! odd strings (case, Unicode, long names, trailing dots) and every action.
//! Requests are printed as JSON and parsed with `request_from_json`, so that path is
//! exercised too.

use arbitrary::Arbitrary;
use dictum::types::Hook;

const STRS: &[&str] = &["US", "DE", "FR", "a", "b", "pii-x", "x.d1.example", "d1.example"];
const TAGS: &[&str] = &["financial", "gov", "pii-email", "fips", "a", "b"];
const STR_ATTRS: &[&str] = &["server.country", "server.region", "client.country", "object.class", "object.domain", "object.id"];
const SET_ATTRS: &[&str] = &["object.tags", "user.roles", "user.groups", "server.certifications"];
const CMP: &[&str] = &["==", "!=", "<", "<=", ">", ">="];
const LEVELS: &[&str] = &["unclassified", "confidential", "secret", "top_secret"];

fn pick<'a>(pool: &[&'a str], i: u8) -> &'a str {
    pool[usize::from(i) % pool.len()]
}

fn q(s: &str) -> String {
    format!("{s:?}")
}

fn set_lit(pool: &[&str], bits: u8) -> String {
    let items: Vec<String> = pool.iter().enumerate().filter(|(i, _)| bits & (1 << (i % 8)) != 0).map(|(_, s)| q(s)).collect();
    format!("{{{}}}", items.join(", "))
}

/// One boolean leaf: `kind` picks the shape, the other bytes its operands.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct Leaf {
    kind: u8,
    a: u8,
    b: u8,
    c: u8,
}

impl Leaf {
    pub fn print(&self, hook: Hook) -> String {
        let Leaf { kind, a, b, c } = *self;
        let egress = hook == Hook::Egress;
        let n = i64::from(c % 7) - 1;
        match kind % 48 {
            0 => format!("{} {} {}", pick(STR_ATTRS, a), pick(&["==", "!="], b), q(pick(STRS, c))),
            1 => format!("{} in {}", pick(STR_ATTRS, a), set_lit(STRS, b)),
            2 => format!("{} has {}", pick(SET_ATTRS, a), q(pick(TAGS, b))),
            3 => format!("{} has {} {}", pick(SET_ATTRS, a), if c % 2 == 0 { "all" } else { "any" }, set_lit(TAGS, b)),
            4 => format!("{} {} {n}", pick(&["server.tier", "server.generation"], a), pick(CMP, b)),
            5 => "user.authenticated".into(),
            6 => format!("client.ip in {}", pick(&["10.0.0.0/8", "192.168.1.0/24", "2001:db8::/32", "0.0.0.0/0", "::/0", "8.8.8.8/32"], a)),
            7 => "client.ip in {10.0.0.0/8, 172.16.0.0/12, 2001:db8::/32}".into(),
            8 => format!("object.clearance {} {}", pick(CMP, a), pick(LEVELS, b)),
            9 => format!("lub(object.clearance, {}) == secret", pick(&["secret", "confidential"], a)),
            10 => format!("glb(object.clearance, {}) >= confidential", pick(&["top_secret", "confidential"], a)),
            11 => format!("(client has posture and client.posture == {})", pick(&["managed", "unmanaged", "compromised"], a)),
            12 => pick(&["not (client has posture)", "client has user_agent"], a).into(),
            13 => format!("{} like {}", pick(STR_ATTRS, a), pick(&["\"*\"", "\"d*\"", "\"*.example\"", "\"?S\"", "\"a\"", "\"\\\\*\"", "\"*x*.*\"", "\"\""], b)),
            14 => format!("{} matches {}", pick(STR_ATTRS, a), pick(&["\"^[A-Z]{2}$\"", "\"example\"", "r\"^x\\.\"", "r\"(?i)^d\"", "\"\""], b)),
            15 => format!("{} under {}", pick(STR_ATTRS, a), pick(&["\"d1.example\"", "\"example\"", "{\"d1.example\", \"FR\"}", "\"\"", "\"D1.Example\""], b)),
            16 => format!("request.time.hour {} {}", pick(CMP, a), b % 24),
            17 => "request.time.weekday in {mon, tue, wed, thu, fri}".into(),
            18 => format!("request.time.time_of_day {} {}", pick(CMP, a), pick(&["09:00", "12:30:00", "18:00", "00:00", "23:59:59"], b)),
            19 => "request.time - 2026-01-01T00:00:00Z > 30d".into(),
            20 => "request.time + 1h > 2026-06-01T00:00:00Z".into(),
            21 => format!("({} t in object.tags: {})", if a % 2 == 0 { "any" } else { "all" }, pick(&["t like \"pii-*\"", "t == \"a\"", "t in {\"a\", \"gov\"}"], b)),
            22 => "(any r in user.roles: any g in user.groups: r == g)".into(),
            23 => format!("object.tags.size {} {}", pick(CMP, a), b % 4),
            24 => format!("(object has label and object.label <= label(secret, {}))", pick(&["{crypto}", "{}", "{crypto, nato}"], a)),
            25 => "(object has label and object.label.compartments has nato)".into(),
            26 => "(object has label and object.label.level >= confidential)".into(),
            27 => "(user has clearance and object.clearance <= user.clearance)".into(),
            28 => format!("client.country in {{server.country, {}}}", q(pick(STRS, a))),
            29 => "user.roles has any {client.country, \"a\"}".into(),
            30 => "object.tags has all {object.class, \"a\"}".into(),
            31 => "object.domain under {server.region, \"d1.example\"}".into(),
            32 => "(object has owner and object.owner == \"alice\")".into(),
            33 => pick(&["true", "false"], a).into(),
            34 => "object.tags == {\"a\", \"b\"}".into(),
            35 => "user.authenticated == (server.tier <= 2)".into(),
            // Widened: arithmetic at the edges, constants, weekday and duration sums.
            36 => format!("server.tier + {} {} {n}", pick(&["9223372036854775807", "1", "-9223372036854775808"], a), pick(CMP, b)),
            37 => format!("server.tier - server.generation {} {n}", pick(CMP, a)),
            38 => format!("request.time - {} {} {}", pick(&["1h", "99999d", "0s"], a), pick(CMP, b), pick(&["2026-01-01T00:00:00Z", "1970-01-01T00:00:00Z"], c)),
            39 => format!("request.time.weekday {} {}", pick(CMP, a), pick(&["mon", "wed", "sun"], b)),
            40 => pick(&["client.country in eu_c", "client.ip in nets_c", "object.domain under doms_c", "server.tier in tiers_c"], a).into(),
            41 => format!("(client has jurisdiction and client.jurisdiction {} {})", pick(&["==", "!="], a), q(pick(STRS, b))),
            42 => "(request has url and request.url like \"*/admin*\")".into(),
            43 => "(user has label and lub(user.label, label(confidential, {nato})) <= label(top_secret, {nato, crypto}))".into(),
            // Egress-only `target` leaves (elsewhere: a plain leaf).
            44 if egress => format!("target.kind == {}", pick(&["object", "external"], a)),
            45 if egress => "(target has ip and target.ip in {10.0.0.0/8, 192.168.0.0/16})".into(),
            46 if egress => format!("target.domain under {}", pick(&["\"d1.example\"", "{\"example\", \"a\"}", "object.domain"], a)),
            47 if egress => "not (object.clearance <= target.clearance)".into(),
            _ => format!("{} == {}", pick(STR_ATTRS, a), q(pick(STRS, b))),
        }
    }
}

#[derive(Arbitrary, Debug)]
pub enum Cond {
    Leaf(Leaf),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
    AndOr(Box<Cond>, Box<Cond>, Box<Cond>),
}

impl Cond {
    fn first_leaf(&self) -> Leaf {
        match self {
            Cond::Leaf(l) => *l,
            Cond::And(a, _) | Cond::Or(a, _) | Cond::Not(a) | Cond::AndOr(a, _, _) => a.first_leaf(),
        }
    }

    fn print(&self, hook: Hook, depth: usize) -> String {
        if depth >= 4 {
            return self.first_leaf().print(hook);
        }
        let d = depth + 1;
        match self {
            Cond::Leaf(l) => l.print(hook),
            Cond::And(a, b) => format!("({} and {})", a.print(hook, d), b.print(hook, d)),
            Cond::Or(a, b) => format!("({} or {})", a.print(hook, d), b.print(hook, d)),
            Cond::Not(a) => format!("not ({})", a.print(hook, d)),
            Cond::AndOr(a, b, c) => format!("{} and {} or {}", a.print(hook, d), b.print(hook, d), c.print(hook, d)),
        }
    }
}

#[derive(Arbitrary, Debug)]
pub struct Rule {
    kind: u8,
    names: u8,
    cond: Option<Cond>,
}

impl Rule {
    fn print(&self, hook: Hook) -> String {
        let when = match &self.cond {
            Some(c) => format!(" when {}", c.print(hook, 0)),
            None => String::new(),
        };
        let subset = |pool: &[&str], min1: bool| -> Vec<String> {
            let mut v: Vec<String> = pool.iter().enumerate().filter(|(i, _)| self.names & (1 << i) != 0).map(|(_, s)| s.to_string()).collect();
            if v.is_empty() && min1 {
                v.push(pool[usize::from(self.names) % pool.len()].to_string());
            }
            v
        };
        match hook {
            Hook::Instantiate | Hook::Access | Hook::Egress => {
                let pool: &[&str] = match hook {
                    Hook::Instantiate => &["start", "migrate", "follow"],
                    Hook::Access => &["read", "write", "delete", "modify", "execute"],
                    _ => &["send", "receive"],
                };
                let acts = if self.names & 0x80 != 0 { format!(" {}", subset(pool, true).join(", ")) } else { String::new() };
                match self.kind % 8 {
                    0..=3 => format!("permit{acts}{when};"),
                    4..=6 => format!("forbid{acts}{when};"),
                    _ => format!("default {};", if self.names % 2 == 0 { "allow" } else { "deny" }),
                }
            }
            Hook::Encrypt => {
                let ciphers = ["aes_128_gcm", "aes_256_gcm", "chacha20_poly1305", "aes_256_gcm_siv"];
                let c = ciphers[usize::from(self.names) % 4];
                match self.kind % 6 {
                    0..=2 => format!("use {c}{when};"),
                    3 | 4 => format!("forbid {}{when};", subset(&ciphers, false).join(", ")),
                    _ => format!("default {c};"),
                }
            }
            Hook::Log => {
                let fields = subset(&["client_ip", "user_agent", "url", "identity", "timestamp", "headers", "timing", "notes"], true).join(", ");
                if self.kind % 2 == 0 { format!("record {fields}{when};") } else { format!("redact {fields}{when};") }
            }
        }
    }
}

#[derive(Arbitrary, Debug)]
pub struct Policy {
    hook: u8,
    rules: Vec<Rule>,
    first: Rule,
}

#[derive(Arbitrary, Debug)]
pub struct Block {
    scope: u8,
    policies: Vec<Policy>,
    first: Policy,
}

#[derive(Arbitrary, Debug)]
pub struct WProgram {
    blocks: Vec<Block>,
    first: Block,
    template: u8,
    arg1: u8,
    arg2: u8,
    level: u8,
    hours: u8,
}

impl WProgram {
    pub fn print(&self) -> String {
        let mut out = String::from(
            "const eu_c = {\"DE\", \"FR\", \"AT\"};\nconst nets_c = {10.0.0.0/8, 2001:db8::/32};\nconst doms_c = {\"d1.example\", \"example\"};\nconst tiers_c = {1, 2, 3};\n",
        );
        let mut k = 0usize;
        for block in std::iter::once(&self.first).chain(self.blocks.iter().take(4)) {
            let (open, close) = match block.scope % 9 {
                0..=2 => ("platform {".to_string(), "}"),
                3 | 4 => (format!("domain {:?} {{", ["d1.example", "d2.example"][usize::from(block.scope) % 2]), "}"),
                5 => ("domain \"d1.example\" { class \"ledger\" {".to_string(), "} }"),
                6 => ("domain \"d1.example\" { tag \"gov\" {".to_string(), "} }"),
                7 => ("domain \"d2.example\" { user \"alice\" {".to_string(), "} }"),
                _ => ("domain \"d1.example\" { user \"bob\" {".to_string(), "} }"),
            };
            out.push_str(&open);
            out.push('\n');
            for p in std::iter::once(&block.first).chain(block.policies.iter().take(2)) {
                let hook = Hook::ALL[usize::from(p.hook) % 5];
                let rules: Vec<String> = std::iter::once(&p.first).chain(p.rules.iter().take(3)).map(|r| r.print(hook)).collect();
                out.push_str(&format!("  policy \"p{k}\" on {} {{\n    {}\n  }}\n", hook.name(), rules.join("\n    ")));
                k += 1;
            }
            out.push_str(close);
            out.push('\n');
        }
        if self.template % 2 == 1 {
            out.push_str("template tcountries(allowed: set<string>) on access {\n  forbid when not (client.country in allowed);\n  permit read when object.tags has any allowed;\n}\n");
            out.push_str(&format!("domain \"d1.example\" use tcountries({});\n", set_lit(STRS, self.arg1)));
            out.push_str(&format!("domain \"d2.example\" {{ use tcountries({}) as \"countries2\"; }}\n", set_lit(STRS, self.arg2)));
        }
        if self.template & 2 != 0 {
            out.push_str("template tlevel(l: clearance, hours: int, nets: set<cidr>) on instantiate {\n  forbid when object.clearance > l;\n  forbid start when client.ip in nets;\n  permit when request.time.hour >= hours;\n}\n");
            out.push_str(&format!(
                "platform {{ use tlevel({}, {}, {{10.0.0.0/8}}) as \"levels\"; }}\n",
                pick(LEVELS, self.level),
                i64::from(self.hours % 30) - 2
            ));
        }
        out
    }
}

// ------------------------------------------------------------------ requests

const ODD_STRS: &[&str] = &[
    "US", "DE", "FR", "a", "b", "pii-x", "x.d1.example", "d1.example", "", "D1.EXAMPLE", "x.d1.example.", ".d1.example",
    "d1..example", "ß.d1.example", "İ.d1.example", "é", "\u{0}", "*", "?S", "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.example",
];

/// Integers and timestamps: usually ordinary, sometimes at the edges of i64.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Num {
    Small(i8),
    Edge(u8),
    Any(i64),
}

impl Num {
    fn int(self) -> i64 {
        match self {
            Num::Small(n) => i64::from(n % 7) - 1,
            Num::Edge(i) => [i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX - 1, i64::MAX, i64::MAX / 2, i64::MIN / 2][usize::from(i) % 9],
            Num::Any(n) => n,
        }
    }

    fn time(self) -> serde_json::Value {
        match self {
            Num::Small(n) => serde_json::Value::from(1_700_000_000i64 + i64::from(n) * 7_777_777),
            Num::Edge(_) | Num::Any(_) => serde_json::Value::from(self.int()),
        }
    }
}

#[derive(Arbitrary, Debug)]
pub struct Req {
    sc: u8,
    sr: u8,
    cc: u8,
    class: u8,
    dom: u8,
    odd: Option<(u8, u8)>,
    tags: u8,
    roles: u8,
    groups: u8,
    certs: u8,
    tier: Num,
    generation: Num,
    auth: bool,
    ip: u8,
    clr: u8,
    posture: Option<u8>,
    ua: Option<u8>,
    label: Option<(u8, u8)>,
    ulabel: Option<(u8, u8)>,
    owner: Option<u8>,
    uclr: Option<u8>,
    juris: Option<u8>,
    url: Option<u8>,
    time: Num,
    action: u8,
    kind: u8,
    tip: Option<u8>,
    drop: u8,
}

fn tag_set(bits: u8) -> serde_json::Value {
    TAGS.iter().enumerate().filter(|(i, _)| bits & (1 << i) != 0).map(|(_, s)| serde_json::Value::from(*s)).collect()
}

fn label_json((level, comps): (u8, u8)) -> serde_json::Value {
    let names = ["crypto", "nuclear", "sigint", "nato"];
    let cs: Vec<&str> = names.iter().enumerate().filter(|(i, _)| comps & (1 << i) != 0).map(|(_, s)| *s).collect();
    serde_json::json!({"level": pick(LEVELS, level), "compartments": cs})
}

impl Req {
    pub fn json(&self) -> String {
        use serde_json::json;
        let s = |i: u8| pick(STRS, i);
        let mut server = json!({
            "id": "s1", "region": s(self.sr), "country": s(self.sc), "jurisdiction": "US", "datacenter": "dc1",
            "tier": self.tier.int(), "manufacturer": "Oxide", "generation": self.generation.int(), "certifications": tag_set(self.certs),
        });
        let mut client = json!({"ip": pick(&["10.1.2.3", "192.168.1.7", "2001:db8::5", "8.8.8.8", "::", "255.255.255.255", "::ffff:10.0.0.1", "172.16.0.1"], self.ip), "country": s(self.cc)});
        if let Some(p) = self.posture {
            client["posture"] = json!(pick(&["managed", "unmanaged", "compromised"], p));
        }
        if let Some(u) = self.ua {
            client["user_agent"] = json!(pick(&["Mozilla", "curl"], u));
        }
        if let Some(j) = self.juris {
            client["jurisdiction"] = json!(s(j));
        }
        let mut user = json!({"authenticated": self.auth, "credentials": [], "roles": tag_set(self.roles), "groups": tag_set(self.groups)});
        if let Some(c) = self.uclr {
            user["clearance"] = json!(pick(LEVELS, c));
        }
        if let Some(l) = self.ulabel {
            user["label"] = label_json(l);
        }
        let mut object = json!({
            "id": "o1", "class": pick(&["ledger", "doc", "session"], self.class),
            "domain": pick(&["d1.example", "d2.example", "d3.example"], self.dom),
            "tags": tag_set(self.tags), "clearance": pick(LEVELS, self.clr),
        });
        if let Some(l) = self.label {
            object["label"] = label_json(l);
        }
        if let Some(o) = self.owner {
            object["owner"] = json!(pick(&["alice", "bob"], o));
        }
        // Odd strings in one string attribute (case, Unicode, dots, long names).
        if let Some((which, v)) = self.odd {
            let v = json!(pick(ODD_STRS, v));
            match which % 5 {
                0 => server["region"] = v,
                1 => server["country"] = v,
                2 => client["country"] = v,
                3 => object["id"] = v,
                _ => object["class"] = v,
            }
        }
        let mut target = json!({"kind": pick(&["external", "object"], self.kind), "domain": "x.d1.example", "clearance": pick(LEVELS, self.clr / 2)});
        if let Some(t) = self.tip {
            target["ip"] = json!(pick(&["10.9.9.9", "192.168.0.1", "1.1.1.1", "2001:db8::1"], t));
        }
        let actions = ["start", "migrate", "follow", "read", "write", "modify", "delete", "execute", "send", "receive"];
        let mut request = json!({"action": pick(&actions, self.action), "headers": [], "time": self.time.time()});
        if let Some(u) = self.url {
            request["url"] = json!(pick(&["https://a/admin/x", "/", ""], u));
        }
        // One request in forty lacks a required attribute: both must deny.
        if self.drop % 40 == 0 {
            if let Some(o) = server.as_object_mut() {
                o.remove("country");
            }
        }
        json!({"server": server, "client": client, "user": user, "object": object, "target": target, "request": request}).to_string()
    }
}

/// One differential case: a program and up to five requests.
#[derive(Arbitrary, Debug)]
pub struct Case {
    pub program: WProgram,
    pub first: Req,
    pub requests: Vec<Req>,
}

impl Case {
    pub fn render(&self) -> (String, Vec<String>) {
        let reqs = std::iter::once(&self.first).chain(self.requests.iter().take(4)).map(Req::json).collect();
        (self.program.print(), reqs)
    }
}
