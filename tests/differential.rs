//! Differential testing: random well-typed policies and random requests; the compiled
//! bytecode (engine) and the reference interpreter must agree on every decision, and a
//! well-typed policy never produces a runtime error. The engine decides each request three
//! ways (owned values, the typed builder's shapes, read in place through a layout), which
//! must give the same decision.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests and benchmarks fail loudly by design"
)]

mod common;

use dictum::check::check_sources;
use dictum::check::program::Outcome;
use dictum::engine::{Engine, Reason};
use dictum::reference;
use dictum::schema::Schema;
use dictum::source::Sources;
use dictum::syntax::Limits;
use dictum::types::Hook;
use dictum::value::Value;
use proptest::prelude::*;
use proptest::strategy::Union;
use std::collections::BTreeSet;

const STRS: &[&str] = &[
    "US",
    "DE",
    "FR",
    "a",
    "b",
    "pii-x",
    "x.d1.example",
    "d1.example",
];
const TAGS: &[&str] = &["financial", "gov", "pii-email", "fips", "a", "b"];

fn str_lit() -> impl Strategy<Value = String> {
    proptest::sample::select(STRS).prop_map(|s| format!("{s:?}"))
}

/// A set literal of up to three distinct strings from `items`.
fn set_lit_of(items: &'static [&'static str]) -> impl Strategy<Value = String> {
    proptest::collection::btree_set(proptest::sample::select(items), 0..4).prop_map(|s| {
        format!(
            "{{{}}}",
            s.iter()
                .map(|x| format!("{x:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

fn str_set_lit() -> impl Strategy<Value = String> {
    set_lit_of(STRS)
}

fn tag_set_lit() -> impl Strategy<Value = String> {
    set_lit_of(TAGS)
}

fn str_attr() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(
        &[
            "server.country",
            "server.region",
            "client.country",
            "object.class",
            "object.domain",
            "object.id",
        ][..],
    )
}

fn set_attr() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(
        &[
            "object.tags",
            "user.roles",
            "user.groups",
            "server.certifications",
        ][..],
    )
}

/// A boolean leaf: one comparison of some attribute, always well typed and guarded.
fn leaf() -> impl Strategy<Value = String> {
    let cmp = proptest::sample::select(&["==", "!=", "<", "<=", ">", ">="][..]);
    Union::new(vec![
        (
            str_attr(),
            proptest::sample::select(&["==", "!="][..]),
            str_lit(),
        )
            .prop_map(|(a, o, l)| format!("{a} {o} {l}"))
            .boxed(),
        (str_attr(), str_set_lit())
            .prop_map(|(a, s)| format!("{a} in {s}"))
            .boxed(),
        (set_attr(), proptest::sample::select(TAGS))
            .prop_map(|(a, t)| format!("{a} has {t:?}"))
            .boxed(),
        (set_attr(), tag_set_lit(), any::<bool>())
            .prop_map(|(a, s, all)| format!("{a} has {} {s}", if all { "all" } else { "any" }))
            .boxed(),
        (
            proptest::sample::select(&["server.tier", "server.generation"][..]),
            cmp.clone(),
            -1i64..6,
        )
            .prop_map(|(a, o, n)| format!("{a} {o} {n}"))
            .boxed(),
        Just("user.authenticated".to_string()).boxed(),
        proptest::sample::select(
            &["10.0.0.0/8", "192.168.1.0/24", "2001:db8::/32", "0.0.0.0/0"][..],
        )
        .prop_map(|c| format!("client.ip in {c}"))
        .boxed(),
        Just("client.ip in {10.0.0.0/8, 172.16.0.0/12, 2001:db8::/32}".to_string()).boxed(),
        (
            cmp.clone(),
            proptest::sample::select(&["unclassified", "confidential", "secret", "top_secret"][..]),
        )
            .prop_map(|(o, l)| format!("object.clearance {o} {l}"))
            .boxed(),
        proptest::sample::select(&["secret", "confidential"][..])
            .prop_map(|l| format!("lub(object.clearance, {l}) == secret"))
            .boxed(),
        proptest::sample::select(&["top_secret", "confidential"][..])
            .prop_map(|l| format!("glb(object.clearance, {l}) >= confidential"))
            .boxed(),
        proptest::sample::select(&["managed", "unmanaged"][..])
            .prop_map(|p| format!("(client has posture and client.posture == {p})"))
            .boxed(),
        proptest::sample::select(&["not (client has posture)", "client has user_agent"][..])
            .prop_map(str::to_string)
            .boxed(),
        (
            str_attr(),
            proptest::sample::select(&["\"*\"", "\"d*\"", "\"*.example\"", "\"?S\"", "\"a\""][..]),
        )
            .prop_map(|(a, p)| format!("{a} like {p}"))
            .boxed(),
        (
            str_attr(),
            proptest::sample::select(&["\"^[A-Z]{2}$\"", "\"example\"", "r\"^x\\.\""][..]),
        )
            .prop_map(|(a, p)| format!("{a} matches {p}"))
            .boxed(),
        (
            str_attr(),
            proptest::sample::select(
                &["\"d1.example\"", "\"example\"", "{\"d1.example\", \"FR\"}"][..],
            ),
        )
            .prop_map(|(a, d)| format!("{a} under {d}"))
            .boxed(),
        (cmp.clone(), 0i64..24)
            .prop_map(|(o, h)| format!("request.time.hour {o} {h}"))
            .boxed(),
        Just("request.time.weekday in {mon, tue, wed, thu, fri}".to_string()).boxed(),
        // Numbers and enum values in constant sets (the engine's `NumIn` test).
        proptest::sample::select(&["{1, 3}", "{0}", "{2, 4, 6}"][..])
            .prop_map(|s| format!("server.tier in {s}"))
            .boxed(),
        proptest::sample::select(&["{managed, compromised}", "{unmanaged}"][..])
            .prop_map(|s| format!("(client has posture and client.posture in {s})"))
            .boxed(),
        (
            cmp.clone(),
            proptest::sample::select(&["09:00", "12:30:00", "18:00"][..]),
        )
            .prop_map(|(o, t)| format!("request.time.time_of_day {o} {t}"))
            .boxed(),
        Just("request.time - 2026-01-01T00:00:00Z > 30d".to_string()).boxed(),
        Just("request.time + 1h > 2026-06-01T00:00:00Z".to_string()).boxed(),
        (
            proptest::sample::select(&["any", "all"][..]),
            proptest::sample::select(
                &["t like \"pii-*\"", "t == \"a\"", "t in {\"a\", \"gov\"}"][..],
            ),
        )
            .prop_map(|(q, b)| format!("({q} t in object.tags: {b})"))
            .boxed(),
        Just("(any r in user.roles: any g in user.groups: r == g)".to_string()).boxed(),
        (cmp.clone(), 0i64..4)
            .prop_map(|(o, n)| format!("object.tags.size {o} {n}"))
            .boxed(),
        proptest::sample::select(&["{crypto}", "{}", "{crypto, nato}"][..])
            .prop_map(|c| format!("(object has label and object.label <= label(secret, {c}))"))
            .boxed(),
        Just("(object has label and object.label.compartments has nato)".to_string()).boxed(),
        Just("(object has label and object.label.level >= confidential)".to_string()).boxed(),
        Just("(user has clearance and object.clearance <= user.clearance)".to_string()).boxed(),
        str_lit()
            .prop_map(|l| format!("client.country in {{server.country, {l}}}"))
            .boxed(),
        Just("user.roles has any {client.country, \"a\"}".to_string()).boxed(),
        Just("object.tags has all {object.class, \"a\"}".to_string()).boxed(),
        Just("object.domain under {server.region, \"d1.example\"}".to_string()).boxed(),
        Just("(object has owner and object.owner == \"alice\")".to_string()).boxed(),
        Just("true".to_string()).boxed(),
        Just("false".to_string()).boxed(),
        Just("object.tags == {\"a\", \"b\"}".to_string()).boxed(),
        Just("user.authenticated == (server.tier <= 2)".to_string()).boxed(),
    ])
}

fn cond() -> impl Strategy<Value = String> {
    leaf().prop_recursive(3, 12, 3, |inner| {
        Union::new(vec![
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| format!("({a} and {b})"))
                .boxed(),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| format!("({a} or {b})"))
                .boxed(),
            inner.clone().prop_map(|a| format!("not ({a})")).boxed(),
            (inner.clone(), inner.clone(), inner)
                .prop_map(|(a, b, c)| format!("{a} and {b} or {c}"))
                .boxed(),
        ])
    })
}

fn when() -> impl Strategy<Value = String> {
    prop_oneof![1 => Just(String::new()), 6 => cond().prop_map(|c| format!(" when {c}"))]
}

fn actions(hook: Hook) -> impl Strategy<Value = String> {
    let pool: &'static [&'static str] = match hook {
        Hook::Instantiate => &["start", "migrate", "follow"],
        Hook::Access => &["read", "write", "delete"],
        _ => &["send", "receive"],
    };
    prop_oneof![
        2 => Just(String::new()),
        1 => proptest::sample::subsequence(pool, 1..=2).prop_map(|v| format!(" {}", v.join(", "))),
    ]
}

fn rule(hook: Hook) -> BoxedStrategy<String> {
    match hook {
        Hook::Instantiate | Hook::Access | Hook::Egress => prop_oneof![
            4 => (actions(hook), when()).prop_map(|(a, w)| format!("permit{a}{w};")),
            3 => (actions(hook), when()).prop_map(|(a, w)| format!("forbid{a}{w};")),
            1 => proptest::sample::select(&["allow", "deny"][..]).prop_map(|o| format!("default {o};")),
        ]
        .boxed(),
        Hook::Encrypt => {
            let cipher = proptest::sample::select(&["aes_128_gcm", "aes_256_gcm", "chacha20_poly1305"][..]);
            prop_oneof![
                3 => (cipher.clone(), when()).prop_map(|(c, w)| format!("use {c}{w};")),
                2 => (proptest::sample::subsequence(&["aes_128_gcm", "aes_256_gcm", "chacha20_poly1305"][..], 0..=2), when())
                    .prop_map(|(cs, w)| format!("forbid {}{w};", cs.join(", "))),
                1 => cipher.prop_map(|c| format!("default {c};")),
            ]
            .boxed()
        }
        Hook::Log => {
            let fields = proptest::sample::subsequence(&["client_ip", "user_agent", "url", "identity", "timestamp"][..], 1..=3);
            prop_oneof![
                (fields.clone(), when()).prop_map(|(f, w)| format!("record {}{w};", f.join(", "))),
                (fields, when()).prop_map(|(f, w)| format!("redact {}{w};", f.join(", "))),
            ]
            .boxed()
        }
    }
}

fn hook() -> impl Strategy<Value = Hook> {
    proptest::sample::select(&Hook::ALL[..])
}

/// A policy for some hook, with 1 to 4 rules.
fn policy(n: usize) -> impl Strategy<Value = String> {
    hook().prop_flat_map(move |h| {
        let rules = proptest::collection::vec(rule(h), 1..4);
        rules.prop_map(move |rs| {
            format!(
                "  policy \"p{n}\" on {} {{\n    {}\n  }}\n",
                h.name(),
                rs.join("\n    ")
            )
        })
    })
}

fn scope() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        3 => Just(("platform {".to_string(), "}".to_string())),
        3 => proptest::sample::select(&["d1.example", "d2.example"][..]).prop_map(|d| (format!("domain {d:?} {{"), "}".to_string())),
        1 => Just(("domain \"d1.example\" { class \"ledger\" {".to_string(), "} }".to_string())),
        1 => Just(("domain \"d1.example\" { tag \"gov\" {".to_string(), "} }".to_string())),
        1 => Just(("domain \"d2.example\" { user \"alice\" {".to_string(), "} }".to_string())),
    ]
}

