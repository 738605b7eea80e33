//! dictum side by side with its peers: the shared benchmark workload (benches/workload.rs)
//! expressed in Cedar, Rego (regorus) and CEL, next to the hand-written Rust baseline and
//! dictum itself. For each scale it builds every engine (time and memory), checks that
//! every engine gives the baseline's answer for every request at every hook, and then times
//! decisions. See docs/PERFORMANCE.md, "Side by side with the peers".
//!
//! `cargo run --release -p peers -- [--tenants 1,100,1000,10000] [--requests N] [--reps R]
//!  [--target-ms MS] [--only ENGINE,...] [--cap ENGINE=TENANTS,...]`

#[path = "../../workload.rs"]
mod workload;
#[path = "../../handles.rs"]
mod handles;

mod cedar;
mod cel;
mod measure;
mod natives;
mod rego;

use dictum::types::Hook;
use measure::{Build, Sample, Timing};
use std::collections::HashMap;
use std::time::Duration;
use workload::{Baseline, Req};

#[global_allocator]
static ALLOC: measure::Counting = measure::Counting;

pub const HOOKS: [Hook; 5] = Hook::ALL;

/// An engine under test. `i` indexes the request pool given to `prepare`.
pub trait Peer {
    /// Convert every request of the pool into the engine's native form (untimed).
    fn prepare(&mut self, pool: &'static [Req]);
    /// Decide on a request already in native form.
    fn eval(&mut self, hook: Hook, i: usize) -> bool;
    /// Convert the workload's `Req` to the native form, then decide.
    fn convert_eval(&mut self, hook: Hook, i: usize) -> bool;
    /// Evaluation errors the engine reported but folded into its answer (Cedar skips a
    /// policy whose condition errs); the agreement check requires none.
    fn errors(&self, _hook: Hook, _i: usize) -> usize {
        0
    }
}

struct Args {
    tenants: Vec<usize>,
    requests: usize,
    reps: usize,
    target_ms: u64,
    only: Option<Vec<String>>,
    caps: HashMap<String, usize>,
}

fn usage() -> ! {
    eprintln!("usage: peers [--tenants 1,100,1000,10000] [--requests N] [--reps R] [--target-ms MS] [--only ENGINE,...] [--cap ENGINE=TENANTS,...]");
    eprintln!("engines: {}", ENGINES.join(", "));
    std::process::exit(2)
}

fn args() -> Args {
    let mut a = Args { tenants: vec![1, 100, 1_000, 10_000], requests: 1024, reps: 7, target_ms: 30, only: None, caps: HashMap::new() };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--tenants" => a.tenants = val().split(',').map(|s| s.trim().parse().unwrap_or_else(|_| usage())).collect(),
            "--requests" => a.requests = val().parse().unwrap_or_else(|_| usage()),
            "--reps" => a.reps = val().parse().unwrap_or_else(|_| usage()),
            "--target-ms" => a.target_ms = val().parse().unwrap_or_else(|_| usage()),
            "--only" => a.only = Some(val().split(',').map(String::from).collect()),
            "--cap" => {
                for c in val().split(',') {
                    let (e, n) = c.split_once('=').unwrap_or_else(|| usage());
                    a.caps.insert(e.into(), n.parse().unwrap_or_else(|_| usage()));
                }
            }
            _ => usage(),
        }
    }
    if a.requests == 0 || a.reps == 0 {
        usage()
    }
    a
}

/// Engine ids, in table order.
const ENGINES: [&str; 8] = ["baseline", "dictum", "cedar-per-tenant", "cedar-one", "rego-rvm", "rego-interp", "cel", "cel-per-tenant"];

struct Row {
    engine: &'static str,
    shape: String,
    build: Build,
    eval: Sample,
    conv: Sample,
    hooks: [Sample; 5],
    checked: usize,
    agreed: usize,
}

fn mib(x: f64) -> String {
    if x.abs() < 0.05 { "0.0".into() } else { format!("{x:.1}") }
}

