//! Shared code of the dictum fuzz targets: the oracles (what must hold for every input)
//! and the input generators (token soups, structured programs, well-typed programs,
//! requests). The targets in `fuzz_targets/` are thin wrappers around these.
//!
//! Every oracle panics on a violation, which libFuzzer reports as a crash.

#![allow(clippy::all)]

pub mod structured;
pub mod jreq;
pub mod mutate;
pub mod tokens;
pub mod welltyped;

use dictum::check::program::Program;
use dictum::check::{Checked, check_sources};
use dictum::engine::{Engine, Reason, Snapshot};
use dictum::error::Code;
use dictum::reference;
use dictum::schema::Schema;
use dictum::source::{FileId, Sources};
use dictum::syntax::Limits;
use dictum::types::Hook;
use dictum::value::Value;
use std::sync::OnceLock;

/// The request every bundle is evaluated on (tests/fixtures/request.json).
pub const FIXTURE_REQUEST: &str = include_str!("../../tests/fixtures/request.json");

/// The built-in standard schema, parsed once.
pub fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| Schema::standard().expect("the standard schema parses"))
}

/// Parse and check one file as a project, asserting the checker's own invariants: no
/// internal error, and a program exactly when there is no error.
pub fn check_text(text: &str) -> (Sources, Checked) {
    let mut sources = Sources::new();
    sources.add("fuzz.policy", text);
    let checked = check_sources(&sources, schema().clone(), &Limits::default());
    if let Some(d) = checked.diagnostics.iter().find(|d| d.code == Code::Internal) {
        panic!("internal error from the checker: {} (at {:?})", d.message, d.span());
    }
    assert_eq!(checked.program.is_some(), !checked.has_errors(), "a program exists exactly when there is no error");
    (sources, checked)
}

/// Every layer below the parser on raw text: parse (policy, expression, schema), check,
/// and, for an accepted program, compile and load.
pub fn parse_everything(text: &str) {
    let limits = Limits::default();
    if let Err(d) = dictum::syntax::parse_policy(FileId(0), text, &limits) {
        assert!(d.code != Code::Internal, "internal error from the parser: {}", d.message);
    }
    if let Err(d) = dictum::syntax::parse_expr(FileId(0), text, &limits) {
        assert!(d.code != Code::Internal, "internal error from the expression parser: {}", d.message);
    }
    // The same text as a project schema extending the standard one.
    let mut base = schema().clone();
    let diags = dictum::schema::load(FileId(0), text, &mut base, &limits);
    assert!(diags.iter().all(|d| d.code != Code::Internal), "internal error from the schema loader");
    let (sources, checked) = check_text(text);
    if let Some(program) = checked.program {
        compile_and_load(&program, &sources);
    }
}

/// A checked program must compile, its bundle must survive encode/decode/verify exactly,
/// and load into an engine. Returns the engine.
pub fn compile_and_load(program: &Program, sources: &Sources) -> Engine {
    let bundle = match dictum::compile::compile(program, sources) {
        Ok(b) => b,
        Err(e) => panic!("the checker accepted a program the compiler rejects: {e}"),
    };
    let bytes = bundle.encode().expect("a compiled bundle encodes");
    let decoded = match dictum::bundle::Bundle::decode(&bytes) {
        Ok(b) => b,
        Err(e) => panic!("a compiled bundle does not decode/verify: {e}"),
    };
    assert!(decoded == bundle, "bundle round trip is not exact");
    match Engine::new(decoded) {
        Ok(e) => e,
        Err(e) => panic!("a compiled bundle does not load: {e}"),
    }
}