/// A whole program: a few scoped policies, and a template used with two arguments.
fn program() -> impl Strategy<Value = String> {
    let blocks = proptest::collection::vec(
        (scope(), proptest::collection::vec(any::<u8>(), 1..3)),
        1..5,
    );
    (blocks, any::<bool>(), str_set_lit(), str_set_lit(), hook()).prop_flat_map(|(blocks, with_template, arg1, arg2, _)| {
        let n: usize = blocks.iter().map(|(_, ps)| ps.len()).sum();
        let policies = proptest::collection::vec(policy(0), n..=n);
        (Just(blocks), Just(with_template), Just(arg1), Just(arg2), policies).prop_map(|(blocks, with_template, arg1, arg2, policies)| {
            let mut out = String::new();
            let mut k = 0usize;
            for ((open, close), ps) in &blocks {
                out.push_str(open);
                out.push('\n');
                for _ in ps {
                    // Rename so names are unique within the program.
                    let p = policies.get(k).cloned().unwrap_or_default().replacen("\"p0\"", &format!("\"p{k}\""), 1);
                    out.push_str(&p);
                    k += 1;
                }
                out.push_str(close);
                out.push('\n');
            }
            if with_template {
                out.push_str("template tcountries(allowed: set<string>) on access {\n  forbid when not (client.country in allowed);\n  permit read when object.tags has any allowed;\n}\n");
                out.push_str(&format!("domain \"d1.example\" use tcountries({arg1});\n"));
                out.push_str(&format!("domain \"d2.example\" {{ use tcountries({arg2}) as \"countries2\"; }}\n"));
            }
            out
        })
    })
}