fn ns(s: &Sample) -> String {
    if s.ns >= 100_000.0 {
        format!("{:.0} µs", s.ns / 1e3)
    } else if s.ns >= 10_000.0 {
        format!("{:.1} µs", s.ns / 1e3)
    } else if s.ns >= 100.0 {
        format!("{:.0}", s.ns)
    } else {
        format!("{:.1}", s.ns)
    }
}

/// Check every request at every hook, on both paths, against the baseline. A disagreement
/// is fatal.
fn check<P: Peer>(name: &str, p: &mut P, base: &Baseline, pool: &[Req]) -> (usize, usize) {
    let mut checked = 0;
    let mut agreed = 0;
    for (i, r) in pool.iter().enumerate() {
        for hook in HOOKS {
            let want = natives::Base::answer(base, hook, r);
            for (path, got) in [("eval", p.eval(hook, i)), ("convert+eval", p.convert_eval(hook, i))] {
                checked += 1;
                if got != want {
                    eprintln!("DISAGREEMENT: {name} ({path}) says {got} at {} where the baseline says {want}\nrequest #{i}: {r:#?}", hook.name());
                    std::process::exit(1);
                }
                agreed += 1;
            }
            let errors = p.errors(hook, i);
            if errors != 0 {
                eprintln!("EVALUATION ERRORS: {name} reported {errors} error(s) at {}\nrequest #{i}: {r:#?}", hook.name());
                std::process::exit(1);
            }
        }
    }
    (checked, agreed)
}

fn time_engine<P: Peer>(p: &mut P, n: usize, t: Timing) -> (Sample, Sample, [Sample; 5]) {
    // Round-robin over the hooks: 5 and the pool size are coprime, so every (request,
    // hook) pair comes up.
    let eval = measure::time(t, |k| p.eval(HOOKS[(k % 5) as usize], k as usize % n));
    let conv = measure::time(t, |k| p.convert_eval(HOOKS[(k % 5) as usize], k as usize % n));
    let hooks = HOOKS.map(|h| measure::time(t, |k| p.eval(h, k as usize % n)));
    (eval, conv, hooks)
}

#[allow(clippy::too_many_arguments)]
fn run_engine<P: Peer>(
    rows: &mut Vec<Row>,
    engine: &'static str,
    shape: String,
    built: (P, Build),
    base: &Baseline,
    pool: &'static [Req],
    n: usize,
    t: Timing,
) -> P {
    let (mut p, build) = built;
    eprintln!("  {engine}: built in {:.1} ms; checking {} requests", build.ms, pool.len());
    p.prepare(pool);
    let (checked, agreed) = check(engine, &mut p, base, pool);
    eprintln!("  {engine}: {agreed}/{checked} decisions agree; timing");
    let (eval, conv, hooks) = time_engine(&mut p, n, t);
    eprintln!("  {engine}: eval {} ns, convert+eval {} ns", ns(&eval), ns(&conv));
    rows.push(Row { engine, shape, build, eval, conv, hooks, checked, agreed });
    p
}

fn versions() -> Vec<(String, String)> {
    let lock = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock"));
    let mut out = vec![];
    let mut name = "";
    for line in lock.lines() {
        if let Some(v) = line.strip_prefix("name = ") {
            name = v.trim_matches('"');
        } else if let Some(v) = line.strip_prefix("version = ")
            && ["cedar-policy", "regorus", "cel-interpreter", "cel-parser", "cedar-policy-core"].contains(&name)
        {
            out.push((name.to_string(), v.trim_matches('"').to_string()));
        }
    }
    out
}

