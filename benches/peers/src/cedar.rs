//! Cedar (`cedar-policy`).
//!
//! Shape: idiomatic Cedar RBAC with entities. The principal is `User::"u1"` whose parents
//! are its roles (`Role::"reader-3"`), so "readers may read" is a policy *scope*
//! (`principal in Role::"reader-3"`), not a condition; the resource is `Object::"o1"`
//! (attributes `tags`, `clearance`) whose parent is its tenant, so every tenant policy is
//! scoped `resource in Tenant::"t3.example"`. Request facts that belong to no entity
//! (server, client, target) are in the context. Cedar has no enums or lattices, so the
//! clearances are passed as levels (`Long`, 0..3); it has no lowercase function, so the
//! caller lowercases the target domain; "domain or subdomain" is `== d || like "*.d"`.
//!
//! Cedar answers allow/deny, so the two non-boolean hooks are asked as permissions:
//! encrypt asks "may this object use `aes_256_gcm`?" (else ChaCha20), log asks "may the
//! client IP be recorded?".
//!
//! Cedar's authorizer evaluates every policy of the set it is given (no index), so each
//! hook gets its own `PolicySet` (a runtime asks one hook at a time), and there are two
//! shapes: [`One`], one `PolicySet` per hook holding all tenants, and [`PerTenant`], a
//! `HashMap` from domain to that tenant's `PolicySet`s (with the platform policies copied
//! in), which is Cedar's best shape here. The no-write-down rule is the same for every
//! tenant, so it is written once, in the platform part.

use crate::workload::{BLOCKED, EU, Req, Tenant, Workload};
use crate::{HOOKS, Peer};
use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid,
    PolicySet, Request, RestrictedExpression,
};
use dictum::types::Hook;
use std::collections::{HashMap, HashSet};
use std::str::FromStr;

