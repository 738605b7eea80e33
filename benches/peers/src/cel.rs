//! CEL (`cel-interpreter`).
//!
//! Shape: CEL is an expression language without a data layer, so the embedder supplies
//! everything as variables. One program per hook, compiled once; the request's entities
//! are maps (`server`, `client`, `user`, `object`, `target`, `request`); the platform's
//! constants (`blocked`, `eu`, `levels`) are variables of the root context; the tenant's
//! constants are one map per tenant, built at load time, which the host selects by the
//! object's domain (a `HashMap` lookup) and binds as `tenant` for the evaluation.
//!
//! The other shape, [`PerTenant`], compiles three programs per tenant with the tenant's
//! constants written into the text (unrolled network ranges and domain tests instead of
//! `exists` over lists). Both are measured: the inlined programs evaluate the list-heavy
//! hooks (access, egress) several times faster, because this interpreter's `exists` macro
//! is slow, but they cost 30,000 parsed programs at 10,000 tenants (build time and memory
//! in docs/PERFORMANCE.md).
//!
//! CEL has no IP type in this implementation, so an IPv4 address is passed as its 32-bit
//! number and a tenant's office networks as `[first, last]` number pairs (an IPv6 client
//! gets -1, which no IPv4 network contains; the workload's networks are all IPv4). It has
//! no lowercase function, so the caller lowercases the target domain.

use crate::workload::{BLOCKED, CLEARANCES, EU, Req, Tenant, Workload};
use crate::{HOOKS, Peer};
use cel_interpreter::objects::{Key, Map};
use cel_interpreter::{Context, Program, Value};
use dictum::types::Hook;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

pub const PROGRAMS: [&str; 5] = [
    // instantiate
    r#"server.country in tenant.countries
       && (request.action == "start" || request.action == "migrate")
       && server.tier <= 2"#,
    // access
    r#"!(client.country in blocked)
       && tenant.nets.exists(n, client.ip >= n[0] && client.ip <= n[1])
       && ((request.action == "read" && user.roles.exists(r, r in tenant.readers))
           || ((request.action == "write" || request.action == "modify")
               && tenant.writer in user.roles && "rw" in object.tags))"#,
    // egress
    r#"request.action == "send"
       && !(target.kind == "object" && levels[object.clearance] > levels[target.clearance])
       && tenant.egress.exists(d, target.domain == d || target.domain.endsWith("." + d))"#,
    // encrypt: true means aes_256_gcm, false chacha20_poly1305
    r#""fips" in object.tags"#,
    // log: true means the client IP is recorded in clear
    r#"!(client.country in eu)"#,
];

fn string(s: &str) -> Value {
    Value::String(Arc::new(s.to_string()))
}

fn list(items: impl IntoIterator<Item = Value>) -> Value {
    Value::List(Arc::new(items.into_iter().collect()))
}

fn strings<S: AsRef<str>>(items: &[S]) -> Value {
    list(items.iter().map(|s| string(s.as_ref())))
}

fn map(fields: Vec<(&str, Value)>) -> Value {
    Value::Map(Map {
        map: Arc::new(
            fields
                .into_iter()
                .map(|(k, v)| (Key::String(Arc::new(k.to_string())), v))
                .collect(),
        ),
    })
}

fn ipv4(ip: IpAddr) -> i64 {
    match ip {
        IpAddr::V4(a) => i64::from(u32::from(a)),
        IpAddr::V6(_) => -1,
    }
}

fn tenant_value(t: &Tenant) -> Value {
    let nets = t.nets.iter().map(|n| {
        let n: ipnetwork::Ipv4Network = n.parse().expect("an IPv4 network");
        list([
            Value::Int(i64::from(u32::from(n.network()))),
            Value::Int(i64::from(u32::from(n.broadcast()))),
        ])
    });
    map(vec![
        ("countries", strings(&t.countries)),
        ("nets", list(nets)),
        ("egress", strings(&t.egress)),
        ("readers", strings(&t.readers)),
        ("writer", string(&t.writer)),
    ])
}

