//! Structured programs: an `arbitrary`-derived tree shaped like the AST (items, scopes,
//! policies, rules, expressions), printed as policy text. Names, attributes, hooks,
//! actions, ciphers and literals come from small pools so that most names resolve and the
//! checker's type rules (not its name lookup) do the rejecting. Programs may be ill-typed.
//!
//! The printer can also put noise between tokens (comments, blank lines, tabs), which the
//! `fmt` target uses: the text means the same, so the formatter must keep it all.

use arbitrary::Arbitrary;

const NAMES: &[&str] = &[
    "x", "y", "eu", "blocked", "t", "s", "n", "lvl", "L", "M", "clearance", "label", "secret", "confidential",
    "top_secret", "unclassified", "managed", "read", "write", "start", "send", "object", "client", "external",
    "aes_256_gcm", "client_ip", "crypto", "nato", "mon", "fri", "posture", "L_compartment", "c0", "c1", "lub", "glb",
];

const TYPES: &[&str] = &[
    "string", "int", "bool", "ip", "cidr", "timestamp", "duration", "time", "weekday", "clearance", "label", "posture",
    "action", "cipher", "L", "M", "bogus",
];

const PATHS: &[&str] = &[
    "server.id", "server.region", "server.country", "server.tier", "server.generation", "server.certifications",
    "server.location", "client.ip", "client.country", "client.jurisdiction", "client.posture", "client.device_type",
    "client.user_agent", "user.id", "user.authenticated", "user.credentials", "user.roles", "user.groups",
    "user.clearance", "user.label", "object.id", "object.class", "object.domain", "object.tags", "object.clearance",
    "object.label", "object.owner", "target.kind", "target.domain", "target.ip", "target.clearance", "target.label",
    "request.action", "request.method", "request.url", "request.headers", "request.time", "client.bogus", "nobody.x",
];

const ENTITIES: &[&str] = &["server", "client", "user", "object", "target", "request", "nobody"];
const OPTIONALS: &[&str] = &[
    "posture", "user_agent", "jurisdiction", "device_type", "clearance", "label", "owner", "ip", "location", "id",
    "method", "url", "country",
];

const FIELDS: &[&str] = &["size", "level", "compartments", "hour", "weekday", "time_of_day", "bogus"];

const HOOKS: &[&str] = &["instantiate", "access", "egress", "encrypt", "log", "bogus"];

/// Actions, ciphers, log fields, outcomes: what rules name.
const RULE_NAMES: &[&str] = &[
    "start", "migrate", "follow", "read", "write", "modify", "delete", "execute", "send", "receive", "allow", "deny",
    "aes_128_gcm", "aes_256_gcm", "chacha20_poly1305", "aes_256_gcm_siv", "client_ip", "user_agent", "url", "headers",
    "identity", "timing", "notes", "timestamp", "bogus",
];

const STRINGS: &[&str] = &[
    "\"US\"", "\"DE\"", "\"\"", "\"bank.example\"", "\"*.example\"", "\"fin*\"", "\"a\\\"b\\\\\"", "\"\\u{1F600}\"",
    "\"\\u{110000}\"", "\"\\q\"", "r\"^[A-Z]{2}$\"", "r\"(\"", "\"^x\\\\.\"", "\"\\\\*\"", "\"?\"", "\"ß.example\"",
    "\"a(b\"", "r\"\\d{1000}{1000}\"",
];

const ATOMS: &[&str] = &[
    "10.0.0.0/8", "10.0.0.1/8", "0.0.0.0/0", "10.0.0.0/33", "2001:db8::/32", "::/0", "::1", "10.1.2.3", "fe80::1:2",
    "256.0.0.1", "09:00", "23:59:59", "24:00", "1h", "1h30m", "0s", "7d", "15m", "90s", "99999999999999999d",
    "2026-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-02-30T00:00:00Z", "true", "false",
    "action::read", "clearance::secret", "posture::managed", "cipher::bogus", "label::x",
];

const FUNCS: &[&str] = &["lub", "glb", "label", "bogus"];

const OPS: &[&str] = &[
    "and", "or", "==", "!=", "<", "<=", ">", ">=", "in", "has", "has any", "has all", "like", "matches", "under", "+", "-",
];

fn pick(pool: &'static [&'static str], i: u8) -> &'static str {
    pool[usize::from(i) % pool.len()]
}

#[derive(Arbitrary, Debug)]
pub struct GProgram {
    pub items: Vec<GItem>,
}

