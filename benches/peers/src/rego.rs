//! Rego (`regorus`, Microsoft's Rust Rego).
//!
//! Shape: what an OPA user writes: one package of shared rules, and the tenants' constants
//! in the data document (`data.tenants["t3.example"]`), selected by the request's domain
//! inside the policy. The input is the request as a JSON-like document (the fields the
//! rules read, in the layout of dictum's JSON request format). One rule per hook:
//! `instantiate`, `access`, `egress` (booleans), `encrypt` (the cipher's name) and
//! `record_client_ip` (boolean).
//!
//! Two ways to run it, both measured: [`Rvm`], the policy compiled to regorus's register
//! VM (`rvm`, its fastest path: one `RegoVM` per thread, the `Program` shared), and
//! [`Interp`], the tree-walking interpreter (`Engine::eval_rule`). A third shape,
//! [`RvmPerTenant`], writes one package per tenant with the constants inlined.

use crate::workload::{BLOCKED, EU, Req, Workload};
use crate::{HOOKS, Peer};
use dictum::types::Hook;
use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::vm::RegoVM;
use regorus::{Engine, Value};
use std::collections::BTreeMap;

fn set(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn policy() -> String {
    format!(
        r#"package dictum

import rego.v1

blocked_countries := {{{blocked}}}

eu := {{{eu}}}

levels := {{"unclassified": 0, "confidential": 1, "secret": 2, "top_secret": 3}}

# The tenant owning the object: its constants are in the data document.
tenant := data.tenants[input.object.domain]

default instantiate := false

instantiate if {{
	input.server.country in tenant.countries
	input.request.action in {{"start", "migrate"}}
	input.server.tier <= 2
}}

default access := false

access if {{
	not input.client.country in blocked_countries
	from_office
	access_permitted
}}

from_office if {{
	some cidr in tenant.nets
	net.cidr_contains(cidr, input.client.ip)
}}

access_permitted if {{
	input.request.action == "read"
	some role in input.user.roles
	role in tenant.readers
}}

access_permitted if {{
	input.request.action in {{"write", "modify"}}
	tenant.writer in input.user.roles
	"rw" in input.object.tags
}}

default egress := false

egress if {{
	input.request.action == "send"
	not write_down
	name := lower(input.target.domain)
	some domain in tenant.egress
	under(name, domain)
}}

# No write-down on the clearance lattice.
{common}"#,
        blocked = set(BLOCKED),
        eu = set(EU),
        common = COMMON_RULES
    )
}

/// The rules both shapes share, after their constants: no write-down, `under`, encrypt
/// and log.
const COMMON_RULES: &str = r#"write_down if {
	input.target.kind == "object"
	levels[input.object.clearance] > levels[input.target.clearance]
}

under(name, domain) if name == domain

under(name, domain) if endswith(name, concat("", [".", domain]))

default encrypt := "chacha20_poly1305"

encrypt := "aes_256_gcm" if "fips" in input.object.tags

default record_client_ip := true

record_client_ip := false if input.client.country in eu
"#;