fn pick<T: Clone + std::fmt::Debug + 'static>(items: &'static [T]) -> impl Strategy<Value = T> {
    proptest::sample::select(items)
}

/// Random attribute values for the attributes the generator reads (others take fixed
/// values), sometimes leaving optional ones out and, rarely, a required one.
fn request(schema: &'static Schema) -> impl Strategy<Value = Vec<Option<Value>>> {
    let strs = || pick(STRS).prop_map(|s| Value::Str(s.to_string()));
    let set = || {
        proptest::collection::btree_set(pick(TAGS).prop_map(|s| Value::Str(s.to_string())), 0..4)
            .prop_map(Value::Set)
    };
    (
        (
            strs(),
            strs(),
            strs(),
            pick(&["ledger", "doc", "session"][..]),
            pick(&["d1.example", "d2.example", "d3.example"][..]),
        ),
        (
            set(),
            set(),
            set(),
            set(),
            -1i64..6,
            -1i64..6,
            any::<bool>(),
        ),
        (
            pick(&["10.1.2.3", "192.168.1.7", "2001:db8::5", "8.8.8.8"][..]),
            0u32..4,
            proptest::option::of(0u32..3),
            proptest::option::of(pick(&["Mozilla", "curl"][..])),
            proptest::option::of((0u32..4, 0u64..16)),
            proptest::option::of(pick(&["alice", "bob"][..])),
            proptest::option::of(0u32..4),
        ),
        (1_700_000_000i64..1_900_000_000, 0u32..10, 0u32..2, 0u32..40),
    )
        .prop_map(
            move |(
                (sc, sr, cc, class, dom),
                (tags, roles, groups, certs, tier, generation, auth),
                (ip, clr, posture, ua, label, owner, uclr),
                (time, action, kind, drop),
            )| {
                let mut v: Vec<Option<Value>> = vec![None; schema.attrs.len()];
                let mut set_attr = |path: &str, val: Option<Value>| {
                    let (e, a) = path.split_once('.').unwrap();
                    let id = schema.attr_named(e, a).unwrap();
                    v[id.0 as usize] = val;
                };
                set_attr("server.id", Some(Value::Str("s1".into())));
                set_attr("server.region", Some(sr));
                set_attr("server.country", Some(sc));
                set_attr("server.jurisdiction", Some(Value::Str("US".into())));
                set_attr("server.datacenter", Some(Value::Str("dc1".into())));
                set_attr("server.tier", Some(Value::Int(tier)));
                set_attr("server.manufacturer", Some(Value::Str("Oxide".into())));
                set_attr("server.generation", Some(Value::Int(generation)));
                set_attr("server.certifications", Some(certs));
                set_attr("client.ip", Some(Value::Ip(ip.parse().unwrap())));
                set_attr("client.country", Some(cc));
                set_attr("client.posture", posture.map(Value::Enum));
                set_attr("client.user_agent", ua.map(|s| Value::Str(s.into())));
                set_attr("user.authenticated", Some(Value::Bool(auth)));
                set_attr("user.credentials", Some(Value::Set(BTreeSet::new())));
                set_attr("user.roles", Some(roles));
                set_attr("user.groups", Some(groups));
                set_attr("user.clearance", uclr.map(Value::Level));
                set_attr("object.id", Some(Value::Str("o1".into())));
                set_attr("object.class", Some(Value::Str(class.into())));
                set_attr("object.domain", Some(Value::Str(dom.into())));
                set_attr("object.tags", Some(tags));
                set_attr("object.clearance", Some(Value::Level(clr)));
                set_attr(
                    "object.label",
                    label.map(|(l, c)| Value::Label {
                        level: l,
                        compartments: c,
                    }),
                );
                set_attr("object.owner", owner.map(|s| Value::Str(s.into())));
                set_attr("target.kind", Some(Value::Enum(kind)));
                set_attr("target.domain", Some(Value::Str("x.d1.example".into())));
                set_attr("target.clearance", Some(Value::Level(clr / 2)));
                set_attr("request.action", Some(Value::Enum(action)));
                set_attr("request.headers", Some(Value::Set(BTreeSet::new())));
                set_attr("request.time", Some(Value::Timestamp(time)));
                // One request in forty lacks a required attribute: both must deny.
                if drop == 0 {
                    set_attr("server.country", None);
                }
                // And one in forty lacks its action: rules without an action list still
                // apply to it, and a hook whose rules list actions denies it.
                if drop == 1 {
                    set_attr("request.action", None);
                }
                v
            },
        )
}