/// The VM and the reference interpreter must agree on one request at every hook, exactly
/// as `check_agreement` in tests/differential.rs: outcome, deciding rule (except at log),
/// cipher, record and redact sets; no internal error on either side; a missing required
/// attribute denies with reason `missing`.
pub fn agree(program: &Program, snap: &Snapshot, values: &[Option<Value>], what: &dyn Fn() -> String) {
    let buf = snap.request_from_values(values.to_vec());
    let req = buf.view();
    // The same request with its string, number and address sets set through the typed
    // builder: the engine's specialised tests read those shapes directly, and must decide
    // exactly as on owned values.
    let typed_sets = TypedSets::of(values, snap);
    let mut typed = buf.view();
    typed_sets.apply(&mut typed);
    for hook in Hook::ALL {
        let vm = snap.decide(hook, &req);
        assert_eq!(snap.decide(hook, &typed), vm, "typed builder sets decide differently at {hook} for\n{}", what());
        let rf = reference::decide(program, hook, values);
        if let Some(reference::EvalError::Internal(m)) = &rf.error {
            panic!("reference runtime error on a well-typed policy at {hook}: {m}\n{}", what());
        }
        assert!(vm.reason != Reason::Internal, "VM internal error at {hook}\n{}", what());
        assert_eq!(vm.outcome, rf.outcome, "outcome at {hook} for\n{}", what());
        let vm_rule = vm.rule.and_then(|r| {
            let p = snap.bundle().policies.get(r.policy as usize)?;
            let body = snap.bundle().bodies.get(p.body as usize)?;
            Some((r.policy as usize, usize::from(body.rules.get(r.rule as usize)?.index)))
        });
        if hook != Hook::Log {
            assert_eq!(vm_rule, rf.rule, "deciding rule at {hook} for\n{}", what());
        }
        assert_eq!(vm.cipher, rf.cipher, "cipher at {hook} for\n{}", what());
        assert_eq!(vm.record, rf.record, "record at {hook} for\n{}", what());
        assert_eq!(vm.redact, rf.redact, "redact at {hook} for\n{}", what());
        if rf.error.is_some() {
            assert!(matches!(vm.reason, Reason::Missing(_)), "a missing attribute must deny with reason missing, got {:?}\n{}", vm.reason, what());
            assert_eq!(vm.outcome, dictum::check::program::Outcome::Deny);
        }
        // Explaining must not fail either, and lists only rules that exist.
        for e in snap.explain(hook, &req) {
            assert!(snap.rule(e.rule).is_some(), "explain names a rule that does not exist");
        }
    }
}

/// A request's sets in the typed builder's shapes (as in tests/differential.rs).
struct TypedSets<'v> {
    strs: Vec<(dictum::engine::Attr, Vec<&'v str>)>,
    nums: Vec<(dictum::engine::Attr, Vec<i64>)>,
    ips: Vec<(dictum::engine::Attr, Vec<std::net::IpAddr>)>,
}

impl<'v> TypedSets<'v> {
    fn of(values: &'v [Option<Value>], snap: &Snapshot) -> TypedSets<'v> {
        use dictum::schema::AttrId;
        use dictum::types::Type;
        let mut t = TypedSets { strs: Vec::new(), nums: Vec::new(), ips: Vec::new() };
        for (i, v) in values.iter().enumerate() {
            let Some(Value::Set(items)) = v else { continue };
            let Ok(i) = u32::try_from(i) else { continue };
            let id = AttrId(i);
            let Ok(attr) = snap.attr(&snap.schema().attr_path(id)) else { continue };
            let Some(Type::Set(inner)) = snap.schema().attr(id).map(|a| &a.ty) else { continue };
            match **inner {
                Type::String => t.strs.push((
                    attr,
                    items.iter().filter_map(|x| if let Value::Str(s) = x { Some(s.as_str()) } else { None }).collect(),
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
                    items.iter().filter_map(|x| if let Value::Ip(ip) = x { Some(*ip) } else { None }).collect(),
                )),
                _ => {}
            }
        }
        t
    }

    fn apply<'r>(&'r self, req: &mut dictum::engine::Request<'r>) {
        for (a, v) in &self.strs {
            req.set_strs(*a, v).expect("a string set fits its attribute");
        }
        for (a, v) in &self.nums {
            req.set_ints(*a, v).expect("a number set fits its attribute");
        }
        for (a, v) in &self.ips {
            req.set_ips(*a, v).expect("an address set fits its attribute");
        }
    }
}

/// The whole differential check of one program and its JSON requests. `None` when the
/// program is rejected for a reason the generators may legitimately produce
/// (conflicting defaults in one scope).
pub fn check_agreement(text: &str, requests: &[String]) -> Option<()> {
    let (sources, checked) = check_text(text);
    if checked.diagnostics.iter().any(|d| d.code == Code::ConflictingDefaults) {
        return None;
    }
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "generated program does not check: {errors:?}\n{text}");
    let program = checked.program.expect("no errors, so a program");
    let engine = compile_and_load(&program, &sources);
    let snap = engine.snapshot();
    for json in requests {
        let buf = match snap.request_from_json(json) {
            Ok(b) => b,
            Err(e) => panic!("generated request rejected: {e}\n{json}"),
        };
        let values = buf.values();
        agree(&program, &snap, &values, &|| format!("{text}\nrequest {json}"));
    }
    Some(())
}

/// Every `.policy` file of the policy library, in path order, as (name, text).
pub fn library() -> &'static [(String, String)] {
    static L: OnceLock<Vec<(String, String)>> = OnceLock::new();
    L.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
        let mut files = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).expect("policies/ is readable") {
                let p = e.expect("dir entry").path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "policy") {
                    files.push(p);
                }
            }
        }
        files.sort();
        files
            .into_iter()
            .map(|p| {
                let name = p.strip_prefix(&root).unwrap_or(&p).display().to_string();
                let text = std::fs::read_to_string(&p).expect("policy readable");
                (name, text)
            })
            .collect()
    })
}