/// The variables of one request: what the caller builds.
fn convert(r: &Req) -> Vec<(&'static str, Value)> {
    vec![
        (
            "server",
            map(vec![
                ("country", string(&r.server_country)),
                ("tier", Value::Int(r.server_tier)),
            ]),
        ),
        (
            "client",
            map(vec![
                ("ip", Value::Int(ipv4(r.client_ip))),
                ("country", string(&r.client_country)),
            ]),
        ),
        ("user", map(vec![("roles", strings(&r.roles))])),
        (
            "object",
            map(vec![
                ("domain", string(&r.domain)),
                ("tags", strings(&r.tags)),
                ("clearance", string(r.object_clearance)),
            ]),
        ),
        (
            "target",
            map(vec![
                ("kind", string(r.target_kind)),
                ("domain", string(&r.target_domain.to_ascii_lowercase())),
                ("clearance", string(r.target_clearance)),
            ]),
        ),
        ("request", map(vec![("action", string(r.action))])),
    ]
}

pub struct Cel {
    programs: Vec<Program>,
    /// The standard functions and the platform constants. Leaked: request contexts borrow it.
    root: &'static Context<'static>,
    tenants: HashMap<String, Value>,
    pool: &'static [Req],
    /// Per request: a child context holding the request's variables.
    natives: Vec<Context<'static>>,
}

impl Cel {
    pub fn new(w: &Workload) -> Cel {
        let programs = PROGRAMS
            .iter()
            .map(|p| Program::compile(p).expect("cel compiles"))
            .collect();
        let mut root = Context::default();
        root.add_variable_from_value("blocked", strings(BLOCKED));
        root.add_variable_from_value("eu", strings(EU));
        root.add_variable_from_value(
            "levels",
            Value::Map(Map {
                map: Arc::new(
                    CLEARANCES
                        .iter()
                        .enumerate()
                        .map(|(i, c)| (Key::String(Arc::new(c.to_string())), Value::Int(i as i64)))
                        .collect(),
                ),
            }),
        );
        let tenants = w
            .tenants
            .iter()
            .map(|t| (t.domain.clone(), tenant_value(t)))
            .collect();
        Cel {
            programs,
            root: Box::leak(Box::new(root)),
            tenants,
            pool: &[],
            natives: vec![],
        }
    }

    #[inline]
    fn run(&self, hook: Hook, domain: &str, vars: &Context<'_>) -> bool {
        let mut ctx = vars.new_inner_scope();
        match self.tenants.get(domain) {
            Some(t) => ctx.add_variable_from_value("tenant", t.clone()),
            // Without a tenant only the platform hooks can answer.
            None if matches!(hook, Hook::Encrypt | Hook::Log) => {}
            None => return false,
        }
        match self.programs[hook.index()].execute(&ctx) {
            Ok(Value::Bool(b)) => b,
            Ok(v) => panic!("cel: {v:?}"),
            Err(e) => panic!("cel: {e:?}"),
        }
    }
}

impl Peer for Cel {
    fn prepare(&mut self, pool: &'static [Req]) {
        self.pool = pool;
        let root = self.root;
        self.natives = pool
            .iter()
            .map(|r| {
                let mut ctx = root.new_inner_scope();
                for (k, v) in convert(r) {
                    ctx.add_variable_from_value(k, v);
                }
                ctx
            })
            .collect();
        debug_assert_eq!(HOOKS.len(), self.programs.len());
    }
    fn eval(&mut self, hook: Hook, i: usize) -> bool {
        self.run(hook, &self.pool[i].domain, &self.natives[i])
    }
    fn convert_eval(&mut self, hook: Hook, i: usize) -> bool {
        let r = &self.pool[i];
        let mut ctx = self.root.new_inner_scope();
        for (k, v) in convert(r) {
            ctx.add_variable_from_value(k, v);
        }
        self.run(hook, &r.domain, &ctx)
    }
}

