//! Criterion benchmarks: decision latency per hook at 1 to 10,000 tenants (hits and misses),
//! request building (typed builder and JSON), requests read in place, compile and load time,
//! and the hand-written baseline on the same requests. Run: `cargo bench --bench decide`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests and benchmarks fail loudly by design"
)]

#[path = "handles.rs"]
mod handles;
#[path = "workload.rs"]
mod workload;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use dictum::engine::{Engine, Request};
use dictum::types::Hook;
use handles::Handles;
use std::hint::black_box;
use std::time::Duration;
use workload::{Baseline, Req, requests, workload};

pub const SCALES: &[usize] = &[1, 100, 1_000, 10_000];

struct Scale {
    engine: Engine,
    reqs: Vec<Req>,
    roles: Vec<Vec<&'static str>>,
    tags: Vec<Vec<&'static str>>,
    baseline: Baseline,
}

fn leak(v: &[String]) -> Vec<&'static str> {
    v.iter()
        .map(|s| &*Box::leak(s.clone().into_boxed_str()))
        .collect()
}

fn scale(n: usize) -> Scale {
    let w = workload(n);
    let files = workload::dictum_files(&w);
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let engine = Engine::from_sources(&refs).unwrap();
    let reqs = requests(&w, 1024, 42);
    let roles = reqs.iter().map(|r| leak(&r.roles)).collect();
    let tags = reqs.iter().map(|r| leak(&r.tags)).collect();
    Scale {
        engine,
        reqs,
        roles,
        tags,
        baseline: Baseline::new(&w),
    }
}

fn decide(c: &mut Criterion) {
    for &n in SCALES {
        let s = scale(n);
        let snap = s.engine.snapshot();
        let h = Handles::new(&snap);
        let syms: Vec<_> = s.reqs.iter().map(|r| h.symbols(r)).collect();
        // Prebuilt requests for evaluation-alone timings.
        let built: Vec<Request<'_>> = (0..s.reqs.len())
            .map(|i| {
                let mut req = snap.request();
                h.fill(&mut req, &s.reqs[i], &s.roles[i], &s.tags[i], &syms[i]);
                req
            })
            .collect();
        // The same requests as a runtime holds them, read in place.
        let layout = handles::in_place_layout(&snap);
        let held: Vec<handles::Held> = s
            .reqs
            .iter()
            .zip(&syms)
            .map(|(r, sym)| handles::Held {
                req: r.clone(),
                sym: *sym,
            })
            .collect();
        // The engine answers as the baseline does (the peer crate checks every engine),
        // and in place as on built requests.
        for (i, r) in s.reqs.iter().enumerate() {
            for hook in Hook::ALL {
                assert_eq!(
                    snap.decide_in_place(hook, &layout, &held[i]),
                    snap.decide(hook, &built[i]),
                    "{r:?}"
                );
            }
            assert_eq!(
                snap.decide(Hook::Access, &built[i]).is_allow(),
                s.baseline.access(r),
                "{r:?}"
            );
            assert_eq!(
                snap.decide(Hook::Egress, &built[i]).is_allow(),
                s.baseline.egress(r),
                "{r:?}"
            );
            assert_eq!(
                snap.decide(Hook::Instantiate, &built[i]).is_allow(),
                s.baseline.instantiate(r),
                "{r:?}"
            );
        }
        let mut g = c.benchmark_group(format!("decide/{n}"));
        g.throughput(Throughput::Elements(1));
        for hook in Hook::ALL {
            let mut i = 0usize;
            g.bench_function(BenchmarkId::new("eval", hook.name()), |b| {
                b.iter(|| {
                    i = (i + 1) & 1023;
                    black_box(snap.decide(hook, black_box(&built[i])))
                })
            });
        }
        let mut i = 0usize;
        let mut req = snap.request();
        g.bench_function(BenchmarkId::new("build+eval", "access"), |b| {
            b.iter(|| {
                i = (i + 1) & 1023;
                h.fill(&mut req, &s.reqs[i], &s.roles[i], &s.tags[i], &syms[i]);
                black_box(snap.decide(Hook::Access, &req))
            })
        });
        let mut i = 0usize;
        g.bench_function(BenchmarkId::new("in-place", "access"), |b| {
            b.iter(|| {
                i = (i + 1) & 1023;
                black_box(snap.decide_in_place(Hook::Access, &layout, black_box(&held[i])))
            })
        });
        let mut i = 0usize;
        g.bench_function(BenchmarkId::new("baseline", "access"), |b| {
            b.iter(|| {
                i = (i + 1) & 1023;
                black_box(s.baseline.access(black_box(&s.reqs[i])))
            })
        });
        // Each request at the five hooks in a row, as a runtime decides one object's
        // request (docs/ENGINE.md "Locality"): in place, and the baseline's five checks.
        let at = |k: usize| ((k / 5) & 1023, Hook::ALL[k % 5]);
        let mut k = 0usize;
        g.bench_function(BenchmarkId::new("in-place", "flow"), |b| {
            b.iter(|| {
                k = k.wrapping_add(1);
                let (i, hook) = at(k);
                black_box(snap.decide_in_place(hook, &layout, black_box(&held[i])))
            })
        });
        let mut k = 0usize;
        g.bench_function(BenchmarkId::new("baseline", "flow"), |b| {
            b.iter(|| {
                k = k.wrapping_add(1);
                let (i, hook) = at(k);
                let r = black_box(&s.reqs[i]);
                black_box(match hook {
                    Hook::Instantiate => s.baseline.instantiate(r),
                    Hook::Access => s.baseline.access(r),
                    Hook::Egress => s.baseline.egress(r),
                    Hook::Encrypt => s.baseline.encrypt_aes(r),
                    Hook::Log => s.baseline.log_client_ip(r),
                })
            })
        });
        g.finish();
    }
}

