//! A fixed amount of decision work, for counting instructions under callgrind (the machine
//! has no hardware counters, and wall-clock timings are noisy while other jobs run):
//!
//! `valgrind --tool=callgrind target/release/examples/hotloop access 1000 eval 100000`
//!
//! Arguments: hook (or `all`: the five round-robin, as the peer runs' mixed columns; or
//! `flow`: each request at the five hooks in a row, as a runtime decides one object's
//! request),
//! tenants, mode (`eval`, `build`, `build+eval`, `in-place`, `baseline`, `setup`),
//! iterations. Mode `baseline` runs the hand-written access check whatever the hook, and
//! the five hand-written hooks round-robin with `all`.
//! `setup` does everything but the loop, so (mode - setup) / iterations is the cost of
//! one decision.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests and benchmarks fail loudly by design"
)]

#[path = "../benches/handles.rs"]
mod handles;
#[path = "../benches/workload.rs"]
mod workload;

use dictum::engine::Engine;
use dictum::types::Hook;
use std::hint::black_box;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let hook_arg = args.get(1).map_or("access", String::as_str);
    let flow = hook_arg == "flow";
    let all = hook_arg == "all" || flow;
    let hook = match all {
        true => Hook::Access,
        false => Hook::from_name(hook_arg).expect("hook"),
    };
    // One hook: a constant, so the measured loop does no selection work.
    let hook_at = |i: usize| if all { Hook::ALL[i % 5] } else { hook };
    // The request of iteration `i`: with `flow`, the same for five iterations.
    let at = |i: usize| if flow { (i / 5) & 1023 } else { i & 1023 };
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let mode = args.get(3).cloned().unwrap_or_else(|| "eval".into());
    let iters: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let w = workload::workload(n);
    let files = workload::dictum_files(&w);
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let engine = Engine::from_sources(&refs).expect("compile");
    let snap = engine.snapshot();
    let h = handles::Handles::new(&snap);
    let reqs = workload::requests(&w, 1024, 42);
    let syms: Vec<_> = reqs.iter().map(|r| h.symbols(r)).collect();
    let roles: Vec<Vec<&str>> = reqs
        .iter()
        .map(|r| r.roles.iter().map(String::as_str).collect())
        .collect();
    let tags: Vec<Vec<&str>> = reqs
        .iter()
        .map(|r| r.tags.iter().map(String::as_str).collect())
        .collect();
    let built: Vec<_> = (0..reqs.len())
        .map(|i| {
            let mut req = snap.request();
            h.fill(&mut req, &reqs[i], &roles[i], &tags[i], &syms[i]);
            req
        })
        .collect();
    let layout = handles::in_place_layout(&snap);
    let held: Vec<handles::Held> = reqs
        .iter()
        .zip(&syms)
        .map(|(req, sym)| handles::Held {
            req: req.clone(),
            sym: *sym,
        })
        .collect();
    let baseline = workload::Baseline::new(&w);
    let mut req = snap.request();
    let mut allowed = 0usize;
    let start = std::time::Instant::now();
    match mode.as_str() {
        "eval" => {
            for i in 0..iters {
                allowed +=
                    usize::from(snap.decide(hook_at(i), black_box(&built[at(i)])).is_allow());
            }
        }
        "build+eval" => {
            for i in 0..iters {
                let k = at(i);
                h.fill(&mut req, &reqs[k], &roles[k], &tags[k], &syms[k]);
                allowed += usize::from(snap.decide(hook_at(i), black_box(&req)).is_allow());
            }
        }
        "build" => {
            for i in 0..iters {
                let k = i & 1023;
                h.fill(&mut req, &reqs[k], &roles[k], &tags[k], &syms[k]);
                allowed += usize::from(black_box(&req).has(h.domain()));
            }
        }
        "in-place" => {
            for i in 0..iters {
                let r = black_box(&held[at(i)]);
                allowed += usize::from(snap.decide_in_place(hook_at(i), &layout, r).is_allow());
            }
        }
        // Access alone with any hook name but `all`, as before `all` existed: the loop
        // must not add the hook selection to the count.
        "baseline" if !all => {
            for i in 0..iters {
                allowed += usize::from(baseline.access(black_box(&reqs[i & 1023])));
            }
        }
        "baseline" => {
            for i in 0..iters {
                let r = black_box(&reqs[at(i)]);
                allowed += usize::from(match hook_at(i) {
                    Hook::Instantiate => baseline.instantiate(r),
                    Hook::Access => baseline.access(r),
                    Hook::Egress => baseline.egress(r),
                    Hook::Encrypt => baseline.encrypt_aes(r),
                    Hook::Log => baseline.log_client_ip(r),
                });
            }
        }
        _ => {}
    }
    // Wall-clock per iteration, for quick A/B runs; criterion gives the quoted numbers.
    let ns = start.elapsed().as_nanos() as f64 / iters.max(1) as f64;
    eprintln!("{ns:.1} ns/iter");
    println!("{allowed}");
}