#[derive(Arbitrary, Debug)]
pub enum GItem {
    Const { name: u8, ty: Option<GType>, value: GExpr },
    Lattice { name: u8, levels: Vec<u8> },
    Product { name: u8, base: u8, compartments: Vec<u8> },
    Template { name: u8, params: Vec<(u8, GType)>, hook: u8, rules: Vec<GRule> },
    Platform(Vec<GScopeItem>),
    Domain(u8, Vec<GScopeItem>),
    DomainUse(u8, GUse),
}

#[derive(Arbitrary, Debug)]
pub enum GType {
    Named(u8),
    Set(Box<GType>),
}

#[derive(Arbitrary, Debug)]
pub enum GScopeItem {
    Policy { name: u8, hook: u8, rules: Vec<GRule> },
    Use(GUse),
    Class(u8, Vec<GScopeItem>),
    Tag(u8, Vec<GScopeItem>),
    User(u8, Vec<GScopeItem>),
}

#[derive(Arbitrary, Debug)]
pub struct GUse {
    pub template: u8,
    pub args: Vec<GExpr>,
    pub as_name: Option<u8>,
}

#[derive(Arbitrary, Debug)]
pub enum GRule {
    Permit(Vec<u8>, Option<GExpr>),
    Forbid(Vec<u8>, Option<GExpr>),
    Use(u8, Option<GExpr>),
    Default(u8),
    Record(Vec<u8>, Option<GExpr>),
    Redact(Vec<u8>, Option<GExpr>),
}

#[derive(Arbitrary, Debug)]
pub enum GExpr {
    Int(i64),
    Small(i8),
    Str(u8),
    Atom(u8),
    Name(u8),
    Path(u8),
    Has(u8, u8),
    Guarded(u8, u8, Box<GExpr>),
    Bin(u8, Box<GExpr>, Box<GExpr>),
    Not(Box<GExpr>),
    Paren(Box<GExpr>),
    Quant(bool, u8, Box<GExpr>, Box<GExpr>),
    Call(u8, Vec<GExpr>),
    Field(Box<GExpr>, u8),
    Set(Vec<GExpr>),
    /// A well-typed leaf of the differential generator, so that more programs pass the
    /// checker and reach the compiler.
    Typed(crate::welltyped::Leaf),
}

/// Separators the noisy printer may put between two tokens.
const NOISE: &[&str] = &[" ", " ", " ", "\n", "\n\n", "\t", " /* c */ ", " // line\n", "/**/", "\n/* a\n b */\n", " //\n", "\r\n"];

/// Prints a generated program. With `noise`, each token boundary consumes one byte of
/// it to choose a separator (comments, blank lines) instead of a single space.
pub struct Printer<'n> {
    pub out: String,
    noise: &'n [u8],
    at: usize,
    /// Caps on size so one input stays fast.
    budget: usize,
    /// The hook of the rules being printed (for hook-specific leaves).
    hook: dictum::types::Hook,
}