/// The other shape: one program per tenant and hook, with the tenant's constants written
/// into the expression (lists, unrolled network ranges and domain tests), selected by a
/// `HashMap` lookup on the domain; encrypt and log share the platform programs.
pub struct PerTenant {
    tenants: HashMap<String, [Program; 3]>,
    shared: [Program; 2],
    root: &'static Context<'static>,
    pool: &'static [Req],
    natives: Vec<Context<'static>>,
}

fn quoted<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|s| format!("{:?}", s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn tenant_programs(t: &Tenant) -> [String; 3] {
    let nets = t
        .nets
        .iter()
        .map(|n| {
            let n: ipnetwork::Ipv4Network = n.parse().expect("an IPv4 network");
            format!(
                "(client.ip >= {} && client.ip <= {})",
                u32::from(n.network()),
                u32::from(n.broadcast())
            )
        })
        .collect::<Vec<_>>()
        .join(" || ");
    let readers = t
        .readers
        .iter()
        .map(|r| format!("{r:?} in user.roles"))
        .collect::<Vec<_>>()
        .join(" || ");
    let egress = t
        .egress
        .iter()
        .map(|d| format!("target.domain == {d:?} || target.domain.endsWith(\".{d}\")"))
        .collect::<Vec<_>>()
        .join(" || ");
    [
        format!(
            r#"server.country in [{}] && (request.action == "start" || request.action == "migrate") && server.tier <= 2"#,
            quoted(&t.countries)
        ),
        format!(
            r#"!(client.country in blocked) && ({nets}) && ((request.action == "read" && ({readers})) || ((request.action == "write" || request.action == "modify") && {:?} in user.roles && "rw" in object.tags))"#,
            t.writer
        ),
        format!(
            r#"request.action == "send" && !(target.kind == "object" && levels[object.clearance] > levels[target.clearance]) && ({egress})"#
        ),
    ]
}

impl PerTenant {
    pub fn new(texts: &[(String, [String; 3])]) -> PerTenant {
        let compile = |p: &str| Program::compile(p).expect("cel compiles");
        let shared = Cel::new(&Workload { tenants: vec![] });
        PerTenant {
            tenants: texts
                .iter()
                .map(|(d, t)| (d.clone(), [compile(&t[0]), compile(&t[1]), compile(&t[2])]))
                .collect(),
            shared: [compile(PROGRAMS[3]), compile(PROGRAMS[4])],
            root: shared.root,
            pool: &[],
            natives: vec![],
        }
    }

    #[inline]
    fn run(&self, hook: Hook, domain: &str, vars: &Context<'_>) -> bool {
        let program = match hook {
            Hook::Encrypt => &self.shared[0],
            Hook::Log => &self.shared[1],
            _ => match self.tenants.get(domain) {
                Some(t) => &t[hook.index()],
                None => return false,
            },
        };
        match program.execute(vars) {
            Ok(Value::Bool(b)) => b,
            Ok(v) => panic!("cel: {v:?}"),
            Err(e) => panic!("cel: {e:?}"),
        }
    }
}

impl Peer for PerTenant {
    fn prepare(&mut self, pool: &'static [Req]) {
        self.pool = pool;
        let root = self.root;
        self.natives = pool
            .iter()
            .map(|r| {
                let mut ctx = root.new_inner_scope();
                for (k, v) in convert(r) {
                    ctx.add_variable_from_value(k, v);
                }
                ctx
            })
            .collect();
    }
    fn eval(&mut self, hook: Hook, i: usize) -> bool {
        self.run(hook, &self.pool[i].domain, &self.natives[i])
    }
    fn convert_eval(&mut self, hook: Hook, i: usize) -> bool {
        let r = &self.pool[i];
        let mut ctx = self.root.new_inner_scope();
        for (k, v) in convert(r) {
            ctx.add_variable_from_value(k, v);
        }
        self.run(hook, &r.domain, &ctx)
    }
}