fn list(items: &[impl AsRef<str>]) -> String {
    items
        .iter()
        .map(|s| format!("{:?}", s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The platform's policies at one hook (shared by all tenants).
fn platform(hook: Hook) -> String {
    match hook {
        Hook::Instantiate => String::new(),
        Hook::Access => format!("forbid (principal, action, resource) when {{ [{}].contains(context.client.country) }};\n", list(BLOCKED)),
        Hook::Egress => "forbid (principal, action == Action::\"send\", resource)\n  when { context.target.kind == \"object\" && resource.clearance > context.target.clearance };\n".into(),
        Hook::Encrypt => "permit (principal, action == Action::\"use_aes_256_gcm\", resource) when { resource.tags.contains(\"fips\") };\n".into(),
        Hook::Log => format!(
            "permit (principal, action == Action::\"record_client_ip\", resource);\nforbid (principal, action == Action::\"record_client_ip\", resource) when {{ [{}].contains(context.client.country) }};\n",
            list(EU)
        ),
    }
}

/// One tenant's policies at one hook.
fn tenant(t: &Tenant, hook: Hook) -> String {
    let scope = format!("resource in Tenant::{:?}", t.domain);
    match hook {
        Hook::Instantiate => format!(
            "forbid (principal, action, {scope}) unless {{ [{}].contains(context.server.country) }};\n\
             permit (principal, action in [Action::\"start\", Action::\"migrate\"], {scope}) when {{ context.server.tier <= 2 }};\n",
            list(&t.countries)
        ),
        Hook::Access => {
            let nets = t
                .nets
                .iter()
                .map(|n| format!("context.client.ip.isInRange(ip({n:?}))"))
                .collect::<Vec<_>>()
                .join(" ||\n    ");
            let mut s = format!("forbid (principal, action, {scope}) unless {{\n    {nets} }};\n");
            for r in &t.readers {
                s += &format!(
                    "permit (principal in Role::{r:?}, action == Action::\"read\", {scope});\n"
                );
            }
            s += &format!(
                "permit (principal in Role::{:?}, action in [Action::\"write\", Action::\"modify\"], {scope}) when {{ resource.tags.contains(\"rw\") }};\n",
                t.writer
            );
            s
        }
        Hook::Egress => {
            let ds = t
                .egress
                .iter()
                .map(|d| {
                    format!(
                        "context.target.domain == {d:?} || context.target.domain like \"*.{d}\""
                    )
                })
                .collect::<Vec<_>>()
                .join(" ||\n    ");
            format!(
                "permit (principal, action == Action::\"send\", {scope}) when {{\n    {ds} }};\n"
            )
        }
        Hook::Encrypt | Hook::Log => String::new(),
    }
}

/// The policy texts: per hook, all tenants (for [`One`]).
pub fn texts_one(w: &Workload) -> Vec<String> {
    HOOKS
        .iter()
        .map(|&h| platform(h) + &w.tenants.iter().map(|t| tenant(t, h)).collect::<String>())
        .collect()
}

/// The policy texts: per tenant, per tenant hook (for [`PerTenant`]); platform-only hooks
/// (encrypt, log) get one shared set.
pub fn texts_per_tenant(w: &Workload) -> Vec<(String, [String; 3])> {
    w.tenants
        .iter()
        .map(|t| {
            (
                t.domain.clone(),
                [Hook::Instantiate, Hook::Access, Hook::Egress]
                    .map(|h| platform(h) + &tenant(t, h)),
            )
        })
        .collect()
}

fn uid(ty: &str, id: &str) -> EntityUid {
    EntityUid::from_type_name_and_id(
        EntityTypeName::from_str(ty).expect("type name"),
        EntityId::new(id),
    )
}

fn level(c: &str) -> i64 {
    crate::workload::CLEARANCES
        .iter()
        .position(|x| *x == c)
        .unwrap_or(0) as i64
}

/// A request in Cedar's form: one `Request` per hook (the action differs) and the entities.
pub struct Native {
    domain: String,
    requests: Vec<Request>,
    entities: Entities,
}

fn s(v: &str) -> RestrictedExpression {
    RestrictedExpression::new_string(v.to_string())
}

fn record(fields: Vec<(&str, RestrictedExpression)>) -> RestrictedExpression {
    RestrictedExpression::new_record(fields.into_iter().map(|(k, v)| (k.to_string(), v)))
        .expect("record")
}

/// What the caller does to ask Cedar: entities, context and one request per hook asked.
fn convert(r: &Req, hooks: &[Hook]) -> Native {
    let user = Entity::new_no_attrs(
        uid("User", "u1"),
        r.roles.iter().map(|x| uid("Role", x)).collect(),
    );
    let object = Entity::new(
        uid("Object", "o1"),
        HashMap::from([
            (
                "tags".to_string(),
                RestrictedExpression::new_set(r.tags.iter().map(|t| s(t))),
            ),
            (
                "clearance".to_string(),
                RestrictedExpression::new_long(level(r.object_clearance)),
            ),
        ]),
        HashSet::from([uid("Tenant", &r.domain)]),
    )
    .expect("object entity");
    let entities = Entities::from_entities([user, object], None).expect("entities");
    let context = Context::from_pairs([
        (
            "server".to_string(),
            record(vec![
                ("country", s(&r.server_country)),
                ("tier", RestrictedExpression::new_long(r.server_tier)),
            ]),
        ),
        (
            "client".to_string(),
            record(vec![
                ("ip", RestrictedExpression::new_ip(r.client_ip.to_string())),
                ("country", s(&r.client_country)),
            ]),
        ),
        (
            "target".to_string(),
            record(vec![
                ("kind", s(r.target_kind)),
                ("domain", s(&r.target_domain.to_ascii_lowercase())),
                (
                    "clearance",
                    RestrictedExpression::new_long(level(r.target_clearance)),
                ),
            ]),
        ),
    ])
    .expect("context");
    let requests = hooks
        .iter()
        .map(|&h| {
            let action = match h {
                Hook::Encrypt => "use_aes_256_gcm",
                Hook::Log => "record_client_ip",
                _ => r.action,
            };
            Request::new(
                uid("User", "u1"),
                uid("Action", action),
                uid("Object", "o1"),
                context.clone(),
                None,
            )
            .expect("request")
        })
        .collect();
    Native {
        domain: r.domain.clone(),
        requests,
        entities,
    }
}

fn allowed(auth: &Authorizer, req: &Request, set: &PolicySet, e: &Entities) -> bool {
    let resp = auth.is_authorized(req, set, e);
    debug_assert!(
        resp.diagnostics().errors().next().is_none(),
        "{:?}",
        resp.diagnostics().errors().collect::<Vec<_>>()
    );
    resp.decision() == Decision::Allow
}

/// Count of evaluation errors for a request (the agreement check requires none).
fn errors(auth: &Authorizer, req: &Request, set: &PolicySet, e: &Entities) -> usize {
    auth.is_authorized(req, set, e)
        .diagnostics()
        .errors()
        .count()
}

/// All tenants in one `PolicySet` per hook.
pub struct One {
    auth: Authorizer,
    sets: Vec<PolicySet>,
    pool: &'static [Req],
    natives: Vec<Native>,
}

impl One {
    pub fn new(texts: &[String]) -> One {
        One {
            auth: Authorizer::new(),
            sets: texts
                .iter()
                .map(|t| PolicySet::from_str(t).expect("cedar policies parse"))
                .collect(),
            pool: &[],
            natives: vec![],
        }
    }
    pub fn policies(&self) -> usize {
        self.sets.iter().map(|s| s.policies().count()).sum()
    }
}

impl Peer for One {
    fn prepare(&mut self, pool: &'static [Req]) {
        self.pool = pool;
        self.natives = pool.iter().map(|r| convert(r, &HOOKS)).collect();
    }
    fn eval(&mut self, hook: Hook, i: usize) -> bool {
        let n = &self.natives[i];
        allowed(
            &self.auth,
            &n.requests[hook.index()],
            &self.sets[hook.index()],
            &n.entities,
        )
    }
    fn convert_eval(&mut self, hook: Hook, i: usize) -> bool {
        let n = convert(&self.pool[i], &[hook]);
        allowed(
            &self.auth,
            &n.requests[0],
            &self.sets[hook.index()],
            &n.entities,
        )
    }
    fn errors(&self, hook: Hook, i: usize) -> usize {
        let n = &self.natives[i];
        errors(
            &self.auth,
            &n.requests[hook.index()],
            &self.sets[hook.index()],
            &n.entities,
        )
    }
}

/// One `PolicySet` per tenant per hook, selected by a `HashMap` lookup on the domain.
pub struct PerTenant {
    auth: Authorizer,
    tenants: HashMap<String, [PolicySet; 3]>,
    /// Encrypt and log: platform policies only.
    shared: [PolicySet; 2],
    pool: &'static [Req],
    natives: Vec<Native>,
}

impl PerTenant {
    pub fn new(texts: &[(String, [String; 3])]) -> PerTenant {
        let parse = |t: &str| PolicySet::from_str(t).expect("cedar policies parse");
        PerTenant {
            auth: Authorizer::new(),
            tenants: texts
                .iter()
                .map(|(d, t)| (d.clone(), [parse(&t[0]), parse(&t[1]), parse(&t[2])]))
                .collect(),
            shared: [parse(&platform(Hook::Encrypt)), parse(&platform(Hook::Log))],
            pool: &[],
            natives: vec![],
        }
    }

    #[inline]
    fn set(&self, hook: Hook, domain: &str) -> Option<&PolicySet> {
        match hook {
            Hook::Encrypt => Some(&self.shared[0]),
            Hook::Log => Some(&self.shared[1]),
            _ => self.tenants.get(domain).map(|t| &t[hook.index()]),
        }
    }
}

impl Peer for PerTenant {
    fn prepare(&mut self, pool: &'static [Req]) {
        self.pool = pool;
        self.natives = pool.iter().map(|r| convert(r, &HOOKS)).collect();
    }
    fn eval(&mut self, hook: Hook, i: usize) -> bool {
        let n = &self.natives[i];
        // An unknown tenant has no policy that could permit: deny.
        self.set(hook, &n.domain)
            .is_some_and(|set| allowed(&self.auth, &n.requests[hook.index()], set, &n.entities))
    }
    fn convert_eval(&mut self, hook: Hook, i: usize) -> bool {
        let n = convert(&self.pool[i], &[hook]);
        self.set(hook, &n.domain)
            .is_some_and(|set| allowed(&self.auth, &n.requests[0], set, &n.entities))
    }
    fn errors(&self, hook: Hook, i: usize) -> usize {
        let n = &self.natives[i];
        self.set(hook, &n.domain).map_or(0, |set| {
            errors(&self.auth, &n.requests[hook.index()], set, &n.entities)
        })
    }
}