fn main() {
    let a = args();
    let t = Timing { reps: a.reps, target: Duration::from_millis(a.target_ms), min_iters: 64 };
    let wanted = |e: &str| a.only.as_ref().is_none_or(|o| o.iter().any(|x| x == e));
    println!("# dictum and its peers\n");
    println!("command: `{}`", std::env::args().collect::<Vec<_>>().join(" "));
    println!("machine: {} cores ({}), load average at start {}", measure::nproc(), measure::cpu_model(), measure::loadavg());
    println!(
        "crates: dictum {}, {}",
        env!("CARGO_PKG_VERSION"),
        versions().iter().map(|(n, v)| format!("{n} {v}")).collect::<Vec<_>>().join(", ")
    );
    println!(
        "timing: median of {} repetitions, each calibrated to ~{} ms (at least {} decisions), requests cycling through a pool of {}, hooks round-robin",
        t.reps,
        a.target_ms,
        t.min_iters,
        a.requests.min(1024)
    );
    for &n_tenants in &a.tenants {
        let w = workload::workload(n_tenants);
        let pool: &'static [Req] = Vec::leak(workload::requests(&w, a.requests, 42));
        let n = pool.len().min(1024);
        let base = Baseline::new(&w);
        let allow: Vec<String> =
            HOOKS.iter().map(|&h| format!("{} {}", h.name(), pool.iter().filter(|r| natives::Base::answer(&base, h, r)).count())).collect();
        eprintln!("== {n_tenants} tenants: load average {}", measure::loadavg());
        let load_before = measure::loadavg();
        let mut rows = vec![];
        let mut capped = vec![];
        let mut throughput = vec![];
        let skip = |e: &str, capped: &mut Vec<String>| {
            if !wanted(e) {
                return true;
            }
            if let Some(&cap) = a.caps.get(e)
                && n_tenants > cap
            {
                capped.push(format!("{e} (capped at {cap} tenants)"));
                return true;
            }
            false
        };

        // Inputs for each engine, made outside the timed builds: policy text, data text.
        if !skip("baseline", &mut capped) {
            let p = run_engine(&mut rows, "baseline", "hand-written Rust: `HashMap` domain -> tenant".into(), measure::build(|| natives::Base::new(&w)), &base, pool, n, t);
            throughput.push(("baseline", mt(&p.b, n, &t, |b, h, r| natives::Base::answer(b, h, r), pool)));
        }
        if !skip("dictum", &mut capped) {
            let src = workload::dictum_source(&w);
            let p = run_engine(&mut rows, "dictum", "templates, one instance set per tenant; typed builder".into(), measure::build(|| natives::Dictum::new(&src)), &base, pool, n, t);
            throughput.push(("dictum", mt_dictum(&p, n, &t)));
        }
        if !skip("cedar-per-tenant", &mut capped) {
            let texts = cedar::texts_per_tenant(&w);
            run_engine(&mut rows, "cedar-per-tenant", "`HashMap` domain -> tenant's `PolicySet` per hook".into(), measure::build(|| cedar::PerTenant::new(&texts)), &base, pool, n, t);
        }
        if !skip("cedar-one", &mut capped) {
            let texts = cedar::texts_one(&w);
            let built = measure::build(|| cedar::One::new(&texts));
            let shape = format!("one `PolicySet` per hook, all tenants ({} policies)", built.0.policies());
            run_engine(&mut rows, "cedar-one", shape, built, &base, pool, n, t);
        }
        if !skip("rego-rvm", &mut capped) {
            let (policy, data) = (rego::policy(), rego::data_json(&w));
            run_engine(&mut rows, "rego-rvm", "shared rules, tenants in `data`; RVM bytecode".into(), measure::build(|| rego::Rvm::new(&policy, &data)), &base, pool, n, t);
        }
        if !skip("rego-interp", &mut capped) {
            let (policy, data) = (rego::policy(), rego::data_json(&w));
            run_engine(&mut rows, "rego-interp", "shared rules, tenants in `data`; interpreter".into(), measure::build(|| rego::Interp::new(&policy, &data)), &base, pool, n, t);
        }
        if !skip("cel", &mut capped) {
            run_engine(&mut rows, "cel", "program per hook; tenant map bound per request".into(), measure::build(|| cel::Cel::new(&w)), &base, pool, n, t);
        }
        if !skip("cel-per-tenant", &mut capped) {
            run_engine(&mut rows, "cel-per-tenant", "programs per tenant, constants inlined".into(), measure::build(|| cel::PerTenant::new(&w)), &base, pool, n, t);
        }

        println!("\n### {n_tenants} tenant{}\n", if n_tenants == 1 { "" } else { "s" });
        println!("load average: {load_before} before, {} after; baseline allows per hook over {} requests: {}\n", measure::loadavg(), pool.len(), allow.join(", "));
        println!("| engine | shape | compile/load ms | eval ns | convert+eval ns | heap MiB (peak in build) | RSS Δ MiB (peak in build) | agreement |");
        println!("|---|---|---:|---:|---:|---:|---:|---|");
        for r in &rows {
            println!(
                "| {} | {} | {:.1} | {} | {} | {} ({}) | {} ({}) | {}/{} |",
                r.engine,
                r.shape,
                r.build.ms,
                ns(&r.eval),
                ns(&r.conv),
                mib(r.build.heap),
                mib(r.build.heap_peak),
                mib(r.build.rss),
                mib(r.build.rss_peak),
                r.agreed,
                r.checked
            );
        }
        for c in &capped {
            println!("\nnot run at this scale: {c}");
        }
        println!("\neval ns per hook (median; iterations per repetition in brackets where below one pass over the pool):\n");
        println!("| engine | {} |", HOOKS.map(|h| h.name()).join(" | "));
        println!("|---|{}", "---:|".repeat(5));
        for r in &rows {
            let cell = |s: &Sample| if (s.iters as usize) < n { format!("{} [{}]", ns(s), s.iters) } else { ns(s) };
            println!("| {} | {} |", r.engine, r.hooks.iter().map(cell).collect::<Vec<_>>().join(" | "));
        }
        let spread = rows.iter().map(|r| r.eval.spread.max(r.conv.spread)).fold(0.0, f64::max);
        println!("\nlargest spread (max-min)/median among the repetitions of eval and convert+eval: {:.0}%", spread * 100.0);
        if !throughput.is_empty() {
            println!("\nthroughput, one shared engine, eval on prebuilt requests, hooks round-robin (M decisions/s):\n");
            println!("| engine | 1 thread | 2 threads | 2 threads / 1 thread |");
            println!("|---|---:|---:|---:|");
            for (e, (one, two)) in &throughput {
                println!("| {e} | {:.1} | {:.1} | {:.2} |", one / 1e6, two / 1e6, two / one);
            }
        }
    }
}

