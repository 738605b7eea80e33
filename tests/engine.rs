//! The embedding API: concurrency, atomic swaps, request validation, fail-closed paths.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests and benchmarks fail loudly by design"
)]

use dictum::engine::{Engine, Reason, compile_sources};
use dictum::schema::Schema;
use dictum::types::Hook;

const REQUEST: &str = include_str!("fixtures/request.json");

fn engine(policy: &str) -> Engine {
    Engine::from_sources(&[("p.policy", policy)]).unwrap()
}

/// The fixture request as JSON text, without `entity.attr`.
fn request_without(entity: &str, attr: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(REQUEST).unwrap();
    v[entity].as_object_mut().unwrap().remove(attr);
    v.to_string()
}

#[test]
fn engine_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Engine>();
    check::<dictum::engine::Snapshot>();
}

#[test]
fn concurrent_evaluation_with_atomic_swaps() {
    let allow = r#"platform { policy "a" on access { permit; } }"#;
    let deny = r#"platform { policy "b" on access { forbid; } }"#;
    let e = std::sync::Arc::new(engine(allow));
    let bundle_allow =
        compile_sources(&[("a.policy", allow)], Schema::standard().unwrap()).unwrap();
    let bundle_deny = compile_sources(&[("b.policy", deny)], Schema::standard().unwrap()).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for _ in 0..2 {
        let (e, stop) = (e.clone(), stop.clone());
        workers.push(std::thread::spawn(move || {
            let mut seen = [0usize; 2];
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                // One snapshot per decision: a swap between building and deciding is fine,
                // because both bundles share the schema.
                let snap = e.snapshot();
                let buf = snap.request_from_json(REQUEST).unwrap();
                let d = snap.decide(Hook::Access, &buf.view());
                let info = d.rule.and_then(|r| snap.rule(r)).unwrap();
                // Each answer is wholly one bundle's: allow by `a`, or deny by `b`.
                match (d.is_allow(), info.policy) {
                    (true, "a") => seen[0] += 1,
                    (false, "b") => seen[1] += 1,
                    other => panic!("mixed decision {other:?}"),
                }
            }
            seen
        }));
    }
    for i in 0..200 {
        e.swap(if i % 2 == 0 {
            bundle_deny.clone()
        } else {
            bundle_allow.clone()
        })
        .unwrap();
        std::thread::yield_now();
    }
    e.swap(bundle_deny).unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let total: usize = workers
        .into_iter()
        .map(|w| w.join().unwrap().iter().sum::<usize>())
        .sum();
    assert!(total > 0);
    // After the last swap, every new decision sees it.
    let buf = e.request_from_json(REQUEST).unwrap();
    assert!(!e.decide(Hook::Access, &buf.view()).is_allow());
}

#[test]
fn requests_from_another_schema_are_denied() {
    let a = engine(r#"platform { policy "a" on access { permit; } }"#);
    let ext = "entity user {\n  loyalty?: string;\n}\n";
    let mut schema = Schema::standard().unwrap();
    let mut sources = dictum::source::Sources::new();
    let id = sources.add("x.schema", ext);
    assert!(
        dictum::schema::load(id, ext, &mut schema, &dictum::syntax::Limits::default()).is_empty()
    );
    let b = Engine::new(
        compile_sources(
            &[(
                "p.policy",
                r#"platform { policy "a" on access { permit; } }"#,
            )],
            schema,
        )
        .unwrap(),
    )
    .unwrap();
    let buf = a.request_from_json(REQUEST).unwrap();
    assert!(a.decide(Hook::Access, &buf.view()).is_allow());
    let d = b.decide(Hook::Access, &buf.view());
    assert!(!d.is_allow());
    assert_eq!(d.reason, Reason::SchemaMismatch);
}

#[test]
fn missing_required_attributes_deny_with_the_attribute_named() {
    let e = engine(
        r#"platform {
  policy "a" on access { permit when client.ip in 0.0.0.0/0; }
  policy "e" on egress { permit send when target.domain under "example"; }
}"#,
    );
    let snap = e.snapshot();
    let buf = snap
        .request_from_json(&request_without("client", "ip"))
        .unwrap();
    let d = snap.decide(Hook::Access, &buf.view());
    assert!(!d.is_allow());
    let Reason::Missing(id) = d.reason else {
        panic!("{d:?}")
    };
    assert_eq!(snap.schema().attr_path(id), "client.ip");
    // Only what the hook's policies read is required: `target` is not read at access,
    // and `server.tier` is read by no policy at all.
    let mut v: serde_json::Value = serde_json::from_str(REQUEST).unwrap();
    v.as_object_mut().unwrap().remove("target");
    v["server"].as_object_mut().unwrap().remove("tier");
    let buf = snap.request_from_json(&v.to_string()).unwrap();
    assert!(snap.decide(Hook::Access, &buf.view()).is_allow());
    let d = snap.decide(Hook::Egress, &buf.view());
    let Reason::Missing(id) = d.reason else {
        panic!("{d:?}")
    };
    assert_eq!(snap.schema().attr_path(id), "target.domain");
}