/// The policy library, checked and compiled: (program, engine).
pub fn library_engine() -> &'static (Program, Engine) {
    static E: OnceLock<(Program, Engine)> = OnceLock::new();
    E.get_or_init(|| {
        let mut sources = Sources::new();
        for (name, text) in library() {
            sources.add(name.clone(), text.clone());
        }
        let checked = check_sources(&sources, schema().clone(), &Limits::default());
        let program = checked.program.expect("the policy library checks");
        let engine = compile_and_load(&program, &sources);
        (program, engine)
    })
}

/// The policy of tests/bundle.rs: a template, constants, every hook.
pub const SMALL_POLICY: &str = r#"
const blocked = {10.0.0.0/8, 192.168.0.0/16};
template countries(allowed: set<string>) on access {
  forbid when not (client.country in allowed);
}
domain "bank.example" {
  use countries({"US", "DE"});
  policy "rights" on access {
    permit read when user.groups has "finance" and any t in object.tags: t like "fin*";
    forbid when client.ip in blocked;
  }
  policy "fips" on encrypt { use aes_256_gcm when object.tags has "fips"; default chacha20_poly1305; }
  policy "log" on log { record client_ip, url; redact client_ip when client.country in {"DE"}; }
}
"#;

/// Encoded bundles to mutate: the small policy of tests/bundle.rs, and the whole library.
pub fn base_bundles() -> &'static [Vec<u8>] {
    static B: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    B.get_or_init(|| {
        let small = dictum::engine::compile_sources(&[("p.policy", SMALL_POLICY)], schema().clone()).expect("small policy compiles");
        let lib = library_engine().1.snapshot().bundle().encode().expect("encodes");
        vec![small.encode().expect("encodes"), lib]
    })
}

/// A header for `payload` with the right length and checksum (tests/bundle.rs layout:
/// magic[8], version u32, payload length u64, FNV-1a u64, all little-endian).
pub fn with_header(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(28 + payload.len());
    out.extend_from_slice(dictum::bundle::MAGIC);
    out.extend_from_slice(&dictum::bundle::FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&dictum::bundle::fnv1a(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Load bytes as a bundle; when accepted, decide and explain every hook on the fixture
/// request (if it fits the bundle's schema) and on an empty request. Never a panic.
/// A caller's request type for the in-place path of [`load_and_run`].
struct Few {
    text: String,
    ip: std::net::IpAddr,
    roles: Vec<String>,
}

pub fn load_and_run(bytes: &[u8]) {
    let Ok(engine) = Engine::from_bytes(bytes) else { return };
    let snap = engine.snapshot();
    if let Ok(buf) = snap.request_from_json(FIXTURE_REQUEST) {
        let r = buf.view();
        for h in Hook::ALL {
            let d = snap.decide(h, &r);
            if let Some(rule) = d.rule {
                let _ = snap.rule(rule);
            }
            let _ = snap.explain(h, &r);
        }
    }
    let empty = snap.request();
    for h in Hook::ALL {
        let _ = snap.decide(h, &empty);
        let _ = snap.explain(h, &empty);
    }
    // The in-place path on the same bundle: a layout of whichever of a few common
    // attributes its schema has (binding errors are expected and ignored).
    let few = Few {
        text: "US".into(),
        ip: std::net::IpAddr::from([10, 0, 0, 1]),
        roles: vec!["reader".into()],
    };
    let mut l = snap.layout::<Few>();
    let _ = l.str("client.country", |f| &f.text);
    let _ = l.str("object.domain", |f| &f.text);
    let _ = l.opt_str("object.owner", |f| Some(f.text.as_str()));
    let _ = l.ip("client.ip", |f| f.ip);
    let _ = l.strings("user.roles", |f| &f.roles);
    let _ = l.strings("object.tags", |f| &f.roles);
    let l = l.build();
    for h in Hook::ALL {
        let _ = snap.decide_in_place(h, &l, &few);
    }
    let _ = snap.bundle().hook_costs();
    let _ = dictum::disasm::disassemble(snap.bundle());
}

/// Decide and explain a JSON request at every hook of the library engine. An accepted
/// request must never produce an internal error, and the VM must agree with the reference.
pub fn request_everywhere(json: &str) {
    let (program, engine) = library_engine();
    let snap = engine.snapshot();
    let Ok(buf) = snap.request_from_json(json) else { return };
    let values = buf.values();
    agree(program, &snap, &values, &|| format!("policy library\nrequest {json}"));
}