/// Decisions per second with 1 and 2 threads sharing the baseline.
fn mt<B: Sync>(b: &B, n: usize, t: &Timing, f: impl Fn(&B, Hook, &Req) -> bool + Sync, pool: &[Req]) -> (f64, f64) {
    let one = |_: usize, k: u64| f(b, HOOKS[(k % 5) as usize], &pool[k as usize % n]);
    let per = measure::time(*t, |k| one(0, k)).ns;
    let iters = ((0.2e9 / per) as u64).max(1000);
    let run = |threads| measure::throughput(threads, iters, t.reps, |th, k| f(b, HOOKS[(k % 5) as usize], &pool[(k as usize + th * 512) % n]));
    (run(1), run(2))
}

/// Decisions per second with 1 and 2 threads sharing one dictum `Engine` (each decision
/// goes through `Engine::decide`, which loads the current bundle atomically).
fn mt_dictum(d: &natives::Dictum, n: usize, t: &Timing) -> (f64, f64) {
    let built = d.built();
    let per = measure::time(*t, |k| d.answer(HOOKS[(k % 5) as usize], &built[k as usize % n])).ns;
    let iters = ((0.2e9 / per) as u64).max(1000);
    let run = |threads| measure::throughput(threads, iters, t.reps, |th, k| d.answer(HOOKS[(k % 5) as usize], &built[(k as usize + th * 512) % n]));
    (run(1), run(2))
}