#[test]
fn bad_request_json_names_the_field() {
    let e = engine(r#"platform { policy "a" on access { permit; } }"#);
    let cases = [
        (
            r#"{"client": {"ip": "999.1.1.1"}}"#,
            "client.ip: expected an IP address, found the string \"999.1.1.1\"",
        ),
        (
            r#"{"client": {"ipp": "1.1.1.1"}}"#,
            "client.ipp: entity `client` has no attribute `ipp`",
        ),
        (r#"{"cliente": {}}"#, "cliente: unknown entity `cliente`"),
        (
            r#"{"object": {"tags": "x"}}"#,
            "object.tags: expected an array, found the string \"x\"",
        ),
        (
            r#"{"object": {"tags": [1]}}"#,
            "object.tags[0]: expected a string, found the number `1`",
        ),
        (
            r#"{"object": {"clearance": "cosmic"}}"#,
            "object.clearance: expected one of \"unclassified\"",
        ),
        (
            r#"{"request": {"time": "yesterday"}}"#,
            "request.time: expected a timestamp",
        ),
        (
            r#"{"server": {"tier": 1.5}}"#,
            "server.tier: expected an integer",
        ),
        (
            r#"{"client": {"ip": null}}"#,
            "client.ip: a required attribute cannot be null",
        ),
        (
            r#"{"object": {"label": {"level": "secret", "compartments": ["cosmic"]}}}"#,
            "object.label.compartments[0]: expected one of",
        ),
        (r#"[1, 2]"#, "$: a request is a JSON object"),
        (r#"{"client": "#, "$: invalid JSON at line 1"),
    ];
    for (json, want) in cases {
        let err = e.request_from_json(json).unwrap_err().to_string();
        assert!(
            err.starts_with(want),
            "for {json}: got `{err}`, want `{want}...`"
        );
    }
}

#[test]
fn typed_builder_rejects_wrong_types_and_foreign_handles() {
    let e = engine(r#"platform { policy "a" on access { permit; } }"#);
    let ip = e.attr("client.ip").unwrap();
    let country = e.attr("client.country").unwrap();
    let posture = e.attr("client.posture").unwrap();
    let mut req = e.request();
    assert!(req.set_str(ip, "1.2.3.4").is_err());
    assert!(req.set_ip(country, "1.2.3.4".parse().unwrap()).is_err());
    assert!(e.symbol(posture, "mangaed").is_err());
    let managed = e.symbol(posture, "managed").unwrap();
    assert!(req.set_symbol(country, managed).is_err());
    assert!(req.set_symbol(posture, managed).is_ok());
    assert!(e.attr("client.nope").is_err());
    assert!(e.attr("nope").is_err());
    let tags = e.attr("object.tags").unwrap();
    let many: Vec<&str> = (0..2000).map(|_| "x").collect();
    assert!(req.set_strs(tags, &many).is_err());
}

#[test]
fn explain_lists_rules_with_outcomes_and_values() {
    let e = engine(
        r#"
domain "bank.example" {
  policy "p" on access {
    permit write when user.groups has "finance";
    forbid when client.country != "US";
    permit read when client has posture and client.posture == managed;
  }
}"#,
    );
    let snap = e.snapshot();
    let buf = snap.request_from_json(REQUEST).unwrap();
    let ex = snap.explain(Hook::Access, &buf.view());
    type Row = (String, dictum::engine::RuleOutcome, Vec<(String, String)>);
    let rows: Vec<Row> = ex
        .into_iter()
        .map(|x| (snap.rule(x.rule).unwrap().id, x.outcome, x.values))
        .collect();
    use dictum::engine::RuleOutcome::*;
    assert_eq!(rows[0].0, "domain \"bank.example\"/p#1");
    assert_eq!(rows[0].1, NotApplicable);
    assert_eq!(rows[1].1, NotMatched);
    assert_eq!(
        rows[1].2,
        vec![("client.country".to_string(), "\"US\"".to_string())]
    );
    assert_eq!(rows[2].1, Matched);
    assert_eq!(
        rows[2].2,
        vec![("client.posture".to_string(), "managed".to_string())]
    );
}

#[test]
fn explain_without_a_required_action_reports_errors_not_matches() {
    // The decision is a `missing` denial; the explanation must not show a rule listing
    // actions as matched (as it did when an unknown action counted as every action).
    let e = engine(
        r#"
domain "bank.example" {
  policy "p" on access {
    permit read when client.country == "US";
    forbid when client.country != "US";
  }
}"#,
    );
    let snap = e.snapshot();
    let outcomes = |json: &str| -> Vec<_> {
        let buf = snap.request_from_json(json).unwrap();
        snap.explain(Hook::Access, &buf.view())
            .into_iter()
            .map(|x| x.outcome)
            .collect()
    };
    let no_action = request_without("request", "action");
    let buf = snap.request_from_json(&no_action).unwrap();
    let d = snap.decide(Hook::Access, &buf.view());
    assert!(matches!(d.reason, Reason::Missing(_)), "{d:?}");
    use dictum::engine::RuleOutcome::*;
    // `permit read`: cannot be told without the action; `forbid` (any action): evaluated.
    assert_eq!(outcomes(&no_action), vec![Error, NotMatched]);
    // With the action, the same rules explain normally.
    assert_eq!(outcomes(REQUEST), vec![Matched, NotMatched]);
}

#[test]
fn handles_work_only_with_requests_of_their_schema() {
    // Two engines with different schemas: the second adds an attribute, so the fingerprints
    // differ even where the slots line up.
    let standard = engine(r#"platform { policy "a" on access { permit; } }"#);
    let mut extended_schema = Schema::standard().unwrap();
    let diags = dictum::schema::load(
        dictum::source::FileId(0),
        "entity extra on access { note: string; }",
        &mut extended_schema,
        &dictum::syntax::Limits::default(),
    );
    assert!(diags.is_empty(), "{diags:?}");
    let extended = Engine::new(
        compile_sources(
            &[(
                "p.policy",
                r#"platform { policy "a" on access { permit; } }"#,
            )],
            extended_schema,
        )
        .unwrap(),
    )
    .unwrap();

    let mine = standard.attr("client.country").unwrap();
    let theirs = extended.attr("client.country").unwrap();
    let mut req = standard.request();
    req.set_str(mine, "US").unwrap();
    assert!(req.has(mine));
    // Same path, same kind, same slot number: still refused, and nothing is written.
    req.clear();
    let err = req.set_str(theirs, "US").unwrap_err();
    assert!(err.to_string().contains("another schema"), "{err}");
    assert!(!req.has(mine));
    // The wrong kind through a handle of the right schema names the kind.
    let err = req.set_int(mine, 3).unwrap_err();
    assert!(err.to_string().contains("does not hold an int"), "{err}");
}

/// A runtime's own request type, read in place.
struct Conn {
    ip: std::net::IpAddr,
    country: String,
    roles: Vec<String>,
    location: Option<String>,
    action: dictum::engine::Symbol,
}

const IN_PLACE: &str = r#"platform {
  policy "where" on access {
    forbid when client.country in {"KP", "IR"};
    permit read when client.ip in 10.0.0.0/8 and user.roles has any {"reader", "admin"};
    permit write when client has region and client.region == "eu";
  }
}"#;

fn conn(
    snap: &dictum::engine::Snapshot,
    ip: &str,
    country: &str,
    roles: &[&str],
    action: &str,
) -> Conn {
    Conn {
        ip: ip.parse().unwrap(),
        country: country.into(),
        roles: roles.iter().map(|s| s.to_string()).collect(),
        location: None,
        action: snap
            .symbol(snap.attr("request.action").unwrap(), action)
            .unwrap(),
    }
}

/// The layout of `Conn`, with `client.country` and `request.action` bound by `rest`
/// (each test binds them its own way).
fn conn_layout_with(
    snap: &dictum::engine::Snapshot,
    rest: impl FnOnce(&mut dictum::engine::LayoutBuilder<'_, Conn>),
) -> dictum::engine::Layout<Conn> {
    let mut l = snap.layout::<Conn>();
    l.ip("client.ip", |c| c.ip)
        .unwrap()
        .strings("user.roles", |c| &c.roles)
        .unwrap()
        .opt_str("client.region", |c| c.location.as_deref())
        .unwrap();
    rest(&mut l);
    l.build()
}

fn conn_layout(snap: &dictum::engine::Snapshot) -> dictum::engine::Layout<Conn> {
    conn_layout_with(snap, |l| {
        l.str("client.country", |c| &c.country)
            .unwrap()
            .symbol("request.action", |c| c.action)
            .unwrap();
    })
}

#[test]
fn requests_read_in_place_decide_as_built_ones() {
    let e = engine(IN_PLACE);
    let snap = e.snapshot();
    let layout = conn_layout(&snap);
    let cases = [
        ("10.1.2.3", "DE", &["reader"][..], "read", true),
        ("10.1.2.3", "KP", &["reader"][..], "read", false),
        ("192.0.2.1", "DE", &["reader"][..], "read", false),
        ("10.1.2.3", "DE", &["guest"][..], "read", false),
        ("10.1.2.3", "DE", &["admin", "guest"][..], "read", true),
        ("10.1.2.3", "DE", &["admin"][..], "write", false),
    ];
    let (ip, country, roles, region, action) = (
        snap.attr("client.ip").unwrap(),
        snap.attr("client.country").unwrap(),
        snap.attr("user.roles").unwrap(),
        snap.attr("client.region").unwrap(),
        snap.attr("request.action").unwrap(),
    );
    for (i, (addr, cc, rs, act, allow)) in cases.into_iter().enumerate() {
        let mut c = conn(&snap, addr, cc, rs, act);
        if i == 5 {
            c.location = Some("eu".into());
        }
        let in_place = snap.decide_in_place(Hook::Access, &layout, &c);
        let mut req = snap.request();
        req.set_ip(ip, c.ip).unwrap();
        req.set_str(country, &c.country).unwrap();
        let role_refs: Vec<&str> = c.roles.iter().map(String::as_str).collect();
        req.set_strs(roles, &role_refs).unwrap();
        if let Some(l) = &c.location {
            req.set_str(region, l).unwrap();
        }
        req.set_symbol(action, c.action).unwrap();
        assert_eq!(in_place, snap.decide(Hook::Access, &req), "case {i}");
        // The last case is allowed through the optional `client.region`.
        assert_eq!(
            in_place.is_allow(),
            allow || i == 5,
            "case {i}: {in_place:?}"
        );
    }
}

#[test]
fn layouts_check_paths_and_kinds_when_bound() {
    let e = engine(IN_PLACE);
    let snap = e.snapshot();
    let mut l = snap.layout::<Conn>();
    let err = l.str("client.nope", |c| &c.country).unwrap_err();
    assert_eq!(err.path, "client.nope");
    assert_eq!(err.message, "no such attribute in the schema");
    let err = l.str("client.ip", |c| &c.country).unwrap_err();
    assert_eq!(err.path, "client.ip");
    assert_eq!(err.message, "this attribute does not hold a string");
    let err = l.strings("client.country", |c| &c.roles).unwrap_err();
    assert_eq!(err.message, "this attribute does not hold a set of strings");
    let err = l.symbol("client.country", |c| c.action).unwrap_err();
    assert_eq!(err.message, "this attribute does not hold a symbol");
    let err = l.ip("nodot", |c| c.ip).unwrap_err();
    assert_eq!(err.message, "expected `entity.attribute`");
}

#[test]
fn in_place_decisions_fail_closed() {
    let e = engine(IN_PLACE);
    let snap = e.snapshot();
    let c = conn(&snap, "10.1.2.3", "DE", &["reader"], "read");
    let path = |d: dictum::engine::Decision| match d.reason {
        Reason::Missing(id) => snap.schema().attr_path(id),
        other => panic!("{other:?}"),
    };
    // A required attribute left unbound denies, naming it.
    let l = conn_layout_with(&snap, |l| {
        l.symbol("request.action", |c| c.action).unwrap();
    });
    let d = snap.decide_in_place(Hook::Access, &l, &c);
    assert!(!d.is_allow());
    assert_eq!(path(d), "client.country");
    // A required attribute bound optionally, and absent, denies before evaluation.
    let l = conn_layout_with(&snap, |l| {
        l.opt_str("client.country", |c| c.location.as_deref())
            .unwrap()
            .symbol("request.action", |c| c.action)
            .unwrap();
    });
    let d = snap.decide_in_place(Hook::Access, &l, &c);
    assert_eq!(path(d), "client.country");
    // A symbol resolved for another attribute reads as absent.
    let wrong = snap
        .symbol(snap.attr("target.kind").unwrap(), "external")
        .unwrap();
    let l = conn_layout_with(&snap, |l| {
        l.str("client.country", |c| &c.country)
            .unwrap()
            .symbol("request.action", move |_| wrong)
            .unwrap();
    });
    let d = snap.decide_in_place(Hook::Access, &l, &c);
    assert_eq!(path(d), "request.action");
    // A layout of another schema is refused.
    let other = engine(r#"platform { policy "a" on access { permit; } }"#);
    let mut schema = Schema::standard().unwrap();
    let ext = "entity user {\n  loyalty?: string;\n}\n";
    let mut sources = dictum::source::Sources::new();
    let id = sources.add("x.schema", ext);
    assert!(
        dictum::schema::load(id, ext, &mut schema, &dictum::syntax::Limits::default()).is_empty()
    );
    let b = Engine::new(compile_sources(&[("p.policy", IN_PLACE)], schema).unwrap()).unwrap();
    let layout = conn_layout(&snap);
    assert!(snap.decide_in_place(Hook::Access, &layout, &c).is_allow());
    let d = b.snapshot().decide_in_place(Hook::Access, &layout, &c);
    assert!(!d.is_allow());
    assert_eq!(d.reason, Reason::SchemaMismatch);
    // Another engine of the same schema reads the same layout.
    let d = other.decide_in_place(Hook::Access, &layout, &c);
    assert!(d.is_allow(), "{d:?}");
}

#[test]
fn rules_without_an_action_list_apply_to_requests_without_an_action() {
    // Regression: a request without `request.action` skipped every rule, so this forbid
    // did not apply and the default allowed (fail open).
    let e = engine(
        r#"platform {
  policy "f" on access { forbid when client.country == "US"; }
  policy "d" on access { default allow; }
}"#,
    );
    let mut v: serde_json::Value = serde_json::from_str(REQUEST).unwrap();
    v["request"].as_object_mut().unwrap().remove("action");
    let buf = e.request_from_json(&v.to_string()).unwrap();
    let d = e.decide(Hook::Access, &buf.view());
    assert!(!d.is_allow(), "{d:?}");
    assert_eq!(d.reason, Reason::Rule);
    v["client"]["country"] = "DE".into();
    let buf = e.request_from_json(&v.to_string()).unwrap();
    assert!(e.decide(Hook::Access, &buf.view()).is_allow());
    // Where a rule lists actions, the action is required.
    let e = engine(r#"platform { policy "p" on access { permit read; } }"#);
    let d = e.decide(Hook::Access, &buf.view());
    assert!(matches!(d.reason, Reason::Missing(_)), "{d:?}");
}