fn build(c: &mut Criterion) {
    let s = scale(100);
    let snap = s.engine.snapshot();
    let h = Handles::new(&snap);
    let syms: Vec<_> = s.reqs.iter().map(|r| h.symbols(r)).collect();
    let json: Vec<String> = s.reqs.iter().map(workload::request_json).collect();
    let mut g = c.benchmark_group("build");
    let mut req = snap.request();
    let mut i = 0usize;
    g.bench_function("typed", |b| {
        b.iter(|| {
            i = (i + 1) & 1023;
            h.fill(&mut req, &s.reqs[i], &s.roles[i], &s.tags[i], &syms[i]);
            black_box(&req);
        })
    });
    let mut i = 0usize;
    g.bench_function("json", |b| {
        b.iter(|| {
            i = (i + 1) & 1023;
            black_box(snap.request_from_json(&json[i]).unwrap())
        })
    });
    g.finish();
}

fn compile_and_load(c: &mut Criterion) {
    let mut g = c.benchmark_group("compile");
    g.sample_size(10);
    for &n in &[1usize, 100, 1_000, 10_000] {
        let files = workload::dictum_files(&workload(n));
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        g.bench_function(BenchmarkId::new("check+compile", n), |b| {
            b.iter(|| {
                black_box(
                    dictum::engine::compile_sources(
                        &refs,
                        dictum::schema::Schema::standard().unwrap(),
                    )
                    .unwrap(),
                )
            })
        });
        let bytes =
            dictum::engine::compile_sources(&refs, dictum::schema::Schema::standard().unwrap())
                .unwrap()
                .encode()
                .unwrap();
        eprintln!(
            "bundle at {n} tenants: {} bytes ({} per tenant)",
            bytes.len(),
            bytes.len() / n
        );
        g.bench_function(BenchmarkId::new("load", n), |b| {
            b.iter(|| black_box(Engine::from_bytes(black_box(&bytes)).unwrap()))
        });
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

criterion_group! { name = benches; config = config(); targets = decide, build, compile_and_load }
criterion_main!(benches);
