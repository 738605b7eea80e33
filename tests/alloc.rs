//! No heap allocation while deciding, nor while filling a request with the typed builder:
//! a counting global allocator watches both.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests and benchmarks fail loudly by design"
)]

mod common;

use dictum::engine::Engine;
use dictum::types::Hook;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the wrapper only
// counts calls while a test has switched counting on. Exercised by the tests below.
#[expect(
    unsafe_code,
    reason = "a global allocator is an unsafe trait; this one only counts and forwards"
)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::SeqCst) {
            ALLOCS.fetch_add(1, Ordering::SeqCst);
        }
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::SeqCst) {
            ALLOCS.fetch_add(1, Ordering::SeqCst);
        }
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn library_engine() -> Engine {
    let files: Vec<(String, String)> = common::library_files()
        .iter()
        .map(|p| (p.display().to_string(), std::fs::read_to_string(p).unwrap()))
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    Engine::from_sources(&refs).unwrap()
}

/// Count allocations made by `f` (tests in this file run one at a time: see `LOCK`).
fn count(f: impl FnOnce()) -> usize {
    ALLOCS.store(0, Ordering::SeqCst);
    COUNTING.store(true, Ordering::SeqCst);
    f();
    COUNTING.store(false, Ordering::SeqCst);
    ALLOCS.load(Ordering::SeqCst)
}

static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn deciding_and_building_requests_never_allocate() {
    let _g = LOCK.lock().unwrap();
    let engine = library_engine();
    let snap = engine.snapshot();
    let attr = |p: &str| snap.attr(p).unwrap();
    let (country, jur, region, dc, tier, maker, generation, certs, sid) = (
        attr("server.country"),
        attr("server.jurisdiction"),
        attr("server.region"),
        attr("server.datacenter"),
        attr("server.tier"),
        attr("server.manufacturer"),
        attr("server.generation"),
        attr("server.certifications"),
        attr("server.id"),
    );
    let (cip, ccountry, posture) = (
        attr("client.ip"),
        attr("client.country"),
        attr("client.posture"),
    );
    let (auth, creds, roles, groups) = (
        attr("user.authenticated"),
        attr("user.credentials"),
        attr("user.roles"),
        attr("user.groups"),
    );
    let (oid, class, domain, tags, clearance) = (
        attr("object.id"),
        attr("object.class"),
        attr("object.domain"),
        attr("object.tags"),
        attr("object.clearance"),
    );
    let (tkind, tdomain, tclr) = (
        attr("target.kind"),
        attr("target.domain"),
        attr("target.clearance"),
    );
    let (action, time, headers) = (
        attr("request.action"),
        attr("request.time"),
        attr("request.headers"),
    );
    let managed = snap.symbol(posture, "managed").unwrap();
    let secret = snap.symbol(clearance, "secret").unwrap();
    let read = snap.symbol(action, "read").unwrap();
    let external = snap.symbol(tkind, "external").unwrap();
    let unclassified = snap.symbol(tclr, "unclassified").unwrap();
    let cert_list: &[&str] = &["fedramp", "itar"];
    let tag_list: &[&str] = &["financial", "fips"];
    let group_list: &[&str] = &["finance"];
    let cred_list: &[&str] = &["hardware-key"];
    let none: &[&str] = &[];
    let ip: std::net::IpAddr = "203.0.113.9".parse().unwrap();
    let mut req = snap.request();

    let mut decisions = Vec::with_capacity(Hook::ALL.len() * 1000);
    let n = count(|| {
        for _ in 0..1000 {
            req.clear();
            req.set_str(sid, "iad-1").unwrap();
            req.set_str(country, "US").unwrap();
            req.set_str(jur, "US").unwrap();
            req.set_str(region, "us-east").unwrap();
            req.set_str(dc, "iad1").unwrap();
            req.set_int(tier, 1).unwrap();
            req.set_str(maker, "Oxide").unwrap();
            req.set_int(generation, 5).unwrap();
            req.set_strs(certs, cert_list).unwrap();
            req.set_ip(cip, ip).unwrap();
            req.set_str(ccountry, "US").unwrap();
            req.set_symbol(posture, managed).unwrap();
            req.set_bool(auth, true).unwrap();
            req.set_strs(creds, cred_list).unwrap();
            req.set_strs(roles, none).unwrap();
            req.set_strs(groups, group_list).unwrap();
            req.set_str(oid, "ledger-7").unwrap();
            req.set_str(class, "ledger").unwrap();
            req.set_str(domain, "bank.example").unwrap();
            req.set_strs(tags, tag_list).unwrap();
            req.set_symbol(clearance, secret).unwrap();
            req.set_symbol(tkind, external).unwrap();
            req.set_str(tdomain, "api.bank.example").unwrap();
            req.set_symbol(tclr, unclassified).unwrap();
            req.set_symbol(action, read).unwrap();
            req.set_timestamp(time, 1_772_446_500).unwrap();
            req.set_strs(headers, none).unwrap();
            for h in Hook::ALL {
                decisions.push(snap.decide(h, &req));
            }
        }
    });
    assert_eq!(n, 0, "{n} allocations while building requests and deciding");
    assert_real(&decisions);
}