fn schema() -> &'static Schema {
    static S: std::sync::OnceLock<Schema> = std::sync::OnceLock::new();
    S.get_or_init(|| Schema::standard().unwrap())
}

/// A request's sets in the typed builder's shapes.
struct TypedSets<'v> {
    strs: Vec<(dictum::engine::Attr, Vec<&'v str>)>,
    nums: Vec<(dictum::engine::Attr, Vec<i64>)>,
    ips: Vec<(dictum::engine::Attr, Vec<std::net::IpAddr>)>,
}

impl<'v> TypedSets<'v> {
    fn of(values: &'v [Option<Value>], snap: &dictum::engine::Snapshot) -> TypedSets<'v> {
        use dictum::schema::AttrId;
        use dictum::types::Type;
        let mut t = TypedSets {
            strs: Vec::new(),
            nums: Vec::new(),
            ips: Vec::new(),
        };
        for (i, v) in values.iter().enumerate() {
            let Some(Value::Set(items)) = v else { continue };
            let id = AttrId(i as u32);
            let attr = snap.attr(&schema().attr_path(id)).unwrap();
            let Some(Type::Set(inner)) = schema().attr(id).map(|a| &a.ty) else {
                continue;
            };
            match **inner {
                Type::String => t.strs.push((
                    attr,
                    items
                        .iter()
                        .filter_map(|x| match x {
                            Value::Str(s) => Some(s.as_str()),
                            _ => None,
                        })
                        .collect(),
                )),
                Type::Int | Type::Timestamp | Type::Duration | Type::Enum(_) => t.nums.push((
                    attr,
                    items
                        .iter()
                        .filter_map(|x| match x {
                            Value::Int(n) | Value::Timestamp(n) | Value::Duration(n) => Some(*n),
                            Value::Enum(e) => Some(i64::from(*e)),
                            _ => None,
                        })
                        .collect(),
                )),
                Type::Ip => t.ips.push((
                    attr,
                    items
                        .iter()
                        .filter_map(|x| match x {
                            Value::Ip(ip) => Some(*ip),
                            _ => None,
                        })
                        .collect(),
                )),
                _ => {}
            }
        }
        t
    }

    fn apply<'r>(&'r self, req: &mut dictum::engine::Request<'r>) {
        for (a, v) in &self.strs {
            req.set_strs(*a, v).unwrap();
        }
        for (a, v) in &self.nums {
            req.set_ints(*a, v).unwrap();
        }
        for (a, v) in &self.ips {
            req.set_ips(*a, v).unwrap();
        }
    }
}