/// The data document, as JSON text (how OPA deployments ship it).
pub fn data_json(w: &Workload) -> String {
    let q = |v: &[String]| {
        v.iter()
            .map(|s| format!("{s:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let tenants = w
        .tenants
        .iter()
        .map(|t| {
            format!(
                r#"{:?}: {{"countries": [{}], "nets": [{}], "egress": [{}], "readers": [{}], "writer": {:?}}}"#,
                t.domain,
                q(&t.countries),
                q(&t.nets),
                q(&t.egress),
                q(&t.readers),
                t.writer
            )
        })
        .collect::<Vec<_>>()
        .join(",\n");
    format!("{{\"tenants\": {{\n{tenants}\n}}}}")
}

const ENTRY: [&str; 5] = [
    "data.dictum.instantiate",
    "data.dictum.access",
    "data.dictum.egress",
    "data.dictum.encrypt",
    "data.dictum.record_client_ip",
];

fn obj(fields: Vec<(&str, Value)>) -> Value {
    Value::from(
        fields
            .into_iter()
            .map(|(k, v)| (Value::from(k), v))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn strs(v: &[String]) -> Value {
    Value::from(
        v.iter()
            .map(|s| Value::from(s.as_str()))
            .collect::<Vec<_>>(),
    )
}

/// The input document for a request: what the caller builds.
pub fn convert(r: &Req) -> Value {
    obj(vec![
        (
            "server",
            obj(vec![
                ("country", Value::from(r.server_country.as_str())),
                ("tier", Value::from(r.server_tier)),
            ]),
        ),
        (
            "client",
            obj(vec![
                ("ip", Value::from(r.client_ip.to_string())),
                ("country", Value::from(r.client_country.as_str())),
            ]),
        ),
        ("user", obj(vec![("roles", strs(&r.roles))])),
        (
            "object",
            obj(vec![
                ("domain", Value::from(r.domain.as_str())),
                ("tags", strs(&r.tags)),
                ("clearance", Value::from(r.object_clearance)),
            ]),
        ),
        (
            "target",
            obj(vec![
                ("kind", Value::from(r.target_kind)),
                ("domain", Value::from(r.target_domain.as_str())),
                ("clearance", Value::from(r.target_clearance)),
            ]),
        ),
        ("request", obj(vec![("action", Value::from(r.action))])),
    ])
}

/// The workload's answer from a rule's value.
fn answer(hook: Hook, v: &Value) -> bool {
    match hook {
        Hook::Encrypt => v.as_string().is_ok_and(|s| &**s == "aes_256_gcm"),
        _ => v.as_bool().is_ok_and(|b| *b),
    }
}

/// The policy compiled to an RVM program; tenants in the data document.
pub struct Rvm {
    vm: RegoVM,
    pool: &'static [Req],
    natives: Vec<Value>,
}

impl Rvm {
    pub fn new(policy: &str, data: &str) -> Rvm {
        let mut engine = Engine::new();
        engine
            .add_policy("dictum.rego".into(), policy.into())
            .expect("rego parses");
        let compiled = engine
            .compile_with_entrypoint(&ENTRY[1].into())
            .expect("rego compiles");
        let program = Compiler::compile_from_policy(&compiled, &ENTRY).expect("rvm compiles");
        let mut vm = RegoVM::new();
        vm.load_program(program);
        vm.set_data(Value::from_json_str(data).expect("data parses"))
            .expect("data loads");
        Rvm {
            vm,
            pool: &[],
            natives: vec![],
        }
    }

    #[inline]
    fn run(&mut self, hook: Hook, input: Value) -> bool {
        self.vm.set_input(input);
        match self.vm.execute_entry_point_by_index(hook.index()) {
            Ok(v) => answer(hook, &v),
            Err(e) => panic!("rvm: {e}"),
        }
    }
}

impl Peer for Rvm {
    fn prepare(&mut self, pool: &'static [Req]) {
        assert_eq!(
            self.vm.get_entry_point_names(),
            ENTRY.map(String::from).to_vec()
        );
        self.pool = pool;
        self.natives = pool.iter().map(convert).collect();
    }
    fn eval(&mut self, hook: Hook, i: usize) -> bool {
        // `Value` is reference-counted: the clone is a pointer copy.
        let input = self.natives[i].clone();
        self.run(hook, input)
    }
    fn convert_eval(&mut self, hook: Hook, i: usize) -> bool {
        let input = convert(&self.pool[i]);
        self.run(hook, input)
    }
}

/// The same policy and data on the interpreter.
pub struct Interp {
    engine: Engine,
    rules: Vec<String>,
    pool: &'static [Req],
    natives: Vec<Value>,
}

impl Interp {
    pub fn new(policy: &str, data: &str) -> Interp {
        let mut engine = Engine::new();
        engine
            .add_policy("dictum.rego".into(), policy.into())
            .expect("rego parses");
        engine
            .add_data(Value::from_json_str(data).expect("data parses"))
            .expect("data loads");
        Interp {
            engine,
            rules: ENTRY.map(String::from).to_vec(),
            pool: &[],
            natives: vec![],
        }
    }

    #[inline]
    fn run(&mut self, hook: Hook, input: Value) -> bool {
        self.engine.set_input(input);
        match self.engine.eval_rule(self.rules[hook.index()].clone()) {
            Ok(v) => answer(hook, &v),
            Err(e) => panic!("regorus: {e}"),
        }
    }
}

impl Peer for Interp {
    fn prepare(&mut self, pool: &'static [Req]) {
        self.pool = pool;
        self.natives = pool.iter().map(convert).collect();
        debug_assert_eq!(HOOKS.len(), self.rules.len());
    }
    fn eval(&mut self, hook: Hook, i: usize) -> bool {
        let input = self.natives[i].clone();
        self.run(hook, input)
    }
    fn convert_eval(&mut self, hook: Hook, i: usize) -> bool {
        let input = convert(&self.pool[i]);
        self.run(hook, input)
    }
}

/// The other shape: one package per tenant with its constants written into the rules
/// (`package tenants.t3_example`), the shared rules and constants in `package platform`.
/// An RVM program has at most 255 registers in its entry frame, one per entry point, so
/// one program cannot hold the entry points of more than ~80 tenants: each tenant gets its
/// own program (platform + tenant package) and its own `RegoVM`, selected by a `HashMap`
/// lookup on the domain.
pub fn per_tenant_policies(w: &Workload) -> Vec<(String, String)> {
    let mut out = vec![(
        "platform.rego".to_string(),
        format!(
            r#"package platform

import rego.v1

blocked_countries := {{{blocked}}}

eu := {{{eu}}}

levels := {{"unclassified": 0, "confidential": 1, "secret": 2, "top_secret": 3}}

{common}"#,
            blocked = set(BLOCKED),
            eu = set(EU),
            common = COMMON_RULES
        ),
    )];
    let q = |v: &[String]| {
        v.iter()
            .map(|s| format!("{s:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for t in &w.tenants {
        out.push((
            format!("{}.rego", t.domain),
            format!(
                r#"package tenants.{pkg}

import rego.v1

default instantiate := false

instantiate if {{
	input.server.country in {{{countries}}}
	input.request.action in {{"start", "migrate"}}
	input.server.tier <= 2
}}

default access := false

access if {{
	not input.client.country in data.platform.blocked_countries
	from_office
	access_permitted
}}

from_office if {{
	some cidr in {{{nets}}}
	net.cidr_contains(cidr, input.client.ip)
}}

access_permitted if {{
	input.request.action == "read"
	some role in input.user.roles
	role in {{{readers}}}
}}

access_permitted if {{
	input.request.action in {{"write", "modify"}}
	{writer:?} in input.user.roles
	"rw" in input.object.tags
}}

default egress := false

egress if {{
	input.request.action == "send"
	not data.platform.write_down
	name := lower(input.target.domain)
	some domain in {{{egress}}}
	data.platform.under(name, domain)
}}
"#,
                pkg = package(&t.domain),
                countries = q(&t.countries),
                nets = q(&t.nets),
                readers = q(&t.readers),
                writer = t.writer,
                egress = q(&t.egress)
            ),
        ));
    }
    out
}

fn package(domain: &str) -> String {
    domain.replace(['.', '-'], "_")
}

pub struct RvmPerTenant {
    /// Per tenant, a VM with its program: entry points instantiate, access, egress.
    tenants: std::collections::HashMap<String, RegoVM>,
    /// The platform package alone: entry points encrypt, record_client_ip.
    platform: RegoVM,
    pool: &'static [Req],
    natives: Vec<Value>,
}

fn vm_for(files: &[&(String, String)], entries: &[String]) -> RegoVM {
    let mut engine = Engine::new();
    for (name, text) in files {
        engine
            .add_policy(name.clone(), text.clone())
            .expect("rego parses");
    }
    let compiled = engine
        .compile_with_entrypoint(&entries[0].as_str().into())
        .expect("rego compiles");
    let refs: Vec<&str> = entries.iter().map(String::as_str).collect();
    let program = Compiler::compile_from_policy(&compiled, &refs).expect("rvm compiles");
    let mut vm = RegoVM::new();
    vm.load_program(program);
    vm
}

impl RvmPerTenant {
    /// `files[0]` is the platform package, then one file per tenant, in `domains` order.
    pub fn new(files: &[(String, String)], domains: &[String]) -> RvmPerTenant {
        let platform = vm_for(
            &[&files[0]],
            &[
                "data.platform.encrypt".into(),
                "data.platform.record_client_ip".into(),
            ],
        );
        let tenants = domains
            .iter()
            .zip(&files[1..])
            .map(|(d, f)| {
                (
                    d.clone(),
                    vm_for(
                        &[&files[0], f],
                        &["instantiate", "access", "egress"]
                            .map(|r| format!("data.tenants.{}.{r}", package(d))),
                    ),
                )
            })
            .collect();
        RvmPerTenant {
            tenants,
            platform,
            pool: &[],
            natives: vec![],
        }
    }

    #[inline]
    fn run(&mut self, hook: Hook, domain: &str, input: Value) -> bool {
        let (vm, entry) = match hook {
            Hook::Encrypt => (&mut self.platform, 0),
            Hook::Log => (&mut self.platform, 1),
            _ => match self.tenants.get_mut(domain) {
                Some(vm) => (vm, hook.index()),
                None => return false,
            },
        };
        vm.set_input(input);
        match vm.execute_entry_point_by_index(entry) {
            Ok(v) => answer(hook, &v),
            Err(e) => panic!("rvm: {e}"),
        }
    }
}

impl Peer for RvmPerTenant {
    fn prepare(&mut self, pool: &'static [Req]) {
        self.pool = pool;
        self.natives = pool.iter().map(convert).collect();
    }
    fn eval(&mut self, hook: Hook, i: usize) -> bool {
        let input = self.natives[i].clone();
        let pool = self.pool;
        self.run(hook, &pool[i].domain, input)
    }
    fn convert_eval(&mut self, hook: Hook, i: usize) -> bool {
        let pool = self.pool;
        let r = &pool[i];
        self.run(hook, &r.domain, convert(r))
    }
}