impl<'n> Printer<'n> {
    pub fn new(noise: &'n [u8]) -> Printer<'n> {
        Printer { out: String::new(), noise, at: 0, budget: 4000, hook: dictum::types::Hook::Access }
    }

    fn set_hook(&mut self, i: u8) {
        if let Some(h) = dictum::types::Hook::from_name(pick(HOOKS, i)) {
            self.hook = h;
        }
    }

    /// A rule name: usually one that fits the hook, sometimes any name of any hook.
    fn rule_name(&self, kw: &str, i: u8) -> &'static str {
        use dictum::types::Hook;
        if i & 0x80 != 0 {
            return pick(RULE_NAMES, i);
        }
        let pool: &'static [&'static str] = match (self.hook, kw) {
            (_, "default") if self.hook.is_authorization() => &["allow", "deny"],
            (Hook::Instantiate, _) => &["start", "migrate", "follow"],
            (Hook::Access, _) => &["read", "write", "modify", "delete", "execute"],
            (Hook::Egress, _) => &["send", "receive"],
            (Hook::Encrypt, _) => &["aes_128_gcm", "aes_256_gcm", "chacha20_poly1305", "aes_256_gcm_siv"],
            (Hook::Log, _) => &["client_ip", "user_agent", "url", "headers", "identity", "timing", "notes", "timestamp"],
        };
        pick(pool, i)
    }

    fn tok(&mut self, s: &str) {
        if !self.out.is_empty() {
            let sep = match self.noise.get(self.at) {
                Some(b) => NOISE[usize::from(*b) % NOISE.len()],
                None => " ",
            };
            self.at += 1;
            self.out.push_str(sep);
        }
        self.out.push_str(s);
        self.budget = self.budget.saturating_sub(1);
    }

    pub fn program(&mut self, p: &GProgram) {
        for item in p.items.iter().take(10) {
            self.item(item);
        }
        if !self.noise.is_empty() {
            // Trailing comment, the formatter's end-of-file case.
            self.tok("// end");
            self.out.push('\n');
        }
    }

    fn ty(&mut self, t: &GType, depth: usize) {
        match t {
            GType::Set(inner) if depth < 3 => {
                self.tok("set");
                self.tok("<");
                self.ty(inner, depth + 1);
                self.tok(">");
            }
            GType::Set(_) => self.tok("string"),
            GType::Named(i) => self.tok(pick(TYPES, *i)),
        }
    }

    fn item(&mut self, item: &GItem) {
        match item {
            GItem::Const { name, ty, value } => {
                self.tok("const");
                self.tok(pick(NAMES, *name));
                if let Some(t) = ty {
                    self.tok(":");
                    self.ty(t, 0);
                }
                self.tok("=");
                self.expr(value, 0);
                self.tok(";");
            }
            GItem::Lattice { name, levels } => {
                self.tok("lattice");
                self.tok(pick(NAMES, *name));
                self.tok("{");
                if levels.is_empty() {
                    self.tok("a");
                }
                for (i, l) in levels.iter().take(6).enumerate() {
                    if i > 0 {
                        self.tok("<");
                    }
                    self.tok(pick(NAMES, *l));
                }
                self.tok("}");
            }
            GItem::Product { name, base, compartments } => {
                self.tok("lattice");
                self.tok(pick(NAMES, *name));
                self.tok("=");
                self.tok(pick(NAMES, *base));
                self.tok("with");
                self.tok("{");
                if compartments.is_empty() {
                    self.tok("c0");
                }
                for (i, c) in compartments.iter().take(6).enumerate() {
                    if i > 0 {
                        self.tok(",");
                    }
                    self.tok(pick(NAMES, *c));
                }
                self.tok("}");
                self.tok(";");
            }
            GItem::Template { name, params, hook, rules } => {
                self.tok("template");
                self.tok(pick(NAMES, *name));
                self.tok("(");
                for (i, (n, t)) in params.iter().take(4).enumerate() {
                    if i > 0 {
                        self.tok(",");
                    }
                    self.tok(pick(NAMES, *n));
                    self.tok(":");
                    self.ty(t, 0);
                }
                self.tok(")");
                self.tok("on");
                self.set_hook(*hook);
                self.tok(pick(HOOKS, *hook));
                self.rules(rules);
            }
            GItem::Platform(items) => {
                self.tok("platform");
                self.block(items, 0);
            }
            GItem::Domain(d, items) => {
                self.tok("domain");
                self.tok(&domain_name(*d));
                self.block(items, 0);
            }
            GItem::DomainUse(d, u) => {
                self.tok("domain");
                self.tok(&domain_name(*d));
                self.use_decl(u);
            }
        }
    }

    fn use_decl(&mut self, u: &GUse) {
        self.tok("use");
        self.tok(pick(NAMES, u.template));
        self.tok("(");
        for (i, a) in u.args.iter().take(4).enumerate() {
            if i > 0 {
                self.tok(",");
            }
            self.expr(a, 0);
        }
        self.tok(")");
        if let Some(n) = u.as_name {
            self.tok("as");
            self.tok(&format!("\"u{}\"", n % 4));
        }
        self.tok(";");
    }

    fn block(&mut self, items: &[GScopeItem], depth: usize) {
        self.tok("{");
        for it in items.iter().take(6) {
            match it {
                GScopeItem::Policy { name, hook, rules } => {
                    self.tok("policy");
                    self.tok(&format!("\"p{}\"", name % 8));
                    self.tok("on");
                    self.set_hook(*hook);
                    self.tok(pick(HOOKS, *hook));
                    self.rules(rules);
                }
                GScopeItem::Use(u) => self.use_decl(u),
                GScopeItem::Class(n, inner) | GScopeItem::Tag(n, inner) | GScopeItem::User(n, inner) if depth < 2 => {
                    let kw = match it {
                        GScopeItem::Class(..) => "class",
                        GScopeItem::Tag(..) => "tag",
                        _ => "user",
                    };
                    self.tok(kw);
                    self.tok(&format!("\"{}\"", ["ledger", "gov", "alice", "fips"][usize::from(*n) % 4]));
                    self.block(inner, depth + 1);
                }
                _ => {}
            }
        }
        self.tok("}");
    }

    fn rules(&mut self, rules: &[GRule]) {
        self.tok("{");
        for r in rules.iter().take(6) {
            let (kw, names, cond): (&str, &[u8], &Option<GExpr>) = match r {
                GRule::Permit(n, c) => ("permit", n, c),
                GRule::Forbid(n, c) => ("forbid", n, c),
                GRule::Record(n, c) => ("record", n, c),
                GRule::Redact(n, c) => ("redact", n, c),
                GRule::Use(n, c) => ("use", std::slice::from_ref(n), c),
                GRule::Default(n) => ("default", std::slice::from_ref(n), &None),
            };
            self.tok(kw);
            for (i, n) in names.iter().take(4).enumerate() {
                if i > 0 {
                    self.tok(",");
                }
                let name = self.rule_name(kw, *n);
                self.tok(name);
            }
            if let Some(c) = cond {
                self.tok("when");
                self.expr(c, 0);
            }
            self.tok(";");
        }
        self.tok("}");
    }

    fn expr(&mut self, e: &GExpr, depth: usize) {
        if depth > 8 || self.budget == 0 {
            self.tok("true");
            return;
        }
        match e {
            GExpr::Int(n) => self.tok(&n.to_string()),
            GExpr::Small(n) => self.tok(&n.to_string()),
            GExpr::Str(i) => self.tok(pick(STRINGS, *i)),
            GExpr::Atom(i) => self.tok(pick(ATOMS, *i)),
            GExpr::Name(i) => self.tok(pick(NAMES, *i)),
            GExpr::Path(i) => {
                let p = pick(PATHS, *i);
                let (e, a) = p.split_once('.').unwrap_or((p, "x"));
                self.tok(e);
                self.tok(".");
                self.tok(a);
            }
            GExpr::Has(e, a) => {
                self.tok(pick(ENTITIES, *e));
                self.tok("has");
                self.tok(pick(OPTIONALS, *a));
            }
            GExpr::Guarded(e, a, body) => {
                // `(E has A and BODY)`: the shape that makes optional reads legal.
                self.tok("(");
                self.tok(pick(ENTITIES, *e));
                self.tok("has");
                self.tok(pick(OPTIONALS, *a));
                self.tok("and");
                self.expr(body, depth + 1);
                self.tok(")");
            }
            GExpr::Bin(op, a, b) => {
                self.tok("(");
                self.expr(a, depth + 1);
                for w in pick(OPS, *op).split(' ') {
                    self.tok(w);
                }
                self.expr(b, depth + 1);
                self.tok(")");
            }
            GExpr::Not(a) => {
                self.tok("not");
                self.tok("(");
                self.expr(a, depth + 1);
                self.tok(")");
            }
            GExpr::Paren(a) => {
                self.tok("(");
                self.expr(a, depth + 1);
                self.tok(")");
            }
            GExpr::Quant(all, v, set, body) => {
                self.tok("(");
                self.tok(if *all { "all" } else { "any" });
                self.tok(["v", "w", "x"][usize::from(*v) % 3]);
                self.tok("in");
                self.expr(set, depth + 1);
                self.tok(":");
                self.expr(body, depth + 1);
                self.tok(")");
            }
            GExpr::Call(f, args) => {
                self.tok(pick(FUNCS, *f));
                self.tok("(");
                for (i, a) in args.iter().take(3).enumerate() {
                    if i > 0 {
                        self.tok(",");
                    }
                    self.expr(a, depth + 1);
                }
                self.tok(")");
            }
            GExpr::Field(a, f) => {
                self.tok("(");
                self.expr(a, depth + 1);
                self.tok(")");
                self.tok(".");
                self.tok(pick(FIELDS, *f));
            }
            GExpr::Typed(leaf) => {
                self.tok("(");
                self.tok(&leaf.print(self.hook));
                self.tok(")");
            }
            GExpr::Set(items) => {
                self.tok("{");
                for (i, a) in items.iter().take(5).enumerate() {
                    if i > 0 {
                        self.tok(",");
                    }
                    self.expr(a, depth + 1);
                }
                self.tok("}");
            }
        }
    }
}

fn domain_name(i: u8) -> String {
    format!("\"{}\"", ["bank.example", "d1.example", "d2.example", ""][usize::from(i) % 4])
}

/// Print a program without noise.
pub fn print(p: &GProgram) -> String {
    let mut pr = Printer::new(&[]);
    pr.program(p);
    pr.out
}