fn check_agreement(text: &str, requests: &[Vec<Option<Value>>]) -> Result<(), TestCaseError> {
    let mut sources = Sources::new();
    sources.add("gen.policy", text);
    let checked = check_sources(&sources, schema().clone(), &Limits::default());
    // Two different defaults in one scope are a checker error the generator may produce.
    if checked
        .diagnostics
        .iter()
        .any(|d| d.code == dictum::error::Code::ConflictingDefaults)
    {
        return Err(TestCaseError::reject("conflicting defaults"));
    }
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    prop_assert!(
        errors.is_empty(),
        "generated program does not check: {errors:?}\n{text}"
    );
    let program = checked.program.unwrap();
    let bundle = dictum::compile::compile(&program, &sources).unwrap();
    // The bundle survives encoding and verification.
    let bundle = dictum::bundle::Bundle::decode(&bundle.encode().unwrap()).unwrap();
    let engine = Engine::new(bundle).unwrap();
    let snap = engine.snapshot();
    let layout = common::held::layout(&snap);
    for values in requests {
        let buf = snap.request_from_values(values.clone());
        // The same request read in place from the caller's own shape.
        let held = common::held::Held::of(values, &snap);
        let req = buf.view();
        // The same request with its string, number and address sets set through the typed
        // builder, as a runtime sets them: the engine's specialised tests read those
        // shapes directly, and must decide exactly as they do on owned values.
        let typed_sets = TypedSets::of(values, &snap);
        let mut typed = buf.view();
        typed_sets.apply(&mut typed);
        for hook in Hook::ALL {
            let vm = snap.decide(hook, &req);
            prop_assert_eq!(
                snap.decide(hook, &typed),
                vm,
                "typed builder sets decide differently at {} for\n{}\nrequest {:?}",
                hook,
                &text,
                values
            );
            prop_assert_eq!(
                snap.decide_in_place(hook, &layout, &held),
                vm,
                "the request read in place decides differently at {} for\n{}\nrequest {:?}",
                hook,
                &text,
                values
            );
            let rf = reference::decide(&program, hook, values);
            if let Some(reference::EvalError::Internal(m)) = &rf.error {
                return Err(TestCaseError::fail(format!(
                    "reference runtime error on a well-typed policy: {m}\n{text}"
                )));
            }
            prop_assert!(
                vm.reason != Reason::Internal,
                "VM internal error at {hook}\n{text}\n{values:?}"
            );
            prop_assert_eq!(
                vm.outcome,
                rf.outcome,
                "outcome at {} for\n{}\nrequest {:?}",
                hook,
                text,
                values
            );
            let vm_rule = vm.rule.and_then(|r| {
                let p = snap.bundle().policies.get(r.policy as usize)?;
                let body = snap.bundle().bodies.get(p.body as usize)?;
                Some((
                    r.policy as usize,
                    usize::from(body.rules.get(r.rule as usize)?.index),
                ))
            });
            if hook != Hook::Log {
                prop_assert_eq!(
                    vm_rule,
                    rf.rule,
                    "deciding rule at {} for\n{}\nrequest {:?}",
                    hook,
                    text,
                    values
                );
            }
            prop_assert_eq!(
                vm.cipher,
                rf.cipher,
                "cipher for\n{}\nrequest {:?}",
                text,
                values
            );
            prop_assert_eq!(vm.record, rf.record, "record for\n{}", text);
            prop_assert_eq!(vm.redact, rf.redact, "redact for\n{}", text);
            if rf.error.is_some() {
                prop_assert!(
                    matches!(vm.reason, Reason::Missing(_)),
                    "missing attribute must deny with reason missing, got {:?}",
                    vm.reason
                );
                prop_assert_eq!(vm.outcome, Outcome::Deny);
            }
        }
    }
    Ok(())
}

proptest! {
    // 10,000 cases: each a random program and 2 random requests, compared at all 5 hooks
    // (100,000 decisions).
    #![proptest_config(ProptestConfig { cases: 10_000, max_shrink_iters: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn vm_agrees_with_reference(text in program(), requests in proptest::collection::vec(request(schema()), 2)) {
        check_agreement(&text, &requests)?;
    }
}

#[test]
fn agreement_on_the_policy_library() {
    // The real library, with random requests aimed at its tenants.
    let files = common::library_files();
    let text: String = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap() + "\n")
        .collect();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 300,
        ..ProptestConfig::default()
    });
    let doms = &[
        "bank.example",
        "agency.gov.example",
        "docs.example",
        "games.example",
    ];
    runner
        .run(
            &(
                proptest::collection::vec(request(schema()), 4),
                proptest::sample::select(&doms[..]),
            ),
            |(mut reqs, dom)| {
                let id = schema().attr_named("object", "domain").unwrap();
                for r in &mut reqs {
                    r[id.0 as usize] = Some(Value::Str(dom.to_string()));
                }
                check_agreement(&text, &reqs)
            },
        )
        .unwrap();
}