/// The decisions are real ones, not errors: every hook reached its rules, and some allow.
fn assert_real(decisions: &[dictum::engine::Decision]) {
    for d in &decisions[..Hook::ALL.len()] {
        assert!(
            !matches!(
                d.reason,
                dictum::engine::Reason::Missing(_) | dictum::engine::Reason::Internal
            ),
            "{d:?}"
        );
    }
    assert!(decisions.iter().any(|d| d.is_allow()));
}

#[test]
fn the_counter_counts() {
    // The allocator wrapper really sees allocations: this test would pass vacuously otherwise.
    let _g = LOCK.lock().unwrap();
    let n = count(|| {
        let v: Vec<u64> = Vec::with_capacity(16);
        std::hint::black_box(v);
    });
    assert!(n >= 1);
}

#[test]
fn deciding_in_place_never_allocates() {
    use dictum::value::Value;
    let _g = LOCK.lock().unwrap();
    let engine = library_engine();
    let snap = engine.snapshot();
    let schema = snap.schema();
    let mut values: Vec<Option<Value>> = vec![None; schema.attrs.len()];
    let mut put = |path: &str, v: Value| {
        let (e, a) = path.split_once('.').unwrap();
        values[schema.attr_named(e, a).unwrap().0 as usize] = Some(v);
    };
    let strs = |xs: &[&str]| Value::Set(xs.iter().map(|s| Value::Str(s.to_string())).collect());
    let s = |x: &str| Value::Str(x.into());
    put("server.id", s("iad-1"));
    put("server.country", s("US"));
    put("server.jurisdiction", s("US"));
    put("server.region", s("us-east"));
    put("server.datacenter", s("iad1"));
    put("server.tier", Value::Int(1));
    put("server.manufacturer", s("Oxide"));
    put("server.generation", Value::Int(5));
    put("server.certifications", strs(&["fedramp", "itar"]));
    put("client.ip", Value::Ip("203.0.113.9".parse().unwrap()));
    put("client.country", s("US"));
    put("client.posture", Value::Enum(0));
    put("user.authenticated", Value::Bool(true));
    put("user.credentials", strs(&["hardware-key"]));
    put("user.roles", strs(&[]));
    put("user.groups", strs(&["finance"]));
    put("object.id", s("ledger-7"));
    put("object.class", s("ledger"));
    put("object.domain", s("bank.example"));
    put("object.tags", strs(&["financial", "fips"]));
    put("object.clearance", Value::Level(2));
    put("target.kind", Value::Enum(0));
    put("target.domain", s("api.bank.example"));
    put("target.clearance", Value::Level(0));
    put("request.action", Value::Enum(3));
    put("request.time", Value::Timestamp(1_772_446_500));
    put("request.headers", strs(&[]));
    let layout = common::held::layout(&snap);
    let held = common::held::Held::of(&values, &snap);
    let buf = snap.request_from_values(values.clone());

    let mut decisions = Vec::with_capacity(Hook::ALL.len() * 1000);
    let n = count(|| {
        for _ in 0..1000 {
            for h in Hook::ALL {
                decisions.push(snap.decide_in_place(h, &layout, &held));
            }
        }
    });
    assert_eq!(n, 0, "{n} allocations while deciding in place");
    // Real decisions, the same as for the request built from the same values.
    for (d, h) in decisions.iter().zip(Hook::ALL) {
        assert_eq!(*d, snap.decide(h, &buf.view()));
    }
    assert_real(&decisions);
}
